// 个人位置保护 collectors are people: against the built hub and its database, over socket.io `/live` and HTTP as a
// browser and an API client would, an anonymous caller (or one whose token is no session) sees vehicles but never a
// collector's position, state or track; a supervision role sees every collector; a collector sees their own handheld
// (linked by staff number) and no one else's; another role none. A socket whose session is logged out is told so and
// stops receiving collectors without reconnecting.
import mqtt from 'mqtt';
import { io as ioClient, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratedTestDatabase } from './support/database.js';
import { connectDevice, provisionDevice } from './support/devices.js';
import { jsonCall, type Json } from './support/http-app.js';
import { startTestHub, type TestHub } from './support/test-hub.js';
import { waitFor } from './support/wait.js';

const ADMIN_TOKEN = 'live-privacy-admin-token-0123456789';
const PASSWORD = 'a long enough password';

let hub: TestHub;
let base: string;
const sockets: Socket[] = [];
const clients = new Map<string, mqtt.MqttClient>();
const tokens: Record<'leader' | 'auditor' | 'department' | 'collector', string> = {
  leader: '',
  auditor: '',
  department: '',
  collector: '',
};

async function call(method: string, path: string, token: string | null, body?: unknown) {
  const { res, body: answer } = await jsonCall(base, method, path, { token: token || null, body });
  return { status: res.status, headers: res.headers, body: answer as Json };
}

async function login(username: string, fields: Record<string, unknown>): Promise<string> {
  const created = await call('POST', '/api/users', ADMIN_TOKEN, {
    username,
    name: username,
    password: PASSWORD,
    ...fields,
  });
  expect(created.status).toBe(201);
  return loginAgain(username);
}

async function loginAgain(username: string): Promise<string> {
  const res = await call('POST', '/api/auth/login', null, { username, password: PASSWORD });
  expect(res.status).toBe(200);
  return res.body.token as string;
}

/** A browser's view of the live feed: the subscription's answer, its snapshot and every delta since. */
interface Browser {
  socket: Socket;
  ack: Json;
  snapshot: Json;
  positions: Json[];
  statuses: Json[];
  access: Json[];
}

async function subscribe(token: string | null, layers = ['vehicles', 'collectors']): Promise<Browser> {
  const socket = ioClient(`${base}/live`, {
    path: '/socket.io',
    transports: ['websocket'],
    ...(token === null ? {} : { auth: { token } }),
  });
  sockets.push(socket);
  const seen: Browser = { socket, ack: null, snapshot: null, positions: [], statuses: [], access: [] };
  socket.on('positions', (m: Json) => seen.positions.push(...m.positions));
  socket.on('status', (m: Json) => seen.statuses.push(...m.statuses));
  socket.on('access', (m: Json) => seen.access.push(m));
  const snapshot = new Promise<Json>((resolve) => socket.once('snapshot', resolve));
  await waitFor('socket.io connection', () => socket.connected);
  seen.ack = await socket.emitWithAck('subscribe', { layers });
  expect(seen.ack).toMatchObject({ ok: true });
  seen.snapshot = await snapshot;
  return seen;
}

const ids = (list: Json[]): string[] => [...new Set(list.map((x: Json) => x.deviceId as string))].sort();

let fixSeq = 0;
/** A new fix of each device, later than any before (so every one is a delta). */
async function move(...deviceIds: string[]): Promise<void> {
  const time = new Date(Date.now() + ++fixSeq).toISOString();
  for (const id of deviceIds) {
    await clients
      .get(id)!
      .publishAsync(`devices/${id}/position`, JSON.stringify({ time, lon: 117.02 + fixSeq / 10_000, lat: 36.66 }), {
        qos: 1,
      });
  }
}

beforeAll(async () => {
  hub = await startTestHub({
    name: 'live-privacy',
    adminToken: ADMIN_TOKEN,
    db: await migratedTestDatabase(),
    env: { LIVE_PUSH_INTERVAL_MS: '100' },
  });
  base = hub.base;
  expect(
    (await call('POST', '/api/departments', ADMIN_TOKEN, { id: 'water', name: '供水公司', kind: 'department' })).status,
  ).toBe(201);
  tokens.leader = await login('leader1', { roles: ['leader'] });
  tokens.auditor = await login('auditor1', { roles: ['auditor'] });
  tokens.department = await login('water1', { roles: ['department'], departmentId: 'water' });
  // 张三's handheld carries his staff number: that is how the registry links a device to a person.
  tokens.collector = await login('zhangsan', { roles: ['collector'], staffId: 'S-001' });

  const { mqttUrl } = hub;
  for (const [id, kind, staffId] of [
    ['veh-p1', 'vehicle', null],
    ['col-own', 'collector', 'S-001'],
    ['col-other', 'collector', 'S-002'],
  ] as const) {
    const provisioned = await provisionDevice(base, ADMIN_TOKEN, { id, kind, ...(staffId ? { staffId } : {}) });
    clients.set(id, await connectDevice(mqttUrl, provisioned));
  }
  await move('veh-p1', 'col-own', 'col-other');
  // Stored and in the latest positions before any test looks.
  await waitFor('three latest positions', async () => {
    const latest = await call('GET', '/api/positions/latest', ADMIN_TOKEN);
    return latest.body.features.length === 3;
  });
}, 180_000);

afterAll(async () => {
  for (const s of sockets) s.close();
  for (const c of clients.values()) await c.endAsync(true);
  expect(await hub?.stop()).toBe(0);
});

describe('the live feed', () => {
  it('gives an anonymous browser vehicles but no collector, in the snapshot or the deltas', async () => {
    const anonymous = await subscribe(null);
    const leader = await subscribe(tokens.leader);
    expect(anonymous.ack.personal).toBe('none');
    expect(ids(anonymous.snapshot.positions)).toEqual(['veh-p1']);
    expect(anonymous.snapshot.statuses.map((s: Json) => s.deviceId)).not.toContain('col-own');
    expect(leader.ack.personal).toBe('all');
    expect(ids(leader.snapshot.positions)).toEqual(['col-other', 'col-own', 'veh-p1']);

    await move('col-own', 'col-other', 'veh-p1');
    await waitFor('the leader’s deltas', () => ids(leader.positions).length === 3);
    await waitFor('the vehicle’s delta', () => ids(anonymous.positions).includes('veh-p1'));
    // Same ticks: had the collectors been sent to the anonymous socket, they would have arrived with the vehicle.
    await new Promise((r) => setTimeout(r, 300));
    expect(ids(anonymous.positions)).toEqual(['veh-p1']);

    // A collector's handheld going offline is a person's whereabouts too.
    await clients.get('col-other')!.endAsync(true);
    clients.delete('col-other');
    await waitFor('the leader hears col-other go offline', () =>
      leader.statuses.some((s) => s.deviceId === 'col-other' && s.state === 'offline'),
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(anonymous.statuses.map((s) => s.deviceId)).not.toContain('col-other');
  });

  it('gives a collector their own handheld only, and another role none', async () => {
    const collector = await subscribe(tokens.collector);
    const department = await subscribe(tokens.department);
    const auditor = await subscribe(tokens.auditor);
    expect(collector.ack.personal).toBe('own');
    expect(ids(collector.snapshot.positions)).toEqual(['col-own', 'veh-p1']);
    expect(department.ack.personal).toBe('none');
    expect(ids(department.snapshot.positions)).toEqual(['veh-p1']);
    expect(auditor.ack.personal).toBe('all');
    expect(ids(auditor.snapshot.positions)).toEqual(['col-other', 'col-own', 'veh-p1']);

    await move('col-own', 'veh-p1');
    await waitFor('the collector’s own delta', () => ids(collector.positions).includes('col-own'));
    await waitFor('the department’s vehicle delta', () => ids(department.positions).includes('veh-p1'));
    await new Promise((r) => setTimeout(r, 300));
    expect(ids(department.positions)).toEqual(['veh-p1']);
  });

  it('treats a token that is no session as anonymous, and refuses one that is not a string', async () => {
    const stranger = await subscribe('not-a-session-token');
    expect(stranger.ack.personal).toBe('none');
    expect(ids(stranger.snapshot.positions)).toEqual(['veh-p1']);

    const bad = ioClient(`${base}/live`, { path: '/socket.io', transports: ['websocket'], auth: { token: 42 } });
    sockets.push(bad);
    const refused = await new Promise<Error>((resolve) => bad.once('connect_error', resolve));
    expect(refused.message).toContain('auth.token must be the session token');
  });

  it('stops sending collectors to a socket whose session is logged out, and tells it', async () => {
    const token = await loginAgain('leader1');
    const browser = await subscribe(token);
    expect(ids(browser.snapshot.positions)).toContain('col-own');
    expect((await call('POST', '/api/auth/logout', token)).status).toBeLessThan(300);
    // The socket's session is asked again every 5 s.
    const told = await waitFor('the access change', () => browser.access[0], 12_000);
    expect(told).toEqual({ personal: 'none' });

    const before = browser.positions.length;
    await move('col-own', 'veh-p1');
    await waitFor('the vehicle’s delta', () => browser.positions.slice(before).some((p) => p.deviceId === 'veh-p1'));
    await new Promise((r) => setTimeout(r, 300));
    expect(ids(browser.positions.slice(before))).toEqual(['veh-p1']);
    // Subscribing again (what the map does when told) gives a snapshot without collectors.
    const again = await browser.socket.emitWithAck('subscribe', { layers: ['vehicles', 'collectors'] });
    expect(again.personal).toBe('none');
  }, 30_000);
});

describe('HTTP', () => {
  const latest = async (token: string | null) => {
    const res = await call('GET', '/api/positions/latest', token);
    expect(res.status).toBe(200);
    expect(res.headers.get('vary')?.toLowerCase()).toContain('authorization');
    return res.body.features.map((f: Json) => f.properties.deviceId as string).sort();
  };

  it('lists the latest positions without collectors for anonymous callers and other roles', async () => {
    expect(await latest(null)).toEqual(['veh-p1']);
    expect(await latest('not-a-session-token')).toEqual(['veh-p1']);
    expect(await latest(tokens.department)).toEqual(['veh-p1']);
    expect(await latest(tokens.collector)).toEqual(['col-own', 'veh-p1']);
    expect(await latest(tokens.leader)).toEqual(['col-other', 'col-own', 'veh-p1']);
    expect(await latest(ADMIN_TOKEN)).toEqual(['col-other', 'col-own', 'veh-p1']);
  });

  it('answers a collector’s track only to supervision roles and to the collector whose handheld it is', async () => {
    const range = `from=${new Date(Date.now() - 3_600_000).toISOString()}&to=${new Date(Date.now() + 3_600_000).toISOString()}`;
    const track = (id: string, token: string | null) => call('GET', `/api/devices/${id}/track?${range}`, token);

    const anonymous = await track('col-own', null);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toContain('application/problem+json');
    expect(anonymous.headers.get('www-authenticate')).toContain('Bearer');
    expect(anonymous.body).toMatchObject({ status: 401, type: 'urn:cityhub:problem:unauthorized' });
    expect((await track('col-own', 'not-a-session-token')).status).toBe(401);

    const department = await track('col-own', tokens.department);
    expect(department.status).toBe(403);
    expect(department.headers.get('content-type')).toContain('application/problem+json');
    expect(department.body).toMatchObject({ status: 403, type: 'urn:cityhub:problem:forbidden' });
    expect(department.body.detail).toContain('personal data');
    expect(department.body.requiredRoles).toEqual([
      'acceptor',
      'shiftLeader',
      'dispatcher',
      'leader',
      'admin',
      'auditor',
    ]);

    // 张三 sees his own track, not a colleague's.
    const own = await track('col-own', tokens.collector);
    expect(own.status).toBe(200);
    expect(own.body.geometry.coordinates.length).toBeGreaterThan(0);
    expect((await track('col-other', tokens.collector)).status).toBe(403);

    const leader = await track('col-other', tokens.leader);
    expect(leader.status).toBe(200);
    expect(leader.body.geometry.coordinates.length).toBeGreaterThan(0);

    // Equipment stays public; a device the registry does not know counts as a person's.
    const vehicle = await track('veh-p1', null);
    expect(vehicle.status).toBe(200);
    expect(vehicle.body.geometry.coordinates.length).toBeGreaterThan(0);
    expect((await track('gone-01', null)).status).toBe(401);
    expect((await track('gone-01', tokens.leader)).status).toBe(200);
  });
});
