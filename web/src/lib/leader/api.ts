// 案件概况 the leader's dashboard figures (GET /api/cases/overview): open, overdue, supervised (督办) and
// closed-this-month counts, in total and by department and district.
import { api, type TokenHolder } from '$lib/api/http';

export interface WorkloadCounts {
  open: number;
  overdue: number;
  supervised: number;
  closed: number;
}

export interface WorkloadGroup extends WorkloadCounts {
  /** Department id or district code; null: not dispatched yet (departments) or outside the grid (districts). */
  id: string | null;
  name: string | null;
}

export interface CaseOverview {
  at: string;
  month: string;
  timeZone: string;
  totals: WorkloadCounts;
  byDepartment: WorkloadGroup[];
  byDistrict: WorkloadGroup[];
}

export const getOverview = (session: TokenHolder, signal?: AbortSignal) =>
  api<CaseOverview>(session, '/api/cases/overview', { signal });
