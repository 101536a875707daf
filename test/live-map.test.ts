// 监督指挥的数据 what the supervision map reads from the built hub, over socket.io and HTTP as a browser does: positions
// filed by kind with the vehicle's kind, cases with their traffic light and the instants it turns, candidates that
// arrive and leave live, one candidate with its evidence, and tracks thinned for playback without the flagged fixes.
import mqtt from 'mqtt';
import { io as ioClient, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratedTestDatabase } from './support/database.js';
import { connectDevice, provisionDevice } from './support/devices.js';
import { jsonCall, type Json } from './support/http-app.js';
import { startTestHub, type TestHub } from './support/test-hub.js';
import { waitFor } from './support/wait.js';

const ADMIN_TOKEN = 'live-map-admin-token-0123456789';
const PASSWORD = 'a long enough password';
// verify-and-file within 18 s of continuous time: a new case is green, yellow after 14.4 s, red after 18 s.
const VERIFY_LIMIT_URGENT_HOURS = 0.005;
const SPOT = { lon: 117.0235, lat: 36.6625 };

let hub: TestHub;
let base: string;
let mqttUrl: string;
let acceptorToken: string;
const sockets: Socket[] = [];
const clients: mqtt.MqttClient[] = [];

async function call(method: string, path: string, token: string | null, body?: unknown) {
  const { res, body: answer } = await jsonCall(base, method, path, { token: token || null, body });
  return { status: res.status, body: answer as Json };
}

async function login(username: string, roles: string[]): Promise<string> {
  expect(
    (await call('POST', '/api/users', ADMIN_TOKEN, { username, name: username, roles, password: PASSWORD })).status,
  ).toBe(201);
  const res = await call('POST', '/api/auth/login', null, { username, password: PASSWORD });
  expect(res.status).toBe(200);
  return res.body.token as string;
}

/** A browser's view of the live feed: the snapshot it subscribed with and every delta since. */
interface Browser {
  snapshot: Json;
  positions: Json[];
  cases: Json[];
  candidates: Json[];
}

async function subscribe(layers: string[], token?: string): Promise<Browser> {
  const socket = ioClient(`${base}/live`, {
    path: '/socket.io',
    transports: ['websocket'],
    ...(token ? { auth: { token } } : {}),
  });
  sockets.push(socket);
  const seen: Browser = { snapshot: null, positions: [], cases: [], candidates: [] };
  socket.on('positions', (m: Json) => seen.positions.push(...m.positions));
  socket.on('cases', (m: Json) => seen.cases.push(...m.cases));
  socket.on('candidates', (m: Json) => seen.candidates.push(...m.candidates));
  const snapshot = new Promise<Json>((resolve) => socket.once('snapshot', resolve));
  await waitFor('socket.io connection', () => socket.connected);
  expect(await socket.emitWithAck('subscribe', { layers })).toMatchObject({ ok: true });
  seen.snapshot = await snapshot;
  return seen;
}

beforeAll(async () => {
  const db = await migratedTestDatabase();
  // The hub reads the step limits at start: a short verify-and-file limit lets the light turn within the test.
  await db.pool.query(`INSERT INTO step_limits (step, value, unit) VALUES ('verifyAndFile', $1, 'urgentHours')`, [
    VERIFY_LIMIT_URGENT_HOURS,
  ]);
  hub = await startTestHub({ name: 'live-map', adminToken: ADMIN_TOKEN, db, env: { LIVE_PUSH_INTERVAL_MS: '100' } });
  base = hub.base;
  mqttUrl = hub.mqttUrl;
  acceptorToken = await login('acceptor1', ['acceptor']);
}, 180_000);

afterAll(async () => {
  for (const s of sockets) s.close();
  for (const c of clients) await c.endAsync(true);
  expect(await hub?.stop()).toBe(0);
});

async function device(id: string, kind: string, attributes: Record<string, unknown> = {}): Promise<mqtt.MqttClient> {
  const client = await connectDevice(mqttUrl, await provisionDevice(base, ADMIN_TOKEN, { id, kind, attributes }));
  clients.push(client);
  return client;
}

describe('device positions on the live map', () => {
  it('carry the device kind, and a vehicle’s kind from the registry', async () => {
    // Collectors are people: only a session of a supervision role sees them (test/live-privacy.test.ts).
    const browser = await subscribe(['vehicles', 'collectors'], acceptorToken);
    const truck = await device('muck-01', 'vehicle', { vehicleKind: 'muck' });
    const collector = await device('col-01', 'collector');
    const time = new Date().toISOString();
    await truck.publishAsync('devices/muck-01/position', JSON.stringify({ time, ...SPOT, speedKmh: 20, course: 45 }), {
      qos: 1,
    });
    await collector.publishAsync('devices/col-01/position', JSON.stringify({ time, lon: 117.02, lat: 36.66 }), {
      qos: 1,
    });
    const truckFix = await waitFor('the truck’s delta', () => browser.positions.find((p) => p.deviceId === 'muck-01'));
    expect(truckFix).toMatchObject({ kind: 'vehicle', vehicleKind: 'muck', speedKmh: 20, course: 45 });
    const collectorFix = await waitFor('the collector’s delta', () =>
      browser.positions.find((p) => p.deviceId === 'col-01'),
    );
    expect(collectorFix).toMatchObject({ kind: 'collector', vehicleKind: null });
    // A browser arriving later gets both in its snapshot, the vehicle's kind included.
    const later = await subscribe(['vehicles']);
    expect(later.snapshot.positions).toEqual([expect.objectContaining({ deviceId: 'muck-01', vehicleKind: 'muck' })]);
  });
});

describe('cases on the live map', () => {
  it('arrive with their traffic light and the instants a running clock turns yellow and red, and leave when closed', async () => {
    const browser = await subscribe(['cases']);
    const reported = await call('POST', '/api/cases', acceptorToken, {
      source: 'hotline',
      classCode: 'event:0101',
      ...SPOT,
      description: '路面有积水',
    });
    expect(reported.status).toBe(201);
    const id = reported.body.id as string;
    const live = await waitFor('the new case live', () => browser.cases.find((c) => c.id === id));
    expect(live).toMatchObject({ number: reported.body.number, state: 'reported', open: true, light: 'green' });
    expect(live.version).toBe(reported.body.version);
    const reportedAt = Date.parse(reported.body.reportedAt);
    const limitMs = VERIFY_LIMIT_URGENT_HOURS * 3_600_000;
    expect(Date.parse(live.yellowAt) - reportedAt).toBeCloseTo(0.8 * limitMs, -2);
    expect(Date.parse(live.redAt) - reportedAt).toBeCloseTo(limitMs, -2);
    // Complainants and descriptions never travel on this public channel.
    expect(live).not.toHaveProperty('description');
    expect(live).not.toHaveProperty('reporterPhone');

    // The snapshot of a browser arriving later carries the same light and instants.
    const later = await subscribe(['cases']);
    expect(later.snapshot.cases).toContainEqual(
      expect.objectContaining({ id, open: true, yellowAt: live.yellowAt, redAt: live.redAt }),
    );

    const rejected = await call('POST', `/api/cases/${id}/actions/reject`, acceptorToken, {
      version: reported.body.version,
      reason: '不属于城管受理范围',
    });
    expect(rejected.status).toBe(200);
    const gone = await waitFor('the rejection live', () =>
      browser.cases.find((c) => c.id === id && c.state === 'rejected'),
    );
    expect(gone).toMatchObject({ open: false, action: 'reject' });
    expect(gone.version).toBeGreaterThan(live.version);
    const after = await subscribe(['cases']);
    expect(after.snapshot.cases.map((c: Json) => c.id)).not.toContain(id);
  });
});

describe('candidates on the live map', () => {
  it('appear when raised, are in the snapshot, show their evidence, and leave when dismissed', async () => {
    const browser = await subscribe(['candidates']);
    const raised = await call('POST', '/api/candidates', ADMIN_TOKEN, {
      detectorId: 'camera-ai-7',
      clientKey: 'frame-0001',
      classCode: 'event:0101',
      ...SPOT,
      observedAt: new Date().toISOString(),
      confidence: 0.87,
      description: '疑似占道经营',
      evidence: { frame: 1234 },
    });
    expect(raised.status).toBe(201);
    const id = raised.body.id as string;
    expect(await waitFor('the candidate live', () => browser.candidates.find((c) => c.id === id))).toMatchObject({
      status: 'pending',
      classCode: 'event:0101',
      mergedCount: 1,
    });
    expect((await subscribe(['candidates'])).snapshot.candidates).toContainEqual(expect.objectContaining({ id }));

    const shown = await call('GET', `/api/candidates/${id}`, acceptorToken);
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ id, confidence: 0.87, description: '疑似占道经营', evidence: { frame: 1234 } });
    expect((await call('GET', '/api/candidates/999999', acceptorToken)).status).toBe(404);
    expect((await call('GET', `/api/candidates/${id}`, null)).status).toBe(401);
    const collectorToken = await login('collector1', ['collector']);
    expect((await call('GET', `/api/candidates/${id}`, collectorToken)).status).toBe(403);

    const dismissed = await call('POST', `/api/candidates/${id}/dismiss`, acceptorToken, { reason: '误报' });
    expect(dismissed.status).toBe(200);
    await waitFor('the dismissal live', () => browser.candidates.find((c) => c.id === id && c.status === 'dismissed'));
    expect((await subscribe(['candidates'])).snapshot.candidates.map((c: Json) => c.id)).not.toContain(id);
  });
});

describe('tracks for details and playback', () => {
  it('give courses, leave flagged fixes out, thin to maxPoints and say when they were cut', async () => {
    const truck = await device('trk-01', 'vehicle');
    const t0 = Date.now() - 600_000;
    const at = (s: number) => new Date(t0 + s * 1000).toISOString();
    const positions = [
      { time: at(0), lon: 117.02, lat: 36.66, course: 90, speedKmh: 30 },
      { time: at(10), lon: 117.021, lat: 36.66, course: 90, speedKmh: 30 },
      { time: at(11), lon: 117.3, lat: 36.9, course: 10, speedKmh: 30 }, // 35 km in a second: flagged
      { time: at(20), lon: 117.022, lat: 36.66, course: 0, speedKmh: 25 },
      { time: at(30), lon: 117.022, lat: 36.661, course: 0, speedKmh: 25 },
      { time: at(40), lon: 117.022, lat: 36.662, course: 0, speedKmh: 0 },
    ];
    await truck.publishAsync('devices/trk-01/positions', JSON.stringify({ positions }), { qos: 1 });
    const url = (q: string) => `/api/devices/trk-01/track?from=${at(-1)}&to=${at(60)}${q}`;
    const all = await call('GET', url(''), null);
    expect(all.status).toBe(200);
    expect(all.body.properties.times).toEqual([at(0), at(10), at(20), at(30), at(40)]);
    expect(all.body.properties.courses).toEqual([90, 90, 0, 0, 0]);
    expect(all.body.properties).toMatchObject({ bucketS: null, truncated: false });

    const thin = await call('GET', url('&maxPoints=2'), null);
    // 61 s over 2 points: buckets of 31 s, the last fix of each.
    expect(thin.body.properties.bucketS).toBe(31);
    expect(thin.body.geometry.coordinates.length).toBeLessThanOrEqual(3);
    expect(thin.body.properties.times.at(-1)).toBe(at(40));
    // Few enough fixes: no thinning.
    expect((await call('GET', url('&maxPoints=10'), null)).body.properties.bucketS).toBeNull();

    const cut = await call('GET', url('&limit=2'), null);
    expect(cut.body.properties).toMatchObject({ times: [at(0), at(10)], truncated: true });
  });
});
