// HTTP API benchmark (接口性能基准): what the dispatchers' screens ask the hub, under load from autocannon (its own
// process): the acceptance queue (受理队列, GET /api/cases?state=reported), the map snapshot (GET /api/positions/latest)
// and one vehicle's day of track (轨迹, GET /api/devices/{id}/track) — the full day and the playback's thinned query.
// It seeds what those read first, through the hub's own protocols: devices by CSV import, a vehicle-day of fixes and
// every map device's latest fix over MQTT, cases reported by an acceptor over HTTP. Loopback only, bounded in time.
//
//   node --import tsx loadtests/bench-api.ts --help
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { connect } from 'mqtt';
import { optionInteger, optionString, parseOptions, readCommandLine } from './cli.js';
import { UsageError, assertLoopbackUrl, positionPayload } from './generator-core.js';
import { RouteTrack, toLatLon } from './payload-profiles.js';
import { ProcessTreeCpu, readCpuSeconds, readMemory } from './procfs.js';
import { provisionDevices } from './provision.js';
import {
  delay,
  isMainModule,
  siblingCommand,
  spawnHub,
  stopAllChildren,
  stopChild,
  track,
  waitForHealth,
} from './processes.js';

/** What a dispatcher waits for: the suite's own targets (the issues set none for these). */
export const API_TARGETS = { trackDayP99Ms: 1000, queueP99Ms: 500, snapshotP99Ms: 1000 } as const;

const USAGE = `Usage: node --import tsx loadtests/bench-api.ts [options]

Seeds the hub through its protocols (devices by CSV import, a vehicle-day of fixes and every map device's latest fix
over MQTT, cases reported by an acceptor over HTTP), then loads each API with autocannon (its own process) and prints
requests/s and latency p50/p90/p99/max per endpoint: the acceptance queue, the map snapshot, one vehicle-day track
(all fixes) and the playback's thinned track. Loopback only.

Hub:
      --start-hub               spawn node dist/hub/main.js on free ports (DATA_DIR, ADMIN_TOKEN made up,
                                LOG_LEVEL=warn); needs --database-url
      --database-url <url>      the hub's database (the TimescaleDB test cluster: bash scripts/test-db.sh start)
      --hub-http-url <url>      a running hub's HTTP API (instead of --start-hub), with --hub-mqtt-url, --admin-token
      --hub-mqtt-url <url>      its broker
      --admin-token <token>     (or env ADMIN_TOKEN)

Load:
      --connections <n>         autocannon connections per endpoint  (default 10)
      --duration <s>            seconds per endpoint  (default 10)
      --map-devices <n>         devices with a latest fix on the map snapshot  (default 500)
      --cases <n>               reported cases in the acceptance queue  (default 200)
      --track-interval <s>      the vehicle-day's fix interval: 86,400 / s fixes  (default 5: 17,280 fixes)
      --out <dir|file.json>     (default /tmp)
  -h, --help
`;

interface Args {
  startHub: boolean;
  databaseUrl?: string;
  hubHttpUrl?: string;
  hubMqttUrl?: string;
  adminToken?: string;
  connections: number;
  durationS: number;
  mapDevices: number;
  cases: number;
  trackIntervalS: number;
  out: string;
}

function parse(argv: readonly string[], env: NodeJS.ProcessEnv): Args | 'help' {
  const values = parseOptions(argv, {
    'start-hub': { type: 'boolean' },
    'database-url': { type: 'string' },
    'hub-http-url': { type: 'string' },
    'hub-mqtt-url': { type: 'string' },
    'admin-token': { type: 'string' },
    connections: { type: 'string' },
    duration: { type: 'string' },
    'map-devices': { type: 'string' },
    cases: { type: 'string' },
    'track-interval': { type: 'string' },
    out: { type: 'string' },
  });
  if (values === 'help') return 'help';
  const str = (k: string) => optionString(values, k);
  const int = (k: string, fallback: number, min: number, max: number) => optionInteger(values, k, fallback, min, max);
  const startHub = values['start-hub'] === true;
  const databaseUrl = str('database-url');
  const hubHttpUrl = str('hub-http-url');
  const hubMqttUrl = str('hub-mqtt-url');
  if (databaseUrl) assertLoopbackUrl(databaseUrl, '--database-url', ['postgres:', 'postgresql:']);
  if (hubHttpUrl) assertLoopbackUrl(hubHttpUrl, '--hub-http-url', ['http:']);
  if (hubMqttUrl) assertLoopbackUrl(hubMqttUrl, '--hub-mqtt-url', ['mqtt:', 'tcp:']);
  if (startHub && !databaseUrl) throw new UsageError('--start-hub needs --database-url');
  if (!startHub && !(hubHttpUrl && hubMqttUrl)) {
    throw new UsageError('give --start-hub, or --hub-http-url and --hub-mqtt-url of a running hub');
  }
  const adminToken = str('admin-token') ?? (env.ADMIN_TOKEN?.trim() || undefined);
  if (!startHub && !adminToken) throw new UsageError('a running hub needs --admin-token (or env ADMIN_TOKEN)');
  return {
    startHub,
    ...(databaseUrl ? { databaseUrl } : {}),
    ...(hubHttpUrl ? { hubHttpUrl: hubHttpUrl.replace(/\/$/, '') } : {}),
    ...(hubMqttUrl ? { hubMqttUrl } : {}),
    ...(adminToken ? { adminToken } : {}),
    connections: int('connections', 10, 1, 1000),
    durationS: int('duration', 10, 1, 600),
    mapDevices: int('map-devices', 500, 0, 20_000),
    cases: int('cases', 200, 0, 100_000),
    trackIntervalS: int('track-interval', 5, 1, 3600),
    out: str('out') ?? '/tmp',
  };
}

const say = (line: string) => process.stderr.write(line + '\n');

// ───────────────────────────── the hub ─────────────────────────────

interface Hub {
  httpUrl: string;
  mqttUrl: string;
  adminToken: string;
  child?: ChildProcess;
  dataDir?: string;
  logFile?: string;
}

async function startHub(args: Args, outDir: string, stamp: string): Promise<Hub> {
  return spawnHub({
    databaseUrl: args.databaseUrl!,
    adminToken: args.adminToken ?? randomBytes(24).toString('base64url'),
    dataPrefix: 'bench-api-data-',
    logFile: path.join(outDir, `bench-api-hub-${stamp}.log`),
    jt808: true,
    say,
    label: '[api] starting the hub',
  });
}

// ───────────────────────────── seeding ─────────────────────────────

/** 00:00 Beijing time (UTC+8) of yesterday: a whole past day, so every fix is in the past. */
export function vehicleDayStartMs(nowMs: number): number {
  const beijingMidnight = Math.floor((nowMs + 8 * 3600_000) / 86_400_000) * 86_400_000 - 8 * 3600_000;
  return beijingMidnight - 86_400_000;
}

/** A vehicle's day along its route: one fix every `intervalS`, as batch payloads of at most 1,000 fixes. */
export function vehicleDayPayloads(deviceId: string, dayStartMs: number, intervalS: number): string[] {
  const movement = new RouteTrack(deviceId, 7);
  const fixes: string[] = [];
  for (let t = dayStartMs; t < dayStartMs + 86_400_000; t += intervalS * 1000) {
    fixes.push(positionPayload(movement.next(t)));
  }
  const payloads: string[] = [];
  for (let i = 0; i < fixes.length; i += 1000) payloads.push(`{"positions":[${fixes.slice(i, i + 1000).join(',')}]}`);
  return payloads;
}

async function publishVehicleDay(hub: Hub, id: string, password: string, payloads: string[]): Promise<number> {
  const client = connect(hub.mqttUrl, {
    clientId: id,
    username: id,
    password,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 30_000,
    log: () => undefined,
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  const t = performance.now();
  try {
    // One at a time, each acknowledged after commit, under the per-device rate limit.
    for (const payload of payloads) await client.publishAsync(`devices/${id}/positions`, payload, { qos: 1 });
  } finally {
    await client.endAsync();
  }
  return performance.now() - t;
}

/** Every map device sends one fix: the generator (its own process), each device once, spread over ~2 s. */
async function seedMapDevices(hub: Hub, prefix: string, count: number, credentialsFile: string): Promise<void> {
  const child = track(
    spawn(
      process.execPath,
      [
        ...siblingCommand('mqtt-generator'),
        ...['--url', hub.mqttUrl, '--devices', String(count), '--id-prefix', prefix, '--credentials', credentialsFile],
        ...['--rate', String(Math.max(1, count / 2)), '--duration', '2', '--ramp-up', String(Math.ceil(count / 150))],
        ...['--profile', 'vehicles', '--drain-timeout', '10', '--output', 'jsonl'],
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    ),
  );
  await once(child, 'exit');
}

async function jsonCall(
  hub: Hub,
  method: string,
  urlPath: string,
  token: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(new URL(urlPath, hub.httpUrl), {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Kept as text.
  }
  return { status: response.status, body: parsed };
}

/** An acceptor (受理员) created by the admin, logged in, reporting `count` hotline cases around the old town. */
async function seedCases(hub: Hub, tag: string, count: number): Promise<{ token: string; created: number }> {
  const username = `bench-acceptor-${tag}`;
  const password = randomBytes(18).toString('base64url');
  const user = await jsonCall(hub, 'POST', '/api/users', hub.adminToken, {
    username,
    password,
    name: `压测受理员 ${tag}`,
    roles: ['acceptor'],
  });
  if (user.status !== 201 && user.status !== 200) {
    throw new Error(`creating the acceptor answered ${user.status}: ${JSON.stringify(user.body).slice(0, 300)}`);
  }
  const login = await fetch(new URL('/api/auth/login', hub.httpUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!login.ok) throw new Error(`the acceptor's login answered ${login.status}`);
  const { token } = (await login.json()) as { token: string };
  let created = 0;
  let failure: string | undefined;
  const next = { i: 0 };
  const worker = async () => {
    while (next.i < count) {
      next.i++;
      const { lat, lon } = toLatLon(randomInt(-2500, 2500), randomInt(-2000, 2000));
      const r = await jsonCall(hub, 'POST', '/api/cases', token, {
        source: 'hotline',
        classCode: 'component:0101',
        lon: Math.round(lon * 1e6) / 1e6,
        lat: Math.round(lat * 1e6) / 1e6,
        description: '压测: 井盖破损',
      });
      if (r.status === 201 || r.status === 200) created++;
      else failure ??= `${r.status} ${JSON.stringify(r.body).slice(0, 300)}`;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  if (failure) say(`[api] some case reports were refused: ${failure}`);
  return { token, created };
}

// ───────────────────────────── autocannon ─────────────────────────────

export interface EndpointResult {
  name: string;
  path: string;
  connections: number;
  durationS: number;
  requests: number;
  requestsPerS: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Bytes of one answer (mean). */
  bytesPerResponse: number;
  /** CPU cores autocannon itself used: it shares the machine. */
  loaderCpuCores?: number;
}

/** Reads autocannon's --json result into the figures this report keeps. */
export function parseAutocannon(
  json: unknown,
  name: string,
  urlPath: string,
  connections: number,
  durationS: number,
): EndpointResult {
  const r = json as {
    latency?: { p50?: number; p90?: number; p99?: number; max?: number; average?: number };
    requests?: { average?: number; total?: number; sent?: number };
    throughput?: { total?: number };
    non2xx?: number;
    errors?: number;
    timeouts?: number;
    duration?: number;
  };
  if (!r.latency || !r.requests) throw new Error(`autocannon gave no latency/requests for ${name}`);
  const total = r.requests.total ?? 0;
  return {
    name,
    path: urlPath,
    connections,
    durationS: r.duration ?? durationS,
    requests: total,
    requestsPerS: Math.round((total / (r.duration ?? durationS)) * 10) / 10,
    latencyMs: {
      p50: r.latency.p50 ?? 0,
      p90: r.latency.p90 ?? 0,
      p99: r.latency.p99 ?? 0,
      max: r.latency.max ?? 0,
      mean: Math.round((r.latency.average ?? 0) * 100) / 100,
    },
    non2xx: r.non2xx ?? 0,
    errors: r.errors ?? 0,
    timeouts: r.timeouts ?? 0,
    bytesPerResponse: total > 0 ? Math.round((r.throughput?.total ?? 0) / total) : 0,
  };
}

async function cannon(
  hub: Hub,
  name: string,
  urlPath: string,
  connections: number,
  durationS: number,
  token?: string,
): Promise<EndpointResult> {
  const bin = createRequire(import.meta.url).resolve('autocannon/autocannon.js');
  const url = new URL(urlPath, hub.httpUrl).href;
  assertLoopbackUrl(url, 'the API URL', ['http:']);
  say(`[api] ${name}: ${connections} connections for ${durationS} s on GET ${urlPath}`);
  const child = track(
    spawn(
      process.execPath,
      [
        bin,
        ...['-c', String(connections), '-d', String(durationS), '-t', '20', '-j', '-n'],
        ...(token ? ['-H', `authorization=Bearer ${token}`] : []),
        url,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    ),
  );
  const cpu = child.pid !== undefined ? new ProcessTreeCpu(child.pid) : undefined;
  const cpu0 = cpu?.read();
  const t0 = performance.now();
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
  let cpu1 = cpu0;
  const sampler = setInterval(() => (cpu1 = cpu?.read() ?? cpu1), 500);
  const timer = setTimeout(() => child.kill('SIGKILL'), (durationS + 60) * 1000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  clearInterval(sampler);
  if (code !== 0) throw new Error(`autocannon exited with ${code}: ${err}`);
  const result = parseAutocannon(JSON.parse(out), name, urlPath, connections, durationS);
  if (cpu0 !== undefined && cpu1 !== undefined) {
    result.loaderCpuCores = Math.round(((cpu1 - cpu0) / ((performance.now() - t0) / 1000)) * 100) / 100;
  }
  say(
    `[api] ${name}: ${result.requestsPerS} req/s, p50 ${result.latencyMs.p50} ms p99 ${result.latencyMs.p99} ms` +
      `${result.non2xx ? `, ${result.non2xx} non-2xx` : ''}${result.errors ? `, ${result.errors} errors` : ''}`,
  );
  return result;
}

// ───────────────────────────── main ─────────────────────────────

async function main(): Promise<number> {
  const args = readCommandLine(() => parse(process.argv.slice(2), process.env), USAGE);
  if (typeof args === 'number') return args;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = args.out.endsWith('.json') ? args.out : path.join(args.out, `bench-api-${stamp}.json`);
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => void stopAllChildren().then(() => process.exit(130)));
  }
  const startedAt = new Date().toISOString();
  let hub: Hub | undefined;
  try {
    hub = args.startHub
      ? await startHub(args, path.dirname(path.resolve(file)), stamp)
      : { httpUrl: args.hubHttpUrl!, mqttUrl: args.hubMqttUrl!, adminToken: args.adminToken! };
    if (!hub.child) await waitForHealth(hub.httpUrl, 10_000);
    const tag = String(randomInt(100_000, 999_999));
    const prefix = `api${tag}-`;
    const trackId = `${prefix}track`;

    // ── seed ──
    const seedStart = performance.now();
    const mapIds = Array.from({ length: args.mapDevices }, (_, i) => `${prefix}${String(i + 1).padStart(5, '0')}`);
    say(`[api] provisioning ${mapIds.length + 1} devices (${prefix}…) through POST /api/devices/import`);
    const credentials = await provisionDevices(hub.httpUrl, hub.adminToken, [trackId, ...mapIds]);
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'bench-api-'));
    const credentialsFile = path.join(tmp, 'credentials.json');
    writeFileSync(credentialsFile, JSON.stringify(Object.fromEntries(credentials)), { mode: 0o600 });
    const dayStartMs = vehicleDayStartMs(Date.now());
    const payloads = vehicleDayPayloads(trackId, dayStartMs, args.trackIntervalS);
    const fixes = Math.ceil(86_400 / args.trackIntervalS);
    say(`[api] publishing ${trackId}'s day: ${fixes.toLocaleString('en-US')} fixes in ${payloads.length} batches`);
    const dayMs = await publishVehicleDay(hub, trackId, credentials.get(trackId)!, payloads);
    if (mapIds.length > 0) {
      say(`[api] ${mapIds.length} map devices send a fix each (mqtt-generator.ts)`);
      await seedMapDevices(hub, prefix, mapIds.length, credentialsFile);
    }
    say(`[api] reporting ${args.cases} cases as an acceptor`);
    const cases = await seedCases(hub, tag, args.cases);
    rmSync(tmp, { recursive: true, force: true });
    const seedS = Math.round((performance.now() - seedStart) / 100) / 10;
    say(`[api] seeded in ${seedS} s; ${cases.created} cases`);
    await delay(1000);

    // ── load, one endpoint at a time ──
    const from = new Date(dayStartMs).toISOString();
    const to = new Date(dayStartMs + 86_400_000).toISOString();
    const trackPath = `/api/devices/${trackId}/track?from=${from}&to=${to}`;
    const hubPid = hub.child?.pid;
    const hubCpu0 = hubPid !== undefined ? readCpuSeconds(hubPid) : undefined;
    const endpoints: EndpointResult[] = [];
    endpoints.push(
      await cannon(
        hub,
        'case queue',
        '/api/cases?state=reported&limit=50',
        args.connections,
        args.durationS,
        cases.token,
      ),
    );
    endpoints.push(await cannon(hub, 'map snapshot', '/api/positions/latest', args.connections, args.durationS));
    // A dispatcher opens one vehicle's day: one connection, so the latency is the query time, not queueing.
    endpoints.push(await cannon(hub, 'track, vehicle-day', `${trackPath}&limit=100000`, 1, args.durationS));
    endpoints.push(
      await cannon(
        hub,
        'track, playback (maxPoints 5000)',
        `${trackPath}&maxPoints=5000`,
        args.connections,
        args.durationS,
      ),
    );
    const hubCpu1 = hubPid !== undefined ? readCpuSeconds(hubPid) : undefined;
    const memory = hubPid !== undefined ? readMemory(hubPid) : undefined;
    const check = await fetch(new URL(`${trackPath}&limit=100000`, hub.httpUrl));
    const trackBody = (await check.json()) as { geometry?: { coordinates?: unknown[] } };
    const trackFixes = trackBody.geometry?.coordinates?.length ?? 0;

    const day = endpoints[2]!;
    const result = {
      tool: 'loadtests/bench-api.ts',
      startedAt,
      endedAt: new Date().toISOString(),
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version },
      seed: {
        seconds: seedS,
        mapDevices: mapIds.length,
        cases: cases.created,
        vehicleDay: {
          deviceId: trackId,
          fixesPublished: fixes,
          fixesReturned: trackFixes,
          publishMs: Math.round(dayMs),
        },
      },
      endpoints,
      hub: {
        ...(hubCpu0 !== undefined && hubCpu1 !== undefined
          ? { cpuSeconds: Math.round((hubCpu1 - hubCpu0) * 10) / 10 }
          : {}),
        ...(memory
          ? { rssMb: Math.round(memory.rssBytes / 2 ** 20), peakRssMb: Math.round(memory.peakRssBytes / 2 ** 20) }
          : {}),
      },
      targets: [
        {
          target: `one vehicle-day track query p99 ≤ ${API_TARGETS.trackDayP99Ms} ms`,
          measured: `${day.latencyMs.p99} ms (${trackFixes.toLocaleString('en-US')} fixes)`,
          verdict:
            trackFixes === 0 ? 'not measured' : day.latencyMs.p99 <= API_TARGETS.trackDayP99Ms ? 'met' : 'not met',
        },
      ],
    };
    writeFileSync(file, JSON.stringify(result, null, 1) + '\n');
    const rows = [
      ['endpoint', 'conns', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'non-2xx', 'bytes', 'autocannon cores'],
      ...endpoints.map((e) => [
        e.name,
        String(e.connections),
        String(e.requestsPerS),
        String(e.latencyMs.p50),
        String(e.latencyMs.p90),
        String(e.latencyMs.p99),
        String(e.latencyMs.max),
        String(e.non2xx + e.errors),
        e.bytesPerResponse.toLocaleString('en-US'),
        String(e.loaderCpuCores ?? '–'),
      ]),
    ];
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    process.stdout.write(
      `\nbench-api: ${mapIds.length} map devices, ${cases.created} cases, a vehicle-day of ` +
        `${trackFixes.toLocaleString('en-US')} fixes\n\n` +
        rows
          .map((r) =>
            r
              .map((c, i) => c.padEnd(widths[i]!))
              .join('  ')
              .trimEnd(),
          )
          .join('\n') +
        `\n\nTarget: ${result.targets[0]!.verdict}: ${result.targets[0]!.target}: ${result.targets[0]!.measured}\n` +
        `\nresult: ${file}\n`,
    );
    if (trackFixes < fixes) say(`[api] the track returned ${trackFixes} of ${fixes} fixes`);
    return 0;
  } catch (err) {
    say(`error: ${(err as Error).stack ?? String(err)}`);
    return 1;
  } finally {
    if (hub?.child) await stopChild(hub.child, 15_000);
    if (hub?.dataDir) rmSync(hub.dataDir, { recursive: true, force: true });
    await stopAllChildren();
  }
}

if (isMainModule(import.meta.url)) process.exitCode = await main();
