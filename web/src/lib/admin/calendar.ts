// 工作日历 the city's working calendar as the admin screen edits it (hub/http/calendar.ts): a year's holidays (放假) and
// adjusted working days (调休上班), laid out as month grids, changed a date range at a time and saved whole. The date
// arithmetic is on calendar dates (YYYY-MM-DD, read as UTC), never on the browser's time zone.
import { ApiError, api, type TokenHolder } from '$lib/api/http';
import type { Serialized } from '../../../../hub/serialized.js';
import type { CalendarSettings, SpecialDay, WorkingPeriod } from '../../../../hub/cases/calendar.js';
import type { CalendarYear, CalendarYearSummary } from '../../../../hub/cases/calendar-store.js';

/** A working period of a day, local `HH:MM`–`HH:MM`. */
export type Period = WorkingPeriod;
export type { CalendarSettings, CalendarYear, SpecialDay };

/** GET /api/calendar: the settings, the length of a standard working day, and the years with holiday data. */
export interface CalendarOverview {
  settings: CalendarSettings;
  workDayHours: number;
  years: Serialized<CalendarYearSummary>[];
}

export function getCalendar(session: TokenHolder, signal?: AbortSignal): Promise<CalendarOverview> {
  return api(session, '/api/calendar', { signal });
}

/** The year's data, or an empty year when the hub has none yet (404). */
export async function getYear(session: TokenHolder, year: number, signal?: AbortSignal): Promise<CalendarYear> {
  try {
    return await api<CalendarYear>(session, `/api/calendar/${year}`, { signal });
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return { year, source: '', note: '', days: [] };
    throw error;
  }
}

export function putYear(session: TokenHolder, data: CalendarYear): Promise<CalendarYear> {
  return api(session, `/api/calendar/${data.year}`, {
    method: 'PUT',
    body: {
      ...(data.source.trim() ? { source: data.source.trim() } : {}),
      ...(data.note.trim() ? { note: data.note.trim() } : {}),
      days: data.days,
    },
  });
}

// ---- dates

const DAY_MS = 86_400_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function dateMs(date: string): number {
  const m = DATE.exec(date);
  if (!m) return NaN;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  // 2026-02-30 is not a date (Date.UTC would roll it over to March).
  return new Date(ms).toISOString().slice(0, 10) === date ? ms : NaN;
}

const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export function isDate(date: string): boolean {
  return !Number.isNaN(dateMs(date));
}

/** 1 Monday … 7 Sunday. */
export function isoWeekday(date: string): number {
  return ((new Date(dateMs(date)).getUTCDay() + 6) % 7) + 1;
}

/** The dates from `from` to `to`, both included; empty when `to` is before `from` or either is not a date. */
export function dateRange(from: string, to: string, max = 366): string[] {
  const start = dateMs(from);
  const end = dateMs(to);
  if (Number.isNaN(start) || Number.isNaN(end) || end < start) return [];
  const out: string[] = [];
  for (let ms = start; ms <= end && out.length < max; ms += DAY_MS) out.push(isoDate(ms));
  return out;
}

/** A month as weeks of seven cells, Monday first; null where the week reaches into the next or previous month. */
export function monthWeeks(year: number, month: number): (string | null)[][] {
  const first = Date.UTC(year, month - 1, 1);
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const lead = isoWeekday(isoDate(first)) - 1;
  const cells: (string | null)[] = [
    ...Array<null>(lead).fill(null),
    ...Array.from({ length: days }, (_, i) => isoDate(first + i * DAY_MS)),
  ];
  while (cells.length % 7) cells.push(null);
  const weeks: (string | null)[][] = [];
  for (let i = 0; i < cells.length; i += 7) weeks.push(cells.slice(i, i + 7));
  return weeks;
}

export type DayType = 'workday' | 'weekend' | 'holiday' | 'adjusted';

/** What a date is: a holiday or an adjusted working day when the year says so, else by the weekend rule. */
export function dayType(date: string, weekendDays: readonly number[], special: SpecialDay | undefined): DayType {
  if (special?.kind === 'holiday') return 'holiday';
  if (special?.kind === 'workday') return 'adjusted';
  return weekendDays.includes(isoWeekday(date)) ? 'weekend' : 'workday';
}

/**
 * The year's special days with the range `from`–`to` set to `kind` under `name` ('normal': back to the weekend
 * rule), sorted by date. A date keeping its kind keeps its own working hours.
 */
export function applyRange(
  days: readonly SpecialDay[],
  from: string,
  to: string,
  kind: SpecialDay['kind'] | 'normal',
  name: string,
): SpecialDay[] {
  const range = new Set(dateRange(from, to));
  const byDate = new Map(days.map((d) => [d.date, d]));
  for (const date of range) {
    const old = byDate.get(date);
    if (kind === 'normal') byDate.delete(date);
    else if (old?.kind === kind) byDate.set(date, { ...old, name });
    else byDate.set(date, { date, kind, name });
  }
  return [...byDate.values()].sort((a, b) => a.date.localeCompare(b.date));
}
