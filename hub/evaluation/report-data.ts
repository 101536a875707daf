// 月度运行报告数据 what the monthly operations report (art.37) shows, gathered from the evaluation service for one
// month: the city's figures and grade, the daily trend, the breakdowns by class and department, the areas and
// positions with their scores and grades, and the exceptions ledger.
import type { EvaluatedObject } from './evaluate.js';
import type { ExceptionsLedger } from './exceptions.js';
import type { ObjectKind } from './objects.js';
import { monthPeriod, type Period } from './period.js';
import type { EvaluationService } from './service.js';

export const POSITION_SECTIONS: readonly ObjectKind[] = ['collector', 'acceptor', 'shiftLeader', 'dispatcher'];

export interface TrendDay {
  day: string;
  reported: number;
  closings: number;
  /** Handling clocks that fell due that day without a handling on time. */
  overdue: number;
}

export interface MonthlyReportData {
  month: string;
  period: Period;
  generatedAt: Date;
  timeZone: string;
  source: string;
  city: EvaluatedObject;
  trend: TrendDay[];
  classes: EvaluatedObject[];
  departments: EvaluatedObject[];
  districts: EvaluatedObject[];
  streets: EvaluatedObject[];
  positions: { kind: ObjectKind; objects: EvaluatedObject[] }[];
  exceptions: ExceptionsLedger;
}

const byScore = (a: EvaluatedObject, b: EvaluatedObject) =>
  (b.composite?.score ?? -1) - (a.composite?.score ?? -1) || a.id.localeCompare(b.id);

export async function monthlyReportData(service: EvaluationService, month: string): Promise<MonthlyReportData> {
  const period = monthPeriod(month);
  const evaluated = await service.evaluateMany(
    ['city', 'class', 'department', 'district', 'street', ...POSITION_SECTIONS],
    period,
  );
  const { city, class: classes, department: departments, district: districts, street: streets } = evaluated;
  const trend = await service.trend(period);
  const exceptions = await service.exceptions(period);
  const positions: MonthlyReportData['positions'] = POSITION_SECTIONS.map((kind) => ({
    kind,
    objects: evaluated[kind].objects.sort(byScore),
  }));
  return {
    month,
    period,
    generatedAt: city.generatedAt,
    timeZone: city.timeZone,
    source: city.source,
    city: city.objects[0]!,
    trend: trend.map(({ day, counts }) => ({
      day,
      reported: counts.reported ?? 0,
      closings: counts.closeActions ?? 0,
      overdue: (counts.handlingDue ?? 0) - (counts.handledOnTime ?? 0),
    })),
    classes: classes.objects.sort(
      (a, b) => (b.counts.reported ?? 0) - (a.counts.reported ?? 0) || a.id.localeCompare(b.id),
    ),
    departments: departments.objects.sort(byScore),
    districts: districts.objects.sort(byScore),
    streets: streets.objects.sort(byScore),
    positions,
    exceptions,
  };
}
