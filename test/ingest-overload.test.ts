// Overload through the real parts (aedes over TCP, the pipeline, TimescaleDB): while the database cannot take writes,
// a hub with a small INGEST_MAX_QUEUED queues that many observations, holds as many more messages undecoded, then stops
// reading the devices' connections — what the devices keep sending waits outside the hub — and once the database is
// back, every message sent is acknowledged and stored once.
import mqtt from 'mqtt';
import pg from 'pg';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHub } from '../hub/hub.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { connectDevice, provisionDevice } from './support/devices.js';
import { startInProcessHub } from './support/in-process-hub.js';
import { fetchMetrics, metricValue } from './support/metrics.js';
import { waitFor } from './support/wait.js';

const ADMIN_TOKEN = 'test-admin-token-overload-0123';
const MAX_QUEUED = 100;
const DEVICES = 10;

let db: TestDatabase;
let hub: RunningHub;
let dataDir: string;
const clients: mqtt.MqttClient[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'cityhub-overload-'));
  hub = await startInProcessHub({
    DATABASE_URL: db.url,
    DATA_DIR: dataDir,
    ADMIN_TOKEN,
    INGEST_MAX_QUEUED: String(MAX_QUEUED),
    INGEST_BATCH_MAX_ROWS: '20',
    DEVICE_RATE_PER_S: '10000',
    DEVICE_RATE_BURST: '10000',
  });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await hub?.close();
  await db?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('ingest under a database stall', () => {
  it('bounds what it holds by stopping to read the devices, then stores every message once', async () => {
    const http = `http://127.0.0.1:${hub.httpPort}`;
    const mqttUrl = `mqtt://127.0.0.1:${hub.mqttPort}`;
    const ids = Array.from({ length: DEVICES }, (_, i) => `stall-veh-${i}`);
    for (const id of ids) {
      const device = await provisionDevice(http, ADMIN_TOKEN, { id, kind: 'vehicle' });
      clients.push(await connectDevice(mqttUrl, device, { reconnectPeriod: 0 }));
    }
    const base = Date.now() - 600_000;
    let sent = 0;
    const acks: Promise<unknown>[] = [];
    let sending = true;
    // Each device sends a fix every 10 ms (100/s each), QoS 1, without waiting for its PUBACKs.
    const senders = clients.map(async (client, d) => {
      for (let i = 0; sending; i++) {
        const body = { time: new Date(base + i * 50).toISOString(), lat: 36.66 + d * 1e-3, lon: 117.02 + i * 1e-6 };
        acks.push(client.publishAsync(`devices/${ids[d]}/position`, JSON.stringify(body), { qos: 1 }));
        sent++;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    });

    // The database stalls: the positions hypertable is locked by another session.
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE positions IN ACCESS EXCLUSIVE MODE');
      const metrics = await waitFor(
        'the broker to stop reading the devices',
        async () => {
          const text = await fetchMetrics(hub.httpPort);
          return metricValue(text, 'cityhub_ingest_reading_paused') === 1 ? text : null;
        },
        10_000,
      );
      const heldAtPause = metricValue(metrics, 'cityhub_ingest_held');
      expect(heldAtPause).toBeGreaterThanOrEqual(MAX_QUEUED);
      // Devices keep sending for a while; the hub's share does not grow with it.
      const sentAtPause = sent;
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const later = await fetchMetrics(hub.httpPort);
      expect(sent - sentAtPause).toBeGreaterThan(500);
      expect(metricValue(later, 'cityhub_ingest_reading_paused')).toBe(1);
      const queued = metricValue(later, 'cityhub_ingest_queued');
      const held = metricValue(later, 'cityhub_ingest_held');
      // Bounded by the settings (with at most what one read of each connection held when the gate closed) — not by
      // the ~1,500 messages sent meanwhile.
      expect(queued).toBeLessThanOrEqual(MAX_QUEUED + 20);
      expect(held).toBeLessThan(MAX_QUEUED + DEVICES * 10);
      expect(sent - queued - held).toBeGreaterThan(1000);
    } finally {
      sending = false;
      await locker.query('COMMIT').catch(() => undefined);
      await locker.end();
    }
    await Promise.all(senders);

    // The database is back: every message is acknowledged and stored once.
    await Promise.all(acks);
    const { rows } = await db.pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM positions WHERE device_id = ANY($1::text[])',
      [ids],
    );
    expect(Number(rows[0]!.n)).toBe(sent);
    const after = await waitFor(
      'the broker reading again',
      async () => {
        const text = await fetchMetrics(hub.httpPort);
        return metricValue(text, 'cityhub_ingest_reading_paused') === 0 &&
          metricValue(text, 'cityhub_ingest_held') === 0
          ? text
          : null;
      },
      5_000,
    );
    expect(metricValue(after, 'cityhub_ingest_queued')).toBe(0);
  }, 60_000);
});
