// End to end through the real parts: an MQTT client over TCP → aedes → validation → batched writes → TimescaleDB →
// socket.io and the HTTP API. Nothing is mocked.
import mqtt from 'mqtt';
import { pino } from 'pino';
import { io as ioClient, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../hub/config.js';
import { startHub, type RunningHub } from '../hub/hub.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { waitFor } from './support/wait.js';

let db: TestDatabase;
let hub: RunningHub;
let device: mqtt.MqttClient;
let socket: Socket;
const livePositions: { deviceId: string; time: string; lat: number; lon: number }[] = [];
const errors: { topic: string; reason: string; message: string }[] = [];

const base = Date.now() - 60_000;
const at = (offsetS: number) => new Date(base + offsetS * 1000).toISOString();

async function rowsOf(deviceId: string) {
  const { rows } = await db.pool.query<{ time: Date; lat: number; lon: number; speed_kmh: number | null }>(
    'SELECT time, lat, lon, speed_kmh FROM positions WHERE device_id = $1 ORDER BY time',
    [deviceId],
  );
  return rows;
}

beforeAll(async () => {
  db = await createTestDatabase();
  const config = loadConfig({
    DATABASE_URL: db.url,
    HTTP_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    MQTT_PORT: '0',
    MQTT_HOST: '127.0.0.1',
    LIVE_PUSH_INTERVAL_MS: '50',
  });
  hub = await startHub(config, pino({ level: 'silent' }));
  device = await mqtt.connectAsync(`mqtt://127.0.0.1:${hub.mqttPort}`, { clientId: 'veh-test-1', reconnectPeriod: 0 });
  await device.subscribeAsync('devices/+/errors');
  device.on('message', (topic, payload) => {
    if (topic.endsWith('/errors')) errors.push(JSON.parse(payload.toString()));
  });
  socket = ioClient(`http://127.0.0.1:${hub.httpPort}/live`, { path: '/socket.io', transports: ['websocket'] });
  socket.on('positions', (msg: { positions: typeof livePositions }) => livePositions.push(...msg.positions));
  await waitFor('socket.io connection', () => socket.connected);
});

afterAll(async () => {
  socket?.close();
  await device?.endAsync();
  await hub?.close();
  await db?.drop();
});

describe('MQTT position ingest', () => {
  it('stores a published position in the positions hypertable and pushes it live', async () => {
    expect(hub.features.timescale).toBe(true);
    const { rows: hypertables } = await db.pool.query(
      `SELECT hypertable_name FROM timescaledb_information.hypertables WHERE hypertable_name = 'positions'`,
    );
    expect(hypertables).toHaveLength(1);

    const payload = { time: at(0), lat: 36.6641, lon: 117.0201, speedKmh: 32.5, course: 87.2, altitudeM: 40 };
    await device.publishAsync('devices/veh-a/position', JSON.stringify(payload), { qos: 1 });
    // QoS 1 is acknowledged after the commit: the row is there as soon as publishAsync resolves.
    const rows = await rowsOf('veh-a');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.time.toISOString()).toBe(payload.time);
    expect(rows[0]!.lat).toBeCloseTo(36.6641, 6);
    expect(rows[0]!.speed_kmh).toBeCloseTo(32.5, 3);

    const live = await waitFor('live push', () => livePositions.find((p) => p.deviceId === 'veh-a'));
    expect(live).toMatchObject({ deviceId: 'veh-a', time: payload.time, lat: 36.6641, lon: 117.0201 });
  });

  it('stores a re-sent position once', async () => {
    const payload = JSON.stringify({ time: at(1), lat: 36.665, lon: 117.021 });
    await device.publishAsync('devices/veh-b/position', payload, { qos: 1 });
    await device.publishAsync('devices/veh-b/position', payload, { qos: 1 });
    // Also twice inside one batch.
    const again = JSON.stringify({ time: at(2), lat: 36.666, lon: 117.022 });
    await Promise.all([
      device.publishAsync('devices/veh-b/position', again, { qos: 1 }),
      device.publishAsync('devices/veh-b/position', again, { qos: 1 }),
    ]);
    expect((await rowsOf('veh-b')).map((r) => r.time.toISOString())).toEqual([at(1), at(2)]);
  });

  const bad: [string, string | Buffer, string, string][] = [
    ['malformed JSON', '{"time": ', 'malformed_json', 'not valid JSON'],
    ['a missing field', JSON.stringify({ time: at(3), lat: 36.66 }), 'schema', 'missing field "lon"'],
    ['a wrong type', JSON.stringify({ time: at(3), lat: '36.66', lon: 117.02 }), 'schema', 'lat must be number'],
    [
      'latitude out of range',
      JSON.stringify({ time: at(3), lat: 91, lon: 117.02 }),
      'out_of_range',
      'lat must be <= 90',
    ],
    [
      'longitude out of range',
      JSON.stringify({ time: at(3), lat: 36.6, lon: -181 }),
      'out_of_range',
      'lon must be >= -180',
    ],
    [
      'a time far in the future',
      JSON.stringify({ time: new Date(Date.now() + 3_600_000).toISOString(), lat: 36.6, lon: 117.0 }),
      'time_in_future',
      's in the future',
    ],
    [
      'a time without a zone',
      JSON.stringify({ time: '2026-11-25T08:00:00', lat: 36.6, lon: 117.0 }),
      'schema',
      'time must be',
    ],
    [
      'an unknown field',
      JSON.stringify({ time: at(3), lat: 36.6, lon: 117.0, latitude: 1 }),
      'schema',
      'unknown field "latitude"',
    ],
    [
      'an oversized payload',
      JSON.stringify({ time: at(3), lat: 36.6, lon: 117.0, attributes: { x: 'y'.repeat(20_000) } }),
      'payload_too_large',
      'limit',
    ],
  ];
  it.each(bad)('rejects %s: nothing stored, the device is told why', async (_what, payload, reason, message) => {
    const deviceId = `veh-bad-${reason}`;
    const before = errors.length;
    await device.publishAsync(`devices/${deviceId}/position`, payload, { qos: 1 });
    const error = await waitFor('error message', () => errors.slice(before).find((e) => e.topic.includes(deviceId)));
    expect(error.reason).toBe(reason);
    expect(error.message).toContain(message);
    expect(await rowsOf(deviceId)).toHaveLength(0);
    // The device stays connected: a bad message is answered, not punished with a disconnect.
    expect(device.connected).toBe(true);
  });

  it('rejects an unknown topic kind under a device prefix', async () => {
    const before = errors.length;
    await device.publishAsync('devices/veh-c/whatever', '{}', { qos: 1 });
    const error = await waitFor('error message', () => errors.slice(before).find((e) => e.topic.includes('veh-c')));
    expect(error.reason).toBe('unknown_topic');
  });

  it('serves the latest position of each device as GeoJSON, never moving backwards', async () => {
    await device.publishAsync('devices/veh-d/position', JSON.stringify({ time: at(20), lat: 36.67, lon: 117.03 }), {
      qos: 1,
    });
    // A late re-send of an older fix (after a coverage gap) is stored but does not replace the latest.
    await device.publishAsync('devices/veh-d/position', JSON.stringify({ time: at(10), lat: 36.6, lon: 117.0 }), {
      qos: 1,
    });
    expect(await rowsOf('veh-d')).toHaveLength(2);
    const res = await fetch(`http://127.0.0.1:${hub.httpPort}/api/positions/latest`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      type: string;
      features: { geometry: { coordinates: number[] }; properties: Record<string, unknown> }[];
    };
    expect(body.type).toBe('FeatureCollection');
    const d = body.features.find((f) => f.properties.deviceId === 'veh-d');
    expect(d?.geometry.coordinates).toEqual([117.03, 36.67]);
    expect(d?.properties).toEqual({ deviceId: 'veh-d', time: at(20), speedKmh: null, course: null });
  });

  it('thins a track with time_bucket', async () => {
    for (let i = 0; i < 6; i++) {
      await device.publishAsync(
        'devices/veh-e/position',
        JSON.stringify({
          time: new Date(Date.UTC(2026, 0, 5, 0, 0, i * 20)).toISOString(),
          lat: 36.6 + i / 1000,
          lon: 117,
        }),
        { qos: 1 },
      );
    }
    const url = (q: string) => `http://127.0.0.1:${hub.httpPort}/api/devices/veh-e/track?${q}`;
    const range = 'from=2026-01-05T00:00:00Z&to=2026-01-05T01:00:00Z';
    const all = (await (await fetch(url(range))).json()) as { geometry: { coordinates: number[][] } };
    expect(all.geometry.coordinates).toHaveLength(6);
    // Buckets of 60 s: [0,20,40] and [60,80,100] → the last fix of each.
    const thin = (await (await fetch(url(`${range}&bucketS=60`))).json()) as {
      geometry: { coordinates: number[][] };
      properties: { times: string[] };
    };
    expect(thin.properties.times).toEqual(['2026-01-05T00:00:40.000Z', '2026-01-05T00:01:40.000Z']);
    const badRange = await fetch(url('from=2026-01-05T01:00:00Z&to=2026-01-05T00:00:00Z'));
    expect(badRange.status).toBe(400);
    expect(badRange.headers.get('content-type')).toContain('application/problem+json');
  });

  it('reports health of the database and the broker', async () => {
    const res = await fetch(`http://127.0.0.1:${hub.httpPort}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', checks: { database: 'ok', broker: 'ok' } });
  });
});
