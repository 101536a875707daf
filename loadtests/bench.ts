// The benchmark suite (基准测试套件), `npm run bench`: runs the standard benchmarks one after another, each its own
// runner in its own process (bench-ingest.ts, bench-jt808.ts, bench-api.ts, bench-rules.ts), shows progress while
// they run, and ends with one table — each figure beside its target — plus a report folder: report.json,
// report.md, SVG plots of rate and latency over time, and every runner's JSON result and log.
//
//   npm run bench -- --help
//   npm run bench -- --quick              a smoke-sized run (seconds per item; figures not judged)
//   npm run bench -- --only ingest,rules
//
// Needs the built hub (npm run build:server) and the TimescaleDB test cluster, which it starts itself (and deletes
// afterwards) unless --database-url names one. Loopback only; every runner bounds itself in time.
import { execFileSync, spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseOptions, readCommandLine } from './cli.js';
import { UsageError, assertLoopbackUrl } from './generator-core.js';
import { isMainModule, repoRoot, siblingCommand, stopAllChildren, track } from './processes.js';
import {
  SUITE_ITEMS,
  clock,
  eta,
  figuresTable,
  markdownReport,
  suiteFigures,
  suitePlots,
  type MachineDescription,
  type SuiteItem,
  type SuiteReport,
  type SuiteResults,
} from './suite-report.js';
import { linePlot } from './svg-plot.js';

const USAGE = `Usage: npm run bench -- [options]

Runs the standard benchmarks and prints one table, each figure beside its target:
  ingest    hub durable ingest (QoS 1, acked after commit) vs Mosquitto raw forwarding, same run: rate and ratio
  devices   10,000 connected devices reporting every 5 s: hub RSS
  jt808     JT/T 808 terminals over TCP: positions/s committed
  fanout    map fan-out: publish → delta on 50 socket.io clients (/live), p99
  track     one vehicle-day track query (and the API under autocannon: case queue, map snapshot, playback)
  rules     rule engine cost per position (500 zones, every vehicle rule)
and writes a report folder: report.json, report.md, SVG plots, each runner's JSON result and log.

Options:
      --quick                   smoke-sized runs (a few seconds each): checks the tooling, figures not judged
      --only <a,b,…>            run only these items
      --skip <a,b,…>            leave these out
      --database-url <url>      a TimescaleDB to use (loopback); default: start the test cluster in --db-dir and
                                delete it afterwards (scripts/test-db.sh)
      --db-dir <dir>            (default ${path.join(os.tmpdir(), 'cityhub-bench-db')})
      --generator-processes <n> MQTT generator processes for ingest and devices  (default 1; see loadtests/fleet.ts)
      --report-dir <dir>        (default ${path.join(os.tmpdir(), 'cityhub-bench', '<time>')})
  -h, --help

Build the hub first: npm run build:server. Run it on a quiet machine: every figure shares the CPUs with the load.
`;

interface Args {
  quick: boolean;
  items: SuiteItem[];
  databaseUrl?: string;
  dbDir: string;
  generatorProcesses: number;
  reportDir: string;
}

function parseList(raw: string | undefined, what: string): SuiteItem[] | undefined {
  if (raw === undefined) return undefined;
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const item of list) {
    if (!(SUITE_ITEMS as readonly string[]).includes(item)) {
      throw new UsageError(`${what}: unknown item ${JSON.stringify(item)}; items: ${SUITE_ITEMS.join(', ')}`);
    }
  }
  return list as SuiteItem[];
}

export function parseSuiteArgs(argv: readonly string[], nowIso = new Date().toISOString()): Args | 'help' {
  const values = parseOptions(argv, {
    quick: { type: 'boolean' },
    only: { type: 'string' },
    skip: { type: 'string' },
    'database-url': { type: 'string' },
    'db-dir': { type: 'string' },
    'generator-processes': { type: 'string' },
    'report-dir': { type: 'string' },
  });
  if (values === 'help') return 'help';
  const only = parseList(values.only as string | undefined, '--only');
  const skip = parseList(values.skip as string | undefined, '--skip') ?? [];
  const items = (only ?? [...SUITE_ITEMS]).filter((i) => !skip.includes(i));
  if (items.length === 0) throw new UsageError('nothing to run');
  const databaseUrl = values['database-url'] as string | undefined;
  if (databaseUrl) assertLoopbackUrl(databaseUrl, '--database-url', ['postgres:', 'postgresql:']);
  const gp = (values['generator-processes'] as string | undefined) ?? '1';
  if (!/^\d+$/.test(gp) || Number(gp) < 1 || Number(gp) > 32) {
    throw new UsageError('--generator-processes must be an integer from 1 to 32');
  }
  return {
    quick: values.quick === true,
    items: SUITE_ITEMS.filter((i) => items.includes(i)),
    ...(databaseUrl ? { databaseUrl } : {}),
    dbDir: (values['db-dir'] as string | undefined) ?? path.join(os.tmpdir(), 'cityhub-bench-db'),
    generatorProcesses: Number(gp),
    reportDir:
      (values['report-dir'] as string | undefined) ??
      path.join(os.tmpdir(), 'cityhub-bench', nowIso.replace(/[:.]/g, '-')),
  };
}

interface Step {
  item: SuiteItem;
  script: string;
  args: string[];
  /** Rough duration for the ETA, seconds. */
  expectedS: number;
}

/** The runner and arguments of each item, full size or --quick. Every run gets fresh device ids (`tag`). */
export function suiteSteps(args: Args, databaseUrl: string, tag: string): Step[] {
  const q = args.quick;
  const hub = ['--start-hub', '--database-url', databaseUrl];
  const gp = ['--generator-processes', String(args.generatorProcesses)];
  const all: Record<SuiteItem, Step> = {
    ingest: {
      item: 'ingest',
      script: 'bench-ingest',
      args: [
        ...hub,
        ...gp,
        ...['--id-prefix', `s${tag}i-`, '--rate', 'max', '--max-inflight', '16'],
        ...['--hub-env', 'DEVICE_RATE_PER_S=10000', '--hub-env', 'DEVICE_RATE_BURST=100000'],
        ...(q
          ? ['--devices', '20', '--provision', '20', '--duration', '5', '--drain-timeout', '3']
          : ['--devices', '200', '--provision', '200', '--duration', '20']),
      ],
      expectedS: q ? 30 : 75,
    },
    devices: {
      item: 'devices',
      script: 'bench-ingest',
      args: [
        ...hub,
        ...gp,
        ...['--skip-baseline', '--id-prefix', `s${tag}d-`, '--interval', '5000'],
        ...(q
          ? ['--devices', '100', '--provision', '100', '--ramp-up', '3', '--duration', '3', '--drain-timeout', '3']
          : ['--devices', '10000', '--provision', '10000', '--ramp-up', '90', '--duration', '60']),
      ],
      expectedS: q ? 30 : 260,
    },
    jt808: {
      item: 'jt808',
      script: 'bench-jt808',
      args: [
        ...hub,
        ...(q
          ? ['--terminals', '20', '--window', '4', '--duration', '3']
          : ['--terminals', '500', '--window', '8', '--duration', '20']),
      ],
      expectedS: q ? 25 : 60,
    },
    fanout: {
      item: 'fanout',
      script: 'bench-ingest',
      args: [
        ...hub,
        ...['--skip-baseline', '--id-prefix', `s${tag}f-`, '--profile', 'mixed', '--live-clients', '50'],
        ...(q
          ? ['--devices', '20', '--provision', '20', '--rate', '200', '--duration', '5', '--drain-timeout', '3']
          : ['--devices', '1000', '--provision', '1000', '--rate', '2000', '--ramp-up', '10', '--duration', '30']),
      ],
      expectedS: q ? 30 : 90,
    },
    track: {
      item: 'track',
      script: 'bench-api',
      args: [
        ...hub,
        ...(q
          ? ['--duration', '2', '--map-devices', '20', '--cases', '5', '--connections', '4']
          : ['--duration', '10', '--map-devices', '2000', '--cases', '500', '--connections', '10']),
      ],
      expectedS: q ? 30 : 110,
    },
    rules: {
      item: 'rules',
      script: 'bench-rules',
      args: q ? ['--positions', '20000', '--vehicles', '200', '--zones', '50'] : [],
      expectedS: q ? 5 : 20,
    },
  };
  return args.items.map((i) => all[i]);
}

function machine(): MachineDescription {
  const description: MachineDescription = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? '?',
    memoryMb: Math.round(os.totalmem() / 2 ** 20),
    kernel: os.release(),
    node: process.version,
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
  try {
    const git = (argv: string[]) => execFileSync('git', argv, { cwd: repoRoot(), encoding: 'utf8' }).trim();
    description.commit = git(['rev-parse', 'HEAD']);
    description.dirty = git(['status', '--porcelain', '--untracked-files=no']).length > 0;
  } catch {
    // Not a git checkout.
  }
  return description;
}

const say = (line: string) => process.stderr.write(line + '\n');

async function runStep(
  step: Step,
  index: number,
  steps: readonly Step[],
  reportDir: string,
  suiteStart: number,
): Promise<{ seconds: number; exitCode: number | null; result?: string; log: string }> {
  const resultName = `${step.item}.json`;
  const logName = `${step.item}.log`;
  const resultFile = path.join(reportDir, resultName);
  const argv = [...siblingCommand(step.script), ...step.args, step.script === 'bench-rules' ? '--json' : '--out'];
  argv.push(resultFile);
  const log = createWriteStream(path.join(reportDir, logName));
  log.write(`$ node ${argv.join(' ')}\n`);
  const child = track(spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: repoRoot() }));
  const started = performance.now();
  let last = '';
  let lastShown = 0;
  const show = (force = false) => {
    const now = performance.now();
    if (!force && now - lastShown < 2000) return;
    lastShown = now;
    const elapsedS = (now - started) / 1000;
    const { remainingS } = eta(
      steps.map((s) => s.expectedS),
      index,
      elapsedS,
    );
    say(
      `[bench ${index + 1}/${steps.length} ${step.item} ${clock(elapsedS)} | suite ${clock((now - suiteStart) / 1000)}` +
        `, ETA ~${clock(remainingS)}] ${last.slice(0, 150)}`,
    );
  };
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      log.write(line + '\n');
      if (line.trim()) last = line.trim();
      show();
    });
  }
  const ticker = setInterval(() => show(true), 5000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearInterval(ticker);
  await new Promise<void>((resolve) => log.end(resolve));
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  say(`[bench ${index + 1}/${steps.length} ${step.item}] done in ${clock(seconds)} (exit ${code}); log ${logName}`);
  return { seconds, exitCode: code, ...(existsSync(resultFile) ? { result: resultName } : {}), log: logName };
}

async function main(): Promise<number> {
  const args = readCommandLine(() => parseSuiteArgs(process.argv.slice(2)), USAGE);
  if (typeof args === 'number') return args;
  const needsHub = args.items.some((i) => i !== 'rules');
  if (needsHub && !existsSync(path.join(repoRoot(), 'dist/hub/main.js'))) {
    process.stderr.write('error: dist/hub/main.js not found: build the hub first (npm run build:server)\n');
    return 2;
  }
  mkdirSync(args.reportDir, { recursive: true });
  const startedAt = new Date().toISOString();
  const description = machine();
  say(
    `bench: ${args.items.join(', ')}${args.quick ? ' (--quick)' : ''} on ${description.cpus} CPUs ` +
      `(${description.cpuModel}), load average ${description.loadAverage.join(' ')}; report ${args.reportDir}`,
  );

  let databaseUrl = args.databaseUrl;
  let startedDb = false;
  const stopDb = () => {
    if (!startedDb) return;
    try {
      execFileSync('bash', [path.join(repoRoot(), 'scripts/test-db.sh'), 'stop'], {
        env: { ...process.env, TEST_DB_DIR: args.dbDir },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
    } catch (err) {
      say(`bench: stopping the test cluster failed: ${(err as Error).message}`);
    }
    startedDb = false;
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      say(`${signal}: stopping the runners`);
      void stopAllChildren().then(() => {
        stopDb();
        process.exit(130);
      });
    });
  }
  if (needsHub && !databaseUrl) {
    say(`bench: starting the TimescaleDB test cluster in ${args.dbDir}`);
    databaseUrl = execFileSync('bash', [path.join(repoRoot(), 'scripts/test-db.sh'), 'start'], {
      env: { ...process.env, TEST_DB_DIR: args.dbDir },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim();
    startedDb = true;
  }

  const steps = suiteSteps(args, databaseUrl ?? '', String(randomInt(100_000, 999_999)));
  const suiteStart = performance.now();
  const runs: SuiteReport['runs'] = [];
  try {
    for (const [i, step] of steps.entries())
      runs.push({ item: step.item, ...(await runStep(step, i, steps, args.reportDir, suiteStart)) });
  } finally {
    await stopAllChildren();
    stopDb();
  }

  const results: SuiteResults = {};
  for (const run of runs) {
    if (!run.result) continue;
    try {
      (results as Record<string, unknown>)[run.item] = JSON.parse(
        readFileSync(path.join(args.reportDir, run.result), 'utf8'),
      );
    } catch (err) {
      say(`bench: cannot read ${run.result}: ${(err as Error).message}`);
    }
  }
  const figures = suiteFigures(results, args.quick);
  const plots = suitePlots(results);
  for (const p of plots) writeFileSync(path.join(args.reportDir, p.file), linePlot(p));
  const report: SuiteReport = {
    startedAt,
    endedAt: new Date().toISOString(),
    quick: args.quick,
    items: args.items,
    machine: description,
    figures,
    runs,
    plots: plots.map((p) => ({ file: p.file, title: p.title })),
  };
  writeFileSync(path.join(args.reportDir, 'report.json'), JSON.stringify(report, null, 1) + '\n');
  writeFileSync(path.join(args.reportDir, 'report.md'), markdownReport(report));
  process.stdout.write(
    `\nCity Hub benchmark suite${args.quick ? ' (--quick: smoke-sized, figures not judged)' : ''}: ` +
      `${description.cpus} CPUs (${description.cpuModel}), Node ${description.node}` +
      `${description.commit ? `, commit ${description.commit.slice(0, 10)}${description.dirty ? '+changes' : ''}` : ''}\n\n` +
      figuresTable(figures) +
      `\n\nreport: ${path.join(args.reportDir, 'report.md')}\n`,
  );
  const failed = runs.filter((r) => r.exitCode !== 0);
  if (failed.length) {
    process.stdout.write(`failed runs: ${failed.map((r) => `${r.item} (see ${r.log})`).join(', ')}\n`);
    return 1;
  }
  return 0;
}

if (isMainModule(import.meta.url)) process.exitCode = await main();
