// 案件概况 the leader's dashboard figures (GET /api/cases/overview), two kinds never mixed: `now`, the cases open,
// overdue and supervised (督办) at this instant; `month`, the evaluation's counts and rates of the current month (the
// same numbers as the evaluation and the public page) — in total and by department and district. The types are the
// hub's (hub/evaluation/leader-figures.ts) as JSON, imported type-only.
import { api, type TokenHolder } from '$lib/api/http';
import type { Serialized } from '../../../../hub/serialized.js';
import type { LiveCounts } from '../../../../hub/cases/statistics.js';
import type {
  LeaderCount,
  LeaderOverview,
  LeaderRate,
  MonthFigures,
  OverviewGroup as HubOverviewGroup,
} from '../../../../hub/evaluation/leader-figures.js';

export type { LeaderCount, LeaderRate, LiveCounts, MonthFigures };
/** One department or district: its live counts and its month's figures (null without an id). */
export type OverviewGroup = Serialized<HubOverviewGroup>;
export type CaseOverview = Serialized<LeaderOverview>;

export const getOverview = (session: TokenHolder, signal?: AbortSignal) =>
  api<CaseOverview>(session, '/api/cases/overview', { signal });
