// 部件事件分类接口 catalogue API over real HTTP against the real database, with a stand-in authenticator.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDefaultCatalogue } from '../catalogue/catalogue.js';
import { catalogueRoutes } from './catalogue.js';
import { migratedTestDatabase, type TestDatabase } from '../../test/support/database.js';
import {
  expectProblem,
  fixedTokenAuthenticator,
  jsonCall,
  startApp,
  type CallOptions,
  type TestApp,
} from '../../test/support/http-app.js';

const ADMIN = 'admin-token-for-tests';
const COLLECTOR = 'collector-token-for-tests';

/** Two fixed bearer tokens; the real sessions live in hub/auth. */
const auth = fixedTokenAuthenticator({
  [ADMIN]: { userId: 'u-admin', name: '管理员', roles: ['admin'], departmentId: null },
  [COLLECTOR]: { userId: 'u-collector', name: '监督员', roles: ['collector'], departmentId: null },
});

let db: TestDatabase;
let server: TestApp;
let sample: string;

beforeAll(async () => {
  db = await migratedTestDatabase();
  await seedDefaultCatalogue(db.pool);
  sample = await readFile(new URL('../catalogue/data/yuncheng-component-standards.csv', import.meta.url), 'utf8');
  server = await startApp((app) => app.register(catalogueRoutes, { pool: db.pool, auth }));
});
afterAll(async () => {
  await server?.close();
  await db?.drop();
});

/** As the admin unless `token` says otherwise (null: no token). */
const call = (method: string, path: string, opts: CallOptions = {}) =>
  jsonCall(server.base, method, path, { ...opts, token: opts.token === undefined ? ADMIN : opts.token });

const AREA = 'cell=140802001002003&community=140802001002&street=140802001&district=140802';

describe('catalogue API: access', () => {
  it('answers 401 without a token on every route', async () => {
    const routes: [string, string, unknown?][] = [
      ['GET', '/api/catalogue/classes'],
      ['GET', '/api/catalogue/classes/component:0101'],
      ['POST', '/api/catalogue/import', {}],
      ['POST', '/api/catalogue/standards/import?kind=component', 'x'],
      ['GET', '/api/departments'],
      ['POST', '/api/departments', { id: 'x', name: 'x', kind: 'department' }],
      ['PATCH', '/api/departments/x', { name: 'y' }],
      ['GET', '/api/responsibility/rules'],
      ['POST', '/api/responsibility/rules', {}],
      ['DELETE', '/api/responsibility/rules/1'],
      ['GET', `/api/responsibility/resolve?class=0101&${AREA}`],
    ];
    for (const [method, path, body] of routes) {
      const { res, body: problem } = await call(method, path, { body, token: null });
      expectProblem(res, problem, 401, 'urn:cityhub:problem:unauthorized');
      const wrong = await call(method, path, { body, token: 'not-a-token' });
      expect(wrong.res.status).toBe(401);
    }
  });

  it('lets a collector read but not import or change anything (403)', async () => {
    expect((await call('GET', '/api/catalogue/classes?kind=event', { token: COLLECTOR })).res.status).toBe(200);
    expect((await call('GET', '/api/departments', { token: COLLECTOR })).res.status).toBe(200);
    const writes: [string, string, unknown][] = [
      ['POST', '/api/catalogue/import', {}],
      ['POST', '/api/catalogue/standards/import?kind=component', sample],
      ['POST', '/api/departments', { id: 'x', name: 'x', kind: 'department' }],
      ['PATCH', '/api/departments/x', { name: 'y' }],
      [
        'POST',
        '/api/responsibility/rules',
        { classPattern: '*', areaLevel: 'city', areaCode: '140800', departmentId: 'x' },
      ],
      ['DELETE', '/api/responsibility/rules/1', undefined],
    ];
    for (const [method, path, body] of writes) {
      const { res, body: problem } = await call(method, path, { body, token: COLLECTOR });
      expectProblem(res, problem, 403, 'urn:cityhub:problem:forbidden');
    }
    const stored = await db.pool.query('SELECT count(*)::int AS n FROM class_standards');
    expect(stored.rows[0].n).toBe(0);
  });
});

describe('catalogue API: classes and standards', () => {
  it('lists the seeded classes with filters and paging', async () => {
    const { res, body } = await call('GET', '/api/catalogue/classes?kind=component&major=02&limit=3&offset=1', {
      token: COLLECTOR,
    });
    expect(res.status).toBe(200);
    // CJ/T 214 components of major 02 (道路交通): 19 classes; page 2–4 by code.
    expect(body.total).toBe(19);
    expect(body.items.map((c: { code: string }) => c.code)).toEqual(['0202', '0203', '0204']);
    const bad = await call('GET', '/api/catalogue/classes?kind=thing');
    expectProblem(bad.res, bad.body, 400, 'urn:cityhub:problem:validation');
  });

  it('rejects a standard with errors as 422 listing them, stores nothing; a dry run only reports', async () => {
    const broken = sample.replace('破损超过25c㎡,4工作时', ',4工作时');
    const { res, body } = await call('POST', '/api/catalogue/standards/import?kind=component', { body: broken });
    expectProblem(res, body, 422, 'urn:cityhub:problem:invalid-standard');
    // The second situation of 0101 starts on line 6 (the first record spans lines 2–5).
    expect(body.errors).toEqual([{ row: 6, field: '立案条件', code: '0101', message: expect.any(String) }]);
    expect(body.warnings.length).toBeGreaterThan(0);
    const stored = await db.pool.query('SELECT count(*)::int AS n FROM class_standards');
    expect(stored.rows[0].n).toBe(0);

    const dry = await call('POST', '/api/catalogue/standards/import?kind=component&dryRun=true', { body: broken });
    expect(dry.res.status).toBe(200);
    expect(dry.body).toMatchObject({ dryRun: true, stored: false, errors: [expect.objectContaining({ row: 6 })] });
  });

  it('imports the 运城 sample and serves a class with its situations', async () => {
    const { res, body } = await call('POST', '/api/catalogue/standards/import?kind=component', { body: sample });
    expect(res.status).toBe(200);
    expect(body).toMatchObject({ classes: 66, situations: 279, errors: [], stored: true });
    expect(body.created).toHaveLength(28);
    expect(body.warnings.find((w: { row: number }) => w.row === 408)).toMatchObject({
      field: '处置时限',
      text: '种植季节15工作日',
    });

    const one = await call('GET', '/api/catalogue/classes/0402?kind=component', { token: COLLECTOR });
    expect(one.res.status).toBe(200);
    expect(one.body.class).toMatchObject({ kind: 'component', code: '0402' });
    expect(one.body.situations.map((s: { limitText: string }) => s.limitText)).toContain('种植季节15工作日');
    expect(one.body.situations.find((s: { limit: unknown }) => s.limit === null)).toBeTruthy();

    const ambiguous = await call('GET', '/api/catalogue/classes/0101');
    expectProblem(ambiguous.res, ambiguous.body, 400, 'urn:cityhub:problem:ambiguous-class');
    const missing = await call('GET', '/api/catalogue/classes/event:0950');
    expectProblem(missing.res, missing.body, 404, 'urn:cityhub:problem:class-not-found');
  });

  it('refuses a standard that is not sent as CSV, and a missing kind', async () => {
    const json = await call('POST', '/api/catalogue/standards/import?kind=component', { body: { a: 1 } });
    expect(json.res.status).toBe(415);
    const noKind = await call('POST', '/api/catalogue/standards/import', { body: sample });
    expectProblem(noKind.res, noKind.body, 400);
  });

  it('imports a catalogue numbering, and answers 422 with the issues for a broken one', async () => {
    const json = JSON.parse(
      await readFile(new URL('../catalogue/data/components-events.json', import.meta.url), 'utf8'),
    );
    const { res, body } = await call('POST', '/api/catalogue/import?numbering=gbt30428_2_2013', { body: json });
    expect(res.status).toBe(200);
    expect(body).toEqual({ numbering: 'gbt30428_2_2013', majors: 11, classes: 88 });
    // Now 0118 has the 2013-lineage name the 运城 file uses.
    const cls = await call('GET', '/api/catalogue/classes/component:0118');
    expect(cls.body.class.nameZh).toBe('化粪池井盖');

    const broken = await call('POST', '/api/catalogue/import', {
      body: { components: [{ code: 'x1', name_zh: 'a' }] },
    });
    expectProblem(broken.res, broken.body, 422, 'urn:cityhub:problem:invalid-catalogue');
    expect(broken.body.errors).toEqual([{ path: 'components[0].code', message: expect.any(String) }]);
  });
});

describe('catalogue API: departments and responsibility', () => {
  it('creates and changes departments, with 404 and 409', async () => {
    const water = await call('POST', '/api/departments', {
      body: { id: 'water', name: '运城市城市节约用水中心', kind: 'department' },
    });
    expect(water.res.status).toBe(201);
    expect(water.body).toMatchObject({ id: 'water', enabled: true, districtCode: null });
    const gov = await call('POST', '/api/departments', {
      body: { id: 'yanhu', name: '盐湖区人民政府', kind: 'districtGovernment', districtCode: '140802' },
    });
    expect(gov.res.status).toBe(201);
    const again = await call('POST', '/api/departments', { body: { id: 'water', name: 'x', kind: 'department' } });
    expectProblem(again.res, again.body, 409, 'urn:cityhub:problem:department-exists');
    const noDistrict = await call('POST', '/api/departments', {
      body: { id: 'g2', name: 'x', kind: 'districtGovernment' },
    });
    expectProblem(noDistrict.res, noDistrict.body, 400);
    const typo = await call('POST', '/api/departments', {
      body: { id: 'g3', name: 'x', kind: 'department', phone: '1' },
    });
    expectProblem(typo.res, typo.body, 400, 'urn:cityhub:problem:validation');
    const missing = await call('PATCH', '/api/departments/ghost', { body: { name: 'x' } });
    expectProblem(missing.res, missing.body, 404, 'urn:cityhub:problem:department-not-found');
    const patched = await call('PATCH', '/api/departments/water', { body: { contactPhone: '0359-2000000' } });
    expect(patched.body).toMatchObject({ contactPhone: '0359-2000000', name: '运城市城市节约用水中心' });
  });

  it('resolves by rule, falls back to the district government, and follows rule changes at once', async () => {
    const fallback = await call('GET', `/api/responsibility/resolve?class=0101&${AREA}`, { token: COLLECTOR });
    expect(fallback.body).toEqual({ resolution: { departmentId: 'yanhu', fallback: true, ruleId: null } });

    const created = await call('POST', '/api/responsibility/rules', {
      body: {
        classPattern: '01',
        classKind: 'component',
        areaLevel: 'street',
        areaCode: '140802001',
        departmentId: 'water',
      },
    });
    expect(created.res.status).toBe(201);
    const id = created.body.id as number;
    const byRule = await call('GET', `/api/responsibility/resolve?class=component:0103&${AREA}`);
    expect(byRule.body).toEqual({ resolution: { departmentId: 'water', fallback: false, ruleId: id } });
    // The rule is for components: an event 0103 still goes to the district.
    const event = await call('GET', `/api/responsibility/resolve?class=0103&kind=event&${AREA}`);
    expect(event.body.resolution).toMatchObject({ departmentId: 'yanhu', fallback: true });

    const unknown = await call('POST', '/api/responsibility/rules', {
      body: { classPattern: '*', areaLevel: 'city', areaCode: '140800', departmentId: 'ghost' },
    });
    expectProblem(unknown.res, unknown.body, 422, 'urn:cityhub:problem:unknown-department');
    const wrongLength = await call('POST', '/api/responsibility/rules', {
      body: { classPattern: '*', areaLevel: 'street', areaCode: '140800', departmentId: 'water' },
    });
    expectProblem(wrongLength.res, wrongLength.body, 400);

    const list = await call('GET', '/api/responsibility/rules', { token: COLLECTOR });
    expect(list.body.map((r: { id: number }) => r.id)).toEqual([id]);

    // Disabling the department through the API takes its rules out of resolution at once.
    await call('PATCH', '/api/departments/water', { body: { enabled: false } });
    const afterDisable = await call('GET', `/api/responsibility/resolve?class=component:0103&${AREA}`);
    expect(afterDisable.body.resolution).toMatchObject({ departmentId: 'yanhu', fallback: true });
    await call('PATCH', '/api/departments/water', { body: { enabled: true } });

    expect((await call('DELETE', `/api/responsibility/rules/${id}`)).res.status).toBe(204);
    const gone = await call('DELETE', `/api/responsibility/rules/${id}`);
    expectProblem(gone.res, gone.body, 404, 'urn:cityhub:problem:rule-not-found');

    const nowhere = await call(
      'GET',
      '/api/responsibility/resolve?class=0101&cell=140821001001001&community=140821001001&street=140821001&district=140821',
    );
    expect(nowhere.body).toEqual({ resolution: null });
  });

  it('documents every route in OpenAPI', async () => {
    const { body } = await call('GET', '/openapi.json');
    expect(Object.keys(body.paths).sort()).toEqual([
      '/api/catalogue/classes',
      '/api/catalogue/classes/{code}',
      '/api/catalogue/import',
      '/api/catalogue/standards/import',
      '/api/departments',
      '/api/departments/{id}',
      '/api/responsibility/resolve',
      '/api/responsibility/rules',
      '/api/responsibility/rules/{id}',
    ]);
  });
});
