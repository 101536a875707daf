// 处置时限 parser: every limit text of the 运城 sample read right or refused with a reason.
import { describe, expect, it } from 'vitest';
import { formatTimeLimit, parseTimeLimit } from './time-limit.js';

const ok = (value: number, unit: string) => ({ ok: true, limit: { value, unit } });

describe('parseTimeLimit', () => {
  it('reads the three units, with and without 个 and 小时', () => {
    expect(parseTimeLimit('2紧急工作时')).toEqual(ok(2, 'urgentHours'));
    expect(parseTimeLimit('4工作时')).toEqual(ok(4, 'workHours'));
    expect(parseTimeLimit('4个工作时')).toEqual(ok(4, 'workHours'));
    expect(parseTimeLimit('4工作小时')).toEqual(ok(4, 'workHours'));
    expect(parseTimeLimit('2工作日')).toEqual(ok(2, 'workDays'));
    expect(parseTimeLimit('2个工作日')).toEqual(ok(2, 'workDays'));
    expect(parseTimeLimit('10工作日')).toEqual(ok(10, 'workDays'));
    expect(parseTimeLimit('1个紧急工作小时')).toEqual(ok(1, 'urgentHours'));
  });

  it('reads decimals, fullwidth digits and surrounding blanks', () => {
    expect(parseTimeLimit('0.5工作日')).toEqual(ok(0.5, 'workDays'));
    expect(parseTimeLimit('１２工作时')).toEqual(ok(12, 'workHours'));
    expect(parseTimeLimit('１．５工作日')).toEqual(ok(1.5, 'workDays'));
    expect(parseTimeLimit(' 5工作日')).toEqual(ok(5, 'workDays'));
    expect(parseTimeLimit('3 工作日\n')).toEqual(ok(3, 'workDays'));
  });

  it('refuses what it cannot read exactly, with the reason', () => {
    const reason = (text: string) => {
      const r = parseTimeLimit(text);
      return r.ok ? 'parsed' : r.reason;
    };
    expect(reason('')).toBe('empty');
    expect(reason('   ')).toBe('empty');
    expect(reason('立即')).toBe('noNumber');
    expect(reason('立即处置')).toBe('noNumber');
    expect(reason('2-3工作日')).toBe('range');
    expect(reason('2～3工作日')).toBe('range');
    expect(reason('2至3个工作日')).toBe('range');
    expect(reason('种植季节15工作日')).toBe('extraText');
    expect(reason('2工作日内完成')).toBe('extraText');
    expect(reason('2天')).toBe('unknownUnit');
    expect(reason('2小时')).toBe('unknownUnit');
    expect(reason('0工作日')).toBe('notPositive');
    const r = parseTimeLimit('种植季节15工作日');
    expect(!r.ok && r.message).toContain('种植季节15工作日');
  });

  it('formats a limit back to the text a standard uses', () => {
    expect(formatTimeLimit({ value: 2, unit: 'urgentHours' })).toBe('2紧急工作时');
    expect(formatTimeLimit({ value: 1.5, unit: 'workDays' })).toBe('1.5工作日');
  });
});
