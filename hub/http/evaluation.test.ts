// 综合评价 end to end: a hand-built month of cases (October 2026, across the National Day holiday) driven through the
// real case service over HTTP with a controlled clock, against the real TimescaleDB; every indicator of every object
// compared with the values computed by hand in hub/evaluation/fixtures/october-2026.ts; the daily aggregates checked
// against the facts; the exceptions ledger, periods, weights, role guard, public figures and the monthly report as
// HTML and as a PDF printed by Chromium.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SessionService } from '../auth/sessions.js';
import { createUserWithPassword, UserStore } from '../auth/users.js';
import { loadCalendar, seedDefaultCalendar } from '../cases/calendar-store.js';
import { CandidateQueue } from '../cases/candidates.js';
import { CaseService } from '../cases/case-service.js';
import type { Role } from '../cases/ports.js';
import { loadStepLimits } from '../cases/step-limits.js';
import { CatalogueStore } from '../catalogue/catalogue.js';
import { DepartmentStore } from '../catalogue/departments.js';
import { ResponsibilityRules } from '../catalogue/responsibility.js';
import { migrate } from '../db/migrate.js';
import { detectFeatures } from '../db/pool.js';
import { COUNTERS } from '../evaluation/counters.js';
import { storeCoverage } from '../evaluation/coverage-store.js';
import { EXPECTED, EXPECTED_LEDGER, type ExpectedObject } from '../evaluation/fixtures/october-2026.js';
import { storePreviousMonth } from '../evaluation/monthly-report.js';
import { OBJECT_KINDS, type ObjectKind } from '../evaluation/objects.js';
import { ChromiumPdf } from '../evaluation/pdf.js';
import { COVERAGE_COUNTS, RATES } from '../evaluation/rates.js';
import { EvaluationService } from '../evaluation/service.js';
import { AreaStore } from '../geo/areas.js';
import { generateDemoGrid } from '../geo/demo-grid.js';
import { GridGeocoder } from '../geo/geocoder.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { expectProblem, jsonCall, startApp, type Json, type TestApp } from '../../test/support/http-app.js';
import { pdfText } from '../../test/support/pdf-text.js';
import { authRoutes } from './auth.js';
import { caseRoutes } from './cases.js';
import { evaluationRoutes } from './evaluation.js';

const ADMIN_TOKEN = 'evaluation-test-admin-token-0123456789';
const PASSWORD = 'correct horse battery';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Local time in China Standard Time → ms. */
const cst = (local: string) => Date.parse(`${local}+08:00`);

let db: TestDatabase;
let server: TestApp;
let noPdfServer: TestApp;
let evaluation: EvaluationService;
let nowMs = cst('2026-09-30T08:00:00');
const tokens = new Map<string, string>();
const cells = { A: '', B: '', C: '' };
const communities = { '1': '', '2': '' };
let street = '';
const centre = new Map<string, { lon: number; lat: number }>();

const USERS: { id: string; roles: Role[]; departmentId?: string; staffId?: string }[] = [
  { id: 'col1', roles: ['collector'], staffId: 'C001' },
  { id: 'col2', roles: ['collector'], staffId: 'C002' },
  { id: 'acc', roles: ['acceptor'] },
  { id: 'sl1', roles: ['shiftLeader'] },
  { id: 'sl2', roles: ['shiftLeader'] },
  { id: 'disp', roles: ['dispatcher'] },
  { id: 'water1', roles: ['department'], departmentId: 'water' },
  { id: 'san1', roles: ['department'], departmentId: 'sanitation' },
  { id: 'boss', roles: ['leader'] },
  { id: 'audit', roles: ['auditor'] },
];

const call = (user: string, method: string, path: string, body?: unknown) =>
  jsonCall(server.base, method, path, { token: tokens.get(user)!, ...(body !== undefined ? { body } : {}) });

/** Sets the clock, then does one thing as `user`; the answer must be 2xx. */
async function at(local: string, user: string, method: string, path: string, body?: unknown): Promise<Json> {
  nowMs = cst(local);
  const { res, body: answer } = await call(user, method, path, body);
  if (res.status >= 300)
    throw new Error(`${user} ${method} ${path} at ${local}: ${res.status} ${JSON.stringify(answer)}`);
  return answer;
}

const standards = new Map<string, number>();

async function report(local: string, user: string, source: string, classCode: string, cell: keyof typeof cells) {
  const where = centre.get(cells[cell])!;
  const c = await at(local, user, 'POST', '/api/cases', {
    source,
    classCode,
    ...where,
    description: `${classCode} @ ${cell}`,
  });
  expect(c.area.cell).toBe(cells[cell]);
  return c.id as string;
}
const act = (local: string, user: string, id: string, action: string, body: Record<string, unknown> = {}) =>
  at(local, user, 'POST', `/api/cases/${id}/actions/${action}`, body);
const handled = { note: '已处理', attachments: ['photo-1'] };

beforeAll(async () => {
  db = await createTestDatabase();
  await migrate(db.pool);
  const { pool } = db;
  await seedDefaultCalendar(pool);

  const departments = new DepartmentStore(pool);
  await departments.create({ id: 'water', name: '供水公司', kind: 'department' });
  await departments.create({ id: 'sanitation', name: '环卫处', kind: 'department' });
  await pool.query(`INSERT INTO catalogue_major_classes (kind, code, name_zh) VALUES ('component', '01', '公用设施'),
    ('event', '02', '市容环境')`);
  await pool.query(`INSERT INTO catalogue_classes (kind, code, name_zh, origin) VALUES
    ('component', '0101', '上水井盖', 'test'), ('component', '0102', '污水井盖', 'test'), ('event', '0201', '暴露垃圾', 'test')`);
  const { rows } = await pool.query<{ id: number; kind: string; class_code: string }>(`INSERT INTO class_standards
      (kind, class_code, position, filing_condition, limit_value, limit_unit, limit_text, closing_condition) VALUES
      ('component', '0101', 0, '井盖破损', 4, 'workHours', '4工作时', '修复'),
      ('component', '0102', 0, '井盖缺失', 2, 'urgentHours', '2紧急工作时', '补齐'),
      ('event', '0201', 0, '垃圾暴露', 1, 'workDays', '1工作日', '清理')
    RETURNING id, kind, class_code`);
  for (const r of rows) standards.set(`${r.kind}:${r.class_code}`, Number(r.id));

  // One district, one street, two communities of 2 × 2 cells (100 m).
  await new AreaStore(pool).importGeoJson(
    generateDemoGrid({
      bbox: { minLon: 117.0, minLat: 36.65, maxLon: 117.0044, maxLat: 36.6517 },
      districtCode: '370102',
      districtName: '历下区',
      cellSizeM: 100,
      streetCells: 4,
      communityCells: 2,
    }),
  );
  const areas = await pool.query<{
    code: string;
    level: string;
    min_lon: number;
    min_lat: number;
    max_lon: number;
    max_lat: number;
  }>('SELECT code, level, min_lon, min_lat, max_lon, max_lat FROM areas ORDER BY code');
  const of = (level: string) => areas.rows.filter((a) => a.level === level);
  expect(of('street')).toHaveLength(1);
  expect(of('community')).toHaveLength(2);
  expect(of('cell')).toHaveLength(8);
  street = of('street')[0]!.code;
  [communities['1'], communities['2']] = of('community').map((a) => a.code) as [string, string];
  for (const a of of('cell'))
    centre.set(a.code, { lon: (a.min_lon + a.max_lon) / 2, lat: (a.min_lat + a.max_lat) / 2 });
  const inCommunity = (c: string) =>
    of('cell')
      .filter((a) => a.code.startsWith(c))
      .map((a) => a.code);
  [cells.A, cells.B] = inCommunity(communities['1']) as [string, string];
  cells.C = inCommunity(communities['2'])[0]!;

  const geocoder = new GridGeocoder(pool);
  await geocoder.reload();
  const responsibility = new ResponsibilityRules(pool);
  await responsibility.reload();
  const service = new CaseService({
    pool,
    catalogue: new CatalogueStore(pool),
    geocoder,
    responsibility,
    calendar: await loadCalendar(pool),
    stepLimits: () => loadStepLimits(pool),
    now: () => nowMs,
  });
  const users = new UserStore(pool);
  const sessions = new SessionService(pool, users, { adminToken: ADMIN_TOKEN });
  for (const u of USERS) {
    await createUserWithPassword(users, {
      id: u.id,
      username: u.id,
      name: `user ${u.id}`,
      password: PASSWORD,
      roles: u.roles,
      departmentId: u.departmentId ?? null,
      staffId: u.staffId ?? null,
    });
  }
  // The collectors' handhelds with their assigned cells (matched to the users by staff number).
  await pool.query(
    `INSERT INTO devices (id, kind, name, staff_id, grid_codes, credential_hash) VALUES
       ('hh-col1', 'collector', '手持 1', 'C001', $1, 'x'), ('hh-col2', 'collector', '手持 2', 'C002', $2, 'x')`,
    [[cells.A, cells.B], [cells.C]],
  );

  evaluation = new EvaluationService({ pool, features: await detectFeatures(pool), now: () => nowMs });
  await evaluation.start();
  const register = (pdfPath: string) => async (app: Parameters<Parameters<typeof startApp>[0]>[0]) => {
    await app.register(authRoutes, { users, sessions, auth: sessions });
    await app.register(caseRoutes, { service, candidates: new CandidateQueue(pool, service), auth: sessions });
    await app.register(evaluationRoutes, { service: evaluation, pdf: new ChromiumPdf(pdfPath), auth: sessions });
  };
  server = await startApp(register(CHROMIUM));
  noPdfServer = await startApp(register('/nonexistent/chromium'));
  for (const u of USERS) {
    const res = await fetch(`${server.base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: u.id, password: PASSWORD }),
    });
    expect(res.status).toBe(200);
    tokens.set(u.id, ((await res.json()) as { token: string }).token);
  }
  tokens.set('admin', ADMIN_TOKEN);

  const S = (cls: string) => ({ standardId: standards.get(cls)! });
  const W = { departmentId: 'water' };
  const SAN = { departmentId: 'sanitation' };

  // C6 — reported before the holiday, extended, handled on time, closed late.
  const c6 = await report('2026-09-30T15:00', 'col1', 'collector', 'component:0101', 'B');
  await act('2026-09-30T15:10', 'acc', c6, 'accept', S('component:0101'));
  await act('2026-09-30T15:20', 'sl1', c6, 'file');
  const d6 = await act('2026-09-30T15:30', 'disp', c6, 'dispatch', W);
  expect(d6.handlingDeadline).toBe(new Date(cst('2026-10-08T10:30')).toISOString());
  await act('2026-09-30T16:00', 'water1', c6, 'start');
  await act('2026-10-08T09:00', 'water1', c6, 'requestExtension', {
    reason: '需更换井盖',
    limit: { value: 2, unit: 'workHours' },
  });
  const e6 = await act('2026-10-08T09:30', 'boss', c6, 'approveExtension');
  expect(e6.handlingDeadline).toBe(new Date(cst('2026-10-08T14:00')).toISOString());
  await act('2026-10-08T13:45', 'water1', c6, 'handle', handled);
  await act('2026-10-08T14:00', 'sl1', c6, 'assignReinspect');
  await act('2026-10-09T13:00', 'col1', c6, 'reinspectPass');
  await act('2026-10-09T14:00', 'sl2', c6, 'close');

  // C1 — all on time.
  const c1 = await report('2026-10-08T09:00', 'col1', 'collector', 'component:0101', 'A');
  await act('2026-10-08T09:10', 'acc', c1, 'accept', S('component:0101'));
  await act('2026-10-08T09:20', 'sl1', c1, 'file');
  await act('2026-10-08T09:30', 'disp', c1, 'dispatch', W);
  await act('2026-10-08T10:00', 'water1', c1, 'start');
  await act('2026-10-08T11:00', 'water1', c1, 'handle', handled);
  await act('2026-10-08T11:10', 'sl1', c1, 'assignReinspect');
  await act('2026-10-08T14:00', 'col1', c1, 'reinspectPass');
  await act('2026-10-08T14:30', 'sl1', c1, 'close');

  // C2 — late at every step, over the worked Saturday 10-10.
  const c2 = await report('2026-10-09T16:00', 'col2', 'collector', 'event:0201', 'C');
  await act('2026-10-09T16:30', 'acc', c2, 'accept', S('event:0201'));
  await act('2026-10-09T17:20', 'sl2', c2, 'file');
  const d2 = await act('2026-10-10T09:00', 'disp', c2, 'dispatch', SAN);
  expect(d2.handlingDeadline).toBe(new Date(cst('2026-10-12T09:00')).toISOString());
  await act('2026-10-12T08:40', 'san1', c2, 'start');
  await act('2026-10-12T10:00', 'san1', c2, 'handle', handled);
  await act('2026-10-12T10:05', 'sl2', c2, 'assignReinspect');
  await act('2026-10-13T11:00', 'col2', c2, 'reinspectPass');
  await act('2026-10-13T11:30', 'sl2', c2, 'close');

  // C3 — rework.
  const c3 = await report('2026-10-13T09:00', 'col1', 'collector', 'component:0101', 'B');
  await act('2026-10-13T09:30', 'acc', c3, 'accept', S('component:0101'));
  await act('2026-10-13T09:40', 'sl1', c3, 'file');
  await act('2026-10-13T09:50', 'disp', c3, 'dispatch', W);
  await act('2026-10-13T10:00', 'water1', c3, 'start');
  await act('2026-10-13T11:00', 'water1', c3, 'handle', handled);
  await act('2026-10-13T11:10', 'sl1', c3, 'assignReinspect');
  await act('2026-10-13T13:40', 'col1', c3, 'reinspectFail', { reason: '未修复' });
  await act('2026-10-13T16:00', 'water1', c3, 'handle', handled);
  await act('2026-10-13T16:10', 'sl1', c3, 'assignReinspect');
  await act('2026-10-14T09:00', 'col1', c3, 'reinspectPass');
  await act('2026-10-14T09:30', 'sl1', c3, 'close');

  // C4 — a hotline report, verified, returned by the wrong department, re-dispatched.
  const c4 = await report('2026-10-14T14:00', 'acc', 'hotline', 'component:0101', 'A');
  await act('2026-10-14T14:05', 'acc', c4, 'requestVerify', { collectorId: 'col1' });
  await act('2026-10-14T14:40', 'col1', c4, 'verify', { note: '属实' });
  await act('2026-10-14T14:50', 'acc', c4, 'accept', S('component:0101'));
  await act('2026-10-14T15:10', 'sl1', c4, 'file');
  await act('2026-10-14T15:20', 'disp', c4, 'dispatch', SAN);
  await act('2026-10-14T15:30', 'san1', c4, 'requestReturn', { reason: '非本部门职责' });
  await act('2026-10-14T16:00', 'disp', c4, 'approveReturn');
  const d4 = await act('2026-10-14T16:20', 'disp', c4, 'dispatch', W);
  expect(d4.handlingDeadline).toBe(new Date(cst('2026-10-15T11:20')).toISOString());
  await act('2026-10-15T09:00', 'water1', c4, 'start');
  await act('2026-10-15T10:00', 'water1', c4, 'handle', handled);
  await act('2026-10-15T10:10', 'disp', c4, 'assignReinspect', { collectorId: 'col1' });
  await act('2026-10-15T15:00', 'col1', c4, 'reinspectPass');
  await act('2026-10-15T15:30', 'sl2', c4, 'close');

  // C5 — voided at the department's request.
  const c5 = await report('2026-10-16T09:00', 'col2', 'collector', 'event:0201', 'C');
  await act('2026-10-16T09:20', 'acc', c5, 'accept', S('event:0201'));
  await act('2026-10-16T09:30', 'sl2', c5, 'file');
  await act('2026-10-16T09:45', 'disp', c5, 'dispatch', SAN);
  await act('2026-10-16T10:30', 'san1', c5, 'requestVoid', { reason: '现场无此问题' });
  await act('2026-10-16T11:00', 'sl2', c5, 'approveVoid');

  // C7 — a public report, postponed, resumed, never handled: overdue.
  const c7 = await report('2026-10-20T10:00', 'acc', 'public', 'component:0102', 'C');
  await act('2026-10-20T10:20', 'acc', c7, 'accept', S('component:0102'));
  await act('2026-10-20T10:30', 'sl2', c7, 'file');
  await act('2026-10-20T10:40', 'disp', c7, 'dispatch', W);
  await act('2026-10-20T10:50', 'water1', c7, 'start');
  await act('2026-10-20T11:00', 'water1', c7, 'requestPostpone', { reason: '等待配件' });
  await act('2026-10-20T11:30', 'boss', c7, 'approvePostpone');
  const r7 = await act('2026-10-22T09:00', 'disp', c7, 'resume');
  expect(r7.handlingDeadline).toBe(new Date(cst('2026-10-22T10:10')).toISOString());

  // C8 — a hotline report whose verification never came back; rejected late.
  const c8 = await report('2026-10-21T09:00', 'acc', 'hotline', 'event:0201', 'C');
  await act('2026-10-21T09:05', 'acc', c8, 'requestVerify', { collectorId: 'col2' });
  await act('2026-10-21T10:30', 'acc', c8, 'reject', { reason: '无法核实' });

  // C9 — parking denied, then approved.
  const c9 = await report('2026-10-29T09:00', 'col1', 'collector', 'component:0101', 'A');
  await act('2026-10-29T09:10', 'acc', c9, 'accept', S('component:0101'));
  await act('2026-10-29T09:20', 'sl1', c9, 'file');
  await act('2026-10-29T09:30', 'disp', c9, 'dispatch', W);
  await act('2026-10-29T10:00', 'water1', c9, 'start');
  await act('2026-10-29T10:30', 'water1', c9, 'requestPark', { reason: '涉及拆迁' });
  await act('2026-10-29T11:00', 'boss', c9, 'denyPark', { note: '先处置' });
  await act('2026-10-29T13:40', 'water1', c9, 'requestPark', { reason: '拆迁未完成' });
  await act('2026-10-29T14:00', 'boss', c9, 'approvePark');

  // C10 — filed, never dispatched.
  const c10 = await report('2026-10-30T16:00', 'col2', 'collector', 'event:0201', 'C');
  await act('2026-10-30T16:10', 'acc', c10, 'accept', S('event:0201'));
  await act('2026-10-30T16:20', 'sl2', c10, 'file');

  // Patrol coverage of col1's handheld: one September shift (outside the month), two October shifts.
  const shift = (day: string, visited: string[]) => ({
    ruleId: 'coverage-day',
    record: {
      deviceId: 'hh-col1',
      shiftStartMs: cst(`${day}T08:30`),
      shiftEndMs: cst(`${day}T12:00`),
      assigned: [cells.A, cells.B],
      visited,
      unvisited: [cells.A, cells.B].filter((c) => !visited.includes(c)),
      pct: (visited.length / 2) * 100,
    },
  });
  expect(
    await storeCoverage(pool, [
      shift('2026-09-29', []),
      shift('2026-10-08', [cells.A, cells.B]),
      shift('2026-10-09', [cells.A]),
    ]),
  ).toBe(3);

  nowMs = cst('2026-11-02T12:00');
}, 180_000);

afterAll(async () => {
  await server?.close();
  await noPdfServer?.close();
  await db?.drop();
});

/** The fixture's symbolic ids → the grid's codes. */
function resolve(id: string): string {
  if (id === 'street') return street;
  if (id.startsWith('cell:')) return cells[id.slice(5) as keyof typeof cells];
  if (id.startsWith('community:')) return communities[id.slice(10) as keyof typeof communities];
  return id;
}

/** Every count meaningful for the kind, as the fixture says (0 when not listed). */
function expectObject(kind: ObjectKind, actual: Json, expected: ExpectedObject): void {
  const where = `${kind} ${expected.id}`;
  const relevant = COUNTERS.filter((d) => d.objects.includes(kind)).map((d) => d.id);
  if (kind === 'collector') relevant.push(...COVERAGE_COUNTS.map((c) => c.id));
  for (const id of Object.keys(expected.counts)) expect(relevant, `${where}: fixture count ${id}`).toContain(id);
  const counts = Object.fromEntries(relevant.map((id) => [id, expected.counts[id] ?? 0]));
  expect(actual.counts, where).toEqual(counts);
  for (const [id, [n, d]] of Object.entries(expected.rates)) {
    expect(actual.rates[id], `${where} ${id}`).toEqual({ numerator: n, denominator: d, value: d === 0 ? null : n / d });
  }
  expect(Object.keys(actual.rates).sort(), where).toEqual(
    RATES.filter((r) => r.objects.includes(kind))
      .map((r) => r.id)
      .sort(),
  );
  if (expected.score === null) expect(actual.composite, where).toBeNull();
  else {
    expect(actual.composite.score, `${where} score`).toBe(expected.score);
    expect(actual.composite.grade, `${where} grade`).toBe(expected.grade);
  }
}

describe('the hand-built month (October 2026)', () => {
  it('runs on the rollup table with time_bucket on the Apache edition', async () => {
    const features = await detectFeatures(db.pool);
    expect(features.timescale).toBe(true);
    expect(features.timescaleLicense).toBe('apache');
    expect(evaluation.aggregates.strategy).toBe('rollup');
    const { rows } = await db.pool.query(`SELECT relkind FROM pg_class WHERE relname = 'evaluation_daily'`);
    expect(rows[0].relkind).toBe('r');
  });

  it.each(Object.keys(EXPECTED))('every indicator of every %s matches the hand computation', async (kind) => {
    const { res, body } = await call('boss', 'GET', `/api/evaluation/${kind}?period=2026-10`);
    expect(res.status).toBe(200);
    expect(body.period).toMatchObject({ kind: 'month', from: '2026-10-01', to: '2026-10-31', days: 31 });
    expect(body.period.start).toBe('2026-09-30T16:00:00.000Z');
    expect(body.source).toBe('rollup');
    const expected = EXPECTED[kind]!.map((e) => ({ ...e, id: resolve(e.id) }));
    expect(body.objects.map((o: Json) => o.id).sort()).toEqual(expected.map((e) => e.id).sort());
    for (const e of expected) {
      expectObject(
        kind as ObjectKind,
        body.objects.find((o: Json) => o.id === e.id),
        e,
      );
    }
  });

  it('names the objects', async () => {
    const { body } = await call('boss', 'GET', '/api/evaluation/department?period=2026-10');
    expect(body.objects.map((o: Json) => o.name).sort()).toEqual(['供水公司', '环卫处']);
    const people = await call('boss', 'GET', '/api/evaluation/collector?period=2026-10');
    expect(people.body.objects.map((o: Json) => o.name)).toEqual(['user col1', 'user col2']);
    const classes = await call('boss', 'GET', '/api/evaluation/class?period=2026-10');
    expect(classes.body.objects.find((o: Json) => o.id === 'event:0201').name).toBe('暴露垃圾');
  });

  it('gives the same answer from the daily aggregates as straight from the facts, for every kind', async () => {
    for (const kind of OBJECT_KINDS) {
      for (const period of ['2026-10', '2026-W41', '2026-10-13..2026-10-22', '2026-10-08']) {
        const a = await call('audit', 'GET', `/api/evaluation/${kind}?period=${period}`);
        const f = await call('audit', 'GET', `/api/evaluation/${kind}?period=${period}&source=facts`);
        expect(a.res.status).toBe(200);
        expect(f.body.source).toBe('facts');
        expect(a.body.objects, `${kind} ${period}`).toEqual(f.body.objects);
      }
    }
  });

  it('evaluates several kinds at once as one by one, bringing the facts up to date once', async () => {
    const period = evaluation.period('2026-10');
    const prepare = vi.spyOn(evaluation, 'prepare');
    try {
      const many = await evaluation.evaluateMany(OBJECT_KINDS, period);
      expect(prepare).toHaveBeenCalledTimes(1);
      for (const kind of OBJECT_KINDS) {
        const one = await evaluation.evaluate(kind, period);
        expect(many[kind].kind).toBe(kind);
        expect(many[kind].objects, kind).toEqual(one.objects);
      }
    } finally {
      prepare.mockRestore();
    }
  });

  it('evaluates one object, also one without anything in the period', async () => {
    const { body } = await call('boss', 'GET', '/api/evaluation/department/water?period=2026-10');
    expect(body.objects).toHaveLength(1);
    expectObject(
      'department',
      body.objects[0],
      EXPECTED.department!.find((e) => e.id === 'water')!,
    );
    const idle = await call('boss', 'GET', '/api/evaluation/dispatcher/nobody?period=2026-10');
    expect(idle.body.objects).toEqual([
      expect.objectContaining({
        id: 'nobody',
        name: null,
        composite: expect.objectContaining({ score: null, grade: null }),
      }),
    ]);
    expect(Object.values(idle.body.objects[0].counts).every((n) => n === 0)).toBe(true);
  });

  it('counts a day and a week by the days the facts fall in (the holiday pushed C6 into October)', async () => {
    // 10-08: C1 whole (reported … closed, all on time) and C6's extension, feedback, handling due (on time) and
    // closure due at its 14:00 deadline (closed late, on 10-09).
    const day = await call('boss', 'GET', '/api/evaluation/city?period=2026-10-08');
    const c = day.body.objects[0].counts;
    expect([c.reported, c.filed, c.handlingDue, c.handledOnTime, c.closureDue, c.closedOnTime, c.closedLate]).toEqual([
      1, 1, 2, 2, 2, 1, 1,
    ]);
    expect([c.extendRequested, c.extendApproved, c.handleFeedbacks, c.closeActions]).toEqual([1, 1, 2, 1]);
    // ISO week 41 = 10-05 … 10-11: C1, C2's report (10-09) and dispatch (10-10, late step at 08:50), C6's October part.
    const week = await call('boss', 'GET', '/api/evaluation/city?period=2026-W41');
    expect(week.body.period).toMatchObject({ kind: 'week', from: '2026-10-05', to: '2026-10-11', days: 7 });
    const w = week.body.objects[0].counts;
    expect([w.reported, w.filed, w.filedOnTime, w.dispatched, w.dispatchDue, w.dispatchedOnTime]).toEqual([
      2, 2, 1, 2, 2, 1,
    ]);
    // September: C6's report, acceptance, filing and dispatch only.
    const sept = await call('boss', 'GET', '/api/evaluation/city?period=2026-09');
    const s = sept.body.objects[0].counts;
    expect([s.reported, s.accepted, s.filed, s.dispatched, s.handlingDue, s.closureDue]).toEqual([1, 1, 1, 1, 0, 0]);
  });

  it('counts a day still running only up to now', async () => {
    const saved = nowMs;
    try {
      // 10-08 12:00: C1 up to its feedback at 11:00 (handling due then, on time); C6's extension request; C1's
      // re-inspection (14:00), closing (14:30) and C6's feedback (13:45) have not happened yet.
      nowMs = cst('2026-10-08T12:00');
      const a = await call('boss', 'GET', '/api/evaluation/city?period=2026-10');
      const f = await call('boss', 'GET', '/api/evaluation/city?period=2026-10&source=facts');
      const c = a.body.objects[0].counts;
      expect([c.reported, c.handlingDue, c.handleFeedbacks, c.reinspectDue, c.closureDue, c.extendRequested]).toEqual([
        1, 1, 1, 0, 0, 1,
      ]);
      expect(a.body.objects).toEqual(f.body.objects);
    } finally {
      nowMs = saved;
    }
  });

  it('keeps the exceptions ledger by department, in step with the case ledger', async () => {
    const { res, body } = await call('sl1', 'GET', '/api/evaluation/exceptions?period=2026-10');
    expect(res.status).toBe(200);
    const check = (row: Json, e: (typeof EXPECTED_LEDGER)[keyof typeof EXPECTED_LEDGER]) => {
      expect(row.cases).toBe(e.cases);
      for (const k of row.kinds) {
        expect(k.requested, `${row.departmentId} ${k.kind}`).toBe(e.requested[k.kind as keyof typeof e.requested]);
        expect(k.approved, `${row.departmentId} ${k.kind}`).toBe(e.approved[k.kind as keyof typeof e.approved]);
        expect(k.share).toBe(e.approved[k.kind as keyof typeof e.approved] / e.cases);
      }
      expect(row.share).toBe(e.share[0] / e.share[1]);
    };
    check(body.city, EXPECTED_LEDGER.city);
    check(
      body.departments.find((d: Json) => d.departmentId === 'water'),
      EXPECTED_LEDGER.water,
    );
    check(
      body.departments.find((d: Json) => d.departmentId === 'sanitation'),
      EXPECTED_LEDGER.sanitation,
    );
    expect(body.centre.kinds.every((k: Json) => k.requested === 0 && k.approved === 0)).toBe(true);
    // The case loop's own ledger counts the month the same way.
    const ledger = await call('sl1', 'GET', '/api/cases/ledger?month=2026-10');
    expect(ledger.body.filedCases).toBe(body.city.cases);
    for (const k of ledger.body.kinds) {
      const mine = body.city.kinds.find((x: Json) => x.kind === k.kind);
      expect([mine.requested, mine.approved, mine.share]).toEqual([k.requested, k.approved, k.share]);
    }
  });

  it('follows a change: a case acted on after a query is counted at the next one', async () => {
    const before = (await call('boss', 'GET', '/api/evaluation/city?period=2026-11')).body.objects[0].counts;
    nowMs = cst('2026-11-02T12:00');
    const id = await report('2026-11-02T10:00', 'col2', 'collector', 'event:0201', 'C');
    nowMs = cst('2026-11-02T12:00');
    const after = (await call('boss', 'GET', '/api/evaluation/city?period=2026-11')).body.objects[0].counts;
    expect(after.reported).toBe(before.reported + 1);
    // …and once the day has ended it comes from the rollup, with the same numbers.
    await act('2026-11-02T10:10', 'acc', id, 'reject', { reason: '重复' });
    nowMs = cst('2026-11-03T09:00');
    const next = await call('boss', 'GET', '/api/evaluation/city?period=2026-11');
    const facts = await call('boss', 'GET', '/api/evaluation/city?period=2026-11&source=facts');
    expect(next.body.objects[0].counts.rejected).toBe(1);
    expect(next.body.objects).toEqual(facts.body.objects);
    const { rows } = await db.pool.query(
      `SELECT reported, rejected FROM evaluation_daily WHERE dim = 'city' AND day = '2026-11-02'`,
    );
    expect(rows).toEqual([{ reported: 1, rejected: 1 }]);
    nowMs = cst('2026-11-02T12:00');
  });
});

describe('periods, objects and the role guard', () => {
  it('refuses a period it cannot read, and an id of the wrong shape, as problem+json', async () => {
    for (const bad of [
      '2026-13',
      '2026-02-30',
      '2026-W54',
      '2026-10-05..2026-10-01',
      '2025-01-01..2026-06-01',
      'october',
    ]) {
      const { res, body } = await call('boss', 'GET', `/api/evaluation/city?period=${encodeURIComponent(bad)}`);
      expectProblem(res, body, 400);
    }
    const { res, body } = await call('boss', 'GET', '/api/evaluation/city?period=2026-13');
    expect(body.type).toBe('urn:cityhub:problem:invalid-period');
    expect(res.status).toBe(400);
    const cell = await call('boss', 'GET', '/api/evaluation/cell/12?period=2026-10');
    expectProblem(cell.res, cell.body, 400, 'urn:cityhub:problem:unknown-object');
    const kind = await call('boss', 'GET', '/api/evaluation/planet?period=2026-10');
    expectProblem(kind.res, kind.body, 400);
  });

  it('is for leaders, admins, auditors and shift leaders only', async () => {
    for (const user of ['boss', 'admin', 'audit', 'sl1']) {
      expect((await call(user, 'GET', '/api/evaluation/city?period=2026-10')).res.status, user).toBe(200);
    }
    for (const user of ['acc', 'disp', 'col1', 'water1']) {
      const { res, body } = await call(user, 'GET', '/api/evaluation/collector?period=2026-10');
      expectProblem(res, body, 403);
    }
    const anonymous = await jsonCall(server.base, 'GET', '/api/evaluation/city?period=2026-10');
    expectProblem(anonymous.res, anonymous.body, 401);
  });

  it('lists every definition with its source', async () => {
    const { body } = await call('audit', 'GET', '/api/evaluation/definitions');
    expect(body.counts.map((c: Json) => c.id)).toEqual([
      ...COUNTERS.map((c) => c.id),
      ...COVERAGE_COUNTS.map((c) => c.id),
    ]);
    expect(body.counts.every((c: Json) => c.source && c.note)).toBe(true);
    expect(body.rates.find((r: Json) => r.id === 'closureRate')).toMatchObject({
      numerator: ['closed'],
      denominator: ['closureDue'],
    });
    expect(body.composites.find((c: Json) => c.objectKind === 'district').note).toMatch(/70/);
    expect(body.grades.map((g: Json) => g.grade)).toEqual(['A', 'B', 'C', 'D', 'E']);
  });

  it('gives a trend per day', async () => {
    const { body } = await call('boss', 'GET', '/api/evaluation/trend?period=2026-10');
    expect(body.days).toHaveLength(31);
    expect(body.days.reduce((s: number, d: Json) => s + d.counts.reported, 0)).toBe(9);
    expect(body.days.find((d: Json) => d.day === '2026-10-22').counts.overdueUnhandled).toBe(1);
    const water = await call('boss', 'GET', '/api/evaluation/trend?period=2026-10&kind=department&id=water');
    expect(water.body.days.reduce((s: number, d: Json) => s + d.counts.handlingDue, 0)).toBe(5);
    const noId = await call('boss', 'GET', '/api/evaluation/trend?period=2026-10&kind=department');
    expectProblem(noId.res, noId.body, 400);
  });
});

describe('composite weights', () => {
  it('are the documented defaults until an admin sets them; bad ones are refused whole', async () => {
    const { body } = await call('boss', 'GET', '/api/evaluation/weights');
    expect(body.items.find((w: Json) => w.objectKind === 'department')).toMatchObject({
      origin: 'default',
      terms: [
        { item: 'departmentCaseScore', weight: 10 },
        { item: 'closureScore', weight: 30 },
        { item: 'onTimeHandlingScore', weight: 30 },
        { item: 'reworkScore', weight: 30 },
      ],
    });
    const forbidden = await call('boss', 'PUT', '/api/evaluation/weights/department', { terms: [] });
    expectProblem(forbidden.res, forbidden.body, 403);
    const bad = await call('admin', 'PUT', '/api/evaluation/weights/department', {
      terms: [
        { item: 'closureScore', weight: 50 },
        { item: 'validReportScore', weight: 50 },
      ],
    });
    expectProblem(bad.res, bad.body, 400, 'urn:cityhub:problem:invalid-weights');
    expect(bad.body.errors[0].field).toBe('terms[1].item');
    // Only the closure rate counts: water 4/5 → 80.00 (B), sanitation 1/1 → 100.00 (A).
    const put = await call('admin', 'PUT', '/api/evaluation/weights/department', {
      terms: [{ item: 'closureScore', weight: 1 }],
    });
    expect(put.body).toMatchObject({ origin: 'configured', updatedBy: 'admin-token' });
    const rescored = await call('boss', 'GET', '/api/evaluation/department?period=2026-10');
    expect(rescored.body.objects.map((o: Json) => [o.id, o.composite.score, o.composite.grade])).toEqual([
      ['sanitation', 100, 'A'],
      ['water', 80, 'B'],
    ]);
    const reset = await call('admin', 'PUT', '/api/evaluation/weights/department', { terms: null });
    expect(reset.body.origin).toBe('default');
    const back = await call('boss', 'GET', '/api/evaluation/department/water?period=2026-10');
    expect(back.body.objects[0].composite.score).toBe(76);
  });
});

describe('public figures', () => {
  it('answers without login with counts and rates only, nothing about a person', async () => {
    const { res, body, text } = await jsonCall(server.base, 'GET', '/api/public/evaluation?period=2026-10');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toMatch(/^public, max-age=/);
    expect(Object.keys(body).sort()).toEqual(
      [
        'city',
        'classes',
        'departments',
        'districts',
        'from',
        'generatedAt',
        'period',
        'streets',
        'timeZone',
        'to',
      ].sort(),
    );
    expect(body.city.counts).toEqual({
      reported: 9,
      publicReported: 3,
      filed: 8,
      handlingDue: 6,
      handledOnTime: 3,
      overdueUnhandled: 1,
      closureDue: 6,
      closed: 5,
      closedOnTime: 1,
    });
    expect(body.city.rates).toEqual({ closureRate: 5 / 6, onTimeClosureRate: 1 / 6, onTimeHandlingRate: 3 / 6 });
    expect(body.departments.map((d: Json) => [d.id, d.counts.handlingDue])).toEqual([
      ['sanitation', 1],
      ['water', 5],
    ]);
    // Classes most reported first (ties by id), with the catalogue's English name for the public page (none here).
    expect(body.classes.map((c: Json) => [c.id, c.name, c.nameEn, c.counts.reported])).toEqual([
      ['component:0101', '上水井盖', null, 4],
      ['event:0201', '暴露垃圾', null, 4],
      ['component:0102', '污水井盖', null, 1],
    ]);
    for (const secret of ['col1', 'col2', 'user ', 'sl1', 'acc', 'score', 'grade', 'composite']) {
      expect(text, secret).not.toContain(secret);
    }
    const etag = res.headers.get('etag')!;
    const again = await fetch(`${server.base}/api/public/evaluation?period=2026-10`, {
      headers: { 'if-none-match': etag },
    });
    expect(again.status).toBe(304);
    const future = await jsonCall(server.base, 'GET', '/api/public/evaluation?period=2027-01');
    expectProblem(future.res, future.body, 400);
  });
});

describe('the monthly operations report', () => {
  it('renders the month as one HTML page with inline SVG charts and the tables of indicators and grades', async () => {
    const res = await fetch(`${server.base}/api/evaluation/reports/monthly/2026-10.html`, {
      headers: { authorization: `Bearer ${tokens.get('boss')}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await res.text();
    expect(html).toContain('数字城管月度运行报告 2026年10月');
    expect(html.match(/<svg /g)?.length).toBeGreaterThanOrEqual(5);
    expect(html).not.toMatch(/<script/i);
    for (const text of [
      '每日上报、结案与超期',
      '按类别上报与结案',
      '部门处置',
      '超期处置与超期未处置',
      '异常处置 (批准数)',
    ]) {
      expect(html, text).toContain(text);
    }
    // Summary figures, department grades, positions.
    expect(html).toMatch(/结案率 closure rate<b>83\.3%<\/b>/);
    expect(html).toMatch(
      /<td>供水公司<\/td>(<td class="n">[^<]*<\/td>)+<td class="n">76\.00<\/td><td class="n">B<\/td>/,
    );
    expect(html).toMatch(
      /<td>user col1<\/td>(<td class="n">[^<]*<\/td>)+<td class="n">95\.00<\/td><td class="n">A<\/td>/,
    );
    expect(html).toContain('暴露垃圾');
    const future = await call('boss', 'GET', '/api/evaluation/reports/monthly/2027-01.html');
    expectProblem(future.res, future.body, 400, 'urn:cityhub:problem:invalid-period');
  });

  it('prints it to PDF with Chromium: pages and the report’s words', async () => {
    const res = await fetch(`${server.base}/api/evaluation/reports/monthly/2026-10.pdf`, {
      headers: { authorization: `Bearer ${tokens.get('boss')}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    const pdf = pdfText(Buffer.from(await res.arrayBuffer()));
    expect(pdf.pages).toBeGreaterThanOrEqual(1);
    // Table cells may wrap a name onto two lines: compare without white space.
    const squeeze = (s: string) => s.replace(/\s+/g, '');
    const all = squeeze(pdf.text.join('\n'));
    for (const text of [
      '数字城管月度运行报告 2026年10月',
      '运行概况',
      '异常处置台账',
      '供水公司',
      '76.00',
      'user col1',
      '95.00',
    ]) {
      expect(all, text).toContain(squeeze(text));
    }
  }, 90_000);

  it('refuses the PDF with problem+json where there is no Chromium, and still serves the HTML', async () => {
    const pdf = await jsonCall(noPdfServer.base, 'GET', '/api/evaluation/reports/monthly/2026-10.pdf', {
      token: tokens.get('boss')!,
    });
    expectProblem(pdf.res, pdf.body, 503, 'urn:cityhub:problem:pdf-unavailable');
    expect(pdf.body.detail).toContain('/nonexistent/chromium');
    const html = await fetch(`${noPdfServer.base}/api/evaluation/reports/monthly/2026-10.html`, {
      headers: { authorization: `Bearer ${tokens.get('boss')}` },
    });
    expect(html.status).toBe(200);
  });

  it('stores the previous month once, from the first day of the next (with its PDF)', async () => {
    nowMs = cst('2026-11-02T12:00');
    expect((await call('boss', 'GET', '/api/evaluation/reports/monthly')).body.items).toEqual([]);
    const stored = await storePreviousMonth(db.pool, evaluation, new ChromiumPdf(CHROMIUM));
    expect(stored).toEqual({ month: '2026-10', pdf: true });
    expect(await storePreviousMonth(db.pool, evaluation, new ChromiumPdf(CHROMIUM))).toBeNull();
    const list = await call('boss', 'GET', '/api/evaluation/reports/monthly');
    expect(list.body.items).toEqual([
      expect.objectContaining({ month: '2026-10', pdfError: null, pdfBytes: expect.any(Number) }),
    ]);
    const html = await fetch(`${server.base}/api/evaluation/reports/monthly/2026-10/stored.html`, {
      headers: { authorization: `Bearer ${tokens.get('boss')}` },
    });
    expect(await html.text()).toContain('数字城管月度运行报告 2026年10月');
    const file = await fetch(`${server.base}/api/evaluation/reports/monthly/2026-10/stored.pdf`, {
      headers: { authorization: `Bearer ${tokens.get('boss')}` },
    });
    expect(pdfText(Buffer.from(await file.arrayBuffer())).text.join('')).toContain('数字城管月度运行报告 2026年10月');
    const missing = await call('boss', 'GET', '/api/evaluation/reports/monthly/2026-09/stored.html');
    expectProblem(missing.res, missing.body, 404, 'urn:cityhub:problem:report-not-found');
  }, 90_000);

  it('stores the report without a PDF, saying why, when Chromium is missing', async () => {
    nowMs = cst('2026-12-01T00:05');
    const stored = await storePreviousMonth(db.pool, evaluation, new ChromiumPdf('/nonexistent/chromium'));
    expect(stored).toEqual({ month: '2026-11', pdf: false });
    const list = await call('boss', 'GET', '/api/evaluation/reports/monthly');
    expect(list.body.items[0]).toMatchObject({ month: '2026-11', pdfBytes: null });
    expect(list.body.items[0].pdfError).toContain('no Chromium');
    const pdf = await call('boss', 'GET', '/api/evaluation/reports/monthly/2026-11/stored.pdf');
    expectProblem(pdf.res, pdf.body, 404);
    nowMs = cst('2026-11-02T12:00');
  });
});

describe('on a plain PostgreSQL (the embedded default)', () => {
  it('rebuilds the rollup with date_trunc instead of time_bucket and gives the same numbers', async () => {
    const plain = new EvaluationService({
      pool: db.pool,
      features: { timescale: false, timescaleLicense: null },
      now: () => nowMs,
    });
    expect(plain.aggregates.strategy).toBe('rollup');
    expect(await plain.aggregates.ensure()).toBe(true);
    expect(await plain.aggregates.ensure()).toBe(false);
    await plain.prepare();
    const period = plain.period('2026-10');
    for (const kind of Object.keys(EXPECTED) as ObjectKind[]) {
      const mine = await plain.evaluate(kind, period);
      const facts = await evaluation.evaluate(kind, period, { source: 'facts' });
      expect(mine.source).toBe('rollup');
      expect(mine.objects, kind).toEqual(facts.objects);
    }
  });
});

describe('the OpenAPI document', () => {
  it('documents every evaluation route', async () => {
    const { body } = await jsonCall(server.base, 'GET', '/openapi.json');
    for (const path of [
      '/api/evaluation/definitions',
      '/api/evaluation/{kind}',
      '/api/evaluation/{kind}/{id}',
      '/api/evaluation/exceptions',
      '/api/evaluation/trend',
      '/api/evaluation/weights',
      '/api/evaluation/weights/{kind}',
      '/api/evaluation/reports/monthly',
      '/api/evaluation/reports/monthly/{file}',
      '/api/evaluation/reports/monthly/{month}/{file}',
      '/api/public/evaluation',
    ]) {
      expect(body.paths[path], path).toBeDefined();
    }
  });
});
