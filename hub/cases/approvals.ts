// 审批与台账 exception approvals and their ledger (art.40): return 回退, void 作废, extension 延期, postponement 缓办 and
// parking 挂账 are each requested with a reason and decided by someone else; every request is a row that is never
// deleted, so the monthly share of exceptions among filed cases can be counted.
import type pg from 'pg';
import type { TimeLimit } from './ports.js';
import { APPROVAL_KINDS, type ApprovalKind } from './workflow.js';

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'withdrawn';

export interface Approval {
  id: string;
  caseId: string;
  kind: ApprovalKind;
  status: ApprovalStatus;
  requestedBy: string;
  requestedByName: string;
  requestedAt: Date;
  reason: string;
  requestedLimit: TimeLimit | null;
  decidedBy: string | null;
  decidedByName: string | null;
  decidedAt: Date | null;
  decisionNote: string | null;
}

type Queryable = Pick<pg.PoolClient, 'query'>;

const COLUMNS = `id::text AS id, case_id::text AS "caseId", kind, status, requested_by AS "requestedBy",
  requested_by_name AS "requestedByName", requested_at AS "requestedAt", reason,
  requested_limit_value AS "limitValue", requested_limit_unit AS "limitUnit", decided_by AS "decidedBy",
  decided_by_name AS "decidedByName", decided_at AS "decidedAt", decision_note AS "decisionNote"`;

function toApproval(r: Record<string, unknown>): Approval {
  const { limitValue, limitUnit, ...rest } = r;
  return {
    ...(rest as Omit<Approval, 'requestedLimit'>),
    requestedLimit:
      limitValue === null || limitValue === undefined
        ? null
        : ({ value: Number(limitValue), unit: limitUnit } as TimeLimit),
  };
}

export async function requestApproval(
  db: Queryable,
  r: {
    caseId: string;
    kind: ApprovalKind;
    by: { id: string; name: string };
    at: Date;
    reason: string;
    limit: TimeLimit | null;
  },
): Promise<Approval> {
  const { rows } = await db.query(
    `INSERT INTO case_approvals (case_id, kind, requested_by, requested_by_name, requested_at, reason,
                                 requested_limit_value, requested_limit_unit)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
    [r.caseId, r.kind, r.by.id, r.by.name, r.at, r.reason, r.limit?.value ?? null, r.limit?.unit ?? null],
  );
  return toApproval(rows[0]);
}

export async function getApproval(db: Queryable, id: string): Promise<Approval | null> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM case_approvals WHERE id = $1`, [id]);
  return rows[0] ? toApproval(rows[0]) : null;
}

/** Closes a pending approval: approved, denied, or withdrawn when the case moved on without a decision. */
export async function settleApproval(
  db: Queryable,
  id: string,
  status: Exclude<ApprovalStatus, 'pending'>,
  by: { id: string; name: string },
  at: Date,
  note: string | null,
): Promise<Approval> {
  const { rows } = await db.query(
    `UPDATE case_approvals SET status = $2, decided_by = $3, decided_by_name = $4, decided_at = $5, decision_note = $6
      WHERE id = $1 AND status = 'pending' RETURNING ${COLUMNS}`,
    [id, status, by.id, by.name, at, note],
  );
  if (!rows[0]) throw new Error(`approval ${id} is not pending`);
  return toApproval(rows[0]);
}

export async function approvalsOf(db: Queryable, caseId: string): Promise<Approval[]> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM case_approvals WHERE case_id = $1 ORDER BY id`, [caseId]);
  return rows.map(toApproval);
}

export interface LedgerKindCount {
  kind: ApprovalKind;
  requested: number;
  approved: number;
  denied: number;
  /** Approved ÷ cases filed in the month; null when none were filed. */
  share: number | null;
}

export interface Ledger {
  month: string;
  timeZone: string;
  filedCases: number;
  kinds: LedgerKindCount[];
}

/**
 * 台账 the month's exceptions (requests made in the month, by the city's calendar month) per kind, and the share of the
 * approved ones among the cases filed that month (art.40).
 */
export async function ledger(db: Queryable, month: string, timeZone: string): Promise<Ledger> {
  const range = `(($1 || '-01')::timestamp AT TIME ZONE $2)`;
  const next = `((($1 || '-01')::date + interval '1 month')::timestamp AT TIME ZONE $2)`;
  const filed = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM cases WHERE filed_at >= ${range} AND filed_at < ${next}`,
    [month, timeZone],
  );
  const { rows } = await db.query<{ kind: ApprovalKind; requested: string; approved: string; denied: string }>(
    `SELECT kind, count(*) AS requested, count(*) FILTER (WHERE status = 'approved') AS approved,
            count(*) FILTER (WHERE status = 'denied') AS denied
       FROM case_approvals WHERE requested_at >= ${range} AND requested_at < ${next} GROUP BY kind`,
    [month, timeZone],
  );
  const filedCases = Number(filed.rows[0]!.n);
  const byKind = new Map(rows.map((r) => [r.kind, r]));
  return {
    month,
    timeZone,
    filedCases,
    kinds: APPROVAL_KINDS.map((kind) => {
      const r = byKind.get(kind);
      const approved = Number(r?.approved ?? 0);
      return {
        kind,
        requested: Number(r?.requested ?? 0),
        approved,
        denied: Number(r?.denied ?? 0),
        share: filedCases ? approved / filedCases : null,
      };
    }),
  };
}
