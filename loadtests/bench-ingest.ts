// Ingest benchmark (接入性能基准): the same MQTT load, in the same run on the same machine, against
//   (a) a plain mosquitto forwarding it to one subscriber — the baseline, what "just moving MQTT messages" costs here;
//   (b) the hub end to end — QoS 1 positions acknowledged only after they are committed to the database;
// and prints both, their ratio and the targets side by side, and writes a JSON result file.
//
//   node --import tsx loadtests/bench-ingest.ts --help
//
// Talks MQTT, HTTP and (to count rows) PostgreSQL like any client; never imports hub or ingest code. All traffic
// goes to 127.0.0.1. Every phase is bounded in time; processes it started are stopped on the way out.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import {
  GENERATOR_ARG_SPEC,
  GENERATOR_OPTIONS_HELP,
  UsageError,
  ackLead,
  assertLoopbackUrl,
  generatorArgv,
  generatorOptionsFromValues,
  perDeviceIntervalMs,
  rateBetween,
  subscriptionFor,
  type GeneratorOptions,
  type Sample,
} from './generator-core.js';
import type { GeneratorSummary, SecondReport } from './mqtt-generator.js';
import type { FleetSummary } from './fleet-merge.js';
import type { SwarmSecond, SwarmSummary } from './live-swarm.js';
import { availability, buildTimeline, thin, type Availability, type Probe, type TimelineRow } from './timeline.js';
import { textTable as table } from './suite-report.js';
import { parsePrometheus } from './video-figures.js';
import { kindOfDevice } from './payload-profiles.js';
import {
  CLOCK_TICKS_PER_S,
  ProcessTreeCpu,
  cpuSecondsOfProcessTree,
  readCpuSeconds,
  readMachineCpu,
  readMemory,
  readParentPid,
} from './procfs.js';
import { ProvisioningError, benchDeviceIds, provisionDevices } from './provision.js';
import { optionString, parseHubEnv, parseOptions, readCommandLine } from './cli.js';
import {
  delay,
  exited,
  freePort,
  repoRoot,
  siblingCommand,
  spawnHub,
  stopAllChildren,
  stopChild,
  track,
  waitForHealth,
} from './processes.js';

// ───────────────────────────── targets ─────────────────────────────

export const TARGETS = {
  committedPerS: 20_000,
  ratio: 0.33,
  rssDevices: 10_000,
  rssIntervalMs: 5000,
  rssMb: 400,
} as const;

// ───────────────────────────── command line ─────────────────────────────

const USAGE = `Usage: node --import tsx loadtests/bench-ingest.ts [options]

Runs the same MQTT load (loadtests/mqtt-generator.ts, as a child process) against
  (a) mosquitto forwarding to one subscriber (baseline; skip with --skip-baseline), then
  (b) the hub, end to end: --start-hub (spawns the built hub), or --hub-mqtt-url for one already running,
and prints throughput, QoS 1 ack latency, hub memory and CPU, the ratio (b)/(a) and the targets. Loopback only.

Hub:
      --start-hub               spawn node dist/hub/main.js on free ports (HTTP_PORT, MQTT_PORT, DATA_DIR,
                                ADMIN_TOKEN, LOG_LEVEL=warn; other hub variables are inherited from your environment)
      --database-url <url>      the hub's database (with --start-hub: required). Also used to count committed rows.
                                For real numbers, the TimescaleDB test cluster: bash scripts/test-db.sh start
      --hub-entry <file>        what --start-hub runs  (default dist/hub/main.js; build it: npm run build:server)
      --hub-mqtt-url <url>      a running hub's broker, mqtt://127.0.0.1:PORT
      --hub-http-url <url>      a running hub's HTTP API, http://127.0.0.1:PORT (health check, provisioning)
      --hub-pid <pid>           a running hub's process id, to read its memory and CPU from /proc
      --provision <n>           create devices <id-prefix>00001… (kind vehicle) through POST /api/devices/import
                                and write their credentials to --credentials (default <out dir>/bench-credentials-*.json)
      --admin-token <token>     for --provision (or env ADMIN_TOKEN); --start-hub makes one up if not given
      --db-poll <ms>            count committed rows every <ms>, 0 = only before and after  (default 2000)
      --hub-env NAME=value      extra environment for --start-hub, repeatable; stored in the result. E.g.
                                DEVICE_RATE_PER_S=1000000 to measure capacity above the per-device rate limit
      --stall-db <at>,<for>     (b): <at> seconds after the generator starts, lock the positions table (LOCK TABLE
                                … ACCESS EXCLUSIVE, through --database-url) for <for> seconds — a database that
                                stops taking writes — and report the hub's memory, whether it stayed up, and
                                whether everything acknowledged was stored (e.g. 60,30; needs --database-url)

Generator:
      --generator-processes <n> run the load from n generator processes (loadtests/fleet.ts): one Node process
                                tops out at ~20–23k msgs/s here; the overload run (2× ~36k msgs/s) needs 4  (default 1)
      --live-clients <n>        (b): n socket.io clients on the hub's /live namespace measure publish → map delta
                                latency (loadtests/live-swarm.ts, its own process)  (default 0: none)

Baseline:
      --skip-baseline           run only the hub phase
      --mosquitto <path>        (default /usr/sbin/mosquitto)

Load (the same for both phases; defaults differ from the generator's: --devices 200 --rate max --duration 20):
${GENERATOR_OPTIONS_HELP}
During (b), the runner probes GET /healthz and one API call (GET /api/devices?limit=1 with the admin token, else
GET /api/map/config) every second, samples the hub's RSS, counts rows, reads /metrics (refusals, QoS 0 shed) before
and after, and prints a per-second timeline: offered, acked, committed/s, RSS, probe times — and whether the hub
stayed up and the API answered throughout.

Output:
      --out <dir|file.json>     where the JSON result goes  (default /tmp)
      --label <text>            stored in the result
  -h, --help                    show this help

Examples:
  node --import tsx loadtests/bench-ingest.ts --devices 200 --qos 1 --duration 20 \\
      --start-hub --database-url "$(bash scripts/test-db.sh start)"
  node --import tsx loadtests/bench-ingest.ts --devices 10000 --interval 5000 --ramp-up 60 --duration 60 \\
      --start-hub --database-url postgres://postgres@127.0.0.1:5432/cityhub_test --provision 10000
`;

const RUNNER_ARG_SPEC = {
  'start-hub': { type: 'boolean' },
  'database-url': { type: 'string' },
  'hub-entry': { type: 'string' },
  'hub-mqtt-url': { type: 'string' },
  'hub-http-url': { type: 'string' },
  'hub-pid': { type: 'string' },
  provision: { type: 'string' },
  'admin-token': { type: 'string' },
  'db-poll': { type: 'string' },
  'stall-db': { type: 'string' },
  'hub-env': { type: 'string', multiple: true },
  'skip-baseline': { type: 'boolean' },
  'generator-processes': { type: 'string' },
  'live-clients': { type: 'string' },
  mosquitto: { type: 'string' },
  out: { type: 'string' },
  label: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** What --start-hub sets itself (loopback, free ports, the database under test, a scratch DATA_DIR). */
const MANAGED_HUB_ENV = ['HTTP_HOST', 'HTTP_PORT', 'MQTT_HOST', 'MQTT_PORT', 'MQTT_URL', 'DATABASE_URL', 'DATA_DIR'];

interface BenchArgs {
  load: GeneratorOptions;
  startHub: boolean;
  databaseUrl?: string;
  hubEntry: string;
  hubMqttUrl?: string;
  hubHttpUrl?: string;
  hubPid?: number;
  provision?: number;
  adminToken?: string;
  dbPollMs: number;
  /** --stall-db: lock the positions table this many seconds after the generator starts, for so long. */
  stallDb?: { atS: number; forS: number };
  /** Extra environment for --start-hub, e.g. DEVICE_RATE_PER_S=100000. */
  hubEnv: Record<string, string>;
  skipBaseline: boolean;
  /** Generator processes (fleet.ts when more than one, or with live clients). */
  generatorProcesses: number;
  /** socket.io observers on /live during (b). */
  liveClients: number;
  mosquitto: string;
  out: string;
  label?: string;
}

function parseBenchArgs(argv: readonly string[], env: NodeJS.ProcessEnv): BenchArgs | 'help' {
  const values = parseOptions(argv, { ...GENERATOR_ARG_SPEC, ...RUNNER_ARG_SPEC });
  if (values === 'help') return 'help';
  // Benchmark defaults: enough devices to spread the load, and as fast as acks allow.
  values.devices ??= '200';
  values.duration ??= '20';
  if (values.interval === undefined) values.rate ??= 'max';
  const { 'hub-env': hubEnvRaw, ...flags } = values;
  const load = generatorOptionsFromValues(
    flags as Record<string, string | boolean | undefined>,
    'mqtt://127.0.0.1:1883',
  );
  const hubEnv = parseHubEnv(hubEnvRaw as string[] | undefined, MANAGED_HUB_ENV);

  const str = (k: string) => optionString(values, k);
  const startHub = values['start-hub'] === true;
  const hubMqttUrl = str('hub-mqtt-url');
  const hubHttpUrl = str('hub-http-url');
  if (Object.keys(hubEnv).length > 0 && !startHub) throw new UsageError('--hub-env only applies with --start-hub');
  if (startHub && (hubMqttUrl || hubHttpUrl)) {
    throw new UsageError('--start-hub picks its own ports; do not give --hub-mqtt-url/--hub-http-url with it');
  }
  if (hubMqttUrl) assertLoopbackUrl(hubMqttUrl, '--hub-mqtt-url', ['mqtt:', 'tcp:']);
  if (hubHttpUrl) assertLoopbackUrl(hubHttpUrl, '--hub-http-url', ['http:']);
  const databaseUrl = str('database-url');
  if (databaseUrl) assertLoopbackUrl(databaseUrl, '--database-url', ['postgres:', 'postgresql:']);
  if (startHub && !databaseUrl) {
    throw new UsageError(
      '--start-hub needs --database-url (e.g. the TimescaleDB test cluster: bash scripts/test-db.sh start)',
    );
  }
  const skipBaseline = values['skip-baseline'] === true;
  if (skipBaseline && !startHub && !hubMqttUrl) throw new UsageError('nothing to run: no baseline and no hub');

  const int = (k: string, min: number, max: number): number | undefined => {
    const raw = str(k);
    if (raw === undefined) return undefined;
    const n = /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new UsageError(`--${k} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
    }
    return n;
  };
  const provision = int('provision', 1, 100_000);
  const stallRaw = str('stall-db');
  let stallDb: BenchArgs['stallDb'];
  if (stallRaw !== undefined) {
    const m = /^(\d{1,5}),(\d{1,5})$/.exec(stallRaw.trim());
    if (!m || Number(m[2]) < 1) {
      throw new UsageError(
        `--stall-db takes <at>,<for> in whole seconds (e.g. 60,30), got ${JSON.stringify(stallRaw)}`,
      );
    }
    if (!databaseUrl) throw new UsageError('--stall-db needs --database-url (it locks the positions table there)');
    stallDb = { atS: Number(m[1]), forS: Number(m[2]) };
  }
  const processes = int('generator-processes', 1, 32);
  if (processes !== undefined && processes > load.devices) {
    throw new UsageError(`--generator-processes ${processes} is more than --devices ${load.devices}`);
  }
  const hubPid = int('hub-pid', 1, 4_194_304);
  const adminToken = str('admin-token') ?? (env.ADMIN_TOKEN?.trim() || undefined);
  if (provision !== undefined) {
    if (!startHub && !hubHttpUrl) throw new UsageError('--provision needs --hub-http-url or --start-hub');
    if (!startHub && !adminToken) throw new UsageError('--provision needs --admin-token (or env ADMIN_TOKEN)');
    if (provision < load.devices) {
      throw new UsageError(`--provision ${provision} is fewer than --devices ${load.devices}`);
    }
    if (load.credentialsFile !== undefined && existsSync(load.credentialsFile)) {
      throw new UsageError(`${load.credentialsFile} exists; --provision writes a new credentials file, pick another`);
    }
  }
  return {
    load,
    startHub,
    ...(databaseUrl ? { databaseUrl } : {}),
    hubEntry: str('hub-entry') ?? path.join(repoRoot(), 'dist/hub/main.js'),
    ...(hubMqttUrl ? { hubMqttUrl } : {}),
    ...(hubHttpUrl ? { hubHttpUrl } : {}),
    ...(hubPid !== undefined ? { hubPid } : {}),
    ...(provision !== undefined ? { provision } : {}),
    ...(adminToken ? { adminToken } : {}),
    dbPollMs: int('db-poll', 0, 600_000) ?? 2000,
    ...(stallDb ? { stallDb } : {}),
    hubEnv,
    skipBaseline,
    generatorProcesses: int('generator-processes', 1, 32) ?? 1,
    liveClients: int('live-clients', 0, 2000) ?? 0,
    mosquitto: str('mosquitto') ?? '/usr/sbin/mosquitto',
    out: str('out') ?? '/tmp',
    ...(str('label') ? { label: str('label') } : {}),
  };
}

// ───────────────────────────── child processes ─────────────────────────────

const say = (line: string) => process.stderr.write(line + '\n');

async function waitForTcp(port: number, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && exited(child)) throw new Error(`the process exited (status ${child.exitCode}) before listening`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await delay(100);
  }
  throw new Error(`nothing listened on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

/** Reads a child's stdout as JSON lines. */
function jsonLines(child: ChildProcess, onLine: (o: Record<string, unknown>) => void): void {
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      onLine(JSON.parse(line) as Record<string, unknown>);
    } catch {
      say(`  | ${line}`);
    }
  });
}

interface GeneratorRun {
  summary: GeneratorSummary | FleetSummary;
  /** The socket.io observers' summary (--live-clients). */
  endToEnd?: SwarmSummary;
  startedAtMs: number;
  endedAtMs: number;
}

interface GeneratorSetup {
  processes: number;
  /** The hub's HTTP URL for socket.io observers, and how many. */
  observeUrl?: string;
  observers: number;
}

/**
 * Runs the generator as a child process (its own event loop and CPU accounting) and returns its summary: one
 * mqtt-generator.ts, or fleet.ts forking several of them (and the socket.io observers).
 */
async function runGeneratorChild(
  phase: string,
  options: GeneratorOptions,
  extra: () => string,
  cpu: CpuSampler,
  setup: GeneratorSetup = { processes: 1, observers: 0 },
): Promise<GeneratorRun> {
  const startedAtMs = Date.now();
  const fleet = setup.processes > 1 || setup.observeUrl !== undefined;
  const argv = fleet
    ? [
        ...siblingCommand('fleet'),
        ...generatorArgv(options),
        ...['--processes', String(setup.processes), '--output', 'jsonl'],
        ...(setup.observeUrl ? ['--observe', setup.observeUrl, '--observers', String(setup.observers)] : []),
      ]
    : [...siblingCommand('mqtt-generator'), ...generatorArgv(options), '--output', 'jsonl'];
  const child = track(spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'] }));
  const pid = child.pid;
  let observerPid: number | undefined;
  // The fleet's processes are its children: count the whole tree, less the observer (counted on its own).
  const tree = pid !== undefined ? new ProcessTreeCpu(pid) : undefined;
  cpu.add('generator', () => tree?.read());
  let summary: GeneratorSummary | undefined;
  let endToEnd: SwarmSummary | undefined;
  let lastMap = '';
  jsonLines(child, (o) => {
    if (o.type === 'child' && o.role === 'observer') {
      observerPid = o.pid as number;
      tree?.exclude.add(observerPid);
      const observerCpu = new ProcessTreeCpu(observerPid);
      cpu.add('observer', () => observerCpu.read());
    } else if (o.type === 'swarm-second') {
      const s = o as unknown as SwarmSecond;
      lastMap = s.p99Ms !== undefined ? `  map p99 ${s.p99Ms} ms` : '';
    } else if (o.type === 'second') {
      const r = o as unknown as SecondReport;
      const lat = r.p50Ms !== undefined ? `  ack p50 ${r.p50Ms} p99 ${r.p99Ms} ms` : '';
      say(
        `[${phase} ${String(r.tS).padStart(3)} s] connected ${r.connected}  sent ${r.sentPerS}/s  ` +
          `acked ${r.ackedPerS}/s  in flight ${r.inflight}${lat}${lastMap}${extra()}`,
      );
    } else if (o.type === 'notice') {
      say(`[${phase}] generator: ${String(o.message)}`);
    } else if (o.type === 'summary') {
      const { endToEnd: e2e, ...rest } = o as unknown as GeneratorSummary & { endToEnd?: SwarmSummary };
      summary = rest;
      endToEnd = e2e;
    }
  });
  // The generator bounds itself; this only guards against a wedged child.
  const budgetMs = (options.rampUpS + options.durationS + options.drainTimeoutS) * 1000 + 90_000;
  const timer = setTimeout(() => child.kill('SIGKILL'), budgetMs);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  if (!summary) throw new Error(`the generator (${phase}) exited with status ${code} without a summary`);
  return { summary, ...(endToEnd ? { endToEnd } : {}), startedAtMs, endedAtMs: Date.now() };
}

// ───────────────────────────── (a) baseline: mosquitto ─────────────────────────────

interface CpuWindow {
  /** CPU cores used on average (CPU seconds / wall seconds). */
  cores?: number;
}

interface PhaseCpu {
  generator: CpuWindow;
  /** Fraction of all CPUs busy during the phase. */
  machineBusy?: number;
  /** Cores busy in interrupt handling (mostly loopback TCP), not billed to any process. */
  interruptCores?: number;
  /** Cores busy with processes this benchmark did not start or measure (other work on the machine). */
  otherCores?: number;
}

/**
 * Cumulative CPU seconds of named sources, sampled every second, so CPU use can be read over the generator's steady
 * window (not diluted by start-up and drain). The machine as a whole is sampled too.
 */
class CpuSampler {
  private readonly series = new Map<string, Sample[]>();
  private readonly sources = new Map<string, () => number | undefined>();
  private timer: NodeJS.Timeout | undefined;

  add(name: string, read: () => number | undefined): void {
    this.sources.set(name, read);
  }

  private push(name: string, atMs: number, value: number | undefined): void {
    if (value === undefined) return;
    const series = this.series.get(name) ?? [];
    series.push({ atMs, value });
    this.series.set(name, series);
  }

  sample(): void {
    const atMs = Date.now();
    for (const [name, read] of this.sources) this.push(name, atMs, read());
    const machine = readMachineCpu();
    if (machine) {
      this.push('machine.busy', atMs, machine.busy / CLOCK_TICKS_PER_S);
      this.push('machine.interrupts', atMs, machine.interrupts / CLOCK_TICKS_PER_S);
      this.push('machine.total', atMs, machine.total / CLOCK_TICKS_PER_S);
    }
  }

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), 1000);
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  /** Average cores used by `name` between two wall-clock times. */
  cores(name: string, fromMs: number, toMs: number): CpuWindow {
    const rate = rateBetween(this.series.get(name) ?? [], fromMs, toMs, 1000);
    // A process tree loses the CPU time of children that end, which can make its total step back a little.
    return rate === undefined ? {} : { cores: Math.round(Math.max(0, rate) * 100) / 100 };
  }

  /** Busy fraction of the machine, and the cores busy with anything not among `measured`. */
  machine(
    fromMs: number,
    toMs: number,
    measured: readonly string[],
  ): Pick<PhaseCpu, 'machineBusy' | 'interruptCores' | 'otherCores'> {
    const rate = (name: string) => rateBetween(this.series.get(name) ?? [], fromMs, toMs, 1000);
    const busy = rate('machine.busy');
    const total = rate('machine.total');
    const interrupts = rate('machine.interrupts') ?? 0;
    if (busy === undefined || !total) return {};
    const ours = measured.reduce((sum, name) => sum + (this.cores(name, fromMs, toMs).cores ?? 0), 0);
    const r2 = (x: number) => Math.round(Math.max(0, x) * 100) / 100;
    return { machineBusy: r2(busy / total), interruptCores: r2(interrupts), otherCores: r2(busy - ours - interrupts) };
  }
}

/**
 * Where CPU is read: the generator's steady window, or the whole send phase when there was no steady second (devices
 * still connecting at the end, on a loaded box), rather than no figure at all.
 */
function cpuWindow(g: GeneratorSummary): { from: number; to: number } {
  return g.sendEndMs - g.steadyFromMs >= 1000
    ? { from: g.steadyFromMs, to: g.sendEndMs }
    : { from: g.sendStartMs, to: g.sendEndMs };
}

const runnerCpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

interface BaselineResult {
  broker: string;
  generator: GeneratorSummary;
  subscriber: {
    received: number;
    deliveryLatency: unknown;
    /** Messages delivered to the subscriber per second in the generator's steady window. */
    steadyDeliveredPerS?: number;
    /** The same in positions (× --batch): what (b) is compared with. */
    steadyDeliveredPositionsPerS?: number;
    /** All delivered / (last delivery − first send). */
    overallDeliveredPerS?: number;
  };
  cpu: PhaseCpu & { broker: CpuWindow; subscriber: CpuWindow };
  brokerPeakRssMb?: number;
}

function mosquittoVersion(bin: string): string {
  try {
    return execFileSync(bin, ['-h'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
      .split('\n')[0]!
      .trim();
  } catch (err) {
    // `mosquitto -h` exits with status 3 after printing its usage.
    const out = String((err as { stdout?: unknown }).stdout ?? '');
    return out.split('\n')[0]?.trim() || 'mosquitto';
  }
}

async function runBaseline(args: BenchArgs, tmp: string): Promise<BaselineResult> {
  if (!existsSync(args.mosquitto)) throw new Error(`${args.mosquitto} not found (apt-get install mosquitto)`);
  const port = await freePort();
  const conf = path.join(tmp, 'mosquitto.conf');
  // max_queued_messages: the subscriber may fall behind the publishers; queue rather than drop (QoS 1).
  // max_inflight_messages: QoS 1 deliveries to the subscriber awaiting its PUBACK (default 20 would pace it on RTT).
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      'max_queued_messages 2000000',
      'max_inflight_messages 1000',
      'set_tcp_nodelay true',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      '',
    ].join('\n'),
  );
  const broker = mosquittoVersion(args.mosquitto);
  const mosquitto = track(spawn(args.mosquitto, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] }));
  let mosquittoLog = '';
  mosquitto.stderr!.on('data', (d: Buffer) => {
    mosquittoLog = (mosquittoLog + d.toString()).slice(-4000);
  });
  try {
    await waitForTcp(port, 10_000, mosquitto).catch((err: Error) => {
      throw new Error(`mosquitto did not start: ${err.message}\n${mosquittoLog}`);
    });
    const url = `mqtt://127.0.0.1:${port}`;
    const subscription = subscriptionFor(args.load.topicTemplate);
    say(`[a] ${broker} on ${url}, subscriber on ${subscription} (QoS 1)`);

    const maxS = Math.ceil(args.load.rampUpS + args.load.durationS + args.load.drainTimeoutS + 120);
    const subscriber = track(
      spawn(
        process.execPath,
        [
          ...siblingCommand('counting-subscriber'),
          ...['--url', url, '--topic', subscription, '--qos', '1', '--max-s', String(maxS)],
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      ),
    );
    const received: Sample[] = [];
    let lastPerS = 0;
    let subscriberSummary: Record<string, unknown> | undefined;
    const ready = new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('the subscriber did not subscribe within 15 s')), 15_000);
      jsonLines(subscriber, (o) => {
        if (o.type === 'ready') {
          clearTimeout(t);
          resolve();
        } else if (o.type === 'second') {
          received.push({ atMs: o.atMs as number, value: o.received as number });
          lastPerS = o.perS as number;
        } else if (o.type === 'summary') {
          subscriberSummary = o;
        }
      });
      subscriber.once('exit', () => reject(new Error('the subscriber exited before subscribing')));
    });
    await ready;
    received.push({ atMs: Date.now(), value: 0 });

    const cpu = new CpuSampler();
    cpu.add('broker', () => readCpuSeconds(mosquitto.pid!));
    cpu.add('subscriber', () => readCpuSeconds(subscriber.pid!));
    cpu.add('runner', runnerCpuSeconds);
    cpu.start();
    let run: GeneratorRun;
    try {
      run = await runGeneratorChild('a mosquitto', { ...args.load, url }, () => `  | delivered ${lastPerS}/s`, cpu, {
        processes: args.generatorProcesses,
        observers: 0,
      });
    } finally {
      cpu.stop();
    }
    const brokerMemory = readMemory(mosquitto.pid!);

    // Let the subscriber catch up with what the broker accepted (bounded), then collect its summary.
    const accepted = run.summary.messages.acked;
    const catchUpDeadline = Date.now() + 30_000;
    let lastCount = -1;
    let stalledSince = Date.now();
    while (Date.now() < catchUpDeadline) {
      const count = received[received.length - 1]!.value;
      if (count >= accepted) break;
      if (count !== lastCount) {
        lastCount = count;
        stalledSince = Date.now();
      } else if (Date.now() - stalledSince > 3000) {
        break;
      }
      await delay(250);
    }
    await stopChild(subscriber, 5000);
    const summary = subscriberSummary ?? {};
    const total = (summary.received as number | undefined) ?? received[received.length - 1]!.value;
    const lastAt = summary.lastAtMs as number | null | undefined;
    if (typeof summary.atMs === 'number') received.push({ atMs: summary.atMs, value: total });

    const { from, to } = cpuWindow(run.summary);
    const steady = rateBetween(received, run.summary.steadyFromMs, run.summary.sendEndMs, 1000);
    return {
      broker,
      generator: run.summary,
      subscriber: {
        received: total,
        deliveryLatency: summary.deliveryLatency,
        ...(steady !== undefined && run.summary.messages.sent > 0
          ? {
              steadyDeliveredPerS: Math.round(steady),
              steadyDeliveredPositionsPerS: Math.round(steady * args.load.batch),
            }
          : {}),
        ...(lastAt
          ? { overallDeliveredPerS: Math.round((total * 1000) / Math.max(1, lastAt - run.summary.sendStartMs)) }
          : {}),
      },
      cpu: {
        broker: cpu.cores('broker', from, to),
        subscriber: cpu.cores('subscriber', from, to),
        generator: cpu.cores('generator', from, to),
        ...cpu.machine(from, to, ['broker', 'subscriber', 'generator', 'runner']),
      },
      ...(brokerMemory ? { brokerPeakRssMb: Math.round(brokerMemory.peakRssBytes / 2 ** 20) } : {}),
    };
  } finally {
    await stopChild(mosquitto, 5000);
  }
}

// ───────────────────────────── (b) the hub ─────────────────────────────

interface StartedHub {
  child: ChildProcess;
  mqttUrl: string;
  httpUrl: string;
  adminToken: string;
  logFile: string;
  dataDir: string;
}

async function startHub(args: BenchArgs, logDir: string, stamp: string): Promise<StartedHub> {
  return spawnHub({
    entry: args.hubEntry,
    databaseUrl: args.databaseUrl!,
    adminToken: args.adminToken ?? randomBytes(24).toString('base64url'),
    dataPrefix: 'bench-hub-data-',
    logFile: path.join(logDir, `bench-hub-${stamp}.log`),
    env: args.hubEnv,
    say,
    label: `[b] starting the hub (${path.relative(process.cwd(), args.hubEntry)})`,
  });
}

interface HubResult {
  mode: 'spawned' | 'external';
  /** --hub-env given to the spawned hub. */
  env?: Record<string, string>;
  hubLog?: string;
  credentialsFile?: string;
  generator: GeneratorSummary;
  committed?: {
    rowsBefore: number;
    rowsAfter: number;
    /** Rows this run added. */
    rows: number;
    /** Committed rows per second in the generator's steady window, from the periodic counts. */
    steadyPerS?: number;
    /** rows / (last ack − first send). */
    overallPerS: number;
    /** Most acknowledged (not refused) positions missing from the database at a count; ~0 if acks follow commits. */
    ackLeadRows: number;
    /** Seconds into the run when that was. */
    ackLeadAtS?: number;
    /** Fix time → start of the inserting transaction (received_at), for this run's rows. */
    insertDelayMs?: { p50Ms: number; p99Ms: number; maxMs: number };
    /** [ms since the send start, rows] of each count. */
    samples: [number, number][];
  };
  /** What the throughput figure of (b) is: database rows, or PUBACKs (the hub acks only after commit). */
  throughputSource: 'database rows' | 'PUBACKs';
  steadyCommittedPerS?: number;
  rss?: { peakMb: number; finalMb: number; beforeLoadMb: number };
  cpu: PhaseCpu & { hub: CpuWindow; postgres: CpuWindow; observer?: CpuWindow };
  /** Publish → map delta, measured by socket.io observers on /live (--live-clients). */
  endToEnd?: SwarmSummary;
  /** How the hub answered /healthz and the API while loaded, and whether its process was still running at the end. */
  availability?: Availability & { apiPath: string; hubAliveAtEnd: boolean | null };
  /** The hub's own counters (/metrics) over the run: refusals by reason and QoS 0 shed. */
  hubCounters?: { rejectedByReason: Record<string, number>; qos0Shed: number };
  /** Second by second: offered, acked, committed, refused, RSS, probes. */
  timeline: TimelineRow[];
  /** --stall-db: when the positions table was locked and released (seconds after the generator started). */
  stall?: { atS: number; forS: number; lockedAtS?: number; releasedAtS?: number; error?: string };
}

/**
 * A database that stops taking writes (--stall-db): the positions table locked by another session, then released.
 * Every step bounded; the lock goes with the session if anything fails.
 */
function scheduleDbStall(databaseUrl: string, stall: { atS: number; forS: number }, startMs: number) {
  const result: NonNullable<HubResult['stall']> = { ...stall };
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'bench-ingest stall' });
  const sinceStart = () => Math.round((Date.now() - startMs) / 100) / 10;
  let release: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    const timer = setTimeout(async () => {
      try {
        await client.connect();
        await client.query('BEGIN');
        await client.query('LOCK TABLE positions IN ACCESS EXCLUSIVE MODE');
        result.lockedAtS = sinceStart();
        say(`[b] database stall: positions locked at ${result.lockedAtS} s, for ${stall.forS} s`);
        await new Promise<void>((r) => {
          const hold = setTimeout(r, stall.forS * 1000);
          release = () => {
            clearTimeout(hold);
            r();
          };
        });
        await client.query('COMMIT');
        result.releasedAtS = sinceStart();
        say(`[b] database stall: released at ${result.releasedAtS} s`);
      } catch (err) {
        result.error = (err as Error).message;
        say(`[b] database stall failed: ${result.error}`);
      } finally {
        await client.end().catch(() => undefined);
        resolve();
      }
    }, stall.atS * 1000);
    release = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  return {
    result,
    /** Ends the stall now if it is still on (the run ended first), and waits for its session to close. */
    stop: async () => {
      release();
      await done;
    },
  };
}

/** The hub's refusal and shed counters from its /metrics (undefined if it does not answer). */
async function readHubCounters(
  httpUrl: string,
): Promise<{ rejected: Record<string, number>; shed: number } | undefined> {
  try {
    const response = await fetch(new URL('/metrics', httpUrl), { signal: AbortSignal.timeout(5000) });
    if (!response.ok) return undefined;
    const samples = parsePrometheus(await response.text());
    const rejected: Record<string, number> = {};
    let shed = 0;
    for (const m of samples) {
      if (m.name === 'cityhub_messages_rejected_total') rejected[m.labels.reason ?? '?'] = m.value;
      if (m.name === 'cityhub_qos0_shed_total') shed += m.value;
    }
    return { rejected, shed };
  } catch {
    return undefined;
  }
}

/** One timed GET: status (0 when it failed or timed out) and milliseconds. */
async function timedGet(url: URL, headers: Record<string, string> = {}): Promise<{ status: number; ms?: number }> {
  const t = performance.now();
  try {
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(5000) });
    await response.arrayBuffer();
    return { status: response.status, ms: Math.round((performance.now() - t) * 10) / 10 };
  } catch {
    return { status: 0 };
  }
}

class RowCounter {
  private readonly client: pg.Client;
  private readonly sinceIso: string;
  constructor(
    databaseUrl: string,
    private readonly prefix: string,
    since: Date,
  ) {
    this.client = new pg.Client({ connectionString: databaseUrl, application_name: 'bench-ingest' });
    this.sinceIso = since.toISOString();
  }
  async connect(): Promise<void> {
    await this.client.connect();
  }
  /** Rows of bench devices stamped since the start of this phase. */
  async count(): Promise<number> {
    const { rows } = await this.client.query<{ n: string }>(
      'SELECT count(*) AS n FROM positions WHERE time >= $1 AND starts_with(device_id, $2)',
      [this.sinceIso, this.prefix],
    );
    return Number(rows[0]!.n);
  }
  /**
   * Milliseconds from a fix's time (≈ its publish) to the start of the transaction that inserted it (`received_at`
   * defaults to now()). With acks after commit, this stays within the ack latency. Undefined if the schema differs.
   */
  async insertDelay(): Promise<{ p50Ms: number; p99Ms: number; maxMs: number } | undefined> {
    try {
      const { rows } = await this.client.query<{ p50: number; p99: number; max: number }>(
        `SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY d) AS p50, percentile_disc(0.99) WITHIN GROUP (ORDER BY d) AS p99,
                max(d) AS max
           FROM (SELECT extract(epoch FROM received_at - time) * 1000 AS d
                   FROM positions WHERE time >= $1 AND starts_with(device_id, $2)) s`,
        [this.sinceIso, this.prefix],
      );
      const r = rows[0];
      if (!r || r.max === null) return undefined;
      const ms = (x: number) => Math.round(Number(x));
      return { p50Ms: ms(r.p50), p99Ms: ms(r.p99), maxMs: ms(r.max) };
    } catch {
      return undefined;
    }
  }

  /** The PostgreSQL server's main process, if it runs on this machine (parent of our backend). */
  async postmasterPid(): Promise<number | undefined> {
    try {
      const { rows } = await this.client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      return readParentPid(rows[0]!.pid);
    } catch {
      return undefined;
    }
  }
  end(): Promise<void> {
    return this.client.end();
  }
}

async function runHub(args: BenchArgs, outDir: string, stamp: string): Promise<HubResult> {
  let started: StartedHub | undefined;
  let counter: RowCounter | undefined;
  try {
    if (args.startHub) started = await startHub(args, outDir, stamp);
    const mqttUrl = started?.mqttUrl ?? args.hubMqttUrl!;
    const httpUrl = started?.httpUrl ?? args.hubHttpUrl;
    const hubPid = started?.child.pid ?? args.hubPid;
    if (httpUrl && !started) await waitForHealth(httpUrl, 10_000);

    let load: GeneratorOptions = { ...args.load, url: mqttUrl };
    let credentialsFile = args.load.credentialsFile;
    if (args.provision !== undefined) {
      const ids = benchDeviceIds(args.load.idPrefix, args.load.idStart, args.provision);
      say(`[b] provisioning ${ids.length} devices ${ids[0]}… through POST ${httpUrl}/api/devices/import`);
      const prefix = args.load.idPrefix;
      const kindOf = (id: string) => kindOfDevice(args.load.profile, Number(id.slice(prefix.length)));
      const credentials = await provisionDevices(httpUrl!, started?.adminToken ?? args.adminToken!, ids, 1000, kindOf);
      credentialsFile ??= path.join(outDir, `bench-credentials-${stamp}.json`);
      writeFileSync(credentialsFile, JSON.stringify(Object.fromEntries(credentials), null, 1) + '\n', {
        mode: 0o600,
      });
      say(`[b] wrote ${credentials.size} credentials to ${credentialsFile}`);
      load = { ...load, credentialsFile };
    }

    // A little before the start: batch payloads carry fixes from just before their publish.
    const since = new Date(Date.now() - 5000);
    const counts: Sample[] = [];
    if (args.databaseUrl) {
      counter = new RowCounter(args.databaseUrl, args.load.idPrefix, since);
      await counter.connect();
    }
    const rowsBefore = counter ? await counter.count() : 0;
    let lastRows = rowsBefore;
    let polling = false;
    const poll = async () => {
      if (!counter || polling) return;
      polling = true;
      const atMs = Date.now();
      try {
        lastRows = await counter.count();
        counts.push({ atMs, value: lastRows });
      } catch (err) {
        say(`[b] counting rows failed: ${(err as Error).message}`);
      } finally {
        polling = false;
      }
    };
    await poll();

    const memory = { peak: 0, last: 0, before: 0 };
    const sampleMemory = () => {
      if (hubPid === undefined) return;
      const m = readMemory(hubPid);
      if (!m) return;
      memory.last = m.rssBytes;
      memory.peak = Math.max(memory.peak, m.rssBytes, m.peakRssBytes);
    };
    sampleMemory();
    memory.before = memory.last;
    const rssSeries: Sample[] = [];
    const memoryTimer = setInterval(() => {
      sampleMemory();
      if (memory.last > 0) rssSeries.push({ atMs: Date.now(), value: memory.last });
    }, 500);
    const pollTimer = args.dbPollMs > 0 ? setInterval(() => void poll(), args.dbPollMs) : undefined;

    // Is the hub still serving while loaded? /healthz and one API call every second (a probe never overlaps itself).
    const adminToken = started?.adminToken ?? args.adminToken;
    const apiPath = adminToken ? '/api/devices?limit=1' : '/api/map/config';
    const apiHeaders: Record<string, string> = adminToken ? { authorization: `Bearer ${adminToken}` } : {};
    const probes: Probe[] = [];
    let probing = false;
    const probe = async () => {
      if (!httpUrl || probing) return;
      probing = true;
      const atMs = Date.now();
      const [health, api] = await Promise.all([
        timedGet(new URL('/healthz', httpUrl)),
        timedGet(new URL(apiPath, httpUrl), apiHeaders),
      ]);
      probes.push({
        atMs,
        healthStatus: health.status,
        ...(health.ms !== undefined ? { healthMs: health.ms } : {}),
        apiStatus: api.status,
        ...(api.ms !== undefined ? { apiMs: api.ms } : {}),
      });
      probing = false;
    };
    const probeTimer = httpUrl ? setInterval(() => void probe(), 1000) : undefined;
    const countersBefore = httpUrl ? await readHubCounters(httpUrl) : undefined;

    // The database server's own processes (postmaster and children), found through our connection's backend.
    const postmasterPid = counter ? await counter.postmasterPid() : undefined;
    const postgresCpu = () => (postmasterPid !== undefined ? cpuSecondsOfProcessTree(postmasterPid) : undefined);
    const cpu = new CpuSampler();
    if (hubPid !== undefined) cpu.add('hub', () => readCpuSeconds(hubPid));
    if (postmasterPid !== undefined) cpu.add('postgres', postgresCpu);
    cpu.add('runner', runnerCpuSeconds);
    cpu.start();
    const extra = () =>
      (counter ? `  | rows +${lastRows - rowsBefore}` : '') +
      (hubPid !== undefined ? `  hub RSS ${Math.round(memory.last / 2 ** 20)} MB` : '');
    const stall = args.stallDb ? scheduleDbStall(args.databaseUrl!, args.stallDb, Date.now()) : undefined;
    let run: GeneratorRun;
    try {
      run = await runGeneratorChild('b hub', load, extra, cpu, {
        processes: args.generatorProcesses,
        ...(args.liveClients > 0 && httpUrl ? { observeUrl: httpUrl } : {}),
        observers: args.liveClients,
      });
    } finally {
      await stall?.stop();
      clearInterval(memoryTimer);
      if (pollTimer) clearInterval(pollTimer);
      if (probeTimer) clearInterval(probeTimer);
      cpu.stop();
    }
    sampleMemory();
    while (probing) await delay(20);
    const countersAfter = httpUrl ? await readHubCounters(httpUrl) : undefined;
    const hubAliveAtEnd = started
      ? !exited(started.child)
      : hubPid !== undefined
        ? readMemory(hubPid) !== undefined
        : null;

    // Rows still being written (publishes that were not acked before the drain ended): wait until the count settles.
    let committed: HubResult['committed'];
    if (counter) {
      while (polling) await delay(20);
      const settleDeadline = Date.now() + 15_000;
      let prev = -1;
      while (Date.now() < settleDeadline) {
        await poll();
        if (lastRows === prev) break;
        prev = lastRows;
        await delay(500);
      }
      const rows = lastRows - rowsBefore;
      const spanMs = Math.max(1, Math.max(run.summary.lastAckMs, run.summary.sendEndMs) - run.summary.sendStartMs);
      const steady = rateBetween(counts, run.summary.steadyFromMs, run.summary.sendEndMs, 1000);
      const ackedPositions = [
        { atMs: run.summary.sendStartMs, value: 0 },
        ...run.summary.seconds.map((r) => ({
          atMs: r.atMs,
          value:
            r.positionsAcked !== undefined
              ? r.positionsAcked - (r.positionsRejected ?? 0)
              : (r.acked - r.rejected) * load.batch,
        })),
      ];
      const lead = ackLead(
        ackedPositions,
        counts.map((c) => ({ atMs: c.atMs, value: c.value - rowsBefore })),
      );
      const insertDelay = await counter.insertDelay();
      committed = {
        rowsBefore,
        rowsAfter: lastRows,
        rows,
        ...(steady !== undefined ? { steadyPerS: Math.round(steady) } : {}),
        overallPerS: Math.round((rows * 1000) / spanMs),
        ackLeadRows: lead.rows,
        ...(lead.atMs !== undefined ? { ackLeadAtS: Math.round((lead.atMs - run.summary.sendStartMs) / 1000) } : {}),
        ...(insertDelay ? { insertDelayMs: insertDelay } : {}),
        samples: counts.map((c) => [c.atMs - run.summary.sendStartMs, c.value - rowsBefore]),
      };
    }
    const ackSteady = run.summary.rates.steadyAckedPerS;
    const throughputSource = committed?.steadyPerS !== undefined ? 'database rows' : 'PUBACKs';
    // Nothing sent (every connection refused …): there is no throughput to speak of, rather than a throughput of 0.
    const steadyCommittedPerS =
      run.summary.messages.sent === 0
        ? undefined
        : (committed?.steadyPerS ?? (load.qos === 1 && ackSteady !== undefined ? ackSteady * load.batch : undefined));
    const { from, to } = cpuWindow(run.summary);
    const mb = (b: number) => Math.round(b / 2 ** 20);
    return {
      mode: started ? 'spawned' : 'external',
      ...(started && Object.keys(args.hubEnv).length > 0 ? { env: args.hubEnv } : {}),
      ...(started ? { hubLog: started.logFile } : {}),
      ...(credentialsFile ? { credentialsFile } : {}),
      generator: run.summary,
      ...(committed ? { committed } : {}),
      throughputSource,
      ...(steadyCommittedPerS !== undefined ? { steadyCommittedPerS: Math.round(steadyCommittedPerS) } : {}),
      ...(hubPid !== undefined && memory.peak > 0
        ? { rss: { peakMb: mb(memory.peak), finalMb: mb(memory.last), beforeLoadMb: mb(memory.before) } }
        : {}),
      ...(run.endToEnd ? { endToEnd: run.endToEnd } : {}),
      ...(httpUrl ? { availability: { ...availability(probes), apiPath, hubAliveAtEnd } } : {}),
      ...(countersBefore && countersAfter
        ? {
            hubCounters: {
              rejectedByReason: Object.fromEntries(
                Object.entries(countersAfter.rejected)
                  .map(([k, v]) => [k, v - (countersBefore.rejected[k] ?? 0)] as const)
                  .filter(([, v]) => v > 0),
              ),
              qos0Shed: countersAfter.shed - countersBefore.shed,
            },
          }
        : {}),
      ...(stall ? { stall: stall.result } : {}),
      timeline: buildTimeline({
        seconds: run.summary.seconds,
        rows: counts.map((c) => ({ atMs: c.atMs, value: c.value - rowsBefore })),
        rss: rssSeries,
        probes,
        ...(run.endToEnd ? { mapP99: run.endToEnd.seconds } : {}),
      }),
      cpu: {
        hub: cpu.cores('hub', from, to),
        postgres: cpu.cores('postgres', from, to),
        generator: cpu.cores('generator', from, to),
        ...(run.endToEnd ? { observer: cpu.cores('observer', from, to) } : {}),
        ...cpu.machine(from, to, ['hub', 'postgres', 'generator', 'observer', 'runner']),
      },
    };
  } finally {
    await counter?.end().catch(() => undefined);
    if (started) {
      await stopChild(started.child, 15_000);
      rmSync(started.dataDir, { recursive: true, force: true });
    }
  }
}

// ───────────────────────────── report ─────────────────────────────

const fmt = (n: number | undefined, digits = 0): string =>
  n === undefined || !Number.isFinite(n)
    ? '–'
    : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function latencyCell(g: GeneratorSummary | undefined): string {
  const l = g?.steadyLatency.count ? g.steadyLatency : g?.latency;
  if (!l || l.count === 0) return '–';
  return `${fmt(l.p50Ms, 1)} / ${fmt(l.p90Ms, 1)} / ${fmt(l.p99Ms, 1)} / ${fmt(l.maxMs, 0)} ms`;
}

interface TargetCheck {
  target: string;
  measured: string;
  verdict: 'met' | 'not met' | 'not measured';
  note?: string;
}

function checkTargets(load: GeneratorOptions, baseline?: BaselineResult, hub?: HubResult): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const committed = hub?.steadyCommittedPerS;
  checks.push({
    target: `≥ ${fmt(TARGETS.committedPerS)} positions/s committed`,
    measured: committed !== undefined ? `${fmt(committed)}/s (${hub!.throughputSource})` : '–',
    verdict: committed === undefined ? 'not measured' : committed >= TARGETS.committedPerS ? 'met' : 'not met',
  });
  const base = baseline?.subscriber.steadyDeliveredPositionsPerS;
  const ratio = committed !== undefined && base ? committed / base : undefined;
  checks.push({
    target: `ratio hub/mosquitto ≥ ${TARGETS.ratio}`,
    measured: ratio !== undefined ? fmt(ratio, 2) : '–',
    verdict: ratio === undefined ? 'not measured' : ratio >= TARGETS.ratio ? 'met' : 'not met',
  });
  const intervalMs = load.rate === 'max' ? undefined : perDeviceIntervalMs(load.rate, load.devices);
  const scenario =
    hub !== undefined &&
    hub.generator.devices.peakConnected >= TARGETS.rssDevices &&
    intervalMs !== undefined &&
    intervalMs <= TARGETS.rssIntervalMs + 1e-6;
  const rss = hub?.rss?.peakMb;
  checks.push({
    target: `hub RSS < ${TARGETS.rssMb} MB with ${fmt(TARGETS.rssDevices)} devices every ${TARGETS.rssIntervalMs / 1000} s`,
    measured: rss !== undefined ? `peak ${fmt(rss)} MB` : '–',
    verdict: !scenario || rss === undefined ? 'not measured' : rss < TARGETS.rssMb ? 'met' : 'not met',
    ...(scenario || rss === undefined
      ? {}
      : {
          note:
            `this run is not that scenario (${hub!.generator.devices.peakConnected} devices connected` +
            `${intervalMs !== undefined ? `, every ${fmt(intervalMs / 1000, 2)} s` : ', closed loop'})`,
        }),
  });
  return checks;
}

function humanReport(args: BenchArgs, baseline?: BaselineResult, hub?: HubResult, checks: TargetCheck[] = []): string {
  const load = args.load;
  const a = baseline?.generator;
  const b = hub?.generator;
  const rateText =
    load.rate === 'max'
      ? `closed loop, ≤ ${load.maxInflight} in flight per device`
      : `${fmt(load.rate)} msgs/s (every ${fmt(perDeviceIntervalMs(load.rate, load.devices), 0)} ms per device)`;
  const irqOf = (r: { cpu: PhaseCpu } | undefined): CpuWindow | undefined =>
    r?.cpu.interruptCores !== undefined ? { cores: r.cpu.interruptCores } : undefined;
  const otherOf = (r: { cpu: PhaseCpu } | undefined): CpuWindow | undefined =>
    r?.cpu.otherCores !== undefined ? { cores: r.cpu.otherCores } : undefined;
  const cores = (w: CpuWindow | undefined) => (w?.cores !== undefined ? fmt(w.cores, 2) : '–');
  const pct = (x: number | undefined) => (x !== undefined ? `${fmt(x * 100)} %` : '–');
  const msgs = (g: GeneratorSummary | undefined) =>
    g
      ? `${fmt(g.messages.sent)} / ${fmt(g.messages.acked)} / ` +
        fmt(g.messages.failed + g.messages.lostOnDisconnect + g.messages.unackedAtEnd)
      : '–';
  const base = baseline?.subscriber.steadyDeliveredPositionsPerS;
  const ratio = hub?.steadyCommittedPerS !== undefined && base ? hub.steadyCommittedPerS / base : undefined;
  const procs = (g: GeneratorSummary) => {
    const list = (g as Partial<FleetSummary>).processes;
    const steady = g.generator.steadyCpuCores;
    return `${list ? list.length : 1} (${steady !== undefined ? fmt(steady, 2) : fmt(g.generator.cpuCores, 2)})`;
  };
  const rows: string[][] = [
    ['', `(a) ${baseline?.broker ?? 'mosquitto'}`, '(b) hub', 'target'],
    [
      'positions/s, steady window',
      base !== undefined ? `${fmt(base)} delivered/s` : '–',
      hub?.steadyCommittedPerS !== undefined ? `${fmt(hub.steadyCommittedPerS)} committed/s` : '–',
      `≥ ${fmt(TARGETS.committedPerS)} committed/s`,
    ],
    ['messages acked/s, steady', fmt(a?.rates.steadyAckedPerS), fmt(b?.rates.steadyAckedPerS), ''],
    ['ratio (b)/(a)', '', ratio !== undefined ? fmt(ratio, 2) : '–', `≥ ${TARGETS.ratio}`],
    ['messages sent / acked / not acked', msgs(a), msgs(b), ''],
    [
      'positions delivered / committed',
      baseline ? fmt(baseline.subscriber.received * load.batch) : '–',
      hub?.committed ? fmt(hub.committed.rows) : '–',
      '',
    ],
    ['QoS 1 ack p50/p90/p99/max, steady', latencyCell(a), latencyCell(b), ''],
    [
      'fix → insert p50/p99/max, all rows',
      '',
      hub?.committed?.insertDelayMs
        ? `${fmt(hub.committed.insertDelayMs.p50Ms)} / ${fmt(hub.committed.insertDelayMs.p99Ms)} / ` +
          `${fmt(hub.committed.insertDelayMs.maxMs)} ms`
        : '–',
      '',
    ],
    ['acked ahead of rows (max)', '', hub?.committed ? fmt(hub.committed.ackLeadRows) : '–', '≈ 0'],
    [
      'devices connected (peak)',
      a ? `${a.devices.peakConnected}/${a.devices.requested}` : '–',
      b ? `${b.devices.peakConnected}/${b.devices.requested}` : '–',
      '',
    ],
    [
      'connect p50/p99',
      a ? `${fmt(a.devices.connectMs.p50Ms, 1)} / ${fmt(a.devices.connectMs.p99Ms, 1)} ms` : '–',
      b ? `${fmt(b.devices.connectMs.p50Ms, 1)} / ${fmt(b.devices.connectMs.p99Ms, 1)} ms` : '–',
      '',
    ],
    [
      'broker / hub RSS peak (final)',
      baseline?.brokerPeakRssMb !== undefined ? `${fmt(baseline.brokerPeakRssMb)} MB` : '–',
      hub?.rss ? `${fmt(hub.rss.peakMb)} MB (${fmt(hub.rss.finalMb)} MB)` : '–',
      `< ${TARGETS.rssMb} MB at ${fmt(TARGETS.rssDevices)} devices / ${TARGETS.rssIntervalMs / 1000} s`,
    ],
    ['CPU cores: broker / hub', cores(baseline?.cpu.broker), cores(hub?.cpu.hub), ''],
    ['CPU cores: subscriber / postgres', cores(baseline?.cpu.subscriber), cores(hub?.cpu.postgres), ''],
    ['CPU cores: generator', cores(baseline?.cpu.generator), cores(hub?.cpu.generator), ''],
    ['machine CPU busy', pct(baseline?.cpu.machineBusy), pct(hub?.cpu.machineBusy), ''],
    ['CPU cores: interrupts (loopback TCP)', cores(irqOf(baseline)), cores(irqOf(hub)), ''],
    ['CPU cores: other processes', cores(otherOf(baseline)), cores(otherOf(hub)), ''],
    [
      'generator event-loop delay p99',
      a ? `${fmt(a.generator.eventLoopDelayP99Ms, 1)} ms` : '–',
      b ? `${fmt(b.generator.eventLoopDelayP99Ms, 1)} ms` : '–',
      '',
    ],
    [
      'throttled / lag-skipped / refused',
      a ? `${fmt(a.messages.throttled)} / ${fmt(a.messages.lagSkipped)} / ${fmt(a.messages.rejected)}` : '–',
      b ? `${fmt(b.messages.throttled)} / ${fmt(b.messages.lagSkipped)} / ${fmt(b.messages.rejected)}` : '–',
      '',
    ],
    ['generator processes (steady CPU cores)', a ? `${procs(a)}` : '–', b ? `${procs(b)}` : '–', ''],
  ];
  const e2e = hub?.endToEnd;
  if (e2e) {
    rows.push([
      `publish → map delta p50/p99/max (${e2e.clients.connected} socket.io clients)`,
      '',
      e2e.latency.count
        ? `${fmt(e2e.latency.p50Ms, 0)} / ${fmt(e2e.latency.p99Ms, 0)} / ${fmt(e2e.latency.maxMs, 0)} ms`
        : 'no positions arrived',
      '',
    ]);
  }
  const stall = hub?.stall;
  if (stall) {
    const acked = b ? b.messages.acked - b.messages.rejected : undefined;
    rows.push([
      `database stall (positions locked ${stall.forS} s from ${stall.atS} s)`,
      '',
      stall.error
        ? `FAILED: ${stall.error}`
        : `locked ${fmt(stall.lockedAtS, 1)}–${fmt(stall.releasedAtS, 1)} s; hub ` +
          `${hub?.availability?.hubAliveAtEnd === false ? 'EXITED' : 'up'}; ` +
          `rows ${fmt(hub?.committed?.rows)} of ${fmt(acked)} acked messages`,
      'up, RSS bounded, every ack stored',
    ]);
  }
  if (hub?.hubCounters) {
    const r = hub.hubCounters.rejectedByReason;
    rows.push([
      'hub refusals by reason / QoS 0 shed (/metrics)',
      '',
      `${Object.keys(r).length ? JSON.stringify(r) : 'none'} / ${fmt(hub.hubCounters.qos0Shed)}`,
      '',
    ]);
  }
  const av = hub?.availability;
  if (av) {
    rows.push([
      'hub up at end; /healthz and API answered',
      '',
      `${av.hubAliveAtEnd === null ? '?' : av.hubAliveAtEnd ? 'up' : 'DOWN'}; ${fmt(av.probes - av.healthFailed)}/${fmt(av.probes)}` +
        ` and ${fmt(av.probes - av.apiFailed)}/${fmt(av.probes)} (API p99 ${fmt(av.apiP99Ms)} ms)`,
      'up; all answered',
    ]);
  }
  const lines = [
    '',
    `bench-ingest: ${load.devices} devices, QoS ${load.qos}, ${rateText}, ${load.durationS} s` +
      (load.batch > 1 ? `, ${load.batch} positions per message on ${load.topicTemplate}` : '') +
      (Object.keys(args.hubEnv).length ? `; hub env ${JSON.stringify(args.hubEnv)}` : '') +
      `${load.rampUpS ? ` after a ${load.rampUpS} s ramp-up` : ''}; ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'})`,
    '',
    table(rows),
    '',
    'Targets:',
    ...checks.map((c) => `  ${c.verdict.padEnd(12)} ${c.target}: ${c.measured}${c.note ? `; ${c.note}` : ''}`),
  ];
  const warnings: string[] = [];
  for (const [name, g] of [
    ['(a)', a],
    ['(b)', b],
  ] as const) {
    if (!g) continue;
    if (g.generator.cpuCores >= 0.9) {
      warnings.push(`${name}: the generator used ${fmt(g.generator.cpuCores, 2)} cores — it may be the bottleneck`);
    }
    if (g.messages.lagSkipped > 0) warnings.push(`${name}: the generator fell behind its schedule`);
    if (g.devices.dropped > 0) {
      warnings.push(
        `${name}: ${g.devices.dropped} connections were dropped by the broker during the run, with ` +
          `${fmt(g.messages.lostOnDisconnect)} messages in flight` +
          (name === '(b)' && hub?.hubLog ? ` (see ${hub.hubLog})` : ''),
      );
    }
    if (g.devices.connectFailed > 0) warnings.push(`${name}: ${g.devices.connectFailed} devices could not connect`);
    if (Object.keys(g.devices.refusedByCode).length > 0) {
      warnings.push(
        `${name}: connections refused ${JSON.stringify(g.devices.refusedByCode)}` +
          (name === '(b)' && !args.load.credentialsFile && args.provision === undefined
            ? ' — the hub wants device credentials: add --provision N (and --admin-token) or --credentials FILE'
            : ''),
      );
    }
    if (g.messages.rejected > 0) {
      warnings.push(
        `${name}: ${fmt(g.messages.rejected)} publishes acknowledged but refused: ` +
          JSON.stringify(g.messages.rejectedByReason) +
          (g.messages.rejectedByReason.rate_limited
            ? ' — the per-device rate limit: use more devices, the batch topic (--batch N) or, to measure capacity' +
              ' rather than policy, --hub-env DEVICE_RATE_PER_S=…'
            : ''),
      );
    }
  }
  for (const [name, r] of [
    ['(a)', baseline],
    ['(b)', hub],
  ] as const) {
    if (r?.cpu.otherCores !== undefined && r.cpu.otherCores >= 0.25) {
      warnings.push(
        `${name}: processes outside this benchmark kept ${fmt(r.cpu.otherCores, 2)} cores busy — the figures are disturbed`,
      );
    }
  }
  if (hub?.committed && b && load.qos === 1) {
    const c = hub.committed;
    const ackRate = b.rates.steadyAckedPerS ?? b.rates.ackedPerS;
    if (c.ackLeadRows > Math.max(100, 2 * ackRate * load.batch)) {
      warnings.push(
        `(b): DURABILITY — at ${c.ackLeadAtS ?? '?'} s, ${fmt(c.ackLeadRows)} acknowledged positions were not yet in the ` +
          `database (a hub that acks after commit stays near 0)`,
      );
    }
    const maxAck = b.latency.maxMs;
    if (c.insertDelayMs && maxAck !== undefined && c.insertDelayMs.maxMs > maxAck + 2000) {
      warnings.push(
        `(b): DURABILITY — rows were inserted up to ${fmt(c.insertDelayMs.maxMs / 1000, 1)} s after their fix ` +
          `(p50 ${fmt(c.insertDelayMs.p50Ms / 1000, 1)} s), yet every PUBACK came within ${fmt(maxAck / 1000, 1)} s`,
      );
    }
    const expected =
      b.positions.rejected !== undefined
        ? b.positions.acked - b.positions.rejected
        : (b.messages.acked - b.messages.rejected) * load.batch;
    if (hub.committed.rows < expected) {
      warnings.push(
        `(b): ${fmt(expected - hub.committed.rows)} acknowledged (and not refused) positions are not in the database ` +
          `(rows ${fmt(hub.committed.rows)}, expected ${fmt(expected)})`,
      );
    }
  }
  if (av && (av.healthFailed > 0 || av.apiFailed > 0 || av.hubAliveAtEnd === false)) {
    warnings.push(
      `(b): the hub did not answer every probe while loaded: /healthz failed ${av.healthFailed}×, the API ` +
        `(${av.apiPath}) ${av.apiFailed}×; longest outage ${fmt(av.longestOutageMs / 1000, 1)} s` +
        (av.hubAliveAtEnd === false ? '; the hub process had EXITED by the end' : ''),
    );
  }
  if (warnings.length) lines.push('', 'Notes:', ...warnings.map((w) => `  - ${w}`));
  if (hub?.timeline.length) lines.push('', 'Timeline of (b):', timelineTable(hub.timeline));
  return lines.join('\n') + '\n';
}

/** The per-second timeline as a table of at most 30 rows. */
function timelineTable(timeline: readonly TimelineRow[]): string {
  const cell = (x: number | undefined, digits = 0) => (x === undefined ? '–' : fmt(x, digits));
  const probe = (ok: boolean | undefined, ms: number | undefined) =>
    ok === undefined ? '–' : ok ? `${cell(ms)} ms` : 'FAILED';
  const rows = [
    [
      't s',
      'scheduled/s',
      'sent/s',
      'acked/s',
      'committed/s',
      'refused',
      'ack p99',
      'RSS MB',
      'healthz',
      'API',
      'map p99',
    ],
    ...thin(timeline, 30).map((r) => [
      String(r.tS),
      cell(r.scheduledPerS),
      cell(r.sentPerS),
      cell(r.ackedPerS),
      cell(r.committedPerS),
      cell(r.refused),
      r.ackP99Ms !== undefined ? `${cell(r.ackP99Ms)} ms` : '–',
      cell(r.rssMb),
      probe(r.healthOk, r.healthMs),
      probe(r.apiOk, r.apiMs),
      r.mapP99Ms !== undefined ? `${cell(r.mapP99Ms)} ms` : '–',
    ]),
  ];
  return table(rows)
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

function resultPath(out: string, stamp: string): string {
  if (out.endsWith('.json')) {
    mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
    return out;
  }
  mkdirSync(out, { recursive: true });
  return path.join(out, `bench-ingest-${stamp}.json`);
}

// ───────────────────────────── main ─────────────────────────────

async function main(): Promise<number> {
  const args = readCommandLine(() => parseBenchArgs(process.argv.slice(2), process.env), USAGE);
  if (typeof args === 'number') return args;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = resultPath(args.out, stamp);
  const outDir = path.dirname(file);
  if (!statSync(outDir).isDirectory()) throw new UsageError(`${outDir} is not a directory`);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bench-ingest-'));
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (interrupted) process.exit(130);
      interrupted = true;
      say(`${signal}: stopping the processes this run started`);
      void stopAllChildren().then(() => {
        rmSync(tmp, { recursive: true, force: true });
        process.exit(130);
      });
    });
  }

  const startedAt = new Date().toISOString();
  let baseline: BaselineResult | undefined;
  let hub: HubResult | undefined;
  const failures: string[] = [];
  try {
    if (!args.skipBaseline) {
      try {
        baseline = await runBaseline(args, tmp);
      } catch (err) {
        failures.push(`baseline: ${(err as Error).message}`);
        say(`[a] failed: ${(err as Error).message}`);
      }
      if (args.startHub || args.hubMqttUrl) await delay(2000); // let sockets in TIME_WAIT and caches settle
    }
    if (args.startHub || args.hubMqttUrl) {
      try {
        hub = await runHub(args, outDir, stamp);
      } catch (err) {
        const message = err instanceof ProvisioningError ? `provisioning: ${err.message}` : (err as Error).message;
        failures.push(`hub: ${message}`);
        say(`[b] failed: ${message}`);
      }
    }
  } finally {
    await stopAllChildren();
    rmSync(tmp, { recursive: true, force: true });
  }

  const checks = checkTargets(args.load, baseline, hub);
  process.stdout.write(humanReport(args, baseline, hub, checks));
  const base = baseline?.subscriber.steadyDeliveredPositionsPerS;
  const { credentialsFile: _omit, ...load } = args.load;
  const result = {
    tool: 'loadtests/bench-ingest.ts',
    version: 1,
    ...(args.label ? { label: args.label } : {}),
    startedAt,
    endedAt: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memoryMb: Math.round(os.totalmem() / 2 ** 20),
      kernel: os.release(),
      node: process.version,
    },
    load: { ...load, credentials: args.load.credentialsFile !== undefined || args.provision !== undefined },
    baseline,
    hub,
    ratio:
      hub?.steadyCommittedPerS !== undefined && base
        ? Math.round((hub.steadyCommittedPerS / base) * 1000) / 1000
        : null,
    targets: checks,
    failures,
  };
  writeFileSync(file, JSON.stringify(result, null, 1) + '\n');
  process.stdout.write(`\nresult: ${file}\n`);
  if (failures.length) {
    process.stdout.write(`failures:\n${failures.map((f) => `  - ${f}`).join('\n')}\n`);
    return 1;
  }
  return 0;
}

process.exitCode = await main();
