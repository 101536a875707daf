// 工作日历存储 the calendar store against the real database: seeding, replacing a year atomically, settings.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { migrate } from '../db/migrate.js';
import { CalendarError } from './calendar.js';
import { getYear, listYears, loadCalendar, putSettings, putYear, seedDefaultCalendar } from './calendar-store.js';
import { StepLimitError, loadStepLimits, putStepLimits, stepLimitOf } from './step-limits.js';

let db: TestDatabase;
const t = (s: string) => Date.parse(s);

beforeAll(async () => {
  db = await createTestDatabase();
  await migrate(db.pool);
});
afterAll(async () => {
  await db?.drop();
});

describe('calendar store', () => {
  it('starts with the default settings and no years, then seeds the shipped years once', async () => {
    const empty = await loadCalendar(db.pool);
    expect(empty.settings.timeZone).toBe('Asia/Shanghai');
    expect(empty.years).toEqual([]);
    // Without holiday data, 2026-10-01 (a Thursday) is a working day.
    expect(empty.isWorkingDay('2026-10-01')).toBe(true);

    expect(await seedDefaultCalendar(db.pool)).toEqual({ settings: true, years: [2026] });
    expect(await seedDefaultCalendar(db.pool)).toEqual({ settings: false, years: [] });

    const cal = await loadCalendar(db.pool);
    expect(cal.years).toEqual([2026]);
    expect(cal.isWorkingDay('2026-10-01')).toBe(false);
    expect(cal.isWorkingDay('2026-10-10')).toBe(true); // adjusted working Saturday
    const [y] = await listYears(db.pool);
    // 2026: 3 + 9 + 3 + 5 + 3 + 3 + 7 holidays, 6 adjusted working days.
    expect(y).toMatchObject({ year: 2026, holidays: 33, workdays: 6 });
    expect(y!.source).toContain('2026年部分节假日安排');
  });

  it('replaces one year in one transaction; a bad row stores nothing', async () => {
    const before = await getYear(db.pool, 2026);
    await expect(
      putYear(db.pool, 2026, {
        days: [
          { date: '2026-10-01', kind: 'holiday', name: '国庆节' },
          { date: '2026-10-01', kind: 'workday', name: 'oops' },
          { date: '2027-01-01', kind: 'holiday', name: '元旦' },
        ],
      }),
    ).rejects.toSatisfy((e: unknown) => {
      const errors = (e as CalendarError).errors.map((i) => i.message);
      return (
        e instanceof CalendarError &&
        errors.some((m) => /both a holiday and a workday/.test(m)) &&
        errors.some((m) => /not in 2026/.test(m))
      );
    });
    expect(await getYear(db.pool, 2026)).toEqual(before);

    const saved = await putYear(db.pool, 2027, {
      source: 'test',
      days: [
        { date: '2027-01-01', kind: 'holiday', name: '元旦' },
        { date: '2027-01-09', kind: 'workday', name: '半天班', workingPeriods: [{ start: '08:30', end: '12:00' }] },
      ],
    });
    expect(saved.days).toEqual([
      { date: '2027-01-01', kind: 'holiday', name: '元旦' },
      { date: '2027-01-09', kind: 'workday', name: '半天班', workingPeriods: [{ start: '08:30', end: '12:00' }] },
    ]);
    const cal = await loadCalendar(db.pool);
    // Fri 2027-01-08 17:00 + 1 h: 0.5 h Friday, Saturday 01-09 is worked in the morning: 09:00.
    expect(cal.deadline(t('2027-01-08T17:00+08:00'), { value: 1, unit: 'workHours' })).toBe(
      t('2027-01-09T09:00+08:00'),
    );
    // Replacing 2027 again drops its old rows.
    await putYear(db.pool, 2027, { days: [] });
    expect((await getYear(db.pool, 2027))!.days).toEqual([]);
  });

  it('validates and stores the settings', async () => {
    await expect(
      putSettings(db.pool, {
        timeZone: 'Asia/Shanghai',
        workingPeriods: [{ start: '13:00', end: '12:00' }],
        weekendDays: [6, 7],
      }),
    ).rejects.toThrow(/before it starts/);
    await putSettings(db.pool, {
      timeZone: 'Asia/Urumqi',
      workingPeriods: [{ start: '10:00', end: '14:00' }],
      weekendDays: [7],
    });
    const cal = await loadCalendar(db.pool);
    expect(cal.workDayMs).toBe(4 * 3_600_000);
    // Urumqi is +06:00. Sat 2026-12-05 13:00 local + 2 h: 1 h Saturday (a working day now), Sunday off, Mon 11:00.
    expect(cal.deadline(t('2026-12-05T13:00+06:00'), { value: 2, unit: 'workHours' })).toBe(
      t('2026-12-07T11:00+06:00'),
    );
  });
});

describe('step limits', () => {
  it('ships defaults and stores an admin’s values, all or nothing', async () => {
    const defaults = await loadStepLimits(db.pool);
    expect(stepLimitOf(defaults, 'verifyAndFile')).toEqual({ value: 1, unit: 'workHours' });
    expect(stepLimitOf(defaults, 'dispatch')).toEqual({ value: 0.5, unit: 'workHours' });
    expect(stepLimitOf(defaults, 'reinspect')).toEqual({ value: 1, unit: 'workDays' });
    await expect(
      putStepLimits(db.pool, [
        { step: 'dispatch', value: 1, unit: 'workHours' },
        { step: 'teleport', value: 1, unit: 'workHours' },
      ]),
    ).rejects.toBeInstanceOf(StepLimitError);
    expect(stepLimitOf(await loadStepLimits(db.pool), 'dispatch')).toEqual({ value: 0.5, unit: 'workHours' });
    const after = await putStepLimits(db.pool, [{ step: 'dispatch', value: 2, unit: 'urgentHours' }]);
    expect(after.find((s) => s.step === 'dispatch')).toMatchObject({
      limit: { value: 2, unit: 'urgentHours' },
      origin: 'configured',
    });
    expect(after.find((s) => s.step === 'reinspect')!.origin).toBe('default');
  });
});
