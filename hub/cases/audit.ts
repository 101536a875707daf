// 操作日志 the append-only audit log of every case action: who (user and the role acted under), when, from-state,
// to-state, note, attachments and the action's data. The database refuses UPDATE, DELETE and TRUNCATE on it
// (migration 010), so this module only ever inserts and reads.
import type pg from 'pg';
import type { CaseState } from './workflow.js';

export interface AuditEntry {
  caseId: string;
  seq: number;
  at: Date;
  actorId: string;
  actorName: string;
  actorRole: string;
  action: string;
  fromState: CaseState | null;
  toState: CaseState;
  note: string | null;
  attachments: string[];
  data: Record<string, unknown>;
}

export type NewAuditEntry = Omit<AuditEntry, 'seq'>;

type Queryable = Pick<pg.PoolClient, 'query'>;

/** Appends one entry; the caller holds the case row lock, so the next seq is free. */
export async function appendAudit(db: Queryable, e: NewAuditEntry): Promise<number> {
  const { rows } = await db.query<{ seq: number }>(
    `INSERT INTO case_events (case_id, seq, at, actor_id, actor_name, actor_role, action, from_state, to_state, note,
                              attachments, data)
     SELECT $1, coalesce(max(seq), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11
       FROM case_events WHERE case_id = $1
     RETURNING seq`,
    [
      e.caseId,
      e.at,
      e.actorId,
      e.actorName,
      e.actorRole,
      e.action,
      e.fromState,
      e.toState,
      e.note,
      e.attachments,
      JSON.stringify(e.data),
    ],
  );
  return rows[0]!.seq;
}

export async function readAudit(db: Queryable, caseId: string): Promise<AuditEntry[]> {
  const { rows } = await db.query(
    `SELECT case_id::text AS "caseId", seq, at, actor_id AS "actorId", actor_name AS "actorName",
            actor_role AS "actorRole", action, from_state AS "fromState", to_state AS "toState", note, attachments, data
       FROM case_events WHERE case_id = $1 ORDER BY seq`,
    [caseId],
  );
  return rows as AuditEntry[];
}
