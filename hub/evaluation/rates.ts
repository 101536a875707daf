// 比率指标 the rates of the evaluation (numerator ÷ denominator, reference §3), each from the base counts, with its
// source and what is uncertain. A rate whose denominator is 0 is null ("no such cases"), never 0 or 100 %.
import { COUNTER_BY_ID, type Counts } from './counters.js';
import type { ObjectKind } from './objects.js';

export interface RateDefinition {
  id: string;
  nameZh: string;
  nameEn: string;
  /** Counts summed above and below the line. */
  numerator: readonly string[];
  denominator: readonly string[];
  objects: readonly ObjectKind[];
  source: string;
  note: string;
}

/** Counts that come from outside the case facts: the collectors' patrol coverage (cell-coverage rule records). */
export const COVERAGE_COUNTS = [
  { id: 'coverageShifts', nameZh: '巡查班次数', nameEn: 'shifts judged' },
  { id: 'coverageAssigned', nameZh: '应巡网格数', nameEn: 'cells assigned (per shift)' },
  { id: 'coverageVisited', nameZh: '已巡网格数', nameEn: 'cells visited (per shift)' },
] as const;

const AREAS: readonly ObjectKind[] = ['city', 'district', 'street', 'community', 'cell'];
const CASEWIDE: readonly ObjectKind[] = [...AREAS, 'class'];
const WITH_DEPARTMENT: readonly ObjectKind[] = [...CASEWIDE, 'department'];

const r = (
  id: string,
  nameZh: string,
  nameEn: string,
  numerator: readonly string[],
  denominator: readonly string[],
  objects: readonly ObjectKind[],
  source: string,
  note = '',
): RateDefinition => ({ id, nameZh, nameEn, numerator, denominator, objects, source, note });

export const RATES: readonly RateDefinition[] = [
  r(
    'closureRate',
    '结案率',
    'closure rate',
    ['closed'],
    ['closureDue'],
    WITH_DEPARTMENT,
    '[EG], [UMP] StatisticsService; 天门 bulletin',
    '结案数 ÷ 应结案数.',
  ),
  r(
    'onTimeClosureRate',
    '按期结案率',
    'on-time closure rate',
    ['closedOnTime'],
    ['closureDue'],
    WITH_DEPARTMENT,
    '[EG], [UMP]',
    '按期结案数 ÷ 应结案数.',
  ),
  r(
    'lateClosureRate',
    '超期结案率',
    'late closure rate',
    ['closedLate'],
    ['closureDue'],
    WITH_DEPARTMENT,
    '[EG]',
    '超期结案数 ÷ 应结案数.',
  ),
  r('unclosedRate', '未结案率', 'not-closed rate', ['unclosed'], ['reported'], CASEWIDE, '[EG]', '未结案数 ÷ 上报数.'),
  r(
    'handlingRate',
    '处置率',
    'handling rate',
    ['handled'],
    ['handlingDue'],
    WITH_DEPARTMENT,
    '[EG]',
    '处置数 ÷ 应处置数.',
  ),
  r(
    'onTimeHandlingRate',
    '按期处置率',
    'on-time handling rate',
    ['handledOnTime'],
    ['handlingDue'],
    WITH_DEPARTMENT,
    '[EG], [UMP] DeptEvaluate',
    '按期处置数 ÷ 应处置数.',
  ),
  r(
    'reworkRate',
    '返工率',
    'rework rate',
    ['reworked'],
    ['handleFeedbacks'],
    WITH_DEPARTMENT,
    '[UMP] DeptEvaluate',
    '返工数 ÷ 处置反馈数. [UMP] divides by 处置数, [EG] by the cases awaiting on-site confirmation; every feedback is one that could fail, hence the feedbacks here.',
  ),
  r(
    'onTimeFilingRate',
    '按时立案率',
    'on-time filing rate',
    ['filedOnTime'],
    ['filed'],
    [...CASEWIDE, 'shiftLeader'],
    '[EG], [UMP] PositionRepository',
    '按时立案数 ÷ 立案数.',
  ),
  r(
    'accurateFilingRate',
    '准确立案率',
    'accurate filing rate',
    ['filedAccurate'],
    ['filed'],
    [...CASEWIDE, 'shiftLeader'],
    '[UMP], [EG]',
    '准确立案数 ÷ 立案数.',
  ),
  r(
    'onTimeCloseRate',
    '按时结案率 (值班长)',
    'on-time closing rate (shift leader)',
    ['closeActionsOnTime'],
    ['closeActions'],
    ['city', 'shiftLeader'],
    '[UMP] 按时结案数 ÷ 结案数',
    'The shift leader’s closings by the handling deadline ÷ their closings. [EG]’s 按期结案率 divides by 应结案数 instead (the closure rate above).',
  ),
  r(
    'onTimeDispatchRate',
    '按时派遣率',
    'on-time dispatch rate',
    ['dispatchedOnTime'],
    ['dispatchDue'],
    [...WITH_DEPARTMENT, 'dispatcher'],
    '[UMP], [EG]',
    '按时派遣数 ÷ 应派遣数.',
  ),
  r(
    'accurateDispatchRate',
    '准确派遣率',
    'accurate dispatch rate',
    ['dispatchedAccurate'],
    ['dispatched'],
    [...WITH_DEPARTMENT, 'dispatcher'],
    '[UMP], [EG]',
    '准确派遣数 ÷ 派遣数 (the reference divides by 应派遣数; a dispatch’s accuracy is known only for dispatches made).',
  ),
  r(
    'validReportRate',
    '有效上报率',
    'valid report rate',
    ['validReported'],
    ['collectorReported'],
    [...CASEWIDE, 'collector'],
    '[UMP], [EG]',
    '有效上报数 ÷ 监督员上报数.',
  ),
  r(
    'missedReportRate',
    '漏报率',
    'missed report rate',
    ['missedReported'],
    ['gridFiled'],
    ['collector'],
    '[UMP]',
    '漏报数 ÷ 立案数 of the collector’s cells.',
  ),
  r(
    'onTimeVerifyRate',
    '按时核实率',
    'on-time verification rate',
    ['verifiedOnTime'],
    ['verifyDue'],
    [...CASEWIDE, 'collector'],
    '[UMP], [EG]',
    '按时核实数 ÷ 应核实数.',
  ),
  r(
    'onTimeReinspectRate',
    '按时核查率',
    'on-time re-inspection rate',
    ['reinspectedOnTime'],
    ['reinspectDue'],
    [...WITH_DEPARTMENT, 'collector'],
    '[EG] (UMP divides by 应发核查数)',
    '按时核查数 ÷ 应核查数.',
  ),
  r(
    'publicReportRate',
    '监督举报率',
    'public report rate',
    ['publicFiled'],
    ['filed'],
    CASEWIDE,
    '[UMP] StatisticsService',
    '监督举报核实数 ÷ 立案数: the share of filed cases the public found first (lower is better).',
  ),
  r(
    'onTimeAcceptRate',
    '按时受理率',
    'on-time acceptance rate',
    ['acceptedOnTime', 'rejectedOnTime'],
    ['accepted', 'rejected'],
    [...CASEWIDE, 'acceptor'],
    'this product',
    'Reports decided (accepted or rejected) before the verify-and-file limit ÷ reports decided. Stands in for [UMP]’s 核实/核查按时派发率: this workflow has no limit for sending a verification, and the shift leader or dispatcher sends the re-inspection.',
  ),
  r(
    'accurateAcceptRate',
    '准确受理率',
    'accurate acceptance rate',
    ['acceptedAccurate'],
    ['accepted'],
    [...CASEWIDE, 'acceptor'],
    '[EG]',
    '准确受理数 ÷ 受理数.',
  ),
  r(
    'coverageRate',
    '巡查覆盖率',
    'patrol coverage',
    ['coverageVisited'],
    ['coverageAssigned'],
    ['collector'],
    'issue 6 cell-coverage rule',
    'Assigned unit grid cells visited ÷ assigned, summed over the collector’s judged shifts in the period (shifts starting in it). Only where a cell-coverage rule runs; the device is matched to the user by staff number (工号).',
  ),
];

export const RATE_BY_ID: ReadonlyMap<string, RateDefinition> = new Map(RATES.map((d) => [d.id, d]));

export interface RateValue {
  numerator: number;
  denominator: number;
  /** numerator ÷ denominator; null when the denominator is 0. */
  value: number | null;
}

export function rateOf(def: RateDefinition, counts: Counts): RateValue {
  const sum = (ids: readonly string[]) => ids.reduce((s, id) => s + (counts[id] ?? 0), 0);
  const numerator = sum(def.numerator);
  const denominator = sum(def.denominator);
  return { numerator, denominator, value: denominator === 0 ? null : numerator / denominator };
}

/** Every count a rate names exists (checked by a test, so a typo cannot hide). */
export function unknownRateInputs(): string[] {
  const known = new Set([...COUNTER_BY_ID.keys(), ...COVERAGE_COUNTS.map((c) => c.id)]);
  return RATES.flatMap((d) => [...d.numerator, ...d.denominator]).filter((id) => !known.has(id));
}
