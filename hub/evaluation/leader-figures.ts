// 领导看板指标 the figures of the leader's dashboard, in two kinds never mixed: `now`, the cases open, overdue and
// supervised (督办) at this instant (hub/cases/statistics.ts), and `month`, the month's reports, filings, closures due,
// closures and on-time closures with the closure rates — the evaluation's own counts and rates (counters.ts, rates.ts)
// over its own month (China Standard Time, period.ts), read through the evaluation service like the public page's
// (public-figures.ts). The dashboard counts no period itself, so its "本月结案" is the evaluation's 结案数 of the same
// month, whichever screen shows it. For the city, each district and each department.
import { liveOverview, type LiveCounts, type LiveGroup } from '../cases/statistics.js';
import { COUNTER_BY_ID, zeroCounts } from './counters.js';
import type { EvaluatedObject } from './evaluate.js';
import { localMonthOf, monthPeriod } from './period.js';
import { RATE_BY_ID, rateOf } from './rates.js';
import type { EvaluationService } from './service.js';

export const LEADER_COUNTS = ['reported', 'filed', 'closureDue', 'closed', 'closedOnTime'] as const;
export const LEADER_RATES = ['closureRate', 'onTimeClosureRate'] as const;
export type LeaderCount = (typeof LEADER_COUNTS)[number];
export type LeaderRate = (typeof LEADER_RATES)[number];

/** The kinds the dashboard breaks the month down by. */
type LeaderKind = 'city' | 'district' | 'department';

export interface MonthFigures {
  /** The counts meaningful for the object's kind (a department has no 上报数 or 立案数: they come before it). */
  counts: Partial<Record<LeaderCount, number>>;
  /** Fractions 0–1; null when nothing was due. */
  rates: Partial<Record<LeaderRate, number | null>>;
}

export interface OverviewGroup {
  /** Department id or district code; null: not dispatched yet (departments) or outside the grid (districts). */
  id: string | null;
  name: string | null;
  now: LiveCounts;
  /** null for the group without an id: the evaluation has no such object. */
  month: MonthFigures | null;
}

export interface LeaderOverview {
  at: Date;
  /** The evaluation's month `at` falls in. */
  month: { period: string; from: string; to: string; timeZone: string };
  totals: { now: LiveCounts; month: MonthFigures };
  /** The groups with open cases (the most first), then those with only month's figures (by id). */
  byDepartment: OverviewGroup[];
  byDistrict: OverviewGroup[];
}

const meaningfulFor = (kind: LeaderKind) => ({
  counts: LEADER_COUNTS.filter((c) => COUNTER_BY_ID.get(c)!.objects.includes(kind)),
  rates: LEADER_RATES.filter((r) => RATE_BY_ID.get(r)!.objects.includes(kind)),
});

function figuresOf(kind: LeaderKind, o: EvaluatedObject): MonthFigures {
  const { counts, rates } = meaningfulFor(kind);
  return {
    counts: Object.fromEntries(counts.map((c) => [c, o.counts[c] ?? 0])),
    rates: Object.fromEntries(rates.map((r) => [r, o.rates[r]?.value ?? null])),
  };
}

/** The figures of an object with nothing in the month: what the evaluation says of it (zeros, no rate). */
function noFigures(kind: LeaderKind): MonthFigures {
  const { counts, rates } = meaningfulFor(kind);
  const zero = zeroCounts();
  return {
    counts: Object.fromEntries(counts.map((c) => [c, 0])),
    rates: Object.fromEntries(rates.map((r) => [r, rateOf(RATE_BY_ID.get(r)!, zero).value])),
  };
}

/** The live groups and the evaluation's objects of one kind side by side. */
function joinGroups(kind: LeaderKind, live: LiveGroup[], month: EvaluatedObject[]): OverviewGroup[] {
  const byId = new Map(month.map((o) => [o.id, o]));
  const groups: OverviewGroup[] = live.map(({ id, name, ...now }) => {
    const o = id === null ? undefined : byId.get(id);
    return {
      id,
      name: name ?? o?.name ?? null,
      now,
      month: id === null ? null : o ? figuresOf(kind, o) : noFigures(kind),
    };
  });
  const shown = new Set(live.map((g) => g.id));
  for (const o of month) {
    if (shown.has(o.id)) continue;
    groups.push({
      id: o.id,
      name: o.name,
      now: { open: 0, overdue: 0, supervised: 0 },
      month: figuresOf(kind, o),
    });
  }
  return groups;
}

/** The dashboard's figures at the evaluation service's now. */
export async function leaderOverview(service: EvaluationService): Promise<LeaderOverview> {
  const nowMs = service.now();
  const period = monthPeriod(localMonthOf(nowMs));
  const live = await liveOverview(service.pool, nowMs);
  const {
    city,
    district: districts,
    department: departments,
  } = await service.evaluateMany(['city', 'district', 'department'], period);
  return {
    at: live.at,
    month: { period: period.label, from: period.from, to: period.to, timeZone: city.timeZone },
    totals: { now: live.totals, month: figuresOf('city', city.objects[0]!) },
    byDepartment: joinGroups('department', live.byDepartment, departments.objects),
    byDistrict: joinGroups('district', live.byDistrict, districts.objects),
  };
}
