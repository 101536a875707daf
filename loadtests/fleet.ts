// Multi-process MQTT load (多进程 MQTT 负载): a coordinator that forks N mqtt-generator.ts processes, each on its slice
// of the devices with its share of the rate (fleet-merge.ts), all starting at one wall-clock instant, and merges their
// per-second samples, counters and latency histograms into one summary of a single generator's shape. One Node process
// tops out at ~20–23k msgs/s on this 2-core box; offering more (the overload run at 2× the sustainable ~36k msgs/s)
// needs several. With --observe it also runs live-swarm.ts: socket.io clients on the hub's /live namespace measuring
// end-to-end latency, publish → delta on the map. Loopback only; bounded by the generators' own duration.
//
//   node --import tsx loadtests/fleet.ts --help
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { mergeSeconds, mergeSummaries, splitFleet, type FleetSummary } from './fleet-merge.js';
import {
  GENERATOR_ARG_SPEC,
  GENERATOR_OPTIONS_HELP,
  UsageError,
  assertLoopbackUrl,
  generatorArgv,
  generatorOptionsFromValues,
  type GeneratorOptions,
} from './generator-core.js';
import type { GeneratorSummary, SecondReport } from './mqtt-generator.js';
import type { SwarmSecond, SwarmSummary } from './live-swarm.js';
import { optionInteger, parseOptions, readCommandLine } from './cli.js';
import { isMainModule, siblingCommand, stopChild, track } from './processes.js';

export interface FleetOptions {
  load: GeneratorOptions;
  processes: number;
  /** The hub's HTTP URL: run live-swarm.ts against its /live namespace for end-to-end latency. */
  observeUrl?: string;
  observers: number;
}

export interface FleetHooks {
  onSecond?(report: SecondReport): void;
  onSwarmSecond?(report: SwarmSecond): void;
  onNotice?(message: string): void;
  /** Each child's pid as it starts (for CPU accounting by the caller). */
  onChild?(pid: number, role: 'generator' | 'observer'): void;
  signal?: AbortSignal;
}

export interface FleetResult {
  summary: FleetSummary;
  /** The socket.io observer's summary, with --observe. */
  endToEnd?: SwarmSummary;
}

function jsonLines(child: ChildProcess, onLine: (o: Record<string, unknown>) => void, onOther: (l: string) => void) {
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      onLine(JSON.parse(line) as Record<string, unknown>);
    } catch {
      onOther(line);
    }
  });
}

/** Runs the load over `processes` generator processes (and the observer), and returns the merged summary. */
export async function runFleet(options: FleetOptions, hooks: FleetHooks = {}): Promise<FleetResult> {
  // Every process (and the observer) begins at the same instant, after they have all loaded and built their devices.
  const startAtMs = Date.now() + 2000 + 400 * options.processes;
  const parts = splitFleet({ ...options.load, startAtMs }, options.processes);
  const seconds: SecondReport[][] = parts.map(() => []);
  const summaries: (GeneratorSummary | undefined)[] = parts.map(() => undefined);
  let emitted = 0;
  const exitedEarly = new Set<number>();
  const emitReady = () => {
    const live = seconds.filter((_, k) => !exitedEarly.has(k) && summaries[k] === undefined);
    const ready = live.length ? Math.min(...live.map((s) => s.length)) : Math.max(...seconds.map((s) => s.length));
    while (emitted < ready) {
      const merged = mergeSeconds(seconds.map((s) => s.slice(0, emitted + 1)));
      hooks.onSecond?.(merged[emitted]!);
      emitted++;
    }
  };

  const children = parts.map((part, k) => {
    const child = track(
      spawn(process.execPath, [...siblingCommand('mqtt-generator'), ...generatorArgv(part), '--output', 'jsonl'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      }),
    );
    if (child.pid !== undefined) hooks.onChild?.(child.pid, 'generator');
    jsonLines(
      child,
      (o) => {
        if (o.type === 'second') {
          seconds[k]!.push(o as unknown as SecondReport);
          emitReady();
        } else if (o.type === 'notice') {
          hooks.onNotice?.(`process ${k + 1}/${parts.length}: ${String(o.message)}`);
        } else if (o.type === 'summary') {
          summaries[k] = o as unknown as GeneratorSummary;
        }
      },
      (line) => hooks.onNotice?.(`process ${k + 1}: ${line}`),
    );
    return child;
  });

  let observer: ChildProcess | undefined;
  let endToEnd: SwarmSummary | undefined;
  if (options.observeUrl) {
    const l = options.load;
    // The observers connect while the generators load (their snapshot is not the measurement), and stay to the end.
    const durationS = Math.ceil((startAtMs - Date.now()) / 1000 + l.rampUpS + l.durationS + 2);
    observer = track(
      spawn(
        process.execPath,
        [
          ...siblingCommand('live-swarm'),
          ...['--url', options.observeUrl, '--clients', String(options.observers), '--duration', String(durationS)],
          ...['--id-prefix', l.idPrefix, '--output', 'jsonl'],
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      ),
    );
    if (observer.pid !== undefined) hooks.onChild?.(observer.pid, 'observer');
    jsonLines(
      observer,
      (o) => {
        if (o.type === 'swarm-second') hooks.onSwarmSecond?.(o as unknown as SwarmSecond);
        else if (o.type === 'notice') hooks.onNotice?.(`observer: ${String(o.message)}`);
        else if (o.type === 'swarm-summary') endToEnd = o as unknown as SwarmSummary;
      },
      (line) => hooks.onNotice?.(`observer: ${line}`),
    );
  }

  const onAbort = () => {
    for (const c of children) c.kill('SIGINT');
  };
  hooks.signal?.addEventListener('abort', onAbort, { once: true });
  // The generators bound themselves; this only guards against a wedged one.
  const l = options.load;
  const budgetMs = startAtMs - Date.now() + (l.rampUpS + l.durationS + l.drainTimeoutS) * 1000 + 90_000;
  const guard = setTimeout(() => {
    for (const c of children) c.kill('SIGKILL');
  }, budgetMs);
  try {
    await Promise.all(
      children.map(async (child, k) => {
        if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
        if (!summaries[k]) {
          exitedEarly.add(k);
          hooks.onNotice?.(`process ${k + 1} exited (status ${child.exitCode}) without a summary`);
        }
        emitReady();
      }),
    );
    if (observer) {
      const timer = setTimeout(() => observer!.kill('SIGTERM'), 15_000);
      if (observer.exitCode === null && observer.signalCode === null) await once(observer, 'exit');
      clearTimeout(timer);
    }
  } finally {
    clearTimeout(guard);
    hooks.signal?.removeEventListener('abort', onAbort);
    await Promise.all([...children, ...(observer ? [observer] : [])].map((c) => stopChild(c, 5000)));
  }
  const done = summaries.filter((s): s is GeneratorSummary => s !== undefined);
  if (done.length === 0) throw new Error('no generator process finished with a summary');
  if (done.length < parts.length) {
    hooks.onNotice?.(`only ${done.length} of ${parts.length} generator processes reported; the summary covers those`);
  }
  return { summary: mergeSummaries(options.load, done), ...(endToEnd ? { endToEnd } : {}) };
}

// ───────────────────────────── command line ─────────────────────────────

export const FLEET_USAGE = `Usage: node --import tsx loadtests/fleet.ts [options]

The MQTT load generator (loadtests/mqtt-generator.ts) in several processes: each runs a slice of the devices with
its share of the rate, all start at the same instant, and their counters, per-second samples and latency histograms
are merged. Prints a line per second on stderr and one JSON summary on stdout (--output jsonl: JSON lines only, as
bench-ingest.ts reads them). Loopback only; ends by itself after ramp-up + duration (+ drain).

Options:
  -u, --url <url>               broker, mqtt://127.0.0.1:<port>  (default mqtt://127.0.0.1:1883)
  -p, --processes <n>           generator processes, 1–32  (default 2)
      --observe <http url>      the hub's HTTP URL: socket.io observers on /live measure publish → map latency
      --observers <n>           socket.io observer clients with --observe  (default 1)
${GENERATOR_OPTIONS_HELP}      --output <text|jsonl>
  -h, --help

Examples:
  # 2× the hub's sustainable single-fix rate, from 4 processes, QoS 1, with an observer on the map channel
  node --import tsx loadtests/fleet.ts --url mqtt://127.0.0.1:1883 --processes 4 --devices 2000 --rate 72000 \\
      --duration 30 --observe http://127.0.0.1:8080
  # a ramp from 5,000 to 60,000 msgs/s over 60 s, city mix of payloads
  node --import tsx loadtests/fleet.ts --processes 4 --devices 4000 --rate 5000 --ramp-to 60000 --duration 60 \\
      --profile mixed
`;

export function parseFleetArgs(argv: readonly string[]): { options: FleetOptions; output: 'text' | 'jsonl' } | 'help' {
  const values = parseOptions(argv, {
    ...GENERATOR_ARG_SPEC,
    url: { type: 'string', short: 'u' },
    processes: { type: 'string', short: 'p' },
    observe: { type: 'string' },
    observers: { type: 'string' },
    output: { type: 'string' },
  });
  if (values === 'help') return 'help';
  const load = generatorOptionsFromValues(values, (values.url as string | undefined) ?? 'mqtt://127.0.0.1:1883');
  const int = (name: string, fallback: number, min: number, max: number) =>
    optionInteger(values, name, fallback, min, max);
  const processes = int('processes', 2, 1, 32);
  if (processes > load.devices) throw new UsageError(`--processes ${processes} is more than --devices ${load.devices}`);
  const observeUrl = typeof values.observe === 'string' ? values.observe.replace(/\/$/, '') : undefined;
  if (observeUrl) assertLoopbackUrl(observeUrl, '--observe', ['http:']);
  const output = values.output ?? 'text';
  if (output !== 'text' && output !== 'jsonl') throw new UsageError('--output must be text or jsonl');
  return {
    options: { load, processes, ...(observeUrl ? { observeUrl } : {}), observers: int('observers', 1, 1, 500) },
    output,
  };
}

async function main(): Promise<number> {
  const parsed = readCommandLine(() => parseFleetArgs(process.argv.slice(2)), FLEET_USAGE);
  if (typeof parsed === 'number') return parsed;
  const { options, output } = parsed;
  const jsonl = output === 'jsonl';
  const write = (line: string) => (jsonl ? process.stdout : process.stderr).write(line + '\n');
  const stop = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stop.signal.aborted) process.exit(130);
      stop.abort();
    });
  }
  const n = options.load.devices;
  try {
    const result = await runFleet(options, {
      signal: stop.signal,
      onSecond: (r) =>
        write(
          jsonl
            ? JSON.stringify(r)
            : `[${String(r.tS).padStart(4)} s] connected ${r.connected}/${n}  sent ${r.sentPerS}/s  acked ` +
                `${r.ackedPerS}/s  in flight ${r.inflight}` +
                (r.p50Ms !== undefined ? `  ack p50 ~${r.p50Ms} ms p99 ${r.p99Ms} ms` : '') +
                (r.scheduledPerS !== undefined ? `  scheduled ${r.scheduledPerS}/s` : ''),
        ),
      onSwarmSecond: (s) =>
        write(
          jsonl
            ? JSON.stringify(s)
            : `        map: ${s.positionsPerS} positions/s` +
                (s.p50Ms !== undefined ? `  publish→map p50 ${s.p50Ms} ms p99 ${s.p99Ms} ms` : ''),
        ),
      onNotice: (message) => write(jsonl ? JSON.stringify({ type: 'notice', message }) : `notice: ${message}`),
      // A runner reading the JSON lines accounts the observer's CPU apart from the generators'.
      onChild: (pid, role) => {
        if (jsonl) write(JSON.stringify({ type: 'child', pid, role }));
      },
    });
    const summary = { ...result.summary, ...(result.endToEnd ? { endToEnd: result.endToEnd } : {}) };
    process.stdout.write(
      JSON.stringify(
        jsonl
          ? summary
          : {
              ...summary,
              seconds: undefined,
              histograms: undefined,
              endToEnd: result.endToEnd && { ...result.endToEnd, seconds: undefined, histograms: undefined },
            },
        null,
        jsonl ? 0 : 2,
      ) + '\n',
    );
    return 0;
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

if (isMainModule(import.meta.url)) process.exitCode = await main();
