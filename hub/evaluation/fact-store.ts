// 评价事实存储 keeping the evaluation facts in step with the cases: every case the cases table marked stale (its
// triggers, migration 018, in the changing transaction) gets its facts derived again (hub/evaluation/facts.ts) and
// replaced, in batches, each batch one transaction; the local days whose facts changed are marked for the daily
// aggregates. Several hub processes may sync at once: a stale case is claimed with SKIP LOCKED.
import type pg from 'pg';
import { loadCalendar } from '../cases/calendar-store.js';
import type { AreaCodes, TimeLimit } from '../cases/ports.js';
import { loadStepLimits, stepLimitOf } from '../cases/step-limits.js';
import type { ApprovalKind, CaseSource, CaseState } from '../cases/workflow.js';
import { deriveFacts, FACTS_VERSION, type Fact, type FactApproval, type FactContext, type FactEvent } from './facts.js';
import { EVALUATION_TIME_ZONE, localDayOf } from './period.js';

const BATCH = 2000;
const FACTS_VERSION_KEY = 'facts_version';

interface CaseRow {
  id: string;
  source: CaseSource;
  class_kind: string;
  class_code: string;
  cell_code: string | null;
  community_code: string | null;
  street_code: string | null;
  district_code: string | null;
  state: CaseState;
  reported_at: Date;
  reporter_id: string | null;
  handling_deadline: Date | null;
}

/** The context facts are derived in: the working calendar and step limits as stored now, the collectors per cell. */
export async function loadFactContext(db: pg.Pool): Promise<FactContext> {
  const [calendar, steps, collectors] = await Promise.all([
    loadCalendar(db),
    loadStepLimits(db),
    db.query<{ cell: string; user_id: string }>(
      `SELECT DISTINCT g.cell, u.id AS user_id
         FROM devices d CROSS JOIN LATERAL unnest(d.grid_codes) AS g(cell)
         JOIN users u ON u.staff_id = d.staff_id AND u.enabled AND 'collector' = ANY (u.roles)
        WHERE d.kind = 'collector' AND d.enabled AND d.staff_id IS NOT NULL
        ORDER BY g.cell, u.id`,
    ),
  ]);
  const byCell = new Map<string, string[]>();
  for (const r of collectors.rows) byCell.set(r.cell, [...(byCell.get(r.cell) ?? []), r.user_id]);
  const limit = (step: string): TimeLimit | null => {
    const l = stepLimitOf(steps, step);
    // A zero limit would make every step late at once: treated as no limit.
    return l && l.value > 0 ? l : null;
  };
  return {
    calendar,
    limits: { verifyAndFile: limit('verifyAndFile'), dispatch: limit('dispatch'), reinspect: limit('reinspect') },
    collectorsOfCell: (cell) => byCell.get(cell) ?? [],
  };
}

/** Derives the facts of the given cases (read inside `client`'s transaction). */
async function factsOf(client: pg.PoolClient, ids: string[], ctx: FactContext): Promise<Map<string, Fact[]>> {
  // One after another: a client runs one query at a time anyway.
  const cases = await client.query<CaseRow>(
    `SELECT id::text AS id, source, class_kind, class_code, cell_code, community_code, street_code, district_code,
            state, reported_at, reporter_id, handling_deadline
       FROM cases WHERE id = ANY($1::bigint[])`,
    [ids],
  );
  const events = await client.query<{
    case_id: string;
    at: Date;
    action: string;
    actor_id: string;
    actor_role: string;
    data: object;
  }>(
    `SELECT case_id::text AS case_id, at, action, actor_id, actor_role, data
       FROM case_events WHERE case_id = ANY($1::bigint[]) ORDER BY case_id, seq`,
    [ids],
  );
  const approvals = await client.query<{
    id: string;
    case_id: string;
    kind: ApprovalKind;
    status: FactApproval['status'];
    requested_at: Date;
  }>(
    `SELECT id::text AS id, case_id::text AS case_id, kind, status, requested_at
       FROM case_approvals WHERE case_id = ANY($1::bigint[]) ORDER BY id`,
    [ids],
  );
  const eventsOf = new Map<string, FactEvent[]>();
  for (const e of events.rows) {
    const list = eventsOf.get(e.case_id) ?? [];
    list.push({
      atMs: e.at.getTime(),
      action: e.action,
      actorId: e.actor_id,
      actorRole: e.actor_role,
      data: e.data as Record<string, unknown>,
    });
    eventsOf.set(e.case_id, list);
  }
  const approvalsOf = new Map<string, FactApproval[]>();
  for (const a of approvals.rows) {
    const list = approvalsOf.get(a.case_id) ?? [];
    list.push({ id: a.id, kind: a.kind, status: a.status, requestedAtMs: a.requested_at.getTime() });
    approvalsOf.set(a.case_id, list);
  }
  const out = new Map<string, Fact[]>();
  for (const c of cases.rows) {
    const area: AreaCodes | null =
      c.cell_code === null
        ? null
        : {
            cell: c.cell_code,
            community: c.community_code!,
            street: c.street_code!,
            district: c.district_code!,
          };
    out.set(
      c.id,
      deriveFacts(
        {
          id: c.id,
          source: c.source,
          classKind: c.class_kind,
          classCode: c.class_code,
          area,
          state: c.state,
          reportedAtMs: c.reported_at.getTime(),
          reporterId: c.reporter_id,
          handlingDeadlineMs: c.handling_deadline?.getTime() ?? null,
        },
        eventsOf.get(c.id) ?? [],
        approvalsOf.get(c.id) ?? [],
        ctx,
      ),
    );
  }
  return out;
}

async function insertFacts(client: pg.PoolClient, rows: { caseId: string; fact: Fact }[]): Promise<void> {
  if (rows.length === 0) return;
  const col = <T>(f: (r: { caseId: string; fact: Fact }) => T) => rows.map(f);
  await client.query(
    `INSERT INTO evaluation_facts (at, case_id, kind, on_time, done, valid, source, class_key, cell_code,
                                   community_code, street_code, district_code, department_id, person_key)
     SELECT * FROM unnest($1::timestamptz[], $2::bigint[], $3::text[], $4::boolean[], $5::boolean[], $6::boolean[],
                          $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[],
                          $14::text[])`,
    [
      // ISO text: the driver's Date formatting is the slowest part of a large batch.
      col((r) => new Date(r.fact.atMs).toISOString()),
      col((r) => r.caseId),
      col((r) => r.fact.kind),
      col((r) => r.fact.onTime),
      col((r) => r.fact.done),
      col((r) => r.fact.valid),
      col((r) => r.fact.source),
      col((r) => r.fact.classKey),
      col((r) => r.fact.area?.cell ?? null),
      col((r) => r.fact.area?.community ?? null),
      col((r) => r.fact.area?.street ?? null),
      col((r) => r.fact.area?.district ?? null),
      col((r) => r.fact.departmentId),
      col((r) => r.fact.personKey),
    ],
  );
}

export class FactStore {
  private running: Promise<number> | null = null;
  private next: Promise<number> | null = null;

  constructor(private readonly pool: pg.Pool) {}

  /**
   * After a change of the derivation (FACTS_VERSION) every case is marked stale once, so the facts are derived
   * again by the current code. Returns whether it did.
   */
  async ensureVersion(): Promise<boolean> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ value: string }>(
        'SELECT value FROM evaluation_state WHERE key = $1 FOR UPDATE',
        [FACTS_VERSION_KEY],
      );
      const current = String(FACTS_VERSION);
      if (rows[0]?.value === current) {
        await client.query('COMMIT');
        return false;
      }
      if (rows[0])
        await client.query('INSERT INTO evaluation_stale_cases (case_id) SELECT id FROM cases ON CONFLICT DO NOTHING');
      await client.query(
        `INSERT INTO evaluation_state (key, value) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
        [FACTS_VERSION_KEY, current],
      );
      await client.query('COMMIT');
      return rows[0] !== undefined;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /** Derives one batch of stale cases; returns how many cases it took (0: none was waiting, or all were claimed). */
  async syncBatch(limit = BATCH, ctx?: FactContext): Promise<number> {
    const context = ctx ?? (await loadFactContext(this.pool));
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows: claimed } = await client.query<{ case_id: string }>(
        `SELECT case_id::text AS case_id FROM evaluation_stale_cases ORDER BY case_id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [limit],
      );
      if (claimed.length === 0) {
        await client.query('COMMIT');
        return 0;
      }
      const ids = claimed.map((r) => r.case_id);
      const derived = await factsOf(client, ids, context);
      const { rows: old } = await client.query<{ day: string }>(
        `WITH gone AS (DELETE FROM evaluation_facts WHERE case_id = ANY($1::bigint[]) RETURNING at)
         SELECT DISTINCT to_char((at AT TIME ZONE $2)::date, 'YYYY-MM-DD') AS day FROM gone`,
        [ids, EVALUATION_TIME_ZONE],
      );
      const rows = [...derived].flatMap(([caseId, facts]) => facts.map((fact) => ({ caseId, fact })));
      await insertFacts(client, rows);
      const days = new Set(old.map((r) => r.day));
      for (const r of rows) days.add(localDayOf(r.fact.atMs));
      if (days.size) {
        await client.query('INSERT INTO evaluation_dirty_days (day) SELECT unnest($1::date[]) ON CONFLICT DO NOTHING', [
          [...days],
        ]);
      }
      await client.query('DELETE FROM evaluation_stale_cases WHERE case_id = ANY($1::bigint[])', [ids]);
      await client.query('COMMIT');
      return ids.length;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /**
   * Derives every stale case. Calls in one process share a run; a call made during a run gets the next run, which
   * starts when that one ends, so whatever was marked before the call is derived when its promise resolves. (A case
   * another hub process is deriving at that moment is left to that process.)
   */
  sync(): Promise<number> {
    if (!this.running) {
      this.running = this.runAll().finally(() => {
        this.running = null;
      });
      return this.running;
    }
    this.next ??= this.running
      .catch(() => 0)
      .then(() => {
        this.next = null;
        return this.sync();
      });
    return this.next;
  }

  private async runAll(): Promise<number> {
    // Most calls find nothing to do: answer that without loading the calendar and the collectors.
    const { rows } = await this.pool.query<{ any: boolean }>(
      'SELECT EXISTS (SELECT 1 FROM evaluation_stale_cases) AS any',
    );
    if (!rows[0]!.any) return 0;
    const ctx = await loadFactContext(this.pool);
    let total = 0;
    for (;;) {
      const n = await this.syncBatch(BATCH, ctx);
      total += n;
      if (n < BATCH) return total;
    }
  }

  /** Cases waiting to be derived (claimed by another process or not yet taken). */
  async pending(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>('SELECT count(*) AS n FROM evaluation_stale_cases');
    return Number(rows[0]!.n);
  }
}
