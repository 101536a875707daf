// 本地时间 local time for rules written in local hours: the zone's UTC offset, local minute of day and calendar day,
// time windows (permitted hours 06:00–22:00, also over midnight) and working shifts (监督员班次: which shift occurrence
// an instant falls in). Offsets come from Intl for the given IANA zone, never a fixed +8, so a city with daylight
// saving time gets the right instants too. Pure: no I/O.
import { Type } from '@sinclair/typebox';
import { HHMM_PATTERN } from './config-base.js';

const DAY_MS = 86_400_000;

// ── Clock times ─────────────────────────────────────────────────────────────────────────────────────────────────────

const HHMM = /^([01][0-9]|2[0-3]):([0-5][0-9])$/;

/** Minutes after local midnight of `HH:MM` (00:00–23:59), or null when it is not a time of day. */
export function parseHhmm(s: string): number | null {
  const m = HHMM.exec(s);
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}

/** `parseHhmm` for the end of a span, where `24:00` (1440) is the midnight that ends the day. */
export function parseHhmmEnd(s: string): number | null {
  return s === '24:00' ? 24 * 60 : parseHhmm(s);
}

// ── Offsets, local minutes and days ─────────────────────────────────────────────────────────────────────────────────

const formatters = new Map<string, Intl.DateTimeFormat>();
// UTC offsets change only at transitions, which every real zone places on a quarter hour: caching the offset per UTC
// quarter hour keeps Intl (microseconds a call) off the per-position path.
const QUARTER_MS = 15 * 60_000;
const offsetCache = new Map<string, Map<number, number>>();
const MAX_CACHED_QUARTERS = 4096;

/** The time zone's offset from UTC at the instant, in ms (Asia/Shanghai: +8 h). Throws RangeError for unknown zones. */
export function utcOffsetMs(ms: number, timeZone: string): number {
  let cache = offsetCache.get(timeZone);
  if (!cache) offsetCache.set(timeZone, (cache = new Map()));
  const quarter = Math.floor(ms / QUARTER_MS);
  const hit = cache.get(quarter);
  if (hit !== undefined) return hit;
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  const at = quarter * QUARTER_MS;
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(at)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const offset = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - at;
  if (cache.size >= MAX_CACHED_QUARTERS) cache.clear();
  cache.set(quarter, offset);
  return offset;
}

/** Minutes after local midnight at the instant. */
export function localMinuteOfDay(ms: number, timeZone: string): number {
  const local = ms + utcOffsetMs(ms, timeZone);
  return Math.floor((((local % DAY_MS) + DAY_MS) % DAY_MS) / 60_000);
}

/** The local calendar day of the instant as `YYYY-MM-DD`. */
export function localDayKey(ms: number, timeZone: string): string {
  return new Date(ms + utcOffsetMs(ms, timeZone)).toISOString().slice(0, 10);
}

/** The UTC instant of local `minuteOfDay` on the local day `dayKey` (`YYYY-MM-DD`); 1440 and more roll into later days. */
export function localInstant(dayKey: string, minuteOfDay: number, timeZone: string): number {
  const wall = Date.parse(`${dayKey}T00:00:00Z`) + minuteOfDay * 60_000;
  // The offset at the wall time read as UTC is off by at most one transition; one correction settles it.
  const guess = wall - utcOffsetMs(wall, timeZone);
  return wall - utcOffsetMs(guess, timeZone);
}

/** The local day `days` after `dayKey` (before it when negative). */
export function addDays(dayKey: string, days: number): string {
  return new Date(Date.parse(`${dayKey}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** The local day after `dayKey`. */
export function nextDayKey(dayKey: string): string {
  return addDays(dayKey, 1);
}

/** ISO weekday of a local day, 1 = Monday … 7 = Sunday. */
export function isoWeekday(dayKey: string): number {
  const d = new Date(Date.parse(`${dayKey}T00:00:00Z`)).getUTCDay();
  return d === 0 ? 7 : d;
}

// ── Windows ─────────────────────────────────────────────────────────────────────────────────────────────────────────

export interface LocalWindow {
  /** HH:MM local, inclusive. */
  from: string;
  /** HH:MM local, exclusive; before `from` when the window runs over midnight. */
  to: string;
}

// Parsed once per window object: rules pass the same configured windows for every position.
const parsedWindows = new WeakMap<LocalWindow, [number | null, number | null]>();

/** Whether the instant falls in any of the local windows. Windows must parse (configs are checked before use). */
export function inLocalWindow(ms: number, timeZone: string, windows: readonly LocalWindow[]): boolean {
  const minute = localMinuteOfDay(ms, timeZone);
  for (const w of windows) {
    let parsed = parsedWindows.get(w);
    if (!parsed) parsedWindows.set(w, (parsed = [parseHhmm(w.from), parseHhmm(w.to)]));
    const [from, to] = parsed;
    if (from === null || to === null) continue;
    if (from <= to ? minute >= from && minute < to : minute >= from || minute < to) return true;
  }
  return false;
}

// ── Shifts ──────────────────────────────────────────────────────────────────────────────────────────────────────────

/** 'HH:MM' or '24:00' for a shift ending at midnight. */
const HHMM_END_PATTERN = '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$';

export const ShiftSchema = Type.Object(
  {
    days: Type.Optional(
      Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), {
        minItems: 1,
        uniqueItems: true,
        description: 'ISO weekdays the shift STARTS on, 1 = Monday … 7 = Sunday; all days when absent.',
      }),
    ),
    from: Type.String({ pattern: HHMM_PATTERN, description: 'Local start time, HH:MM.' }),
    to: Type.String({
      pattern: HHMM_END_PATTERN,
      description: 'Local end time, HH:MM (exclusive); a time at or before `from` ends on the next day (night shift).',
    }),
  },
  { additionalProperties: false },
);
export const ShiftsSchema = Type.Array(ShiftSchema, { minItems: 1, description: 'Working shifts, local time.' });

export interface Shift {
  days?: number[];
  from: string;
  to: string;
}

/** One concrete occurrence of a shift: [startMs, endMs). */
export interface ShiftOccurrence {
  startMs: number;
  endMs: number;
}

/** Problems with a list of shifts beyond the schema (empty when fine). */
export function checkShifts(shifts: readonly Shift[]): string[] {
  const problems: string[] = [];
  shifts.forEach((s, i) => {
    if (parseHhmm(s.from) === null) problems.push(`shifts[${i}].from "${s.from}" is not a time HH:MM (00:00–23:59)`);
    if (parseHhmmEnd(s.to) === null) problems.push(`shifts[${i}].to "${s.to}" is not a time HH:MM (00:00–24:00)`);
    if (s.days?.some((d) => !Number.isInteger(d) || d < 1 || d > 7)) {
      problems.push(`shifts[${i}].days must be ISO weekdays 1 (Monday) … 7 (Sunday)`);
    }
  });
  return problems;
}

/** The occurrence of `shift` that starts on the local day `dayKey` (ignoring its weekday filter). */
export function occurrenceOn(shift: Shift, dayKey: string, timeZone: string): ShiftOccurrence {
  const fromMin = parseHhmmEnd(shift.from) ?? Number.NaN;
  let toMin = parseHhmmEnd(shift.to) ?? Number.NaN;
  if (toMin <= fromMin) toMin += 24 * 60;
  return {
    startMs: localInstant(dayKey, fromMin, timeZone),
    endMs: localInstant(dayKey, toMin, timeZone),
  };
}

/**
 * The shift occurrence containing the instant, or null off shift. A night shift 22:00–06:00 started on Monday contains
 * Tuesday 03:00; its `days` filter applies to the day it starts. Overlapping shifts: the first listed wins.
 */
export function shiftAt(ms: number, timeZone: string, shifts: readonly Shift[]): ShiftOccurrence | null {
  const today = localDayKey(ms, timeZone);
  for (const shift of shifts) {
    // A shift lasts at most 24 h, so only occurrences starting today or yesterday can contain the instant.
    for (const back of [0, -1]) {
      const day = back === 0 ? today : addDays(today, back);
      if (shift.days && !shift.days.includes(isoWeekday(day))) continue;
      const occ = occurrenceOn(shift, day, timeZone);
      if (occ.startMs <= ms && ms < occ.endMs) return occ;
    }
  }
  return null;
}

/**
 * `shiftAt` for one rule's shifts, remembering the occurrence last found: every collector of the rule is in the same
 * shift, so during a shift a fix costs a comparison instead of a calendar lookup. Shifts of one rule should not overlap
 * (with overlaps, the occurrence in progress is kept rather than the first listed).
 */
export class ShiftCalendar {
  private last: ShiftOccurrence | null = null;
  private lastTimeZone = '';

  constructor(private readonly shifts: readonly Shift[]) {}

  at(ms: number, timeZone: string): ShiftOccurrence | null {
    const last = this.last;
    if (last && timeZone === this.lastTimeZone && last.startMs <= ms && ms < last.endMs) return last;
    const occ = shiftAt(ms, timeZone, this.shifts);
    if (occ) {
      this.last = occ;
      this.lastTimeZone = timeZone;
    }
    return occ;
  }
}
