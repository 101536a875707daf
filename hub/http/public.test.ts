// 公众公开接口 the public page's API over real HTTP against the real database: its figures are the evaluation's
// (GET /api/public/evaluation: the month's counts and rates by the city's clock, by district, street, department and
// class), the recently closed cases come without a trace of personal data, both are cached with ETags, and bad
// periods are refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaseCity, CITY_DISTRICT, CITY_USERS, type CaseCity } from '../../test/support/case-city.js';
import { expectProblem, jsonCall, startApp, type Json, type TestApp } from '../../test/support/http-app.js';
import { ChromiumPdf } from '../evaluation/pdf.js';
import { evaluationRoutes } from './evaluation.js';
import { publicRoutes } from './public.js';

/** Local time in Asia/Shanghai (UTC+8) → UTC ms. */
const cst = (iso: string) => Date.parse(`${iso}+08:00`);
const CACHE_MS = 30_000;

let city: CaseCity;
let server: TestApp;
const numbers: Record<string, string> = {};

beforeAll(async () => {
  city = await createCaseCity(cst('2026-11-20T09:00:00'));
  const { clock } = city;
  // November: A reported and closed; B reported and filed (closed in December).
  const a = await city.report('col1', { description: '井盖破损，联系13812345678' });
  await city.close(a.id);
  const b = await city.report('col1', { description: '上水井盖破损' });
  await city.advance(b.id, 'filed');
  // December: B closed; C from the hotline (a complainant's name, phone and words) filed and closed; D filed and
  // still open; E, an event, only reported.
  clock.nowMs = cst('2026-12-03T10:00:00');
  await city.close(b.id);
  const c = await city.report('acc', {
    description: '我是李先生，楼下井盖坏了',
    reporterName: '李先生',
    reporterPhone: '13700002222',
    address: '趵突泉南路12号院3单元',
  });
  await city.close(c.id);
  const d = await city.report('col2');
  await city.advance(d.id, 'filed');
  await city.report('col2', { classCode: 'event:0110', description: '暴露垃圾' });
  Object.assign(numbers, { a: a.number, b: b.number, c: c.number });
  clock.nowMs = cst('2026-12-10T10:00:00');

  const evaluation = await city.startEvaluation();
  server = await startApp(async (app) => {
    await app.register(publicRoutes, { pool: city.db.pool, cacheMs: CACHE_MS, now: () => city.clock.nowMs });
    await app.register(evaluationRoutes, {
      service: evaluation,
      pdf: new ChromiumPdf('/nonexistent/chromium'),
      auth: city.auth,
      publicCacheMs: CACHE_MS,
    });
  });
});

afterAll(async () => {
  await server?.close();
  await city?.drop();
});

const get = (path: string, headers: Record<string, string> = {}) => jsonCall(server.base, 'GET', path, { headers });

describe('the public figures (the evaluation’s)', () => {
  it('count this month by the city’s clock, without a login', async () => {
    const { res, body } = await get('/api/public/evaluation');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toMatch(/^public, max-age=\d+$/);
    expect(body).toMatchObject({ period: '2026-12', from: '2026-12-01', to: '2026-12-31', timeZone: 'Asia/Shanghai' });
    // December: C, D and E reported (C from the hotline); C and D filed; B and C closed the day they were dispatched.
    // D was never dispatched, so no closure of it is due yet.
    expect(body.city).toEqual({
      id: '',
      name: '全市',
      counts: {
        reported: 3,
        publicReported: 1,
        filed: 2,
        handlingDue: 2,
        handledOnTime: 2,
        overdueUnhandled: 0,
        closureDue: 2,
        closed: 2,
        closedOnTime: 2,
      },
      rates: { closureRate: 1, onTimeClosureRate: 1, onTimeHandlingRate: 1 },
    });
    expect(body.districts.map((d: Json) => [d.id, d.name, d.counts.reported, d.counts.closed])).toEqual([
      [CITY_DISTRICT, '历下区', 3, 2],
    ]);
    expect(body.streets.map((s: Json) => [s.name, s.counts.reported])).toEqual([['演示街道1', 3]]);
    expect(body.departments.map((d: Json) => [d.id, d.name, d.counts.closed, d.rates.closureRate])).toEqual([
      ['water', '供水公司', 2, 1],
    ]);
    // Classes carry both names for the page, most reported first.
    expect(body.classes.map((c: Json) => [c.id, c.name, c.nameEn, c.counts.reported])).toEqual([
      ['component:0101', '上水井盖', 'Water supply manhole cover', 2],
      ['event:0110', '暴露垃圾', 'Exposed garbage', 1],
    ]);
  });

  it('count a past month, where a closure came due and a filed case was not dispatched within it', async () => {
    const { body } = await get('/api/public/evaluation?period=2026-11');
    expect(body.period).toBe('2026-11');
    expect(body.city.counts).toMatchObject({ reported: 2, filed: 2, closureDue: 1, closed: 1 });
    expect(body.city.rates.closureRate).toBe(1);
    const empty = await get('/api/public/evaluation?period=2026-01');
    expect(empty.body.city.counts).toMatchObject({ reported: 0, filed: 0, closureDue: 0, closed: 0 });
    expect(empty.body.city.rates).toEqual({ closureRate: null, onTimeClosureRate: null, onTimeHandlingRate: null });
    expect([empty.body.districts, empty.body.departments, empty.body.classes]).toEqual([[], [], []]);
  });

  it('refuses a month that has not begun, one that is no month and questions it does not answer', async () => {
    const future = await get('/api/public/evaluation?period=2027-01');
    expectProblem(future.res, future.body, 400, 'urn:cityhub:problem:invalid-period');
    const bad = await get('/api/public/evaluation?period=2026-13');
    expectProblem(bad.res, bad.body, 400, 'urn:cityhub:problem:invalid-period');
    expect((await get('/api/public/evaluation?period=2026-12&user=col1')).res.status).toBe(400);
    expect((await get('/api/public/statistics')).res.status).toBe(404);
  });
});

describe('recently closed cases', () => {
  it('lists them newest first with class, street and community, and times', async () => {
    const { res, body } = await get('/api/public/closed-cases?limit=10');
    expect(res.status).toBe(200);
    expect(body.items.map((c: { number: string }) => c.number)).toEqual([numbers.c, numbers.b, numbers.a]);
    const [c, b, a] = body.items;
    expect(b).toMatchObject({
      classKind: 'component',
      classCode: '0101',
      classNameZh: '上水井盖',
      classNameEn: 'Water supply manhole cover',
      district: '历下区',
      street: '演示街道1',
      community: '演示社区1-1',
      handledOnTime: true,
      description: '上水井盖破损',
    });
    expect(Date.parse(b.closedAt)).toBe(cst('2026-12-03T10:00:00'));
    expect(Date.parse(b.reportedAt)).toBe(cst('2026-11-20T09:00:00'));
    // A complainant's words are never published; nor is a staff description with a phone number in it.
    expect(c.description).toBeNull();
    expect(a.description).toBeNull();
    expect((await get('/api/public/closed-cases?limit=1')).body.items).toHaveLength(1);
    expect((await get('/api/public/closed-cases?limit=51')).res.status).toBe(400);
  });

  it('carries no personal data: no names, phones, user ids, addresses or exact points', async () => {
    const { body, text } = await get('/api/public/closed-cases');
    for (const item of body.items) {
      expect(Object.keys(item).sort()).toEqual(
        [
          'classCode',
          'classKind',
          'classNameEn',
          'classNameZh',
          'closedAt',
          'community',
          'description',
          'district',
          'handledOnTime',
          'number',
          'reportedAt',
          'street',
        ].sort(),
      );
    }
    const figures = [
      (await get('/api/public/evaluation')).text,
      (await get('/api/public/evaluation?period=2026-11')).text,
    ];
    for (const answer of [text, ...figures]) {
      for (const u of CITY_USERS) {
        expect(answer).not.toContain(`"${u.id}"`);
        expect(answer).not.toContain(u.name);
      }
      for (const secret of ['李先生', '13700002222', '13812345678', '趵突泉南路', '117.0012', '36.6532']) {
        expect(answer).not.toContain(secret);
      }
    }
  });
});

describe('caching', () => {
  it('computes each public answer once per cache period and answers 304 to a matching ETag', async () => {
    const paths = ['/api/public/evaluation', '/api/public/closed-cases'];
    const first = await Promise.all(paths.map((p) => get(p)));
    const etags = first.map((f) => f.res.headers.get('etag')!);
    for (const [i, path] of paths.entries()) {
      expect(etags[i]).toMatch(/^".+"$/);
      expect((await get(path, { 'if-none-match': etags[i]! })).res.status).toBe(304);
    }

    const reported = first[0]!.body.city.counts.reported as number;
    const closedCount = first[1]!.body.items.length as number;
    const late = await city.report('col1');
    await city.close(late.id);
    const [figures, closed] = await Promise.all(paths.map((p) => get(p)));
    expect(figures!.body.city.counts.reported).toBe(reported);
    expect(closed!.body.items).toHaveLength(closedCount);
    expect([figures!.res.headers.get('etag'), closed!.res.headers.get('etag')]).toEqual(etags);

    city.clock.nowMs += CACHE_MS;
    const fresh = await Promise.all(paths.map((p, i) => get(p, { 'if-none-match': etags[i]! })));
    expect(fresh.map((f) => f.res.status)).toEqual([200, 200]);
    expect(fresh[0]!.body.city.counts.reported).toBe(reported + 1);
    expect(fresh[1]!.body.items[0].number).toBe(late.number);
    expect(fresh.map((f) => f.res.headers.get('etag'))).not.toContain(etags[0]);
    expect(fresh[1]!.res.headers.get('etag')).not.toBe(etags[1]);
  });
});
