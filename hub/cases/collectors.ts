// 监督员名录 the collector directory: the enabled collectors an acceptor can send to verify a report on site, or a shift
// leader or dispatcher to re-inspect a handled case, each with the verification and re-inspection tasks they already
// hold (so the work goes to whoever is free). Names and staff numbers only: nothing else of the user record.
import type pg from 'pg';

export interface CollectorEntry {
  id: string;
  name: string;
  /** 工号 */
  staffId: string | null;
  /** Cases waiting for this collector: verifying reports and re-inspections assigned to them. */
  openTasks: number;
}

type Queryable = Pick<pg.Pool, 'query'>;

/** The enabled collectors, ordered by name; `q` narrows to a substring of the name, username or staff number. */
export async function listCollectors(db: Queryable, q?: string): Promise<CollectorEntry[]> {
  // eslint-disable-next-line no-control-regex
  const needle = q?.replace(/[\u0000-\u001f]/g, '').trim();
  const like = needle ? `%${needle.replace(/[\\%_]/g, '\\$&')}%` : null;
  const { rows } = await db.query<{ id: string; name: string; staffId: string | null; openTasks: number }>(
    `WITH tasks AS (
       SELECT CASE WHEN state = 'verifying' THEN verifier_id ELSE reinspector_id END AS user_id, count(*)::int AS n
         FROM cases WHERE state IN ('verifying', 'reinspecting') GROUP BY 1
     )
     SELECT u.id, u.name, u.staff_id AS "staffId", coalesce(t.n, 0) AS "openTasks"
       FROM users u LEFT JOIN tasks t ON t.user_id = u.id
      WHERE u.enabled AND 'collector' = ANY (u.roles)
        AND ($1::text IS NULL OR u.name ILIKE $1 OR u.username ILIKE $1 OR u.staff_id ILIKE $1)
      ORDER BY u.name, u.id`,
    [like],
  );
  return rows;
}
