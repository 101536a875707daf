// 案件概况接口 the leader's case overview over real HTTP against the real database, with cases made by the real case
// service: the cases open, overdue and supervised now (live), and the month's figures, which must be the evaluation's —
// equal to what GET /api/evaluation answers for the same month in China Standard Time, by city, district and
// department — including a case closed this month but due last month, which the month's 结案数 does not count.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEADER_COUNTS, LEADER_RATES } from '../evaluation/leader-figures.js';
import { ChromiumPdf } from '../evaluation/pdf.js';
import { createCaseCity, type CaseCity } from '../../test/support/case-city.js';
import { expectProblem, jsonCall, startApp, type Json, type TestApp } from '../../test/support/http-app.js';
import { evaluationRoutes } from './evaluation.js';
import { overviewRoutes } from './overview.js';

const cst = (iso: string) => Date.parse(`${iso}+08:00`);

let city: CaseCity;
let server: TestApp;

beforeAll(async () => {
  // Monday 30 November 2026, 09:00: a working day. Component 0101 has 4 working hours to handle.
  city = await createCaseCity(cst('2026-11-30T09:00:00'));
  const dueInNovember = await city.report();
  await city.advance(dueInNovember.id, 'handling'); // due 30 November 14:30 …
  await city.report(); // reported in November, still waiting for acceptance
  city.clock.nowMs = cst('2026-12-01T09:00:00');
  await city.close(dueInNovember.id); // … closed late on 1 December: a November closure (late), not December's
  const closed = await city.report();
  await city.close(closed.id); // closed on time
  const overdue = await city.report();
  await city.advance(overdue.id, 'handling'); // due 14:30 (after the lunch break)
  const supervised = await city.report();
  await city.service.act(supervised.id, 'supervise', city.actors.boss!, { supervised: true });
  const outside = await city.report('col2', { lon: 118.5, lat: 37.5 });
  await city.service.act(outside.id, 'reject', city.actors.acc!, { reason: '不在管辖范围' });
  city.clock.nowMs = cst('2026-12-01T16:00:00');

  const evaluation = await city.startEvaluation();
  server = await startApp(async (app) => {
    await app.register(overviewRoutes, { auth: city.auth, evaluation });
    await app.register(evaluationRoutes, {
      service: evaluation,
      pdf: new ChromiumPdf('/nonexistent/chromium'),
      auth: city.auth,
    });
  });
});

afterAll(async () => {
  await server?.close();
  await city?.drop();
});

const get = async (path: string): Promise<Json> => {
  const { res, body } = await jsonCall(server.base, 'GET', path, { token: 'boss' });
  expect(res.status, path).toBe(200);
  return body;
};

/** The month's figures of an evaluated object as the overview carries them (only the counts it knows). */
const monthOf = (o: Json | undefined, counts: readonly string[]) => ({
  counts: Object.fromEntries(counts.map((c) => [c, o?.counts[c] ?? 0])),
  rates: Object.fromEntries(LEADER_RATES.map((r) => [r, o?.rates[r]?.value ?? null])),
});

/** The overview's month figures equal the evaluation's for its month: city, every district, every department. */
async function expectTheEvaluations(overview: Json): Promise<void> {
  const query = `?period=${overview.month.period}`;
  const cityEval = await get(`/api/evaluation/city${query}`);
  expect(cityEval.period).toMatchObject({ label: overview.month.period, from: overview.month.from });
  expect(overview.month.timeZone).toBe(cityEval.timeZone);
  expect(overview.totals.month).toEqual(monthOf(cityEval.objects[0], LEADER_COUNTS));
  for (const [kind, groups, counts] of [
    ['district', overview.byDistrict, LEADER_COUNTS],
    ['department', overview.byDepartment, ['closureDue', 'closed', 'closedOnTime']],
  ] as const) {
    const evaluated = (await get(`/api/evaluation/${kind}${query}`)).objects as Json[];
    for (const g of groups as Json[]) {
      if (g.id === null) {
        expect(g.month).toBeNull();
        continue;
      }
      expect(g.month, `${kind} ${g.id}`).toEqual(
        monthOf(
          evaluated.find((o) => o.id === g.id),
          counts,
        ),
      );
    }
    // Every object the evaluation has for the month is on the dashboard.
    for (const o of evaluated) expect((groups as Json[]).map((g) => g.id)).toContain(o.id);
  }
}

describe('case overview', () => {
  it('counts the cases open, overdue and supervised now, by department and district', async () => {
    const body = await get('/api/cases/overview');
    expect(body.at).toBe(new Date(cst('2026-12-01T16:00:00')).toISOString());
    expect(body.totals.now).toEqual({ open: 3, overdue: 1, supervised: 1 });
    expect(body.byDepartment.map((g: Json) => [g.id, g.name, g.now])).toEqual([
      [null, null, { open: 2, overdue: 0, supervised: 1 }],
      ['water', '供水公司', { open: 1, overdue: 1, supervised: 0 }],
    ]);
    // The rejected report outside the grid is not open: it counts nowhere now.
    expect(body.byDistrict.map((g: Json) => [g.id, g.name, g.now])).toEqual([
      ['370102', '历下区', { open: 3, overdue: 1, supervised: 1 }],
    ]);
  });

  it('takes the month’s figures from the evaluation: closures of the cases due this month', async () => {
    const body = await get('/api/cases/overview');
    expect(body.month).toEqual({
      period: '2026-12',
      from: '2026-12-01',
      to: '2026-12-31',
      timeZone: 'Asia/Shanghai',
    });
    // Closed in December are two cases, but one was due in November: December's 结案数 is the on-time one alone,
    // and the overdue case still in handling is due too.
    expect(body.totals.month).toEqual({
      counts: { reported: 4, filed: 2, closureDue: 2, closed: 1, closedOnTime: 1 },
      rates: { closureRate: 0.5, onTimeClosureRate: 0.5 },
    });
    const water = body.byDepartment.find((g: Json) => g.id === 'water');
    expect(water.month).toEqual({
      counts: { closureDue: 2, closed: 1, closedOnTime: 1 },
      rates: { closureRate: 0.5, onTimeClosureRate: 0.5 },
    });
    expect(body.byDistrict[0].month).toEqual({
      counts: { reported: 3, filed: 2, closureDue: 2, closed: 1, closedOnTime: 1 },
      rates: { closureRate: 0.5, onTimeClosureRate: 0.5 },
    });
    await expectTheEvaluations(body);
    // The November closure is November's, in the evaluation and so on the dashboard of that month.
    const november = await get('/api/evaluation/city?period=2026-11');
    expect(november.objects[0].counts).toMatchObject({ closureDue: 1, closed: 1, closedOnTime: 0 });
  });

  it('turns the month at midnight China Standard Time, the evaluation’s month', async () => {
    const before = city.clock.nowMs;
    try {
      // 2027-01-01 00:10 in Shanghai is still 31 December in UTC.
      city.clock.nowMs = cst('2027-01-01T00:10:00');
      const body = await get('/api/cases/overview');
      expect(body.month).toMatchObject({ period: '2027-01', from: '2027-01-01', to: '2027-01-31' });
      expect(body.totals.month.counts).toEqual({ reported: 0, filed: 0, closureDue: 0, closed: 0, closedOnTime: 0 });
      expect(body.totals.month.rates).toEqual({ closureRate: null, onTimeClosureRate: null });
      // Live states go on: the overdue case is still open and overdue.
      expect(body.totals.now).toEqual({ open: 3, overdue: 1, supervised: 1 });
      // A department with open cases but nothing due this month shows the evaluation's nothing: zeros, no rate.
      expect(body.byDepartment.find((g: Json) => g.id === 'water').month).toEqual({
        counts: { closureDue: 0, closed: 0, closedOnTime: 0 },
        rates: { closureRate: null, onTimeClosureRate: null },
      });
      await expectTheEvaluations(body);
    } finally {
      city.clock.nowMs = before;
    }
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
