// 设备管理接口 device registry API over real HTTP, against the real TimescaleDB test cluster.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import {
  expectProblem,
  fixedTokenAuthenticator,
  jsonCall,
  startApp,
  type CallOptions,
  type TestApp,
} from '../../test/support/http-app.js';
import { migrate } from '../db/migrate.js';
import { DeviceRegistry } from '../devices/registry.js';
import { deviceRoutes } from './devices.js';

const TOKEN = 'test-admin-token-0123456789';
/** A logged-in user with the role admin (the admin screens) and one without it. */
const ADMIN_USER = 'admin-user-session-token';
const DISPATCHER = 'dispatcher-session-token';
const auth = fixedTokenAuthenticator({
  [TOKEN]: { userId: 'admin-token', name: 'admin token', roles: ['admin'], departmentId: null },
  [ADMIN_USER]: { userId: 'u-admin', name: '系统管理员', roles: ['admin'], departmentId: null },
  [DISPATCHER]: { userId: 'u-disp', name: '派遣员', roles: ['dispatcher'], departmentId: null },
});
const GRID = '370102001001001';

let db: TestDatabase;
let registry: DeviceRegistry;
let server: TestApp;
let base: string;

beforeAll(async () => {
  db = await createTestDatabase();
  await migrate(db.pool);
  registry = new DeviceRegistry(db.pool);
  server = await startApp((app) => app.register(deviceRoutes, { registry, auth }));
  base = server.base;
});
afterAll(async () => {
  await server?.close();
  await db?.drop();
});

/** With the admin token unless `token` says otherwise (null: none; '': a blank one). */
const call = (method: string, path: string, opts: CallOptions = {}) =>
  jsonCall(base, method, path, { ...opts, token: opts.token === undefined ? TOKEN : opts.token });

describe('device registry API', () => {
  it('refuses every route without the admin token or with a wrong one', async () => {
    const routes: [string, string, unknown?][] = [
      ['POST', '/api/devices', { id: 'x', kind: 'sensor', name: 'x' }],
      ['GET', '/api/devices'],
      ['GET', '/api/devices/x'],
      ['PATCH', '/api/devices/x', { name: 'y' }],
      ['POST', '/api/devices/x/disable'],
      ['POST', '/api/devices/x/enable'],
      ['POST', '/api/devices/x/credential'],
      ['POST', '/api/devices/import', 'id,kind,name\nx,sensor,x\n'],
      ['POST', '/api/service-accounts', { name: 'x' }],
    ];
    for (const [method, path, body] of routes) {
      for (const token of [null, 'wrong-token', '']) {
        const { res, body: problem } = await call(method, path, { body, token });
        expectProblem(res, problem, 401);
        expect(res.headers.get('www-authenticate')).toContain('Bearer');
      }
    }
    expect((await registry.list()).total).toBe(0);
  });

  it('registers a device: 201 with the credential once, never the hash', async () => {
    const { res, body } = await call('POST', '/api/devices', {
      body: {
        id: 'veh-001',
        kind: 'vehicle',
        name: '环卫车 1 号',
        plate: '鲁A12345',
        department: 'hw-lixia',
        gridCodes: [GRID],
        attributes: { model: 'X1', axles: 2 },
        expectedIntervalS: 30,
      },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(body.credential).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(body.device).toEqual({
      id: 'veh-001',
      kind: 'vehicle',
      name: '环卫车 1 号',
      plate: '鲁A12345',
      staffId: null,
      department: 'hw-lixia',
      gridCodes: [GRID],
      attributes: { model: 'X1', axles: 2 },
      expectedIntervalS: 30,
      enabled: true,
      credentialRotatedAt: null,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      lastSeenAt: null,
      stale: true,
    });
    expect(JSON.stringify(body)).not.toMatch(/hash|scrypt/i);
    expect((await registry.verifyCredential('veh-001', body.credential))?.id).toBe('veh-001');
  });

  it('409 for an id that exists', async () => {
    const { res, body } = await call('POST', '/api/devices', { body: { id: 'veh-001', kind: 'camera', name: 'x' } });
    expectProblem(res, body, 409);
    expect(body.type).toBe('urn:cityhub:problem:device-exists');
    expect(body.detail).toContain('veh-001');
  });

  it('400 for bad input, saying what is wrong', async () => {
    const bad = async (payload: unknown, detail: string) => {
      const { res, body } = await call('POST', '/api/devices', { body: payload });
      expectProblem(res, body, 400);
      expect(body.type).toBe('urn:cityhub:problem:validation');
      expect(body.detail).toContain(detail);
      return body;
    };
    await bad({ id: 'x', kind: 'sensor', name: 'x', expectedInterval: 30 }, 'unknown property "expectedInterval"');
    await bad({ id: 'x', kind: 'truck', name: 'x' }, 'body.kind must be one of vehicle, collector, sensor, camera');
    await bad({ id: 'a/b', kind: 'sensor', name: 'x' }, 'body.id must match pattern');
    await bad({ id: 'x', kind: 'sensor' }, "must have required property 'name'");
    await bad({ id: 'x', kind: 'sensor', name: 'x', gridCodes: ['123'] }, 'body.gridCodes.0 must match pattern');
    await bad({ id: 'x', kind: 'sensor', name: 'x', expectedIntervalS: '30' }, 'body.expectedIntervalS must be');
    // Checked by the registry rather than the schema: the field list comes along.
    const blank = await bad({ id: 'x', kind: 'sensor', name: '   ' }, 'name is required');
    expect(blank.errors).toEqual([{ field: 'name', message: 'name is required' }]);
    await bad({ id: 'svc:x', kind: 'sensor', name: 'x' }, 'must not start with "svc:"');
    const notJson = await fetch(`${base}/api/devices`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: '{"id":',
    });
    expect(notJson.status).toBe(400);
    expect(notJson.headers.get('content-type')).toContain('application/problem+json');
    expect((await registry.list()).total).toBe(1);
  });

  it('gets one device, 404 for an unknown one', async () => {
    const { res, body } = await call('GET', '/api/devices/veh-001');
    expect(res.status).toBe(200);
    expect(body).toMatchObject({ id: 'veh-001', plate: '鲁A12345' });
    const missing = await call('GET', '/api/devices/veh-404');
    expectProblem(missing.res, missing.body, 404);
    expect(missing.body.type).toBe('urn:cityhub:problem:device-not-found');
    expectProblem((await call('GET', '/api/devices/bad%20id')).res, { status: 400 }, 400);
  });

  it('patches fields (null clears), refuses the id and unknown fields, 404 for an unknown device', async () => {
    const { res, body } = await call('PATCH', '/api/devices/veh-001', {
      body: { name: '环卫车 一号', plate: null, staffId: 'GH-1', expectedIntervalS: null },
    });
    expect(res.status).toBe(200);
    expect(body).toMatchObject({ name: '环卫车 一号', plate: null, staffId: 'GH-1', expectedIntervalS: null });
    expect(body).toMatchObject({ department: 'hw-lixia', gridCodes: [GRID], stale: false });
    const withId = await call('PATCH', '/api/devices/veh-001', { body: { id: 'veh-002' } });
    expectProblem(withId.res, withId.body, 400);
    expect(withId.body.detail).toContain('unknown property "id"');
    const nullName = await call('PATCH', '/api/devices/veh-001', { body: { name: null } });
    expectProblem(nullName.res, nullName.body, 400);
    const missing = await call('PATCH', '/api/devices/veh-404', { body: { name: 'x' } });
    expectProblem(missing.res, missing.body, 404);
  });

  it('disables and enables; a disabled device cannot log in', async () => {
    const created = await call('POST', '/api/devices', { body: { id: 'col-001', kind: 'collector', name: '张三' } });
    const credential = created.body.credential as string;
    expect(await registry.verifyCredential('col-001', credential)).not.toBeNull();

    const disabled = await call('POST', '/api/devices/col-001/disable');
    expect(disabled.res.status).toBe(200);
    expect(disabled.body.enabled).toBe(false);
    expect(await registry.verifyCredential('col-001', credential)).toBeNull();

    const enabled = await call('POST', '/api/devices/col-001/enable');
    expect(enabled.body.enabled).toBe(true);
    expect(await registry.verifyCredential('col-001', credential)).not.toBeNull();
    expectProblem((await call('POST', '/api/devices/nope/disable')).res, { status: 404 }, 404);
  });

  it('rotates the credential: the old one stops working at once', async () => {
    const created = await call('POST', '/api/devices', { body: { id: 'cam-001', kind: 'camera', name: '路口' } });
    const old = created.body.credential as string;
    // Cached by this process's registry, as after an MQTT login.
    expect(await registry.verifyCredential('cam-001', old)).not.toBeNull();
    expect(await registry.verifyCredential('cam-001', old)).not.toBeNull();

    const { res, body } = await call('POST', '/api/devices/cam-001/credential');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(Object.keys(body)).toEqual(['credential']);
    expect(body.credential).not.toBe(old);
    expect(await registry.verifyCredential('cam-001', old)).toBeNull();
    expect(await registry.verifyCredential('cam-001', body.credential)).not.toBeNull();
    expect((await call('GET', '/api/devices/cam-001')).body.credentialRotatedAt).toMatch(/^\d{4}-/);
    expectProblem((await call('POST', '/api/devices/nope/credential')).res, { status: 404 }, 404);
  });

  it('lists with filters and paging', async () => {
    const page = await call('GET', '/api/devices?limit=2');
    expect(page.res.status).toBe(200);
    expect(page.body).toMatchObject({ total: 3, limit: 2, offset: 0 });
    expect(page.body.items.map((d: { id: string }) => d.id)).toEqual(['cam-001', 'col-001']);
    const next = await call('GET', '/api/devices?limit=2&offset=2');
    expect(next.body.items.map((d: { id: string }) => d.id)).toEqual(['veh-001']);

    const ids = async (query: string) =>
      ((await call('GET', `/api/devices?${query}`)).body.items as { id: string }[]).map((d) => d.id);
    await call('POST', '/api/devices/cam-001/disable');
    expect(await ids('enabled=false')).toEqual(['cam-001']);
    expect(await ids('enabled=true&kind=collector')).toEqual(['col-001']);
    expect(await ids(`grid=${GRID}`)).toEqual(['veh-001']);
    expect(await ids('department=hw-lixia')).toEqual(['veh-001']);
    expect(await ids(`q=${encodeURIComponent('一号')}`)).toEqual(['veh-001']);
    expect(await ids('q=gh-1')).toEqual(['veh-001']);
    expect(await ids('stale=true')).toEqual([]);
    expect(await ids('stale=false')).toEqual(['cam-001', 'col-001', 'veh-001']);

    for (const query of ['limit=501', 'limit=0', 'offset=-1', 'kind=truck', 'enabled=maybe', 'grid=12', 'colour=red']) {
      const { res, body } = await call('GET', `/api/devices?${query}`);
      expectProblem(res, body, 400);
    }
  });

  it('imports a mixed CSV: valid rows created with their credentials, the others reported', async () => {
    const csv = [
      'id,kind,name,plate,staff_id,department,grid_codes,expected_interval_s,attributes',
      `imp-1,vehicle,"车, 一",鲁B1,,hw,${GRID},60,"{""a"":1}"`,
      'imp-2,sensor,"井盖 ""3""",,,,,,',
      'imp-3,truck,x,,,,,,',
      'veh-001,camera,exists,,,,,,',
      'imp-1,camera,twice,,,,,,',
    ].join('\r\n');
    const { res, body } = await call('POST', '/api/devices/import', { body: `\uFEFF${csv}` });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(body.created).toEqual([
      { row: 2, id: 'imp-1', credential: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/) },
      { row: 3, id: 'imp-2', credential: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/) },
    ]);
    expect(body.errors).toEqual([
      { row: 4, id: 'imp-3', field: 'kind', message: 'kind must be one of vehicle, collector, sensor, camera' },
      { row: 5, id: 'veh-001', field: 'id', message: 'a device with id "veh-001" already exists' },
      { row: 6, id: 'imp-1', field: 'id', message: 'id "imp-1" is already used in row 2 of this file' },
    ]);
    expect((await call('GET', '/api/devices/imp-2')).body.name).toBe('井盖 "3"');
    expect(await registry.verifyCredential('imp-1', body.created[0].credential)).not.toBeNull();
  });

  it('reads GB18030 as Excel on a Chinese Windows writes it, and a declared charset', async () => {
    const nihao = Buffer.from([0xc4, 0xe3, 0xba, 0xc3]); // 你好 in GBK
    const file = Buffer.concat([Buffer.from('id,kind,name\r\ngbk-1,sensor,'), nihao, Buffer.from('\r\n')]);
    const { res, body } = await call('POST', '/api/devices/import', { body: new Uint8Array(file) });
    expect(res.status).toBe(200);
    expect(body.errors).toEqual([]);
    expect((await registry.get('gbk-1')).name).toBe('你好');
    const declared = Buffer.concat([Buffer.from('id,kind,name\ngbk-2,sensor,'), nihao]);
    const again = await call('POST', '/api/devices/import', {
      body: new Uint8Array(declared),
      contentType: 'text/csv; charset=GBK',
    });
    expect(again.body.created).toHaveLength(1);
    expect((await registry.get('gbk-2')).name).toBe('你好');
    const unknown = await call('POST', '/api/devices/import', {
      body: 'id,kind,name\n',
      contentType: 'text/csv; charset=x',
    });
    expectProblem(unknown.res, unknown.body, 415);
  });

  it('400 problem for a file without a usable header; 415 for anything but text/csv; 413 past 10 MiB', async () => {
    const unknownColumn = await call('POST', '/api/devices/import', { body: 'id,kind,name,colour\nx,sensor,y,red\n' });
    expectProblem(unknownColumn.res, unknownColumn.body, 400);
    expect(unknownColumn.body.type).toBe('urn:cityhub:problem:invalid-csv');
    expect(unknownColumn.body.detail).toContain('unknown column "colour"');
    expect(unknownColumn.body.errors).toEqual([{ row: 1, message: expect.stringContaining('"colour"') }]);

    const empty = await call('POST', '/api/devices/import', { body: '' });
    expectProblem(empty.res, empty.body, 400);
    expect(empty.body.detail).toContain('the file is empty');

    const json = await call('POST', '/api/devices/import', { body: { id: 'x' } });
    expectProblem(json.res, json.body, 415);
    const octets = await call('POST', '/api/devices/import', {
      body: 'id,kind,name\n',
      contentType: 'application/octet-stream',
    });
    expectProblem(octets.res, octets.body, 415);

    const huge = `id,kind,name\n${'x'.repeat(10 * 1024 * 1024)}`;
    const tooLarge = await call('POST', '/api/devices/import', { body: huge });
    expectProblem(tooLarge.res, tooLarge.body, 413);
  });

  it('creates service accounts: 201 with the credential, 409 when the name is taken', async () => {
    const { res, body } = await call('POST', '/api/service-accounts', {
      body: { name: 'rules', description: '规则引擎' },
    });
    expect(res.status).toBe(201);
    expect(body).toEqual({ name: 'rules', credential: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/) });
    expect(await registry.verifyServiceAccount('rules', body.credential)).toMatchObject({ description: '规则引擎' });
    const again = await call('POST', '/api/service-accounts', { body: { name: 'rules' } });
    expectProblem(again.res, again.body, 409);
    const bad = await call('POST', '/api/service-accounts', { body: { name: 'has space' } });
    expectProblem(bad.res, bad.body, 400);
  });

  it('documents every route in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { tags?: string[]; summary?: string; requestBody?: unknown }>>;
    };
    const expected: [string, string][] = [
      ['/api/devices', 'post'],
      ['/api/devices', 'get'],
      ['/api/devices/{deviceId}', 'get'],
      ['/api/devices/{deviceId}', 'patch'],
      ['/api/devices/{deviceId}/disable', 'post'],
      ['/api/devices/{deviceId}/enable', 'post'],
      ['/api/devices/{deviceId}/credential', 'post'],
      ['/api/devices/import', 'post'],
      ['/api/service-accounts', 'post'],
    ];
    for (const [path, method] of expected) {
      const op = doc.paths[path]?.[method];
      expect(op, `${method} ${path}`).toBeDefined();
      expect(op!.tags).toEqual(['devices']);
      expect(op!.summary).toBeTruthy();
    }
    expect(JSON.stringify(doc.paths['/api/devices/import']!.post!.requestBody)).toContain('text/csv');
  });
});

describe('who may administer devices', () => {
  it('an admin user’s session works like the admin token; another role gets 403 on every route', async () => {
    const created = await call('POST', '/api/devices', {
      token: ADMIN_USER,
      body: { id: 'sen-admin-ui', kind: 'sensor', name: '满溢传感器' },
    });
    expect(created.res.status).toBe(201);
    expect(created.body.credential).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const routes: [string, string, unknown?][] = [
      ['POST', '/api/devices', { id: 'x', kind: 'sensor', name: 'x' }],
      ['GET', '/api/devices'],
      ['GET', '/api/devices/sen-admin-ui'],
      ['PATCH', '/api/devices/sen-admin-ui', { name: 'y' }],
      ['POST', '/api/devices/sen-admin-ui/disable'],
      ['POST', '/api/devices/sen-admin-ui/enable'],
      ['POST', '/api/devices/sen-admin-ui/credential'],
      ['POST', '/api/devices/import', 'id,kind,name\nx,sensor,x\n'],
      ['POST', '/api/service-accounts', { name: 'x' }],
    ];
    for (const [method, path, body] of routes) {
      const { res, body: problem } = await call(method, path, { body, token: DISPATCHER });
      expectProblem(res, problem, 403);
      expect(problem.detail).toContain('admin');
    }
    const device = await registry.get('sen-admin-ui');
    expect(device).toMatchObject({ name: '满溢传感器', enabled: true, credentialRotatedAt: null });
    expect((await call('GET', '/api/devices/x', { token: ADMIN_USER })).res.status).toBe(404);
  });
});
