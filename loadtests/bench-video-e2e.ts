// 视频容量基准 end-to-end video capacity benchmark: how many cameras one box sustains at one sample per interval with
// motion gating, measured on the built hub as it runs in production. It starts `dist/hub/main.js` with VIDEO_ENABLED,
// registers N cameras with zones through the admin API, and has ffmpeg publish N real looped streams over RTMP with
// their signed keys — OpenCV's street clip vtest.avi (people walking: the gate passes often) and a mostly static
// picture (a parked car from OpenCV's sample photos with sensor noise: the gate passes only to re-check the car) — so
// the motion gate's real pass rate is measured, not assumed. For each N it prints samples taken vs expected, the
// gate's pass rate, detector p50/p99 latency, frames dropped because the chain or the detector was busy, hub CPU and
// RSS, and whether N is sustained; it steps N up until it is not and prints the largest sustained N. Same-run
// baseline: ffmpeg decoding the same streams the same way (decode-only, what any analysis has to pay).
//
//   node --import tsx loadtests/bench-video-e2e.ts --help
//
// Talks HTTP and RTMP and reads /metrics like any client; never imports hub or ingest code. Loopback only. Every phase
// is bounded in time; the processes it started are stopped on the way out.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { optionString, parseHubEnv, parseOptions, readCommandLine } from './cli.js';
import { UsageError, assertLoopbackUrl } from './generator-core.js';
import {
  busyFraction,
  cpuSecondsOfProcessTree,
  readCpuSeconds,
  readMachineCpu,
  readMemory,
  readParentPid,
} from './procfs.js';
import { delay, freePort, repoRoot, spawnHub, stopAllChildren, stopChild, track } from './processes.js';
import {
  parsePrometheus,
  stepFigures,
  verdict,
  videoReading,
  type StepFigures,
  type VideoReading,
} from './video-figures.js';

const OPENCV_DATA = '/usr/share/doc/opencv-doc/examples/data';

const USAGE = `Usage: node --import tsx loadtests/bench-video-e2e.ts --database-url <url> [options]

Starts the built hub (dist/hub/main.js; npm run build:server) with VIDEO_ENABLED on free loopback ports, then for each
N of --steps: N ffmpeg decoders of the streams alone (the baseline), then N cameras registered with zones publishing
looped clips over RTMP for --warmup + --duration seconds; prints one row per N and the largest sustained N.

Hub:
      --database-url <url>      the hub's database (required; loopback). For real numbers the TimescaleDB test
                                cluster: TEST_DB_DIR=/tmp/bench-video-db bash scripts/test-db.sh start
      --hub-entry <file>        (default dist/hub/main.js)
      --workers <n>             VIDEO_DETECTOR_WORKERS (default 2)
      --hub-env NAME=value      more hub environment, repeatable

Load:
      --steps <n,n,…>           camera counts to try, in order (default 2,4,8,12,16,20,24,32)
      --duration <s>            measured window per step (default 60)
      --warmup <s>              after every camera is online and sampled, before measuring (default 15)
      --baseline <s>            decode-only baseline window per step; 0 skips it (default 30)
      --interval-ms <ms>        each camera's sampling interval (default 2000)
      --static-share <0–1>      share of cameras showing the static picture, the rest vtest.avi (default 0.5)
      --busy-clip <file>        (default ${OPENCV_DATA}/vtest.avi)
      --static-image <file>     (default ${OPENCV_DATA}/licenseplate_motion.jpg)
      --class-ref <code>        catalogue class of the zones (default event:0406)
      --keep-going              try every step even after one is not sustained

Sustained when: samples taken >= 95 % of expected, frames dropped (busy chain or full detector) <= --max-drop
(default 0.01) of those taken, detector p99 below the interval, and no growing detector backlog.

Output:
      --out <dir|file.json>     JSON result (default /tmp); the hub's log goes next to it
  -h, --help

Example:
  npm run build:server
  DB=$(TEST_DB_DIR=/tmp/bench-video-db bash scripts/test-db.sh start)
  node --import tsx loadtests/bench-video-e2e.ts --database-url "$DB"
  node --import tsx loadtests/bench-video-e2e.ts --database-url "$DB" --steps 1,2 --duration 20 --warmup 5 --baseline 5
  TEST_DB_DIR=/tmp/bench-video-db bash scripts/test-db.sh stop
`;

const MANAGED_HUB_ENV = [
  'HTTP_HOST',
  'HTTP_PORT',
  'MQTT_HOST',
  'MQTT_PORT',
  'JT808_PORT',
  'DATABASE_URL',
  'DATA_DIR',
  'ADMIN_TOKEN',
  'VIDEO_ENABLED',
  'VIDEO_HOST',
  'RTMP_PORT',
  'HTTP_FLV_PORT',
  'VIDEO_SECRET',
  'VIDEO_DETECTOR_WORKERS',
];

interface Args {
  databaseUrl: string;
  hubEntry: string;
  workers: number;
  hubEnv: Record<string, string>;
  steps: number[];
  durationS: number;
  warmupS: number;
  baselineS: number;
  intervalMs: number;
  staticShare: number;
  busyClip: string;
  staticImage: string;
  classRef: string;
  keepGoing: boolean;
  maxDrop: number;
  out: string;
}

function parse(argv: readonly string[]): Args | 'help' {
  const values = parseOptions(argv, {
    'database-url': { type: 'string' },
    'hub-entry': { type: 'string' },
    workers: { type: 'string' },
    'hub-env': { type: 'string', multiple: true },
    steps: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    baseline: { type: 'string' },
    'interval-ms': { type: 'string' },
    'static-share': { type: 'string' },
    'busy-clip': { type: 'string' },
    'static-image': { type: 'string' },
    'class-ref': { type: 'string' },
    'keep-going': { type: 'boolean' },
    'max-drop': { type: 'string' },
    out: { type: 'string' },
  });
  if (values === 'help') return 'help';
  const str = (k: string) => optionString(values, k);
  const num = (k: string, def: number, min: number, max: number): number => {
    const raw = str(k);
    if (raw === undefined) return def;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${k} must be from ${min} to ${max}`);
    return n;
  };
  const databaseUrl = str('database-url') ?? '';
  if (!databaseUrl) throw new UsageError('--database-url is required (the hub stores detections and candidates there)');
  assertLoopbackUrl(databaseUrl, '--database-url', ['postgres:', 'postgresql:']);
  const steps = (str('steps') ?? '2,4,8,12,16,20,24,32').split(',').map((s) => Number(s.trim()));
  if (steps.some((n) => !Number.isInteger(n) || n < 1 || n > 200)) {
    throw new UsageError('--steps takes camera counts from 1 to 200, e.g. 2,4,8');
  }
  if (steps.some((n, i) => i > 0 && n <= steps[i - 1]!)) throw new UsageError('--steps must increase');
  const hubEnv = parseHubEnv(values['hub-env'] as string[] | undefined, MANAGED_HUB_ENV);
  const classRef = str('class-ref') ?? 'event:0406';
  if (!/^(event|component):\d{4,6}$/.test(classRef)) throw new UsageError('--class-ref is like event:0406');
  return {
    databaseUrl,
    hubEntry: str('hub-entry') ?? path.join(repoRoot(), 'dist/hub/main.js'),
    workers: num('workers', 2, 1, 16),
    hubEnv,
    steps,
    durationS: num('duration', 60, 5, 3600),
    warmupS: num('warmup', 15, 0, 600),
    baselineS: num('baseline', 30, 0, 3600),
    intervalMs: num('interval-ms', 2000, 200, 60_000),
    staticShare: num('static-share', 0.5, 0, 1),
    busyClip: str('busy-clip') ?? path.join(OPENCV_DATA, 'vtest.avi'),
    staticImage: str('static-image') ?? path.join(OPENCV_DATA, 'licenseplate_motion.jpg'),
    classRef,
    keepGoing: values['keep-going'] === true,
    maxDrop: num('max-drop', 0.01, 0, 1),
    out: str('out') ?? '/tmp',
  };
}

const say = (line: string) => process.stderr.write(line + '\n');

// ───────────────────────────── clips ─────────────────────────────

type Group = 'busy' | 'static';

/**
 * Both clips as H.264 FLV at the same size and rate (768×576, 10 fps, a key frame every 2 s), so a publisher only
 * copies packets and the decoders of both groups do comparable work: vtest.avi as it is; the static picture for 60 s
 * with light temporal noise, as a real sensor never gives two identical frames.
 */
function prepareClips(args: Args, dir: string): Record<Group, string> {
  for (const f of [args.busyClip, args.staticImage]) {
    if (!existsSync(f)) throw new UsageError(`${f} is missing (Debian: apt-get install opencv-doc)`);
  }
  const h264 = ['-an', '-c:v', 'libx264', '-preset', 'veryfast', '-g', '20', '-pix_fmt', 'yuv420p', '-f', 'flv'];
  const busy = path.join(dir, 'busy.flv');
  const still = path.join(dir, 'static.flv');
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', args.busyClip, '-vf', 'scale=768:576,fps=10', ...h264, busy]);
  execFileSync('ffmpeg', [
    ...['-v', 'error', '-y', '-loop', '1', '-framerate', '10', '-t', '60', '-i', args.staticImage],
    ...['-vf', 'scale=768:576,setsar=1,noise=alls=6:allf=t', ...h264, still],
  ]);
  return { busy, static: still };
}

const groupOfIndex = (i: number, staticShare: number): Group =>
  // Spread the static cameras evenly: with a share of 0.5, every second camera.
  Math.floor((i + 1) * staticShare) > Math.floor(i * staticShare) ? 'static' : 'busy';

// ───────────────────────────── the hub ─────────────────────────────

interface Hub {
  child: ChildProcess;
  pid: number;
  httpUrl: string;
  adminToken: string;
  logFile: string;
  dataDir: string;
}

async function startHub(args: Args, logDir: string, stamp: string): Promise<Hub> {
  const [rtmpPort, flvPort] = [await freePort(), await freePort()];
  return spawnHub({
    entry: args.hubEntry,
    databaseUrl: args.databaseUrl,
    adminToken: randomBytes(24).toString('base64url'),
    dataPrefix: 'bench-video-data-',
    logFile: path.join(logDir, `bench-video-hub-${stamp}.log`),
    env: args.hubEnv,
    extraEnv: {
      VIDEO_ENABLED: 'true',
      VIDEO_HOST: '127.0.0.1',
      RTMP_PORT: String(rtmpPort),
      HTTP_FLV_PORT: String(flvPort),
      VIDEO_SECRET: randomBytes(24).toString('base64url'),
      VIDEO_DETECTOR_WORKERS: String(args.workers),
    },
    healthTimeoutMs: 180_000,
    say,
    label: `[hub] starting ${path.relative(process.cwd(), args.hubEntry)} (${args.workers} detector workers)`,
  });
}

async function api(hub: Hub, method: string, route: string, body?: unknown): Promise<unknown> {
  const response = await fetch(new URL(route, hub.httpUrl), {
    method,
    headers: {
      authorization: `Bearer ${hub.adminToken}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route} answered ${response.status}: ${text.slice(0, 500)}`);
  return text ? (JSON.parse(text) as unknown) : null;
}

async function readMetrics(hub: Hub): Promise<VideoReading> {
  const response = await fetch(new URL('/metrics', hub.httpUrl), { signal: AbortSignal.timeout(10_000) });
  return videoReading(parsePrometheus(await response.text()), Date.now());
}

/** This run's cameras: `bench-<tag>-NNN`, a fresh tag per run, so runs against one database never collide. */
const RUN_TAG = randomBytes(3).toString('hex');
const cameraIdOf = (i: number) => `bench-${RUN_TAG}-${String(i + 1).padStart(3, '0')}`;

/**
 * Other enabled cameras in the database are analysed too (their samplers retry, their streams, if any, cost CPU):
 * named so the figures can be judged.
 */
async function otherEnabledCameras(hub: Hub): Promise<string[]> {
  const list = (await api(hub, 'GET', '/api/cameras?enabled=true')) as { items: Array<{ id: string }> };
  return list.items.map((c) => c.id);
}

/** The run's cameras are disabled at the end, so a later run against the same database does not analyse them. */
async function disableCameras(hub: Hub, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await api(hub, 'PATCH', `/api/cameras/${cameraIdOf(i)}`, { enabled: false }).catch((err: Error) =>
      say(`  could not disable ${cameraIdOf(i)}: ${err.message}`),
    );
  }
}

/** Registers cameras [from, to) with a no-parking zone (lower half) and a crowd zone (the whole picture). */
async function registerCameras(hub: Hub, args: Args, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) {
    await api(hub, 'POST', '/api/cameras', {
      id: cameraIdOf(i),
      name: `基准摄像头 ${i + 1}`,
      // 300 m apart around Jinan's old town, so their candidates never merge with each other.
      lon: 117.0 + (i % 10) * 0.0035,
      lat: 36.65 + Math.floor(i / 10) * 0.0027,
      source: 'rtmp',
      sampleIntervalMs: args.intervalMs,
      zones: [
        {
          id: 'kerb',
          name: '禁停路段',
          kind: 'noParking',
          polygon: [
            [0, 0.5],
            [1, 0.5],
            [1, 1],
            [0, 1],
          ],
          classRef: args.classRef,
          maxStationaryS: 60,
        },
        {
          id: 'square',
          name: '广场',
          kind: 'crowd',
          polygon: [
            [0, 0],
            [1, 0],
            [1, 1],
            [0, 1],
          ],
          classRef: args.classRef,
          maxPersons: 8,
          minDurationS: 10,
        },
      ],
    });
  }
}

// ───────────────────────────── processes and /proc ─────────────────────────────

const FFMPEG_QUIET = ['-hide_banner', '-nostats', '-nostdin', '-loglevel', 'error'];

/** ffmpeg processes this run is stopping: their exit (255 on SIGTERM) is expected. */
const stopping = new WeakSet<ChildProcess>();

function spawnFfmpeg(args: string[]): ChildProcess {
  const child = track(spawn('ffmpeg', [...FFMPEG_QUIET, ...args], { stdio: ['ignore', 'ignore', 'pipe'] }));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  child.once('exit', (code, signal) => {
    if (stopping.has(child) || code === 0) return;
    say(`  ffmpeg ${args.at(-1)} exited ${code ?? signal}: ${stderr.trim().slice(-300)}`);
  });
  return child;
}

function stopFfmpeg(child: ChildProcess): Promise<void> {
  stopping.add(child);
  return stopChild(child, 3000);
}

/** A camera publishing its clip in a loop, in real time, packets copied (what an encoder on a pole costs is not ours). */
const publish = (clip: string, url: string) =>
  spawnFfmpeg(['-re', '-stream_loop', '-1', '-i', clip, '-c', 'copy', '-f', 'flv', url]);

/** What the hub's sampler does with a stream (decode, one frame per interval, 640 wide, raw RGB), to /dev/null. */
const decodeOnly = (clip: string, intervalMs: number) =>
  spawnFfmpeg([
    ...['-re', '-stream_loop', '-1', '-i', clip, '-an'],
    ...['-vf', `fps=${1000 / intervalMs},scale=640:-2`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-y', '/dev/null'],
  ]);

function childPids(parent: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (/^\d+$/.test(entry) && readParentPid(Number(entry)) === parent) pids.push(Number(entry));
  }
  return pids;
}

const cpuOf = (pids: readonly number[]) => pids.reduce((s, pid) => s + (readCpuSeconds(pid) ?? 0), 0);
const MB = 1024 * 1024;

// ───────────────────────────── one step ─────────────────────────────

interface StepResult {
  cameras: number;
  figures: StepFigures;
  sustained: boolean;
  reasons: string[];
  /** % of one core over the window. */
  hubCpuPct: number;
  /** The hub with its ffmpeg samplers (its child processes). */
  hubTreeCpuPct: number;
  hubRssPeakMb: number;
  samplersRssMb: number;
  publishersCpuPct: number;
  baselineDecodeCpuPct: number | null;
  machineBusyPct: number | null;
  backlog: number[];
}

async function baseline(args: Args, clips: Record<Group, string>, n: number): Promise<number | null> {
  if (args.baselineS === 0) return null;
  const decoders = Array.from({ length: n }, (_, i) =>
    decodeOnly(clips[groupOfIndex(i, args.staticShare)], args.intervalMs),
  );
  try {
    await delay(3000); // past the decoders' start-up
    const pids = decoders.map((d) => d.pid!).filter(Boolean);
    const cpu0 = cpuOf(pids);
    const t0 = Date.now();
    await delay(args.baselineS * 1000);
    return ((cpuOf(pids) - cpu0) * 100) / ((Date.now() - t0) / 1000);
  } finally {
    await Promise.all(decoders.map(stopFfmpeg));
  }
}

async function waitUntil(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await delay(500);
  }
}

async function runStep(
  args: Args,
  hub: Hub,
  clips: Record<Group, string>,
  n: number,
  registered: { count: number },
): Promise<StepResult> {
  say(`\n[N=${n}] baseline: ${n} ffmpeg decoders of the same streams, ${args.baselineS} s`);
  const baselinePct = await baseline(args, clips, n);
  if (registered.count < n) {
    await registerCameras(hub, args, registered.count, n);
    registered.count = n;
  }
  const ids = Array.from({ length: n }, (_, i) => cameraIdOf(i));
  const publishers: ChildProcess[] = [];
  try {
    for (const [i, id] of ids.entries()) {
      const key = (await api(hub, 'POST', `/api/cameras/${id}/publish-key`, { ttlS: 86_400 })) as { url: string };
      publishers.push(publish(clips[groupOfIndex(i, args.staticShare)], key.url));
    }
    say(`[N=${n}] ${n} cameras publishing; waiting until each is online and sampled`);
    await waitUntil('every camera online', 60_000, async () => {
      const list = (await api(hub, 'GET', '/api/cameras?status=online')) as { items: Array<{ id: string }> };
      const online = new Set(list.items.map((c) => c.id));
      return ids.every((id) => online.has(id));
    });
    await waitUntil('every camera sampled', 90_000, async () => {
      const m = await readMetrics(hub);
      return ids.every((id) => (m.cameras.get(id)?.sampled ?? 0) > 0);
    });
    say(`[N=${n}] warm-up ${args.warmupS} s, then measuring ${args.durationS} s`);
    await delay(args.warmupS * 1000);

    const samplers = childPids(hub.pid);
    const publisherPids = publishers.map((p) => p.pid!).filter(Boolean);
    const before = await readMetrics(hub);
    const hubCpu0 = readCpuSeconds(hub.pid) ?? 0;
    const treeCpu0 = cpuSecondsOfProcessTree(hub.pid) ?? 0;
    const pubCpu0 = cpuOf(publisherPids);
    const machine0 = readMachineCpu();
    let rssPeak = 0;
    let samplersRss = 0;
    const backlog: number[] = [];
    const endAt = before.atMs + args.durationS * 1000;
    while (Date.now() < endAt) {
      await delay(Math.min(2000, Math.max(0, endAt - Date.now())));
      rssPeak = Math.max(rssPeak, readMemory(hub.pid)?.rssBytes ?? 0);
      samplersRss = Math.max(
        samplersRss,
        samplers.reduce((s, pid) => s + (readMemory(pid)?.rssBytes ?? 0), 0),
      );
      const q = (await readMetrics(hub)).detectorQueue;
      backlog.push((q.queued ?? 0) + (q.in_flight ?? 0));
      if (publishers.some((p) => p.exitCode !== null)) throw new Error('a publisher stopped during the window');
    }
    const after = await readMetrics(hub);
    const wallS = (after.atMs - before.atMs) / 1000;
    const pct = (cpuS: number) => (cpuS * 100) / wallS;
    const figures = stepFigures(
      before,
      after,
      ids,
      (id) => groupOfIndex(ids.indexOf(id), args.staticShare),
      args.intervalMs,
    );
    const v = verdict(figures, backlog, {
      minSampleShare: 0.95,
      maxDropRate: args.maxDrop,
      intervalMs: args.intervalMs,
    });
    const busy = busyFraction(machine0, readMachineCpu());
    return {
      cameras: n,
      figures,
      sustained: v.sustained,
      reasons: v.reasons,
      hubCpuPct: pct((readCpuSeconds(hub.pid) ?? 0) - hubCpu0),
      hubTreeCpuPct: pct((cpuSecondsOfProcessTree(hub.pid) ?? 0) - treeCpu0),
      hubRssPeakMb: rssPeak / MB,
      samplersRssMb: samplersRss / MB,
      publishersCpuPct: pct(cpuOf(publisherPids) - pubCpu0),
      baselineDecodeCpuPct: baselinePct,
      machineBusyPct: busy === undefined ? null : busy * 100,
      backlog,
    };
  } finally {
    await Promise.all(publishers.map(stopFfmpeg));
  }
}

// ───────────────────────────── output ─────────────────────────────

const f0 = (n: number | null | undefined, digits = 0) =>
  n === null || n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(digits);
const pctOf = (x: number | undefined) => (x === undefined ? '–' : `${(x * 100).toFixed(0)} %`);

function row(r: StepResult): string {
  const f = r.figures;
  return [
    String(r.cameras).padStart(3),
    `${f0(f.samplesTaken)}/${f0(f.samplesExpected)}`.padStart(11),
    `${pctOf(f.gatePassRate.busy)} / ${pctOf(f.gatePassRate.static)} / ${pctOf(f.gatePassRate.all)}`.padStart(20),
    `${f0(f.detectP50Ms)} / ${f0(f.detectP99Ms)}`.padStart(13),
    `${f.droppedBusy} + ${f.detectorRefused} (${(f.dropRate * 100).toFixed(1)} %)`.padStart(16),
    `${f0(r.hubCpuPct)} / ${f0(r.hubTreeCpuPct)}`.padStart(11),
    `${f0(r.hubRssPeakMb)} + ${f0(r.samplersRssMb)}`.padStart(11),
    f0(r.baselineDecodeCpuPct).padStart(9),
    f0(r.publishersCpuPct).padStart(6),
    f0(r.machineBusyPct).padStart(5),
    r.sustained ? 'yes' : `no: ${r.reasons.join('; ')}`,
  ].join('  ');
}

const HEADER = [
  '  N',
  'samples/exp',
  'gate pass busy/static/all',
  'detect p50/p99',
  'dropped busy+det',
  'hub CPU %',
  'RSS MB',
  'decode %',
  'pub %',
  'box %',
  'sustained',
].join('  ');

const LEGEND = `
  samples/exp      frames the samplers took vs N × window / interval
  gate pass        share of analysed frames the motion gate let through to the detector (vtest.avi cameras / static
                   picture cameras / all)
  detect p50/p99   ms from a frame handed to the detector pool to its detections (queue wait included)
  dropped          frames dropped because the camera's chain was busy + refused by a full detector pool (share of taken)
  hub CPU %        % of one core: the hub process / with its ffmpeg samplers
  RSS MB           hub peak + its ffmpeg samplers
  decode %         baseline, same run: N ffmpeg decoders of the same streams doing what the samplers do, nothing else
  pub %            the N publishing ffmpeg (packet copy; not the hub's cost)
  box %            the whole machine busy (2 cores = 100 %)`;

// ───────────────────────────── main ─────────────────────────────

async function main(): Promise<number> {
  const args = readCommandLine(() => parse(process.argv.slice(2)), USAGE);
  if (typeof args === 'number') return args;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = args.out.endsWith('.json') ? args.out : path.join(args.out, `bench-video-e2e-${stamp}.json`);
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      say(`${signal}: stopping the processes this run started`);
      void stopAllChildren().then(() => process.exit(130));
    });
  }

  const clipDir = mkdtempSync(path.join(os.tmpdir(), 'bench-video-clips-'));
  let hub: Hub | undefined;
  const results: StepResult[] = [];
  const registered = { count: 0 };
  try {
    say('[clips] encoding vtest.avi and the static picture to H.264 FLV');
    const clips = prepareClips(args, clipDir);
    hub = await startHub(args, path.dirname(path.resolve(file)), stamp);
    const others = await otherEnabledCameras(hub);
    if (others.length > 0) {
      say(`[note] ${others.length} other enabled camera(s) in this database are analysed too: ${others.join(', ')}`);
    }
    try {
      for (const n of args.steps) {
        const r = await runStep(args, hub, clips, n, registered);
        results.push(r);
        say(HEADER);
        say(row(r));
        if (!r.sustained && !args.keepGoing) break;
      }
    } finally {
      await disableCameras(hub, registered.count);
    }
  } finally {
    if (hub) await stopChild(hub.child, 15_000);
    rmSync(clipDir, { recursive: true, force: true });
    if (hub) rmSync(hub.dataDir, { recursive: true, force: true });
  }

  const sustained = results.filter((r) => r.sustained).map((r) => r.cameras);
  const largest = sustained.length > 0 ? Math.max(...sustained) : null;
  process.stdout.write(
    `\nVideo capacity, end to end: one sample per ${args.intervalMs} ms per camera, ${args.workers} detector ` +
      `workers, ${os.availableParallelism()} cores, ${Math.round(args.staticShare * 100)} % static cameras, ` +
      `${args.durationS} s windows\n\n${HEADER}\n${results.map(row).join('\n')}\n${LEGEND}\n\n` +
      `largest sustained N: ${largest ?? 'none'}` +
      (results.length > 0 && results.at(-1)!.sustained ? ' (every step sustained: try larger steps)' : '') +
      '\n',
  );
  writeFileSync(
    file,
    JSON.stringify(
      {
        startedAt: stamp,
        args: { ...args, databaseUrl: '(given)' },
        cores: os.availableParallelism(),
        results,
        largest,
      },
      null,
      2,
    ),
  );
  say(`result: ${file}${hub ? `; hub log: ${hub.logFile}` : ''}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  async (err: unknown) => {
    process.stderr.write(`error: ${(err as Error).stack ?? String(err)}\n`);
    await stopAllChildren();
    process.exit(1);
  },
);
