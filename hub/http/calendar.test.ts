// 工作日历接口 working calendar API over real HTTP against the real test database, with a tiny in-test authenticator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import {
  expectProblem,
  fixedTokenAuthenticator,
  jsonCall,
  startApp,
  type TestApp,
} from '../../test/support/http-app.js';
import type { WorkingCalendar } from '../cases/calendar.js';
import { seedDefaultCalendar } from '../cases/calendar-store.js';
import { migrate } from '../db/migrate.js';
import { calendarRoutes } from './calendar.js';

const ADMIN = 'admin-token-test';
const COLLECTOR = 'collector-token-test';

const auth = fixedTokenAuthenticator({
  [ADMIN]: { userId: 'u-admin', name: 'Admin', roles: ['admin'], departmentId: null },
  [COLLECTOR]: { userId: 'u-col', name: 'Collector', roles: ['collector'], departmentId: null },
});

let db: TestDatabase;
let server: TestApp;
const changes: WorkingCalendar[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  await migrate(db.pool);
  await seedDefaultCalendar(db.pool);
  server = await startApp((app) =>
    app.register(calendarRoutes, { pool: db.pool, auth, onChange: (c) => changes.push(c) }),
  );
});
afterAll(async () => {
  await server?.close();
  await db?.drop();
});

const call = (method: string, path: string, token: string | null, body?: unknown) =>
  jsonCall(server.base, method, path, { token, body });

const q = (params: Record<string, string>) => new URLSearchParams(params).toString();

describe('calendar API', () => {
  it('refuses anonymous callers (401) and non-admins on changes (403)', async () => {
    const reads = [
      '/api/calendar',
      '/api/calendar/2026',
      '/api/calendar/step-limits',
      `/api/calendar/deadline?${q({ start: '2026-12-01T10:00:00+08:00', value: '1', unit: 'workHours' })}`,
    ];
    for (const path of reads) {
      const { res, body } = await call('GET', path, null);
      expectProblem(res, body, 401, 'urn:cityhub:problem:unauthorized');
      expect((await call('GET', path, 'wrong-token')).res.status).toBe(401);
      expect((await call('GET', path, COLLECTOR)).res.status).toBe(200);
    }
    const writes: [string, unknown][] = [
      [
        '/api/calendar/settings',
        { timeZone: 'Asia/Shanghai', workingPeriods: [{ start: '09:00', end: '17:00' }], weekendDays: [6, 7] },
      ],
      ['/api/calendar/2027', { days: [] }],
      ['/api/calendar/step-limits', [{ step: 'dispatch', value: 1, unit: 'workHours' }]],
    ];
    for (const [path, body] of writes) {
      const anon = await call('PUT', path, null, body);
      expectProblem(anon.res, anon.body, 401);
      const col = await call('PUT', path, COLLECTOR, body);
      expectProblem(col.res, col.body, 403, 'urn:cityhub:problem:forbidden');
    }
    // Nothing changed.
    expect((await call('GET', '/api/calendar/2027', ADMIN)).res.status).toBe(404);
    expect(changes).toHaveLength(0);
  });

  it('shows the settings, the years and one year’s days', async () => {
    const { res, body } = await call('GET', '/api/calendar', COLLECTOR);
    expect(res.status).toBe(200);
    expect(body.settings).toEqual({
      timeZone: 'Asia/Shanghai',
      workingPeriods: [
        { start: '08:30', end: '12:00' },
        { start: '13:30', end: '17:30' },
      ],
      weekendDays: [6, 7],
    });
    expect(body.workDayHours).toBe(7.5);
    expect(body.years.map((y: { year: number }) => y.year)).toEqual([2026]);
    const year = await call('GET', '/api/calendar/2026', COLLECTOR);
    expect(year.body.days).toContainEqual({
      date: '2026-10-10',
      kind: 'workday',
      name: '国庆节调休上班 working Saturday (National Day)',
    });
    const missing = await call('GET', '/api/calendar/2031', COLLECTOR);
    expectProblem(missing.res, missing.body, 404, 'urn:cityhub:problem:calendar-year-not-found');
    expect(missing.body.detail).toContain('PUT /api/calendar/2031');
  });

  it('computes a deadline with its traffic light for the UI', async () => {
    // Wed 2026-09-30 16:30 + 18 working hours → Sat 10-10 10:30 (National Day skipped, adjusted Saturday worked).
    const { res, body } = await call(
      'GET',
      `/api/calendar/deadline?${q({ start: '2026-09-30T16:30:00+08:00', value: '18', unit: 'workHours', now: '2026-10-09T17:30:00+08:00' })}`,
      COLLECTOR,
    );
    expect(res.status).toBe(200);
    expect(body.deadline).toBe(new Date(Date.parse('2026-10-10T10:30:00+08:00')).toISOString());
    expect(body.deadlineLocal).toBe('2026-10-10T10:30');
    // At Fri 10-09 17:30: 1 + 7.5 + 7.5 = 16 h of 18 h = 88.9 % → yellow.
    expect(body.elapsed).toBeCloseTo(16, 9);
    expect(body.light).toBe('yellow');
    expect(body.missingYears).toEqual([]);
    const far = await call(
      'GET',
      `/api/calendar/deadline?${q({ start: '2026-12-30T10:00:00+08:00', value: '5', unit: 'workDays' })}`,
      COLLECTOR,
    );
    expect(far.body.missingYears).toEqual([2027]);
    const bad = await call(
      'GET',
      `/api/calendar/deadline?${q({ start: 'yesterday', value: '1', unit: 'fortnights' })}`,
      COLLECTOR,
    );
    expectProblem(bad.res, bad.body, 400, 'urn:cityhub:problem:validation');
  });

  it('lets an admin replace a year, all or nothing, and tells the hub', async () => {
    const bad = await call('PUT', '/api/calendar/2027', ADMIN, {
      days: [
        { date: '2027-02-30', kind: 'holiday', name: '春节' },
        { date: '2027-10-01', kind: 'holiday', name: '国庆节' },
        { date: '2027-10-01', kind: 'workday', name: 'x' },
      ],
    });
    expectProblem(bad.res, bad.body, 400, 'urn:cityhub:problem:invalid-calendar');
    expect(bad.body.errors.map((e: { row: number }) => e.row)).toEqual([0, 2]);
    expect((await call('GET', '/api/calendar/2027', ADMIN)).res.status).toBe(404);
    const unknown = await call('PUT', '/api/calendar/2027', ADMIN, { days: [], dayz: [] });
    expectProblem(unknown.res, unknown.body, 400, 'urn:cityhub:problem:validation');
    expect(unknown.body.detail).toContain('dayz');

    const ok = await call('PUT', '/api/calendar/2027', ADMIN, {
      source: 'test notice',
      days: [{ date: '2027-01-01', kind: 'holiday', name: '元旦' }],
    });
    expect(ok.res.status).toBe(200);
    expect(ok.body).toEqual({
      year: 2027,
      source: 'test notice',
      note: '',
      days: [{ date: '2027-01-01', kind: 'holiday', name: '元旦' }],
    });
    expect(changes.at(-1)!.years).toEqual([2026, 2027]);
  });

  it('lets an admin change the settings and step limits', async () => {
    const bad = await call('PUT', '/api/calendar/settings', ADMIN, {
      timeZone: 'Asia/Shanghai',
      workingPeriods: [
        { start: '08:30', end: '12:00' },
        { start: '11:00', end: '17:30' },
      ],
      weekendDays: [6, 7],
    });
    expectProblem(bad.res, bad.body, 400, 'urn:cityhub:problem:invalid-calendar');
    expect(bad.body.detail).toMatch(/before the previous period ends/);
    const ok = await call('PUT', '/api/calendar/settings', ADMIN, {
      timeZone: 'Asia/Shanghai',
      workingPeriods: [{ start: '09:00', end: '17:00' }],
      weekendDays: [6, 7],
    });
    expect(ok.res.status).toBe(200);
    expect(changes.at(-1)!.workDayMs).toBe(8 * 3_600_000);

    const steps = await call('PUT', '/api/calendar/step-limits', ADMIN, [
      { step: 'reinspect', value: 2, unit: 'workDays' },
    ]);
    expect(steps.res.status).toBe(200);
    expect(steps.body.steps.find((s: { step: string }) => s.step === 'reinspect')).toMatchObject({
      limit: { value: 2, unit: 'workDays' },
      origin: 'configured',
    });
    const badStep = await call('PUT', '/api/calendar/step-limits', ADMIN, [
      { step: 'teleport', value: 1, unit: 'workHours' },
    ]);
    expectProblem(badStep.res, badStep.body, 400, 'urn:cityhub:problem:invalid-step-limits');
    expect(badStep.body.errors[0].message).toContain('verifyAndFile');
  });

  it('documents every route in OpenAPI', async () => {
    const { body } = await call('GET', '/openapi.json', null);
    expect(Object.keys(body.paths).sort()).toEqual([
      '/api/calendar',
      '/api/calendar/deadline',
      '/api/calendar/settings',
      '/api/calendar/step-limits',
      '/api/calendar/{year}',
    ]);
  });
});
