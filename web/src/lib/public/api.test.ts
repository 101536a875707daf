// 月份选择 the months the public page offers: this month and the ones before it, across a year's end.
import { describe, expect, it } from 'vitest';
import { previousMonth, recentMonths } from './api';

describe('public page months', () => {
  it('counts back across the turn of the year', () => {
    expect(previousMonth('2026-12')).toBe('2026-11');
    expect(previousMonth('2027-01')).toBe('2026-12');
    expect(recentMonths('2027-02', 4)).toEqual(['2027-02', '2027-01', '2026-12', '2026-11']);
    expect(recentMonths('2026-12', 1)).toEqual(['2026-12']);
  });
});
