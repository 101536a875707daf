// 待受理候选 the acceptance queue for detector candidates: rules on sensors, vehicles and cameras raise candidates with
// their evidence; an acceptor accepts one (it becomes a report with source `detector`) or dismisses it with a reason,
// which is kept because it measures the detector's precision later.
import type pg from 'pg';
import { withTransaction } from '../db/pool.js';
import { CaseError, type CaseService, type CaseView } from './case-service.js';
import type { Actor } from './ports.js';

export interface NewCandidate {
  detectorId: string;
  /** The detector's own key for this event: raising it again returns the queued candidate instead of a second one. */
  clientKey: string;
  classCode: string;
  lon: number;
  lat: number;
  observedAt: Date;
  /** 0–1. */
  confidence?: number | null;
  description?: string;
  /** Media ids, track and frame references. `mediaIds` (string[]) become the report's attachments. */
  evidence?: Record<string, unknown>;
}

export type CandidateStatus = 'pending' | 'accepted' | 'dismissed';

export interface Candidate {
  id: string;
  detectorId: string;
  clientKey: string;
  classCode: string;
  lon: number;
  lat: number;
  observedAt: Date;
  confidence: number | null;
  description: string;
  evidence: Record<string, unknown>;
  status: CandidateStatus;
  dismissalReason: string | null;
  decidedBy: string | null;
  decidedAt: Date | null;
  caseId: string | null;
  createdAt: Date;
}

const COLUMNS = `id::text AS id, detector_id AS "detectorId", client_key AS "clientKey", class_code AS "classCode", lon,
  lat, observed_at AS "observedAt", confidence, description, evidence, status, dismissal_reason AS "dismissalReason",
  decided_by AS "decidedBy", decided_at AS "decidedAt", case_id::text AS "caseId", created_at AS "createdAt"`;

export class CandidateQueue {
  constructor(
    private readonly pool: pg.Pool,
    private readonly cases: CaseService,
  ) {}

  /** Queues a candidate (idempotent per detector and client key). Returns it and whether it was new. */
  async raiseCandidate(c: NewCandidate): Promise<{ candidate: Candidate; created: boolean }> {
    if (!/^((component|event):)?[0-9]{4}$/.test(c.classCode)) {
      throw new CaseError('InvalidInput', 'classCode must be 4 digits, optionally prefixed component: or event:');
    }
    const inserted = await this.pool.query(
      `INSERT INTO case_candidates (detector_id, client_key, class_code, lon, lat, observed_at, confidence, description,
                                    evidence)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (detector_id, client_key) DO NOTHING RETURNING ${COLUMNS}`,
      [
        c.detectorId,
        c.clientKey,
        c.classCode,
        c.lon,
        c.lat,
        c.observedAt,
        c.confidence ?? null,
        c.description ?? '',
        JSON.stringify(c.evidence ?? {}),
      ],
    );
    if (inserted.rows[0]) return { candidate: inserted.rows[0] as Candidate, created: true };
    const { rows } = await this.pool.query(
      `SELECT ${COLUMNS} FROM case_candidates WHERE detector_id = $1 AND client_key = $2`,
      [c.detectorId, c.clientKey],
    );
    return { candidate: rows[0] as Candidate, created: false };
  }

  async list(
    filter: { status?: CandidateStatus },
    page: { limit?: number; offset?: number },
  ): Promise<{ items: Candidate[]; total: number; limit: number; offset: number }> {
    const limit = Math.min(page.limit ?? 50, 200);
    const offset = page.offset ?? 0;
    const cond = filter.status ? 'WHERE status = $1' : '';
    const params: unknown[] = filter.status ? [filter.status] : [];
    const total = await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM case_candidates ${cond}`, params);
    const { rows } = await this.pool.query(
      `SELECT ${COLUMNS} FROM case_candidates ${cond} ORDER BY observed_at DESC, id DESC
        LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, limit, offset],
    );
    return { items: rows as Candidate[], total: Number(total.rows[0]!.n), limit, offset };
  }

  private async lockPending(client: pg.PoolClient, id: string): Promise<Candidate> {
    const { rows } = /^[0-9]{1,18}$/.test(id)
      ? await client.query(`SELECT ${COLUMNS} FROM case_candidates WHERE id = $1 FOR UPDATE`, [id])
      : { rows: [] };
    const c = rows[0] as Candidate | undefined;
    if (!c) throw new CaseError('CandidateNotFound', `there is no candidate ${id}`);
    if (c.status !== 'pending') {
      throw new CaseError('CandidateDecided', `candidate ${id} was already ${c.status}`);
    }
    return c;
  }

  /** 受理候选 the candidate becomes a report (source detector) carrying its evidence. */
  async acceptCandidate(
    id: string,
    actor: Actor,
    input: { note?: string | null; classCode?: string } = {},
  ): Promise<{ candidate: Candidate; case: CaseView }> {
    if (!actor.roles.includes('acceptor'))
      throw new CaseError('Forbidden', 'accepting candidates needs the acceptor role');
    const { change, candidate } = await withTransaction(this.pool, async (client) => {
      const c = await this.lockPending(client, id);
      const mediaIds = Array.isArray(c.evidence.mediaIds)
        ? c.evidence.mediaIds.filter((m): m is string => typeof m === 'string')
        : [];
      const { record, change } = await this.cases.insertReport(
        client,
        {
          source: 'detector',
          classCode: input.classCode ?? c.classCode,
          lon: c.lon,
          lat: c.lat,
          description: c.description,
          attachments: mediaIds,
          note: input.note ?? null,
        },
        { id: actor.userId, name: actor.name, role: 'acceptor' },
        null,
        {
          candidateId: c.id,
          detectorId: c.detectorId,
          confidence: c.confidence,
          observedAt: c.observedAt,
          evidence: c.evidence,
        },
      );
      const { rows } = await client.query(
        `UPDATE case_candidates SET status = 'accepted', decided_by = $2, decided_at = $3, case_id = $4
          WHERE id = $1 RETURNING ${COLUMNS}`,
        [id, actor.userId, change.at, record.id],
      );
      return { change, candidate: rows[0] as Candidate };
    });
    this.cases.emit(change);
    return { candidate, case: await this.cases.get(change.caseId, actor) };
  }

  /** 驳回候选 dismissed with a reason (a false detection, a duplicate, not our business …). */
  async dismissCandidate(id: string, actor: Actor, reason: string): Promise<Candidate> {
    if (!actor.roles.includes('acceptor'))
      throw new CaseError('Forbidden', 'dismissing candidates needs the acceptor role');
    if (!reason?.trim()) throw new CaseError('InvalidInput', 'a dismissal needs a reason (it measures the detector)');
    return withTransaction(this.pool, async (client) => {
      await this.lockPending(client, id);
      const { rows } = await client.query(
        `UPDATE case_candidates SET status = 'dismissed', dismissal_reason = $2, decided_by = $3, decided_at = now()
          WHERE id = $1 RETURNING ${COLUMNS}`,
        [id, reason.trim(), actor.userId],
      );
      return rows[0] as Candidate;
    });
  }
}
