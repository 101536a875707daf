// 评价事实 evaluation facts: what one case contributes to the indicators, derived from the case, its audit log (who did
// which step, when), its approvals and the step limits counted by the working calendar. Pure: no database, no clock.
//
// Each fact counts in the period its `at` falls in. Steps with a time limit (verification, dispatch, handling, closure,
// re-inspection) make one fact per step instance, counted when the step is "due": at its completion if that came before
// the deadline, otherwise at the deadline — so for any period 应X数 = 按期X数 + 超期X数 (done late or not done), and a
// fact never moves once its time has passed (unless the case changes, which derives its facts again). A step cancelled
// before its deadline (the report rejected, the case voided or returned) leaves no fact; one cancelled after its
// deadline counts as overdue and not done. A step whose deadline lies in the future is stored with that future time and
// counted only once the deadline has passed.
import type { AreaCodes, TimeLimit, WorkCalendar } from '../cases/ports.js';
import type { ApprovalKind, CaseSource, CaseState } from '../cases/workflow.js';

/** Bump when the derivation changes: the hub then derives every case's facts again. */
export const FACTS_VERSION = 1;

export const FACT_KINDS = [
  'report', // 上报: at the report; valid = reached dispatch and not voided (有效上报); done = closed
  'accept', // 受理 by an acceptor; onTime within the verify-and-file limit; valid = not voided later
  'reject', // 不予立案 (or merged as a duplicate) by an acceptor; onTime within the verify-and-file limit
  'verify', // 核实 task of a collector (step instance; limit: verify-and-file from the report)
  'file', // 立案 by a shift leader; onTime within the verify-and-file limit; valid = not voided later
  'void', // 作废 approved
  'dispatch', // 派遣 by a dispatcher to a department; valid = not returned (回退) from that dispatch
  'dispatchStep', // 派遣 step instance (limit: dispatch, from the filing or the return)
  'handling', // 处置 clock of a department (step instance: dispatch → the handling feedback that stood)
  'handle', // 处置反馈 one feedback; onTime before the deadline in force
  'rework', // 返工 re-inspection failed
  'return', // 回退 approved
  'reinspect', // 核查 task of a collector (step instance; limit: reinspect, from the feedback)
  'closure', // 结案 due: the last handling clock's deadline against the closing (step instance)
  'close', // 结案 by a shift leader; onTime before the handling deadline
  'gridFiled', // a case filed in a cell the collector is assigned to (for 漏报率)
  'missed', // 漏报: a public or hotline report filed in a cell the collector is assigned to
  'exc_return', // exception requests (art.40); done = approved
  'exc_void',
  'exc_extend',
  'exc_postpone',
  'exc_park',
] as const;
export type FactKind = (typeof FACT_KINDS)[number];

export const EXCEPTION_FACT: Record<ApprovalKind, FactKind> = {
  return: 'exc_return',
  void: 'exc_void',
  extend: 'exc_extend',
  postpone: 'exc_postpone',
  park: 'exc_park',
};

/** The roles evaluated as positions (岗位评价), as recorded in a person key `<role>:<user id>`. */
export const POSITION_ROLES = ['collector', 'acceptor', 'shiftLeader', 'dispatcher'] as const;
export type PositionRole = (typeof POSITION_ROLES)[number];

export interface Fact {
  atMs: number;
  kind: FactKind;
  onTime: boolean | null;
  done: boolean | null;
  valid: boolean | null;
  source: CaseSource;
  /** `component:0101`; null on facts that belong to a person only. */
  classKey: string | null;
  area: AreaCodes | null;
  departmentId: string | null;
  /** `<role>:<user id>`. */
  personKey: string | null;
}

export interface FactCase {
  id: string;
  source: CaseSource;
  classKind: string;
  classCode: string;
  area: AreaCodes | null;
  state: CaseState;
  reportedAtMs: number;
  reporterId: string | null;
  /** The stored handling deadline, used when an old dispatch event carries none. */
  handlingDeadlineMs: number | null;
}

export interface FactEvent {
  atMs: number;
  action: string;
  actorId: string;
  actorRole: string;
  data: Record<string, unknown>;
}

export interface FactApproval {
  id: string;
  kind: ApprovalKind;
  status: 'pending' | 'approved' | 'denied' | 'withdrawn';
  requestedAtMs: number;
}

export interface StepLimits {
  verifyAndFile: TimeLimit | null;
  dispatch: TimeLimit | null;
  reinspect: TimeLimit | null;
}

export interface FactContext {
  calendar: WorkCalendar;
  limits: StepLimits;
  /** The collectors (user ids) assigned to a unit grid cell now (the device registry's grid codes and staff numbers). */
  collectorsOfCell(cell: string): readonly string[];
}

type StepEnd = { atMs: number; completed: boolean } | null;

/**
 * A step instance's fact timing: completed → at min(deadline, completion), on time when not after the deadline;
 * cancelled → nothing before the deadline, overdue after it; not ended → overdue at the deadline. Without a deadline (no
 * limit configured) only a completion counts, with no judgement of time.
 */
export function stepTiming(
  deadlineMs: number | null,
  end: StepEnd,
): { atMs: number; onTime: boolean | null; done: boolean } | null {
  if (deadlineMs === null) return end?.completed ? { atMs: end.atMs, onTime: null, done: true } : null;
  if (end?.completed) return { atMs: Math.min(deadlineMs, end.atMs), onTime: end.atMs <= deadlineMs, done: true };
  if (end && end.atMs <= deadlineMs) return null;
  return { atMs: deadlineMs, onTime: false, done: false };
}

const PUBLIC_SOURCES: readonly CaseSource[] = ['public', 'hotline'];

function dateMs(value: unknown): number | null {
  if (typeof value !== 'string' && !(value instanceof Date)) return null;
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? ms : null;
}

interface Clock {
  departmentId: string | null;
  deadlineMs: number | null;
  pausedAtMs: number | null;
  /** The feedback that stands (no failed re-inspection after it). */
  standingHandleMs: number | null;
  cancelledAtMs: number | null;
  closedAtMs: number | null;
}

/** The facts of one case. `events` in audit order (seq); `approvals` all of the case's. */
export function deriveFacts(
  c: FactCase,
  events: readonly FactEvent[],
  approvals: readonly FactApproval[],
  ctx: FactContext,
): Fact[] {
  const { calendar, limits } = ctx;
  const base = {
    source: c.source,
    classKey: `${c.classKind}:${c.classCode}`,
    area: c.area,
  };
  const facts: Fact[] = [];
  const add = (
    kind: FactKind,
    atMs: number,
    f: Partial<Pick<Fact, 'onTime' | 'done' | 'valid' | 'departmentId' | 'personKey'>> = {},
  ) =>
    facts.push({
      atMs,
      kind,
      onTime: f.onTime ?? null,
      done: f.done ?? null,
      valid: f.valid ?? null,
      ...base,
      departmentId: f.departmentId ?? null,
      personKey: f.personKey ?? null,
    });
  const addStep = (
    kind: FactKind,
    deadlineMs: number | null,
    end: StepEnd,
    f: Partial<Pick<Fact, 'departmentId' | 'personKey'>>,
  ) => {
    const t = stepTiming(deadlineMs, end);
    if (t) add(kind, t.atMs, { onTime: t.onTime, done: t.done, ...f });
  };
  const person = (role: string, id: string | null | undefined) => (id ? `${role}:${id}` : null);
  const deadlineOf = (startMs: number, limit: TimeLimit | null) => (limit ? calendar.deadline(startMs, limit) : null);

  const voided = c.state === 'voided';
  const vfDeadline = deadlineOf(c.reportedAtMs, limits.verifyAndFile);
  const onTimeVf = (atMs: number) => (vfDeadline === null ? null : atMs <= vfDeadline);
  const dispatched = events.some((e) => e.action === 'dispatch');
  const closed = events.some((e) => e.action === 'close');

  add('report', c.reportedAtMs, {
    done: closed,
    valid: dispatched && !voided,
    personKey: c.source === 'collector' ? person('collector', c.reporterId) : null,
  });

  // One walk through the log: the department and handling clock in force at each event.
  const clocks: Clock[] = [];
  let clock: Clock | null = null;
  let departmentId: string | null = null;
  let filer: string | null = null;
  const departmentAtApproval = new Map<string, string | null>();

  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    const approvalId = typeof e.data.approvalId === 'string' ? e.data.approvalId : null;
    switch (e.action) {
      case 'accept':
        add('accept', e.atMs, { onTime: onTimeVf(e.atMs), valid: !voided, personKey: person(e.actorRole, e.actorId) });
        break;
      case 'reject':
      case 'merge':
        add('reject', e.atMs, { onTime: onTimeVf(e.atMs), personKey: person(e.actorRole, e.actorId) });
        break;
      case 'requestVerify': {
        const later = events.slice(i + 1).find((x) => ['verify', 'reject', 'merge', 'accept'].includes(x.action));
        const end: StepEnd = later ? { atMs: later.atMs, completed: later.action === 'verify' } : null;
        const collector = typeof e.data.collectorId === 'string' ? e.data.collectorId : null;
        addStep('verify', vfDeadline, end, { personKey: person('collector', collector) });
        break;
      }
      case 'file': {
        filer = e.actorId;
        add('file', e.atMs, { onTime: onTimeVf(e.atMs), valid: !voided, personKey: person(e.actorRole, e.actorId) });
        addDispatchStep(i);
        const cell = c.area?.cell;
        if (cell) {
          for (const collector of ctx.collectorsOfCell(cell)) {
            const only = { classKey: null, area: null, departmentId: null, personKey: `collector:${collector}` };
            facts.push({ atMs: e.atMs, kind: 'gridFiled', onTime: null, done: null, valid: null, ...base, ...only });
            if (PUBLIC_SOURCES.includes(c.source)) {
              facts.push({ atMs: e.atMs, kind: 'missed', onTime: null, done: null, valid: null, ...base, ...only });
            }
          }
        }
        break;
      }
      case 'dispatch': {
        departmentId = typeof e.data.departmentId === 'string' ? e.data.departmentId : null;
        const next = events.slice(i + 1).find((x) => x.action === 'approveReturn' || x.action === 'dispatch');
        add('dispatch', e.atMs, {
          valid: next?.action !== 'approveReturn',
          departmentId,
          personKey: person(e.actorRole, e.actorId),
        });
        clock = {
          departmentId,
          deadlineMs: dateMs(e.data.deadline),
          pausedAtMs: null,
          standingHandleMs: null,
          cancelledAtMs: null,
          closedAtMs: null,
        };
        clocks.push(clock);
        break;
      }
      case 'approveExtension':
        if (clock) clock.deadlineMs = dateMs(e.data.deadline) ?? clock.deadlineMs;
        break;
      case 'approvePostpone':
      case 'approvePark':
        if (clock) clock.pausedAtMs = e.atMs;
        break;
      case 'resume':
        if (clock) {
          clock.pausedAtMs = null;
          clock.deadlineMs = dateMs(e.data.deadline) ?? clock.deadlineMs;
        }
        break;
      case 'handle':
        add('handle', e.atMs, {
          onTime: clock?.deadlineMs != null ? e.atMs <= clock.deadlineMs : null,
          departmentId: clock?.departmentId ?? departmentId,
        });
        if (clock) clock.standingHandleMs = e.atMs;
        addReinspectStep(i);
        break;
      case 'reinspectFail':
        add('rework', e.atMs, { departmentId: clock?.departmentId ?? departmentId });
        if (clock) clock.standingHandleMs = null;
        break;
      case 'approveReturn':
        add('return', e.atMs, { departmentId });
        if (clock) clock.cancelledAtMs = e.atMs;
        clock = null;
        departmentId = null;
        addDispatchStep(i);
        break;
      case 'approveVoid':
        add('void', e.atMs, { departmentId, personKey: person('shiftLeader', filer) });
        if (clock) clock.cancelledAtMs = e.atMs;
        break;
      case 'close':
        add('close', e.atMs, {
          onTime: clock?.deadlineMs != null ? e.atMs <= clock.deadlineMs : null,
          departmentId: clock?.departmentId ?? departmentId,
          personKey: person(e.actorRole, e.actorId),
        });
        if (clock) clock.closedAtMs = e.atMs;
        break;
      default:
        break;
    }
    if (approvalId !== null && !departmentAtApproval.has(approvalId))
      departmentAtApproval.set(approvalId, departmentId);
  }

  // 派遣 step: from the filing (or a return) to the next dispatch; a void cancels it.
  function addDispatchStep(startIndex: number): void {
    const start = events[startIndex]!;
    const end = events.slice(startIndex + 1).find((x) => x.action === 'dispatch' || x.action === 'approveVoid');
    addStep(
      'dispatchStep',
      deadlineOf(start.atMs, limits.dispatch),
      end ? { atMs: end.atMs, completed: end.action === 'dispatch' } : null,
      end?.action === 'dispatch'
        ? {
            departmentId: typeof end.data.departmentId === 'string' ? end.data.departmentId : null,
            personKey: person(end.actorRole, end.actorId),
          }
        : {},
    );
  }

  // 核查 step: from a feedback to the re-inspection's result, for the collector assigned (or who answered).
  function addReinspectStep(startIndex: number): void {
    const start = events[startIndex]!;
    const rest = events.slice(startIndex + 1);
    const endAt = rest.findIndex((x) => x.action === 'reinspectPass' || x.action === 'reinspectFail');
    const end = endAt >= 0 ? rest[endAt]! : null;
    const assigned = rest
      .slice(0, endAt >= 0 ? endAt : undefined)
      .filter((x) => x.action === 'assignReinspect')
      .at(-1);
    const collector =
      end?.actorId ?? (typeof assigned?.data.collectorId === 'string' ? assigned.data.collectorId : null);
    addStep('reinspect', deadlineOf(start.atMs, limits.reinspect), end ? { atMs: end.atMs, completed: true } : null, {
      departmentId,
      personKey: person('collector', collector),
    });
  }

  // Fill in the deadline of a last clock whose dispatch event predates deadlines in the log.
  const last = clocks.at(-1);
  if (last && last.deadlineMs === null && last.cancelledAtMs === null) last.deadlineMs = c.handlingDeadlineMs;

  for (const k of clocks) {
    const dept = { departmentId: k.departmentId };
    let end: StepEnd;
    if (k.cancelledAtMs !== null) end = { atMs: k.cancelledAtMs, completed: false };
    else if (k.standingHandleMs !== null) end = { atMs: k.standingHandleMs, completed: true };
    else if (k.pausedAtMs !== null) {
      // The clock stands still while postponed or parked: due only if it ran out before the pause.
      if (k.deadlineMs !== null && k.deadlineMs < k.pausedAtMs) addStep('handling', k.deadlineMs, null, dept);
      continue;
    } else end = null;
    addStep('handling', k.deadlineMs, end, dept);
  }

  // 结案 due: the last clock (a returned one is replaced by the next dispatch's); voided cases are not due.
  if (last && last.cancelledAtMs === null && !voided) {
    const dept = { departmentId: last.departmentId };
    if (last.closedAtMs !== null) addStep('closure', last.deadlineMs, { atMs: last.closedAtMs, completed: true }, dept);
    else if (last.pausedAtMs !== null) {
      if (last.deadlineMs !== null && last.deadlineMs < last.pausedAtMs)
        addStep('closure', last.deadlineMs, null, dept);
    } else addStep('closure', last.deadlineMs, null, dept);
  }

  // 台账 exception requests, with the department that had the case when it was asked.
  for (const a of approvals) {
    add(EXCEPTION_FACT[a.kind], a.requestedAtMs, {
      done: a.status === 'approved',
      departmentId: departmentAtApproval.get(a.id) ?? null,
    });
  }
  return facts;
}
