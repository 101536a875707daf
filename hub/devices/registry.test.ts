// 设备注册 device registry against the real TimescaleDB test cluster: CRUD, credentials and their cache, last seen and
// staleness, list filters and paging, CSV import.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { migrate } from '../db/migrate.js';
import { DeviceRegistry, parseCsv, RegistryError, type NewDevice } from './registry.js';

let db: TestDatabase;
let registry: DeviceRegistry;

beforeAll(async () => {
  db = await createTestDatabase();
  await migrate(db.pool);
  registry = new DeviceRegistry(db.pool);
});
afterAll(async () => {
  await db?.drop();
});

/** The RegistryError a promise rejects with (fails the test if it resolves or throws something else). */
async function registryError(promise: Promise<unknown>): Promise<RegistryError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RegistryError);
  return err as RegistryError;
}

const GRID_A = '370102001001001';
const GRID_B = '370102001001002';

describe('create, get, update', () => {
  it('registers a device and returns its credential once, never its hash', async () => {
    const { device, credential } = await registry.create({
      id: 'veh-001',
      kind: 'vehicle',
      name: '  环卫车 1 号 ',
      plate: '鲁A·D12345',
      department: 'hw-lixia',
      gridCodes: [GRID_A, GRID_B, GRID_A],
      attributes: { model: 'JT808-X1' },
      expectedIntervalS: 30,
    });
    expect(credential).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(device).toMatchObject({
      id: 'veh-001',
      kind: 'vehicle',
      name: '环卫车 1 号',
      plate: '鲁A·D12345',
      staffId: null,
      department: 'hw-lixia',
      gridCodes: [GRID_A, GRID_B],
      attributes: { model: 'JT808-X1' },
      expectedIntervalS: 30,
      enabled: true,
      lastSeenAt: null,
      credentialRotatedAt: null,
      // Never seen, but expected every 30 s.
      stale: true,
    });
    expect(device.createdAt).toBeInstanceOf(Date);
    expect(JSON.stringify(device)).not.toContain('scrypt');
    expect(await registry.get('veh-001')).toEqual(device);
    const { rows } = await db.pool.query('SELECT credential_hash FROM devices WHERE id = $1', ['veh-001']);
    expect(rows[0].credential_hash).toMatch(/^scrypt\$2048\$8\$1\$/);
    expect(rows[0].credential_hash).not.toContain(credential);
  });

  it('refuses an id that exists', async () => {
    await registry.create({ id: 'dup-1', kind: 'sensor', name: 'x' });
    const err = await registryError(registry.create({ id: 'dup-1', kind: 'camera', name: 'y' }));
    expect(err.code).toBe('DeviceExists');
    expect((await registry.get('dup-1')).kind).toBe('sensor');
  });

  it('refuses invalid input, naming every field at fault', async () => {
    const err = await registryError(
      registry.create({
        id: 'bad id/with slash',
        kind: 'truck',
        name: '   ',
        gridCodes: ['12345'],
        expectedIntervalS: 0,
        attributes: [] as unknown as Record<string, unknown>,
      } as unknown as NewDevice),
    );
    expect(err.code).toBe('InvalidDevice');
    expect(err.issues.map((i) => i.field).sort()).toEqual(
      ['attributes', 'expectedIntervalS', 'gridCodes', 'id', 'kind', 'name'].sort(),
    );
    expect(err.message).toContain('kind must be one of vehicle, collector, sensor, camera');
  });

  it('keeps the svc: prefix for service accounts', async () => {
    const err = await registryError(registry.create({ id: 'svc:rules', kind: 'sensor', name: 'x' }));
    expect(err.issues[0]).toMatchObject({ field: 'id', message: expect.stringContaining('svc:') });
  });

  it('throws DeviceNotFound for an unknown id', async () => {
    expect((await registryError(registry.get('nope'))).code).toBe('DeviceNotFound');
    expect((await registryError(registry.update('nope', { name: 'x' }))).code).toBe('DeviceNotFound');
    expect((await registryError(registry.setEnabled('nope', false))).code).toBe('DeviceNotFound');
    expect((await registryError(registry.rotateCredential('nope'))).code).toBe('DeviceNotFound');
  });

  it('updates the given fields only; null clears', async () => {
    const before = await registry.get('veh-001');
    const after = await registry.update('veh-001', {
      name: '环卫车 一号',
      plate: null,
      staffId: 'GH-0042',
      gridCodes: [],
      expectedIntervalS: null,
    });
    expect(after).toMatchObject({
      id: 'veh-001',
      kind: 'vehicle',
      name: '环卫车 一号',
      plate: null,
      staffId: 'GH-0042',
      department: 'hw-lixia',
      gridCodes: [],
      attributes: { model: 'JT808-X1' },
      expectedIntervalS: null,
      stale: false,
    });
    expect(after.updatedAt.getTime()).toBeGreaterThanOrEqual(before.updatedAt.getTime());
    expect(after.createdAt).toEqual(before.createdAt);
    // Nothing to change: the device as it is.
    expect(await registry.update('veh-001', {})).toEqual(after);
    const err = await registryError(registry.update('veh-001', { name: '' }));
    expect(err.issues).toEqual([{ field: 'name', message: 'name is required' }]);
  });
});

describe('credentials', () => {
  it('verify only the right credential of an enabled device', async () => {
    const { credential } = await registry.create({ id: 'col-001', kind: 'collector', name: '采集员 张三' });
    expect((await registry.verifyCredential('col-001', credential))?.id).toBe('col-001');
    expect(await registry.verifyCredential('col-001', `${credential}x`)).toBeNull();
    expect(await registry.verifyCredential('col-001', '')).toBeNull();
    expect(await registry.verifyCredential('col-002', credential)).toBeNull();
    expect(await registry.verifyCredential('not a valid id', credential)).toBeNull();

    await registry.setEnabled('col-001', false);
    expect(await registry.verifyCredential('col-001', credential)).toBeNull();
    // Disabled is only told to someone who knows the credential.
    expect(await registry.authenticateDevice('col-001', credential)).toEqual({ ok: false, reason: 'disabled' });
    expect(await registry.authenticateDevice('col-001', 'guess')).toEqual({ ok: false, reason: 'bad_credentials' });
    expect(await registry.authenticateDevice('col-404', 'guess')).toEqual({ ok: false, reason: 'unknown' });

    const enabled = await registry.setEnabled('col-001', true);
    expect(enabled.enabled).toBe(true);
    expect((await registry.verifyCredential('col-001', credential))?.enabled).toBe(true);
  });

  it('rotate: the old credential stops working, the new one works, the cached verification is dropped', async () => {
    const local = new DeviceRegistry(db.pool);
    const { credential: old } = await local.create({ id: 'cam-001', kind: 'camera', name: '路口 1' });
    expect(await local.verifyCredential('cam-001', old)).not.toBeNull();
    expect(local.verificationStats()).toEqual({ cacheHits: 0, scryptRuns: 1, cacheSize: 1 });
    // A reconnect: no scrypt.
    expect(await local.verifyCredential('cam-001', old)).not.toBeNull();
    expect(local.verificationStats()).toEqual({ cacheHits: 1, scryptRuns: 1, cacheSize: 1 });

    const fresh = await local.rotateCredential('cam-001');
    expect(fresh).not.toBe(old);
    expect(local.verificationStats().cacheSize).toBe(0);
    expect(await local.verifyCredential('cam-001', old)).toBeNull();
    expect(await local.verifyCredential('cam-001', fresh)).not.toBeNull();
    expect((await local.get('cam-001')).credentialRotatedAt).toBeInstanceOf(Date);
  });

  it('disable and update drop the cached verification too', async () => {
    const local = new DeviceRegistry(db.pool);
    const { credential } = await local.create({ id: 'cam-002', kind: 'camera', name: '路口 2' });
    await local.verifyCredential('cam-002', credential);
    expect(local.verificationStats().cacheSize).toBe(1);
    await local.update('cam-002', { name: '路口 二' });
    expect(local.verificationStats().cacheSize).toBe(0);
    await local.verifyCredential('cam-002', credential);
    await local.setEnabled('cam-002', false);
    expect(local.verificationStats().cacheSize).toBe(0);
  });

  it('a change made by another hub process takes effect at once, cache or not', async () => {
    const hubA = new DeviceRegistry(db.pool);
    const hubB = new DeviceRegistry(db.pool);
    const { credential } = await hubA.create({ id: 'cam-003', kind: 'camera', name: '路口 3' });
    expect(await hubB.verifyCredential('cam-003', credential)).not.toBeNull();
    expect(await hubB.verifyCredential('cam-003', credential)).not.toBeNull();
    expect(hubB.verificationStats().cacheHits).toBe(1);

    await hubA.setEnabled('cam-003', false);
    expect(await hubB.verifyCredential('cam-003', credential)).toBeNull();
    await hubA.setEnabled('cam-003', true);
    expect(await hubB.verifyCredential('cam-003', credential)).not.toBeNull();

    const fresh = await hubA.rotateCredential('cam-003');
    // hubB still has the old credential cached, but bound to the old hash.
    expect(await hubB.verifyCredential('cam-003', credential)).toBeNull();
    expect(await hubB.verifyCredential('cam-003', fresh)).not.toBeNull();
  });

  it('the cache expires after its TTL and keeps at most its size', async () => {
    let now = 1_000_000;
    const local = new DeviceRegistry(db.pool, { cacheTtlMs: 60_000, cacheMaxEntries: 2, now: () => now });
    const creds = new Map<string, string>();
    for (const id of ['ttl-1', 'ttl-2', 'ttl-3']) {
      creds.set(id, (await local.create({ id, kind: 'sensor', name: id })).credential);
    }
    await local.verifyCredential('ttl-1', creds.get('ttl-1')!);
    now += 59_000;
    await local.verifyCredential('ttl-1', creds.get('ttl-1')!);
    expect(local.verificationStats()).toMatchObject({ cacheHits: 1, scryptRuns: 1 });
    now += 2_000;
    await local.verifyCredential('ttl-1', creds.get('ttl-1')!);
    expect(local.verificationStats()).toMatchObject({ cacheHits: 1, scryptRuns: 2 });

    // ttl-1 is the least recently used when ttl-3 comes in.
    await local.verifyCredential('ttl-2', creds.get('ttl-2')!);
    await local.verifyCredential('ttl-3', creds.get('ttl-3')!);
    expect(local.verificationStats()).toMatchObject({ scryptRuns: 4, cacheSize: 2 });
    await local.verifyCredential('ttl-2', creds.get('ttl-2')!);
    await local.verifyCredential('ttl-3', creds.get('ttl-3')!);
    expect(local.verificationStats()).toMatchObject({ cacheHits: 3, scryptRuns: 4 });
    await local.verifyCredential('ttl-1', creds.get('ttl-1')!);
    expect(local.verificationStats()).toMatchObject({ cacheHits: 3, scryptRuns: 5, cacheSize: 2 });
  });

  it('a wrong password is never cached as right', async () => {
    const local = new DeviceRegistry(db.pool);
    const { credential } = await local.create({ id: 'neg-1', kind: 'sensor', name: 'x' });
    await local.verifyCredential('neg-1', credential);
    expect(await local.verifyCredential('neg-1', 'wrong')).toBeNull();
    expect(await local.verifyCredential('neg-1', 'wrong')).toBeNull();
    expect(await local.verifyCredential('neg-1', credential)).not.toBeNull();
  });

  it('service accounts', async () => {
    const credential = await registry.createServiceAccount('rules-engine', '规则引擎');
    expect(await registry.verifyServiceAccount('rules-engine', credential)).toMatchObject({
      name: 'rules-engine',
      description: '规则引擎',
      enabled: true,
    });
    expect(await registry.verifyServiceAccount('rules-engine', 'nope')).toBeNull();
    expect(await registry.verifyServiceAccount('other', credential)).toBeNull();
    // Service accounts and devices are separate: the same secret is no device's.
    expect(await registry.verifyCredential('rules-engine', credential)).toBeNull();
    expect((await registryError(registry.createServiceAccount('rules-engine', ''))).code).toBe('ServiceAccountExists');
    expect((await registryError(registry.createServiceAccount('bad name', ''))).code).toBe('InvalidServiceAccount');
    await db.pool.query(`UPDATE service_accounts SET enabled = false WHERE name = 'rules-engine'`);
    expect(await registry.authenticateServiceAccount('rules-engine', credential)).toEqual({
      ok: false,
      reason: 'disabled',
    });
  });
});

describe('last seen and staleness', () => {
  it('touches many devices in one call and never moves last seen backwards', async () => {
    for (const id of ['seen-1', 'seen-2']) await registry.create({ id, kind: 'vehicle', name: id });
    const t1 = new Date('2026-03-01T08:00:00Z');
    const t0 = new Date('2026-03-01T07:00:00Z');
    expect(await registry.touchLastSeen(['seen-1', 'seen-2', 'seen-1', 'unknown-9'], t1)).toBe(2);
    expect((await registry.get('seen-1')).lastSeenAt).toEqual(t1);
    expect(await registry.touchLastSeen(['seen-1'], t0)).toBe(0);
    expect((await registry.get('seen-1')).lastSeenAt).toEqual(t1);
    expect(await registry.touchLastSeen([], t1)).toBe(0);
    const t2 = new Date('2026-03-01T09:00:00Z');
    await registry.touchLastSeen(['seen-2'], t2);
    expect((await registry.get('seen-2')).lastSeenAt).toEqual(t2);
  });

  it('stale: expected interval passed, or never seen; no interval is never stale', async () => {
    await registry.create({ id: 'st-fresh', kind: 'sensor', name: 'a', expectedIntervalS: 60 });
    await registry.create({ id: 'st-late', kind: 'sensor', name: 'b', expectedIntervalS: 60 });
    await registry.create({ id: 'st-never', kind: 'sensor', name: 'c', expectedIntervalS: 60 });
    await registry.create({ id: 'st-none', kind: 'sensor', name: 'd' });
    await registry.touchLastSeen(['st-fresh'], new Date(Date.now() - 10_000));
    await registry.touchLastSeen(['st-late', 'st-none'], new Date(Date.now() - 120_000));
    const stale = Object.fromEntries((await registry.list({ q: 'st-' })).items.map((d) => [d.id, d.stale] as const));
    expect(stale).toEqual({ 'st-fresh': false, 'st-late': true, 'st-never': true, 'st-none': false });
    expect((await registry.list({ q: 'st-', stale: true })).items.map((d) => d.id)).toEqual(['st-late', 'st-never']);
    expect((await registry.list({ q: 'st-', stale: false })).items.map((d) => d.id)).toEqual(['st-fresh', 'st-none']);
  });
});

describe('list', () => {
  beforeAll(async () => {
    await db.pool.query('TRUNCATE devices CASCADE');
    const kinds = ['vehicle', 'collector', 'sensor', 'camera'] as const;
    const csv = ['id,kind,name,plate,staff_id,department,grid_codes,expected_interval_s'];
    for (let i = 0; i < 25; i++) {
      const n = String(i).padStart(2, '0');
      const kind = kinds[i % 4]!;
      csv.push(
        [
          `L${n}`,
          kind,
          `Device ${n}`,
          kind === 'vehicle' ? `鲁A${n}${n}X` : '',
          kind === 'collector' ? `GH-${n}` : '',
          i < 10 ? 'lixia' : 'shizhong',
          i % 5 === 0 ? `${GRID_A};${GRID_B}` : GRID_B,
          i % 2 ? '60' : '',
        ].join(','),
      );
    }
    csv.push('odd_id.1:x,sensor,Underscore,,,,,');
    const report = await registry.importCsv(csv.join('\n'));
    expect(report.errors).toEqual([]);
    expect(report.created).toHaveLength(26);
    await registry.setEnabled('L03', false);
    await registry.setEnabled('L07', false);
  });

  const ids = async (...args: Parameters<DeviceRegistry['list']>) =>
    (await registry.list(...args)).items.map((d) => d.id);

  it('pages in id order with the total', async () => {
    const all = await registry.list({}, { limit: 500 });
    expect(all.total).toBe(26);
    const sorted = all.items.map((d) => d.id);
    expect(sorted).toEqual([...sorted].sort());
    const p1 = await registry.list({}, { limit: 10 });
    const p3 = await registry.list({}, { limit: 10, offset: 20 });
    expect(p1).toMatchObject({ total: 26, limit: 10, offset: 0 });
    expect(p1.items.map((d) => d.id)).toEqual(sorted.slice(0, 10));
    expect(p3.items.map((d) => d.id)).toEqual(sorted.slice(20));
    // Past the end: no items, still the total.
    expect(await registry.list({}, { limit: 10, offset: 40 })).toEqual({ items: [], total: 26, limit: 10, offset: 40 });
    expect((await registry.list()).limit).toBe(100);
    expect((await registryError(registry.list({}, { limit: 501 }))).code).toBe('InvalidQuery');
    expect((await registryError(registry.list({}, { offset: -1 }))).code).toBe('InvalidQuery');
  });

  it('filters by kind, enabled, department, grid and stale, combined', async () => {
    expect(await ids({ kind: 'camera' })).toEqual(['L03', 'L07', 'L11', 'L15', 'L19', 'L23']);
    expect(await ids({ enabled: false })).toEqual(['L03', 'L07']);
    expect((await registry.list({ enabled: true })).total).toBe(24);
    expect(await ids({ kind: 'camera', enabled: true, department: 'lixia' })).toEqual([]);
    expect(await ids({ kind: 'camera', enabled: true, department: 'shizhong' })).toEqual(['L11', 'L15', 'L19', 'L23']);
    expect(await ids({ grid: GRID_A })).toEqual(['L00', 'L05', 'L10', 'L15', 'L20']);
    expect(await ids({ grid: GRID_A, kind: 'vehicle' })).toEqual(['L00', 'L20']);
    expect(await ids({ grid: '999999999999999' })).toEqual([]);
    // Odd numbers have an expected interval and were never seen.
    expect((await registry.list({ stale: true })).total).toBe(12);
    expect(await ids({ stale: true, department: 'lixia', kind: 'collector' })).toEqual(['L01', 'L05', 'L09']);
  });

  it('searches id, name, plate and staff id, case-insensitively, with wildcards taken literally', async () => {
    expect(await ids({ q: 'l2' })).toEqual(['L20', 'L21', 'L22', 'L23', 'L24']);
    expect(await ids({ q: 'device 1' })).toEqual(await ids({ q: 'L1' }));
    expect(await ids({ q: '鲁A0404' })).toEqual(['L04']);
    expect(await ids({ q: 'gh-13' })).toEqual(['L13']);
    expect(await ids({ q: '_' })).toEqual(['odd_id.1:x']);
    expect(await ids({ q: '%' })).toEqual([]);
    expect((await registry.list({ q: '   ' })).total).toBe(26);
    // Never across two fields: the end of one id and the start of its name.
    expect(await ids({ q: '00Device' })).toEqual([]);
  });
});

describe('CSV', () => {
  it('parses quoted fields, doubled quotes, line breaks in quotes, CRLF and a BOM', () => {
    const text = '\uFEFFa,b,c\r\n"x, y","say ""hi""",\r\n"multi\nline",2,3\n\nlast,"",z';
    expect(parseCsv(text)).toEqual([
      { row: 1, fields: ['a', 'b', 'c'] },
      { row: 2, fields: ['x, y', 'say "hi"', ''] },
      { row: 3, fields: ['multi\nline', '2', '3'] },
      { row: 4, fields: [''] },
      { row: 5, fields: ['last', '', 'z'] },
    ]);
    expect(parseCsv('a\rb\r')).toEqual([
      { row: 1, fields: ['a'] },
      { row: 2, fields: ['b'] },
    ]);
    expect(parseCsv('12" pipe,x')).toEqual([{ row: 1, fields: ['12" pipe', 'x'] }]);
    expect(parseCsv('')).toEqual([]);
    expect(() => parseCsv('a,b\n"open,x\n')).toThrow('row 2: a quoted field is never closed');
    expect(() => parseCsv('a,b\n"x"y,z\n')).toThrow('row 2: after a closing quote');
  });

  it('imports the valid rows of a mixed file in one go and reports each bad row', async () => {
    await registry.create({ id: 'exists-1', kind: 'vehicle', name: 'already here' });
    const rows = [
      'id,kind,name,plate,staff_id,department,grid_codes,expected_interval_s,attributes', // 1
      `imp-1,vehicle,"环卫车, 历下 1 号",鲁A12345,,hw,${GRID_A};${GRID_B},30,"{""fuel"":""diesel"",""tons"":5}"`, // 2
      'imp-2,collector,"采集员 ""老王""",,GH-7,,,,', // 3
      'imp-3,truck,x,,,,,,', // 4
      'imp-4,sensor,,,,,,,', // 5
      'imp-5,sensor,s,,,,12345,,', // 6
      'imp-6,sensor,s,,,,,soon,', // 7
      'imp-7,sensor,s,,,,,,{not json}', // 8
      'imp-8,sensor,s,,,', // 9
      'imp-1,camera,again,,,,,,', // 10
      'exists-1,camera,again,,,,,,', // 11
      '', // 12: blank, skipped but counted, as a spreadsheet shows it
      '"imp-9","camera","cam nine",,,,,,"{\n ""note"": ""a line break in quotes""\n}"', // 13
      'imp-10,camera,"cam ten",,,,,0,', // 14
      'bad id,camera,x,,,,,,', // 15
      'imp-11,camera,x,,,,,,"[1,2]"', // 16
      'imp-12,camera,"line one\nline two",,,,,,', // 17
    ];
    const report = await registry.importCsv(`\uFEFF${rows.join('\r\n')}\r\n`);
    expect(report.created.map(({ row, id }) => ({ row, id }))).toEqual([
      { row: 2, id: 'imp-1' },
      { row: 3, id: 'imp-2' },
      { row: 13, id: 'imp-9' },
    ]);
    expect(report.errors).toEqual([
      { row: 4, id: 'imp-3', field: 'kind', message: 'kind must be one of vehicle, collector, sensor, camera' },
      { row: 5, id: 'imp-4', field: 'name', message: 'name is required' },
      { row: 6, id: 'imp-5', field: 'grid_codes', message: 'grid codes must be 15 digits: 12345' },
      {
        row: 7,
        id: 'imp-6',
        field: 'expected_interval_s',
        message: 'expected_interval_s must be a whole number of seconds, got "soon"',
      },
      { row: 8, id: 'imp-7', field: 'attributes', message: expect.stringContaining('attributes is not valid JSON') },
      { row: 9, id: 'imp-8', message: '6 fields where the header has 9' },
      { row: 10, id: 'imp-1', field: 'id', message: 'id "imp-1" is already used in row 2 of this file' },
      { row: 11, id: 'exists-1', field: 'id', message: 'a device with id "exists-1" already exists' },
      {
        row: 14,
        id: 'imp-10',
        field: 'expected_interval_s',
        message: 'expected_interval_s must be a whole number of seconds, 1–2678400',
      },
      { row: 15, id: 'bad id', field: 'id', message: 'id must be 1–64 characters from A–Z a–z 0–9 . _ : -' },
      { row: 16, id: 'imp-11', field: 'attributes', message: 'attributes must be a JSON object' },
      { row: 17, id: 'imp-12', field: 'name', message: 'name must not contain control characters' },
    ]);

    const imp1 = await registry.get('imp-1');
    expect(imp1).toMatchObject({
      kind: 'vehicle',
      name: '环卫车, 历下 1 号',
      plate: '鲁A12345',
      staffId: null,
      department: 'hw',
      gridCodes: [GRID_A, GRID_B],
      expectedIntervalS: 30,
      attributes: { fuel: 'diesel', tons: 5 },
      enabled: true,
    });
    expect(await registry.get('imp-2')).toMatchObject({ name: '采集员 "老王"', staffId: 'GH-7', gridCodes: [] });
    expect((await registry.get('imp-9')).attributes).toEqual({ note: 'a line break in quotes' });
    const credential = report.created.find((c) => c.id === 'imp-1')!.credential;
    expect((await registry.verifyCredential('imp-1', credential))?.id).toBe('imp-1');
    expect((await registry.get('exists-1')).name).toBe('already here');

    // Sending the same file again: everything valid is now "already exists", nothing is created twice.
    const again = await registry.importCsv(rows.join('\n'));
    expect(again.created).toEqual([]);
    expect(again.errors.filter((e) => e.message.includes('already exists')).map((e) => e.row)).toEqual([2, 3, 11, 13]);
  });

  it('takes the columns in any order, only id, kind and name required', async () => {
    const report = await registry.importCsv(' Name ,ID,Kind\nSensor A,ord-1,sensor\n');
    expect(report).toMatchObject({ created: [{ row: 2, id: 'ord-1' }], errors: [] });
    expect(await registry.get('ord-1')).toMatchObject({ name: 'Sensor A', kind: 'sensor', attributes: {} });
  });

  it('refuses a whole file without a usable header, with a never-closed quote, or too long', async () => {
    const whole = async (text: string) => {
      const err = await registryError(registry.importCsv(text));
      expect(err.code).toBe('InvalidCsv');
      return err;
    };
    expect((await whole('')).message).toContain('the file is empty');
    expect((await whole('\uFEFF\r\n\r\n')).message).toContain('the file is empty');
    const unknown = await whole('id,kind,name,colour,size\nx,sensor,y,red,2\n');
    expect(unknown.message).toBe(
      'row 1: unknown columns "colour", "size" in the header; the columns are ' +
        'id,kind,name,plate,staff_id,department,grid_codes,expected_interval_s,attributes',
    );
    expect(unknown.csvErrors).toEqual([{ row: 1, message: expect.stringContaining('"colour", "size"') }]);
    expect((await whole('id,kind,name,\n')).message).toContain('an unnamed column (column 4)');
    expect((await whole('id,name\nx,y\n')).message).toContain('lacks the required column kind');
    expect((await whole('id,kind,name,id\n')).message).toContain('"id" appears twice');
    expect((await whole('id,kind,name\n"x,sensor,y\n')).message).toBe('row 2: a quoted field is never closed');

    const big = ['id,kind,name', ...Array.from({ length: 20_001 }, (_, i) => `big-${i},sensor,s`)].join('\n');
    const tooBig = await whole(big);
    expect(tooBig.message).toBe('row 20002: the file has 20001 rows, more than 20000; split it');
    expect((await registry.list({ q: 'big-' })).total).toBe(0);
  });
});
