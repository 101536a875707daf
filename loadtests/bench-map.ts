// Live map benchmark (监督指挥地图性能基准): K simulated units report once a second over MQTT through a real hub while a
// real Chromium shows the supervision map at 1920×1080; prints, per second and for the steady window, the page's frame
// times and the applied-delta lag — from a batch's arrival over socket.io (and from the fix's own time) to the frame
// that shows it — against the target of 5,000 units at 1 Hz without the page falling behind.
//
//   node --import tsx loadtests/bench-map.ts --help
//
// Talks MQTT (loadtests/mqtt-generator.ts, a child process), HTTP and socket.io through the browser like any client;
// reads the page's own counters (web/src/lib/live/stats.ts, on with `?stats`). A plain socket.io client in this process
// follows the same deltas, so the hub's share of fix→screen (ingest, storage, push) is told apart from the page's.
// Never imports hub or web code. All traffic goes to 127.0.0.1; every phase is bounded in time; processes it started
// are stopped on the way out.
import { spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { Server as SocketServer } from 'socket.io';
import { io, type Socket } from 'socket.io-client';
import { optionString, parseHubEnv, parseOptions } from './cli.js';
import { UsageError, assertLoopbackUrl } from './generator-core.js';
import { RouteTrack } from './payload-profiles.js';
import { delay, freePort, siblingCommand, spawnHub, stopAllChildren, stopChild, track } from './processes.js';
import { ProvisioningError, benchDeviceIds, provisionDevices } from './provision.js';

export const TARGET_UNITS = 5000;
/** How often the synthetic feed pushes a batch (the hub's LIVE_PUSH_INTERVAL_MS default). */
const SYNTHETIC_TICK_MS = 150;

const USAGE = `Usage: node --import tsx loadtests/bench-map.ts [options]

Provisions --units vehicles through POST /api/devices/import, opens the supervision map in Chromium (1920×1080,
with ?stats), runs loadtests/mqtt-generator.ts (one MQTT connection per unit, one fix per second each) and prints
the map's frame times and applied-delta lag per second and for the steady window, against the target of
${TARGET_UNITS.toLocaleString('en-US')} units at 1 Hz.

Hub:
      --start-hub               spawn node dist/hub/main.js on free ports (needs --database-url; build first:
                                npm run build)
      --database-url <url>      the database of the hub started with --start-hub. For real numbers, the
                                TimescaleDB test cluster: TEST_DB_DIR=/tmp/bench-map-db bash scripts/test-db.sh start
      --hub-env NAME=value      extra environment for --start-hub, repeatable (e.g. LIVE_PUSH_INTERVAL_MS=100)
      --hub-http-url <url>      a running hub instead (http://127.0.0.1:PORT), with --mqtt-url and --admin-token
      --mqtt-url <url>          its broker, mqtt://127.0.0.1:PORT
      --admin-token <token>     (or env ADMIN_TOKEN); --start-hub makes one up

Load:
      --units <n>               simulated vehicles (default ${TARGET_UNITS})
      --interval <ms>           between two fixes of one unit (default 1000)
      --ramp-up <s>             connect the units over this long (default 30)
      --duration <s>            send phase after the ramp-up (default 60)
      --warmup <s>              left out of the steady window after the ramp-up (default 5)

Feed:
      --feed <mqtt|synthetic>   mqtt: the units are MQTT devices through the hub (end to end: ingest, storage, live
                                push and the page share the machine). synthetic: the page's /live socket.io is served
                                by this runner (through a proxy in front of the hub, which still serves the app),
                                pushing the same units' fixes in ${SYNTHETIC_TICK_MS} ms batches as the hub does — the
                                page's own figure, without the hub's share of the CPU (default mqtt)

Browser:
      --chromium <path>         (default /usr/bin/chromium, or env CHROMIUM_PATH)
      --gl <angle|swiftshader>  angle: the GPU if there is one; swiftshader: software GL, as headless CI has
                                (default swiftshader — frame times are then the CPU's, a pessimistic figure)
  -h, --help

Example (a smoke run; the full size is for a quiet machine):
  npm run build
  DB=$(TEST_DB_DIR=/tmp/bench-map-db bash scripts/test-db.sh start)
  node --import tsx loadtests/bench-map.ts --start-hub --database-url "$DB" --units 200 --ramp-up 2 --duration 5
  TEST_DB_DIR=/tmp/bench-map-db bash scripts/test-db.sh stop
`;

interface Args {
  startHub: boolean;
  databaseUrl?: string;
  hubEnv: Record<string, string>;
  hubHttpUrl?: string;
  mqttUrl?: string;
  adminToken?: string;
  units: number;
  intervalMs: number;
  rampUpS: number;
  durationS: number;
  warmupS: number;
  chromium: string;
  gl: 'angle' | 'swiftshader';
  feed: 'mqtt' | 'synthetic';
}

function parse(argv: readonly string[], env: NodeJS.ProcessEnv): Args | 'help' {
  const values = parseOptions(argv, {
    'start-hub': { type: 'boolean' },
    'database-url': { type: 'string' },
    'hub-env': { type: 'string', multiple: true },
    'hub-http-url': { type: 'string' },
    'mqtt-url': { type: 'string' },
    'admin-token': { type: 'string' },
    units: { type: 'string' },
    interval: { type: 'string' },
    'ramp-up': { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    chromium: { type: 'string' },
    gl: { type: 'string' },
    feed: { type: 'string' },
  });
  if (values === 'help') return 'help';
  const str = (k: string) => optionString(values, k);
  const num = (k: string, def: number, min: number, max: number): number => {
    const raw = str(k);
    if (raw === undefined) return def;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${k} must be a whole number ${min}–${max}`);
    return n;
  };
  const hubEnv = parseHubEnv(values['hub-env'] as string[] | undefined, []);
  const gl = str('gl') ?? 'swiftshader';
  if (gl !== 'angle' && gl !== 'swiftshader') throw new UsageError('--gl must be angle or swiftshader');
  const feed = str('feed') ?? 'mqtt';
  if (feed !== 'mqtt' && feed !== 'synthetic') throw new UsageError('--feed must be mqtt or synthetic');
  const args: Args = {
    startHub: values['start-hub'] === true,
    databaseUrl: str('database-url'),
    hubEnv,
    hubHttpUrl: str('hub-http-url'),
    mqttUrl: str('mqtt-url'),
    adminToken: str('admin-token') ?? env.ADMIN_TOKEN,
    units: num('units', TARGET_UNITS, 1, 20_000),
    intervalMs: num('interval', 1000, 100, 60_000),
    rampUpS: num('ramp-up', 30, 0, 600),
    durationS: num('duration', 60, 1, 3600),
    warmupS: num('warmup', 5, 0, 600),
    chromium: str('chromium') ?? env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    gl,
    feed,
  };
  if (args.startHub) {
    if (!args.databaseUrl) throw new UsageError('--start-hub needs --database-url');
    assertLoopbackUrl(args.databaseUrl, '--database-url', ['postgres:', 'postgresql:']);
  } else {
    if (!args.hubHttpUrl || !args.mqttUrl || !args.adminToken) {
      throw new UsageError('give --start-hub, or --hub-http-url, --mqtt-url and --admin-token of a running hub');
    }
    assertLoopbackUrl(args.hubHttpUrl, '--hub-http-url', ['http:']);
    assertLoopbackUrl(args.mqttUrl, '--mqtt-url', ['mqtt:', 'tcp:']);
  }
  return args;
}

const say = (line: string): void => void process.stderr.write(line + '\n');

/** Nearest-rank percentile of an unsorted sample (NaN when empty). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const ms = (n: number): string => (Number.isFinite(n) ? n.toFixed(n < 10 ? 1 : 0) : '–');

/**
 * A plain socket.io client on the vehicles layer: for each positions batch, ms from its newest fix's device time to
 * its arrival here — what the hub adds before any browser work. `take` returns what arrived since the last call.
 */
function followHub(httpUrl: string): { take(): number[]; close(): void } {
  const lags: number[] = [];
  const socket: Socket = io(`${httpUrl}/live`, {
    path: '/socket.io',
    transports: ['websocket'],
    forceNew: true,
  });
  socket.on('connect', () => socket.emit('subscribe', { layers: ['vehicles'] }, () => undefined));
  socket.on('positions', (payload: { positions?: { time?: unknown }[] }) => {
    let newest = -Infinity;
    for (const p of payload.positions ?? []) {
      const t = typeof p.time === 'string' ? Date.parse(p.time) : Number.NaN;
      if (t > newest) newest = t;
    }
    if (Number.isFinite(newest) && lags.length < 100_000) lags.push(Date.now() - newest);
  });
  return {
    take: () => lags.splice(0),
    close: () => void socket.close(),
  };
}

interface PageSample {
  frames: number[];
  positions: number;
  receiveToScreenMs: number[];
  fixToScreenMs: number[];
  unitsOnMap: number;
}

/**
 * Starts recording every frame interval in the page (independent of the app: requestAnimationFrame itself). A string,
 * not a function: tsx would wrap a function's inner closures in a helper the page does not have.
 */
async function recordFrames(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    window.__benchFrames = [];
    let last = -1;
    const loop = (t) => {
      if (last >= 0) window.__benchFrames.push(t - last);
      last = t;
      requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
  })()`);
}

/** Takes what the page measured since the last call. */
function takeSample(page: Page): Promise<PageSample> {
  return page.evaluate(() => {
    const w = globalThis as unknown as {
      __benchFrames: number[];
      __cityhubStats?: { report(): { positions: number; receiveToScreenMs: number[]; fixToScreenMs: number[] } };
      document: { querySelector(s: string): { getAttribute(n: string): string | null } | null };
    };
    const frames = w.__benchFrames.splice(0);
    const stats = w.__cityhubStats?.report() ?? { positions: 0, receiveToScreenMs: [], fixToScreenMs: [] };
    const count = Number(w.document.querySelector('[data-vehicle-count]')?.getAttribute('data-vehicle-count') ?? 0);
    return { frames, ...stats, unitsOnMap: count };
  });
}

async function startHub(
  args: Args,
  adminToken: string,
): Promise<{ httpUrl: string; mqttUrl: string; stop(): Promise<void> }> {
  const hub = await spawnHub({
    databaseUrl: args.databaseUrl!,
    adminToken,
    dataPrefix: 'cityhub-bench-map-',
    // Outside the data folder, which is deleted at the end: the log outlives the run (a hub that died explains itself).
    logFile: path.join(os.tmpdir(), `cityhub-bench-map-hub-${new Date().toISOString().replace(/[:.]/g, '-')}.log`),
    env: args.hubEnv,
    say,
    label: '[hub] starting dist/hub/main.js',
  });
  return {
    httpUrl: hub.httpUrl,
    mqttUrl: hub.mqttUrl,
    async stop() {
      await stopChild(hub.child);
      rmSync(hub.dataDir, { recursive: true, force: true });
    },
  };
}

/** What drives the units: how many are reporting, how many fixes went out in the last second, and when it is over. */
interface UnitsSource {
  connected(): number;
  sentPerS(): number;
  done: Promise<unknown>;
}

/** The MQTT generator (its own process), one connection per unit. */
function startGenerator(mqttUrl: string, prefix: string, credentialsFile: string, args: Args): UnitsSource {
  const generator = track(
    spawn(
      process.execPath,
      [
        ...siblingCommand('mqtt-generator'),
        ...['--url', mqttUrl, '--devices', String(args.units), '--interval', String(args.intervalMs)],
        ...['--ramp-up', String(args.rampUpS), '--duration', String(args.durationS), '--credentials', credentialsFile],
        ...['--id-prefix', prefix, '--qos', '1', '--output', 'jsonl'],
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    ),
  );
  let connected = 0;
  let sentPerS = 0;
  createInterface({ input: generator.stdout! }).on('line', (line) => {
    try {
      const o = JSON.parse(line) as { type?: string; connected?: number; sentPerS?: number; message?: string };
      if (o.type === 'second') {
        connected = o.connected ?? connected;
        sentPerS = o.sentPerS ?? sentPerS;
      } else if (o.type === 'notice') say(`[generator] ${o.message}`);
    } catch {
      say(`[generator] ${line}`);
    }
  });
  createInterface({ input: generator.stderr! }).on('line', (line) => say(`[generator] ${line}`));
  const generatorDone = new Promise<number | null>((resolve) => generator.once('exit', resolve));

  return { connected: () => connected, sentPerS: () => sentPerS, done: generatorDone };
}

interface SyntheticFeed {
  /** Where the page is opened: the proxy in front of the hub. */
  url: string;
  start(): UnitsSource;
  close(): Promise<void>;
}

/**
 * The page's live feed without the hub in the path: an HTTP proxy in front of the hub (the app, its API and the map
 * configuration still come from the hub) whose `/socket.io` is served here — a `/live` namespace that answers a
 * subscription with an empty snapshot, then pushes every unit's fix once per interval in batches every
 * SYNTHETIC_TICK_MS, as hub/live/push.ts does, with the fix time = now. Vehicles move along street loops
 * (payload-profiles.ts RouteTrack); units join evenly over the ramp-up.
 */
async function startSyntheticFeed(hubHttpUrl: string, ids: string[], args: Args): Promise<SyntheticFeed> {
  const target = new URL(hubHttpUrl);
  const server = http.createServer((req, res) => {
    const upstream = http.request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  const ioServer = new SocketServer(server, { path: '/socket.io' });
  const live = ioServer.of('/live');
  live.on('connection', (socket) => {
    socket.on('subscribe', (_request: unknown, ack?: (reply: unknown) => void) => {
      void socket.join('subscribers');
      socket.emit('snapshot', { positions: [], statuses: [], cases: [], cameras: [], candidates: [] });
      ack?.({ ok: true, layers: ['vehicles'], bbox: null, personal: 'none' });
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const kinds = ['muck', 'sanitation', 'patrol', 'sprinkler', 'enforcement'];
  let timer: NodeJS.Timeout | undefined;
  let finish: () => void = () => undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    start() {
      const tracks = ids.map((id) => new RouteTrack(id));
      const startMs = Date.now();
      const endMs = startMs + (args.rampUpS + args.durationS) * 1000;
      let lastTickMs = startMs;
      let active = 0;
      let sentThisSecond = 0;
      let sentLastSecond = 0;
      let second = 0;
      const done = new Promise<void>((resolve) => (finish = resolve));
      timer = setInterval(() => {
        const now = Date.now();
        if (now >= endMs) {
          clearInterval(timer);
          finish();
          return;
        }
        const s = Math.floor((now - startMs) / 1000);
        if (s !== second) {
          second = s;
          sentLastSecond = sentThisSecond;
          sentThisSecond = 0;
        }
        active = Math.min(ids.length, Math.floor((ids.length * (now - startMs)) / (args.rampUpS * 1000 + 1)));
        const positions = [];
        for (let i = 0; i < active; i++) {
          // Unit i reports at its own phase of each interval, so the fixes spread over the interval as devices do.
          const phase = (i / ids.length) * args.intervalMs;
          const due = startMs + phase + Math.floor((now - startMs - phase) / args.intervalMs) * args.intervalMs;
          if (due <= lastTickMs || due > now) continue;
          const fix = tracks[i]!.next(now);
          positions.push({
            deviceId: ids[i]!,
            kind: 'vehicle',
            vehicleKind: kinds[i % kinds.length],
            time: new Date(fix.timeMs).toISOString(),
            lat: fix.lat,
            lon: fix.lon,
            speedKmh: fix.speedKmh,
            course: fix.course,
          });
        }
        lastTickMs = now;
        sentThisSecond += positions.length;
        if (positions.length > 0) live.to('subscribers').emit('positions', { positions });
      }, SYNTHETIC_TICK_MS);
      return { connected: () => active, sentPerS: () => sentLastSecond, done };
    },
    async close() {
      clearInterval(timer);
      finish();
      await new Promise<void>((resolve) => void ioServer.close(() => resolve()));
      server.closeAllConnections();
    },
  };
}

async function run(args: Args): Promise<void> {
  const adminToken = args.adminToken ?? randomBytes(24).toString('hex');
  const hub = args.startHub
    ? await startHub(args, adminToken)
    : { httpUrl: args.hubHttpUrl!, mqttUrl: args.mqttUrl!, stop: async () => undefined };
  const work = mkdtempSync(path.join(os.tmpdir(), 'cityhub-bench-map-run-'));
  let browserClosed: (() => Promise<void>) | null = null;
  let hubFollower: { take(): number[]; close(): void } | null = null;
  let synthetic: SyntheticFeed | null = null;
  try {
    // Provision: a fresh id prefix per run, so a running hub's earlier devices never collide.
    const prefix = `map${randomInt(100_000, 999_999)}-`;
    const ids = benchDeviceIds(prefix, 1, args.units);
    const credentialsFile = path.join(work, 'credentials.json');
    if (args.feed === 'mqtt') {
      say(`[setup] provisioning ${args.units} vehicles (${prefix}00001 …)`);
      const credentials = await provisionDevices(hub.httpUrl, adminToken, ids);
      writeFileSync(credentialsFile, JSON.stringify(Object.fromEntries(credentials)));
    } else {
      synthetic = await startSyntheticFeed(hub.httpUrl, ids, args);
    }

    // The map, before any unit reports: the page then follows the whole ramp-up live.
    const browser = await chromium.launch({
      executablePath: args.chromium,
      args: [
        '--headless',
        '--no-sandbox',
        '--use-gl=angle',
        ...(args.gl === 'swiftshader' ? ['--use-angle=swiftshader', '--enable-unsafe-swiftshader'] : []),
        '--disable-background-networking',
        '--disable-background-timer-throttling',
      ],
    });
    browserClosed = () => browser.close();
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    page.on('pageerror', (err) => say(`[page] error: ${err.message}`));
    await page.goto(`${synthetic?.url ?? hub.httpUrl}/?stats`);
    await page.waitForSelector('body[data-map-ready="true"]', { timeout: 60_000 });
    await recordFrames(page);
    if (!synthetic) hubFollower = followHub(hub.httpUrl);
    say(
      `[setup] map open at 1920×1080 (${args.gl}); starting ${args.units} units, one fix per ${args.intervalMs} ms` +
        (synthetic ? ' (synthetic feed: no hub in the path)' : ''),
    );

    const units = synthetic ? synthetic.start() : startGenerator(hub.mqttUrl, prefix, credentialsFile, args);
    const startedAt = Date.now();
    const steadyFromS = args.rampUpS + args.warmupS;
    const steady: PageSample = { frames: [], positions: 0, receiveToScreenMs: [], fixToScreenMs: [], unitsOnMap: 0 };
    const steadyFixToClientMs: number[] = [];
    let steadySeconds = 0;
    let done = false;
    void units.done.then(() => (done = true));
    const limitS = args.rampUpS + args.durationS + 30;
    for (let second = 1; !done && second <= limitS; second++) {
      await delay(Math.max(0, startedAt + second * 1000 - Date.now()));
      const s = await takeSample(page);
      const fixToClient = hubFollower?.take() ?? [];
      const fps = s.frames.length;
      const lag = s.receiveToScreenMs;
      say(
        `[${String(second).padStart(3)} s] units ${units.connected()}/${args.units} sending ${units.sentPerS()}/s  ` +
          `on map ${s.unitsOnMap}  ` +
          `applied ${s.positions}/s  ` +
          `frames ${fps}/s  frame p50 ${ms(percentile(s.frames, 50))} p99 ${ms(percentile(s.frames, 99))} max ${ms(Math.max(0, ...s.frames))} ms  ` +
          `lag p50 ${ms(percentile(lag, 50))} p99 ${ms(percentile(lag, 99))} ms  fix→screen p50 ${ms(percentile(s.fixToScreenMs, 50))} ms  ` +
          `(fix→hub client p50 ${ms(percentile(fixToClient, 50))} ms)`,
      );
      if (second > steadyFromS && second <= args.rampUpS + args.durationS) {
        steadySeconds += 1;
        steady.frames.push(...s.frames);
        steady.positions += s.positions;
        steady.receiveToScreenMs.push(...lag);
        steady.fixToScreenMs.push(...s.fixToScreenMs);
        steadyFixToClientMs.push(...fixToClient);
        steady.unitsOnMap = Math.max(steady.unitsOnMap, s.unitsOnMap);
      }
    }
    await units.done;

    const summary = {
      type: 'summary',
      units: args.units,
      intervalMs: args.intervalMs,
      gl: args.gl,
      steadySeconds,
      unitsOnMap: steady.unitsOnMap,
      appliedPositionsPerS: steadySeconds ? Math.round(steady.positions / steadySeconds) : 0,
      framesPerS: steadySeconds ? Math.round(steady.frames.length / steadySeconds) : 0,
      frameMs: {
        p50: percentile(steady.frames, 50),
        p95: percentile(steady.frames, 95),
        p99: percentile(steady.frames, 99),
        max: Math.max(0, ...steady.frames),
        over50: steady.frames.filter((f) => f > 50).length,
      },
      receiveToScreenMs: {
        batches: steady.receiveToScreenMs.length,
        p50: percentile(steady.receiveToScreenMs, 50),
        p95: percentile(steady.receiveToScreenMs, 95),
        p99: percentile(steady.receiveToScreenMs, 99),
        max: Math.max(0, ...steady.receiveToScreenMs),
      },
      fixToScreenMs: {
        p50: percentile(steady.fixToScreenMs, 50),
        p99: percentile(steady.fixToScreenMs, 99),
      },
      // The same deltas at a plain socket.io client: the hub's share of fix→screen; the rest is the page's.
      fixToHubClientMs: {
        p50: percentile(steadyFixToClientMs, 50),
        p99: percentile(steadyFixToClientMs, 99),
      },
      target: `${TARGET_UNITS} units at 1 Hz: every unit on the map, applied positions/s ≈ units, lag p99 well under a second`,
    };
    process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  } finally {
    hubFollower?.close();
    await synthetic?.close();
    await browserClosed?.();
    await hub.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  let args: Args | 'help';
  try {
    args = parse(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof UsageError) {
      say(`bench-map: ${err.message}\n\n${USAGE}`);
      process.exit(err.exitCode);
    }
    throw err;
  }
  if (args === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  const interrupted = () => void stopAllChildren().finally(() => process.exit(130));
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    await run(args);
  } catch (err) {
    say(`bench-map: ${err instanceof ProvisioningError ? err.message : ((err as Error).stack ?? String(err))}`);
    await stopAllChildren();
    process.exit(1);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
