// JT/T 808 ingest benchmark (JT/T 808 接入性能基准): provisions K vehicle terminals through the hub's admin API, runs
// loadtests/jt808-load.ts against the hub's JT/T 808 gateway (closed loop, a window of unanswered 0x0200 reports per
// terminal), and prints positions/s committed (rows counted in the database), 0x8001 reply latency, hub RSS and CPU,
// against the target.
//
//   node --import tsx loadtests/bench-jt808.ts --help
//
// Talks TCP (JT/T 808), HTTP and (to count rows) PostgreSQL like any client; never imports hub or ingest pipeline code.
// All traffic goes to 127.0.0.1. Every phase is bounded in time; processes it started are stopped on the way out.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { optionString, parseHubEnv, parseOptions, readCommandLine, RUNNER_HUB_ENV } from './cli.js';
import { UsageError, assertLoopbackUrl, rateBetween, type Sample } from './generator-core.js';
import type { Jt808LoadSummary, Jt808SecondReport } from './jt808-load.js';
import {
  CLOCK_TICKS_PER_S,
  cpuSecondsOfProcessTree,
  readCpuSeconds,
  readMachineCpu,
  readMemory,
  readParentPid,
} from './procfs.js';
import { ProvisioningError, parseImportResponse } from './provision.js';
import { delay, repoRoot, spawnHub, stopAllChildren, stopChild, track, waitForHealth } from './processes.js';

export const TARGET_POSITIONS_PER_S = 10_000;

const USAGE = `Usage: node --import tsx loadtests/bench-jt808.ts [options]

Provisions --terminals JT/T 808 terminals (devices with attributes.jt808Phone) through POST /api/devices/import, runs
loadtests/jt808-load.ts (a child process) against the hub's JT/T 808 gateway and prints committed positions/s
(database rows), 0x8001 reply p50/p99, hub RSS and CPU, against the target of >= ${TARGET_POSITIONS_PER_S.toLocaleString('en-US')} positions/s.

Hub:
      --start-hub               spawn node dist/hub/main.js on free ports (HTTP_PORT, MQTT_PORT, JT808_PORT, DATA_DIR,
                                ADMIN_TOKEN, LOG_LEVEL=warn, DEVICE_RATE_PER_S=10000, DEVICE_RATE_BURST=100000)
      --database-url <url>      the hub's database, also used to count rows (required). For real numbers, the
                                TimescaleDB test cluster: TEST_DB_DIR=/tmp/bench-jt808-db bash scripts/test-db.sh start
      --hub-entry <file>        (default dist/hub/main.js; build it: npm run build:server)
      --hub-env NAME=value      extra environment for --start-hub, repeatable (e.g. INGEST_WRITERS=2)
      --jt808-port <port>       a running hub's gateway (instead of --start-hub), with --hub-http-url, --admin-token
      --hub-http-url <url>      a running hub's HTTP API, http://127.0.0.1:PORT
      --hub-pid <pid>           a running hub's process id, for RSS and CPU
      --admin-token <token>     (or env ADMIN_TOKEN); --start-hub makes one up

Load:
      --terminals <n>           (default 500)
      --window <n>              unanswered reports per terminal (default 8)
      --duration <s>            send phase (default 20)
      --back-hours <h>          fix clocks start this far in the past (default 6)
      --run-tag <digits>        6 digits naming this run's devices jt808b-<tag>-NNNNN, phones 1<tag>NNNNN
                                (default random, so runs never collide with devices already provisioned)
      --db-poll <ms>            count rows every <ms> (default 1000)

Output:
      --out <dir|file.json>     (default /tmp)
      --label <text>
  -h, --help

Example:
  npm run build:server
  DB=$(TEST_DB_DIR=/tmp/bench-jt808-db bash scripts/test-db.sh start)
  node --import tsx loadtests/bench-jt808.ts --start-hub --database-url "$DB" --terminals 500 --window 8 --duration 20
  TEST_DB_DIR=/tmp/bench-jt808-db bash scripts/test-db.sh stop
`;

interface Args {
  startHub: boolean;
  databaseUrl: string;
  hubEntry: string;
  hubEnv: Record<string, string>;
  jt808Port?: number;
  hubHttpUrl?: string;
  hubPid?: number;
  adminToken?: string;
  terminals: number;
  window: number;
  durationS: number;
  backHours: number;
  runTag: string;
  dbPollMs: number;
  out: string;
  label?: string;
}

function parse(argv: readonly string[], env: NodeJS.ProcessEnv): Args | 'help' {
  const values = parseOptions(argv, {
    'start-hub': { type: 'boolean' },
    'database-url': { type: 'string' },
    'hub-entry': { type: 'string' },
    'hub-env': { type: 'string', multiple: true },
    'jt808-port': { type: 'string' },
    'hub-http-url': { type: 'string' },
    'hub-pid': { type: 'string' },
    'admin-token': { type: 'string' },
    terminals: { type: 'string' },
    window: { type: 'string' },
    duration: { type: 'string' },
    'back-hours': { type: 'string' },
    'run-tag': { type: 'string' },
    'db-poll': { type: 'string' },
    out: { type: 'string' },
    label: { type: 'string' },
  });
  if (values === 'help') return 'help';
  const str = (k: string) => optionString(values, k);
  const num = (k: string, def: number | undefined, min: number, max: number): number | undefined => {
    const raw = str(k);
    if (raw === undefined) return def;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${k} must be from ${min} to ${max}`);
    return n;
  };
  const startHub = values['start-hub'] === true;
  const databaseUrl = str('database-url');
  if (!databaseUrl) throw new UsageError('--database-url is required (rows are counted there)');
  assertLoopbackUrl(databaseUrl, '--database-url', ['postgres:', 'postgresql:']);
  const hubHttpUrl = str('hub-http-url');
  if (hubHttpUrl) assertLoopbackUrl(hubHttpUrl, '--hub-http-url', ['http:']);
  const jt808Port = num('jt808-port', undefined, 1, 65535);
  if (startHub && (hubHttpUrl || jt808Port !== undefined)) {
    throw new UsageError('--start-hub picks its own ports; do not give --hub-http-url/--jt808-port with it');
  }
  const adminToken = str('admin-token') ?? (env.ADMIN_TOKEN?.trim() || undefined);
  if (!startHub && (!hubHttpUrl || jt808Port === undefined || !adminToken)) {
    throw new UsageError('give --start-hub, or --jt808-port, --hub-http-url and --admin-token for a running hub');
  }
  const hubEnv = parseHubEnv(values['hub-env'] as string[] | undefined, RUNNER_HUB_ENV);
  const runTag = str('run-tag') ?? String(randomInt(100_000, 1_000_000));
  if (!/^\d{6}$/.test(runTag)) throw new UsageError('--run-tag is 6 digits');
  const terminals = num('terminals', 500, 1, 20_000)!;
  if (!Number.isInteger(terminals)) throw new UsageError('--terminals must be an integer');
  return {
    startHub,
    databaseUrl,
    hubEntry: str('hub-entry') ?? path.join(repoRoot(), 'dist/hub/main.js'),
    hubEnv,
    ...(jt808Port !== undefined ? { jt808Port } : {}),
    ...(hubHttpUrl ? { hubHttpUrl } : {}),
    ...(num('hub-pid', undefined, 1, 4_194_304) !== undefined ? { hubPid: Number(str('hub-pid')) } : {}),
    ...(adminToken ? { adminToken } : {}),
    terminals,
    window: num('window', 8, 1, 64)!,
    durationS: num('duration', 20, 1, 3600)!,
    backHours: num('back-hours', 6, 0.01, 720)!,
    runTag,
    dbPollMs: num('db-poll', 1000, 200, 60_000)!,
    out: str('out') ?? '/tmp',
    ...(str('label') ? { label: str('label') } : {}),
  };
}

// ───────────────────────────── processes ─────────────────────────────

const say = (line: string) => process.stderr.write(line + '\n');

interface Hub {
  child?: ChildProcess;
  pid?: number;
  httpUrl: string;
  jt808Port: number;
  adminToken: string;
  logFile?: string;
  dataDir?: string;
}

async function startHub(args: Args, logDir: string, stamp: string): Promise<Hub> {
  return spawnHub({
    entry: args.hubEntry,
    databaseUrl: args.databaseUrl,
    adminToken: args.adminToken ?? randomBytes(24).toString('base64url'),
    dataPrefix: 'bench-jt808-data-',
    logFile: path.join(logDir, `bench-jt808-hub-${stamp}.log`),
    env: { DEVICE_RATE_PER_S: '10000', DEVICE_RATE_BURST: '100000', ...args.hubEnv },
    jt808: true,
    say,
    label: `[hub] starting ${path.relative(process.cwd(), args.hubEntry)}`,
  });
}

// ───────────────────────────── provisioning ─────────────────────────────

export const deviceIdOf = (tag: string, n: number) => `jt808b-${tag}-${String(n).padStart(5, '0')}`;
export const phoneOf = (tag: string, n: number) => `1${tag}${String(n).padStart(5, '0')}`;

/** The import CSV: every column, attributes as JSON text in a quoted field. */
export function terminalsCsv(tag: string, from: number, count: number): string {
  const lines = ['id,kind,name,plate,staff_id,department,grid_codes,expected_interval_s,attributes'];
  for (let n = from; n < from + count; n++) {
    const attributes = JSON.stringify({ jt808Phone: phoneOf(tag, n) }).replace(/"/g, '""');
    lines.push(`${deviceIdOf(tag, n)},vehicle,JT808 bench ${n},,,,,,"${attributes}"`);
  }
  return lines.join('\n') + '\n';
}

async function provisionTerminals(hub: Hub, tag: string, count: number): Promise<void> {
  const url = new URL('/api/devices/import', hub.httpUrl);
  for (let from = 1; from <= count; from += 1000) {
    const n = Math.min(1000, count - from + 1);
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'text/csv', authorization: `Bearer ${hub.adminToken}` },
        body: terminalsCsv(tag, from, n),
        signal: AbortSignal.timeout(60_000),
      });
    } catch (err) {
      throw new ProvisioningError(`POST ${url.href} failed: ${(err as Error).message}`);
    }
    const text = await response.text();
    if (!response.ok && response.status !== 207) {
      throw new ProvisioningError(`POST ${url.href} answered ${response.status}: ${text.slice(0, 500)}`);
    }
    const result = parseImportResponse(JSON.parse(text) as unknown);
    if (result.errors.length > 0 || result.credentials.size !== n) {
      throw new ProvisioningError(
        `${result.credentials.size}/${n} rows created; errors: ${JSON.stringify(result.errors).slice(0, 500)}`,
      );
    }
  }
}

// ───────────────────────────── measuring ─────────────────────────────

/** Cumulative CPU seconds of named sources, sampled every second. */
class CpuSampler {
  readonly series = new Map<string, Sample[]>();
  readonly #sources = new Map<string, () => number | undefined>();
  #timer: NodeJS.Timeout | undefined;
  add(name: string, read: () => number | undefined): void {
    this.#sources.set(name, read);
  }
  sample(): void {
    const atMs = Date.now();
    const push = (name: string, value: number | undefined) => {
      if (value === undefined) return;
      const s = this.series.get(name) ?? [];
      s.push({ atMs, value });
      this.series.set(name, s);
    };
    for (const [name, read] of this.#sources) push(name, read());
    const m = readMachineCpu();
    if (m) {
      push('machine.busy', m.busy / CLOCK_TICKS_PER_S);
      push('machine.total', m.total / CLOCK_TICKS_PER_S);
    }
  }
  start(): void {
    this.sample();
    this.#timer = setInterval(() => this.sample(), 1000);
  }
  stop(): void {
    clearInterval(this.#timer);
    this.sample();
  }
  /** Average rate (cores) between two times. */
  cores(name: string, fromMs: number, toMs: number): number | undefined {
    const r = rateBetween(this.series.get(name) ?? [], fromMs, toMs, 1000);
    return r === undefined ? undefined : Math.round(Math.max(0, r) * 100) / 100;
  }
}

async function runLoad(
  args: Args,
  hub: Hub,
  clockStartMs: number,
  cpu: CpuSampler,
  extra: () => string,
): Promise<Jt808LoadSummary> {
  const self = fileURLToPath(import.meta.url);
  const ext = path.extname(self);
  const file = path.join(path.dirname(self), `jt808-load${ext}`);
  const argv = [
    ...(ext === '.ts' ? ['--import', import.meta.resolve('tsx')] : []),
    file,
    ...['--port', String(hub.jt808Port), '--terminals', String(args.terminals)],
    ...['--window', String(args.window), '--duration', String(args.durationS)],
    ...['--phone-prefix', `1${args.runTag}`, '--clock-start-ms', String(clockStartMs), '--output', 'jsonl'],
  ];
  const child = track(spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] }));
  const pid = child.pid;
  cpu.add('generator', () => (pid !== undefined ? readCpuSeconds(pid) : undefined));
  let summary: Jt808LoadSummary | undefined;
  createInterface({ input: child.stderr! }).on('line', (line) => {
    if (!line.startsWith('[')) say(`  | ${line}`);
    else if (line.startsWith('[setup]')) say(line);
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let o: { type?: string };
    try {
      o = JSON.parse(line) as { type?: string };
    } catch {
      say(`  | ${line}`);
      return;
    }
    if (o.type === 'second') {
      const r = o as Jt808SecondReport;
      const lat = r.p50Ms !== undefined ? `  reply p50 ${r.p50Ms} p99 ${r.p99Ms} ms` : '';
      say(
        `[${String(r.tS).padStart(3)} s] online ${r.online}  sent ${r.sentPerS}/s  acked ${r.ackedPerS}/s  ` +
          `in flight ${r.inflight}${lat}${extra()}`,
      );
    } else if (o.type === 'summary') {
      summary = o as Jt808LoadSummary;
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), (args.durationS + 60 + 10 + 60) * 1000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  if (!summary) throw new Error(`jt808-load exited with status ${code} without a summary`);
  return summary;
}

// ───────────────────────────── main ─────────────────────────────

const fmt = (n: number | undefined, digits = 0): string =>
  n === undefined || !Number.isFinite(n)
    ? '–'
    : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main(): Promise<number> {
  const args = readCommandLine(() => parse(process.argv.slice(2), process.env), USAGE);
  if (typeof args === 'number') return args;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = args.out.endsWith('.json') ? args.out : path.join(args.out, `bench-jt808-${stamp}.json`);
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const outDir = path.dirname(path.resolve(file));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      say(`${signal}: stopping the processes this run started`);
      void stopAllChildren().then(() => process.exit(130));
    });
  }

  let hub: Hub | undefined;
  const db = new pg.Client({ connectionString: args.databaseUrl, application_name: 'bench-jt808' });
  await db.connect();
  try {
    hub = args.startHub
      ? await startHub(args, outDir, stamp)
      : {
          httpUrl: args.hubHttpUrl!,
          jt808Port: args.jt808Port!,
          adminToken: args.adminToken!,
          ...(args.hubPid !== undefined ? { pid: args.hubPid } : {}),
        };
    if (!args.startHub) await waitForHealth(hub.httpUrl, 10_000);
    const prefix = `jt808b-${args.runTag}-`;
    say(`[provision] ${args.terminals} terminals ${deviceIdOf(args.runTag, 1)}… phones ${phoneOf(args.runTag, 1)}…`);
    await provisionTerminals(hub, args.runTag, args.terminals);

    const clockStartMs = Math.floor(Date.now() / 1000) * 1000 - Math.round(args.backHours * 3600_000);
    const count = async () => {
      const { rows } = await db.query<{ n: string }>(
        'SELECT count(*) AS n FROM positions WHERE time >= $1 AND starts_with(device_id, $2)',
        [new Date(clockStartMs - 1000).toISOString(), prefix],
      );
      return Number(rows[0]!.n);
    };
    const counts: Sample[] = [];
    let lastRows = await count();
    const rowsBefore = lastRows;
    let polling = false;
    const poll = async () => {
      if (polling) return;
      polling = true;
      try {
        const atMs = Date.now();
        lastRows = await count();
        counts.push({ atMs, value: lastRows - rowsBefore });
      } finally {
        polling = false;
      }
    };
    const postmasterPid = await db
      .query<{ pid: number }>('SELECT pg_backend_pid() AS pid')
      .then((r) => readParentPid(r.rows[0]!.pid))
      .catch(() => undefined);
    const memory = { peak: 0, last: 0, before: 0 };
    const sampleMemory = () => {
      const m = hub?.pid !== undefined ? readMemory(hub.pid) : undefined;
      if (!m) return;
      memory.last = m.rssBytes;
      memory.peak = Math.max(memory.peak, m.rssBytes);
    };
    sampleMemory();
    memory.before = memory.last;
    const cpu = new CpuSampler();
    if (hub.pid !== undefined) {
      const pid = hub.pid;
      cpu.add('hub', () => readCpuSeconds(pid));
    }
    if (postmasterPid !== undefined) cpu.add('postgres', () => cpuSecondsOfProcessTree(postmasterPid));
    cpu.add('runner', () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1e6;
    });
    cpu.start();
    const memTimer = setInterval(sampleMemory, 500);
    const pollTimer = setInterval(() => void poll().catch(() => undefined), args.dbPollMs);
    let summary: Jt808LoadSummary;
    try {
      summary = await runLoad(
        args,
        hub,
        clockStartMs,
        cpu,
        () => `  | rows +${lastRows - rowsBefore}  hub RSS ${Math.round(memory.last / 2 ** 20)} MB`,
      );
    } finally {
      clearInterval(memTimer);
      clearInterval(pollTimer);
      cpu.stop();
    }
    sampleMemory();
    while (polling) await delay(20);
    // Settle: rows still being written.
    for (let i = 0, prev = -1; i < 20 && lastRows !== prev; i++) {
      prev = lastRows;
      await delay(500);
      await poll();
    }
    const rows = lastRows - rowsBefore;
    const from = summary.steadyFromMs;
    const to = summary.sendEndMs;
    const steadyRowsPerS = rateBetween(counts, from, to, 1000);
    const lat = summary.steadyLatency.count ? summary.steadyLatency : summary.latency;
    const cores = {
      hub: cpu.cores('hub', from, to),
      postgres: cpu.cores('postgres', from, to),
      generator: cpu.cores('generator', from, to),
    };
    const busy = cpu.cores('machine.busy', from, to);
    const total = cpu.cores('machine.total', from, to);
    // Cores busy with processes this run neither started nor measured (other work on the machine disturbs the figures).
    const ours = ['hub', 'postgres', 'generator', 'runner'].reduce((a, k) => a + (cpu.cores(k, from, to) ?? 0), 0);
    const otherCores = busy !== undefined ? Math.round(Math.max(0, busy - ours) * 100) / 100 : undefined;
    const committed = steadyRowsPerS !== undefined ? Math.round(steadyRowsPerS) : undefined;
    const verdict = committed === undefined ? 'not measured' : committed >= TARGET_POSITIONS_PER_S ? 'met' : 'not met';
    const mb = (b: number) => Math.round(b / 2 ** 20);
    const failed = Object.values(summary.reports.failedByResult).reduce((a, b) => a + b, 0);
    const lines = [
      '',
      `bench-jt808: ${summary.terminals.authenticated}/${args.terminals} terminals online, window ${args.window}, ` +
        `${args.durationS} s; ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'})`,
      `  positions committed/s, steady    ${fmt(committed)}  (target >= ${fmt(TARGET_POSITIONS_PER_S)}: ${verdict})`,
      `  0x8001 acked/s, steady           ${fmt(summary.rates.steadyAckedPerS)}`,
      `  reports sent / acked / failed    ${fmt(summary.reports.sent)} / ${fmt(summary.reports.acked)} / ${fmt(failed)}` +
        (failed ? ` ${JSON.stringify(summary.reports.failedByResult)}` : ''),
      `  rows committed (this run)        ${fmt(rows)}` +
        (rows !== summary.reports.acked ? `  (≠ acked ${fmt(summary.reports.acked)})` : '  (= acked)'),
      `  reply p50 / p90 / p99 / max      ${fmt(lat.p50Ms, 1)} / ${fmt(lat.p90Ms, 1)} / ${fmt(lat.p99Ms, 1)} / ${fmt(lat.maxMs, 0)} ms`,
      `  setup (register + auth)          ${fmt(summary.terminals.setupMs / 1000, 1)} s, per terminal p50 ` +
        `${fmt(summary.terminals.onlineMs.p50Ms, 1)} ms p99 ${fmt(summary.terminals.onlineMs.p99Ms, 1)} ms`,
      `  hub RSS before / peak / final    ${mb(memory.before)} / ${mb(memory.peak)} / ${mb(memory.last)} MB`,
      `  CPU cores hub / postgres / gen   ${fmt(cores.hub, 2)} / ${fmt(cores.postgres, 2)} / ${fmt(cores.generator, 2)}` +
        `   machine busy ${busy !== undefined && total ? fmt((busy / total) * 100) : '–'} %` +
        `, other processes ${fmt(otherCores, 2)} cores`,
      `  generator event-loop p99         ${fmt(summary.generator.eventLoopDelayP99Ms, 1)} ms`,
      `  dropped / refused / unanswered   ${summary.terminals.dropped} / ${JSON.stringify(summary.terminals.refused)} / ` +
        `${summary.reports.unansweredAtEnd}; clock exhausted ${summary.reports.clockExhausted}`,
      `  fix clock                        ${summary.clock.startIso} → ${summary.clock.lastIso ?? '–'}`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
    const result = {
      tool: 'loadtests/bench-jt808.ts',
      version: 1,
      ...(args.label ? { label: args.label } : {}),
      at: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model,
        memoryMb: Math.round(os.totalmem() / 2 ** 20),
        kernel: os.release(),
        node: process.version,
      },
      args: { ...args, adminToken: undefined },
      hubLog: hub.logFile,
      committed: {
        rowsBefore,
        rows,
        steadyPerS: committed,
        samples: counts.map((c) => [c.atMs - summary.sendStartMs, c.value]),
      },
      rssMb: { before: mb(memory.before), peak: mb(memory.peak), final: mb(memory.last) },
      cpu: {
        ...cores,
        otherCores,
        machineBusy: busy !== undefined && total ? Math.round((busy / total) * 100) / 100 : undefined,
      },
      target: { positionsPerS: TARGET_POSITIONS_PER_S, verdict },
      load: summary,
    };
    writeFileSync(file, JSON.stringify(result, null, 1) + '\n');
    process.stdout.write(`\nresult: ${file}\n`);
    return summary.reports.acked > 0 ? 0 : 1;
  } catch (err) {
    say(`failed: ${(err as Error).message}`);
    return 1;
  } finally {
    await db.end().catch(() => undefined);
    if (hub?.child) await stopChild(hub.child, 15_000);
    if (hub?.dataDir) rmSync(hub.dataDir, { recursive: true, force: true });
    await stopAllChildren();
  }
}

process.exitCode = await main();
