// 工作日历 the city's working calendar and 时限计算 deadline arithmetic: working periods per day, weekends, public holidays
// and adjusted working days (调休), all in the city's time zone; deadlines, elapsed time and traffic lights in the three
// units of ports.ts. Pure: no clock, no database (hub/cases/calendar-store.ts loads the data).
//
// Rules, chosen once and used by both deadline() and elapsed() so that elapsed(s, deadline(s, L)) === L.value:
// - workHours count only working periods on working days. A start outside working time starts counting at the next
//   working period's start. A deadline that lands exactly on a period's end stays there (17:30, not the next
//   morning's 08:30): the work was due by the end of that period.
// - workDays: N working days = N × (the working time of a standard working day, 7.5 h by default) of working time, so
//   "1工作日" from Tuesday 10:00 ends Wednesday 10:00, and from Tuesday 08:30 it ends Tuesday 17:30. This is how the
//   supervision centres count in practice (a case filed mid-morning is not due at the end of the same day), and it
//   makes a day with shortened hours (a per-date override) count for less than a full day.
// - urgentHours are continuous wall-clock hours, nights and holidays included.
// - A zero limit is due at its start. Elapsed time before the start is 0 (never negative).
// - Suspended intervals (缓办) stop the clock: elapsed(…, excluded) leaves them out. An extension (延期) is a new
//   deadline and lives in the case store, not here.
import type { TimeLimit, TimeLimitUnit, TrafficLight, WorkCalendar } from './ports.js';

export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

/** A working period of a day in local wall-clock time, `HH:MM`–`HH:MM` (end after start, both within the day). */
export interface WorkingPeriod {
  start: string;
  end: string;
}

/** ISO weekday: 1 Monday … 7 Sunday. */
export type IsoWeekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

export interface CalendarSettings {
  /** IANA zone, e.g. Asia/Shanghai. */
  timeZone: string;
  /** A standard working day's periods, ordered and non-overlapping. */
  workingPeriods: WorkingPeriod[];
  weekendDays: IsoWeekday[];
}

export const SPECIAL_DAY_KINDS = ['holiday', 'workday'] as const;
export type SpecialDayKind = (typeof SPECIAL_DAY_KINDS)[number];

/** A public holiday (节假日) or a working day on a weekend (调休上班), or a weekday with its own hours. */
export interface SpecialDay {
  /** Local date `YYYY-MM-DD`. */
  date: string;
  kind: SpecialDayKind;
  name: string;
  /** Only for `workday`: this date's own working periods (e.g. a half day); absent: the standard periods. */
  workingPeriods?: WorkingPeriod[] | null;
}

export interface CalendarData {
  settings: CalendarSettings;
  days: SpecialDay[];
}

export const DEFAULT_SETTINGS: CalendarSettings = {
  timeZone: DEFAULT_TIME_ZONE,
  workingPeriods: [
    { start: '08:30', end: '12:00' },
    { start: '13:30', end: '17:30' },
  ],
  weekendDays: [6, 7],
};

export interface CalendarIssue {
  /** Index into `days` when the issue is about one special day. */
  row?: number;
  field: string;
  message: string;
}

export class CalendarError extends Error {
  constructor(
    message: string,
    readonly errors: CalendarIssue[] = [],
  ) {
    super(errors.length ? `${message}: ${errors.map((e) => e.message).join('; ')}` : message);
    this.name = 'CalendarError';
  }
}

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** A calendar with no working time for this long is broken; stop instead of looping forever. */
const MAX_IDLE_DAYS = 3_660;
const DAY_CACHE_LIMIT = 4_000;

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function minutesOf(hhmm: string): number | null {
  const m = HHMM.exec(hhmm);
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}

/** Day number (days since 1970-01-01) of a valid `YYYY-MM-DD`, else null (rejects 2026-02-30). */
export function dayNumberOf(date: string): number | null {
  const m = DATE.exec(date);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return ms / DAY_MS;
}

export function dateOfDayNumber(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

function isoWeekdayOf(day: number): IsoWeekday {
  const d = new Date(day * DAY_MS).getUTCDay();
  return (d === 0 ? 7 : d) as IsoWeekday;
}

export function validatePeriods(periods: unknown, field: string): CalendarIssue[] {
  if (!Array.isArray(periods)) return [{ field, message: `${field} must be a list of {start, end}` }];
  const issues: CalendarIssue[] = [];
  let previousEnd = -1;
  periods.forEach((p: Partial<WorkingPeriod> | null, i) => {
    const where = `${field}[${i}]`;
    const start = typeof p?.start === 'string' ? minutesOf(p.start) : null;
    const end = typeof p?.end === 'string' ? minutesOf(p.end) : null;
    if (start === null || end === null) {
      issues.push({ field: where, message: `${where} needs start and end as HH:MM (00:00–23:59)` });
      return;
    }
    if (end <= start)
      issues.push({ field: where, message: `${where} ends (${p!.end}) before it starts (${p!.start})` });
    else if (start < previousEnd)
      issues.push({ field: where, message: `${where} starts at ${p!.start}, before the previous period ends` });
    previousEnd = Math.max(previousEnd, end);
  });
  return issues;
}

export function validateTimeZone(timeZone: unknown): CalendarIssue[] {
  if (typeof timeZone !== 'string' || timeZone === '')
    return [{ field: 'timeZone', message: 'timeZone must be an IANA zone name such as Asia/Shanghai' }];
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return [];
  } catch {
    return [{ field: 'timeZone', message: `unknown time zone ${timeZone}; use an IANA name such as Asia/Shanghai` }];
  }
}

export function validateSettings(settings: CalendarSettings): CalendarIssue[] {
  const issues = [
    ...validateTimeZone(settings.timeZone),
    ...validatePeriods(settings.workingPeriods, 'workingPeriods'),
  ];
  if (Array.isArray(settings.workingPeriods) && settings.workingPeriods.length === 0)
    issues.push({ field: 'workingPeriods', message: 'a standard working day needs at least one working period' });
  const weekend = settings.weekendDays;
  if (!Array.isArray(weekend) || weekend.some((d) => !Number.isInteger(d) || d < 1 || d > 7))
    issues.push({ field: 'weekendDays', message: 'weekendDays are ISO weekdays 1 (Monday) … 7 (Sunday)' });
  else if (new Set(weekend).size !== weekend.length)
    issues.push({ field: 'weekendDays', message: 'weekendDays lists a day twice' });
  else if (weekend.length === 7) issues.push({ field: 'weekendDays', message: 'at least one weekday must be worked' });
  return issues;
}

/** Problems with a list of special days; `year` (when given) must contain every date. */
export function validateDays(days: SpecialDay[], year?: number): CalendarIssue[] {
  const issues: CalendarIssue[] = [];
  const seen = new Map<string, number>();
  days.forEach((d, row) => {
    if (dayNumberOf(d.date) === null) {
      issues.push({ row, field: 'date', message: `row ${row}: ${String(d.date)} is not a date (YYYY-MM-DD)` });
      return;
    }
    if (year !== undefined && Number(d.date.slice(0, 4)) !== year)
      issues.push({ row, field: 'date', message: `row ${row}: ${d.date} is not in ${year}` });
    if (!SPECIAL_DAY_KINDS.includes(d.kind))
      issues.push({
        row,
        field: 'kind',
        message: `row ${row}: kind must be holiday or workday, not ${String(d.kind)}`,
      });
    if (typeof d.name !== 'string' || d.name.trim() === '')
      issues.push({ row, field: 'name', message: `row ${row}: ${d.date} needs a name (e.g. 国庆节)` });
    if (d.workingPeriods != null) {
      if (d.kind !== 'workday')
        issues.push({
          row,
          field: 'workingPeriods',
          message: `row ${row}: ${d.date} is a holiday; only workdays have hours`,
        });
      else {
        issues.push(
          ...validatePeriods(d.workingPeriods, 'workingPeriods').map((i) => ({
            ...i,
            row,
            message: `row ${row}: ${i.message}`,
          })),
        );
        if (d.workingPeriods.length === 0)
          issues.push({ row, field: 'workingPeriods', message: `row ${row}: a workday needs at least one period` });
      }
    }
    const first = seen.get(d.date);
    if (first !== undefined) {
      const other = days[first]!;
      issues.push({
        row,
        field: 'date',
        message:
          other.kind !== d.kind
            ? `row ${row}: ${d.date} is both a holiday and a workday (rows ${first} and ${row})`
            : `row ${row}: ${d.date} is listed twice (rows ${first} and ${row})`,
      });
    } else seen.set(d.date, row);
  });
  return issues;
}

type Interval = readonly [number, number];

/** Union of intervals, sorted, touching ones merged; empty and reversed ones dropped. */
export function mergeIntervals(intervals: ReadonlyArray<readonly [number, number]>): Interval[] {
  const sorted = intervals.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** 工作日历 a city's working calendar; implements the WorkCalendar port. */
export class WorkingCalendar implements WorkCalendar {
  readonly settings: CalendarSettings;
  /** Working time of a standard working day: the length of one 工作日. */
  readonly workDayMs: number;
  private readonly special = new Map<string, SpecialDay>();
  private readonly standardMinutes: [number, number][];
  private readonly formatter: Intl.DateTimeFormat;
  // Working intervals (UTC ms) per day number: deadlines and elapsed times revisit the same few weeks.
  private readonly dayCache = new Map<number, Interval[]>();

  constructor(data: CalendarData) {
    const issues = [...validateSettings(data.settings), ...validateDays(data.days)];
    if (issues.length) throw new CalendarError('invalid working calendar', issues);
    this.settings = structuredClone(data.settings);
    for (const d of data.days) this.special.set(d.date, structuredClone(d));
    this.standardMinutes = this.settings.workingPeriods.map((p) => [minutesOf(p.start)!, minutesOf(p.end)!]);
    this.workDayMs = this.standardMinutes.reduce((sum, [a, b]) => sum + (b - a) * MINUTE_MS, 0);
    this.formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: this.settings.timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  get days(): SpecialDay[] {
    return [...this.special.values()].sort((a, b) => a.date.localeCompare(b.date));
  }

  /** Years that have special days. A deadline running through another year sees only its weekends. */
  get years(): number[] {
    return [...new Set([...this.special.keys()].map((d) => Number(d.slice(0, 4))))].sort((a, b) => a - b);
  }

  /** The local wall-clock reading of an instant as if it were UTC (so Date.UTC arithmetic works on it). */
  private localMs(utcMs: number): number {
    const parts: Record<string, number> = {};
    for (const p of this.formatter.formatToParts(utcMs)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
    const wholeSecond = Math.floor(utcMs / 1000) * 1000;
    const offset =
      Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!) - wholeSecond;
    return utcMs + offset;
  }

  /** The UTC instant of a local wall-clock reading (for a reading skipped by a DST jump, the one after it). */
  private utcOf(localMs: number): number {
    const guess = localMs - (this.localMs(localMs) - localMs);
    return localMs - (this.localMs(guess) - guess);
  }

  /** The local date (day number) containing an instant. */
  localDayOf(utcMs: number): number {
    return Math.floor(this.localMs(utcMs) / DAY_MS);
  }

  /** Local `YYYY-MM-DDTHH:MM` of an instant, for messages and the UI. */
  formatLocal(utcMs: number): string {
    return new Date(this.localMs(utcMs)).toISOString().slice(0, 16);
  }

  /** Is the local date (YYYY-MM-DD) a working day? */
  isWorkingDay(date: string): boolean {
    const day = dayNumberOf(date);
    if (day === null) throw new CalendarError(`${date} is not a date (YYYY-MM-DD)`);
    return this.periodMinutesOn(day).length > 0;
  }

  private periodMinutesOn(day: number): [number, number][] {
    const special = this.special.get(dateOfDayNumber(day));
    if (special?.kind === 'holiday') return [];
    if (special?.kind === 'workday')
      return special.workingPeriods?.map((p) => [minutesOf(p.start)!, minutesOf(p.end)!]) ?? this.standardMinutes;
    return this.settings.weekendDays.includes(isoWeekdayOf(day)) ? [] : this.standardMinutes;
  }

  /** The working intervals of a local date as UTC instants. */
  workIntervalsOn(day: number): Interval[] {
    let cached = this.dayCache.get(day);
    if (!cached) {
      // Bounded: a query over decades must not grow a long-lived calendar without end.
      if (this.dayCache.size >= DAY_CACHE_LIMIT) this.dayCache.clear();
      cached = this.periodMinutesOn(day).map(
        ([a, b]) => [this.utcOf(day * DAY_MS + a * MINUTE_MS), this.utcOf(day * DAY_MS + b * MINUTE_MS)] as const,
      );
      this.dayCache.set(day, cached);
    }
    return cached;
  }

  /** Working time (ms) between two instants; whole periods at a time, so long spans cost one step per day. */
  workMsBetween(startMs: number, endMs: number): number {
    if (!(endMs > startMs)) return 0;
    let total = 0;
    const lastDay = this.localDayOf(endMs);
    for (let day = this.localDayOf(startMs); day <= lastDay; day++) {
      for (const [a, b] of this.workIntervalsOn(day)) {
        const from = Math.max(a, startMs);
        const to = Math.min(b, endMs);
        if (to > from) total += to - from;
      }
    }
    return total;
  }

  /** The instant after `startMs` at which `workMs` of working time has passed (see the rules at the top). */
  addWorkMs(startMs: number, workMs: number): number {
    if (!(workMs > 0)) return startMs;
    let remaining = workMs;
    const firstDay = this.localDayOf(startMs);
    let idle = 0;
    for (let day = firstDay; ; day++) {
      const intervals = this.workIntervalsOn(day);
      if (intervals.length === 0 && ++idle > MAX_IDLE_DAYS)
        throw new CalendarError(`no working time for ${MAX_IDLE_DAYS} days after ${this.formatLocal(startMs)}`);
      for (const [a, b] of intervals) {
        if (b <= startMs) continue;
        idle = 0;
        const from = Math.max(a, startMs);
        if (remaining <= b - from) return from + remaining;
        remaining -= b - from;
      }
    }
  }

  /** Length of one `unit` in the unit's own measure (working ms for workHours/workDays, wall ms for urgentHours). */
  unitMs(unit: TimeLimitUnit): number {
    switch (unit) {
      case 'workHours':
      case 'urgentHours':
        return HOUR_MS;
      case 'workDays':
        return this.workDayMs;
    }
  }

  /** Time between two instants in the unit's measure (ms), leaving out the excluded (suspended) intervals. */
  measureMs(
    startMs: number,
    endMs: number,
    unit: TimeLimitUnit,
    excluded: ReadonlyArray<readonly [number, number]> = [],
  ): number {
    if (!(endMs > startMs)) return 0;
    const measure = (a: number, b: number) => (unit === 'urgentHours' ? b - a : this.workMsBetween(a, b));
    let total = 0;
    let cursor = startMs;
    for (const [a, b] of mergeIntervals(excluded)) {
      if (b <= cursor) continue;
      if (a >= endMs) break;
      if (a > cursor) total += measure(cursor, a);
      cursor = Math.max(cursor, b);
      if (cursor >= endMs) return total;
    }
    return total + measure(cursor, endMs);
  }

  deadline(startMs: number, limit: TimeLimit): number {
    checkLimit(limit);
    const ms = Math.round(limit.value * this.unitMs(limit.unit));
    return limit.unit === 'urgentHours' ? startMs + ms : this.addWorkMs(startMs, ms);
  }

  elapsed(
    startMs: number,
    endMs: number,
    unit: TimeLimitUnit,
    excluded?: ReadonlyArray<readonly [number, number]>,
  ): number {
    return this.measureMs(startMs, endMs, unit, excluded) / this.unitMs(unit);
  }

  /**
   * The deadline when the clock stops during `suspended` intervals (缓办): the instant at which the time outside them
   * reaches the limit. null when the limit runs out only after a suspension that has not ended (end Infinity).
   */
  deadlineWithSuspensions(
    startMs: number,
    limit: TimeLimit,
    suspended: ReadonlyArray<readonly [number, number]>,
  ): number | null {
    checkLimit(limit);
    let remaining = Math.round(limit.value * this.unitMs(limit.unit));
    let cursor = startMs;
    for (const [a, b] of mergeIntervals(suspended)) {
      if (b <= cursor) continue;
      if (a > cursor) {
        const available = this.measureMs(cursor, a, limit.unit);
        if (remaining <= available) break;
        remaining -= available;
      }
      if (!Number.isFinite(b)) return null;
      cursor = Math.max(cursor, b);
    }
    return limit.unit === 'urgentHours' ? cursor + remaining : this.addWorkMs(cursor, remaining);
  }
}

function checkLimit(limit: TimeLimit): void {
  if (!Number.isFinite(limit.value) || limit.value < 0)
    throw new CalendarError(`a time limit must be a finite number ≥ 0, not ${limit.value}`);
}

export interface ClockStatus {
  light: TrafficLight;
  /** Elapsed time in the unit (suspensions left out). */
  elapsed: number;
  /** The limit in the unit: the time from the start to the deadline. */
  limit: number;
  /** elapsed / limit (Infinity past a zero limit, 0 at a zero limit's start). */
  fraction: number;
  /** The deadline moved by the suspensions; null while a suspension that has not ended holds the clock. */
  effectiveDeadlineMs: number | null;
}

/**
 * Elapsed time against the limit and its 红绿灯 traffic light. Red means the (suspension-adjusted) deadline has
 * passed, the same test the case store uses for "late", so a 3-hour case started at 09:00 is red at 12:10 even though
 * no working time passes over lunch. Otherwise green up to 80 % of the limit's working time, then yellow.
 */
export function clockStatus(
  startMs: number,
  deadlineMs: number,
  nowMs: number,
  unit: TimeLimitUnit,
  calendar: WorkingCalendar,
  suspended: ReadonlyArray<readonly [number, number]> = [],
): ClockStatus {
  const unitMs = calendar.unitMs(unit);
  // Compared in the unit's ms measure so a clock exactly at 80 % is green, not yellow by a rounding error.
  const limitMs = calendar.measureMs(startMs, deadlineMs, unit);
  const usedMs = calendar.measureMs(startMs, nowMs, unit, suspended);
  const effectiveDeadlineMs =
    suspended.length === 0
      ? deadlineMs
      : calendar.deadlineWithSuspensions(startMs, { value: limitMs / unitMs, unit }, suspended);
  const overdue = effectiveDeadlineMs !== null && nowMs > effectiveDeadlineMs;
  const light: TrafficLight = overdue ? 'red' : usedMs <= 0.8 * limitMs ? 'green' : 'yellow';
  return {
    light,
    elapsed: usedMs / unitMs,
    limit: limitMs / unitMs,
    fraction: limitMs > 0 ? usedMs / limitMs : usedMs > 0 ? Infinity : 0,
    effectiveDeadlineMs,
  };
}

/** 红绿灯: green up to 80 % of the limit elapsed, yellow up to 100 %, red overdue; suspended intervals don't count. */
export function trafficLight(
  startMs: number,
  deadlineMs: number,
  nowMs: number,
  unit: TimeLimitUnit,
  calendar: WorkingCalendar,
  suspended: ReadonlyArray<readonly [number, number]> = [],
): TrafficLight {
  return clockStatus(startMs, deadlineMs, nowMs, unit, calendar, suspended).light;
}
