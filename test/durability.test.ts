// The headline delivery guarantee, against the real parts (the built hub as a process, real MQTT clients over TCP,
// a real TimescaleDB): a position whose QoS 1 PUBACK the device received is stored — exactly once — even if the hub
// is killed with SIGKILL right after, or the database is down when it arrives (it is then acknowledged from the
// fsynced local spool and replayed, in order, once the database is back).
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, describe, expect, it, onTestFailed } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { connectDevice, provisionDevice } from './support/devices.js';
import { spawnHub, waitHealthy, type HubProcess } from './support/hub-process.js';
import { fetchMetrics, metricValue } from './support/metrics.js';
import { startOwnCluster, type OwnCluster } from './support/own-cluster.js';
import { SteadyPublisher } from './support/steady-publisher.js';
import { freePort, waitFor } from './support/wait.js';

const ADMIN_TOKEN = 'durability-admin-token-0123456789';
/** Per device; three devices make ~300 positions/s in all. */
const RATE_PER_DEVICE = 100;
const DEVICES = 3;

const hubs: HubProcess[] = [];
const clusters: OwnCluster[] = [];
const databases: TestDatabase[] = [];
const dirs: string[] = [];
const publishers: SteadyPublisher[] = [];

afterAll(async () => {
  for (const p of publishers) {
    p.stop();
    await p.client.endAsync(true).catch(() => undefined);
  }
  // Before the databases: a hub stopping cleanly flushes its last batch.
  for (const hub of hubs) await stopHub(hub);
  const errors: unknown[] = [];
  for (const cluster of clusters) {
    try {
      cluster.stop();
    } catch (err) {
      errors.push(err);
    }
  }
  for (const db of databases) await db.drop().catch((err: unknown) => errors.push(err));
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  if (errors.length > 0) throw new AggregateError(errors, 'durability test clean-up failed');
});

/** SIGTERM, then SIGKILL if it has not exited within 15 s (a hub whose database is gone may hang on its last flush). */
/** This file's own cluster, started on first use and stopped in afterAll (its outages disturb no other test file). */
function ownCluster(): OwnCluster {
  if (clusters[0]) return clusters[0];
  const cluster = startOwnCluster();
  clusters.push(cluster);
  return cluster;
}

async function stopHub(hub: HubProcess): Promise<void> {
  if (hub.proc.exitCode !== null || hub.proc.signalCode !== null) return;
  hub.proc.kill('SIGTERM');
  const timer = setTimeout(() => hub.proc.kill('SIGKILL'), 15_000);
  await hub.exited;
  clearTimeout(timer);
}

async function hubEnv(databaseUrl: string): Promise<Record<string, string>> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cityhub-durability-'));
  dirs.push(dataDir);
  return {
    DATABASE_URL: databaseUrl,
    DATA_DIR: dataDir,
    ADMIN_TOKEN,
    HTTP_PORT: String(await freePort()),
    MQTT_PORT: String(await freePort()),
    HTTP_HOST: '127.0.0.1',
    MQTT_HOST: '127.0.0.1',
    LOG_LEVEL: process.env.TEST_HUB_LOG_LEVEL ?? 'info',
    // The rate limiter refuses (and still acknowledges) what is over the limit: keep it out of the way.
    DEVICE_RATE_PER_S: '10000',
    DEVICE_RATE_BURST: '100000',
  };
}

function startHubProcess(env: Record<string, string>, label: string): HubProcess {
  const hub = spawnHub(env);
  hubs.push(hub);
  onTestFailed(() => {
    const lines = hub.output().trimEnd().split('\n');
    console.error(`---- ${label} output (last 80 of ${lines.length} lines) ----\n${lines.slice(-80).join('\n')}`);
  });
  return hub;
}

/** The hub's JSON log lines (pino) so far. */
function logLines(hub: HubProcess): { msg?: string; [k: string]: unknown }[] {
  return hub
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { msg?: string });
}

/** Provisions `ids` over the admin API and connects each as itself; nothing is published yet. */
async function fleet(env: Record<string, string>, ids: string[], baseMs: number): Promise<SteadyPublisher[]> {
  const http = `http://127.0.0.1:${env.HTTP_PORT}`;
  const mqttUrl = `mqtt://127.0.0.1:${env.MQTT_PORT}`;
  const list: SteadyPublisher[] = [];
  for (const id of ids) {
    const device = await provisionDevice(http, ADMIN_TOKEN, { id, kind: 'vehicle' });
    const client = await connectDevice(mqttUrl, device, { reconnectPeriod: 0, connectTimeout: 10_000 });
    const publisher = new SteadyPublisher(client, id, { ratePerS: RATE_PER_DEVICE, baseMs, stepMs: 10 });
    await publisher.listenForRefusals();
    publishers.push(publisher);
    list.push(publisher);
  }
  return list;
}

const total = (list: SteadyPublisher[], pick: (p: SteadyPublisher) => number) => list.reduce((n, p) => n + pick(p), 0);

async function settled(list: SteadyPublisher[], timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${total(list, (p) => p.inFlight.size)} publishes still in flight after ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    await Promise.race([Promise.all(list.map((p) => p.settled())), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface DeviceRows {
  deviceId: string;
  acked: number;
  rows: number;
  distinctTimes: number;
  ackedFound: number;
  missing: string[];
}

/** What the positions table holds for each publisher's device, compared with what the device had acknowledged. */
async function storedRows(pool: pg.Pool, list: SteadyPublisher[]): Promise<DeviceRows[]> {
  const result: DeviceRows[] = [];
  for (const p of list) {
    const { rows: counts } = await pool.query<{ rows: string; distinct_times: string }>(
      'SELECT count(*) AS rows, count(DISTINCT time) AS distinct_times FROM positions WHERE device_id = $1',
      [p.deviceId],
    );
    const { rows: found } = await pool.query<{ time: Date }>(
      'SELECT time FROM positions WHERE device_id = $1 AND time = ANY($2::timestamptz[])',
      [p.deviceId, p.acked],
    );
    const foundTimes = new Set(found.map((r) => r.time.toISOString()));
    result.push({
      deviceId: p.deviceId,
      acked: p.acked.length,
      rows: Number(counts[0]!.rows),
      distinctTimes: Number(counts[0]!.distinct_times),
      ackedFound: foundTimes.size,
      missing: p.acked.filter((t) => !foundTimes.has(t)).slice(0, 10),
    });
  }
  return result;
}

describe('durability of acknowledged positions', () => {
  it('keeps every acknowledged position when the hub is killed with SIGKILL mid-stream', async () => {
    const db = await createTestDatabase();
    databases.push(db);
    const env = await hubEnv(db.url);
    const first = startHubProcess(env, 'hub (killed)');
    await waitHealthy(Number(env.HTTP_PORT), first);

    const baseMs = Date.now() - 3_600_000;
    const list = await fleet(
      env,
      Array.from({ length: DEVICES }, (_, i) => `kill-veh-${i}`),
      baseMs,
    );
    for (const p of list) p.start();
    // Mid-stream: a good number acknowledged, more in flight.
    await waitFor('positions acknowledged before the kill', () => total(list, (p) => p.acked.length) >= 1500, 30_000);
    const sentBeforeKill = total(list, (p) => p.sent);
    first.proc.kill('SIGKILL');
    await first.exited;
    expect(first.proc.signalCode).toBe('SIGKILL');

    // The connections die with the process; whatever was in flight fails on the device side.
    await waitFor('the devices to see the hub gone', () => list.every((p) => !p.client.connected), 10_000);
    for (const p of list) {
      p.stop();
      await p.client.endAsync(true);
    }
    await settled(list, 10_000);

    const second = startHubProcess(env, 'hub (restarted)');
    await waitHealthy(Number(env.HTTP_PORT), second);

    const perDevice = await storedRows(db.pool, list);
    const acked = total(list, (p) => p.acked.length);
    const sent = total(list, (p) => p.sent);
    const rows = perDevice.reduce((n, d) => n + d.rows, 0);
    console.log(
      `[durability] kill -9: sent ${sent} (${sentBeforeKill} when killed), acked ${acked}, ` +
        `failed in flight ${total(list, (p) => p.failed.length)}, rows stored ${rows}`,
      perDevice.map(({ missing: _, ...d }) => d),
    );

    expect(list.flatMap((p) => p.refusals)).toEqual([]);
    expect(acked).toBeGreaterThanOrEqual(1500);
    for (const d of perDevice) {
      expect(d.missing, `acknowledged positions of ${d.deviceId} missing after kill -9`).toEqual([]);
      expect(d.ackedFound).toBe(d.acked);
      expect(d.rows).toBe(d.distinctTimes);
      // Nothing stored that was not sent (in-flight, unacknowledged fixes may or may not be there).
      expect(d.rows).toBeLessThanOrEqual(list.find((p) => p.deviceId === d.deviceId)!.sent);
    }

    // The restarted hub takes data again.
    const after = await provisionDevice(`http://127.0.0.1:${env.HTTP_PORT}`, ADMIN_TOKEN, {
      id: 'kill-veh-after',
      kind: 'vehicle',
    });
    const client = await connectDevice(`mqtt://127.0.0.1:${env.MQTT_PORT}`, after);
    try {
      const time = new Date(baseMs).toISOString();
      await client.publishAsync(`devices/${after.id}/position`, JSON.stringify({ time, lat: 36.67, lon: 117.02 }), {
        qos: 1,
      });
      const { rows: stored } = await db.pool.query('SELECT 1 FROM positions WHERE device_id = $1 AND time = $2', [
        after.id,
        time,
      ]);
      expect(stored).toHaveLength(1);
    } finally {
      await client.endAsync(true);
    }
    await stopHub(second);
  }, 120_000);

  it('acknowledges from the spool while the database is down, then stores every acknowledged position once', async () => {
    const cluster = ownCluster();
    onTestFailed(() => {
      const lines = cluster.log().trimEnd().split('\n');
      console.error(`---- own cluster postgres.log (last 40 lines) ----\n${lines.slice(-40).join('\n')}`);
    });
    const env = await hubEnv(cluster.url);
    const hub = startHubProcess(env, 'hub (database outage)');
    const httpPort = Number(env.HTTP_PORT);
    await waitHealthy(httpPort, hub);

    const list = await fleet(
      env,
      Array.from({ length: DEVICES }, (_, i) => `outage-veh-${i}`),
      Date.now() - 3_600_000,
    );
    for (const p of list) p.start();
    await waitFor('positions acknowledged before the outage', () => total(list, (p) => p.acked.length) >= 600, 30_000);

    // Sample the spool gauge all along.
    let spoolPeak = 0;
    let spoolPeakDuringOutage = 0;
    let outage = false;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const text = await fetchMetrics(httpPort).catch(() => '');
        const batches = metricValue(text, 'cityhub_spool_batches');
        spoolPeak = Math.max(spoolPeak, batches);
        if (outage) spoolPeakDuringOutage = Math.max(spoolPeakDuringOutage, batches);
        await sleep(200);
      }
    })();

    let ackedDuringOutage: number;
    let metricsDuringOutage: string;
    try {
      await cluster.pause();
      outage = true;
      const ackedAtPause = total(list, (p) => p.acked.length);
      const sentAtPause = total(list, (p) => p.sent);
      await sleep(20_000);
      ackedDuringOutage = total(list, (p) => p.acked.length) - ackedAtPause;
      metricsDuringOutage = await fetchMetrics(httpPort);
      outage = false;
      console.log(
        `[durability] outage: ${total(list, (p) => p.sent) - sentAtPause} sent and ${ackedDuringOutage} acked ` +
          `during the 20 s outage; spool peak so far ${spoolPeakDuringOutage} batches`,
      );
      expect(hub.proc.exitCode, 'the hub must survive the outage').toBeNull();
      // Publishing did not stall: the spool acknowledged while the database was away.
      expect(ackedDuringOutage).toBeGreaterThan(0);
      expect(spoolPeakDuringOutage).toBeGreaterThan(0);
      expect(
        metricValue(metricsDuringOutage, 'cityhub_batch_commit_seconds_count', { target: 'spool' }),
      ).toBeGreaterThan(0);
    } finally {
      outage = false;
      await cluster.resume();
    }

    try {
      await waitFor(
        'the spool to drain into the database',
        async () => {
          const text = await fetchMetrics(httpPort);
          return metricValue(text, 'cityhub_spool_batches') === 0 && metricValue(text, 'cityhub_spool_bytes') === 0;
        },
        60_000,
        200,
      );
      // Back on the direct path: more acknowledgements after the drain.
      const ackedAfterDrain = total(list, (p) => p.acked.length);
      await waitFor(
        'acknowledgements after the drain',
        () => total(list, (p) => p.acked.length) >= ackedAfterDrain + 300,
        30_000,
      );
    } finally {
      sampling = false;
      await sampler;
    }
    for (const p of list) p.stop();
    await settled(list, 30_000);

    const verify = new pg.Pool({ connectionString: cluster.url, max: 2 });
    let perDevice: DeviceRows[];
    try {
      perDevice = await storedRows(verify, list);
    } finally {
      await verify.end();
    }
    const acked = total(list, (p) => p.acked.length);
    const rows = perDevice.reduce((n, d) => n + d.rows, 0);
    const finalMetrics = await fetchMetrics(httpPort);
    console.log(
      `[durability] outage: sent ${total(list, (p) => p.sent)}, acked ${acked} (${ackedDuringOutage} during the ` +
        `outage), rows stored ${rows}, spool peak ${spoolPeak} batches, batches spooled ` +
        `${metricValue(metricsDuringOutage, 'cityhub_batch_commit_seconds_count', { target: 'spool' })}`,
      perDevice.map(({ missing: _, ...d }) => d),
    );

    expect(list.flatMap((p) => p.refusals)).toEqual([]);
    expect(list.flatMap((p) => p.failed)).toEqual([]);
    expect(list.flatMap((p) => p.clientErrors)).toEqual([]);
    for (const p of list) {
      const d = perDevice.find((r) => r.deviceId === p.deviceId)!;
      expect(d.missing, `acknowledged positions of ${d.deviceId} missing after the outage`).toEqual([]);
      // Every fix sent was acknowledged, and each is stored exactly once.
      expect(p.acked.length).toBe(p.sent);
      expect(new Set(p.acked).size).toBe(p.acked.length);
      expect(d.ackedFound).toBe(p.acked.length);
      expect(d.rows).toBe(p.acked.length);
      expect(d.distinctTimes).toBe(p.acked.length);
    }
    // Nothing was refused by the database on replay.
    expect(existsSync(path.join(env.DATA_DIR!, 'spool', 'dead-letter.jsonl'))).toBe(false);
    expect(metricValue(finalMetrics, 'cityhub_spool_batches')).toBe(0);

    for (const p of list) await p.client.endAsync();
    await stopHub(hub);
    expect(hub.proc.exitCode).toBe(0);
  }, 150_000);
  it('replays what only the spool held when the hub is killed with SIGKILL during a database outage', async () => {
    const cluster = ownCluster();
    onTestFailed(() => {
      const lines = cluster.log().trimEnd().split('\n');
      console.error(`---- own cluster postgres.log (last 40 lines) ----\n${lines.slice(-40).join('\n')}`);
    });
    const env = await hubEnv(cluster.url);
    const httpPort = Number(env.HTTP_PORT);
    const first = startHubProcess(env, 'hub (killed during the outage)');
    await waitHealthy(httpPort, first);

    const list = await fleet(
      env,
      Array.from({ length: DEVICES }, (_, i) => `spool-veh-${i}`),
      Date.now() - 3_600_000,
    );
    for (const p of list) p.start();
    await waitFor('positions acknowledged before the outage', () => total(list, (p) => p.acked.length) >= 300, 30_000);

    let ackedFromSpool: number;
    let spooledBatches: number;
    try {
      await cluster.pause();
      const ackedAtPause = total(list, (p) => p.acked.length);
      // Acknowledged while the database is down: on disk in the spool and nowhere else.
      await waitFor(
        'positions acknowledged from the spool',
        () => total(list, (p) => p.acked.length) >= ackedAtPause + 1500,
        30_000,
      );
      spooledBatches = metricValue(await fetchMetrics(httpPort), 'cityhub_spool_batches');
      first.proc.kill('SIGKILL');
      await first.exited;
      expect(first.proc.signalCode).toBe('SIGKILL');
      await waitFor('the devices to see the hub gone', () => list.every((p) => !p.client.connected), 10_000);
      for (const p of list) {
        p.stop();
        await p.client.endAsync(true);
      }
      await settled(list, 10_000);
      ackedFromSpool = total(list, (p) => p.acked.length) - ackedAtPause;
      expect(spooledBatches).toBeGreaterThan(0);
    } finally {
      await cluster.resume();
    }

    // The same DATA_DIR: the new process finds the spool and replays it into the database.
    const second = startHubProcess(env, 'hub (restarted after the outage)');
    await waitHealthy(httpPort, second);
    const opened = logLines(second).find((l) => l.msg === 'spool opened');
    expect(opened?.records, 'the restarted hub finds the spooled batches on disk').toBeGreaterThan(0);
    await waitFor(
      'the spool to be replayed',
      async () => {
        const text = await fetchMetrics(httpPort);
        return metricValue(text, 'cityhub_spool_batches') === 0 && metricValue(text, 'cityhub_spool_bytes') === 0;
      },
      60_000,
      200,
    );

    const verify = new pg.Pool({ connectionString: cluster.url, max: 2 });
    let perDevice: DeviceRows[];
    try {
      perDevice = await storedRows(verify, list);
    } finally {
      await verify.end();
    }
    const acked = total(list, (p) => p.acked.length);
    const rows = perDevice.reduce((n, d) => n + d.rows, 0);
    console.log(
      `[durability] kill -9 during the outage: sent ${total(list, (p) => p.sent)}, acked ${acked} ` +
        `(${ackedFromSpool} from the spool, ${spooledBatches} batches spooled when killed), ` +
        `failed in flight ${total(list, (p) => p.failed.length)}, rows stored ${rows}`,
      perDevice.map(({ missing: _, ...d }) => d),
    );

    expect(list.flatMap((p) => p.refusals)).toEqual([]);
    for (const p of list) {
      const d = perDevice.find((r) => r.deviceId === p.deviceId)!;
      expect(d.missing, `acknowledged positions of ${d.deviceId} missing after kill -9 during the outage`).toEqual([]);
      expect(d.ackedFound).toBe(p.acked.length);
      expect(d.rows).toBe(d.distinctTimes);
      expect(d.rows).toBeLessThanOrEqual(p.sent);
    }
    expect(existsSync(path.join(env.DATA_DIR!, 'spool', 'dead-letter.jsonl'))).toBe(false);
    await stopHub(second);
    expect(second.proc.exitCode).toBe(0);
  }, 150_000);
});
