// 案件概况统计 case overview statistics: the open / overdue / supervised / closed-this-month counts by department and
// district that the leader's dashboard shows. Counts only — never a case's people — straight from the cases table; the
// months are the city's (its time zone), like the ledger's. (The public page's figures are the evaluation's indicators,
// hub/evaluation/public-figures.ts, not counted here.)
import type pg from 'pg';
import { OPEN_STATES } from './workflow.js';

type Queryable = Pick<pg.Pool, 'query'>;

/** `2026-12`: the month of `atMs` on the city's clock. */
export function monthOf(atMs: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit' }).formatToParts(atMs);
  const year = parts.find((p) => p.type === 'year')!.value;
  const month = parts.find((p) => p.type === 'month')!.value;
  return `${year}-${month}`;
}

// The month's bounds as instants: its first day at midnight in the city's zone, and the next month's. $1 is YYYY-MM,
// $2 the zone (the same arithmetic as the ledger's, hub/cases/approvals.ts).
const MONTH_START = `(($1 || '-01')::timestamp AT TIME ZONE $2)`;
const MONTH_END = `((($1 || '-01')::date + interval '1 month')::timestamp AT TIME ZONE $2)`;
const inMonth = (column: string) => `(${column} >= ${MONTH_START} AND ${column} < ${MONTH_END})`;

export interface WorkloadCount {
  /** The department (or district) code; null: not dispatched yet (or outside the grid). */
  id: string | null;
  name: string | null;
  /** Open: still needs somebody's work (workflow.ts OPEN_STATES). */
  open: number;
  /** Dispatched or in handling with the handling deadline passed. */
  overdue: number;
  /** Open and flagged 督办 by a leader. */
  supervised: number;
  /** Closed in the month. */
  closed: number;
}

export interface CaseOverview {
  at: Date;
  month: string;
  timeZone: string;
  totals: Omit<WorkloadCount, 'id' | 'name'>;
  byDepartment: WorkloadCount[];
  byDistrict: WorkloadCount[];
}

/** Open, overdue, supervised and closed-this-month counts, in total and by department and district. */
export async function caseOverview(db: Queryable, atMs: number, timeZone: string): Promise<CaseOverview> {
  const month = monthOf(atMs, timeZone);
  const counts = (group: string, join: string, name: string) =>
    db.query<{
      id: string | null;
      name: string | null;
      open: string;
      overdue: string;
      supervised: string;
      closed: string;
    }>(
      `SELECT ${group} AS id, ${name} AS name,
              count(*) FILTER (WHERE c.state = ANY($3::text[])) AS open,
              count(*) FILTER (WHERE c.state IN ('dispatched', 'handling') AND c.handling_deadline < $4) AS overdue,
              count(*) FILTER (WHERE c.state = ANY($3::text[]) AND c.supervised) AS supervised,
              count(*) FILTER (WHERE ${inMonth('c.closed_at')}) AS closed
         FROM cases c ${join}
        WHERE c.state = ANY($3::text[]) OR ${inMonth('c.closed_at')}
        GROUP BY 1, 2
        ORDER BY open DESC, 1 NULLS LAST`,
      [month, timeZone, OPEN_STATES, new Date(atMs)],
    );
  const toCount = (r: {
    id: string | null;
    name: string | null;
    open: string;
    overdue: string;
    supervised: string;
    closed: string;
  }) => ({
    id: r.id,
    name: r.name,
    open: Number(r.open),
    overdue: Number(r.overdue),
    supervised: Number(r.supervised),
    closed: Number(r.closed),
  });
  const byDepartment = (
    await counts('c.department_id', 'LEFT JOIN departments d ON d.id = c.department_id', 'd.name')
  ).rows.map(toCount);
  const byDistrict = (
    await counts('c.district_code', 'LEFT JOIN areas a ON a.code = c.district_code', 'a.name')
  ).rows.map(toCount);
  const totals = byDepartment.reduce(
    (t, d) => ({
      open: t.open + d.open,
      overdue: t.overdue + d.overdue,
      supervised: t.supervised + d.supervised,
      closed: t.closed + d.closed,
    }),
    { open: 0, overdue: 0, supervised: 0, closed: 0 },
  );
  return { at: new Date(atMs), month, timeZone, totals, byDepartment, byDistrict };
}
