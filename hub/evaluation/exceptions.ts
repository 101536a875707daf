// 异常处置台账 the exceptions ledger (art.40): returns 回退, voids 作废, extensions 延期, postponements 缓办 and parking 挂账
// requested in the period, how many were approved, and their share of the cases — per department (the department that
// had the case when the request was made; the share is over the cases dispatched to it in the period), for requests
// made while no department had the case (the supervision centre's own voids), and for the city (share over the cases
// filed in the period, as GET /api/cases/ledger counts it).
import type pg from 'pg';
import { APPROVAL_KINDS, type ApprovalKind } from '../cases/workflow.js';
import type { Counts } from './counters.js';
import type { Period } from './period.js';
import { countsByObject, type CountSource } from './queries.js';

type Queryable = Pick<pg.Pool, 'query'>;

export const EXCEPTION_NAMES_ZH: Record<ApprovalKind, string> = {
  return: '回退',
  void: '作废',
  extend: '延期',
  postpone: '缓办',
  park: '挂账',
};

export interface ExceptionCount {
  kind: ApprovalKind;
  requested: number;
  approved: number;
  /** approved ÷ cases; null when there were no cases. */
  share: number | null;
}

export interface LedgerRow {
  /** null: requests made while no department had the case. */
  departmentId: string | null;
  name: string | null;
  /** The share's denominator: cases dispatched to the department (the city: cases filed) in the period. */
  cases: number;
  kinds: ExceptionCount[];
  /** All kinds approved ÷ cases. */
  share: number | null;
}

export interface ExceptionsLedger {
  period: string;
  city: LedgerRow;
  departments: LedgerRow[];
  /** Requests made while the case was with the supervision centre (not dispatched). */
  centre: LedgerRow;
}

function rowOf(departmentId: string | null, name: string | null, cases: number, c: Counts): LedgerRow {
  const kinds = APPROVAL_KINDS.map((kind) => {
    const approved = c[`${kind}Approved`] ?? 0;
    return { kind, requested: c[`${kind}Requested`] ?? 0, approved, share: cases ? approved / cases : null };
  });
  const approved = kinds.reduce((s, k) => s + k.approved, 0);
  return { departmentId, name, cases, kinds, share: cases ? approved / cases : null };
}

export async function exceptionsLedger(
  db: Queryable,
  period: Period,
  nowMs: number,
  source: CountSource = 'aggregates',
): Promise<ExceptionsLedger> {
  const q = { period, nowMs, source } as const;
  const [city, departments] = await Promise.all([
    countsByObject(db, { ...q, kind: 'city' }),
    countsByObject(db, { ...q, kind: 'department' }),
  ]);
  const ids = [...departments.keys()].sort();
  const { rows } = await db.query<{ id: string; name: string }>('SELECT id, name FROM departments WHERE id = ANY($1)', [
    ids,
  ]);
  const names = new Map(rows.map((r) => [r.id, r.name]));
  const total = city.get('') ?? {};
  // What no department had: the city's requests minus the departments'.
  const centre: Counts = {};
  for (const kind of APPROVAL_KINDS) {
    for (const what of ['Requested', 'Approved']) {
      const id = `${kind}${what}`;
      centre[id] = (total[id] ?? 0) - ids.reduce((s, d) => s + (departments.get(d)![id] ?? 0), 0);
    }
  }
  const filed = total.filed ?? 0;
  return {
    period: period.label,
    city: rowOf(null, '全市', filed, total),
    departments: ids
      .map((d) => rowOf(d, names.get(d) ?? null, departments.get(d)!.dispatched ?? 0, departments.get(d)!))
      .filter((r) => r.cases > 0 || r.kinds.some((k) => k.requested > 0)),
    centre: rowOf(null, '监督中心 (未派遣)', filed, centre),
  };
}
