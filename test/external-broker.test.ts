// External broker mode end to end: our own Mosquitto (password file, ACL, no persistence), two built hub processes
// sharing `$share/cityhub/devices/+/+` on it and one database, and real mqtt.js devices publishing to Mosquitto.
// Nothing is mocked. Run `npm run build:server` first (the hubs are `node dist/hub/main.js`).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { spawnHub, waitHealthy, type HubProcess } from './support/hub-process.js';
import { startMosquitto, type Mosquitto } from './support/mosquitto.js';
import { freePort, waitFor } from './support/wait.js';

const HUB_USER = 'hubuser';
const HUB_PASS = 'pass';
const DEVICES = {
  'veh-ext-1': 'dev-pass-1',
  'veh-ext-bad': 'dev-pass-bad',
  'veh-ext-kill': 'dev-pass-kill',
  'veh-ext-restart': 'dev-pass-restart',
} as const;
type DeviceId = keyof typeof DEVICES;

// The hub reads every device topic and writes only commands and errors; a device writes under its own prefix and reads
// its own commands and errors.
const ACL = `user ${HUB_USER}
topic read devices/#
topic write devices/+/commands/#
topic write devices/+/errors

pattern write devices/%u/#
pattern read devices/%u/commands/#
pattern read devices/%u/errors
`;

interface Hub {
  id: string;
  httpPort: number;
  dataDir: string;
  process: HubProcess;
  http: string;
}

let broker: Mosquitto;
let db: TestDatabase;
const hubs: Hub[] = [];
const clients: mqtt.MqttClient[] = [];

async function startHub(id: string, dataDir: string, httpPort: number): Promise<Hub> {
  const process = spawnHub({
    HUB_ID: id,
    HTTP_PORT: String(httpPort),
    HTTP_HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    DATABASE_URL: db.url,
    MQTT_URL: `mqtt://${HUB_USER}:${HUB_PASS}@127.0.0.1:${broker.port}`,
    ADMIN_TOKEN: 'test-admin-token-0123456789',
    LOG_LEVEL: 'info',
  });
  const hub = { id, httpPort, dataDir, process, http: `http://127.0.0.1:${httpPort}` };
  hubs.push(hub);
  // waitHealthy only reports an exit at its timeout: fail as soon as the hub dies.
  await Promise.race([
    waitHealthy(httpPort, process),
    process.exited.then((code) => {
      throw new Error(`${id} exited with ${code} before it was healthy:\n${process.output()}`);
    }),
  ]);
  return hub;
}

async function metric(hub: Hub, name: string): Promise<number> {
  const text = await (await fetch(`${hub.http}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : 0;
}
const storedPositions = (hub: Hub) => metric(hub, 'cityhub_observations_stored_total{type="position"}');

async function rowCounts(deviceId: string): Promise<{ rows: number; times: number }> {
  const { rows } = await db.pool.query<{ rows: string; times: string }>(
    'SELECT count(*) AS rows, count(DISTINCT time) AS times FROM positions WHERE device_id = $1',
    [deviceId],
  );
  return { rows: Number(rows[0]!.rows), times: Number(rows[0]!.times) };
}

/** A device connected to Mosquitto with its own credentials, recording what it receives on its errors topic. */
async function device(id: DeviceId, protocolVersion: 4 | 5) {
  const client = await mqtt.connectAsync(broker.url, {
    clientId: id,
    username: id,
    password: DEVICES[id],
    protocolVersion,
    reconnectPeriod: 0,
  });
  clients.push(client);
  const errors: { topic: string; reason: string; message: string }[] = [];
  client.on('message', (topic, payload) => {
    if (topic === `devices/${id}/errors`) errors.push(JSON.parse(payload.toString()));
  });
  await client.subscribeAsync(`devices/${id}/errors`, { qos: 1 });
  return { client, errors };
}

const base = Date.now() - 86_400_000;
/** Fix i of a device walking north-east at ~5 km/h, one a second: distinct times, plausible steps. */
const fix = (i: number) =>
  JSON.stringify({ time: new Date(base + i * 1000).toISOString(), lat: 36.66 + i * 1e-5, lon: 117.02 + i * 1e-5 });

beforeAll(async () => {
  broker = await startMosquitto({
    users: { [HUB_USER]: HUB_PASS, ...DEVICES },
    acl: ACL,
  });
  db = await createTestDatabase();
  // One after the other: both run the migrations at start-up (under an advisory lock).
  for (const id of ['hub-a', 'hub-b']) {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), `cityhub-ext-${id}-`));
    await startHub(id, dataDir, await freePort());
  }
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
  await Promise.all(hubs.map((h) => h.process.stop()));
  await broker?.stop();
  await db?.drop();
  await Promise.all([...new Set(hubs.map((h) => h.dataDir))].map((d) => rm(d, { recursive: true, force: true })));
});

describe('external broker mode (Mosquitto, two hubs on one shared subscription)', () => {
  it('both hubs are healthy with the broker connection checked', async () => {
    for (const hub of hubs) {
      const res = await fetch(`${hub.http}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok', checks: { database: 'ok', broker: 'ok' } });
    }
  });

  it('splits one device stream across both hubs and stores each position exactly once', async () => {
    const N = 2000;
    const [a, b] = hubs as [Hub, Hub];
    const batchesBefore = await Promise.all(hubs.map((h) => metric(h, 'cityhub_batch_rows_count')));
    const { client } = await device('veh-ext-1', 5);
    const started = Date.now();
    // Mosquitto acknowledges each publish once it has the message (not once a hub stored it).
    await Promise.all(
      Array.from({ length: N }, (_, i) => client.publishAsync('devices/veh-ext-1/position', fix(i), { qos: 1 })),
    );
    const acked = Date.now();
    await waitFor(`${N} positions stored`, async () => (await rowCounts('veh-ext-1')).rows >= N, 240_000, 100);
    const stored = Date.now();
    expect(await rowCounts('veh-ext-1')).toEqual({ rows: N, times: N });

    // The counters move right after each commit; both hubs took part and together stored each position once.
    const counts = await waitFor(
      'the stored counters to add up',
      async () => {
        const c = [await storedPositions(a), await storedPositions(b)];
        return c[0]! + c[1]! === N ? c : false;
      },
      10_000,
      100,
    );
    expect(counts[0]).toBeGreaterThan(0);
    expect(counts[1]).toBeGreaterThan(0);

    // A backlog is written in batches: holding each PUBACK until its commit must not make the hub take one message
    // per commit (it did: 1,000 one-row batches per hub, ~17 messages/s).
    const batchesAfter = await Promise.all(hubs.map((h) => metric(h, 'cityhub_batch_rows_count')));
    const batches = batchesAfter.map((n, i) => n - batchesBefore[i]!);
    console.log(
      `external broker: ${N} positions acked by mosquitto in ${acked - started} ms, all stored after ` +
        `${stored - started} ms; stored per hub ${counts.join(' + ')}, in ${batches.join(' + ')} batches`,
    );
    expect(batches[0]! + batches[1]!).toBeLessThan(N / 4);
  }, 300_000);

  it('answers a bad payload on the device errors topic and stores nothing', async () => {
    const { client, errors } = await device('veh-ext-bad', 4);
    await client.publishAsync('devices/veh-ext-bad/position', '{"time": ', { qos: 1 });
    const error = await waitFor('an error message', () => errors[0], 15_000);
    expect(error).toMatchObject({ topic: 'devices/veh-ext-bad/position', reason: 'malformed_json' });

    await client.publishAsync(
      'devices/veh-ext-bad/position',
      JSON.stringify({ time: new Date(base).toISOString(), lat: 91, lon: 117.02 }),
      { qos: 1 },
    );
    const second = await waitFor('a second error message', () => errors[1], 15_000);
    expect(second).toMatchObject({ reason: 'out_of_range', message: expect.stringContaining('lat must be <= 90') });

    expect(await rowCounts('veh-ext-bad')).toEqual({ rows: 0, times: 0 });
    // Each refusal was counted by exactly one hub.
    for (const reason of ['malformed_json', 'out_of_range']) {
      const name = `cityhub_messages_rejected_total{reason="${reason}"}`;
      const perHub = await Promise.all(hubs.map((h) => metric(h, name)));
      expect(perHub[0]! + perHub[1]!).toBe(1);
    }
    expect(errors).toHaveLength(2);
  });

  it('a hub killed mid-stream: its unacknowledged messages wait in its session and are stored when it returns', async () => {
    const M = 1500;
    const [a] = hubs as [Hub, Hub];
    const { client } = await device('veh-ext-kill', 5);
    const publishes: Promise<unknown>[] = [];
    const publish = async (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        publishes.push(client.publishAsync('devices/veh-ext-kill/position', fix(i), { qos: 1 }));
        // ~1,000 messages a second, so the stream is still flowing when the hub dies.
        if (i % 25 === 24) await new Promise((r) => setTimeout(r, 25));
      }
    };
    const aBefore = await storedPositions(a);
    await publish(0, M / 2);
    await waitFor('hub-a to store some of this stream', async () => (await storedPositions(a)) > aBefore, 15_000);
    a.process.proc.kill('SIGKILL');
    await a.process.exited;
    await publish(M / 2, M);
    // Every message was acknowledged to the device, by Mosquitto.
    await Promise.all(publishes);

    // hub-b alone: Mosquitto keeps hub-a's persistent session (sessionExpiryInterval 3600), keeps the messages that
    // were in flight to it, and keeps giving it its turn of the shared subscription. hub-b does not take them over.
    let alone = -1;
    await waitFor(
      'hub-b to settle',
      async () => {
        const { rows } = await rowCounts('veh-ext-kill');
        const settled = rows === alone;
        alone = rows;
        return settled;
      },
      30_000,
      2000,
    );
    console.log(`external broker: with hub-a killed, hub-b stored ${alone} of the ${M} acknowledged positions`);
    expect(alone).toBeLessThan(M);

    // hub-a back with the same HUB_ID (its session on the broker) and DATA_DIR: every position, once.
    await startHub(a.id, a.dataDir, await freePort());
    await waitFor(`all ${M} positions stored`, async () => (await rowCounts('veh-ext-kill')).rows >= M, 60_000, 100);
    expect(await rowCounts('veh-ext-kill')).toEqual({ rows: M, times: M });
    expect(broker.output()).not.toMatch(/dropped/i);
  }, 180_000);

  it('a hub restarting into a backlog that starts with a refused message comes up, answers it and stores the rest', async () => {
    // Mosquitto sends a resumed session's backlog right behind the CONNACK, so the restarted hub handles its first
    // messages in the same tick as the connection: before that, the consumer must be ready to hold their PUBACKs and
    // to answer refusals (it was not: a refusal there crashed the hub on every restart, and those first messages
    // were acknowledged before they were stored).
    const K = 200;
    const a = hubs.at(-1)!;
    expect(a.id).toBe('hub-a');
    const { client, errors } = await device('veh-ext-restart', 5);
    await client.publishAsync('devices/veh-ext-restart/position', fix(0), { qos: 1 });
    await waitFor('the first fix stored', async () => (await rowCounts('veh-ext-restart')).rows === 1, 15_000);
    // hub-a idle (nothing in flight to it), then killed: its session's backlog starts with what comes next.
    await new Promise((r) => setTimeout(r, 500));
    a.process.proc.kill('SIGKILL');
    await a.process.exited;
    // One refusal for each hub (the shared subscription deals them in turn), then K fixes.
    await client.publishAsync('devices/veh-ext-restart/position', '{"time": ', { qos: 1 });
    await client.publishAsync('devices/veh-ext-restart/position', '{"time": ', { qos: 1 });
    await Promise.all(
      Array.from({ length: K }, (_, i) =>
        client.publishAsync('devices/veh-ext-restart/position', fix(i + 1), { qos: 1 }),
      ),
    );
    await waitFor('hub-b to answer its refusal', () => errors.length >= 1, 15_000);
    expect((await rowCounts('veh-ext-restart')).rows).toBeLessThan(K + 1);

    const restarted = await startHub(a.id, a.dataDir, await freePort());
    await waitFor(`all ${K + 1} fixes stored`, async () => (await rowCounts('veh-ext-restart')).rows >= K + 1, 30_000);
    expect(await rowCounts('veh-ext-restart')).toEqual({ rows: K + 1, times: K + 1 });
    await waitFor('the restarted hub to answer its refusal', () => errors.length >= 2, 15_000);
    expect(errors.map((e) => e.reason)).toEqual(['malformed_json', 'malformed_json']);
    expect(restarted.process.proc.exitCode).toBeNull();
    expect((await fetch(`${restarted.http}/healthz`)).status).toBe(200);
  }, 120_000);
});
