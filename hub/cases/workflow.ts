// 案件闭环流转表 the case workflow: the ONE table of transitions (from-states, action, roles, to-state, guard, input,
// effects) that the service, the HTTP API (one route per action), the UI (GET /api/cases/workflow) and the audit log all
// read. Pure: no database, no HTTP. `allowedActions` and `plan` are the only ways to ask it anything.
import type { Actor, Role } from './ports.js';

export const CASE_STATES = [
  'reported', // 已上报: awaiting acceptance
  'verifying', // 核实中: a collector was asked to verify on site
  'rejected', // 不予立案 (art.31), also a report merged into a duplicate: terminal
  'accepted', // 已受理: awaiting filing
  'filed', // 已立案: awaiting dispatch
  'dispatched', // 已派遣: sent to a department; the handling clock runs from here
  'handling', // 处置中
  'handled', // 已处置: feedback with photos, awaiting re-inspection
  'reinspecting', // 核查中: a collector re-inspects on site
  'reinspected', // 核查通过: passed, awaiting closing by the shift leader
  'closed', // 已结案
  'evaluated', // 已评价: terminal
  'voided', // 已作废: terminal
  'postponed', // 缓办: the handling clock stops
  'parked', // 挂账: unsolvable for now, parked
] as const;
export type CaseState = (typeof CASE_STATES)[number];

export const STATE_NAMES_ZH: Record<CaseState, string> = {
  reported: '已上报',
  verifying: '核实中',
  rejected: '不予立案',
  accepted: '已受理',
  filed: '已立案',
  dispatched: '已派遣',
  handling: '处置中',
  handled: '已处置',
  reinspecting: '核查中',
  reinspected: '核查通过',
  closed: '已结案',
  evaluated: '已评价',
  voided: '已作废',
  postponed: '缓办',
  parked: '挂账',
};

export const TERMINAL_STATES: readonly CaseState[] = ['rejected', 'evaluated', 'voided'];
/** Open: still needs somebody's work. A closed case awaits only its evaluation, so it counts as done. */
export const OPEN_STATES: readonly CaseState[] = CASE_STATES.filter(
  (s) => !TERMINAL_STATES.includes(s) && s !== 'closed',
);

export const CASE_SOURCES = ['collector', 'hotline', 'public', 'leader', 'detector'] as const;
export type CaseSource = (typeof CASE_SOURCES)[number];

/** Who may report from which source. `public` also arrives without a user through Open311; `detector` only through an
 * accepted candidate (hub/cases/candidates.ts). */
export const SOURCE_ROLES: Record<CaseSource, readonly Role[]> = {
  collector: ['collector'],
  hotline: ['acceptor'],
  public: ['acceptor'],
  leader: ['leader'],
  detector: ['acceptor'],
};
export const REPORT_ROLES: readonly Role[] = ['collector', 'acceptor', 'leader'];

/** The exceptions that need an approval (each one a ledger entry, art.40). 回退 return, 作废 void, 延期 extension,
 * 缓办 postponement, 挂账 parking. */
export const APPROVAL_KINDS = ['return', 'void', 'extend', 'postpone', 'park'] as const;
export type ApprovalKind = (typeof APPROVAL_KINDS)[number];

/** Input fields an action may take besides the always-optional `note`, `attachments` and `version`. */
export const ACTION_FIELDS = [
  'reason',
  'collectorId',
  'standardId',
  'classCode',
  'duplicateOf',
  'departmentId',
  'score',
  'supervised',
  'limit',
] as const;
export type ActionField = (typeof ACTION_FIELDS)[number] | 'note' | 'attachments';

/** Conditions beyond state and role, named so the table stays data (and serialisable for the UI). */
export type Guard =
  'noPendingApproval' | 'pendingReturn' | 'pendingVoid' | 'pendingExtend' | 'pendingPostpone' | 'pendingPark';

export interface Transition {
  action: string;
  nameZh: string;
  from: readonly CaseState[];
  roles: readonly Role[];
  /** `same`: the state does not change; `previous`: back to the state the case was paused or parked from. */
  to: CaseState | 'same' | 'previous';
  guards: readonly Guard[];
  /** Which collector may act: the one assigned to verify or to re-inspect (a collector acting on any other case is
   * refused). Department users always act only on cases dispatched to their own department. */
  collector?: 'verifier' | 'reinspector';
  required: readonly ActionField[];
  optional: readonly ActionField[];
  /** Opens an approval of this kind (the case keeps its state until it is decided). */
  requests?: ApprovalKind;
  /** Decides the pending approval of this kind. */
  decides?: { kind: ApprovalKind; approved: boolean };
  /** What happens besides the state change, for people reading the table. */
  effects: readonly string[];
}

const STAFF_EXCEPTION_FROM: readonly CaseState[] = ['dispatched', 'handling'];
const VOIDABLE: readonly CaseState[] = ['accepted', 'filed', 'dispatched', 'handling'];

const t = (row: Omit<Transition, 'guards' | 'required' | 'optional'> & Partial<Transition>): Transition => ({
  guards: [],
  required: [],
  optional: [],
  ...row,
});

/** THE table. Order is the order the UI offers the buttons. */
export const TRANSITIONS: readonly Transition[] = [
  t({
    action: 'requestVerify',
    nameZh: '派发核实',
    from: ['reported'],
    roles: ['acceptor'],
    to: 'verifying',
    required: ['collectorId'],
    effects: ['assigns the collector who verifies on site'],
  }),
  t({
    action: 'verify',
    nameZh: '核实反馈',
    from: ['verifying'],
    roles: ['collector'],
    collector: 'verifier',
    to: 'reported',
    required: ['note'],
    effects: ['records the finding and photos; the report awaits acceptance again'],
  }),
  t({
    action: 'accept',
    nameZh: '受理',
    from: ['reported'],
    roles: ['acceptor'],
    to: 'accepted',
    required: ['standardId'],
    optional: ['classCode'],
    effects: [
      'sets the class (optionally corrected) and the situation of its standard, which fixes the handling limit',
    ],
  }),
  t({
    action: 'reject',
    nameZh: '不予立案',
    from: ['reported', 'verifying'],
    roles: ['acceptor'],
    to: 'rejected',
    required: ['reason'],
    effects: ['archives the report with the reason (art.31)'],
  }),
  t({
    action: 'merge',
    nameZh: '合并重复',
    from: ['reported'],
    roles: ['acceptor'],
    to: 'rejected',
    required: ['duplicateOf'],
    effects: ['rejects the report as a duplicate of an open case and links the two'],
  }),
  t({
    action: 'file',
    nameZh: '立案',
    from: ['accepted'],
    roles: ['shiftLeader'],
    to: 'filed',
    effects: ['files the case'],
  }),
  t({
    action: 'dispatch',
    nameZh: '派遣',
    from: ['filed'],
    roles: ['dispatcher'],
    to: 'dispatched',
    optional: ['departmentId'],
    effects: [
      'sends the case to the responsible department (default from the responsibility rules, may be overridden)',
      'starts the handling clock: deadline = working calendar (dispatch time + the standard’s limit)',
    ],
  }),
  t({
    action: 'start',
    nameZh: '开始处置',
    from: ['dispatched'],
    roles: ['department'],
    to: 'handling',
    effects: ['the department takes the case'],
  }),
  t({
    action: 'requestReturn',
    nameZh: '申请回退',
    from: ['dispatched', 'handling'],
    roles: ['department'],
    to: 'same',
    guards: ['noPendingApproval'],
    required: ['reason'],
    requests: 'return',
    effects: ['asks the dispatcher to take the case back (e.g. wrong department)'],
  }),
  t({
    action: 'approveReturn',
    nameZh: '同意回退',
    from: ['dispatched', 'handling'],
    roles: ['dispatcher'],
    to: 'filed',
    guards: ['pendingReturn'],
    decides: { kind: 'return', approved: true },
    effects: ['clears the department and the handling clock; counts as a return (回退)'],
  }),
  t({
    action: 'denyReturn',
    nameZh: '驳回回退',
    from: ['dispatched', 'handling'],
    roles: ['dispatcher'],
    to: 'same',
    guards: ['pendingReturn'],
    decides: { kind: 'return', approved: false },
    effects: ['the department keeps the case'],
  }),
  t({
    action: 'handle',
    nameZh: '处置反馈',
    from: ['handling'],
    roles: ['department'],
    to: 'handled',
    required: ['note', 'attachments'],
    effects: ['records the result with photos; stops the handling clock'],
  }),
  t({
    action: 'assignReinspect',
    nameZh: '派发核查',
    from: ['handled'],
    roles: ['shiftLeader', 'dispatcher'],
    to: 'reinspecting',
    optional: ['collectorId'],
    effects: ['assigns the collector who re-inspects (default: the collector who reported it)'],
  }),
  t({
    action: 'reinspectPass',
    nameZh: '核查通过',
    from: ['reinspecting'],
    roles: ['collector'],
    collector: 'reinspector',
    to: 'reinspected',
    effects: ['the problem is solved on site; the case awaits closing'],
  }),
  t({
    action: 'reinspectFail',
    nameZh: '核查不通过',
    from: ['reinspecting'],
    roles: ['collector'],
    collector: 'reinspector',
    to: 'handling',
    required: ['reason'],
    effects: ['rework (返工): back to the department, rework count + 1; the original deadline stands'],
  }),
  t({
    action: 'close',
    nameZh: '结案',
    from: ['reinspected'],
    roles: ['shiftLeader'],
    to: 'closed',
    effects: ['closes the case'],
  }),
  t({
    action: 'evaluate',
    nameZh: '评价',
    from: ['closed'],
    roles: ['leader', 'shiftLeader'],
    to: 'evaluated',
    required: ['score'],
    effects: ['records a score (0–100) and a comment'],
  }),
  t({
    action: 'supervise',
    nameZh: '督办',
    from: OPEN_STATES,
    roles: ['leader'],
    to: 'same',
    required: ['supervised'],
    effects: ['sets or clears the leader supervision flag (督办)'],
  }),
  t({
    action: 'requestVoid',
    nameZh: '申请作废',
    from: VOIDABLE,
    roles: ['department', 'acceptor', 'dispatcher'],
    to: 'same',
    guards: ['noPendingApproval'],
    required: ['reason'],
    requests: 'void',
    effects: ['opens a void approval (作废)'],
  }),
  t({
    action: 'requestExtension',
    nameZh: '申请延期',
    from: STAFF_EXCEPTION_FROM,
    roles: ['department'],
    to: 'same',
    guards: ['noPendingApproval'],
    required: ['reason', 'limit'],
    requests: 'extend',
    effects: ['opens an extension approval (延期) for the requested extra limit'],
  }),
  t({
    action: 'requestPostpone',
    nameZh: '申请缓办',
    from: STAFF_EXCEPTION_FROM,
    roles: ['department'],
    to: 'same',
    guards: ['noPendingApproval'],
    required: ['reason'],
    requests: 'postpone',
    effects: ['opens a postponement approval (缓办)'],
  }),
  t({
    action: 'requestPark',
    nameZh: '申请挂账',
    from: STAFF_EXCEPTION_FROM,
    roles: ['department', 'dispatcher'],
    to: 'same',
    guards: ['noPendingApproval'],
    required: ['reason'],
    requests: 'park',
    effects: ['opens a parking approval (挂账) for a case that cannot be solved now'],
  }),
  t({
    action: 'approveVoid',
    nameZh: '批准作废',
    from: VOIDABLE,
    roles: ['shiftLeader', 'leader'],
    to: 'voided',
    guards: ['pendingVoid'],
    decides: { kind: 'void', approved: true },
    effects: ['voids the case'],
  }),
  t({
    action: 'denyVoid',
    nameZh: '驳回作废',
    from: VOIDABLE,
    roles: ['shiftLeader', 'leader'],
    to: 'same',
    guards: ['pendingVoid'],
    decides: { kind: 'void', approved: false },
    effects: ['the case goes on where it was'],
  }),
  // Extensions and postponements are the dispatcher's to decide (派遣员审批延期、缓办, as returns), with the leader
  // above; departments ask, so nobody decides their own request.
  t({
    action: 'approveExtension',
    nameZh: '批准延期',
    from: STAFF_EXCEPTION_FROM,
    roles: ['dispatcher', 'leader'],
    to: 'same',
    guards: ['pendingExtend'],
    decides: { kind: 'extend', approved: true },
    effects: ['moves the handling deadline by the requested limit, counted by the working calendar'],
  }),
  t({
    action: 'denyExtension',
    nameZh: '驳回延期',
    from: STAFF_EXCEPTION_FROM,
    roles: ['dispatcher', 'leader'],
    to: 'same',
    guards: ['pendingExtend'],
    decides: { kind: 'extend', approved: false },
    effects: ['the deadline stands'],
  }),
  t({
    action: 'approvePostpone',
    nameZh: '批准缓办',
    from: STAFF_EXCEPTION_FROM,
    roles: ['dispatcher', 'leader'],
    to: 'postponed',
    guards: ['pendingPostpone'],
    decides: { kind: 'postpone', approved: true },
    effects: ['stops the handling clock'],
  }),
  t({
    action: 'denyPostpone',
    nameZh: '驳回缓办',
    from: STAFF_EXCEPTION_FROM,
    roles: ['dispatcher', 'leader'],
    to: 'same',
    guards: ['pendingPostpone'],
    decides: { kind: 'postpone', approved: false },
    effects: ['the handling clock keeps running'],
  }),
  t({
    action: 'approvePark',
    nameZh: '批准挂账',
    from: STAFF_EXCEPTION_FROM,
    roles: ['shiftLeader', 'leader'],
    to: 'parked',
    guards: ['pendingPark'],
    decides: { kind: 'park', approved: true },
    effects: ['parks the case; the handling clock stops'],
  }),
  t({
    action: 'denyPark',
    nameZh: '驳回挂账',
    from: STAFF_EXCEPTION_FROM,
    roles: ['shiftLeader', 'leader'],
    to: 'same',
    guards: ['pendingPark'],
    decides: { kind: 'park', approved: false },
    effects: ['the case stays with the department, its clock running'],
  }),
  t({
    action: 'resume',
    nameZh: '恢复处置',
    from: ['postponed', 'parked'],
    roles: ['shiftLeader', 'leader', 'dispatcher'],
    to: 'previous',
    effects: ['back to the state it was paused from; the deadline moves by the paused working time'],
  }),
];

export const TRANSITION_BY_ACTION: ReadonlyMap<string, Transition> = new Map(TRANSITIONS.map((r) => [r.action, r]));

/** What the table needs to know about a case. */
export interface CaseFacts {
  state: CaseState;
  departmentId: string | null;
  verifierId: string | null;
  reinspectorId: string | null;
  pendingApproval: ApprovalKind | null;
}

export type WorkflowErrorCode = 'UnknownAction' | 'Forbidden' | 'IllegalTransition' | 'MissingInput';

export class WorkflowError extends Error {
  override readonly name = 'WorkflowError';
  constructor(
    readonly code: WorkflowErrorCode,
    message: string,
    readonly allowedActions: string[] = [],
    readonly fields: string[] = [],
  ) {
    super(message);
  }
}

function guardHolds(guard: Guard, c: CaseFacts): boolean {
  switch (guard) {
    case 'noPendingApproval':
      return c.pendingApproval === null;
    case 'pendingReturn':
      return c.pendingApproval === 'return';
    case 'pendingVoid':
      return c.pendingApproval === 'void';
    case 'pendingExtend':
      return c.pendingApproval === 'extend';
    case 'pendingPostpone':
      return c.pendingApproval === 'postpone';
    case 'pendingPark':
      return c.pendingApproval === 'park';
  }
}

/** A role may act on this case through this row: department users only on their own department's cases, collectors
 * only on the task they were assigned. */
function roleHolds(role: Role, row: Transition, c: CaseFacts, actor: Actor): boolean {
  if (!row.roles.includes(role) || !actor.roles.includes(role)) return false;
  if (role === 'department') return c.departmentId !== null && c.departmentId === actor.departmentId;
  if (role === 'collector' && row.collector) {
    return (row.collector === 'verifier' ? c.verifierId : c.reinspectorId) === actor.userId;
  }
  return true;
}

/** The role the actor acts with through `row` on this case, or null. */
function roleFor(row: Transition, c: CaseFacts, actor: Actor): Role | null {
  return row.roles.find((r) => roleHolds(r, row, c, actor)) ?? null;
}

function rowApplies(row: Transition, c: CaseFacts): boolean {
  return row.from.includes(c.state) && row.guards.every((g) => guardHolds(g, c));
}

/** The actions this actor may take on this case now, in table order. */
export function allowedActions(c: CaseFacts, actor: Actor): string[] {
  return TRANSITIONS.filter((row) => rowApplies(row, c) && roleFor(row, c, actor) !== null).map((r) => r.action);
}

export interface Plan {
  row: Transition;
  /** The role the action is recorded under. */
  role: Role;
  fromState: CaseState;
  /** Resolved: `same` is the current state; `previous` is `pausedFrom`. */
  toState: CaseState;
}

function present(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'string') return value.trim() !== '';
  if (Array.isArray(value)) return value.length > 0;
  return true;
}

/**
 * Checks an action against the table: unknown action, role (403: the actor has none of the row's roles at all),
 * state and guards and the case-specific role conditions (409 with the allowed actions), then the required input.
 */
export function plan(
  c: CaseFacts,
  action: string,
  actor: Actor,
  input: Partial<Record<ActionField, unknown>>,
  pausedFrom: CaseState | null = null,
): Plan {
  const row = TRANSITION_BY_ACTION.get(action);
  if (!row) throw new WorkflowError('UnknownAction', `there is no action "${action}"`);
  if (!row.roles.some((r) => actor.roles.includes(r))) {
    throw new WorkflowError('Forbidden', `${action} needs one of the roles ${row.roles.join(', ')}`);
  }
  const role = roleFor(row, c, actor);
  if (!rowApplies(row, c) || role === null) {
    const allowed = allowedActions(c, actor);
    const why = !row.from.includes(c.state)
      ? `${action} is possible only from ${row.from.join(', ')}`
      : role === null
        ? `${action} on this case is for ${row.collector ? `the collector assigned as ${row.collector}` : 'its own department'}`
        : `${action} needs ${row.guards.join(' and ')}`;
    throw new WorkflowError(
      'IllegalTransition',
      `the case is ${c.state}: ${why}; you may ${allowed.length ? allowed.join(', ') : 'take no action'}`,
      allowed,
    );
  }
  const missing = row.required.filter((f) => !present(input[f]));
  if (missing.length) {
    throw new WorkflowError('MissingInput', `${action} needs ${missing.join(', ')}`, [], missing);
  }
  let toState: CaseState;
  if (row.to === 'same') toState = c.state;
  else if (row.to === 'previous') {
    if (!pausedFrom) throw new Error(`case in ${c.state} has no state to resume to`);
    toState = pausedFrom;
  } else toState = row.to;
  return { row, role, fromState: c.state, toState };
}

/** The table as the UI reads it (GET /api/cases/workflow). */
export function workflowDocument() {
  return {
    states: CASE_STATES.map((s) => ({
      state: s,
      nameZh: STATE_NAMES_ZH[s],
      terminal: TERMINAL_STATES.includes(s),
      open: OPEN_STATES.includes(s),
    })),
    sources: CASE_SOURCES.map((s) => ({ source: s, roles: [...SOURCE_ROLES[s]] })),
    reportRoles: [...REPORT_ROLES],
    approvalKinds: [...APPROVAL_KINDS],
    transitions: TRANSITIONS.map((r) => ({
      action: r.action,
      nameZh: r.nameZh,
      from: [...r.from],
      roles: [...r.roles],
      to: r.to,
      guards: [...r.guards],
      collector: r.collector ?? null,
      required: [...r.required],
      optional: [...r.optional],
      requests: r.requests ?? null,
      decides: r.decides ?? null,
      effects: [...r.effects],
    })),
  };
}

/** The table as Markdown, for the README (kept in step by a test, like the configuration table). */
export function workflowMarkdown(): string {
  const rows = TRANSITIONS.map((r) => {
    const who = r.collector ? `${r.roles.join(', ')} (the assigned ${r.collector})` : r.roles.join(', ');
    const needs = [...r.required, ...r.optional.map((f) => `${f}?`)].join(', ');
    return `| \`${r.action}\` ${r.nameZh} | ${r.from.join(', ')} | ${who} | ${r.to} | ${needs} | ${r.effects.join('; ')} |`;
  });
  return ['| action | from | who | to | needs | effects |', '|---|---|---|---|---|---|', ...rows].join('\n');
}
