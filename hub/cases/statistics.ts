// 案件实时统计 live case counts: how many cases are open, overdue and supervised (督办) right now, by department and
// district, for the leader's dashboard. States at one instant, never a period: every count of a month or any other
// period is the evaluation's (hub/evaluation: counters.ts, rates.ts), so a figure has one definition wherever it is
// shown. Counts only — never a case's people — straight from the cases table.
import type pg from 'pg';
import { OPEN_STATES } from './workflow.js';

type Queryable = Pick<pg.Pool, 'query'>;

export interface LiveCounts {
  /** Open: still needs somebody's work (workflow.ts OPEN_STATES). */
  open: number;
  /** Dispatched or in handling with the handling deadline passed. */
  overdue: number;
  /** Open and flagged 督办 by a leader. */
  supervised: number;
}

export interface LiveGroup extends LiveCounts {
  /** The department (or district) code; null: not dispatched yet (or outside the grid). */
  id: string | null;
  name: string | null;
}

export interface LiveOverview {
  at: Date;
  totals: LiveCounts;
  /** Groups with at least one open case, the most open first. */
  byDepartment: LiveGroup[];
  byDistrict: LiveGroup[];
}

/** Open, overdue and supervised cases at `atMs`, in total and by department and district. */
export async function liveOverview(db: Queryable, atMs: number): Promise<LiveOverview> {
  const at = new Date(atMs);
  const counts = async (group: string, join: string, name: string): Promise<LiveGroup[]> => {
    const { rows } = await db.query<{
      id: string | null;
      name: string | null;
      open: string;
      overdue: string;
      supervised: string;
    }>(
      `SELECT ${group} AS id, ${name} AS name, count(*) AS open,
              count(*) FILTER (WHERE c.state IN ('dispatched', 'handling') AND c.handling_deadline < $2) AS overdue,
              count(*) FILTER (WHERE c.supervised) AS supervised
         FROM cases c ${join}
        WHERE c.state = ANY($1::text[])
        GROUP BY 1, 2
        ORDER BY open DESC, 1 NULLS LAST`,
      [OPEN_STATES, at],
    );
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      open: Number(r.open),
      overdue: Number(r.overdue),
      supervised: Number(r.supervised),
    }));
  };
  const byDepartment = await counts('c.department_id', 'LEFT JOIN departments d ON d.id = c.department_id', 'd.name');
  const byDistrict = await counts('c.district_code', 'LEFT JOIN areas a ON a.code = c.district_code', 'a.name');
  const totals = byDepartment.reduce(
    (t, d) => ({ open: t.open + d.open, overdue: t.overdue + d.overdue, supervised: t.supervised + d.supervised }),
    { open: 0, overdue: 0, supervised: 0 },
  );
  return { at, totals, byDepartment, byDistrict };
}
