// 基础计数 the base counts of the evaluation (CJ/T 292 → GB/T 30428.4 as far as public code and city documents show
// them, ../shared/reference/evaluation.md): each one is data — which facts it counts, with which flags, where the
// definition comes from and what is uncertain about it. The daily aggregates get one column per count, and every rate
// and composite score is built from these sums.
import type { CaseSource } from '../cases/workflow.js';
import type { FactKind } from './facts.js';
import type { ObjectKind } from './objects.js';

export interface CounterFilter {
  kind: FactKind;
  onTime?: boolean;
  done?: boolean;
  valid?: boolean;
  sources?: readonly CaseSource[];
}

export interface CounterDefinition {
  id: string;
  nameZh: string;
  nameEn: string;
  filter: CounterFilter;
  /** The evaluation objects it means something for (a person-only count says nothing about an area). */
  objects: readonly ObjectKind[];
  /** Where the definition comes from ([EG], [UMP], [EGS], [SCG] of the reference, or this product). */
  source: string;
  /** How it is counted here and what is uncertain. */
  note: string;
}

const AREAS: readonly ObjectKind[] = ['city', 'district', 'street', 'community', 'cell'];
const CASEWIDE: readonly ObjectKind[] = [...AREAS, 'class'];
const WITH_DEPARTMENT: readonly ObjectKind[] = [...CASEWIDE, 'department'];
const PUBLIC: readonly CaseSource[] = ['public', 'hotline'];

const c = (
  id: string,
  nameZh: string,
  nameEn: string,
  filter: CounterFilter,
  objects: readonly ObjectKind[],
  source: string,
  note: string,
): CounterDefinition => ({ id, nameZh, nameEn, filter, objects, source, note });

export const COUNTERS: readonly CounterDefinition[] = [
  c(
    'reported',
    '上报数',
    'reported',
    { kind: 'report' },
    CASEWIDE,
    '[EG] report; [EGS]',
    'Reports received in the period, every source, whatever became of them.',
  ),
  c(
    'collectorReported',
    '监督员上报数',
    'reported by collectors',
    { kind: 'report', sources: ['collector'] },
    [...CASEWIDE, 'collector'],
    '[EG] patrolReport; [UMP] PositionRepository',
    'Reports entered by collectors (监督员) from their handhelds; for a collector, their own.',
  ),
  c(
    'publicReported',
    '公众举报数',
    'public reports',
    { kind: 'report', sources: PUBLIC },
    CASEWIDE,
    '[EG] publicReportNum',
    'Reports from the public (Open311) and the 12319 hotline.',
  ),
  c(
    'validReported',
    '有效上报数',
    'valid collector reports',
    { kind: 'report', sources: ['collector'], valid: true },
    [...CASEWIDE, 'collector'],
    '[EGS] act_property_id > 4 and ≠ 102',
    'A collector report that reached dispatch and was not voided. Uncertain: [UMP] writes 有效上报 = 立案 + 作废; the two sources conflict.',
  ),
  c(
    'unclosed',
    '未结案数',
    'not closed',
    { kind: 'report', valid: true, done: false },
    CASEWIDE,
    '[EG] 未结案数',
    'Reports of the period that became cases (dispatched, not voided) and are not closed yet (as of now).',
  ),
  c(
    'gridFiled',
    '责任网格立案数',
    'filed in own cells',
    { kind: 'gridFiled' },
    ['collector'],
    'this product',
    'Cases filed in the period in the unit grid cells the collector is assigned to (device registry: grid codes, staff number); the denominator of 漏报率.',
  ),
  c(
    'missedReported',
    '漏报数',
    'missed reports',
    { kind: 'missed' },
    ['collector'],
    '[UMP] 漏报数 (proxy)',
    'Public and hotline reports filed in the period in the collector’s cells: problems the collector should have found. [UMP] uses public reports as the proxy and notes that duplicates should be merged first (here: merged reports are rejected, never filed). The assignment is the registry’s when the case last changed.',
  ),
  c(
    'accepted',
    '受理数',
    'accepted',
    { kind: 'accept' },
    [...CASEWIDE, 'acceptor'],
    '[EG] accept',
    'Reports accepted (受理) in the period.',
  ),
  c(
    'acceptedOnTime',
    '按时受理数',
    'accepted on time',
    { kind: 'accept', onTime: true },
    [...CASEWIDE, 'acceptor'],
    'this product',
    'Accepted before the verify-and-file step limit (环节时限 verifyAndFile) counted from the report ran out.',
  ),
  c(
    'acceptedAccurate',
    '准确受理数',
    'accurately accepted',
    { kind: 'accept', valid: true },
    [...CASEWIDE, 'acceptor'],
    '[EG] 准确受理数',
    'Accepted and not voided since. Uncertain: [EG] names the count without defining it.',
  ),
  c(
    'rejected',
    '不予立案数',
    'rejected',
    { kind: 'reject' },
    [...CASEWIDE, 'acceptor'],
    'guideline art.31',
    'Reports rejected (不予立案) or merged into a duplicate in the period.',
  ),
  c(
    'rejectedOnTime',
    '按时不予立案数',
    'rejected on time',
    { kind: 'reject', onTime: true },
    [...CASEWIDE, 'acceptor'],
    'this product',
    'Rejected before the verify-and-file step limit ran out.',
  ),
  c(
    'filed',
    '立案数',
    'filed',
    { kind: 'file' },
    [...CASEWIDE, 'shiftLeader'],
    '[EG] register / inst; [UMP] PositionRepository',
    'Cases filed (立案) in the period; for a shift leader, those they filed.',
  ),
  c(
    'filedOnTime',
    '按时立案数',
    'filed on time',
    { kind: 'file', onTime: true },
    [...CASEWIDE, 'shiftLeader'],
    '[EG]; [UMP] PositionRepository',
    'Filed before the verify-and-file step limit counted from the report ran out.',
  ),
  c(
    'filedAccurate',
    '准确立案数',
    'accurately filed',
    { kind: 'file', valid: true },
    [...CASEWIDE, 'shiftLeader'],
    '[UMP], [EG]: 立案数 − 作废数',
    'Filed in the period and not voided since (the reference subtracts the period’s voids; here each filing is judged by its own case).',
  ),
  c(
    'publicFiled',
    '监督举报核实数',
    'public reports filed',
    { kind: 'file', sources: PUBLIC },
    CASEWIDE,
    '[UMP] StatisticsService',
    'Public and hotline reports confirmed and filed in the period.',
  ),
  c(
    'voided',
    '作废数',
    'voided',
    { kind: 'void' },
    [...WITH_DEPARTMENT, 'shiftLeader'],
    '[EG] cancel',
    'Voids approved in the period; for a shift leader, of the cases they filed.',
  ),
  c(
    'verifyDue',
    '应核实数',
    'verifications due',
    { kind: 'verify' },
    [...CASEWIDE, 'collector'],
    '[UMP] PositionRepository',
    'Verification tasks (核实) due in the period: answered before the verify-and-file deadline, or that deadline passed. The product has no separate verification limit; the verify-and-file limit from the report is used.',
  ),
  c(
    'verified',
    '核实数',
    'verified',
    { kind: 'verify', done: true },
    [...CASEWIDE, 'collector'],
    '[EG] 核实数',
    'Of the verifications due, those answered.',
  ),
  c(
    'verifiedOnTime',
    '按时核实数',
    'verified on time',
    { kind: 'verify', onTime: true },
    [...CASEWIDE, 'collector'],
    '[UMP] PositionRepository',
    'Answered before the deadline.',
  ),
  c(
    'dispatched',
    '派遣数',
    'dispatched',
    { kind: 'dispatch' },
    [...WITH_DEPARTMENT, 'dispatcher'],
    '[EG] 派遣数',
    'Dispatches in the period (a re-dispatch after a return counts again); for a department, those sent to it.',
  ),
  c(
    'dispatchedAccurate',
    '准确派遣数',
    'accurately dispatched',
    { kind: 'dispatch', valid: true },
    [...WITH_DEPARTMENT, 'dispatcher'],
    '[UMP], [EG]: 派遣数 − 返工数',
    'Dispatches not returned (回退) by the department as not theirs. Deviation: the reference subtracts rework (返工), a handling failure the department answers for; a wrong dispatch shows as a return.',
  ),
  c(
    'dispatchDue',
    '应派遣数',
    'dispatches due',
    { kind: 'dispatchStep' },
    [...WITH_DEPARTMENT, 'dispatcher'],
    '[EG] 应派遣数',
    'Dispatch steps due in the period, from the filing (or a return) to the dispatch, with the dispatch step limit. Deviation from the case view’s step clock, which counts a re-dispatch from the first filing. For a dispatcher: the steps they completed.',
  ),
  c(
    'dispatchedOnTime',
    '按时派遣数',
    'dispatched on time',
    { kind: 'dispatchStep', onTime: true },
    [...WITH_DEPARTMENT, 'dispatcher'],
    '[UMP], [EG]',
    'Dispatch steps completed within the limit.',
  ),
  c(
    'handlingDue',
    '应处置数',
    'handling due',
    { kind: 'handling' },
    WITH_DEPARTMENT,
    '[EG] 应处置数',
    'Handling clocks (dispatch → the feedback that passed re-inspection) due in the period. A clock stopped by a postponement or parking is not due unless it ran out before; one cancelled by a return or void after its deadline counts as overdue.',
  ),
  c(
    'handled',
    '处置数',
    'handled',
    { kind: 'handling', done: true },
    WITH_DEPARTMENT,
    '[EG] 处置数',
    'Of the handling due, those handled (by now).',
  ),
  c(
    'handledOnTime',
    '按期处置数',
    'handled on time',
    { kind: 'handling', onTime: true },
    WITH_DEPARTMENT,
    '[EG]; [UMP] DeptEvaluate',
    'Handled by the deadline in force (after extensions and pauses). After a failed re-inspection the original deadline stands and the later feedback decides.',
  ),
  c(
    'handledLate',
    '超期处置数',
    'handled late',
    { kind: 'handling', done: true, onTime: false },
    WITH_DEPARTMENT,
    '[EG] 超期处置数',
    'Handled after the deadline.',
  ),
  c(
    'overdueUnhandled',
    '超期未处置数',
    'overdue, not handled',
    { kind: 'handling', done: false },
    WITH_DEPARTMENT,
    '[EG] 超期未处置数',
    'Deadline passed in the period without a handling that stood (as of now).',
  ),
  c(
    'handleFeedbacks',
    '处置反馈数',
    'handling feedbacks',
    { kind: 'handle' },
    WITH_DEPARTMENT,
    'this product',
    'Handling feedbacks (处置反馈) in the period, each one; the denominator of the rework rate.',
  ),
  c(
    'reworked',
    '返工数',
    'reworked',
    { kind: 'rework' },
    WITH_DEPARTMENT,
    '[EG] rework; [UMP]',
    'Re-inspections failed in the period (返工: back to the department). [UMP] counts cases dispatched twice to the same department, taken at closing; this workflow records rework directly.',
  ),
  c(
    'returned',
    '回退数',
    'returned',
    { kind: 'return' },
    WITH_DEPARTMENT,
    '[EG] back',
    'Returns approved in the period, for the department that returned the case.',
  ),
  c(
    'reinspectDue',
    '应核查数',
    're-inspections due',
    { kind: 'reinspect' },
    [...WITH_DEPARTMENT, 'collector'],
    '[EG] 应核查数',
    'Re-inspection tasks (核查) due in the period, from the handling feedback, with the reinspect step limit; for a collector, those assigned to them (tasks not yet assigned count for no collector).',
  ),
  c(
    'reinspected',
    '核查数',
    're-inspected',
    { kind: 'reinspect', done: true },
    [...WITH_DEPARTMENT, 'collector'],
    '[EG] 核查数',
    'Of the re-inspections due, those answered (pass or fail).',
  ),
  c(
    'reinspectedOnTime',
    '按时核查数',
    're-inspected on time',
    { kind: 'reinspect', onTime: true },
    [...WITH_DEPARTMENT, 'collector'],
    '[UMP] PositionRepository',
    'Answered before the deadline.',
  ),
  c(
    'closureDue',
    '应结案数',
    'closures due',
    { kind: 'closure' },
    WITH_DEPARTMENT,
    '[EG]; 天门 bulletin (both rates over 应结案数)',
    'Cases due for closing in the period: closed before their handling deadline, or the deadline passed. Voided cases are not due. Uncertain: the reference does not say which limit 按期结案 is measured against; the case’s handling deadline (after extensions and pauses) is used.',
  ),
  c(
    'closed',
    '结案数',
    'closed',
    { kind: 'closure', done: true },
    WITH_DEPARTMENT,
    '[EG]; [UMP] StatisticsService',
    'Of the closures due, the cases closed (by now).',
  ),
  c(
    'closedOnTime',
    '按期结案数',
    'closed on time',
    { kind: 'closure', onTime: true },
    WITH_DEPARTMENT,
    '[EG]; [UMP]',
    'Closed by the handling deadline.',
  ),
  c(
    'closedLate',
    '超期结案数',
    'closed late',
    { kind: 'closure', done: true, onTime: false },
    WITH_DEPARTMENT,
    '[EG]',
    'Closed after the handling deadline.',
  ),
  c(
    'closeActions',
    '结案操作数',
    'closings done',
    { kind: 'close' },
    ['city', 'shiftLeader'],
    '[UMP] ShiftForemanEvaluateVO',
    'Cases a shift leader closed in the period.',
  ),
  c(
    'closeActionsOnTime',
    '按时结案操作数',
    'closings on time',
    { kind: 'close', onTime: true },
    ['city', 'shiftLeader'],
    '[UMP] 按时结案数 (值班长)',
    'Of those, closed by the handling deadline.',
  ),
  c(
    'returnRequested',
    '回退申请数',
    'returns requested',
    { kind: 'exc_return' },
    WITH_DEPARTMENT,
    'guideline art.40',
    'Return requests (回退) made in the period.',
  ),
  c(
    'returnApproved',
    '回退批准数',
    'returns approved',
    { kind: 'exc_return', done: true },
    WITH_DEPARTMENT,
    'guideline art.40',
    'Of those, approved (by now).',
  ),
  c(
    'voidRequested',
    '作废申请数',
    'voids requested',
    { kind: 'exc_void' },
    WITH_DEPARTMENT,
    'guideline art.40',
    'Void requests (作废) made in the period.',
  ),
  c(
    'voidApproved',
    '作废批准数',
    'voids approved',
    { kind: 'exc_void', done: true },
    WITH_DEPARTMENT,
    'guideline art.40',
    'Of those, approved.',
  ),
  c(
    'extendRequested',
    '延期申请数',
    'extensions requested',
    { kind: 'exc_extend' },
    WITH_DEPARTMENT,
    'guideline art.40',
    'Extension requests (延期) made in the period.',
  ),
  c(
    'extendApproved',
    '延期批准数',
    'extensions approved',
    { kind: 'exc_extend', done: true },
    WITH_DEPARTMENT,
    'guideline art.40',
    'Of those, approved.',
  ),
  c(
    'postponeRequested',
    '缓办申请数',
    'postponements requested',
    { kind: 'exc_postpone' },
    WITH_DEPARTMENT,
    'guideline art.40',
    'Postponement requests (缓办) made in the period.',
  ),
  c(
    'postponeApproved',
    '缓办批准数',
    'postponements approved',
    { kind: 'exc_postpone', done: true },
    WITH_DEPARTMENT,
    'guideline art.40',
    'Of those, approved.',
  ),
  c(
    'parkRequested',
    '挂账申请数',
    'parkings requested',
    { kind: 'exc_park' },
    WITH_DEPARTMENT,
    'guideline art.40 (挂账)',
    'Parking requests (挂账) made in the period.',
  ),
  c(
    'parkApproved',
    '挂账批准数',
    'parkings approved',
    { kind: 'exc_park', done: true },
    WITH_DEPARTMENT,
    'guideline art.40 (挂账)',
    'Of those, approved.',
  ),
];

export type CounterId = (typeof COUNTERS)[number]['id'];
export type Counts = Record<string, number>;

export const COUNTER_BY_ID: ReadonlyMap<string, CounterDefinition> = new Map(COUNTERS.map((d) => [d.id, d]));

/** The aggregate column of a count: reported → reported, collectorReported → collector_reported. */
export function columnOf(id: string): string {
  return id.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`);
}

const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** The SQL condition on a fact row (table alias `f`) a count counts. Built from data of ours only, never input. */
export function counterCondition(filter: CounterFilter): string {
  const parts = [`f.kind = ${sqlString(filter.kind)}`];
  for (const [flag, column] of [
    ['onTime', 'on_time'],
    ['done', 'done'],
    ['valid', 'valid'],
  ] as const) {
    const v = filter[flag];
    if (v !== undefined) parts.push(`f.${column} IS ${v ? 'TRUE' : 'FALSE'}`);
  }
  if (filter.sources) parts.push(`f.source IN (${filter.sources.map(sqlString).join(', ')})`);
  return parts.join(' AND ');
}

/** `sum(CASE WHEN … THEN 1 ELSE 0 END) AS column` for every count: the same text for the rollup, the continuous
 * aggregates and the direct query, so the three cannot disagree. */
export function counterSelectList(): string {
  return COUNTERS.map(
    (d) => `sum(CASE WHEN ${counterCondition(d.filter)} THEN 1 ELSE 0 END) AS ${columnOf(d.id)}`,
  ).join(',\n  ');
}

export function zeroCounts(): Counts {
  return Object.fromEntries(COUNTERS.map((d) => [d.id, 0]));
}
