// 分值 the 0–100 scores a composite indicator (综合指标值) weighs: a rate × 100, a rate turned round (100 − rate × 100)
// where lower is better, or a count placed in bands. Sources and doubts follow reference §4; the bands are counts per
// month — for a period that is not a calendar month the count is first scaled to 30 days.
import type { Counts } from './counters.js';
import type { ObjectKind } from './objects.js';
import { RATE_BY_ID, rateOf } from './rates.js';

/** A band: counts up to `max` (inclusive; `below`: exclusive) score `score`. Ordered; the last has max Infinity. */
export interface Band {
  max: number;
  below?: boolean;
  score: number;
}

export type Scoring =
  | { kind: 'rate'; rate: string }
  | { kind: 'inverseRate'; rate: string }
  | { kind: 'bands'; count: string; bands: readonly Band[]; perCell?: boolean };

export interface ScoreItem {
  id: string;
  nameZh: string;
  scoring: Scoring;
  source: string;
  note: string;
}

/** [UMP] 受理数分值: ≥ 2001 → 100; 1201–2000 → 90; 501–1200 → 75; 301–500 → 60; 101–300 → 40; ≤ 100 → 0. */
export const ACCEPTOR_COUNT_BANDS: readonly Band[] = [
  { max: 100, score: 0 },
  { max: 300, score: 40 },
  { max: 500, score: 60 },
  { max: 1200, score: 75 },
  { max: 2000, score: 90 },
  { max: Infinity, score: 100 },
];

/** [UMP] DeptEvaluateService 立案数分值 (10-point scale, × 10 here): ≤ 50 → 10; ≤ 100 → 9; ≤ 200 → 7.5; ≤ 500 → 6;
 * ≤ 1000 → 4; > 1000 → 0. */
export const DEPARTMENT_COUNT_BANDS: readonly Band[] = [
  { max: 50, score: 100 },
  { max: 100, score: 90 },
  { max: 200, score: 75 },
  { max: 500, score: 60 },
  { max: 1000, score: 40 },
  { max: Infinity, score: 0 },
];

/** [UMP] 立案数分值 of a 一类区域 per unit grid: 0 → 100; < 3 → 90; < 5 → 75; < 7 → 60; < 9 → 40; else 0. */
export const AREA_COUNT_BANDS: readonly Band[] = [
  { max: 0, score: 100 },
  { max: 3, below: true, score: 90 },
  { max: 5, below: true, score: 75 },
  { max: 7, below: true, score: 60 },
  { max: 9, below: true, score: 40 },
  { max: Infinity, score: 0 },
];

const s = (id: string, nameZh: string, scoring: Scoring, source: string, note = ''): ScoreItem => ({
  id,
  nameZh,
  scoring,
  source,
  note,
});

export const SCORE_ITEMS: readonly ScoreItem[] = [
  s('validReportScore', '有效上报率分值', { kind: 'rate', rate: 'validReportRate' }, '[UMP] PositionService'),
  s(
    'missedReportScore',
    '漏报率分值',
    { kind: 'inverseRate', rate: 'missedReportRate' },
    '[UMP] PositionService',
    'Scored as 100 − 漏报率 × 100 (fewer missed is better). Uncertain: [UMP] adds the raw rate.',
  ),
  s('onTimeVerifyScore', '按时核实率分值', { kind: 'rate', rate: 'onTimeVerifyRate' }, '[UMP] PositionService'),
  s('onTimeReinspectScore', '按时核查率分值', { kind: 'rate', rate: 'onTimeReinspectRate' }, '[UMP] PositionService'),
  s(
    'coverageScore',
    '巡查覆盖率分值',
    { kind: 'rate', rate: 'coverageRate' },
    'this product',
    'Not in the reference’s formula (default weight 0); give it a weight to reward patrol coverage.',
  ),
  s(
    'acceptedCountScore',
    '受理数分值',
    { kind: 'bands', count: 'accepted', bands: ACCEPTOR_COUNT_BANDS },
    '[UMP] PositionService bands',
  ),
  s(
    'onTimeAcceptScore',
    '按时受理率分值',
    { kind: 'rate', rate: 'onTimeAcceptRate' },
    'this product',
    'In place of [UMP]’s 核实按时派发率 (see the rate).',
  ),
  s(
    'accurateAcceptScore',
    '准确受理率分值',
    { kind: 'rate', rate: 'accurateAcceptRate' },
    '[EG]',
    'In place of [UMP]’s 核查按时派发率 — its code reuses 核实按时派发率 here, which looks like a bug.',
  ),
  s(
    'onTimeFilingScore',
    '按时立案率分值',
    { kind: 'rate', rate: 'onTimeFilingRate' },
    '[UMP] comment',
    '[UMP]’s SQL uses 按时结案率 for this term; the comment is followed.',
  ),
  s('accurateFilingScore', '准确立案率分值', { kind: 'rate', rate: 'accurateFilingRate' }, '[UMP]'),
  s('onTimeCloseScore', '按时结案率分值', { kind: 'rate', rate: 'onTimeCloseRate' }, '[UMP]'),
  s(
    'dispatchedCountScore',
    '派遣数分值',
    { kind: 'bands', count: 'dispatched', bands: ACCEPTOR_COUNT_BANDS },
    '[UMP] comment',
    'Uncertain: [UMP] gives no bands for 派遣数 (its SQL adds the raw count × 0.2); the 受理数 bands are used.',
  ),
  s('onTimeDispatchScore', '按时派遣率分值', { kind: 'rate', rate: 'onTimeDispatchRate' }, '[UMP]'),
  s('accurateDispatchScore', '准确派遣率分值', { kind: 'rate', rate: 'accurateDispatchRate' }, '[UMP]'),
  s(
    'departmentCaseScore',
    '立案数分值 (部门)',
    { kind: 'bands', count: 'dispatched', bands: DEPARTMENT_COUNT_BANDS },
    '[UMP] DeptEvaluateService',
    'On the cases dispatched to the department; the 10-point scale × 10. Fewer cases score higher, as coded.',
  ),
  s(
    'closureScore',
    '结案率分值',
    { kind: 'rate', rate: 'closureRate' },
    '[UMP]',
    '[UMP]’s area code uses 100 − rate, which looks inverted; the rate is used.',
  ),
  s('onTimeHandlingScore', '按时处置率分值', { kind: 'rate', rate: 'onTimeHandlingRate' }, '[UMP] DeptEvaluateService'),
  s(
    'reworkScore',
    '返工率分值',
    { kind: 'inverseRate', rate: 'reworkRate' },
    '[UMP] DeptEvaluateService',
    '100 − 返工率 × 100.',
  ),
  s(
    'publicReportScore',
    '监督举报率分值',
    { kind: 'inverseRate', rate: 'publicReportRate' },
    '[UMP] StatisticsService',
    '100 − rate × 100: the fewer problems the public found first, the better.',
  ),
  s(
    'areaFiledScore',
    '立案数分值 (区域)',
    { kind: 'bands', count: 'filed', bands: AREA_COUNT_BANDS, perCell: true },
    '[UMP] 一类区域 bands',
    'On filed cases per unit grid cell of the area (the bands are per cell); 一类区域 bands for every area (the area class is not recorded).',
  ),
  s('onTimeClosureScore', '按期结案率分值', { kind: 'rate', rate: 'onTimeClosureRate' }, '[UMP]'),
];

export const SCORE_BY_ID: ReadonlyMap<string, ScoreItem> = new Map(SCORE_ITEMS.map((i) => [i.id, i]));

/** Which score items make sense for an object kind (a weight may only be given to these). */
export function scoreItemsFor(kind: ObjectKind): ScoreItem[] {
  return SCORE_ITEMS.filter((item) => {
    const sc = item.scoring;
    if (sc.kind === 'bands') return sc.perCell ? !['class', 'department'].includes(kind) && !isPerson(kind) : true;
    return RATE_BY_ID.get(sc.rate)!.objects.includes(kind);
  });
}

const isPerson = (k: ObjectKind) => ['collector', 'acceptor', 'shiftLeader', 'dispatcher'].includes(k);

export function bandScore(value: number, bands: readonly Band[]): number {
  return bands.find((b) => (b.below ? value < b.max : value <= b.max))!.score;
}

export interface ScoreInput {
  counts: Counts;
  /** Counts are scaled by this to a month (1 for a calendar month, 30 ÷ days otherwise). */
  monthScale: number;
  /** Unit grid cells in the area (for per-cell bands); null when unknown. */
  cells: number | null;
}

/** The 0–100 score of an item, or null when its rate has no cases (or the cells are unknown). */
export function scoreOf(item: ScoreItem, input: ScoreInput): number | null {
  const sc = item.scoring;
  if (sc.kind === 'bands') {
    let value = (input.counts[sc.count] ?? 0) * input.monthScale;
    if (sc.perCell) {
      if (!input.cells) return null;
      value /= input.cells;
    }
    return bandScore(value, sc.bands);
  }
  const rate = rateOf(RATE_BY_ID.get(sc.rate)!, input.counts).value;
  if (rate === null) return null;
  return sc.kind === 'rate' ? rate * 100 : 100 - rate * 100;
}
