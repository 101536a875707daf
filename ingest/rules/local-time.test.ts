// 本地时间 local-time arithmetic: offsets, local minutes and days, windows over midnight, and shifts (班次): day shifts,
// night shifts over midnight, weekday filters, DST days.
import { describe, expect, it } from 'vitest';
import {
  checkShifts,
  inLocalWindow,
  localDayKey,
  localInstant,
  localMinuteOfDay,
  parseHhmm,
  parseHhmmEnd,
  ShiftCalendar,
  shiftAt,
  utcOffsetMs,
} from './local-time.js';

const SH = 'Asia/Shanghai';
const at = (iso: string) => Date.parse(iso);

describe('shiftAt', () => {
  const day = [{ from: '08:00', to: '17:30' }];

  it('finds the day shift containing an instant, end exclusive', () => {
    expect(shiftAt(at('2026-12-01T08:00:00+08:00'), SH, day)).toEqual({
      startMs: at('2026-12-01T08:00:00+08:00'),
      endMs: at('2026-12-01T17:30:00+08:00'),
    });
    expect(shiftAt(at('2026-12-01T17:29:59+08:00'), SH, day)?.startMs).toBe(at('2026-12-01T08:00:00+08:00'));
    expect(shiftAt(at('2026-12-01T17:30:00+08:00'), SH, day)).toBeNull();
    expect(shiftAt(at('2026-12-01T07:59:59+08:00'), SH, day)).toBeNull();
  });

  it('works in local time, not UTC: 09:00 Shanghai is 01:00 UTC', () => {
    expect(shiftAt(at('2026-12-01T01:00:00Z'), SH, day)?.startMs).toBe(at('2026-12-01T00:00:00Z'));
  });

  it('puts the small hours of a night shift in the shift that started the evening before', () => {
    const night = [{ from: '22:00', to: '06:00' }];
    expect(shiftAt(at('2026-12-02T03:00:00+08:00'), SH, night)).toEqual({
      startMs: at('2026-12-01T22:00:00+08:00'),
      endMs: at('2026-12-02T06:00:00+08:00'),
    });
    expect(shiftAt(at('2026-12-01T23:00:00+08:00'), SH, night)?.startMs).toBe(at('2026-12-01T22:00:00+08:00'));
    expect(shiftAt(at('2026-12-02T06:00:00+08:00'), SH, night)).toBeNull();
  });

  it('applies the weekday filter to the day a shift starts (2026-12-01 is a Tuesday)', () => {
    const tuesdayNights = [{ days: [2], from: '22:00', to: '06:00' }];
    // Wednesday 03:00 belongs to Tuesday's night shift.
    expect(shiftAt(at('2026-12-02T03:00:00+08:00'), SH, tuesdayNights)?.startMs).toBe(at('2026-12-01T22:00:00+08:00'));
    // Tuesday 03:00 belongs to Monday's, which is not worked; Wednesday 23:00 starts on a Wednesday.
    expect(shiftAt(at('2026-12-01T03:00:00+08:00'), SH, tuesdayNights)).toBeNull();
    expect(shiftAt(at('2026-12-02T23:00:00+08:00'), SH, tuesdayNights)).toBeNull();
    const weekdays = [{ days: [1, 2, 3, 4, 5], from: '08:00', to: '17:30' }];
    expect(shiftAt(at('2026-12-05T09:00:00+08:00'), SH, weekdays)).toBeNull(); // Saturday
    expect(shiftAt(at('2026-12-04T09:00:00+08:00'), SH, weekdays)).not.toBeNull(); // Friday
  });

  it('takes a shift ending at 24:00 and the first of overlapping shifts', () => {
    const evening = [{ from: '18:00', to: '24:00' }];
    expect(shiftAt(at('2026-12-01T23:59:59+08:00'), SH, evening)?.endMs).toBe(at('2026-12-02T00:00:00+08:00'));
    const two = [
      { from: '08:00', to: '12:00' },
      { from: '10:00', to: '14:00' },
    ];
    expect(shiftAt(at('2026-12-01T11:00:00+08:00'), SH, two)?.startMs).toBe(at('2026-12-01T08:00:00+08:00'));
    expect(shiftAt(at('2026-12-01T13:00:00+08:00'), SH, two)?.startMs).toBe(at('2026-12-01T10:00:00+08:00'));
  });

  it('uses the zone rules on a daylight-saving day: New York 00:00–06:00 on 2026-11-01 lasts 7 hours', () => {
    const occ = shiftAt(at('2026-11-01T03:00:00-05:00'), 'America/New_York', [{ from: '00:00', to: '06:00' }]);
    expect(occ).toEqual({ startMs: at('2026-11-01T00:00:00-04:00'), endMs: at('2026-11-01T06:00:00-05:00') });
    expect(occ!.endMs - occ!.startMs).toBe(7 * 3_600_000);
  });
});

describe('ShiftCalendar', () => {
  it('answers like shiftAt while remembering the occurrence in progress', () => {
    const shifts = [
      { days: [1, 2, 3, 4, 5], from: '08:00', to: '12:00' },
      { days: [1, 2, 3, 4, 5], from: '13:00', to: '17:30' },
    ];
    const calendar = new ShiftCalendar(shifts);
    const times = ['07:59', '08:00', '11:59', '12:00', '12:30', '13:00', '17:29', '17:30', '23:00'].flatMap((t) => [
      at(`2026-12-01T${t}:00+08:00`),
      at(`2026-12-05T${t}:00+08:00`), // Saturday: off
    ]);
    for (const ms of times) expect(calendar.at(ms, SH)).toEqual(shiftAt(ms, SH, shifts));
    expect(calendar.at(at('2026-12-01T12:30:00+08:00'), SH)).toBeNull();
    expect(calendar.at(at('2026-12-02T09:00:00+08:00'), SH)?.startMs).toBe(at('2026-12-02T08:00:00+08:00'));
  });
});

describe('helpers', () => {
  it('gives the zone offset from Intl', () => {
    expect(utcOffsetMs(at('2026-12-01T00:00:00Z'), SH)).toBe(8 * 3_600_000);
    expect(utcOffsetMs(at('2026-07-01T12:00:00Z'), 'America/New_York')).toBe(-4 * 3_600_000);
  });

  it('parses HH:MM, 24:00 only as an end, and reports bad shift times', () => {
    expect(parseHhmm('17:30')).toBe(1050);
    expect(parseHhmmEnd('17:30')).toBe(1050);
    expect(parseHhmmEnd('24:00')).toBe(1440);
    expect(parseHhmmEnd('24:30')).toBeNull();
    expect(parseHhmm('7:30')).toBeNull();
    expect(parseHhmmEnd('7:30')).toBeNull();
    expect(checkShifts([{ from: '08:00', to: '17:30' }])).toEqual([]);
    expect(checkShifts([{ from: '24:00', to: '06:00', days: [0] }])).toEqual([
      'shifts[0].from "24:00" is not a time HH:MM (00:00–23:59)',
      'shifts[0].days must be ISO weekdays 1 (Monday) … 7 (Sunday)',
    ]);
  });
});

describe('local time', () => {
  const sh = 'Asia/Shanghai';

  it('parses HH:MM', () => {
    expect(parseHhmm('06:30')).toBe(390);
    expect(parseHhmm('23:59')).toBe(1439);
    expect(parseHhmm('24:00')).toBeNull();
    expect(parseHhmm('6:30')).toBeNull();
  });

  it('reads Shanghai wall time from UTC instants', () => {
    expect(utcOffsetMs(Date.parse('2026-06-01T00:00:00Z'), sh)).toBe(8 * 3_600_000);
    expect(localMinuteOfDay(Date.parse('2026-06-01T22:30:00Z'), sh)).toBe(6 * 60 + 30);
    expect(localDayKey(Date.parse('2026-06-01T16:30:00Z'), sh)).toBe('2026-06-02');
    expect(localDayKey(Date.parse('2026-06-01T15:59:59Z'), sh)).toBe('2026-06-01');
    expect(localInstant('2026-06-01', 12 * 60, sh)).toBe(Date.parse('2026-06-01T04:00:00Z'));
  });

  it('follows daylight saving time where a zone has it (Berlin, 29 March 2026)', () => {
    expect(localInstant('2026-03-28', 12 * 60, 'Europe/Berlin')).toBe(Date.parse('2026-03-28T11:00:00Z'));
    expect(localInstant('2026-03-29', 12 * 60, 'Europe/Berlin')).toBe(Date.parse('2026-03-29T10:00:00Z'));
    expect(localMinuteOfDay(Date.parse('2026-03-29T01:00:00Z'), 'Europe/Berlin')).toBe(3 * 60);
  });

  it('tells whether an instant is inside day and overnight windows', () => {
    const day = [{ from: '06:00', to: '22:00' }];
    const t = (s: string) => Date.parse(`2026-06-01T${s}+08:00`);
    expect(inLocalWindow(t('05:59:59'), sh, day)).toBe(false);
    expect(inLocalWindow(t('06:00:00'), sh, day)).toBe(true);
    expect(inLocalWindow(t('21:59:59'), sh, day)).toBe(true);
    expect(inLocalWindow(t('22:00:00'), sh, day)).toBe(false);
    const night = [{ from: '22:00', to: '06:00' }];
    expect(inLocalWindow(t('23:30:00'), sh, night)).toBe(true);
    expect(inLocalWindow(t('05:00:00'), sh, night)).toBe(true);
    expect(inLocalWindow(t('12:00:00'), sh, night)).toBe(false);
    expect(inLocalWindow(t('12:00:00'), sh, [...night, { from: '11:00', to: '13:00' }])).toBe(true);
  });
});
