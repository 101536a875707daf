// 考核周期 periods in China Standard Time: days, ISO weeks (including week 53 and weeks across a year), months, ranges.
import { describe, expect, it } from 'vitest';
import { EvaluationError } from './errors.js';
import { daysOf, localDayOf, localMonthOf, parsePeriod, previousMonth } from './period.js';

const utc = (iso: string) => new Date(iso).toISOString();

describe('parsePeriod', () => {
  it('reads a day as the 24 hours from local midnight', () => {
    const p = parsePeriod('2026-11-05');
    expect(p).toMatchObject({ kind: 'day', from: '2026-11-05', to: '2026-11-05', days: 1 });
    expect(utc(new Date(p.startMs).toISOString())).toBe('2026-11-04T16:00:00.000Z');
    expect(p.endMs - p.startMs).toBe(86_400_000);
  });

  it('reads ISO weeks, Monday to Sunday, across the turn of a year and week 53', () => {
    expect(parsePeriod('2026-W45')).toMatchObject({ kind: 'week', from: '2026-11-02', to: '2026-11-08', days: 7 });
    // 2026-01-01 is a Thursday: week 1 starts Monday 2025-12-29.
    expect(parsePeriod('2026-W01')).toMatchObject({ from: '2025-12-29', to: '2026-01-04' });
    // 2026 has 53 ISO weeks (it starts on a Thursday); 2025 has 52.
    expect(parsePeriod('2026-W53')).toMatchObject({ from: '2026-12-28', to: '2027-01-03' });
    expect(() => parsePeriod('2025-W53')).toThrow(/no ISO week 53/);
    expect(() => parsePeriod('2026-W00')).toThrow(EvaluationError);
  });

  it('reads months of every length', () => {
    expect(parsePeriod('2026-02')).toMatchObject({ kind: 'month', from: '2026-02-01', to: '2026-02-28', days: 28 });
    expect(parsePeriod('2028-02')).toMatchObject({ to: '2028-02-29', days: 29 });
    const oct = parsePeriod('2026-10');
    expect([new Date(oct.startMs).toISOString(), new Date(oct.endMs).toISOString()]).toEqual([
      '2026-09-30T16:00:00.000Z',
      '2026-10-31T16:00:00.000Z',
    ]);
  });

  it('reads custom ranges with both ends included, up to a year and a day', () => {
    expect(parsePeriod('2026-11-01..2026-11-15')).toMatchObject({ kind: 'custom', days: 15 });
    expect(parsePeriod('2026-01-01..2027-01-01').days).toBe(366);
    expect(() => parsePeriod('2026-01-01..2027-01-02')).toThrow(/at most 366/);
    expect(() => parsePeriod('2026-11-15..2026-11-01')).toThrow(/ends before it starts/);
    expect(() => parsePeriod('2026-11-01..2026-11-31')).toThrow(/calendar dates/);
  });

  it('refuses anything else, saying what it takes', () => {
    for (const bad of ['2026-13', '2026-02-30', '2026', 'last month', '2026-11-5', '']) {
      expect(() => parsePeriod(bad), bad).toThrow(EvaluationError);
    }
    expect(() => parsePeriod('nov')).toThrow(/a day \(2026-11-05\), an ISO week \(2026-W45\), a month/);
  });
});

describe('local days', () => {
  it('puts an instant in its China Standard Time day and month', () => {
    expect(localDayOf(Date.parse('2026-10-31T15:59:59.999Z'))).toBe('2026-10-31');
    expect(localDayOf(Date.parse('2026-10-31T16:00:00Z'))).toBe('2026-11-01');
    expect(localMonthOf(Date.parse('2026-11-30T16:00:00Z'))).toBe('2026-12');
    expect(previousMonth('2026-01')).toBe('2025-12');
    expect(previousMonth('2026-11')).toBe('2026-10');
    expect(daysOf(parsePeriod('2026-W45'))).toEqual([
      '2026-11-02',
      '2026-11-03',
      '2026-11-04',
      '2026-11-05',
      '2026-11-06',
      '2026-11-07',
      '2026-11-08',
    ]);
  });
});
