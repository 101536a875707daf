// 案件概况接口 the leader's case overview over real HTTP against the real database: open, overdue, supervised and
// closed-this-month counts in total and by department and district, for the supervision centre's roles only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaseCity, type CaseCity } from '../../test/support/case-city.js';
import { expectProblem, jsonCall, startApp, type TestApp } from '../../test/support/http-app.js';
import { overviewRoutes } from './overview.js';

const cst = (iso: string) => Date.parse(`${iso}+08:00`);

let city: CaseCity;
let server: TestApp;

beforeAll(async () => {
  // Tuesday 1 December 2026, 09:00: a working day.
  city = await createCaseCity(cst('2026-11-30T09:00:00'));
  const closedInNovember = await city.report();
  await city.close(closedInNovember.id);
  city.clock.nowMs = cst('2026-12-01T09:00:00');
  const overdue = await city.report();
  await city.advance(overdue.id, 'handling'); // 4 working hours from 09:00: due at 14:30 (after the lunch break)
  const supervised = await city.report();
  await city.service.act(supervised.id, 'supervise', city.actors.boss!, { supervised: true });
  const closed = await city.report();
  await city.close(closed.id);
  const outside = await city.report('col2', { lon: 118.5, lat: 37.5 });
  await city.service.act(outside.id, 'reject', city.actors.acc!, { reason: '不在管辖范围' });
  city.clock.nowMs = cst('2026-12-01T16:00:00');

  server = await startApp((app) =>
    app.register(overviewRoutes, {
      pool: city.db.pool,
      auth: city.auth,
      timeZone: 'Asia/Shanghai',
      now: () => city.clock.nowMs,
    }),
  );
});

afterAll(async () => {
  await server?.close();
  await city?.drop();
});

describe('case overview', () => {
  it('counts open, overdue, supervised and closed-this-month cases by department and district', async () => {
    const { res, body } = await jsonCall(server.base, 'GET', '/api/cases/overview', { token: 'boss' });
    expect(res.status).toBe(200);
    expect(body).toMatchObject({ month: '2026-12', timeZone: 'Asia/Shanghai' });
    expect(body.totals).toEqual({ open: 2, overdue: 1, supervised: 1, closed: 1 });
    expect(body.byDepartment).toEqual([
      { id: 'water', name: '供水公司', open: 1, overdue: 1, supervised: 0, closed: 1 },
      { id: null, name: null, open: 1, overdue: 0, supervised: 1, closed: 0 },
    ]);
    // The rejected report outside the grid is neither open nor closed: it counts nowhere.
    expect(body.byDistrict).toEqual([{ id: '370102', name: '历下区', open: 2, overdue: 1, supervised: 1, closed: 1 }]);
  });

  it('is for the supervision centre: 401 without a login, 403 for collectors and departments', async () => {
    const anonymous = await jsonCall(server.base, 'GET', '/api/cases/overview');
    expectProblem(anonymous.res, anonymous.body, 401, 'urn:cityhub:problem:unauthorized');
    for (const token of ['col1', 'water1']) {
      const r = await jsonCall(server.base, 'GET', '/api/cases/overview', { token });
      expectProblem(r.res, r.body, 403, 'urn:cityhub:problem:forbidden');
    }
    for (const token of ['shift', 'disp', 'acc', 'audit', 'admin']) {
      expect((await jsonCall(server.base, 'GET', '/api/cases/overview', { token })).res.status).toBe(200);
    }
  });
});
