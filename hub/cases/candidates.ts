// 待受理候选 the acceptance queue for detector candidates: rules on sensors, vehicles and cameras raise candidates with
// their evidence; an acceptor accepts one (it becomes a report with source `detector`) or dismisses it with a reason,
// which is kept because it measures the detector's precision later. Raised with a merge policy (the detection rules),
// the same class at the same place is deduplicated: merged into a pending candidate as more evidence, or attached to an
// open case as its evidence; every raised key is remembered, so raising it again changes nothing.
import type pg from 'pg';
import { withTransaction } from '../db/pool.js';
import { CaseError, type CaseService, type CaseView } from './case-service.js';
import { findDuplicates } from './duplicates.js';
import type { Actor, ClassKind } from './ports.js';
import type { CandidateDraft } from '../../ingest/rules/types.js';

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
  /** The detection rule that fired (detectors outside the hub leave these out). */
  ruleId?: string | null;
  ruleKind?: string | null;
  /** The situation (情形) the rule names: accepting the candidate accepts the case under it (its time limit). */
  standardId?: number | null;
  /** 单元网格 at the point, when inside the grid. */
  cellCode?: string | null;
  /** The device whose data fired the rule. */
  deviceId?: string | null;
  /** The time span of the event; both default to observedAt. */
  startAt?: Date;
  endAt?: Date;
}

/** How near the same class must be to be the same problem. */
export interface MergePolicy {
  /** Default 50 m. */
  radiusM?: number;
  /** A pending candidate whose span, widened by this, overlaps the new one's is the same problem. Default 1 day. */
  windowS?: number;
}

export const DEFAULT_MERGE_RADIUS_M = 50;
export const DEFAULT_MERGE_WINDOW_S = 86_400;

/** One raised draft as kept in a candidate's evidence list (or a case's evidence). */
export interface EvidenceItem {
  key: string;
  detectorId: string;
  ruleKind: string | null;
  deviceId: string | null;
  lon: number;
  lat: number;
  cellCode: string | null;
  startAt: string;
  endAt: string;
  confidence: number | null;
  description: string;
  evidence: Record<string, unknown>;
}

/**
 * What became of a raise: `created` a new candidate; `merged` into a pending candidate of the same class nearby;
 * `attached` to an open case of the same class nearby (case_evidence, no candidate); `repeated` the key was raised
 * before (nothing changed; `candidate` or `caseId` says where it went then).
 */
export type RaiseResult =
  | { outcome: 'created' | 'merged'; candidate: Candidate; caseId: null }
  | { outcome: 'attached'; candidate: null; caseId: string }
  | { outcome: 'repeated'; candidate: Candidate | null; caseId: string | null };

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
  ruleId: string | null;
  ruleKind: string | null;
  classKind: ClassKind | null;
  standardId: number | null;
  cellCode: string | null;
  startAt: Date;
  endAt: Date;
  /** Drafts merged into this candidate, counting the one that raised it. */
  mergedCount: number;
  /** Their evidence, oldest first. */
  evidenceItems: EvidenceItem[];
}

const COLUMNS = `id::text AS id, detector_id AS "detectorId", client_key AS "clientKey", class_code AS "classCode", lon,
  lat, observed_at AS "observedAt", confidence, description, evidence, status, dismissal_reason AS "dismissalReason",
  decided_by AS "decidedBy", decided_at AS "decidedAt", case_id::text AS "caseId", created_at AS "createdAt",
  rule_id AS "ruleId", rule_kind AS "ruleKind", class_kind AS "classKind", standard_id AS "standardId",
  cell_code AS "cellCode", coalesce(start_at, observed_at) AS "startAt", coalesce(end_at, observed_at) AS "endAt",
  merged_count AS "mergedCount", evidence_items AS "evidenceItems"`;

const CLASS_REF = /^((component|event):)?([0-9]{4})$/;
const M_PER_DEG_LAT = 111_320;
const EARTH_RADIUS_M = 6_371_008.8;

function evidenceItem(c: NewCandidate, startAt: Date, endAt: Date): EvidenceItem {
  return {
    key: c.clientKey,
    detectorId: c.detectorId,
    ruleKind: c.ruleKind ?? null,
    deviceId: c.deviceId ?? null,
    lon: c.lon,
    lat: c.lat,
    cellCode: c.cellCode ?? null,
    startAt: startAt.toISOString(),
    endAt: endAt.toISOString(),
    confidence: c.confidence ?? null,
    description: c.description ?? '',
    evidence: c.evidence ?? {},
  };
}

/** The candidate, if it is still waiting for a decision. */
function pending(id: string, c: Candidate | undefined): Candidate {
  if (!c) throw new CaseError('CandidateNotFound', `there is no candidate ${id}`);
  if (c.status !== 'pending') throw new CaseError('CandidateDecided', `candidate ${id} was already ${c.status}`);
  return c;
}

export class CandidateQueue {
  private readonly listeners = new Set<(candidate: Candidate) => void>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly cases: CaseService,
  ) {}

  /**
   * Called, once committed, with each candidate raised through `raiseCandidate` (an outside detector) and each one
   * accepted or dismissed — for the live map. The rules and the video pipeline call `raise` and report their own
   * raises (CaseLoop.candidateRaised).
   */
  onChange(listener: (candidate: Candidate) => void): void {
    this.listeners.add(listener);
  }

  private changed(candidate: Candidate): void {
    for (const listener of this.listeners) listener(candidate);
  }

  /** Queues a candidate (idempotent per detector and client key), without merging. Returns it and whether it was new. */
  async raiseCandidate(c: NewCandidate): Promise<{ candidate: Candidate; created: boolean }> {
    const r = await this.raise(c, null);
    if (r.outcome === 'created') {
      this.changed(r.candidate);
      return { candidate: r.candidate, created: true };
    }
    // Without a merge policy a key can only have gone to a candidate, unless a rule raised it with one before.
    if (!r.candidate) {
      throw new CaseError('InvalidInput', `key ${c.clientKey} was already raised and attached to case ${r.caseId}`);
    }
    return { candidate: r.candidate, created: false };
  }

  /**
   * Raises a candidate, deduplicated when `merge` is given: the same class within `radiusM` of an open case becomes
   * that case's evidence; within `radiusM` of (or in the same grid cell as) a pending candidate whose time span, widened
   * by `windowS`, overlaps it, more evidence on that candidate (span widened, count + 1). One transaction; the same key
   * twice changes nothing.
   */
  async raise(c: NewCandidate, merge: MergePolicy | null): Promise<RaiseResult> {
    const ref = CLASS_REF.exec(c.classCode);
    if (!ref)
      throw new CaseError('InvalidInput', 'classCode must be 4 digits, optionally prefixed component: or event:');
    if (!(c.lon >= -180 && c.lon <= 180 && c.lat >= -90 && c.lat <= 90)) {
      throw new CaseError('InvalidInput', `(${c.lon}, ${c.lat}) is not a WGS-84 lon/lat`);
    }
    const classKind = (ref[2] ?? null) as ClassKind | null;
    const classCode = ref[3]!;
    const startAt = c.startAt ?? c.observedAt;
    const endAt = c.endAt ?? c.observedAt;
    if (endAt.getTime() < startAt.getTime()) throw new CaseError('InvalidInput', 'endAt is before startAt');
    const item = evidenceItem(c, startAt, endAt);
    return withTransaction(this.pool, async (client) => {
      // Raises of one class are serialized, so two drafts of the same problem arriving at once cannot both become new
      // candidates; the key lock makes a concurrent re-raise of the same key wait for the first.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1)), pg_advisory_xact_lock(hashtext($2))', [
        `candidate-class:${classCode}`,
        `candidate-key:${JSON.stringify([c.detectorId, c.clientKey])}`,
      ]);
      const seen = await client.query<{ candidateId: string | null; caseId: string | null }>(
        `SELECT candidate_id::text AS "candidateId", case_id::text AS "caseId" FROM candidate_keys
          WHERE detector_id = $1 AND client_key = $2`,
        [c.detectorId, c.clientKey],
      );
      if (seen.rows[0]) {
        const { candidateId, caseId } = seen.rows[0];
        const candidate = candidateId
          ? ((await client.query(`SELECT ${COLUMNS} FROM case_candidates WHERE id = $1`, [candidateId]))
              .rows[0] as Candidate)
          : null;
        return { outcome: 'repeated', candidate, caseId };
      }

      if (merge) {
        const radiusM = merge.radiusM ?? DEFAULT_MERGE_RADIUS_M;
        const windowS = merge.windowS ?? DEFAULT_MERGE_WINDOW_S;
        // Cases always know their kind; a bare code from an outside detector cannot name one safely.
        const [sameKindCase] = classKind
          ? await findDuplicates(
              client,
              { id: null, classKind, classCode, lon: c.lon, lat: c.lat, atMs: endAt.getTime() },
              // An open case is open whenever it was reported.
              { radiusM, days: 36_500, limit: 1 },
            )
          : [];
        if (sameKindCase) {
          await client.query(
            `INSERT INTO case_evidence (case_id, rule_id, draft_key, draft, at) VALUES ($1, $2, $3, $4, $5)`,
            [sameKindCase.id, c.ruleId ?? c.detectorId, c.clientKey, JSON.stringify(item), endAt],
          );
          await client.query(`INSERT INTO candidate_keys (detector_id, client_key, case_id) VALUES ($1, $2, $3)`, [
            c.detectorId,
            c.clientKey,
            sameKindCase.id,
          ]);
          return { outcome: 'attached', candidate: null, caseId: sameKindCase.id };
        }

        const dLat = radiusM / M_PER_DEG_LAT;
        const dLon = radiusM / (M_PER_DEG_LAT * Math.max(Math.cos((c.lat * Math.PI) / 180), 1e-6));
        const near = await client.query<{ id: string }>(
          `SELECT id::text AS id FROM (
             SELECT id, cell_code,
                    2 * $12::float8 * asin(sqrt(power(sin(radians(lat - $4) / 2), 2) +
                      cos(radians($4)) * cos(radians(lat)) * power(sin(radians(lon - $3) / 2), 2))) AS distance_m
               FROM case_candidates
              WHERE status = 'pending' AND class_code = $1 AND class_kind IS NOT DISTINCT FROM $2
                AND coalesce(start_at, observed_at) <= $9::timestamptz + make_interval(secs => $11)
                AND coalesce(end_at, observed_at) >= $8::timestamptz - make_interval(secs => $11)
                AND ((lon BETWEEN $3 - $5 AND $3 + $5 AND lat BETWEEN $4 - $6 AND $4 + $6)
                     OR ($7::text IS NOT NULL AND cell_code = $7))
           ) d WHERE distance_m <= $10 OR ($7::text IS NOT NULL AND cell_code = $7)
           ORDER BY distance_m, id LIMIT 1 FOR UPDATE`,
          [
            c.classCode,
            classKind,
            c.lon,
            c.lat,
            dLon,
            dLat,
            c.cellCode ?? null,
            startAt,
            endAt,
            radiusM,
            windowS,
            EARTH_RADIUS_M,
          ],
        );
        const merged = near.rows[0]
          ? await client.query(
              `UPDATE case_candidates
                SET merged_count = merged_count + 1, evidence_items = evidence_items || jsonb_build_array($2::jsonb),
                    start_at = least(coalesce(start_at, observed_at), $3), end_at = greatest(coalesce(end_at, observed_at), $4),
                    confidence = CASE WHEN confidence IS NULL THEN $5::float8 ELSE greatest(confidence, coalesce($5::float8, 0)) END
              WHERE id = $1 AND status = 'pending' RETURNING ${COLUMNS}`,
              [near.rows[0].id, JSON.stringify(item), startAt, endAt, c.confidence ?? null],
            )
          : null;
        // Decided meanwhile (the row lock waited for an acceptor): then this is a new candidate after all.
        const into = merged?.rows[0] as Candidate | undefined;
        if (into) {
          await client.query(`INSERT INTO candidate_keys (detector_id, client_key, candidate_id) VALUES ($1, $2, $3)`, [
            c.detectorId,
            c.clientKey,
            into.id,
          ]);
          return { outcome: 'merged', candidate: into, caseId: null };
        }
      }

      const inserted = await client.query(
        `INSERT INTO case_candidates (detector_id, client_key, class_code, lon, lat, observed_at, confidence, description,
                                      evidence, rule_id, rule_kind, class_kind, standard_id, cell_code, start_at, end_at,
                                      evidence_items)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, jsonb_build_array($17::jsonb))
         RETURNING ${COLUMNS}`,
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
          c.ruleId ?? null,
          c.ruleKind ?? null,
          classKind,
          c.standardId ?? null,
          c.cellCode ?? null,
          startAt,
          endAt,
          JSON.stringify(item),
        ],
      );
      const candidate = inserted.rows[0] as Candidate;
      await client.query(`INSERT INTO candidate_keys (detector_id, client_key, candidate_id) VALUES ($1, $2, $3)`, [
        c.detectorId,
        c.clientKey,
        candidate.id,
      ]);
      return { outcome: 'created', candidate, caseId: null };
    });
  }

  /**
   * The queue, newest observation first. `detector`: only candidates whose detector id starts with it — `video:` for
   * every camera's zones, `video:<cameraId>:` for one camera (video rules are named `video:<camera>:<zone>`).
   */
  async list(
    filter: { status?: CandidateStatus; detector?: string },
    page: { limit?: number; offset?: number },
  ): Promise<{ items: Candidate[]; total: number; limit: number; offset: number }> {
    const limit = Math.min(page.limit ?? 50, 200);
    const offset = page.offset ?? 0;
    const params: unknown[] = [];
    const where: string[] = [];
    if (filter.status) where.push(`status = $${params.push(filter.status)}`);
    // starts_with, not LIKE: camera ids may contain _, which LIKE would read as a wildcard.
    if (filter.detector) where.push(`starts_with(detector_id, $${params.push(filter.detector)})`);
    const cond = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM case_candidates ${cond}`, params);
    const { rows } = await this.pool.query(
      `SELECT ${COLUMNS} FROM case_candidates ${cond} ORDER BY observed_at DESC, id DESC
        LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, limit, offset],
    );
    return { items: rows as Candidate[], total: Number(total.rows[0]!.n), limit, offset };
  }

  /** One candidate, whatever its status. */
  async get(id: string): Promise<Candidate> {
    const { rows } = /^[0-9]{1,18}$/.test(id)
      ? await this.pool.query(`SELECT ${COLUMNS} FROM case_candidates WHERE id = $1`, [id])
      : { rows: [] };
    const c = rows[0] as Candidate | undefined;
    if (!c) throw new CaseError('CandidateNotFound', `there is no candidate ${id}`);
    return c;
  }

  private async lockPending(client: pg.PoolClient, id: string): Promise<Candidate> {
    const { rows } = /^[0-9]{1,18}$/.test(id)
      ? await client.query(`SELECT ${COLUMNS} FROM case_candidates WHERE id = $1 FOR UPDATE`, [id])
      : { rows: [] };
    return pending(id, rows[0] as Candidate | undefined);
  }

  /** 受理候选 the candidate becomes a report (source detector) carrying its evidence. */
  async acceptCandidate(
    id: string,
    actor: Actor,
    input: { note?: string | null; classCode?: string; standardId?: number } = {},
  ): Promise<{ candidate: Candidate; case: CaseView }> {
    if (!actor.roles.includes('acceptor'))
      throw new CaseError('Forbidden', 'accepting candidates needs the acceptor role');
    // The report's class first, through the pool, before the transaction takes its connection
    // (CaseService.insertReport); a candidate's class never changes once raised, so reading it unlocked is safe.
    const classCode = input.classCode ?? pending(id, await this.get(id)).classCode;
    const cls = await this.cases.reportClass({ classCode });
    const { change, candidate } = await withTransaction(this.pool, async (client) => {
      const c = await this.lockPending(client, id);
      const mediaIds = Array.isArray(c.evidence.mediaIds)
        ? c.evidence.mediaIds.filter((m): m is string => typeof m === 'string')
        : [];
      const { record, change } = await this.cases.insertReport(
        client,
        {
          source: 'detector',
          classCode,
          lon: c.lon,
          lat: c.lat,
          description: c.description,
          attachments: mediaIds,
          note: input.note ?? null,
        },
        cls,
        { id: actor.userId, name: actor.name, role: 'acceptor' },
        null,
        {
          candidateId: c.id,
          detectorId: c.detectorId,
          confidence: c.confidence,
          observedAt: c.observedAt,
          evidence: c.evidence,
          ruleId: c.ruleId,
          mergedCount: c.mergedCount,
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
    this.changed(candidate);
    // The situation the rule named (or the acceptor chose) accepts the case at once, so its time limit runs from here.
    // A situation that no longer fits the class (the standard was edited since) leaves the case reported, for the
    // acceptor to choose one; the candidate stays accepted: the detection was right either way.
    const standardId = input.standardId ?? candidate.standardId;
    if (standardId !== null && standardId !== undefined) {
      try {
        return { candidate, case: await this.cases.act(change.caseId, 'accept', actor, { standardId }) };
      } catch (err) {
        if (!(err instanceof CaseError && err.code === 'InvalidInput')) throw err;
      }
    }
    return { candidate, case: await this.cases.get(change.caseId, actor) };
  }

  /** 驳回候选 dismissed with a reason (a false detection, a duplicate, not our business …). */
  async dismissCandidate(id: string, actor: Actor, reason: string): Promise<Candidate> {
    if (!actor.roles.includes('acceptor'))
      throw new CaseError('Forbidden', 'dismissing candidates needs the acceptor role');
    if (!reason?.trim()) throw new CaseError('InvalidInput', 'a dismissal needs a reason (it measures the detector)');
    const candidate = await withTransaction(this.pool, async (client) => {
      await this.lockPending(client, id);
      const { rows } = await client.query(
        `UPDATE case_candidates SET status = 'dismissed', dismissal_reason = $2, decided_by = $3, decided_at = now()
          WHERE id = $1 RETURNING ${COLUMNS}`,
        [id, reason.trim(), actor.userId],
      );
      return rows[0] as Candidate;
    });
    this.changed(candidate);
    return candidate;
  }
}

/**
 * The queue's input for a rule's draft (a detection rule or a video rule): `detectorId` is the rule, `clientKey` the
 * draft's own key — the same fields from every detector, so a camera's no-parking candidate deduplicates against a
 * vehicle terminal's no-stopping one at the same place.
 */
export function newCandidateOf(d: CandidateDraft): NewCandidate {
  return {
    detectorId: d.ruleId,
    clientKey: d.key,
    classCode: d.classRef,
    lon: d.lon,
    lat: d.lat,
    observedAt: new Date(d.startMs),
    startAt: new Date(d.startMs),
    endAt: new Date(d.endMs),
    confidence: Math.min(1, Math.max(0, d.confidence)),
    description: d.description,
    evidence: d.evidence as Record<string, unknown>,
    ruleId: d.ruleId,
    ruleKind: d.ruleKind,
    standardId: d.standardId,
    cellCode: d.cell,
    deviceId: d.deviceId,
  };
}
