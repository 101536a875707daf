// 规则准确率 per-rule outcome counts, the input of a rule's precision: how many candidates it raised, how many more
// drafts were merged into them or attached to open cases, and what acceptors decided (dismissals counted by reason).
import type pg from 'pg';

export interface RuleOutcomes {
  ruleId: string;
  /** From the stored configuration; null for a rule deleted since, or an outside detector. */
  kind: string | null;
  name: string | null;
  /** Candidates this rule raised. */
  raised: number;
  /** Further drafts merged into them (the count beyond the first of each). */
  merged: number;
  /** Drafts attached to open cases as evidence instead of a candidate. */
  attached: number;
  accepted: number;
  dismissed: number;
  pending: number;
  /** Dismissals by their reason, as the acceptors wrote it. */
  dismissalReasons: Record<string, number>;
  /** accepted / (accepted + dismissed); null until something was decided. */
  precision: number | null;
}

export async function ruleOutcomes(pool: Pick<pg.Pool, 'query'>): Promise<RuleOutcomes[]> {
  const { rows } = await pool.query<{
    ruleId: string;
    kind: string | null;
    name: string | null;
    raised: number;
    merged: number;
    attached: number;
    accepted: number;
    dismissed: number;
    pending: number;
    dismissalReasons: Record<string, number> | null;
  }>(
    `WITH c AS (
       SELECT rule_id,
              count(*)::int AS raised,
              coalesce(sum(merged_count - 1), 0)::int AS merged,
              (count(*) FILTER (WHERE status = 'accepted'))::int AS accepted,
              (count(*) FILTER (WHERE status = 'dismissed'))::int AS dismissed,
              (count(*) FILTER (WHERE status = 'pending'))::int AS pending
         FROM case_candidates WHERE rule_id IS NOT NULL GROUP BY rule_id),
     r AS (
       SELECT rule_id, jsonb_object_agg(dismissal_reason, n) AS reasons
         FROM (SELECT rule_id, dismissal_reason, count(*)::int AS n FROM case_candidates
                WHERE rule_id IS NOT NULL AND status = 'dismissed' GROUP BY rule_id, dismissal_reason) x
        GROUP BY rule_id),
     e AS (SELECT rule_id, count(*)::int AS attached FROM case_evidence GROUP BY rule_id),
     ids AS (SELECT id AS rule_id FROM detection_rules UNION SELECT rule_id FROM c UNION SELECT rule_id FROM e)
     SELECT ids.rule_id AS "ruleId", d.kind, d.name, coalesce(c.raised, 0) AS raised, coalesce(c.merged, 0) AS merged,
            coalesce(e.attached, 0) AS attached, coalesce(c.accepted, 0) AS accepted,
            coalesce(c.dismissed, 0) AS dismissed, coalesce(c.pending, 0) AS pending, r.reasons AS "dismissalReasons"
       FROM ids LEFT JOIN detection_rules d ON d.id = ids.rule_id LEFT JOIN c ON c.rule_id = ids.rule_id
       LEFT JOIN r ON r.rule_id = ids.rule_id LEFT JOIN e ON e.rule_id = ids.rule_id
      ORDER BY ids.rule_id`,
  );
  return rows.map((row) => ({
    ...row,
    dismissalReasons: row.dismissalReasons ?? {},
    precision: row.accepted + row.dismissed > 0 ? row.accepted / (row.accepted + row.dismissed) : null,
  }));
}
