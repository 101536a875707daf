// 监督员名录接口 the collector directory over real HTTP against the real test database: who may ask, what it answers
// (enabled collectors only, their open tasks counted), and the search.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import {
  expectProblem,
  fixedTokenAuthenticator,
  jsonCall,
  startApp,
  type TestApp,
} from '../../test/support/http-app.js';
import { migrate } from '../db/migrate.js';
import { collectorRoutes } from './collectors.js';

const ACCEPTOR = 'acceptor-token-test';
const DISPATCHER = 'dispatcher-token-test';
const COLLECTOR = 'collector-token-test';
const DEPARTMENT = 'department-token-test';

const auth = fixedTokenAuthenticator({
  [ACCEPTOR]: { userId: 'acc', name: '受理员', roles: ['acceptor'], departmentId: null },
  [DISPATCHER]: { userId: 'disp', name: '派遣员', roles: ['dispatcher'], departmentId: null },
  [COLLECTOR]: { userId: 'col-a', name: '监督员 张伟', roles: ['collector'], departmentId: null },
  [DEPARTMENT]: { userId: 'w1', name: '水务', roles: ['department'], departmentId: 'water' },
});

let db: TestDatabase;
let server: TestApp;

async function addUser(id: string, name: string, roles: string[], staffId: string | null, enabled = true) {
  await db.pool.query(
    `INSERT INTO users (id, username, name, roles, staff_id, enabled, password_hash) VALUES ($1, $1, $2, $3, $4, $5, 'x')`,
    [id, name, roles, staffId, enabled],
  );
}

let caseSeq = 0;
async function addCase(state: string, verifierId: string | null, reinspectorId: string | null) {
  caseSeq += 1;
  await db.pool.query(
    `INSERT INTO cases (number, state, source, class_kind, class_code, lon, lat, reported_at, verifier_id, reinspector_id)
     VALUES ($1, $2, 'collector', 'component', '0101', 117, 36.6, now(), $3, $4)`,
    [`20261201-${String(caseSeq).padStart(4, '0')}`, state, verifierId, reinspectorId],
  );
}

beforeAll(async () => {
  db = await createTestDatabase();
  await migrate(db.pool);
  await addUser('col-a', '监督员 张伟', ['collector'], 'J001');
  await addUser('col-b', '监督员 李强', ['collector', 'acceptor'], 'J002');
  await addUser('col-off', '监督员 已停用', ['collector'], 'J003', false);
  await addUser('acc', '受理员 李娜', ['acceptor'], null);
  // col-a: one verification and one re-inspection open; the finished or reassigned ones do not count.
  await addCase('verifying', 'col-a', null);
  await addCase('reinspecting', null, 'col-a');
  await addCase('reported', 'col-a', null); // verified already: back to the acceptor
  await addCase('reinspected', null, 'col-a');
  await addCase('reinspecting', 'col-a', 'col-b'); // verified by col-a long ago, re-inspected by col-b now
  server = await startApp((app) => app.register(collectorRoutes, { pool: db.pool, auth }));
});

afterAll(async () => {
  await server?.close();
  await db?.drop();
});

const call = (path: string, token: string | null) => jsonCall(server.base, 'GET', path, { token });

describe('collector directory', () => {
  it('answers the enabled collectors with their open tasks', async () => {
    const { res, body } = await call('/api/collectors', ACCEPTOR);
    expect(res.status).toBe(200);
    // By name in the database's collation (code points or pinyin): compare as a set.
    expect(body.items).toHaveLength(2);
    expect(body.items).toEqual(
      expect.arrayContaining([
        { id: 'col-b', name: '监督员 李强', staffId: 'J002', openTasks: 1 },
        { id: 'col-a', name: '监督员 张伟', staffId: 'J001', openTasks: 2 },
      ]),
    );
  });

  it('finds by staff number or name', async () => {
    expect((await call('/api/collectors?q=J001', DISPATCHER)).body.items.map((c: { id: string }) => c.id)).toEqual([
      'col-a',
    ]);
    expect((await call(`/api/collectors?q=${encodeURIComponent('李强')}`, DISPATCHER)).body.items).toHaveLength(1);
    // LIKE wildcards are text, not patterns.
    expect((await call('/api/collectors?q=%25', DISPATCHER)).body.items).toEqual([]);
  });

  it('is for the supervision centre: 401 without a token, 403 for collectors and departments', async () => {
    const anon = await call('/api/collectors', null);
    expectProblem(anon.res, anon.body, 401);
    for (const token of [COLLECTOR, DEPARTMENT]) {
      const { res, body } = await call('/api/collectors', token);
      expectProblem(res, body, 403, 'urn:cityhub:problem:forbidden');
    }
    const bad = await call('/api/collectors?role=admin', ACCEPTOR);
    expectProblem(bad.res, bad.body, 400);
  });

  it('is documented in the OpenAPI document', async () => {
    const doc = (await jsonCall(server.base, 'GET', '/openapi.json')).body;
    expect(doc.paths['/api/collectors'].get.responses).toHaveProperty('200');
  });
});
