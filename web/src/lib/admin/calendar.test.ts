// 工作日历 the calendar screen's date helpers: month grids, day types, range edits.
import { describe, expect, it } from 'vitest';
import { applyRange, dateRange, dayType, isDate, isoWeekday, monthWeeks, type SpecialDay } from './calendar';

describe('calendar dates', () => {
  it('knows weekdays and real dates', () => {
    expect(isoWeekday('2026-10-01')).toBe(4); // a Thursday
    expect(isoWeekday('2026-10-04')).toBe(7);
    expect(isDate('2026-02-29')).toBe(false);
    expect(isDate('2028-02-29')).toBe(true);
    expect(dateRange('2026-12-30', '2027-01-02')).toEqual(['2026-12-30', '2026-12-31', '2027-01-01', '2027-01-02']);
    expect(dateRange('2026-10-08', '2026-10-01')).toEqual([]);
  });

  it('lays a month out in weeks starting on Monday', () => {
    const weeks = monthWeeks(2026, 10);
    expect(weeks[0]).toEqual([null, null, null, '2026-10-01', '2026-10-02', '2026-10-03', '2026-10-04']);
    expect(weeks.flat().filter(Boolean)).toHaveLength(31);
    expect(weeks.at(-1)).toEqual([
      '2026-10-26',
      '2026-10-27',
      '2026-10-28',
      '2026-10-29',
      '2026-10-30',
      '2026-10-31',
      null,
    ]);
    expect(monthWeeks(2026, 2).flat().filter(Boolean)).toHaveLength(28);
  });

  it('a special day overrides the weekend rule', () => {
    const weekend = [6, 7];
    expect(dayType('2026-10-05', weekend, undefined)).toBe('workday');
    expect(dayType('2026-10-04', weekend, undefined)).toBe('weekend');
    expect(dayType('2026-10-05', weekend, { date: '2026-10-05', kind: 'holiday', name: '国庆节' })).toBe('holiday');
    expect(dayType('2026-10-10', weekend, { date: '2026-10-10', kind: 'workday', name: '调休' })).toBe('adjusted');
  });

  it('sets and clears a range, keeping a day’s own hours when its kind stays', () => {
    const hours = [{ start: '09:00', end: '12:00' }];
    const days: SpecialDay[] = [
      { date: '2026-10-10', kind: 'workday', name: '调休', workingPeriods: hours },
      { date: '2026-09-30', kind: 'holiday', name: '旧' },
    ];
    const national = applyRange(days, '2026-10-01', '2026-10-03', 'holiday', '国庆节');
    expect(national.map((d) => d.date)).toEqual(['2026-09-30', '2026-10-01', '2026-10-02', '2026-10-03', '2026-10-10']);
    const renamed = applyRange(national, '2026-10-10', '2026-10-10', 'workday', '国庆调休');
    expect(renamed.at(-1)).toEqual({ date: '2026-10-10', kind: 'workday', name: '国庆调休', workingPeriods: hours });
    expect(applyRange(renamed, '2026-09-30', '2026-10-01', 'normal', '').map((d) => d.date)).toEqual([
      '2026-10-02',
      '2026-10-03',
      '2026-10-10',
    ]);
  });
});
