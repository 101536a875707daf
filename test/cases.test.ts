// 案件闭环 the case loop end to end over real HTTP against the real database, with the real catalogue, grid geocoder,
// responsibility rules, working calendar and login sessions: every path through the workflow table, the forbidden
// ones, concurrency, the audit log's immutability, the candidate queue and duplicate suggestions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionService } from '../hub/auth/sessions.js';
import { createUserWithPassword, UserStore } from '../hub/auth/users.js';
import { CandidateQueue } from '../hub/cases/candidates.js';
import { CaseService, type CaseChange } from '../hub/cases/case-service.js';
import { DEFAULT_SETTINGS, WorkingCalendar } from '../hub/cases/calendar.js';
import { loadStepLimits } from '../hub/cases/step-limits.js';
import type { Role } from '../hub/cases/ports.js';
import { APPROVAL_KINDS, CASE_SOURCES, CASE_STATES } from '../hub/cases/workflow.js';
import { CatalogueStore } from '../hub/catalogue/catalogue.js';
import { DepartmentStore } from '../hub/catalogue/departments.js';
import { ResponsibilityRules } from '../hub/catalogue/responsibility.js';
import { migrate } from '../hub/db/migrate.js';
import { AreaStore } from '../hub/geo/areas.js';
import { generateDemoGrid } from '../hub/geo/demo-grid.js';
import { GridGeocoder } from '../hub/geo/geocoder.js';
import { authRoutes } from '../hub/http/auth.js';
import { caseRoutes } from '../hub/http/cases.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { jsonCall, startApp, type Json, type TestApp } from './support/http-app.js';

const ADMIN_TOKEN = 'case-test-admin-token-0123456789';
const PASSWORD = 'correct horse battery';
const DISTRICT = '370102';
// Inside the generated grid; NEAR is 0.00018° of latitude north of it: 6371008.8 m × 0.00018 × π/180 = 20.0 m.
const SPOT = { lon: 117.0012, lat: 36.6512 };
const NEAR = { lon: 117.0012, lat: 36.65138 };
const FAR = { lon: 117.0012, lat: 36.653 }; // 0.0018° north: 200 m away
const OUTSIDE = { lon: 118.5, lat: 37.5 };

/** Local time in Asia/Shanghai (UTC+8, no DST) → UTC ms. */
const cst = (iso: string) => Date.parse(`${iso}+08:00`);

let db: TestDatabase;
let server: TestApp;
let base: string;
let service: CaseService;
let nowMs = cst('2026-12-01T09:00:00');
const changes: CaseChange[] = [];
const tokens = new Map<string, string>();
let standard4h: number;
let standardUnparsed: number;
let standardUrgent: number;
let spotCell: string;

const USERS: { id: string; roles: Role[]; departmentId?: string }[] = [
  { id: 'col1', roles: ['collector'] },
  { id: 'col2', roles: ['collector'] },
  { id: 'acc', roles: ['acceptor'] },
  { id: 'shift', roles: ['shiftLeader'] },
  { id: 'shift2', roles: ['shiftLeader'] },
  { id: 'disp', roles: ['dispatcher'] },
  { id: 'water1', roles: ['department'], departmentId: 'water' },
  { id: 'roads1', roles: ['department'], departmentId: 'roads' },
  { id: 'boss', roles: ['leader'] },
  { id: 'audit', roles: ['auditor'] },
];

beforeAll(async () => {
  db = await createTestDatabase();
  await migrate(db.pool);
  const { pool } = db;

  const departments = new DepartmentStore(pool);
  await departments.create({ id: 'water', name: '供水公司', kind: 'department' });
  await departments.create({ id: 'roads', name: '市政工程处', kind: 'department' });
  await departments.create({ id: 'gov', name: '历下区政府', kind: 'districtGovernment', districtCode: DISTRICT });

  // 0101 is both a component (manhole cover) and an event, as in the national catalogue: a bare 0101 is ambiguous.
  await pool.query(`INSERT INTO catalogue_major_classes (kind, code, name_zh) VALUES ('component', '01', '公用设施'),
    ('event', '01', '市容环境')`);
  await pool.query(`INSERT INTO catalogue_classes (kind, code, name_zh, origin) VALUES
    ('component', '0101', '上水井盖', 'test'), ('component', '0102', '污水井盖', 'test'),
    ('event', '0101', '私搭乱建', 'test')`);
  const { rows } = await pool.query<{ id: string }>(`INSERT INTO class_standards
      (kind, class_code, position, filing_condition, limit_value, limit_unit, limit_text, closing_condition) VALUES
      ('component', '0101', 0, '井盖破损', 4, 'workHours', '4工作时', '修复'),
      ('component', '0101', 1, '其他', NULL, NULL, '视情况', '处理完毕'),
      ('component', '0102', 0, '井盖缺失', 2, 'urgentHours', '2紧急工作时', '补齐')
    RETURNING id::text AS id`);
  [standard4h, standardUnparsed, standardUrgent] = rows.map((r) => Number(r.id)) as [number, number, number];

  await new AreaStore(pool).importGeoJson(
    generateDemoGrid({
      bbox: { minLon: 117.0, minLat: 36.65, maxLon: 117.004, maxLat: 36.654 },
      districtCode: DISTRICT,
      districtName: '历下区',
      cellSizeM: 100,
      streetCells: 10,
      communityCells: 5,
    }),
  );
  const geocoder = new GridGeocoder(pool);
  await geocoder.reload();
  spotCell = geocoder.locate(SPOT.lon, SPOT.lat)!.cell;

  const responsibility = new ResponsibilityRules(pool);
  // Components of major class 01 in the district: the water company. Everything else falls back to the district.
  await responsibility.create({
    classPattern: '01',
    classKind: 'component',
    areaLevel: 'district',
    areaCode: DISTRICT,
    departmentId: 'water',
  });
  await responsibility.reload();

  const calendar = new WorkingCalendar({ settings: DEFAULT_SETTINGS, days: [] });
  service = new CaseService({
    pool,
    catalogue: new CatalogueStore(pool),
    geocoder,
    responsibility,
    calendar,
    stepLimits: () => loadStepLimits(pool),
    now: () => nowMs,
  });
  service.onChange((c) => changes.push(c));
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
    });
  }

  server = await startApp(async (app) => {
    await app.register(authRoutes, { users, sessions, auth: sessions });
    await app.register(caseRoutes, { service, candidates: new CandidateQueue(pool, service), auth: sessions });
  });
  base = server.base;

  for (const u of USERS) {
    const res = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: u.id, password: PASSWORD }),
    });
    expect(res.status).toBe(200);
    tokens.set(u.id, ((await res.json()) as { token: string }).token);
  }
  tokens.set('admin', ADMIN_TOKEN);
});

afterAll(async () => {
  await server?.close();
  await db?.drop();
});

async function call(
  user: string | null,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Json; headers: Headers }> {
  const token = user ? (tokens.get(user) ?? user) : null;
  const { res, body: answer } = await jsonCall(base, method, path, { token, body, headers });
  return { status: res.status, body: answer, headers: res.headers };
}

const act = (user: string, id: string, action: string, body: Record<string, unknown> = {}, headers = {}) =>
  call(user, 'POST', `/api/cases/${id}/actions/${action}`, body, headers);

async function ok(p: Promise<{ status: number; body: Json }>, status = 200): Promise<Json> {
  const r = await p;
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  return r.body;
}

function report(user = 'col1', extra: Record<string, unknown> = {}) {
  return ok(
    call(user, 'POST', '/api/cases', {
      source: user === 'acc' ? 'hotline' : user === 'boss' ? 'leader' : 'collector',
      classCode: 'component:0101',
      ...SPOT,
      description: '井盖破损',
      reporterName: '张三',
      reporterPhone: '13812345678',
      attachments: ['photo-1'],
      ...extra,
    }),
    201,
  );
}

/** A case carried to `handling` at the current clock: reported by col1, dispatched by the rules to water. */
const iso = (ms: number) => new Date(ms).toISOString();

async function toHandling(standardId = standard4h): Promise<Json> {
  const c = await report();
  await ok(act('acc', c.id, 'accept', { standardId }));
  await ok(act('shift', c.id, 'file'));
  await ok(act('disp', c.id, 'dispatch'));
  return ok(act('water1', c.id, 'start'));
}

describe('the normal loop', () => {
  it('report → accept → file → dispatch → start → handle → re-inspect → close → evaluate, every step audited', async () => {
    nowMs = cst('2026-12-01T09:00:00'); // a Tuesday
    changes.length = 0;
    const c = await report();
    expect(c.number).toMatch(/^20261201-\d{4}$/);
    expect(c).toMatchObject({ state: 'reported', source: 'collector', classKind: 'component', classCode: '0101' });
    expect(c.area.cell).toBe(spotCell);
    expect(c.area.district).toBe(DISTRICT);
    expect(c.outsideGrid).toBe(false);
    // The collector is no acceptor: the complainant's phone is masked for them.
    expect(c.reporterPhone).toBe('138****5678');
    expect(c.allowedActions).toEqual([]);

    const seen = await ok(call('acc', 'GET', `/api/cases/${c.id}`));
    expect(seen.reporterPhone).toBe('13812345678');
    expect(seen.allowedActions).toEqual(['requestVerify', 'accept', 'reject', 'merge']);

    const accepted = await ok(act('acc', c.id, 'accept', { standardId: standard4h, note: '符合立案条件' }));
    expect(accepted).toMatchObject({
      state: 'accepted',
      standardId: standard4h,
      limit: { value: 4, unit: 'workHours' },
    });
    await ok(act('shift', c.id, 'file'));
    const dispatched = await ok(act('disp', c.id, 'dispatch'));
    expect(dispatched).toMatchObject({ state: 'dispatched', departmentId: 'water', responsibilityFallback: false });
    // 4 working hours from Tue 09:00: 09:00–12:00 (3 h) + 13:30–14:30 (1 h) → Tue 14:30 local = 06:30Z.
    expect(dispatched.handlingDeadline).toBe('2026-12-01T06:30:00.000Z');
    expect(dispatched.clock).toMatchObject({ light: 'green', used: 0 });
    expect(dispatched.reporterPhone).toBe('138****5678'); // a dispatcher does not call back

    await ok(act('water1', c.id, 'start'));
    nowMs = cst('2026-12-01T14:00:00'); // 3.5 of 4 working hours used: 87.5 % → yellow
    const handling = await ok(call('water1', 'GET', `/api/cases/${c.id}`));
    expect(handling.clock).toMatchObject({ light: 'yellow', used: 0.875 });
    expect(handling.allowedActions).toContain('handle');

    // Feedback needs photos.
    const noPhotos = await act('water1', c.id, 'handle', { note: '已更换井盖' });
    expect(noPhotos.status).toBe(400);
    const handled = await ok(act('water1', c.id, 'handle', { note: '已更换井盖', attachments: ['photo-after'] }));
    expect(handled.state).toBe('handled');
    nowMs = cst('2026-12-01T16:00:00'); // past the deadline, but the clock stopped at the feedback
    const afterFeedback = await ok(call('shift', 'GET', `/api/cases/${c.id}`));
    expect(afterFeedback.clock.light).toBe('yellow');
    // Step clocks (shipped step limits): verify-and-file (1 working hour) and dispatch (0.5) were done at once;
    // re-inspection (1 working day = 7.5 h) runs from the feedback at Tue 14:00: 3.5 h on Tuesday, 3.5 h Wednesday
    // morning, 0.5 h after lunch → Wed 14:00 local = 06:00Z; at Tue 16:00 2 of 7.5 h are used.
    expect(afterFeedback.steps).toEqual([
      {
        step: 'verifyAndFile',
        startedAt: iso(cst('2026-12-01T09:00:00')),
        deadline: iso(cst('2026-12-01T10:00:00')),
        endedAt: iso(cst('2026-12-01T09:00:00')),
        used: 0,
        light: 'green',
      },
      {
        step: 'dispatch',
        startedAt: iso(cst('2026-12-01T09:00:00')),
        deadline: iso(cst('2026-12-01T09:30:00')),
        endedAt: iso(cst('2026-12-01T09:00:00')),
        used: 0,
        light: 'green',
      },
      {
        step: 'reinspect',
        startedAt: iso(cst('2026-12-01T14:00:00')),
        deadline: '2026-12-02T06:00:00.000Z',
        endedAt: null,
        used: 0.267,
        light: 'green',
      },
    ]);

    // The reporting collector re-inspects by default.
    const assigned = await ok(act('shift', c.id, 'assignReinspect'));
    expect(assigned).toMatchObject({ state: 'reinspecting', reinspectorId: 'col1' });
    expect((await act('col2', c.id, 'reinspectPass')).status).toBe(404); // not col2's case at all
    await ok(act('col1', c.id, 'reinspectPass', { attachments: ['photo-check'] }));
    const closed = await ok(act('shift', c.id, 'close', { note: '结案' }));
    expect(closed.state).toBe('closed');
    const evaluated = await ok(act('boss', c.id, 'evaluate', { score: 95, note: '处置及时' }));
    expect(evaluated).toMatchObject({ state: 'evaluated', evaluationScore: 95, evaluationComment: '处置及时' });
    expect(evaluated.allowedActions).toEqual([]);

    const history = await ok(call('audit', 'GET', `/api/cases/${c.id}/history`));
    expect(history.events.map((e: Json) => [e.seq, e.action, e.actorId, e.actorRole, e.fromState, e.toState])).toEqual([
      [1, 'report', 'col1', 'collector', null, 'reported'],
      [2, 'accept', 'acc', 'acceptor', 'reported', 'accepted'],
      [3, 'file', 'shift', 'shiftLeader', 'accepted', 'filed'],
      [4, 'dispatch', 'disp', 'dispatcher', 'filed', 'dispatched'],
      [5, 'start', 'water1', 'department', 'dispatched', 'handling'],
      [6, 'handle', 'water1', 'department', 'handling', 'handled'],
      [7, 'assignReinspect', 'shift', 'shiftLeader', 'handled', 'reinspecting'],
      [8, 'reinspectPass', 'col1', 'collector', 'reinspecting', 'reinspected'],
      [9, 'close', 'shift', 'shiftLeader', 'reinspected', 'closed'],
      [10, 'evaluate', 'boss', 'leader', 'closed', 'evaluated'],
    ]);
    expect(history.events[1].note).toBe('符合立案条件');
    expect(history.events[5].attachments).toEqual(['photo-after']);
    expect(history.events[0].actorName).toBe('user col1');
    // One change event per action, after commit, with the department once it has one.
    expect(changes.map((x) => x.action)).toEqual(history.events.map((e: Json) => e.action));
    expect(changes[4]).toMatchObject({
      caseId: c.id,
      number: c.number,
      fromState: 'dispatched',
      toState: 'handling',
      departmentId: 'water',
    });
  });

  it('numbers cases per local day', async () => {
    nowMs = cst('2026-12-02T07:59:00'); // still Dec 1 in UTC, Dec 2 in the city
    const a = await report();
    const b = await report();
    expect(a.number).toBe('20261202-0001');
    expect(b.number).toBe('20261202-0002');
  });

  it('documents one route per action of the table in the OpenAPI document', async () => {
    const doc = await ok(call(null, 'GET', '/openapi.json'));
    const file = doc.paths['/api/cases/{id}/actions/file'].post;
    expect(file.summary).toContain('accepted → filed');
    const reject = doc.paths['/api/cases/{id}/actions/reject'].post;
    expect(reject.requestBody.content['application/json'].schema.required).toEqual(['reason']);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/cases', '/api/cases/ledger', '/api/candidates']),
    );
  });

  it('serves the workflow table and refuses a caller without a token', async () => {
    const doc = await ok(call('col1', 'GET', '/api/cases/workflow'));
    expect(doc.transitions.find((t: Json) => t.action === 'file')).toMatchObject({
      from: ['accepted'],
      to: 'filed',
      roles: ['shiftLeader'],
    });
    const anon = await call(null, 'GET', '/api/cases');
    expect(anon.status).toBe(401);
    expect(anon.headers.get('content-type')).toContain('application/problem+json');
  });
});

describe('reports', () => {
  it('refuses an ambiguous or unknown class and a source the role may not use', async () => {
    const ambiguous = await call('col1', 'POST', '/api/cases', { source: 'collector', classCode: '0101', ...SPOT });
    expect(ambiguous.status).toBe(400);
    expect(ambiguous.body.detail).toContain('component:0101');
    const unknown = await call('col1', 'POST', '/api/cases', { source: 'collector', classCode: '9999', ...SPOT });
    expect(unknown.status).toBe(400);
    const hotline = await call('col1', 'POST', '/api/cases', { source: 'hotline', classCode: '0102', ...SPOT });
    expect(hotline.status).toBe(403);
    const dispatcher = await call('disp', 'POST', '/api/cases', { source: 'collector', classCode: '0102', ...SPOT });
    expect(dispatcher.status).toBe(403);
    const typo = await call('col1', 'POST', '/api/cases', {
      source: 'collector',
      classCode: '0102',
      ...SPOT,
      descripton: 'x',
    });
    expect(typo.status).toBe(400);
    expect(typo.body.detail).toContain('descripton');
  });

  it('takes a report outside the grid, flagged; dispatch then needs a named department', async () => {
    nowMs = cst('2026-12-03T09:00:00');
    const c = await report('col1', { ...OUTSIDE, classCode: '0102' });
    expect(c).toMatchObject({ area: null, outsideGrid: true });
    await ok(act('acc', c.id, 'accept', { standardId: standardUrgent }));
    await ok(act('shift', c.id, 'file'));
    const refused = await act('disp', c.id, 'dispatch');
    expect(refused.status).toBe(400);
    expect(refused.body.detail).toContain('departmentId');
    const unknownDept = await act('disp', c.id, 'dispatch', { departmentId: 'nosuch' });
    expect(unknownDept.status).toBe(400);
    const d = await ok(act('disp', c.id, 'dispatch', { departmentId: 'roads' }));
    // 2 urgent hours are continuous: 09:00 → 11:00 local = 03:00Z.
    expect(d).toMatchObject({ departmentId: 'roads', handlingDeadline: '2026-12-03T03:00:00.000Z' });
  });

  it('refuses to accept under a situation without a parseable limit, or of another class', async () => {
    const c = await report();
    const unparsed = await act('acc', c.id, 'accept', { standardId: standardUnparsed });
    expect(unparsed.status).toBe(400);
    expect(unparsed.body.detail).toContain('视情况');
    const otherClass = await act('acc', c.id, 'accept', { standardId: standardUrgent });
    expect(otherClass.status).toBe(400);
    expect(otherClass.body.detail).toContain(String(standard4h));
    // The acceptor may correct the class at acceptance.
    const corrected = await ok(act('acc', c.id, 'accept', { standardId: standardUrgent, classCode: 'component:0102' }));
    expect(corrected).toMatchObject({ classCode: '0102', limit: { value: 2, unit: 'urgentHours' } });
  });
});

describe('verify then reject', () => {
  it('public report → verification on site → rejected with a reason (art.31)', async () => {
    const c = await report('acc', { source: 'public', reporterPhone: '13900001111' });
    expect(c.reporterPhone).toBe('13900001111');
    const asked = await ok(act('acc', c.id, 'requestVerify', { collectorId: 'col2' }));
    expect(asked).toMatchObject({ state: 'verifying', verifierId: 'col2' });
    // The verifier sees the task, with the phone masked; another collector does not see it.
    const task = await ok(call('col2', 'GET', `/api/cases/${c.id}`));
    expect(task.reporterPhone).toBe('139****1111');
    expect(task.allowedActions).toEqual(['verify']);
    expect((await call('col1', 'GET', `/api/cases/${c.id}`)).status).toBe(404);
    const mine = await ok(call('col2', 'GET', '/api/cases?state=verifying'));
    expect(mine.items.map((x: Json) => x.id)).toEqual([c.id]);

    await ok(act('col2', c.id, 'verify', { note: '现场未发现问题', attachments: ['photo-site'] }));
    const noReason = await act('acc', c.id, 'reject', {});
    expect(noReason.status).toBe(400);
    const rejected = await ok(act('acc', c.id, 'reject', { reason: '现场核实无此问题' }));
    expect(rejected).toMatchObject({ state: 'rejected', rejectReason: '现场核实无此问题', allowedActions: [] });
    const after = await act('acc', c.id, 'accept', { standardId: standard4h });
    expect(after.status).toBe(409);
    expect(after.body.allowedActions).toEqual([]);
    const history = await ok(call('acc', 'GET', `/api/cases/${c.id}/history`));
    expect(history.events.map((e: Json) => e.action)).toEqual(['report', 'requestVerify', 'verify', 'reject']);
    expect(history.events[0].actorRole).toBe('acceptor');
    expect(history.events[3].note).toBe('现场核实无此问题');
  });

  it('takes a public report without a user (Open311), recorded under its channel', async () => {
    nowMs = cst('2026-12-01T12:00:00');
    const record = await service.reportPublic(
      { classKind: 'event', classCode: '0101', ...SPOT, description: '路边乱搭', reporterPhone: '13700002222' },
      'open311:hotline-12319',
    );
    expect(record).toMatchObject({ state: 'reported', source: 'hotline', reporterId: null, classKind: 'event' });
    const seen = await ok(call('acc', 'GET', `/api/cases/${record.id}`));
    expect(seen.reporterPhone).toBe('13700002222');
    const history = await ok(call('acc', 'GET', `/api/cases/${record.id}/history`));
    expect(history.events[0]).toMatchObject({
      actorId: 'open311:hotline-12319',
      actorRole: 'public',
      action: 'report',
    });
    const web = await service.reportPublic({ classCode: 'component:0102', ...SPOT });
    expect(web.source).toBe('public');
  });

  it('assigns verification only to an existing user', async () => {
    const c = await report('acc', { source: 'hotline' });
    expect((await act('acc', c.id, 'requestVerify', { collectorId: 'ghost' })).status).toBe(400);
    const notCollector = await act('acc', c.id, 'requestVerify', { collectorId: 'disp' });
    expect(notCollector.status).toBe(400);
    expect(notCollector.body.detail).toContain('role collector');
  });
});

describe('return and re-dispatch', () => {
  it('the department asks to return, the dispatcher approves, the case goes to the right department', async () => {
    nowMs = cst('2026-12-01T09:00:00');
    const c = await report();
    await ok(act('acc', c.id, 'accept', { standardId: standard4h }));
    await ok(act('shift', c.id, 'file'));
    await ok(act('disp', c.id, 'dispatch'));
    const asked = await ok(act('water1', c.id, 'requestReturn', { reason: '非我单位管辖' }));
    expect(asked).toMatchObject({
      state: 'dispatched',
      pendingApproval: { kind: 'return', status: 'pending', reason: '非我单位管辖' },
    });
    // While the request is open the department cannot ask again, and nobody but the dispatcher decides it.
    expect((await act('water1', c.id, 'requestVoid', { reason: 'x' })).status).toBe(409);
    expect((await act('boss', c.id, 'approveReturn')).status).toBe(403);

    nowMs = cst('2026-12-01T10:00:00');
    const back = await ok(act('disp', c.id, 'approveReturn', { note: '改派' }));
    expect(back).toMatchObject({
      state: 'filed',
      departmentId: null,
      handlingDeadline: null,
      returnCount: 1,
      pendingApproval: null,
    });
    // No longer water's case: it vanishes from their view.
    expect((await call('water1', 'GET', `/api/cases/${c.id}`)).status).toBe(404);

    const again = await ok(act('disp', c.id, 'dispatch', { departmentId: 'roads' }));
    // A fresh clock for the right department: 10:00 + 4 working hours = 15:30 local = 07:30Z.
    expect(again).toMatchObject({
      state: 'dispatched',
      departmentId: 'roads',
      handlingDeadline: '2026-12-01T07:30:00.000Z',
    });
    await ok(act('roads1', c.id, 'start'));
    const history = await ok(call('shift', 'GET', `/api/cases/${c.id}/history`));
    expect(history.approvals).toHaveLength(1);
    expect(history.approvals[0]).toMatchObject({
      kind: 'return',
      status: 'approved',
      requestedBy: 'water1',
      decidedBy: 'disp',
    });
    expect(history.events.find((e: Json) => e.action === 'dispatch' && e.data.overridden).data.departmentId).toBe(
      'roads',
    );
  });

  it('a denied return leaves the case with the department', async () => {
    const c = await toHandling();
    await ok(act('water1', c.id, 'requestReturn', { reason: '不归我管' }));
    const kept = await ok(act('disp', c.id, 'denyReturn', { note: '属于供水' }));
    expect(kept).toMatchObject({ state: 'handling', departmentId: 'water', pendingApproval: null });
  });
});

describe('rework after a failed re-inspection', () => {
  it('goes back to the department, counts the rework, and closes after a second pass', async () => {
    nowMs = cst('2026-12-01T09:00:00');
    const c = await toHandling();
    await ok(act('water1', c.id, 'handle', { note: '已处理', attachments: ['p1'] }));
    await ok(act('disp', c.id, 'assignReinspect', { collectorId: 'col2' }));
    const noReason = await act('col2', c.id, 'reinspectFail', {});
    expect(noReason.status).toBe(400);
    const rework = await ok(act('col2', c.id, 'reinspectFail', { reason: '井盖仍松动', attachments: ['p2'] }));
    expect(rework).toMatchObject({ state: 'handling', reworkCount: 1, handledAt: null, departmentId: 'water' });
    await ok(act('water1', c.id, 'handle', { note: '重新固定', attachments: ['p3'] }));
    await ok(act('shift', c.id, 'assignReinspect', { collectorId: 'col2' }));
    await ok(act('col2', c.id, 'reinspectPass'));
    const closed = await ok(act('shift', c.id, 'close'));
    expect(closed).toMatchObject({ state: 'closed', reworkCount: 1 });
  });
});

describe('exceptions with approval', () => {
  it('void: requested by the acceptor, approved by a leader', async () => {
    const c = await report();
    await ok(act('acc', c.id, 'accept', { standardId: standard4h }));
    await ok(act('shift', c.id, 'file'));
    await ok(act('acc', c.id, 'requestVoid', { reason: '重复录入' }));
    // Deciding your own kind of request is not the acceptor's or the dispatcher's business.
    expect((await act('acc', c.id, 'approveVoid')).status).toBe(403);
    expect((await act('disp', c.id, 'approveVoid')).status).toBe(403);
    const voided = await ok(act('boss', c.id, 'approveVoid'));
    expect(voided).toMatchObject({ state: 'voided', allowedActions: [] });
    expect((await act('disp', c.id, 'dispatch')).status).toBe(409);
  });

  it('a denied void leaves the case where it was', async () => {
    const c = await report();
    await ok(act('acc', c.id, 'accept', { standardId: standard4h }));
    await ok(act('acc', c.id, 'requestVoid', { reason: '误报' }));
    const denied = await ok(act('shift', c.id, 'denyVoid', { note: '确有问题' }));
    expect(denied).toMatchObject({ state: 'accepted', pendingApproval: null });
    expect(denied.allowedActions).toEqual(['file']); // the shift leader's next step
    expect((await ok(call('acc', 'GET', `/api/cases/${c.id}`))).allowedActions).toEqual(['requestVoid']);
  });

  it('extension: the deadline moves by the approved working time', async () => {
    nowMs = cst('2026-12-01T09:00:00');
    const c = await toHandling();
    expect(c.handlingDeadline).toBe('2026-12-01T06:30:00.000Z'); // Tue 14:30 local
    nowMs = cst('2026-12-01T11:00:00');
    const badLimit = await act('water1', c.id, 'requestExtension', {
      reason: '需要配件',
      limit: { value: 2, unit: 'fortnights' },
    });
    expect(badLimit.status).toBe(400);
    await ok(act('water1', c.id, 'requestExtension', { reason: '需要配件', limit: { value: 2, unit: 'workHours' } }));
    // The dispatcher decides extensions (as returns), not the shift leader.
    expect((await act('shift', c.id, 'approveExtension')).status).toBe(403);
    const extended = await ok(act('disp', c.id, 'approveExtension'));
    // 14:30 + 2 working hours = 16:30 local = 08:30Z.
    expect(extended).toMatchObject({ state: 'handling', handlingDeadline: '2026-12-01T08:30:00.000Z' });
    // At 11:00 local: 2 of 6 working hours (09:00 → 16:30 holds 3 + 3 h) used.
    expect(extended.clock).toMatchObject({ light: 'green', used: 0.333 });
    const history = await ok(call('shift', 'GET', `/api/cases/${c.id}/history`));
    const approval = history.events.find((e: Json) => e.action === 'approveExtension');
    expect(approval.data).toMatchObject({
      previousDeadline: '2026-12-01T06:30:00.000Z',
      deadline: '2026-12-01T08:30:00.000Z',
    });
  });

  it('postponement: the clock stops, and resuming gives back the paused working time', async () => {
    nowMs = cst('2026-12-01T09:00:00');
    const c = await toHandling();
    nowMs = cst('2026-12-01T10:00:00');
    await ok(act('water1', c.id, 'requestPostpone', { reason: '等待产权单位确认' }));
    const postponed = await ok(act('boss', c.id, 'approvePostpone'));
    expect(postponed).toMatchObject({ state: 'postponed', pausedFrom: 'handling' });
    // Long past the original 14:30 deadline, the light still shows 1 of 4 hours used: the clock stopped at 10:00.
    nowMs = cst('2026-12-01T16:00:00');
    const paused = await ok(call('water1', 'GET', `/api/cases/${c.id}`));
    expect(paused.clock).toMatchObject({ light: 'green', used: 0.25 });
    expect(paused.allowedActions).toEqual([]);
    expect((await act('water1', c.id, 'handle', { note: 'x', attachments: ['p'] })).status).toBe(409);

    nowMs = cst('2026-12-02T10:00:00');
    const resumed = await ok(act('disp', c.id, 'resume'));
    // Paused Tue 10:00 → Wed 10:00 = 2 + 4 + 1.5 = 7.5 working hours; 14:30 Tue + 7.5 h = Wed 14:30 local = 06:30Z.
    expect(resumed).toMatchObject({ state: 'handling', pausedAt: null, handlingDeadline: '2026-12-02T06:30:00.000Z' });
  });

  it('parking: an unsolvable case is parked and can be taken up again', async () => {
    const c = await toHandling();
    await ok(act('disp', c.id, 'requestPark', { reason: '涉及历史遗留产权纠纷' }));
    const parked = await ok(act('shift', c.id, 'approvePark'));
    expect(parked.state).toBe('parked');
    expect((await ok(act('boss', c.id, 'resume'))).state).toBe('handling');
  });

  it('withdraws a pending request when the case moves on without a decision', async () => {
    const c = await toHandling();
    await ok(act('water1', c.id, 'requestExtension', { reason: '可能来不及', limit: { value: 1, unit: 'workDays' } }));
    const handled = await ok(act('water1', c.id, 'handle', { note: '提前完成', attachments: ['p'] }));
    expect(handled.pendingApproval).toBeNull();
    const history = await ok(call('shift', 'GET', `/api/cases/${c.id}/history`));
    expect(history.approvals[0]).toMatchObject({ kind: 'extend', status: 'withdrawn' });
  });

  it('ledger: exceptions per kind of the month and their share of the cases filed in it (art.40)', async () => {
    const ledger = await ok(call('boss', 'GET', '/api/cases/ledger?month=2026-12'));
    const filed = await db.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM cases WHERE filed_at >= '2026-11-30T16:00:00Z' AND filed_at < '2026-12-31T16:00:00Z'`,
    );
    expect(ledger.filedCases).toBe(Number(filed.rows[0]!.n));
    const kinds = Object.fromEntries(ledger.kinds.map((k: Json) => [k.kind, k]));
    // The tests above: 2 returns (1 approved, 1 denied), 2 voids (1 approved, 1 denied), 2 extensions (1 approved,
    // 1 withdrawn), 1 postponement, 1 parking.
    expect(kinds.return).toMatchObject({ requested: 2, approved: 1, denied: 1 });
    expect(kinds.void).toMatchObject({ requested: 2, approved: 1, denied: 1 });
    expect(kinds.extend).toMatchObject({ requested: 2, approved: 1, denied: 0 });
    expect(kinds.postpone).toMatchObject({ requested: 1, approved: 1 });
    expect(kinds.park).toMatchObject({ requested: 1, approved: 1 });
    expect(kinds.void.share).toBeCloseTo(1 / ledger.filedCases, 10);
    expect((await ok(call('boss', 'GET', '/api/cases/ledger?month=2026-11'))).filedCases).toBe(0);
    expect((await call('boss', 'GET', '/api/cases/ledger?month=2026-13')).status).toBe(400);
    expect((await call('disp', 'GET', '/api/cases/ledger?month=2026-12')).status).toBe(403);
  });
});

describe('leader supervision', () => {
  it('sets and clears the 督办 flag without changing the state; only leaders may', async () => {
    const c = await toHandling();
    const on = await ok(act('boss', c.id, 'supervise', { supervised: true, note: '尽快处理' }));
    expect(on).toMatchObject({ state: 'handling', supervised: true });
    const list = await ok(call('boss', 'GET', '/api/cases?supervised=true'));
    expect(list.items.map((x: Json) => x.id)).toEqual([c.id]);
    expect((await act('shift', c.id, 'supervise', { supervised: false })).status).toBe(403);
    const off = await ok(act('boss', c.id, 'supervise', { supervised: false }));
    expect(off.supervised).toBe(false);
    const history = await ok(call('boss', 'GET', `/api/cases/${c.id}/history`));
    expect(
      history.events
        .filter((e: Json) => e.action === 'supervise')
        .map((e: Json) => [e.fromState, e.toState, e.data.supervised]),
    ).toEqual([
      ['handling', 'handling', true],
      ['handling', 'handling', false],
    ]);
  });
});

describe('roles and visibility', () => {
  it('answers 403 to every role that has no part in an action', async () => {
    const c = await report();
    const tries: [string, string, Record<string, unknown>][] = [
      ['col1', 'accept', { standardId: standard4h }],
      ['disp', 'accept', { standardId: standard4h }],
      ['boss', 'reject', { reason: 'x' }],
      ['audit', 'reject', { reason: 'x' }],
      ['water1', 'file', {}],
      ['acc', 'file', {}],
      ['acc', 'dispatch', {}],
      ['shift', 'start', {}],
      ['disp', 'handle', { note: 'x', attachments: ['p'] }],
      ['acc', 'close', {}],
      ['col1', 'evaluate', { score: 1 }],
      ['admin', 'file', {}],
    ];
    for (const [user, action, body] of tries) {
      const r = await act(user, c.id, action, body);
      expect(r.status, `${user} ${action}`).toBe(403);
      expect(r.body.type).toBe('urn:cityhub:problem:forbidden');
    }
    expect((await act('acc', c.id, 'teleport')).status).toBe(404);
  });

  it('answers 409 with the allowed actions to an action out of turn', async () => {
    const c = await report();
    const r = await act('shift', c.id, 'file');
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ type: 'urn:cityhub:problem:illegal-transition', allowedActions: [] });
    const acc = await act('acc', c.id, 'requestVoid', { reason: 'x' });
    expect(acc.body.allowedActions).toEqual(['requestVerify', 'accept', 'reject', 'merge']);
  });

  it('hides another department’s case (404) and leaves it out of lists', async () => {
    const c = await toHandling();
    expect((await call('roads1', 'GET', `/api/cases/${c.id}`)).status).toBe(404);
    expect((await call('roads1', 'GET', `/api/cases/${c.id}/history`)).status).toBe(404);
    expect((await act('roads1', c.id, 'handle', { note: 'x', attachments: ['p'] })).status).toBe(404);
    const roads = await ok(call('roads1', 'GET', '/api/cases?limit=200'));
    expect(roads.items.every((x: Json) => x.departmentId === 'roads')).toBe(true);
    const water = await ok(call('water1', 'GET', '/api/cases?limit=200'));
    expect(water.items.map((x: Json) => x.id)).toContain(c.id);
    expect(water.items.every((x: Json) => x.departmentId === 'water')).toBe(true);
    // Collectors see what they reported or were given.
    const col2 = await ok(call('col2', 'GET', '/api/cases?limit=200'));
    expect(col2.items.every((x: Json) => x.verifierId === 'col2' || x.reinspectorId === 'col2')).toBe(true);
  });

  it('filters lists by state, class, source, bbox and overdue', async () => {
    nowMs = cst('2026-12-07T09:00:00'); // next Monday: the Tuesday cases still in handling are overdue
    const overdue = await ok(call('shift', 'GET', '/api/cases?overdue=true&limit=200'));
    expect(overdue.total).toBeGreaterThan(0);
    expect(
      overdue.items.every((x: Json) => ['dispatched', 'handling'].includes(x.state) && x.clock.light === 'red'),
    ).toBe(true);
    const outside = await ok(call('shift', 'GET', `/api/cases?bbox=118.4,37.4,118.6,37.6`));
    expect(outside.items.length).toBeGreaterThan(0);
    expect(outside.items.every((x: Json) => x.outsideGrid)).toBe(true);
    const rejected = await ok(call('shift', 'GET', '/api/cases?state=rejected&state=voided&limit=200'));
    expect(new Set(rejected.items.map((x: Json) => x.state))).toEqual(new Set(['rejected', 'voided']));
    const publicOnes = await ok(call('shift', 'GET', '/api/cases?source=public'));
    expect(publicOnes.items.every((x: Json) => x.source === 'public')).toBe(true);
    expect((await call('shift', 'GET', '/api/cases?bbox=2,2,1,1')).status).toBe(400);
    expect((await call('shift', 'GET', '/api/cases?state=lost')).status).toBe(400);
  });

  it('filters lists by the kind of the approval a case waits for (the approval queues of the screens)', async () => {
    const returning = await toHandling();
    await ok(act('water1', returning.id, 'requestReturn', { reason: '不属于本单位' }));
    const extending = await toHandling();
    await ok(
      act('water1', extending.id, 'requestExtension', {
        reason: '需要采购配件',
        limit: { value: 1, unit: 'workDays' },
      }),
    );
    const idsOf = (page: Json) => page.items.map((x: Json) => x.id);

    const returns = await ok(call('disp', 'GET', '/api/cases?pendingApproval=return&limit=200'));
    expect(idsOf(returns)).toContain(returning.id);
    expect(idsOf(returns)).not.toContain(extending.id);
    expect(returns.items.every((x: Json) => x.pendingApproval?.kind === 'return')).toBe(true);

    const others = await ok(call('shift', 'GET', '/api/cases?pendingApproval=extend&pendingApproval=void&limit=200'));
    expect(idsOf(others)).toContain(extending.id);
    expect(idsOf(others)).not.toContain(returning.id);
    expect(others.items.every((x: Json) => ['extend', 'void'].includes(x.pendingApproval?.kind))).toBe(true);
    expect(others.total).toBe(others.items.length);

    // Still only what the caller may see: the other department has none of these.
    expect((await ok(call('roads1', 'GET', '/api/cases?pendingApproval=return&pendingApproval=extend'))).total).toBe(0);
    expect((await call('shift', 'GET', '/api/cases?pendingApproval=later')).status).toBe(400);

    // A decided request leaves the queue.
    await ok(act('disp', returning.id, 'denyReturn'));
    expect(idsOf(await ok(call('disp', 'GET', '/api/cases?pendingApproval=return&limit=200')))).not.toContain(
      returning.id,
    );
  });
});

describe('concurrency', () => {
  it('of two shift leaders filing the same case at once exactly one wins; the other gets 409', async () => {
    const c = await report();
    await ok(act('acc', c.id, 'accept', { standardId: standard4h }));
    const results = await Promise.all([act('shift', c.id, 'file'), act('shift2', c.id, 'file')]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const loser = results.find((r) => r.status === 409)!;
    expect(loser.body.allowedActions).toEqual([]);
    const history = await ok(call('shift', 'GET', `/api/cases/${c.id}/history`));
    expect(history.events.filter((e: Json) => e.action === 'file')).toHaveLength(1);
  });

  it('refuses to act on a stale version (If-Match or version)', async () => {
    const c = await report();
    const read = await call('acc', 'GET', `/api/cases/${c.id}`);
    expect(read.headers.get('etag')).toBe('"1"');
    await ok(act('acc', c.id, 'accept', { standardId: standard4h }, { 'if-match': '"1"' }));
    const stale = await act('acc', c.id, 'reject', { reason: 'x', version: 1 });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ type: 'urn:cityhub:problem:version-conflict', allowedActions: ['requestVoid'] });
    expect((await act('shift', c.id, 'file', {}, { 'if-match': 'W/"x"' })).status).toBe(400);
  });
});

describe('the schema', () => {
  it('allows exactly the states, sources and approval kinds of the workflow table', async () => {
    const listed = async (table: string, column: string) => {
      const { rows } = await db.pool.query<{ def: string }>(
        `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint
          WHERE conrelid = $1::regclass AND contype = 'c' AND pg_get_constraintdef(oid) LIKE $2`,
        [table, `%(${column} = ANY%`],
      );
      return [...rows[0]!.def.matchAll(/'([A-Za-z]+)'::text/g)].map((m) => m[1]).sort();
    };
    expect(await listed('cases', 'state')).toEqual([...CASE_STATES].sort());
    expect(await listed('cases', 'source')).toEqual([...CASE_SOURCES].sort());
    expect(await listed('case_approvals', 'kind')).toEqual([...APPROVAL_KINDS].sort());
  });
});

describe('the audit log', () => {
  it('cannot be updated, deleted or truncated, even directly in the database', async () => {
    const c = await report();
    await expect(db.pool.query(`UPDATE case_events SET note = 'forged' WHERE case_id = $1`, [c.id])).rejects.toThrow(
      /append-only/,
    );
    await expect(db.pool.query(`DELETE FROM case_events WHERE case_id = $1`, [c.id])).rejects.toThrow(/append-only/);
    await expect(db.pool.query(`TRUNCATE case_events CASCADE`)).rejects.toThrow(/append-only/);
    const { rows } = await db.pool.query(`SELECT note FROM case_events WHERE case_id = $1`, [c.id]);
    expect(rows).toEqual([{ note: null }]);
  });
});

describe('detector candidates', () => {
  const candidate = (key: string, extra: Record<string, unknown> = {}) => ({
    detectorId: 'cam-12',
    clientKey: key,
    classCode: 'component:0102',
    ...FAR,
    observedAt: '2026-12-01T01:02:03.000Z',
    confidence: 0.87,
    description: '疑似井盖缺失',
    evidence: { mediaIds: ['frame-1', 'clip-1'], trackId: 42 },
    ...extra,
  });

  it('queues a candidate once per key; accepting it makes a detector report carrying the evidence', async () => {
    const first = await call('admin', 'POST', '/api/candidates', candidate('ev-1'));
    expect(first.status).toBe(201);
    const again = await call('admin', 'POST', '/api/candidates', candidate('ev-1'));
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect((await call('acc', 'POST', '/api/candidates', candidate('ev-x'))).status).toBe(403);

    const queue = await ok(call('acc', 'GET', '/api/candidates?status=pending'));
    expect(queue.items.map((x: Json) => x.id)).toContain(first.body.id);

    expect((await call('col1', 'POST', `/api/candidates/${first.body.id}/accept`, {})).status).toBe(403);
    const accepted = await ok(call('acc', 'POST', `/api/candidates/${first.body.id}/accept`, { note: '画面清晰' }));
    expect(accepted.candidate).toMatchObject({ status: 'accepted', decidedBy: 'acc', caseId: accepted.case.id });
    expect(accepted.case).toMatchObject({
      state: 'reported',
      source: 'detector',
      classCode: '0102',
      attachments: ['frame-1', 'clip-1'],
      reporterId: null,
    });
    const history = await ok(call('acc', 'GET', `/api/cases/${accepted.case.id}/history`));
    expect(history.events[0]).toMatchObject({ action: 'report', actorId: 'acc', note: '画面清晰' });
    expect(history.events[0].data).toMatchObject({
      candidateId: first.body.id,
      detectorId: 'cam-12',
      confidence: 0.87,
    });
    expect(history.events[0].data.evidence).toEqual({ mediaIds: ['frame-1', 'clip-1'], trackId: 42 });

    const twice = await call('acc', 'POST', `/api/candidates/${first.body.id}/accept`, {});
    expect(twice.status).toBe(409);
    // Detectors report through candidates only.
    const direct = await call('acc', 'POST', '/api/cases', { source: 'detector', classCode: '0102', ...SPOT });
    expect(direct.status).toBe(400);
  });

  it('dismisses a candidate only with a reason, and keeps the reason', async () => {
    const raised = await ok(call('admin', 'POST', '/api/candidates', candidate('ev-2')), 201);
    expect((await call('acc', 'POST', `/api/candidates/${raised.id}/dismiss`, {})).status).toBe(400);
    expect((await call('acc', 'POST', `/api/candidates/${raised.id}/dismiss`, { reason: '  ' })).status).toBe(400);
    const dismissed = await ok(call('acc', 'POST', `/api/candidates/${raised.id}/dismiss`, { reason: '阴影误识别' }));
    expect(dismissed).toMatchObject({ status: 'dismissed', dismissalReason: '阴影误识别', caseId: null });
    expect((await call('acc', 'POST', `/api/candidates/${raised.id}/accept`, {})).status).toBe(409);
    expect((await call('acc', 'POST', '/api/candidates/999999/dismiss', { reason: 'x' })).status).toBe(404);
    const list = await ok(call('audit', 'GET', '/api/candidates?status=dismissed'));
    expect(list.items.map((x: Json) => x.dismissalReason)).toEqual(['阴影误识别']);
  });

  it('lists the candidates of one detector or camera by the prefix of their detector id', async () => {
    const raise = (detectorId: string, key: string) =>
      ok(call('admin', 'POST', '/api/candidates', candidate(key, { detectorId })), 201);
    const gate = await raise('video:cam_1:kerb', 'v-1');
    const crowd = await raise('video:cam_1:square', 'v-2');
    const other = await raise('video:cam-12:kerb', 'v-3');
    // The underscore of cam_1 is a character, not a wildcard: camX1's candidate is not camera cam_1's.
    const lookalike = await raise('video:camX1:kerb', 'v-4');
    const ids = async (query: string) =>
      (await ok(call('acc', 'GET', `/api/candidates?${query}`))).items.map((x: Json) => x.id).sort();

    expect(await ids('detector=video:cam_1:')).toEqual([gate.id, crowd.id].sort());
    expect(await ids('detector=video:')).toEqual([gate.id, crowd.id, other.id, lookalike.id].sort());
    expect(await ids('detector=cam-12')).not.toContain(other.id);
    await ok(call('acc', 'POST', `/api/candidates/${crowd.id}/dismiss`, { reason: '人群正常通行' }));
    expect(await ids('detector=video:cam_1:&status=pending')).toEqual([gate.id]);
    const page = await ok(call('acc', 'GET', '/api/candidates?detector=video:&limit=1'));
    expect(page).toMatchObject({ total: 4, limit: 1 });
    expect((await call('acc', 'GET', '/api/candidates?detector=')).status).toBe(400);
  });
});

describe('duplicate suggestions', () => {
  it('offers the acceptor open cases of the same class nearby, and merging links them', async () => {
    nowMs = cst('2026-12-10T09:00:00');
    const original = await report('col1', { classCode: 'event:0101', description: '占道搭建' });
    const sameSpot = await report('col2', { classCode: 'event:0101', ...NEAR, description: '同一处搭建' });
    await report('col1', { classCode: 'event:0101', ...FAR }); // 200 m away: not a duplicate
    await report('col1', { classCode: 'component:0101', ...NEAR }); // same place, other class

    const seen = await ok(call('acc', 'GET', `/api/cases/${sameSpot.id}`));
    // The open event:0101 reported through Open311 at SPOT on Dec 1 is 9 days old: outside the 7-day window.
    expect(seen.duplicates.map((d: Json) => d.id)).toEqual([original.id]);
    expect(seen.duplicates[0].distanceM).toBeCloseTo(20.0, 0);
    // Only acceptors get suggestions.
    expect((await ok(call('shift', 'GET', `/api/cases/${sameSpot.id}`))).duplicates).toBeUndefined();

    expect((await act('acc', sameSpot.id, 'merge', { duplicateOf: sameSpot.id })).status).toBe(400);
    const merged = await ok(act('acc', sameSpot.id, 'merge', { duplicateOf: original.id }));
    expect(merged).toMatchObject({
      state: 'rejected',
      duplicateOf: original.id,
      rejectReason: `duplicate of ${original.number}`,
    });
    // A merged (rejected) report is no longer suggested, and older cases fall out after the window (7 days).
    const originalView = await ok(call('acc', 'GET', `/api/cases/${original.id}`));
    expect(originalView.duplicates).toEqual([]);
  });
});
