// 考核周期 evaluation periods: a day, an ISO week, a month or a custom range of whole local days, always in China
// Standard Time (UTC+8, no daylight saving), the time zone the daily aggregates are bucketed in. A period is written
// as one string: `2026-11-05`, `2026-W45`, `2026-11` or `2026-11-01..2026-11-15` (both ends included).
import { EvaluationError } from './errors.js';

export const EVALUATION_TIME_ZONE = 'Asia/Shanghai';
/** Asia/Shanghai has kept UTC+8 all year since 1992, so local days are fixed 24 h spans. */
const OFFSET_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;
/** A custom period longer than this is refused (a year and a leap day). */
export const MAX_PERIOD_DAYS = 366;

export type PeriodKind = 'day' | 'week' | 'month' | 'custom';

export interface Period {
  kind: PeriodKind;
  /** As written: 2026-11, 2026-W45, … */
  label: string;
  /** First and last local day, YYYY-MM-DD, both included. */
  from: string;
  to: string;
  /** The period as instants: [startMs, endMs). */
  startMs: number;
  endMs: number;
  days: number;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;
const WEEK = /^(\d{4})-W(\d{2})$/;
const RANGE = /^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$/;

/** Days since 1970-01-01 of a valid calendar date, else null (2026-02-30 is not one). */
function dayNumber(date: string): number | null {
  const m = DATE.exec(date);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return ms / DAY_MS;
}

const dateOf = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** The local day (YYYY-MM-DD, China Standard Time) an instant falls in. */
export function localDayOf(ms: number): string {
  return new Date(ms + OFFSET_MS).toISOString().slice(0, 10);
}

/** The local month (YYYY-MM) an instant falls in. */
export function localMonthOf(ms: number): string {
  return localDayOf(ms).slice(0, 7);
}

/** Local midnight starting `date` as an instant. */
export function dayStartMs(date: string): number {
  const n = dayNumber(date);
  if (n === null) throw new EvaluationError('InvalidPeriod', `${date} is not a date (YYYY-MM-DD)`);
  return n * DAY_MS - OFFSET_MS;
}

export function addDays(date: string, days: number): string {
  return dateOf(dayNumber(date)! + days);
}

/** Every local day of the period, in order. */
export function daysOf(period: Pick<Period, 'from' | 'days'>): string[] {
  return Array.from({ length: period.days }, (_, i) => addDays(period.from, i));
}

/** The month before `month` (YYYY-MM). */
export function previousMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}

function make(kind: PeriodKind, label: string, from: string, to: string): Period {
  const a = dayNumber(from)!;
  const b = dayNumber(to)!;
  return {
    kind,
    label,
    from,
    to,
    startMs: a * DAY_MS - OFFSET_MS,
    endMs: (b + 1) * DAY_MS - OFFSET_MS,
    days: b - a + 1,
  };
}

/** Monday of ISO week `week` of ISO year `year`, or null when the year has no such week. */
function isoWeekMonday(year: number, week: number): number | null {
  if (week < 1 || week > 53) return null;
  const jan4 = Date.UTC(year, 0, 4) / DAY_MS;
  const weekday = (new Date(jan4 * DAY_MS).getUTCDay() + 6) % 7; // 0 = Monday
  const monday = jan4 - weekday + (week - 1) * 7;
  // Week 53 exists only when that Monday's Thursday still lies in the same ISO year.
  const thursday = new Date((monday + 3) * DAY_MS);
  return thursday.getUTCFullYear() === year ? monday : null;
}

/** The month a month period names, e.g. for the monthly report. */
export function monthPeriod(month: string): Period {
  const m = MONTH.exec(month);
  if (!m) throw new EvaluationError('InvalidPeriod', `month must look like 2026-11, not ${month}`);
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const last = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  return make('month', month, `${month}-01`, `${month}-${String(last).padStart(2, '0')}`);
}

/** Reads a period: `2026-11-05` (a day), `2026-W45` (an ISO week), `2026-11` (a month), `2026-11-01..2026-11-15`. */
export function parsePeriod(text: string): Period {
  if (DATE.test(text)) {
    if (dayNumber(text) === null) throw new EvaluationError('InvalidPeriod', `${text} is not a calendar date`);
    return make('day', text, text, text);
  }
  if (MONTH.test(text)) return monthPeriod(text);
  const w = WEEK.exec(text);
  if (w) {
    const monday = isoWeekMonday(Number(w[1]), Number(w[2]));
    if (monday === null) throw new EvaluationError('InvalidPeriod', `${w[1]} has no ISO week ${w[2]}`);
    return make('week', text, dateOf(monday), dateOf(monday + 6));
  }
  const r = RANGE.exec(text);
  if (r) {
    const [from, to] = [r[1]!, r[2]!];
    const a = dayNumber(from);
    const b = dayNumber(to);
    if (a === null || b === null)
      throw new EvaluationError('InvalidPeriod', `${text}: both ends must be calendar dates`);
    if (b < a) throw new EvaluationError('InvalidPeriod', `${text} ends before it starts`);
    if (b - a + 1 > MAX_PERIOD_DAYS) {
      throw new EvaluationError('InvalidPeriod', `${text} spans ${b - a + 1} days; at most ${MAX_PERIOD_DAYS}`);
    }
    return make('custom', text, from, to);
  }
  throw new EvaluationError(
    'InvalidPeriod',
    `period must be a day (2026-11-05), an ISO week (2026-W45), a month (2026-11) or a range (2026-11-01..2026-11-15), not "${text}"`,
  );
}
