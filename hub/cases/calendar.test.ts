// 工作日历 working-calendar arithmetic with hand-computed cases (Shanghai, +08:00 all year, no DST) and a seeded
// property test of deadline/elapsed consistency.
import { describe, expect, it } from 'vitest';
import {
  CalendarError,
  DEFAULT_SETTINGS,
  WorkingCalendar,
  clockStatus,
  trafficLight,
  type CalendarData,
  type SpecialDay,
} from './calendar.js';
import cn2026 from './data/calendar-cn-2026.json' with { type: 'json' };
import type { TimeLimitUnit } from './ports.js';

const t = (local: string) => {
  const ms = Date.parse(local);
  if (Number.isNaN(ms)) throw new Error(`bad literal ${local}`);
  return ms;
};
const H = 3_600_000;
const cal = new WorkingCalendar({ settings: DEFAULT_SETTINGS, days: cn2026.days as SpecialDay[] });
/** The instant as a Shanghai wall-clock literal, to compare with the hand-computed expectations. */
const local = (ms: number) => cal.formatLocal(ms) + '+08:00';
const dl = (start: string, value: number, unit: TimeLimitUnit) => local(cal.deadline(t(start), { value, unit }));

describe('working hours (工作时)', () => {
  it('counts within a period and across the lunch break', () => {
    expect(dl('2026-12-01T09:00+08:00', 1, 'workHours')).toBe('2026-12-01T10:00+08:00');
    // 11:00–12:00 is 1 h, lunch is skipped, 13:30–14:30 the second hour.
    expect(dl('2026-12-01T11:00+08:00', 2, 'workHours')).toBe('2026-12-01T14:30+08:00');
  });

  it('counts across a night', () => {
    // Tue 16:30–17:30 = 1 h, then Wed 08:30–10:30 = 2 h.
    expect(dl('2026-12-01T16:30+08:00', 3, 'workHours')).toBe('2026-12-02T10:30+08:00');
  });

  it('counts across a weekend', () => {
    // Fri 2026-12-04 17:00–17:30 = 0.5 h, Sat and Sun skipped, Mon 08:30–09:00 = 0.5 h.
    expect(dl('2026-12-04T17:00+08:00', 1, 'workHours')).toBe('2026-12-07T09:00+08:00');
  });

  it('counts across National Day (国庆节) and works the adjusted Saturday 10-10', () => {
    // Wed 09-30 16:30–17:30 = 1 h; 10-01..10-07 holidays; Thu 10-08 and Fri 10-09 7.5 h each (16 h so far);
    // Sat 10-10 is an adjusted working day: 08:30–10:30 makes 18 h.
    expect(dl('2026-09-30T16:30+08:00', 18, 'workHours')).toBe('2026-10-10T10:30+08:00');
    expect(cal.elapsed(t('2026-09-30T16:30+08:00'), t('2026-10-10T10:30+08:00'), 'workHours')).toBeCloseTo(18, 9);
  });

  it('works the adjusted Sunday 2026-09-20 and rests on the Mid-Autumn holiday', () => {
    // Sat 09-19 is a weekend; Sun 09-20 is a working day.
    expect(dl('2026-09-19T10:00+08:00', 1, 'workHours')).toBe('2026-09-20T09:30+08:00');
    // Thu 09-24 17:00–17:30 = 0.5 h; Fri 09-25 .. Sun 09-27 Mid-Autumn; Mon 09-28 08:30–09:00.
    expect(dl('2026-09-24T17:00+08:00', 1, 'workHours')).toBe('2026-09-28T09:00+08:00');
  });

  it('starts at the next period when started during lunch, at night or on a holiday', () => {
    expect(dl('2026-12-01T12:15+08:00', 1, 'workHours')).toBe('2026-12-01T14:30+08:00');
    expect(dl('2026-12-01T22:00+08:00', 1, 'workHours')).toBe('2026-12-02T09:30+08:00');
    expect(dl('2026-12-02T03:00+08:00', 1, 'workHours')).toBe('2026-12-02T09:30+08:00');
    expect(dl('2026-10-03T11:00+08:00', 1, 'workHours')).toBe('2026-10-08T09:30+08:00');
  });

  it('keeps a deadline that lands on a period end at that end', () => {
    expect(dl('2026-12-01T16:30+08:00', 1, 'workHours')).toBe('2026-12-01T17:30+08:00');
    expect(dl('2026-12-01T11:00+08:00', 1, 'workHours')).toBe('2026-12-01T12:00+08:00');
  });

  it('handles fractional and zero limits', () => {
    expect(dl('2026-12-01T11:45+08:00', 0.5, 'workHours')).toBe('2026-12-01T13:45+08:00');
    expect(cal.deadline(t('2026-12-01T22:00+08:00'), { value: 0, unit: 'workHours' })).toBe(
      t('2026-12-01T22:00+08:00'),
    );
    expect(cal.deadline(t('2026-12-01T10:00+08:00'), { value: 0, unit: 'workDays' })).toBe(t('2026-12-01T10:00+08:00'));
  });

  it('measures elapsed working time, fractional, not counting nights, lunch or holidays', () => {
    // 11:00–12:00 + 13:30–14:00 = 1.5 h.
    expect(cal.elapsed(t('2026-12-01T11:00+08:00'), t('2026-12-01T14:00+08:00'), 'workHours')).toBeCloseTo(1.5, 9);
    // Fri 17:00 → Mon 09:00 = 0.5 + 0.5 h.
    expect(cal.elapsed(t('2026-12-04T17:00+08:00'), t('2026-12-07T09:00+08:00'), 'workHours')).toBeCloseTo(1, 9);
    expect(cal.elapsed(t('2026-10-02T09:00+08:00'), t('2026-10-05T15:00+08:00'), 'workHours')).toBe(0);
    expect(cal.elapsed(t('2026-12-01T14:00+08:00'), t('2026-12-01T11:00+08:00'), 'workHours')).toBe(0);
  });
});

describe('working days (工作日) = N × 7.5 working hours', () => {
  it('ends at the same time of day on the next working day', () => {
    expect(dl('2026-12-01T10:00+08:00', 1, 'workDays')).toBe('2026-12-02T10:00+08:00');
    // Started at the first period's start: the same day's end.
    expect(dl('2026-12-01T08:30+08:00', 1, 'workDays')).toBe('2026-12-01T17:30+08:00');
    // Started at night: the whole next working day.
    expect(dl('2026-12-01T20:00+08:00', 1, 'workDays')).toBe('2026-12-02T17:30+08:00');
    // Half a day is 3.75 h: 10:00–12:00 and 13:30–15:15.
    expect(dl('2026-12-01T10:00+08:00', 0.5, 'workDays')).toBe('2026-12-01T15:15+08:00');
  });

  it('skips weekends and holidays and counts the adjusted working Saturday', () => {
    // Fri 12-04 10:00 + 1 = Mon 12-07 10:00.
    expect(dl('2026-12-04T10:00+08:00', 1, 'workDays')).toBe('2026-12-07T10:00+08:00');
    // Wed 09-30 10:00 + 1: Oct 1–7 off, next working day Thu 10-08.
    expect(dl('2026-09-30T10:00+08:00', 1, 'workDays')).toBe('2026-10-08T10:00+08:00');
    // Fri 10-09 10:00 + 1: Sat 10-10 is worked.
    expect(dl('2026-10-09T10:00+08:00', 1, 'workDays')).toBe('2026-10-10T10:00+08:00');
  });

  it('15 working days for illegal construction (违法建设), across National Day', () => {
    // From Mon 2026-09-21 10:00, working days after it: 09-22,23,24 (3), [25–27 Mid-Autumn], 09-28,29,30 (6),
    // [10-01..07], 10-08,09,10(Sat, adjusted) (9), [10-11 Sun], 10-12..16 (14), 10-19 Mon (15).
    expect(dl('2026-09-21T10:00+08:00', 15, 'workDays')).toBe('2026-10-19T10:00+08:00');
    expect(cal.elapsed(t('2026-09-21T10:00+08:00'), t('2026-10-19T10:00+08:00'), 'workDays')).toBeCloseTo(15, 9);
  });

  it('Spring Festival 2026: the working Saturdays 02-14 and 02-28 count, 02-15..23 do not', () => {
    // Fri 02-13 10:00 + 1 → Sat 02-14 10:00; + 2 → Tue 02-24 10:00 (02-15..23 off).
    expect(dl('2026-02-13T10:00+08:00', 1, 'workDays')).toBe('2026-02-14T10:00+08:00');
    expect(dl('2026-02-13T10:00+08:00', 2, 'workDays')).toBe('2026-02-24T10:00+08:00');
    // Fri 02-27 10:00 + 1 → Sat 02-28 10:00; + 2 → Mon 03-02.
    expect(dl('2026-02-27T10:00+08:00', 2, 'workDays')).toBe('2026-03-02T10:00+08:00');
  });
});

describe('urgent hours (紧急工作时)', () => {
  it('are continuous: nights and holidays count', () => {
    expect(dl('2026-10-01T23:00+08:00', 2, 'urgentHours')).toBe('2026-10-02T01:00+08:00');
    expect(dl('2026-12-04T17:00+08:00', 0.5, 'urgentHours')).toBe('2026-12-04T17:30+08:00');
    expect(cal.elapsed(t('2026-12-04T17:00+08:00'), t('2026-12-07T09:00+08:00'), 'urgentHours')).toBe(64);
  });
});

describe('suspension (缓办) and traffic lights (红绿灯)', () => {
  const start = t('2026-12-01T09:00+08:00');
  const deadline = t('2026-12-01T11:00+08:00'); // 2 working hours

  it('green up to 80 %, yellow up to 100 %, red overdue', () => {
    expect(trafficLight(start, deadline, t('2026-12-01T10:36+08:00'), 'workHours', cal)).toBe('green'); // 80 %
    expect(trafficLight(start, deadline, t('2026-12-01T10:37+08:00'), 'workHours', cal)).toBe('yellow');
    expect(trafficLight(start, deadline, deadline, 'workHours', cal)).toBe('yellow');
    expect(trafficLight(start, deadline, deadline + 1, 'workHours', cal)).toBe('red');
    // Urgent limits keep running through the night.
    const urgentDeadline = t('2026-12-01T11:00+08:00');
    expect(trafficLight(start, urgentDeadline, t('2026-12-01T20:00+08:00'), 'urgentHours', cal)).toBe('red');
    // No working time passes over lunch, but a deadline at 12:00 has passed at 12:10: red, as the store counts late.
    const noon = t('2026-12-01T12:00+08:00'); // 3 working hours from 09:00
    expect(trafficLight(start, noon, t('2026-12-01T11:59+08:00'), 'workHours', cal)).toBe('yellow');
    expect(trafficLight(start, noon, t('2026-12-01T12:10+08:00'), 'workHours', cal)).toBe('red');
    // 09:00→16:00 is 3 + 2.5 = 5.5 working hours; at 14:00, 3 + 0.5 = 3.5 h have passed.
    expect(trafficLight(start, t('2026-12-01T16:00+08:00'), t('2026-12-01T14:00+08:00'), 'workHours', cal)).toBe(
      'green',
    ); // 3.5 h of 5.5 h = 64 %
  });

  it('leaves suspended intervals out of the elapsed time', () => {
    const suspended: [number, number][] = [[t('2026-12-01T09:30+08:00'), t('2026-12-02T09:30+08:00')]];
    // 09:00–09:30 Tue and 09:30–10:00 Wed: 1 working hour.
    expect(cal.elapsed(start, t('2026-12-02T10:00+08:00'), 'workHours', suspended)).toBeCloseTo(1, 9);
    expect(cal.elapsed(start, t('2026-12-02T10:00+08:00'), 'urgentHours', suspended)).toBeCloseTo(1, 9);
    // Without the suspension the case would be red; with it, 1 h of 2 h: green.
    expect(trafficLight(start, deadline, t('2026-12-02T10:00+08:00'), 'workHours', cal)).toBe('red');
    expect(trafficLight(start, deadline, t('2026-12-02T10:00+08:00'), 'workHours', cal, suspended)).toBe('green');
    // Still suspended (open interval).
    const open: [number, number][] = [[t('2026-12-01T09:30+08:00'), Infinity]];
    expect(cal.elapsed(start, t('2026-12-09T10:00+08:00'), 'workHours', open)).toBeCloseTo(0.5, 9);
  });

  it('moves the deadline by the suspended working time', () => {
    const suspended: [number, number][] = [[t('2026-12-01T09:30+08:00'), t('2026-12-02T09:30+08:00')]];
    // 0.5 h before, 1.5 h after the resumption: Wed 11:00.
    expect(local(cal.deadlineWithSuspensions(start, { value: 2, unit: 'workHours' }, suspended)!)).toBe(
      '2026-12-02T11:00+08:00',
    );
    expect(cal.deadlineWithSuspensions(start, { value: 2, unit: 'workHours' }, [[suspended[0]![0], Infinity]])).toBe(
      null,
    );
    // A suspension after the deadline changes nothing.
    expect(
      cal.deadlineWithSuspensions(start, { value: 1, unit: 'workHours' }, [[t('2026-12-03T09:00+08:00'), Infinity]]),
    ).toBe(t('2026-12-01T10:00+08:00'));
  });

  it('reports elapsed and limit in the unit', () => {
    const s = clockStatus(start, deadline, t('2026-12-01T10:00+08:00'), 'workHours', cal);
    expect(s).toEqual({ light: 'green', elapsed: 1, limit: 2, fraction: 0.5, effectiveDeadlineMs: deadline });
  });
});

describe('the shipped 2026 data', () => {
  it('has its adjusted working days on weekends, as the notice writes them', () => {
    const workdays = (cn2026.days as SpecialDay[]).filter((d) => d.kind === 'workday').map((d) => d.date);
    // 1月4日(周日), 2月14日(周六), 2月28日(周六), 5月9日(周六), 9月20日(周日), 10月10日(周六).
    expect(workdays).toEqual(['2026-01-04', '2026-02-14', '2026-02-28', '2026-05-09', '2026-09-20', '2026-10-10']);
    for (const date of workdays) expect([0, 6]).toContain(new Date(`${date}T00:00Z`).getUTCDay());
    expect(cn2026.source).toContain('国务院办公厅');
    expect(cn2026.uncertain).not.toBe('');
  });
});

describe('validation', () => {
  const base: CalendarData = { settings: DEFAULT_SETTINGS, days: [] };
  const issues = (data: CalendarData) => {
    try {
      new WorkingCalendar(data);
      return [];
    } catch (e) {
      expect(e).toBeInstanceOf(CalendarError);
      return (e as CalendarError).errors.map((i) => i.message);
    }
  };

  it('rejects bad periods, zones and weekends', () => {
    const s = DEFAULT_SETTINGS;
    expect(issues({ ...base, settings: { ...s, timeZone: 'Mars/Olympus' } })[0]).toMatch(/unknown time zone/);
    expect(issues({ ...base, settings: { ...s, workingPeriods: [{ start: '8:30', end: '12:00' }] } })[0]).toMatch(
      /HH:MM/,
    );
    expect(issues({ ...base, settings: { ...s, workingPeriods: [{ start: '12:00', end: '08:30' }] } })[0]).toMatch(
      /before it starts/,
    );
    const overlapping = [
      { start: '08:30', end: '12:00' },
      { start: '11:30', end: '17:30' },
    ];
    expect(issues({ ...base, settings: { ...s, workingPeriods: overlapping } })[0]).toMatch(/before the previous/);
    expect(issues({ ...base, settings: { ...s, weekendDays: [1, 2, 3, 4, 5, 6, 7] } })[0]).toMatch(/at least one/);
    expect(issues({ ...base, settings: { ...s, weekendDays: [0 as never] } })[0]).toMatch(/ISO weekdays/);
  });

  it('rejects bad dates and a date that is both a holiday and a workday', () => {
    expect(issues({ ...base, days: [{ date: '2026-02-30', kind: 'holiday', name: 'x' }] })[0]).toMatch(/not a date/);
    const both: SpecialDay[] = [
      { date: '2026-10-01', kind: 'holiday', name: '国庆节' },
      { date: '2026-10-01', kind: 'workday', name: 'x' },
    ];
    expect(issues({ ...base, days: both })[0]).toMatch(/both a holiday and a workday/);
    expect(
      issues({
        ...base,
        days: [{ date: '2026-10-01', kind: 'holiday', name: 'x', workingPeriods: [{ start: '08:30', end: '12:00' }] }],
      })[0],
    ).toMatch(/only workdays have hours/);
  });

  it('uses a per-date override of the working periods (a half day)', () => {
    const half = new WorkingCalendar({
      settings: DEFAULT_SETTINGS,
      days: [{ date: '2026-12-02', kind: 'workday', name: '半天', workingPeriods: [{ start: '08:30', end: '12:00' }] }],
    });
    // Tue 16:30 + 5 h: 1 h Tue, 3.5 h Wed morning, 0.5 h Thu.
    expect(half.formatLocal(half.deadline(t('2026-12-01T16:30+08:00'), { value: 5, unit: 'workHours' }))).toBe(
      '2026-12-03T09:00',
    );
  });

  it('computes offsets with Intl for other zones (Europe/Berlin, with DST)', () => {
    const berlin = new WorkingCalendar({
      settings: { ...DEFAULT_SETTINGS, timeZone: 'Europe/Berlin' },
      days: [],
    });
    // Fri 2026-03-27 17:00 CET (+01:00) + 1 h → Mon 2026-03-30 09:00 CEST (+02:00) after the switch on Sunday.
    expect(berlin.deadline(t('2026-03-27T17:00+01:00'), { value: 1, unit: 'workHours' })).toBe(
      t('2026-03-30T09:00+02:00'),
    );
  });
});

describe('deadline and elapsed are inverse (seeded property test)', () => {
  // mulberry32: a fixed seed keeps a failure reproducible.
  function rng(seed: number) {
    return () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
      return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
    };
  }

  it('elapsed(start, deadline(start, L)) === L.value for 3000 random starts and limits', () => {
    const random = rng(20260101);
    const from = t('2025-12-15T00:00+08:00');
    const spanMs = 380 * 24 * H;
    const units: TimeLimitUnit[] = ['workHours', 'workDays', 'urgentHours'];
    for (let i = 0; i < 3000; i++) {
      const start = Math.floor(from + random() * spanMs);
      const unit = units[i % 3]!;
      const value = Math.round(random() * (unit === 'workDays' ? 20 : 40) * 4) / 4 + (i % 7 === 0 ? 0.1 : 0);
      const end = cal.deadline(start, { value, unit });
      expect(end).toBeGreaterThanOrEqual(start);
      const back = cal.elapsed(start, end, unit);
      if (Math.abs(back - value) > 1e-6) throw new Error(`start ${start} ${value} ${unit}: elapsed ${back}`);
      // The deadline of a positive working-time limit is inside working time (or at a period's end).
      if (value > 0 && unit !== 'urgentHours') expect(cal.measureMs(end - 1, end, 'workHours')).toBe(1);
    }
  });

  it('deadlineWithSuspensions agrees with elapsed leaving the suspensions out, for 1000 random cases', () => {
    const random = rng(7);
    const from = t('2026-01-01T00:00+08:00');
    const units: TimeLimitUnit[] = ['workHours', 'workDays', 'urgentHours'];
    for (let i = 0; i < 1000; i++) {
      const start = Math.floor(from + random() * 300 * 24 * H);
      const unit = units[i % 3]!;
      const value = Math.round(random() * 40) / 4;
      const suspended: [number, number][] = [];
      for (let k = 0; k < 3; k++) {
        const a = Math.floor(start + (random() - 0.2) * 20 * 24 * H);
        suspended.push([a, a + Math.floor(random() * 5 * 24 * H)]);
      }
      const end = cal.deadlineWithSuspensions(start, { value, unit }, suspended)!;
      const back = cal.elapsed(start, end, unit, suspended);
      if (Math.abs(back - value) > 1e-6) throw new Error(`start ${start} ${value} ${unit}: elapsed ${back}`);
    }
  });

  it('walks whole periods: 15 working days from 1000 starts in well under a second', () => {
    const fresh = new WorkingCalendar({ settings: DEFAULT_SETTINGS, days: cn2026.days as SpecialDay[] });
    const begin = performance.now();
    for (let i = 0; i < 1000; i++)
      fresh.deadline(t('2026-01-05T10:00+08:00') + i * 7 * H, { value: 15, unit: 'workDays' });
    expect(performance.now() - begin).toBeLessThan(1000);
  });
});
