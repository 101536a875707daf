// 案件服务 the case service: takes reports, carries out the workflow's actions (hub/cases/workflow.ts) on the database —
// one transaction and one row lock per action, every action in the audit log — answers what a given user may see of a
// case (deadline and traffic light by the working calendar, masked phone, duplicate suggestions), and tells listeners
// of each change after it is committed. Knows no HTTP.
import type pg from 'pg';
import { withTransaction } from '../db/pool.js';
import {
  approvalsOf,
  getApproval,
  ledger,
  requestApproval,
  settleApproval,
  type Approval,
  type Ledger,
} from './approvals.js';
import { appendAudit, readAudit, type AuditEntry } from './audit.js';
import { findDuplicates, type DuplicateCandidate, type DuplicateOptions } from './duplicates.js';
import type {
  Actor,
  AreaCodes,
  Catalogue,
  CatalogueClass,
  ClassKind,
  ClassStandard,
  Geocoder,
  Responsibility,
  Role,
  TimeLimit,
  TrafficLight,
  WorkCalendar,
} from './ports.js';
import { TIME_LIMIT_UNITS } from './ports.js';
import { phoneFor } from './privacy.js';
import {
  allowedActions,
  plan,
  SOURCE_ROLES,
  OPEN_STATES,
  type ActionField,
  type ApprovalKind,
  type CaseFacts,
  type CaseSource,
  type CaseState,
} from './workflow.js';

/** Roles of the supervision centre: they see every case. Department users see their department's, collectors their own. */
export const CENTRE_ROLES: readonly Role[] = ['acceptor', 'shiftLeader', 'dispatcher', 'leader', 'admin', 'auditor'];

export const CASE_LIMITS = {
  description: 2000,
  note: 2000,
  address: 500,
  name: 100,
  phone: 32,
  attachments: 20,
  mediaId: 200,
  pageSize: 200,
} as const;

export interface CaseRecord {
  id: string;
  number: string;
  state: CaseState;
  version: number;
  source: CaseSource;
  classKind: ClassKind;
  /** 4 digits; with classKind it names the class (`${classKind}:${classCode}` for the catalogue). */
  classCode: string;
  description: string;
  address: string | null;
  lon: number;
  lat: number;
  /** null: the point lies outside every grid cell (the report is still taken). */
  area: AreaCodes | null;
  reporterId: string | null;
  reporterName: string | null;
  reporterPhone: string | null;
  attachments: string[];
  standardId: number | null;
  limit: TimeLimit | null;
  departmentId: string | null;
  responsibilityFallback: boolean;
  verifierId: string | null;
  reinspectorId: string | null;
  reportedAt: Date;
  acceptedAt: Date | null;
  filedAt: Date | null;
  dispatchedAt: Date | null;
  handledAt: Date | null;
  /** The last re-inspection's result (pass or fail). */
  reinspectedAt: Date | null;
  closedAt: Date | null;
  evaluatedAt: Date | null;
  handlingDeadline: Date | null;
  pausedAt: Date | null;
  pausedFrom: CaseState | null;
  supervised: boolean;
  reworkCount: number;
  returnCount: number;
  duplicateOf: string | null;
  rejectReason: string | null;
  evaluationScore: number | null;
  evaluationComment: string | null;
  pendingApprovalId: string | null;
  pendingApprovalKind: ApprovalKind | null;
  updatedAt: Date;
}

/** 处置时钟 the handling clock: it runs from dispatch to the handling feedback, stopped while postponed or parked. */
export interface HandlingClock {
  startedAt: Date;
  deadline: Date;
  limit: TimeLimit;
  /** The instant the light was computed for: now, or when the clock stopped. */
  measuredAt: Date;
  /** Elapsed share of the limit (1 = the deadline). */
  used: number;
  light: TrafficLight;
}

/** 环节时限 one step's clock (verify-and-file, dispatch, re-inspect), from the step limits the city configured. */
export interface StepClock {
  step: string;
  startedAt: Date;
  deadline: Date;
  /** When the step was done; null while it runs. */
  endedAt: Date | null;
  used: number;
  light: TrafficLight;
}

/** The light a map shows for a case, and when a running clock turns yellow and red (null: the clock stands still). */
export interface MapLight {
  /** `handling`, or the step whose clock it is (verifyAndFile, dispatch, reinspect). */
  clock: string;
  light: TrafficLight;
  yellowAt: Date | null;
  redAt: Date | null;
}

export interface CaseView extends CaseRecord {
  outsideGrid: boolean;
  allowedActions: string[];
  clock: HandlingClock | null;
  /** The steps begun so far; empty when no step limits are configured. */
  steps: StepClock[];
  pendingApproval: Approval | null;
  /** For an acceptor looking at a report: open cases of the same class nearby. */
  duplicates?: DuplicateCandidate[];
}

export interface NewReport {
  source: CaseSource;
  /** 0101, or component:0101 / event:0101 where the bare code is both a component and an event. */
  classCode: string;
  /** Alternatively the kind on its own, with a bare classCode. */
  classKind?: ClassKind;
  lon: number;
  lat: number;
  description?: string;
  address?: string | null;
  reporterName?: string | null;
  reporterPhone?: string | null;
  /** Media ids (photos). */
  attachments?: string[];
  note?: string | null;
  /** The id the reporting client made for this report: sending it again returns the case it became (no second case). */
  reportId?: string;
}

/** A client report id: 8–100 letters, digits and `._:-` (a UUID fits). */
export const REPORT_ID_PATTERN = /^[A-Za-z0-9._:-]{8,100}$/;

export interface ActionInput {
  note?: string | null;
  attachments?: string[];
  reason?: string;
  collectorId?: string;
  standardId?: number;
  classCode?: string;
  duplicateOf?: string;
  departmentId?: string;
  score?: number;
  supervised?: boolean;
  limit?: TimeLimit;
}

export interface CaseFilter {
  state?: CaseState[];
  departmentId?: string;
  classCode?: string;
  classKind?: ClassKind;
  source?: CaseSource;
  supervised?: boolean;
  /** Handling deadline passed while the clock runs (dispatched or handling). */
  overdue?: boolean;
  /** west, south, east, north (WGS-84). */
  bbox?: [number, number, number, number];
  /** Waiting for a decision on an exception of one of these kinds (the approvals a role's queue shows). */
  pendingApproval?: ApprovalKind[];
}

export interface CasePage {
  items: CaseView[];
  total: number;
  limit: number;
  offset: number;
}

export interface CaseChange {
  caseId: string;
  number: string;
  action: string;
  fromState: CaseState | null;
  toState: CaseState;
  at: Date;
  departmentId: string | null;
  /** The case after the change (internal listeners project what they pass on: the live map never sees the phone). */
  record: CaseRecord;
}

export type CaseErrorCode =
  'CaseNotFound' | 'InvalidInput' | 'VersionConflict' | 'Forbidden' | 'CandidateNotFound' | 'CandidateDecided';

export class CaseError extends Error {
  override readonly name = 'CaseError';
  constructor(
    readonly code: CaseErrorCode,
    message: string,
    readonly allowedActions: string[] = [],
  ) {
    super(message);
  }
}

/** What an action needed from the catalogue, looked up before its transaction (CaseService.catalogueFor). */
interface ActionCatalogue {
  /** accept: the class `classCode` names, or why it names none; absent when the action names no class. */
  cls?: CatalogueClass | CaseError;
  /** accept: the situation `standardId` names; null when there is none. */
  standard?: ClassStandard | null;
}

/** A situation that is not one of the case's class: turned into a CaseError naming the right ones after rollback. */
class StandardMismatch extends Error {
  constructor(
    readonly ref: string,
    readonly standardId: number | undefined,
  ) {
    super(`standard situation ${standardId} is not one of class ${ref}`);
  }
}

/** Who is written into the audit log. Reports through Open311 have no user: they are recorded as `public`. */
export interface Recorder {
  id: string;
  name: string;
  role: string;
}

export interface CaseServiceDeps {
  pool: pg.Pool;
  catalogue: Catalogue;
  geocoder: Geocoder;
  responsibility: Responsibility;
  calendar: WorkCalendar;
  /** The city's time zone: case numbers count per local day, the ledger per local month. Default Asia/Shanghai. */
  timeZone?: string;
  duplicates?: DuplicateOptions;
  /** 环节时限 the step limits (hub/cases/step-limits.ts `loadStepLimits`), read once per request; none: no step clocks. */
  stepLimits?: () => Promise<readonly { step: string; limit: TimeLimit }[]>;
  /** Injected clock for tests; default Date.now. */
  now?: () => number;
  /** Where a listener's exception goes (it must not undo a committed action); default console.error. */
  onListenerError?: (err: unknown) => void;
}

const SELECT_CASE = `SELECT c.*, c.id::text AS id_text, c.duplicate_of::text AS duplicate_of_text,
  c.pending_approval_id::text AS pending_id_text, a.kind AS pending_kind
  FROM cases c LEFT JOIN case_approvals a ON a.id = c.pending_approval_id`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a pg row, typed by the SELECT above
function toRecord(r: Record<string, any>): CaseRecord {
  return {
    id: r.id_text,
    number: r.number,
    state: r.state,
    version: r.version,
    source: r.source,
    classKind: r.class_kind,
    classCode: r.class_code,
    description: r.description,
    address: r.address,
    lon: r.lon,
    lat: r.lat,
    area:
      r.cell_code === null
        ? null
        : { cell: r.cell_code, community: r.community_code, street: r.street_code, district: r.district_code },
    reporterId: r.reporter_id,
    reporterName: r.reporter_name,
    reporterPhone: r.reporter_phone,
    attachments: r.attachments,
    standardId: r.standard_id,
    limit: r.limit_value === null ? null : { value: r.limit_value, unit: r.limit_unit },
    departmentId: r.department_id,
    responsibilityFallback: r.responsibility_fallback,
    verifierId: r.verifier_id,
    reinspectorId: r.reinspector_id,
    reportedAt: r.reported_at,
    acceptedAt: r.accepted_at,
    filedAt: r.filed_at,
    dispatchedAt: r.dispatched_at,
    handledAt: r.handled_at,
    reinspectedAt: r.reinspected_at,
    closedAt: r.closed_at,
    evaluatedAt: r.evaluated_at,
    handlingDeadline: r.handling_deadline,
    pausedAt: r.paused_at,
    pausedFrom: r.paused_from,
    supervised: r.supervised,
    reworkCount: r.rework_count,
    returnCount: r.return_count,
    duplicateOf: r.duplicate_of_text,
    rejectReason: r.reject_reason,
    evaluationScore: r.evaluation_score,
    evaluationComment: r.evaluation_comment,
    pendingApprovalId: r.pending_id_text,
    pendingApprovalKind: r.pending_kind ?? null,
    updatedAt: r.updated_at,
  };
}

function facts(c: CaseRecord): CaseFacts {
  return {
    state: c.state,
    departmentId: c.departmentId,
    verifierId: c.verifierId,
    reinspectorId: c.reinspectorId,
    pendingApproval: c.pendingApprovalKind,
  };
}

/** Whether the actor may see the case at all (others get 404, as if it did not exist). */
export function canSee(actor: Actor, c: CaseRecord): boolean {
  if (actor.roles.some((r) => CENTRE_ROLES.includes(r))) return true;
  if (actor.roles.includes('department') && actor.departmentId !== null && c.departmentId === actor.departmentId) {
    return true;
  }
  if (actor.roles.includes('collector')) {
    return [c.reporterId, c.verifierId, c.reinspectorId].includes(actor.userId);
  }
  return false;
}

const CLOCK_STOPPED_AT_HANDLING: readonly CaseState[] = [
  'handled',
  'reinspecting',
  'reinspected',
  'closed',
  'evaluated',
];

function isLimit(v: unknown): v is TimeLimit {
  const l = v as TimeLimit;
  return (
    typeof l === 'object' &&
    l !== null &&
    typeof l.value === 'number' &&
    l.value > 0 &&
    Number.isFinite(l.value) &&
    (TIME_LIMIT_UNITS as readonly string[]).includes(l.unit)
  );
}

type Patch = Record<string, unknown>;

export class CaseService {
  private readonly pool: pg.Pool;
  private readonly listeners = new Set<(change: CaseChange) => void>();
  readonly timeZone: string;
  private readonly now: () => number;

  constructor(private deps: CaseServiceDeps) {
    this.pool = deps.pool;
    this.timeZone = deps.timeZone ?? 'Asia/Shanghai';
    this.now = deps.now ?? Date.now;
  }

  /** A new working calendar (an admin edited it): deadlines computed from now on use it; stored ones stay. */
  setCalendar(calendar: WorkCalendar): void {
    this.deps = { ...this.deps, calendar };
  }

  /** Called after each committed change; returns the unsubscribe function. */
  onChange(listener: (change: CaseChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** For the modules that commit changes of their own (candidates). */
  emit(change: CaseChange): void {
    for (const l of this.listeners) {
      try {
        l(change);
      } catch (err) {
        (this.deps.onListenerError ?? console.error)(err);
      }
    }
  }

  /** 上报 a report by a logged-in user; the source must be one the user's roles may report from. */
  async report(input: NewReport, actor: Actor): Promise<CaseView> {
    return (await this.submitReport(input, actor)).case;
  }

  /**
   * 上报, idempotent by the client's report id: the first send makes the case (`created`); a resend with the same
   * `reportId` by the same user (the answer was lost, the handheld went offline) returns that case and makes nothing.
   */
  async submitReport(input: NewReport, actor: Actor): Promise<{ case: CaseView; created: boolean }> {
    if (input.source === 'detector') {
      throw new CaseError(
        'InvalidInput',
        'detector reports arrive as candidates: accept one (POST /api/candidates/{id}/accept)',
      );
    }
    const role = SOURCE_ROLES[input.source].find((r) => actor.roles.includes(r));
    if (!role) {
      throw new CaseError(
        'Forbidden',
        `reports from source ${input.source} are entered by ${SOURCE_ROLES[input.source].join(', ')}`,
      );
    }
    const { reportId } = input;
    if (reportId !== undefined && !REPORT_ID_PATTERN.test(reportId)) {
      throw new CaseError('InvalidInput', 'reportId must be 8–100 letters, digits and ._:- (e.g. a UUID)');
    }
    const cls = await this.reportClass(input); // before the transaction: insertReport says why
    const { record, change } = await withTransaction(this.pool, async (client) => {
      if (reportId !== undefined) {
        // Claimed before the case is made: a concurrent resend waits on this row, then finds the case.
        const claim = await client.query(
          'INSERT INTO case_report_ids (reporter_id, report_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
          [actor.userId, reportId],
        );
        if (claim.rowCount === 0) {
          const { rows } = await client.query<{ case_id: string }>(
            'SELECT case_id::text AS case_id FROM case_report_ids WHERE reporter_id = $1 AND report_id = $2',
            [actor.userId, reportId],
          );
          const existing = await this.load(client, rows[0]!.case_id, false);
          return { record: existing!, change: null };
        }
      }
      const made = await this.insertReport(
        client,
        input,
        cls,
        { id: actor.userId, name: actor.name, role },
        actor.userId,
        reportId !== undefined ? { reportId } : {},
      );
      if (reportId !== undefined) {
        await client.query('UPDATE case_report_ids SET case_id = $3 WHERE reporter_id = $1 AND report_id = $2', [
          actor.userId,
          reportId,
          made.record.id,
        ]);
      }
      return made;
    });
    if (change) this.emit(change);
    return { case: await this.view(record, actor), created: change !== null };
  }

  /**
   * 公众上报 a report from the public without a user (Open311): recorded with the channel as its actor (role
   * `public`). A channel named after the 12319 hotline (its name contains `hotline`) gives the source hotline.
   */
  async reportPublic(input: Omit<NewReport, 'source'>, channel = 'open311'): Promise<CaseRecord> {
    const source: CaseSource = /hotline/i.test(channel) ? 'hotline' : 'public';
    const report = { ...input, source };
    const cls = await this.reportClass(report);
    const { record, change } = await withTransaction(this.pool, (client) =>
      this.insertReport(client, report, cls, { id: channel, name: channel, role: 'public' }, null, {}),
    );
    this.emit(change);
    return record;
  }

  /**
   * Inserts a report inside the caller's transaction (the MQTT report intake and candidates use it); the caller emits
   * the change after commit. `cls` is `reportClass(input)`, looked up by the caller BEFORE it took `client`: the
   * catalogue reads through the pool, and transactions that each hold a connection while waiting for another starve
   * the pool as soon as more reports arrive at once than it has connections.
   */
  async insertReport(
    client: pg.PoolClient,
    input: NewReport,
    cls: CatalogueClass,
    who: Recorder,
    reporterId: string | null,
    data: Record<string, unknown>,
  ): Promise<{ record: CaseRecord; change: CaseChange }> {
    const at = new Date(this.now());
    const area = this.deps.geocoder.locate(input.lon, input.lat);
    const { rows: num } = await client.query<{ number: string }>(
      `INSERT INTO case_number_days (day, last) VALUES (($1::timestamptz AT TIME ZONE $2)::date, 1)
       ON CONFLICT (day) DO UPDATE SET last = case_number_days.last + 1
       RETURNING to_char(day, 'YYYYMMDD') || '-' || CASE WHEN last < 10000 THEN lpad(last::text, 4, '0') ELSE last::text END AS number`,
      [at, this.timeZone],
    );
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO cases (number, state, source, class_code, description, address, lon, lat, cell_code, community_code,
                          street_code, district_code, reporter_id, reporter_name, reporter_phone, attachments,
                          reported_at, updated_at, class_kind)
       VALUES ($1, 'reported', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16, $17)
       RETURNING id::text AS id`,
      [
        num[0]!.number,
        input.source,
        cls.code,
        input.description ?? '',
        input.address ?? null,
        input.lon,
        input.lat,
        area?.cell ?? null,
        area?.community ?? null,
        area?.street ?? null,
        area?.district ?? null,
        reporterId,
        input.reporterName ?? null,
        input.reporterPhone ?? null,
        input.attachments ?? [],
        at,
        cls.kind,
      ],
    );
    const id = rows[0]!.id;
    await appendAudit(client, {
      caseId: id,
      at,
      actorId: who.id,
      actorName: who.name,
      actorRole: who.role,
      action: 'report',
      fromState: null,
      toState: 'reported',
      note: input.note ?? null,
      attachments: input.attachments ?? [],
      data: { source: input.source, classKind: cls.kind, classCode: cls.code, outsideGrid: area === null, ...data },
    });
    const record = (await this.load(client, id, false))!;
    return {
      record,
      change: {
        caseId: id,
        number: record.number,
        action: 'report',
        fromState: null,
        toState: 'reported',
        at,
        departmentId: null,
        record,
      },
    };
  }

  /**
   * Carries out one action of the table. The case row is locked for the whole transaction, so of two concurrent
   * actions the second sees the first's result and is judged against the new state. `expectedVersion` (If-Match)
   * refuses to act on a case that changed since the client read it.
   */
  async act(
    caseId: string,
    action: string,
    actor: Actor,
    input: ActionInput,
    expectedVersion?: number,
  ): Promise<CaseView> {
    const looked = await this.catalogueFor(action, input);
    const { record, change } = await withTransaction(this.pool, (client) =>
      this.actWithin(client, caseId, action, actor, input, expectedVersion, looked),
    ).catch(async (err: unknown) => {
      if (err instanceof StandardMismatch) throw await this.standardMismatchError(err);
      // The department, the verifier and the re-inspector must exist (foreign keys of migration 010).
      if ((err as { code?: string }).code === '23503') {
        const which = String((err as { constraint?: string }).constraint ?? '');
        const field = which.includes('department') ? 'departmentId' : 'collectorId';
        throw new CaseError(
          'InvalidInput',
          `${field}: there is no such ${field === 'departmentId' ? 'department' : 'user'}`,
        );
      }
      throw err;
    });
    this.emit(change);
    return this.view(record, actor);
  }

  private async actWithin(
    client: pg.PoolClient,
    caseId: string,
    action: string,
    actor: Actor,
    input: ActionInput,
    expectedVersion: number | undefined,
    looked: ActionCatalogue,
  ): Promise<{ record: CaseRecord; change: CaseChange }> {
    const c = await this.load(client, caseId, true);
    if (!c || !canSee(actor, c)) throw new CaseError('CaseNotFound', `there is no case ${caseId} you may see`);
    if (expectedVersion !== undefined && expectedVersion !== c.version) {
      throw new CaseError(
        'VersionConflict',
        `the case changed since you read it (version ${expectedVersion}, now ${c.version}, ${c.state}); reload it`,
        allowedActions(facts(c), actor),
      );
    }
    const p = plan(facts(c), action, actor, input as Partial<Record<ActionField, unknown>>, c.pausedFrom);
    const at = new Date(this.now());
    const who = { id: actor.userId, name: actor.name };
    const patch: Patch = {};
    const data: Record<string, unknown> = input.reason ? { reason: input.reason } : {};
    await this.applyEffects(client, c, action, input, looked, at, patch, data);

    if (p.row.requests) {
      const limit = p.row.requests === 'extend' ? (input.limit as TimeLimit) : null;
      const approval = await requestApproval(client, {
        caseId,
        kind: p.row.requests,
        by: who,
        at,
        reason: input.reason!,
        limit,
      });
      patch.pending_approval_id = approval.id;
      data.approvalId = approval.id;
    } else if (p.row.decides && c.pendingApprovalId) {
      await settleApproval(
        client,
        c.pendingApprovalId,
        p.row.decides.approved ? 'approved' : 'denied',
        who,
        at,
        input.note ?? null,
      );
      patch.pending_approval_id = null;
      data.approvalId = c.pendingApprovalId;
    } else if (p.toState !== c.state && c.pendingApprovalId) {
      // The case moved on (e.g. was handled) before anybody decided: the request no longer means anything.
      await settleApproval(client, c.pendingApprovalId, 'withdrawn', who, at, `withdrawn by ${action}`);
      patch.pending_approval_id = null;
      data.withdrawnApprovalId = c.pendingApprovalId;
    }

    patch.state = p.toState;
    const columns = Object.keys(patch);
    await client.query(
      `UPDATE cases SET ${columns.map((k, i) => `${k} = $${i + 2}`).join(', ')}, version = version + 1,
                updated_at = $${columns.length + 2} WHERE id = $1`,
      [caseId, ...columns.map((k) => patch[k]), at],
    );
    await appendAudit(client, {
      caseId,
      at,
      actorId: actor.userId,
      actorName: actor.name,
      actorRole: p.role,
      action,
      fromState: c.state,
      toState: p.toState,
      note: input.note ?? input.reason ?? null,
      attachments: input.attachments ?? [],
      data,
    });
    const record = (await this.load(client, caseId, false))!;
    return {
      record,
      change: {
        caseId,
        number: c.number,
        action,
        fromState: c.state,
        toState: p.toState,
        at,
        departmentId: record.departmentId ?? c.departmentId,
        record,
      } satisfies CaseChange,
    };
  }

  /** The action-specific changes (the `effects` column of the table), as column updates and audit data. */
  private async applyEffects(
    client: pg.PoolClient,
    c: CaseRecord,
    action: string,
    input: ActionInput,
    looked: ActionCatalogue,
    at: Date,
    patch: Patch,
    data: Record<string, unknown>,
  ): Promise<void> {
    const { calendar, responsibility } = this.deps;
    switch (action) {
      case 'requestVerify':
        await this.checkCollector(client, input.collectorId!);
        patch.verifier_id = input.collectorId;
        data.collectorId = input.collectorId;
        break;
      case 'accept': {
        if (looked.cls instanceof CaseError) throw looked.cls;
        const cls = looked.cls ?? { kind: c.classKind, code: c.classCode };
        const ref = `${cls.kind}:${cls.code}`;
        const standard = looked.standard ?? null;
        const standardKind = (standard as { kind?: ClassKind } | null)?.kind;
        if (!standard || standard.classCode !== cls.code || (standardKind && standardKind !== cls.kind)) {
          throw new StandardMismatch(ref, input.standardId);
        }
        if (!standard.limit) {
          throw new CaseError(
            'InvalidInput',
            `situation ${standard.id} has no parseable time limit ("${standard.limitText}"); fix the standard or choose another situation`,
          );
        }
        Object.assign(patch, {
          class_kind: cls.kind,
          class_code: cls.code,
          standard_id: standard.id,
          limit_value: standard.limit.value,
          limit_unit: standard.limit.unit,
          accepted_at: at,
        });
        Object.assign(data, {
          classKind: cls.kind,
          classCode: cls.code,
          standardId: standard.id,
          limit: standard.limit,
        });
        break;
      }
      case 'reject':
        patch.reject_reason = input.reason;
        break;
      case 'merge': {
        const target = input.duplicateOf === c.id ? null : await this.load(client, input.duplicateOf!, false);
        if (!target || !OPEN_STATES.includes(target.state) || target.id === c.id) {
          throw new CaseError('InvalidInput', `case ${input.duplicateOf} is not another open case to merge into`);
        }
        patch.duplicate_of = target.id;
        patch.reject_reason = `duplicate of ${target.number}`;
        Object.assign(data, { duplicateOf: target.id, duplicateNumber: target.number });
        break;
      }
      case 'file':
        patch.filed_at = at;
        break;
      case 'dispatch': {
        let departmentId = input.departmentId ?? null;
        let fallback = false;
        if (!departmentId) {
          if (!c.area) {
            throw new CaseError('InvalidInput', 'the case lies outside the grid: name the department (departmentId)');
          }
          const resolved = await responsibility.resolve(`${c.classKind}:${c.classCode}`, c.area);
          if (!resolved) {
            throw new CaseError(
              'InvalidInput',
              `no responsibility rule covers class ${c.classKind}:${c.classCode} at cell ${c.area.cell}: name the department (departmentId)`,
            );
          }
          departmentId = resolved.departmentId;
          fallback = resolved.fallback;
        }
        // The handling clock starts at dispatch: a re-dispatch after a return starts a fresh one for the new
        // department (the wrong department's time is not held against the right one).
        const deadline = new Date(calendar.deadline(at.getTime(), c.limit!));
        Object.assign(patch, {
          department_id: departmentId,
          responsibility_fallback: fallback,
          dispatched_at: at,
          handling_deadline: deadline,
        });
        Object.assign(data, { departmentId, fallback, overridden: input.departmentId !== undefined, deadline });
        break;
      }
      case 'approveReturn':
        Object.assign(patch, {
          department_id: null,
          responsibility_fallback: false,
          dispatched_at: null,
          handling_deadline: null,
          return_count: c.returnCount + 1,
        });
        data.returnedFrom = c.departmentId;
        break;
      case 'handle':
        patch.handled_at = at;
        patch.reinspected_at = null;
        break;
      case 'assignReinspect': {
        const collectorId = input.collectorId ?? (c.source === 'collector' ? c.reporterId : null);
        if (!collectorId) {
          throw new CaseError(
            'InvalidInput',
            'the case was not reported by a collector: name the collector (collectorId)',
          );
        }
        await this.checkCollector(client, collectorId);
        patch.reinspector_id = collectorId;
        data.collectorId = collectorId;
        break;
      }
      case 'reinspectPass':
        patch.reinspected_at = at;
        break;
      case 'reinspectFail':
        patch.rework_count = c.reworkCount + 1;
        patch.handled_at = null;
        patch.reinspected_at = at;
        data.rework = c.reworkCount + 1;
        break;
      case 'close':
        patch.closed_at = at;
        break;
      case 'evaluate':
        if (!Number.isInteger(input.score) || input.score! < 0 || input.score! > 100) {
          throw new CaseError('InvalidInput', 'score must be an integer from 0 to 100');
        }
        Object.assign(patch, {
          evaluated_at: at,
          evaluation_score: input.score,
          evaluation_comment: input.note ?? null,
        });
        data.score = input.score;
        break;
      case 'supervise':
        patch.supervised = input.supervised;
        data.supervised = input.supervised;
        break;
      case 'requestExtension':
        if (!isLimit(input.limit)) {
          throw new CaseError('InvalidInput', `limit must be { value > 0, unit: ${TIME_LIMIT_UNITS.join(' | ')} }`);
        }
        data.limit = input.limit;
        break;
      case 'approveExtension': {
        const approval = await getApproval(client, c.pendingApprovalId!);
        const deadline = new Date(calendar.deadline(c.handlingDeadline!.getTime(), approval!.requestedLimit!));
        patch.handling_deadline = deadline;
        Object.assign(data, { previousDeadline: c.handlingDeadline, deadline, limit: approval!.requestedLimit });
        break;
      }
      case 'approvePostpone':
      case 'approvePark':
        patch.paused_at = at;
        patch.paused_from = c.state;
        break;
      case 'resume': {
        // The paused time is given back: the deadline moves by the working time (continuous time for urgent limits)
        // that passed while the clock stood still.
        const unit = c.limit?.unit === 'urgentHours' ? 'urgentHours' : 'workHours';
        let deadline = c.handlingDeadline;
        if (deadline && c.pausedAt) {
          const pausedHours = calendar.elapsed(c.pausedAt.getTime(), at.getTime(), unit);
          if (pausedHours > 0) deadline = new Date(calendar.deadline(deadline.getTime(), { value: pausedHours, unit }));
        }
        Object.assign(patch, { paused_at: null, paused_from: null, handling_deadline: deadline });
        Object.assign(data, { previousDeadline: c.handlingDeadline, deadline, pausedSince: c.pausedAt });
        break;
      }
      default:
        break;
    }
  }

  /**
   * What an action reads from the catalogue (accept: the class named and the situation chosen), read BEFORE the
   * transaction takes its connection, for the reason insertReport gives. A lookup's error waits in the result: the
   * transaction judges the action (role, state, fields) first, as it always has.
   */
  private async catalogueFor(action: string, input: ActionInput): Promise<ActionCatalogue> {
    if (action !== 'accept') return {};
    const cls = input.classCode
      ? await this.classOf(input.classCode).catch((err: unknown) => {
          if (err instanceof CaseError) return err;
          throw err;
        })
      : undefined;
    const standard =
      typeof input.standardId === 'number' ? await this.deps.catalogue.standardById(input.standardId) : null;
    return { ...(cls !== undefined ? { cls } : {}), standard };
  }

  /** The error for a situation that is not one of the class, naming the ones that are (after the transaction). */
  private async standardMismatchError(e: StandardMismatch): Promise<CaseError> {
    const options = (await this.deps.catalogue.standardsFor(e.ref)).map((s) => s.id);
    return new CaseError(
      'InvalidInput',
      `standard situation ${e.standardId} is not one of class ${e.ref}` +
        (options.length ? `; choose one of ${options.join(', ')}` : '; the class has no situations in the standard'),
    );
  }

  /**
   * The catalogue class a report names; an unknown or ambiguous one is refused (CaseError InvalidInput). Reads through
   * the pool: call it before taking a transaction's connection (insertReport).
   */
  reportClass(input: Pick<NewReport, 'classCode' | 'classKind'>): Promise<CatalogueClass> {
    return this.classOf(
      input.classKind && /^[0-9]{4}$/.test(input.classCode) ? `${input.classKind}:${input.classCode}` : input.classCode,
    );
  }

  /** Verification and re-inspection go to an enabled collector (the users of hub/auth). */
  private async checkCollector(client: pg.PoolClient, userId: string): Promise<void> {
    const { rows } = await client.query<{ collector: boolean; enabled: boolean }>(
      `SELECT 'collector' = ANY (roles) AS collector, enabled FROM users WHERE id = $1`,
      [userId],
    );
    if (!rows[0]?.collector || !rows[0].enabled) {
      throw new CaseError('InvalidInput', `collectorId: ${userId} is not an enabled user with the role collector`);
    }
  }

  /** The catalogue's class for a reference; an unknown or ambiguous one is the caller's mistake. */
  private async classOf(ref: string): Promise<CatalogueClass> {
    let cls: CatalogueClass | null;
    try {
      cls = await this.deps.catalogue.classByCode(ref);
    } catch (err) {
      // e.g. AmbiguousClass: 0101 is both a component and an event.
      throw new CaseError('InvalidInput', (err as Error).message);
    }
    if (!cls) throw new CaseError('InvalidInput', `class ${ref} is not in the catalogue`);
    return cls;
  }

  private async load(db: Pick<pg.PoolClient, 'query'>, id: string, lock: boolean): Promise<CaseRecord | null> {
    if (!/^[0-9]{1,18}$/.test(id)) return null;
    const { rows } = await db.query(`${SELECT_CASE} WHERE c.id = $1${lock ? ' FOR UPDATE OF c' : ''}`, [id]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** The handling clock at `now` (or where it stopped), or null before dispatch. */
  clockOf(c: CaseRecord): HandlingClock | null {
    if (!c.dispatchedAt || !c.handlingDeadline || !c.limit) return null;
    if (c.state === 'voided' || c.state === 'rejected') return null;
    const measuredAt =
      c.pausedAt ?? (CLOCK_STOPPED_AT_HANDLING.includes(c.state) && c.handledAt ? c.handledAt : new Date(this.now()));
    return {
      startedAt: c.dispatchedAt,
      deadline: c.handlingDeadline,
      limit: c.limit,
      measuredAt,
      ...this.measure(c.dispatchedAt, c.handlingDeadline, measuredAt, c.limit.unit),
    };
  }

  /** 红绿灯 green up to 80 % of the limit's time used, yellow up to 100 %, red once the deadline has passed. */
  private measure(
    start: Date,
    deadline: Date,
    at: Date,
    unit: TimeLimit['unit'],
  ): { used: number; light: TrafficLight } {
    const { calendar } = this.deps;
    const total = calendar.elapsed(start.getTime(), deadline.getTime(), unit);
    const spent = calendar.elapsed(start.getTime(), at.getTime(), unit);
    const used = total > 0 ? spent / total : at > deadline ? Infinity : 0;
    const light: TrafficLight = at.getTime() > deadline.getTime() ? 'red' : used <= 0.8 ? 'green' : 'yellow';
    return { used: Number.isFinite(used) ? Math.round(used * 1000) / 1000 : 999, light };
  }

  /**
   * The step clocks begun so far: verify-and-file from the report to filing, dispatch from filing to dispatch,
   * re-inspection from the feedback to the re-inspection's result. A step of a rejected or voided case that never
   * ended is left out (nobody is late on a case that no longer exists).
   */
  stepsOf(c: CaseRecord, limits: readonly { step: string; limit: TimeLimit }[]): StepClock[] {
    const gone = c.state === 'rejected' || c.state === 'voided';
    const spans: [string, Date | null, Date | null][] = [
      ['verifyAndFile', c.reportedAt, c.filedAt],
      // After a return the case is filed again; the step is still counted from the first filing.
      ['dispatch', c.filedAt, c.dispatchedAt],
      ['reinspect', c.handledAt, c.reinspectedAt],
    ];
    const out: StepClock[] = [];
    for (const [step, start, end] of spans) {
      const limit = limits.find((l) => l.step === step)?.limit;
      if (!limit || !start || (gone && !end)) continue;
      const deadline = new Date(this.deps.calendar.deadline(start.getTime(), limit));
      out.push({
        step,
        startedAt: start,
        deadline,
        endedAt: end,
        ...this.measure(start, deadline, end ?? new Date(this.now()), limit.unit),
      });
    }
    return out;
  }

  /**
   * 地图红绿灯 the light a map colours a case by: the clock running now — the handling clock once dispatched, else the
   * running step (verify-and-file, dispatch, re-inspection) — with the instants it turns yellow and red, so a browser
   * can recolour it as time passes without asking again. A stopped clock (postponed, parked, handled) keeps its light
   * and has no such instants. null: no clock has started (no limits configured, or none applies yet).
   */
  mapLight(c: CaseRecord, limits: readonly { step: string; limit: TimeLimit }[]): MapLight | null {
    const now = this.now();
    const handling = this.clockOf(c);
    const steps = this.stepsOf(c, limits);
    const runningStep = steps.findLast((s) => s.endedAt === null);
    const handlingRuns = handling !== null && handling.measuredAt.getTime() >= now;
    const { calendar } = this.deps;
    const turning = (start: Date, deadline: Date, unit: TimeLimit['unit']) => {
      const total = calendar.elapsed(start.getTime(), deadline.getTime(), unit);
      return { yellowAt: new Date(calendar.deadline(start.getTime(), { value: 0.8 * total, unit })), redAt: deadline };
    };
    if (handling && (handlingRuns || !runningStep)) {
      return {
        clock: 'handling',
        light: handling.light,
        ...(handlingRuns
          ? turning(handling.startedAt, handling.deadline, handling.limit.unit)
          : { yellowAt: null, redAt: null }),
      };
    }
    if (runningStep) {
      const unit = limits.find((l) => l.step === runningStep.step)!.limit.unit;
      return {
        clock: runningStep.step,
        light: runningStep.light,
        ...turning(runningStep.startedAt, runningStep.deadline, unit),
      };
    }
    const last = steps.at(-1);
    return last ? { clock: last.step, light: last.light, yellowAt: null, redAt: null } : null;
  }

  /** Open cases, most recently changed first (the live map's snapshot). */
  async openRecords(limit: number): Promise<CaseRecord[]> {
    const { rows } = await this.pool.query(
      `${SELECT_CASE} WHERE c.state = ANY($1) ORDER BY c.updated_at DESC LIMIT $2`,
      [OPEN_STATES, limit],
    );
    return rows.map(toRecord);
  }

  private loadStepLimits(): Promise<readonly { step: string; limit: TimeLimit }[]> {
    return this.deps.stepLimits ? this.deps.stepLimits() : Promise.resolve([]);
  }

  private async view(
    c: CaseRecord,
    actor: Actor,
    withDuplicates = false,
    limits?: readonly { step: string; limit: TimeLimit }[],
  ): Promise<CaseView> {
    const view: CaseView = {
      ...c,
      reporterPhone: phoneFor(actor, c.reporterPhone),
      outsideGrid: c.area === null,
      allowedActions: allowedActions(facts(c), actor),
      clock: this.clockOf(c),
      steps: this.stepsOf(c, limits ?? (await this.loadStepLimits())),
      pendingApproval: c.pendingApprovalId ? await getApproval(this.pool, c.pendingApprovalId) : null,
    };
    if (withDuplicates && c.state === 'reported' && actor.roles.includes('acceptor')) {
      view.duplicates = await this.duplicatesOf(c);
    }
    return view;
  }

  duplicatesOf(c: CaseRecord): Promise<DuplicateCandidate[]> {
    return findDuplicates(
      this.pool,
      {
        id: c.id,
        classKind: c.classKind,
        classCode: c.classCode,
        lon: c.lon,
        lat: c.lat,
        atMs: c.reportedAt.getTime(),
      },
      this.deps.duplicates,
    );
  }

  /** One case as this actor may see it (404 for a case outside their view); acceptors get duplicate suggestions. */
  async get(caseId: string, actor: Actor): Promise<CaseView> {
    const c = await this.load(this.pool, caseId, false);
    if (!c || !canSee(actor, c)) throw new CaseError('CaseNotFound', `there is no case ${caseId} you may see`);
    return this.view(c, actor, true);
  }

  async history(caseId: string, actor: Actor): Promise<{ events: AuditEntry[]; approvals: Approval[] }> {
    const c = await this.load(this.pool, caseId, false);
    if (!c || !canSee(actor, c)) throw new CaseError('CaseNotFound', `there is no case ${caseId} you may see`);
    return { events: await readAudit(this.pool, caseId), approvals: await approvalsOf(this.pool, caseId) };
  }

  /** Cases this actor may see, newest first. */
  async list(filter: CaseFilter, page: { limit?: number; offset?: number }, actor: Actor): Promise<CasePage> {
    const where: string[] = [];
    const params: unknown[] = [];
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    if (!actor.roles.some((r) => CENTRE_ROLES.includes(r))) {
      const own: string[] = [];
      if (actor.roles.includes('department') && actor.departmentId)
        own.push(`c.department_id = ${p(actor.departmentId)}`);
      if (actor.roles.includes('collector')) {
        const me = p(actor.userId);
        own.push(`(c.reporter_id = ${me} OR c.verifier_id = ${me} OR c.reinspector_id = ${me})`);
      }
      where.push(own.length ? `(${own.join(' OR ')})` : 'false');
    }
    if (filter.state?.length) where.push(`c.state = ANY(${p(filter.state)}::text[])`);
    if (filter.departmentId) where.push(`c.department_id = ${p(filter.departmentId)}`);
    if (filter.classCode) where.push(`c.class_code = ${p(filter.classCode)}`);
    if (filter.classKind) where.push(`c.class_kind = ${p(filter.classKind)}`);
    if (filter.source) where.push(`c.source = ${p(filter.source)}`);
    if (filter.supervised !== undefined) where.push(`c.supervised = ${p(filter.supervised)}`);
    if (filter.overdue !== undefined) {
      const overdue = `(c.state IN ('dispatched', 'handling') AND c.handling_deadline < ${p(new Date(this.now()))})`;
      where.push(filter.overdue ? overdue : `NOT ${overdue}`);
    }
    if (filter.pendingApproval?.length) {
      where.push(
        `EXISTS (SELECT 1 FROM case_approvals pa WHERE pa.id = c.pending_approval_id AND pa.kind = ANY(${p(filter.pendingApproval)}::text[]))`,
      );
    }
    if (filter.bbox) {
      const [w, s, e, n] = filter.bbox;
      where.push(`c.lon BETWEEN ${p(w)} AND ${p(e)} AND c.lat BETWEEN ${p(s)} AND ${p(n)}`);
    }
    const limit = Math.min(page.limit ?? 50, CASE_LIMITS.pageSize);
    const offset = page.offset ?? 0;
    const cond = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM cases c ${cond}`, params);
    const { rows } = await this.pool.query(
      `${SELECT_CASE} ${cond} ORDER BY c.id DESC LIMIT ${p(limit)} OFFSET ${p(offset)}`,
      params,
    );
    const limits = await this.loadStepLimits();
    const items = await Promise.all(rows.map((r) => this.view(toRecord(r), actor, false, limits)));
    return { items, total: Number(total.rows[0]!.n), limit, offset };
  }

  /** 台账 the month's exception counts and their share of the cases filed that month (art.40). `month`: YYYY-MM. */
  ledger(month: string): Promise<Ledger> {
    if (!/^[0-9]{4}-(0[1-9]|1[0-2])$/.test(month)) throw new CaseError('InvalidInput', 'month must look like 2026-11');
    return ledger(this.pool, month, this.timeZone);
  }
}
