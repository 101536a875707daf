// 集群吞吐基准 cluster throughput benchmark: the same closed-loop MQTT load (QoS 1 positions, each acknowledged only once
// committed) against 1, 2 and 3 hub processes sharing one Redis and one database, devices spread evenly over the
// processes' brokers, plus one process without Redis (the single-process baseline, to see what the cluster machinery
// costs). Prints per run: acknowledged and committed positions per second, ack latency, CPU of the hubs, Redis and
// PostgreSQL-side machine load; writes a JSON result. On one 2-core box the processes share the cores with the load
// generator and the database, so it cannot scale linearly here: the figures show the per-process overhead and where
// the box saturates; the capacity model in loadtests/RESULTS.md says how they carry to N machines.
//
//   node --import tsx loadtests/bench-cluster.ts --database-url postgres://…@127.0.0.1:…/db [--help]
//
// Talks MQTT, HTTP, the Redis protocol (FLUSHALL between runs) and PostgreSQL (row counts) like any client; never
// imports hub or ingest code. All traffic goes to 127.0.0.1. Every phase is bounded in time; the processes it started
// (redis-server, the hubs) are stopped on the way out.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import pg from 'pg';
import { assertLoopbackUrl, UsageError } from './generator-core.js';
import { cpuSecondsOfProcessTree, readCpuSeconds, readMachineCpu, busyFraction, readMemory } from './procfs.js';
import { provisionDevices } from './provision.js';
import {
  delay,
  exited,
  freePort,
  hubNodeOptions,
  repoRoot,
  stopAllChildren,
  stopChild,
  track,
  waitForHealth,
} from './processes.js';

const USAGE = `Usage: node --import tsx loadtests/bench-cluster.ts --database-url <url> [options]

  --database-url <url>    the hubs' database (loopback), e.g. the TimescaleDB test cluster
                          (TEST_DB_DIR=/tmp/bench-db bash scripts/test-db.sh start). Rows are counted there.
  --processes <list>      hub process counts to run, comma-separated          (default 1,2,3)
  --no-baseline           skip the single process without REDIS_URL
  --devices <n>           devices, spread evenly over the processes            (default 120)
  --in-flight <n>         unacknowledged publishes per device (closed loop)    (default 4)
  --duration <s>          measured seconds per run                             (default 20)
  --warmup <s>            seconds of load before measuring                     (default 3)
  --reader                also connect a service account to the first process, subscribed to every device's
                          positions: each message then crosses Redis (without one, device data stays local)
  --redis-server <path>   (default /usr/bin/redis-server)
  --hub-entry <file>      (default dist/hub/main.js; build it: npm run build:server)
  --out <file>            JSON result (default /tmp/cluster-<time>.json)
  --help`;

interface RunResult {
  label: string;
  processes: number;
  redis: boolean;
  devices: number;
  seconds: number;
  acked: number;
  ackedPerS: number;
  committed: number;
  committedPerS: number;
  ackP50Ms: number;
  ackP99Ms: number;
  failed: number;
  /** Positions the service account received per second (with --reader). */
  readPerS: number | null;
  hubCpuCores: number[];
  redisCpuCores: number;
  machineBusy: number | undefined;
  hubRssMb: number[];
}

function options() {
  const { values } = parseArgs({
    options: {
      'database-url': { type: 'string' },
      processes: { type: 'string', default: '1,2,3' },
      'no-baseline': { type: 'boolean', default: false },
      devices: { type: 'string', default: '120' },
      'in-flight': { type: 'string', default: '4' },
      duration: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '3' },
      reader: { type: 'boolean', default: false },
      'redis-server': { type: 'string', default: '/usr/bin/redis-server' },
      'hub-entry': { type: 'string', default: path.join(repoRoot(), 'dist/hub/main.js') },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (!values['database-url']) throw new UsageError('--database-url is required');
  assertLoopbackUrl(values['database-url'], '--database-url', ['postgres:', 'postgresql:']);
  const counts = values.processes.split(',').map(Number);
  if (!counts.every((n) => Number.isInteger(n) && n >= 1 && n <= 8)) throw new UsageError('--processes: 1–8 each');
  const int = (name: string, raw: string, min: number, max: number) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be ${min}–${max}`);
    return n;
  };
  return {
    databaseUrl: values['database-url'],
    counts,
    baseline: !values['no-baseline'],
    devices: int('devices', values.devices, 1, 5000),
    inFlight: int('in-flight', values['in-flight'], 1, 64),
    durationS: int('duration', values.duration, 1, 600),
    warmupS: int('warmup', values.warmup, 0, 120),
    reader: values.reader,
    redisServer: values['redis-server'],
    hubEntry: values['hub-entry'],
    out: values.out ?? path.join('/tmp', `cluster-${new Date().toISOString().replace(/[:.]/g, '-')}.json`),
  };
}

/** One Redis command over RESP, for FLUSHALL between runs (no client library needed for that). */
function redisCommand(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let answer = '';
    socket.setTimeout(5000, () => socket.destroy(new Error('redis did not answer')));
    socket.once('connect', () =>
      socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`),
    );
    socket.on('data', (d: Buffer) => {
      answer += d.toString();
      if (answer.endsWith('\r\n')) {
        socket.end();
        resolve(answer.trim());
      }
    });
    socket.once('error', reject);
  });
}

async function startRedis(bin: string, dir: string): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const child = track(
    spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
      stdio: 'ignore',
    }),
  );
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await delay(50)) {
    if (exited(child)) throw new Error(`redis-server exited (${child.exitCode})`);
    if ((await redisCommand(port, 'PING').catch(() => '')) === '+PONG') return { port, child };
  }
  throw new Error('redis-server did not answer within 10 s');
}

interface Hub {
  child: ChildProcess;
  http: string;
  mqttPort: number;
  dataDir: string;
}

async function startHub(entry: string, index: number, env: Record<string, string>): Promise<Hub> {
  const [httpPort, mqttPort] = [await freePort(), await freePort()];
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `cityhub-bench-cluster-${index}-`));
  const child = track(
    spawn(process.execPath, [...hubNodeOptions(), entry], {
      env: {
        PATH: process.env.PATH ?? '',
        HUB_ID: `bench-${index}`,
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(httpPort),
        MQTT_HOST: '127.0.0.1',
        MQTT_PORT: String(mqttPort),
        JT808_PORT: '0',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        // Capacity, not the per-device rate policy.
        DEVICE_RATE_PER_S: '10000',
        DEVICE_RATE_BURST: '10000',
        ...env,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    }),
  );
  const http = `http://127.0.0.1:${httpPort}`;
  try {
    await waitForHealth(http, 120_000, child);
  } catch (err) {
    await stopChild(child);
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return { child, http, mqttPort, dataDir };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function committedRows(pool: pg.Pool, prefix: string): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM positions WHERE device_id LIKE $1`, [
    `${prefix}%`,
  ]);
  return Number(rows[0]!.n);
}

/** Closed-loop load from every device until `stopAtMs`; latencies and counts of the window [fromMs, stopAtMs). */
async function load(
  devices: { id: string; credential: string; port: number }[],
  inFlight: number,
  fromMs: number,
  stopAtMs: number,
): Promise<{ acked: number; failed: number; latenciesMs: number[] }> {
  let acked = 0;
  let failed = 0;
  const latenciesMs: number[] = [];
  // Fix times a millisecond apart per device, an hour back: distinct (writes are idempotent on device and time).
  const base = Date.now() - 3_600_000;
  await Promise.all(
    devices.map(async (d, i) => {
      const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${d.port}`, {
        clientId: d.id,
        username: d.id,
        password: d.credential,
        reconnectPeriod: 0,
        connectTimeout: 30_000,
      });
      let seq = 0;
      const lane = async () => {
        while (Date.now() < stopAtMs) {
          const n = seq++;
          const body = JSON.stringify({
            time: new Date(base + n).toISOString(),
            lat: 36.6 + (i % 100) * 1e-3,
            lon: 117.0 + n * 1e-7,
            speedKmh: 20,
          });
          const t0 = performance.now();
          try {
            await client.publishAsync(`devices/${d.id}/position`, body, { qos: 1 });
            const now = Date.now();
            if (now >= fromMs && now < stopAtMs) {
              acked++;
              if (acked % 5 === 0) latenciesMs.push(performance.now() - t0);
            }
          } catch {
            failed++;
            return;
          }
        }
      };
      await Promise.all(Array.from({ length: inFlight }, lane));
      await client.endAsync().catch(() => undefined);
    }),
  );
  return { acked, failed, latenciesMs };
}

async function run(
  o: ReturnType<typeof options>,
  label: string,
  processes: number,
  redis: { port: number; child: ChildProcess } | null,
  pool: pg.Pool,
): Promise<RunResult> {
  if (redis) await redisCommand(redis.port, 'FLUSHALL');
  const hubs: Hub[] = [];
  const adminToken = `bench-${randomBytes(12).toString('hex')}`;
  const env: Record<string, string> = {
    DATABASE_URL: o.databaseUrl,
    ADMIN_TOKEN: adminToken,
    ...(redis ? { REDIS_URL: `redis://127.0.0.1:${redis.port}` } : {}),
  };
  try {
    // One after the other: the first one migrates.
    for (let i = 1; i <= processes; i++) hubs.push(await startHub(o.hubEntry, i, env));
    const prefix = `clu${randomBytes(3).toString('hex')}-`;
    const ids = Array.from({ length: o.devices }, (_, i) => `${prefix}${String(i + 1).padStart(5, '0')}`);
    const credentials = await provisionDevices(hubs[0]!.http, adminToken, ids);
    const devices = ids.map((id, i) => ({ id, credential: credentials.get(id)!, port: hubs[i % processes]!.mqttPort }));
    let read = 0;
    let reader: mqtt.MqttClient | null = null;
    if (o.reader) {
      const name = `bench${randomBytes(3).toString('hex')}`;
      const res = await fetch(`${hubs[0]!.http}/api/service-accounts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name, description: 'bench-cluster reader' }),
      });
      if (res.status !== 201) throw new Error(`service account: ${res.status} ${await res.text()}`);
      const { credential } = (await res.json()) as { credential: string };
      reader = await mqtt.connectAsync(`mqtt://127.0.0.1:${hubs[0]!.mqttPort}`, {
        clientId: `svc:${name}-1`,
        username: `svc:${name}`,
        password: credential,
        reconnectPeriod: 0,
      });
      await reader.subscribeAsync('devices/+/position', { qos: 0 });
      // The processes learn of a connected reader within a couple of 2 s heartbeats.
      await delay(5000);
    }

    const startMs = Date.now();
    const fromMs = startMs + o.warmupS * 1000;
    const stopAtMs = fromMs + o.durationS * 1000;
    const loading = load(devices, o.inFlight, fromMs, stopAtMs);
    await delay(Math.max(0, fromMs - Date.now()));
    const rows0 = await committedRows(pool, prefix);
    const cpu0 = hubs.map((h) => cpuSecondsOfProcessTree(h.child.pid!) ?? 0);
    reader?.on('message', () => read++);
    const redisCpu0 = redis ? (readCpuSeconds(redis.child.pid!) ?? 0) : 0;
    const machine0 = readMachineCpu();
    await delay(Math.max(0, stopAtMs - Date.now()));
    const rows1 = await committedRows(pool, prefix);
    const cpu1 = hubs.map((h) => cpuSecondsOfProcessTree(h.child.pid!) ?? 0);
    const redisCpu1 = redis ? (readCpuSeconds(redis.child.pid!) ?? 0) : 0;
    const machine1 = readMachineCpu();
    const rss = hubs.map((h) => Math.round((readMemory(h.child.pid!)?.rssBytes ?? 0) / 1048576));
    reader?.removeAllListeners('message');
    await reader?.endAsync(true);
    const { acked, failed, latenciesMs } = await loading;
    latenciesMs.sort((a, b) => a - b);
    const seconds = o.durationS;
    return {
      label,
      processes,
      redis: redis !== null,
      devices: o.devices,
      seconds,
      acked,
      ackedPerS: Math.round(acked / seconds),
      committed: rows1 - rows0,
      committedPerS: Math.round((rows1 - rows0) / seconds),
      ackP50Ms: Math.round(percentile(latenciesMs, 50)),
      ackP99Ms: Math.round(percentile(latenciesMs, 99)),
      failed,
      readPerS: o.reader ? Math.round(read / seconds) : null,
      hubCpuCores: cpu1.map((c, i) => Math.round(((c - cpu0[i]!) / seconds) * 100) / 100),
      redisCpuCores: Math.round(((redisCpu1 - redisCpu0) / seconds) * 100) / 100,
      machineBusy: busyFraction(machine0, machine1),
      hubRssMb: rss,
    };
  } finally {
    await Promise.all(hubs.map((h) => stopChild(h.child, 15_000)));
    for (const h of hubs) rmSync(h.dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const o = options();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cityhub-bench-redis-'));
  const pool = new pg.Pool({ connectionString: o.databaseUrl, max: 2 });
  const results: RunResult[] = [];
  try {
    const redis = await startRedis(o.redisServer, dir);
    if (o.baseline) results.push(await run(o, '1 process, no Redis', 1, null, pool));
    for (const n of o.counts) results.push(await run(o, `${n} process${n > 1 ? 'es' : ''} + Redis`, n, redis, pool));
    await stopChild(redis.child);
  } finally {
    await pool.end();
    await stopAllChildren();
    rmSync(dir, { recursive: true, force: true });
  }
  const rows = results.map((r) =>
    [
      r.label,
      r.ackedPerS.toLocaleString('en'),
      r.committedPerS.toLocaleString('en'),
      `${r.ackP50Ms} / ${r.ackP99Ms}`,
      r.hubCpuCores.join(' + '),
      r.redisCpuCores,
      r.machineBusy === undefined ? '?' : `${Math.round(r.machineBusy * 100)} %`,
      r.hubRssMb.join(' + '),
      r.failed,
      r.readPerS ?? '–',
    ].join(' | '),
  );
  console.log(
    [
      `${o.devices} devices, ${o.inFlight} in flight each, ${o.durationS} s measured after ${o.warmupS} s`,
      '',
      '| run | acked/s | committed/s | ack p50 / p99 ms | hub CPU (cores) | redis CPU | machine busy | hub RSS MB | failed | reader/s |',
      '|---|---|---|---|---|---|---|---|---|---|',
      ...rows.map((r) => `| ${r} |`),
    ].join('\n'),
  );
  writeFileSync(
    o.out,
    JSON.stringify({ at: new Date().toISOString(), options: { ...o, databaseUrl: undefined }, results }, null, 2),
  );
  console.log(`\nresult: ${o.out}`);
}

main().catch(async (err: unknown) => {
  await stopAllChildren();
  console.error(err instanceof UsageError ? `${err.message}\n\n${USAGE}` : err);
  process.exit(err instanceof UsageError ? 2 : 1);
});
