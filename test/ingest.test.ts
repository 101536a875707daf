// End to end through the real parts: devices provisioned over the admin API, real MQTT clients over TCP → aedes
// (auth, ACL) → validation → batched writes → TimescaleDB → socket.io and the HTTP API. Nothing is mocked.
import mqtt from 'mqtt';
import { io as ioClient, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHub } from '../hub/hub.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { adminHeaders, listeningDevice, provisionDevice } from './support/devices.js';
import { startInProcessHub } from './support/in-process-hub.js';
import { waitFor } from './support/wait.js';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const ADMIN_TOKEN = 'test-admin-token-0123456789';
let db: TestDatabase;
let hub: RunningHub;
let dataDir: string;
let http: string;
let mqttUrl: string;
let socket: Socket;
const livePositions: { deviceId: string; kind: string | null; time: string; lat: number; lon: number }[] = [];
const liveStatus: { deviceId: string; state: string }[] = [];
const clients: mqtt.MqttClient[] = [];

const base = Date.now() - 60_000;
const at = (offsetS: number) => new Date(base + offsetS * 1000).toISOString();

async function rowsOf(deviceId: string) {
  const { rows } = await db.pool.query<{
    time: Date;
    lat: number;
    lon: number;
    speed_kmh: number | null;
    flags: string[];
  }>('SELECT time, lat, lon, speed_kmh, flags FROM positions WHERE device_id = $1 ORDER BY time', [deviceId]);
  return rows;
}

/** A provisioned, connected device that records what the hub tells it on its errors topic. */
async function device(id: string, kind = 'vehicle', options: mqtt.IClientOptions = {}) {
  const listening = await listeningDevice({ httpUrl: http, mqttUrl, adminToken: ADMIN_TOKEN }, id, kind, options);
  clients.push(listening.client);
  return listening;
}

function connectRaw(options: mqtt.IClientOptions): Promise<{ code: number | undefined; error?: Error }> {
  return new Promise((resolve) => {
    const c = mqtt.connect(mqttUrl, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
    c.once('connect', () => {
      c.end(true);
      resolve({ code: 0 });
    });
    c.once('error', (error: Error & { code?: number }) => {
      c.end(true);
      resolve({ code: error.code, error });
    });
  });
}

beforeAll(async () => {
  db = await createTestDatabase();
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'cityhub-ingest-'));
  hub = await startInProcessHub({
    DATABASE_URL: db.url,
    DATA_DIR: dataDir,
    ADMIN_TOKEN,
    LIVE_PUSH_INTERVAL_MS: '50',
    DEVICE_RATE_PER_S: '5',
    DEVICE_RATE_BURST: '40',
  });
  http = `http://127.0.0.1:${hub.httpPort}`;
  mqttUrl = `mqtt://127.0.0.1:${hub.mqttPort}`;
  socket = ioClient(`${http}/live`, { path: '/socket.io', transports: ['websocket'] });
  socket.on('positions', (msg: { positions: typeof livePositions }) => livePositions.push(...msg.positions));
  socket.on('status', (msg: { statuses: typeof liveStatus }) => liveStatus.push(...msg.statuses));
  await waitFor('socket.io connection', () => socket.connected);
});

afterAll(async () => {
  socket?.close();
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await hub?.close();
  await db?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('MQTT position ingest', () => {
  it('stores a published position in the positions hypertable and pushes it live', async () => {
    expect(hub.features.timescale).toBe(true);
    const { rows: hypertables } = await db.pool.query(
      `SELECT hypertable_name FROM timescaledb_information.hypertables WHERE hypertable_name = 'positions'`,
    );
    expect(hypertables).toHaveLength(1);

    const { client } = await device('veh-a');
    const payload = { time: at(0), lat: 36.6641, lon: 117.0201, speedKmh: 32.5, course: 87.2, altitudeM: 40 };
    await client.publishAsync('devices/veh-a/position', JSON.stringify(payload), { qos: 1 });
    // QoS 1 is acknowledged after the commit: the row is there as soon as publishAsync resolves.
    const rows = await rowsOf('veh-a');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.time.toISOString()).toBe(payload.time);
    expect(rows[0]!.lat).toBeCloseTo(36.6641, 6);
    expect(rows[0]!.speed_kmh).toBeCloseTo(32.5, 3);

    const live = await waitFor('live push', () => livePositions.find((p) => p.deviceId === 'veh-a'));
    expect(live).toMatchObject({ deviceId: 'veh-a', kind: 'vehicle', time: payload.time, lat: 36.6641, lon: 117.0201 });
  });

  it('stores a re-sent position once', async () => {
    const { client } = await device('veh-b');
    const payload = JSON.stringify({ time: at(1), lat: 36.665, lon: 117.021 });
    await client.publishAsync('devices/veh-b/position', payload, { qos: 1 });
    await client.publishAsync('devices/veh-b/position', payload, { qos: 1 });
    // Also twice inside one batch.
    const again = JSON.stringify({ time: at(2), lat: 36.666, lon: 117.022 });
    await Promise.all([
      client.publishAsync('devices/veh-b/position', again, { qos: 1 }),
      client.publishAsync('devices/veh-b/position', again, { qos: 1 }),
    ]);
    expect((await rowsOf('veh-b')).map((r) => r.time.toISOString())).toEqual([at(1), at(2)]);
  });

  const bad: [string, string, string, string, string][] = [
    ['malformed JSON', 'position', '{"time": ', 'malformed_json', 'not valid JSON'],
    ['a missing field', 'position', JSON.stringify({ time: at(3), lat: 36.66 }), 'schema', 'missing field "lon"'],
    [
      'a wrong type',
      'position',
      JSON.stringify({ time: at(3), lat: '36.66', lon: 117.02 }),
      'schema',
      'lat must be number',
    ],
    [
      'latitude out of range',
      'position',
      JSON.stringify({ time: at(3), lat: 91, lon: 117.02 }),
      'out_of_range',
      'lat must be <= 90',
    ],
    [
      'longitude out of range',
      'position',
      JSON.stringify({ time: at(3), lat: 36.6, lon: -181 }),
      'out_of_range',
      'lon must be >= -180',
    ],
    [
      'a time far in the future',
      'position',
      JSON.stringify({ time: new Date(Date.now() + 3_600_000).toISOString(), lat: 36.6, lon: 117.0 }),
      'time_in_future',
      's in the future',
    ],
    [
      'a time older than the retention window',
      'position',
      JSON.stringify({ time: new Date(Date.now() - 500 * 86_400_000).toISOString(), lat: 36.6, lon: 117.0 }),
      'time_too_old',
      'older than the retention window',
    ],
    [
      'a time without a zone',
      'position',
      JSON.stringify({ time: '2026-11-25T08:00:00', lat: 36.6, lon: 117.0 }),
      'schema',
      'time must be',
    ],
    [
      'an unknown field',
      'position',
      JSON.stringify({ time: at(3), lat: 36.6, lon: 117.0, latitude: 1 }),
      'schema',
      'unknown field "latitude"',
    ],
    [
      'an oversized payload',
      'position',
      JSON.stringify({ time: at(3), lat: 36.6, lon: 117.0, attributes: { x: 'y'.repeat(20_000) } }),
      'payload_too_large',
      'limit',
    ],
    ['an unknown topic kind', 'whatever', '{}', 'unknown_topic', 'unknown topic'],
    [
      'a topic its kind may not use',
      'reports',
      JSON.stringify({
        reportId: 'r-00000001',
        time: at(3),
        lat: 36.6,
        lon: 117,
        categoryCode: '0101',
        description: 'x',
      }),
      'not_authorized',
      'not allowed',
    ],
    [
      'a batch with one bad entry',
      'positions',
      JSON.stringify({
        positions: [
          { time: at(4), lat: 36.6, lon: 117 },
          { time: at(5), lat: 99, lon: 117 },
        ],
      }),
      'out_of_range',
      'positions.1.lat',
    ],
  ];
  it.each(bad.map((row, i) => [...row, i] as const))(
    'rejects %s: nothing stored, the device is told why',
    async (_what, kind, payload, reason, message, i) => {
      const deviceId = `veh-bad-${i}`;
      const { client, errors } = await device(deviceId);
      await client.publishAsync(`devices/${deviceId}/${kind}`, payload, { qos: 1 });
      const error = await waitFor('error message', () => errors[0]);
      expect(error.reason).toBe(reason);
      expect(error.message).toContain(message);
      expect(await rowsOf(deviceId)).toHaveLength(0);
      // The device stays connected: a bad message is answered, not punished with a disconnect.
      expect(client.connected).toBe(true);
      const res = await fetch(`${http}/metrics`);
      expect(await res.text()).toMatch(new RegExp(`cityhub_messages_rejected_total\\{reason="${reason}"\\} [1-9]`));
    },
  );

  it('serves the latest position of each device as GeoJSON, never moving backwards', async () => {
    const { client } = await device('veh-d');
    await client.publishAsync('devices/veh-d/position', JSON.stringify({ time: at(20), lat: 36.67, lon: 117.03 }), {
      qos: 1,
    });
    // A late re-send of an older fix (after a coverage gap) is stored but does not replace the latest.
    await client.publishAsync('devices/veh-d/position', JSON.stringify({ time: at(10), lat: 36.669, lon: 117.0299 }), {
      qos: 1,
    });
    expect(await rowsOf('veh-d')).toHaveLength(2);
    const res = await fetch(`${http}/api/positions/latest`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      type: string;
      features: { geometry: { coordinates: number[] }; properties: Record<string, unknown> }[];
    };
    expect(body.type).toBe('FeatureCollection');
    const d = body.features.find((f) => f.properties.deviceId === 'veh-d');
    expect(d?.geometry.coordinates).toEqual([117.03, 36.67]);
    expect(d?.properties).toEqual({
      deviceId: 'veh-d',
      time: at(20),
      speedKmh: null,
      course: null,
      state: 'online',
      stateTime: expect.any(String),
    });
  });

  it('stores a store-and-forward batch with its original times', async () => {
    const { client } = await device('veh-f');
    const positions = [0, 10, 20, 30].map((s) => ({ time: at(s), lat: 36.66 + s / 100_000, lon: 117.02 }));
    await client.publishAsync('devices/veh-f/positions', JSON.stringify({ positions }), { qos: 1 });
    expect((await rowsOf('veh-f')).map((r) => r.time.toISOString())).toEqual(positions.map((p) => p.time));
  });

  it('flags an implausible jump but stores it, and keeps it off the map', async () => {
    const { client } = await device('veh-j');
    await client.publishAsync('devices/veh-j/position', JSON.stringify({ time: at(0), lat: 36.66, lon: 117.02 }), {
      qos: 1,
    });
    // 11 km in 10 s
    await client.publishAsync('devices/veh-j/position', JSON.stringify({ time: at(10), lat: 36.76, lon: 117.02 }), {
      qos: 1,
    });
    const rows = await rowsOf('veh-j');
    expect(rows.map((r) => r.flags)).toEqual([[], ['implausible_jump']]);
    const latest = (await (await fetch(`${http}/api/positions/latest`)).json()) as {
      features: { properties: { deviceId: string; time: string } }[];
    };
    expect(latest.features.find((f) => f.properties.deviceId === 'veh-j')?.properties.time).toBe(at(0));
  });

  it('thins a track with time_bucket', async () => {
    const { client } = await device('veh-e');
    const day = new Date(Date.now() - 2 * 86_400_000);
    day.setUTCHours(0, 0, 0, 0);
    const t = (s: number) => new Date(day.getTime() + s * 1000).toISOString();
    const positions = [0, 20, 40, 60, 80, 100].map((s, i) => ({ time: t(s), lat: 36.6 + i / 10_000, lon: 117 }));
    await client.publishAsync('devices/veh-e/positions', JSON.stringify({ positions }), { qos: 1 });
    const url = (q: string) => `${http}/api/devices/veh-e/track?${q}`;
    const range = `from=${t(0)}&to=${t(3600)}`;
    const all = (await (await fetch(url(range))).json()) as { geometry: { coordinates: number[][] } };
    expect(all.geometry.coordinates).toHaveLength(6);
    // Buckets of 60 s: [0,20,40] and [60,80,100] → the last fix of each.
    const thin = (await (await fetch(url(`${range}&bucketS=60`))).json()) as { properties: { times: string[] } };
    expect(thin.properties.times).toEqual([t(40), t(100)]);
    const badRange = await fetch(url(`from=${t(3600)}&to=${t(0)}`));
    expect(badRange.status).toBe(400);
    expect(badRange.headers.get('content-type')).toContain('application/problem+json');
  });

  it('slows a device that sends too fast, telling it why', async () => {
    const { client, errors } = await device('veh-r');
    const sends = Array.from({ length: 60 }, (_, i) =>
      client.publishAsync('devices/veh-r/position', JSON.stringify({ time: at(i), lat: 36.66, lon: 117.02 }), {
        qos: 1,
      }),
    );
    await Promise.all(sends);
    await waitFor('rate-limit error', () => errors.find((e) => e.reason === 'rate_limited'));
    const stored = (await rowsOf('veh-r')).length;
    expect(stored).toBeGreaterThanOrEqual(40);
    expect(stored).toBeLessThan(60);
  });
});

describe('MQTT authentication and access control', () => {
  it('refuses unknown devices, wrong passwords and disabled devices, with the MQTT return codes', async () => {
    const known = await provisionDevice(http, ADMIN_TOKEN, { id: 'veh-auth', kind: 'vehicle' });
    expect((await connectRaw({ clientId: 'nobody', username: 'nobody', password: 'x' })).code).toBe(4);
    expect((await connectRaw({ clientId: 'veh-auth', username: 'veh-auth', password: 'wrong' })).code).toBe(4);
    expect((await connectRaw({ clientId: 'veh-auth', username: 'veh-auth', password: known.credential })).code).toBe(0);
    // Another device's client id would take over its session: refused.
    expect((await connectRaw({ clientId: 'veh-a', username: 'veh-auth', password: known.credential })).code).toBe(2);
    const disabled = await fetch(`${http}/api/devices/veh-auth/disable`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(disabled.status).toBe(200);
    expect((await connectRaw({ clientId: 'veh-auth', username: 'veh-auth', password: known.credential })).code).toBe(5);
    const metrics = await (await fetch(`${http}/metrics`)).text();
    expect(metrics).toMatch(/cityhub_mqtt_auth_failures_total\{reason="bad_credentials"\} [2-9]/);
    expect(metrics).toMatch(/cityhub_mqtt_auth_failures_total\{reason="disabled"\} 1/);
  });

  it("refuses another device's topics and never forwards what it refused", async () => {
    const victim = await device('veh-victim');
    const attacker = await device('veh-attacker');
    const seen: string[] = [];
    victim.client.on('message', (topic) => seen.push(topic));
    await victim.client.subscribeAsync('devices/veh-victim/commands/#');
    // SUBACK 0x80 (failure): mqtt.js turns it into an error.
    await expect(attacker.client.subscribeAsync('devices/veh-victim/commands/#')).rejects.toThrow('Subscribe error');
    expect(attacker.client.connected).toBe(true);
    await attacker.client.publishAsync(
      'devices/veh-victim/position',
      JSON.stringify({ time: at(0), lat: 36.6, lon: 117 }),
      { qos: 1 },
    );
    await attacker.client.publishAsync('devices/veh-victim/commands/0b7e4a1e-3c55-4b4e-9a53-6c1f1b2d9e10', '{}', {
      qos: 1,
    });
    await waitFor('two refusals', () => attacker.errors.length >= 2);
    expect(attacker.errors.map((e) => e.reason)).toEqual(['not_authorized', 'not_authorized']);
    expect(await rowsOf('veh-victim')).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 200));
    expect(seen.filter((t) => t.includes('/commands/'))).toEqual([]);
  });
});

describe('other device data', () => {
  it('stores telemetry, and status with online/offline from the broker and the last will', async () => {
    const s = await device('sensor-1', 'sensor', {
      will: {
        topic: 'devices/sensor-1/status',
        payload: Buffer.from(JSON.stringify({ time: Date.now(), state: 'offline' })),
        qos: 1,
        retain: false,
      },
    });
    await s.client.publishAsync(
      'devices/sensor-1/telemetry',
      JSON.stringify({ time: at(0), metrics: { fillPct: 83, tiltDeg: 2.5 } }),
      { qos: 1 },
    );
    const { rows } = await db.pool.query(
      `SELECT metric, value FROM telemetry WHERE device_id = 'sensor-1' ORDER BY metric`,
    );
    expect(rows).toEqual([
      { metric: 'fillPct', value: 83 },
      { metric: 'tiltDeg', value: 2.5 },
    ]);
    await s.client.publishAsync(
      'devices/sensor-1/status',
      JSON.stringify({ time: Date.now(), state: 'fault', batteryPct: 9 }),
      {
        qos: 1,
      },
    );
    const state = async () =>
      (await db.pool.query(`SELECT state, battery_pct FROM device_state WHERE device_id = 'sensor-1'`)).rows[0];
    expect(await state()).toEqual({ state: 'fault', battery_pct: 9 });
    await waitFor('live status', () => liveStatus.find((x) => x.deviceId === 'sensor-1' && x.state === 'fault'));

    // Dropping the connection without DISCONNECT fires the last will and the broker's own offline record.
    s.client.stream.destroy();
    await waitFor('offline state', async () => (await state())?.state === 'offline');
    const events = await db.pool.query(
      `SELECT state, source FROM device_events WHERE device_id = 'sensor-1' ORDER BY time, source`,
    );
    expect(events.rows.map((r) => `${r.state}/${r.source}`)).toEqual(
      expect.arrayContaining(['online/broker', 'fault/mqtt', 'offline/broker']),
    );
    // The last will: a status published on the device's behalf (its time was set at connect).
    expect(events.rows.map((r) => `${r.state}/${r.source}`)).toContain('offline/mqtt');
  });

  it('takes a photo upload with the device credential and a report that references it', async () => {
    const c = await device('col-1', 'collector');
    const basic = `Basic ${Buffer.from(`col-1:${c.provisioned.credential}`).toString('base64')}`;
    const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(200, 7)]);
    const upload = await fetch(`${http}/api/media`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'image/jpeg' },
      body: jpeg,
    });
    expect(upload.status).toBe(201);
    const { id } = (await upload.json()) as { id: string };
    const wrong = await fetch(`${http}/api/media`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('col-1:nope').toString('base64')}`, 'content-type': 'image/jpeg' },
      body: jpeg,
    });
    expect(wrong.status).toBe(401);
    const notImage = await fetch(`${http}/api/media`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'image/png' },
      body: jpeg,
    });
    expect(notImage.status).toBe(415);

    const report = {
      reportId: 'a3f1c2d4-0001',
      time: at(0),
      lat: 36.6612,
      lon: 117.0171,
      categoryCode: '0101',
      description: '上水井盖缺失',
      photoIds: [id],
    };
    await c.client.publishAsync('devices/col-1/reports', JSON.stringify(report), { qos: 1 });
    await c.client.publishAsync('devices/col-1/reports', JSON.stringify(report), { qos: 1 });
    const { rows } = await db.pool.query(
      `SELECT report_id, category_code, description, photo_ids FROM collector_reports WHERE device_id = 'col-1'`,
    );
    expect(rows).toEqual([
      { report_id: 'a3f1c2d4-0001', category_code: '0101', description: '上水井盖缺失', photo_ids: [id] },
    ]);
    const download = await fetch(`${http}/api/media/${id}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(Buffer.from(await download.arrayBuffer()).equals(jpeg)).toBe(true);
  });

  it('sends a command, delivers it when the device subscribes, and tracks its answer', async () => {
    const v = await device('veh-cmd');
    const send = await fetch(`${http}/api/devices/veh-cmd/commands`, {
      method: 'POST',
      headers: adminHeaders(ADMIN_TOKEN),
      body: JSON.stringify({ kind: 'set_report_interval', params: { intervalS: 5 } }),
    });
    expect(send.status).toBe(202);
    const command = (await send.json()) as { id: string; status: string };
    expect(command.status).toBe('pending'); // not subscribed yet

    await v.client.subscribeAsync('devices/veh-cmd/commands/#', { qos: 1 });
    const received = await waitFor('command delivered', () => v.commands[0]);
    expect(received.topic).toBe(`devices/veh-cmd/commands/${command.id}`);
    expect(received.body).toMatchObject({
      commandId: command.id,
      kind: 'set_report_interval',
      params: { intervalS: 5 },
    });
    const get = () =>
      fetch(`${http}/api/devices/veh-cmd/commands/${command.id}`, { headers: adminHeaders(ADMIN_TOKEN) }).then(
        (r) => r.json() as Promise<{ status: string; ackMessage: string | null }>,
      );
    expect((await get()).status).toBe('sent');

    await v.client.publishAsync(
      'devices/veh-cmd/acks',
      JSON.stringify({ commandId: command.id, status: 'ok', message: 'interval now 5 s' }),
      { qos: 1 },
    );
    expect(await get()).toMatchObject({ status: 'ok', ackMessage: 'interval now 5 s' });

    const bad = await fetch(`${http}/api/devices/veh-cmd/commands`, {
      method: 'POST',
      headers: adminHeaders(ADMIN_TOKEN),
      body: JSON.stringify({ kind: 'set_report_interval', params: { intervalS: 0 } }),
    });
    expect(bad.status).toBe(400);
    const unknown = await fetch(`${http}/api/devices/nobody/commands`, {
      method: 'POST',
      headers: adminHeaders(ADMIN_TOKEN),
      body: JSON.stringify({ kind: 'reboot' }),
    });
    expect(unknown.status).toBe(404);
    const noToken = await fetch(`${http}/api/devices/veh-cmd/commands`);
    expect(noToken.status).toBe(401);
  });
});

describe('live push', () => {
  it('sends a snapshot on subscribe, then only the chosen layers inside the bounding box', async () => {
    // With the admin token: collectors are people, only for sessions that may see them (test/live-privacy.test.ts).
    const browser = ioClient(`${http}/live`, {
      path: '/socket.io',
      transports: ['websocket'],
      auth: { token: ADMIN_TOKEN },
    });
    const deltas: { deviceId: string }[] = [];
    browser.on('positions', (m: { positions: { deviceId: string }[] }) => deltas.push(...m.positions));
    try {
      const snapshot = new Promise<{ positions: { deviceId: string }[] }>((resolve) =>
        browser.once('snapshot', resolve),
      );
      const ack = await browser.emitWithAck('subscribe', { layers: ['collectors'], bbox: [117.0, 36.6, 117.1, 36.7] });
      expect(ack).toMatchObject({ ok: true, layers: ['collectors'] });
      const snap = await snapshot;
      // Only collectors: none of the vehicles published above.
      expect(snap.positions.every((p) => !p.deviceId.startsWith('veh-'))).toBe(true);

      const c = await device('col-live', 'collector');
      const v = await device('veh-live');
      await c.client.publishAsync(
        'devices/col-live/position',
        JSON.stringify({ time: at(0), lat: 36.65, lon: 117.05 }),
        {
          qos: 1,
        },
      );
      await c.client.publishAsync(
        'devices/col-live/position',
        JSON.stringify({ time: at(1), lat: 36.9, lon: 117.05 }),
        {
          qos: 1,
        },
      );
      await v.client.publishAsync(
        'devices/veh-live/position',
        JSON.stringify({ time: at(0), lat: 36.65, lon: 117.05 }),
        {
          qos: 1,
        },
      );
      await waitFor('collector delta', () => deltas.find((d) => d.deviceId === 'col-live'));
      await new Promise((r) => setTimeout(r, 300));
      expect(deltas.map((d) => d.deviceId)).toEqual(['col-live']);

      expect(await browser.emitWithAck('subscribe', { layers: ['boats'] })).toMatchObject({
        error: expect.stringContaining('unknown layer'),
      });
    } finally {
      browser.close();
    }
  });
});

describe('HTTP', () => {
  it('reports health of the database and the broker', async () => {
    const res = await fetch(`${http}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', checks: { database: 'ok', broker: 'ok' } });
  });

  it('publishes the OpenAPI document of every route', async () => {
    const doc = (await (await fetch(`${http}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/positions/latest',
        '/api/devices',
        '/api/devices/{id}/commands',
        '/api/media',
        '/healthz',
      ]),
    );
  });
});
