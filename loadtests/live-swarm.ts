// Map client swarm (地图客户端群): many socket.io clients on the hub's /live namespace, as that many browsers with the
// map open, each subscribing to the layers and receiving the batched position deltas. It measures end-to-end latency
// — from a fix's time (the generator stamps the publish time into it) to the delta carrying it arriving here — and the
// fan-out spread: how much later the last client gets a position than the first. Own process, loopback only, bounded.
//
//   node --import tsx loadtests/live-swarm.ts --url http://127.0.0.1:8080 --clients 50 --duration 30
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import { optionInteger, parseOptions, readCommandLine } from './cli.js';
import { UsageError, assertLoopbackUrl } from './generator-core.js';
import { LatencyHistogram, type HistogramJson, type LatencySummary } from './histogram.js';
import { isMainModule } from './processes.js';

export const LIVE_LAYERS = ['vehicles', 'collectors', 'sensors', 'cameras', 'cases', 'candidates'] as const;

export interface SwarmOptions {
  /** The hub's HTTP URL (socket.io shares its port); loopback only. */
  url: string;
  clients: number;
  durationS: number;
  layers: string[];
  /** Only positions of devices whose id starts with this are measured (the load's devices, not the demo's). */
  idPrefix?: string;
  /** Clients connecting at once. */
  connectConcurrency: number;
  /** Wall-clock start (epoch ms), to start with the generator processes. */
  startAtMs?: number;
  output: 'text' | 'jsonl';
}

export interface SwarmSecond {
  type: 'swarm-second';
  tS: number;
  atMs: number;
  connected: number;
  /** Delta messages (`positions` events) and positions in them, all clients, this second. */
  deltasPerS: number;
  positionsPerS: number;
  p50Ms?: number;
  p99Ms?: number;
}

export interface SwarmSummary {
  type: 'swarm-summary';
  options: Omit<SwarmOptions, 'output'>;
  clients: {
    requested: number;
    connected: number;
    failed: number;
    dropped: number;
    /** Subscriptions sent again after the hub answered "…; retry" (as the web app does). */
    resubscribed: number;
    snapshotMs: LatencySummary;
  };
  deltas: number;
  positions: number;
  /** Fix time → arrival of the delta carrying it, every client, every measured position. */
  latency: LatencySummary;
  /** Arrival at a client − arrival of the same position at the first client. */
  spread: LatencySummary;
  histograms: { latency: HistogramJson; spread: HistogramJson };
  seconds: SwarmSecond[];
  process: { cpuCores: number; eventLoopDelayP99Ms: number; peakRssMb: number; pid: number };
  errors: string[];
}

interface LivePosition {
  deviceId: string;
  time: string;
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** How often a subscription the hub refused with "retry" is sent (1 s, 2 s, 3 s … apart). */
const SUBSCRIBE_ATTEMPTS = 4;

/** Connects the clients, measures for `durationS`, disconnects them and resolves with the summary. */
export async function runSwarm(
  options: SwarmOptions,
  hooks: { onSecond?(s: SwarmSecond): void; onNotice?(m: string): void; signal?: AbortSignal } = {},
): Promise<SwarmSummary> {
  if (options.startAtMs !== undefined && options.startAtMs > Date.now()) await delay(options.startAtMs - Date.now());
  const latency = new LatencyHistogram();
  const lastSecond = new LatencyHistogram();
  const spread = new LatencyHistogram();
  const snapshot = new LatencyHistogram();
  const firstArrival = new Map<string, number>();
  const errors = new Set<string>();
  const note = (m: string) => {
    if (errors.size < 10 && !errors.has(m)) {
      errors.add(m);
      hooks.onNotice?.(m);
    }
  };
  const counts = { deltas: 0, positions: 0, connected: 0, failed: 0, dropped: 0, resubscribed: 0 };
  let closing = false;
  const sockets: Socket[] = [];
  const prefix = options.idPrefix;

  const onPositions = (msg: { positions?: LivePosition[] }) => {
    const now = Date.now();
    counts.deltas++;
    for (const p of msg.positions ?? []) {
      if (prefix && !p.deviceId.startsWith(prefix)) continue;
      const fixMs = Date.parse(p.time);
      if (!Number.isFinite(fixMs)) continue;
      counts.positions++;
      latency.recordMs(now - fixMs);
      lastSecond.recordMs(now - fixMs);
      const key = `${p.deviceId}@${p.time}`;
      const first = firstArrival.get(key);
      if (first === undefined) firstArrival.set(key, now);
      else spread.recordMs(now - first);
    }
  };

  const connectOne = (): Promise<void> =>
    new Promise((resolve) => {
      const started = Date.now();
      const socket = io(`${options.url}/live`, {
        path: '/socket.io',
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
        timeout: 20_000,
      });
      sockets.push(socket);
      let settled = false;
      const settle = () => {
        if (!settled) {
          settled = true;
          resolve();
        }
      };
      // A refusal the hub marks as passing ("…; retry": its snapshot could not be loaded just now) is asked again
      // after a pause, like the web app does, a few times; any other refusal counts as failed at once.
      const subscribe = (attempt: number) =>
        socket.emit('subscribe', { layers: options.layers }, (reply: { ok?: boolean; error?: string }) => {
          if (reply?.error && /retry$/.test(reply.error) && attempt < SUBSCRIBE_ATTEMPTS && !closing) {
            note(`subscribe refused: ${reply.error} (asked again)`);
            counts.resubscribed++;
            setTimeout(() => subscribe(attempt + 1), 1000 * attempt).unref();
            return;
          }
          if (reply?.error) {
            note(`subscribe refused: ${reply.error}`);
            counts.failed++;
          } else {
            counts.connected++;
          }
          settle();
        });
      socket.on('connect', () => subscribe(1));
      socket.once('snapshot', () => snapshot.recordMs(Date.now() - started));
      socket.on('positions', onPositions);
      socket.on('connect_error', (err: Error) => {
        note(`connect failed: ${err.message}`);
        counts.failed++;
        settle();
      });
      socket.on('disconnect', (reason: string) => {
        if (closing) return;
        counts.dropped++;
        counts.connected--;
        note(`a client was disconnected: ${reason}`);
      });
    });

  const cpuStart = process.cpuUsage();
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  let peakRss = process.memoryUsage.rss();
  const t0 = performance.now();
  for (let i = 0; i < options.clients; i += options.connectConcurrency) {
    await Promise.all(Array.from({ length: Math.min(options.connectConcurrency, options.clients - i) }, connectOne));
  }

  const seconds: SwarmSecond[] = [];
  let prev = { deltas: 0, positions: 0 };
  const report = () => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    const s: SwarmSecond = {
      type: 'swarm-second',
      tS: seconds.length + 1,
      atMs: Date.now(),
      connected: counts.connected,
      deltasPerS: counts.deltas - prev.deltas,
      positionsPerS: counts.positions - prev.positions,
    };
    const p50 = lastSecond.percentileMs(50);
    if (p50 !== undefined) {
      s.p50Ms = Math.round(p50 * 10) / 10;
      s.p99Ms = Math.round(lastSecond.percentileMs(99)! * 10) / 10;
    }
    lastSecond.reset();
    prev = { deltas: counts.deltas, positions: counts.positions };
    // Positions older than a few seconds will not arrive at another client any more.
    const horizon = Date.now() - 5000;
    for (const [key, at] of firstArrival) {
      if (at >= horizon) break;
      firstArrival.delete(key);
    }
    seconds.push(s);
    hooks.onSecond?.(s);
  };
  const reporter = setInterval(report, 1000);
  const endAt = t0 + options.durationS * 1000;
  while (performance.now() < endAt && !hooks.signal?.aborted) await delay(Math.min(100, endAt - performance.now()));
  clearInterval(reporter);
  report();
  closing = true;
  for (const s of sockets) s.disconnect();
  loopDelay.disable();
  const cpu = process.cpuUsage(cpuStart);
  const wallS = (performance.now() - t0) / 1000;
  const { output: _output, ...shown } = options;
  return {
    type: 'swarm-summary',
    options: shown,
    clients: {
      requested: options.clients,
      connected: Math.max(0, counts.connected + counts.dropped),
      failed: counts.failed,
      dropped: counts.dropped,
      resubscribed: counts.resubscribed,
      snapshotMs: snapshot.summary(),
    },
    deltas: counts.deltas,
    positions: counts.positions,
    latency: latency.summary(),
    spread: spread.summary(),
    histograms: { latency: latency.toJSON(), spread: spread.toJSON() },
    seconds,
    process: {
      cpuCores: Math.round(((cpu.user + cpu.system) / 1e6 / wallS) * 100) / 100,
      eventLoopDelayP99Ms: Math.round(loopDelay.percentile(99) / 1e4) / 100,
      peakRssMb: Math.round(peakRss / 2 ** 20),
      pid: process.pid,
    },
    errors: [...errors],
  };
}

// ───────────────────────────── command line ─────────────────────────────

export const SWARM_USAGE = `Usage: node --import tsx loadtests/live-swarm.ts --url http://127.0.0.1:PORT [options]

socket.io clients on the hub's /live namespace, as that many browsers with the map open. Measures fix time → delta
arrival (end-to-end latency, the generator stamps its publish time into each fix) and the fan-out spread between
clients. A line per second on stderr, a JSON summary on stdout (--output jsonl: JSON lines only). Loopback only.

Options:
  -u, --url <url>               the hub's HTTP URL  (default http://127.0.0.1:8080)
  -c, --clients <n>             socket.io clients, 1–2000  (default 50)
  -d, --duration <s>            measuring time after connecting, 1–3600  (default 30)
      --layers <a,b>            layers to subscribe to  (default vehicles,collectors,sensors)
      --id-prefix <prefix>      measure only devices whose id starts with this (the load's, not the demo's)
      --connect-concurrency <n> clients connecting at once  (default 50)
      --start-at <epoch ms>     start at this wall-clock time
      --output <text|jsonl>
  -h, --help
`;

export function parseSwarmArgs(argv: readonly string[]): SwarmOptions | 'help' {
  const values = parseOptions(argv, {
    url: { type: 'string', short: 'u' },
    clients: { type: 'string', short: 'c' },
    duration: { type: 'string', short: 'd' },
    layers: { type: 'string' },
    'id-prefix': { type: 'string' },
    'connect-concurrency': { type: 'string' },
    'start-at': { type: 'string' },
    output: { type: 'string' },
  });
  if (values === 'help') return 'help';
  const url = (values.url as string | undefined) ?? 'http://127.0.0.1:8080';
  assertLoopbackUrl(url, '--url', ['http:']);
  const int = (name: string, fallback: number, min: number, max: number) =>
    optionInteger(values, name, fallback, min, max);
  const layers = String(values.layers ?? 'vehicles,collectors,sensors')
    .split(',')
    .map((l) => l.trim())
    .filter(Boolean);
  for (const l of layers) {
    if (!(LIVE_LAYERS as readonly string[]).includes(l)) {
      throw new UsageError(`unknown layer ${JSON.stringify(l)}; layers: ${LIVE_LAYERS.join(', ')}`);
    }
  }
  const output = values.output ?? 'text';
  if (output !== 'text' && output !== 'jsonl') throw new UsageError('--output must be text or jsonl');
  const startAt = values['start-at'] === undefined ? undefined : int('start-at', 0, 0, 8_640_000_000_000);
  return {
    url: url.replace(/\/$/, ''),
    clients: int('clients', 50, 1, 2000),
    durationS: int('duration', 30, 1, 3600),
    layers,
    ...(typeof values['id-prefix'] === 'string' ? { idPrefix: values['id-prefix'] } : {}),
    connectConcurrency: int('connect-concurrency', 50, 1, 2000),
    ...(startAt !== undefined ? { startAtMs: startAt } : {}),
    output,
  };
}

async function main(): Promise<number> {
  const options = readCommandLine(() => parseSwarmArgs(process.argv.slice(2)), SWARM_USAGE);
  if (typeof options === 'number') return options;
  const jsonl = options.output === 'jsonl';
  const write = (line: string) => (jsonl ? process.stdout : process.stderr).write(line + '\n');
  const budgetMs = options.durationS * 1000 + Math.max(0, (options.startAtMs ?? 0) - Date.now()) + 90_000;
  setTimeout(() => {
    process.stderr.write('error: the swarm did not finish in time; exiting\n');
    process.exit(1);
  }, budgetMs).unref();
  const stop = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => stop.abort());
  const summary = await runSwarm(options, {
    signal: stop.signal,
    onSecond: (s) =>
      write(
        jsonl
          ? JSON.stringify(s)
          : `[${String(s.tS).padStart(4)} s] clients ${s.connected}  deltas ${s.deltasPerS}/s  positions ` +
              `${s.positionsPerS}/s${s.p50Ms !== undefined ? `  fix→client p50 ${s.p50Ms} ms p99 ${s.p99Ms} ms` : ''}`,
      ),
    onNotice: (message) => write(jsonl ? JSON.stringify({ type: 'notice', message }) : `notice: ${message}`),
  });
  process.stdout.write(
    JSON.stringify(jsonl ? summary : { ...summary, seconds: undefined, histograms: undefined }, null, jsonl ? 0 : 2) +
      '\n',
  );
  return 0;
}

if (isMainModule(import.meta.url)) {
  process.exitCode = await main();
  // socket.io-client keeps no handles after disconnect, but a wedged one must not keep the process alive.
  setTimeout(() => process.exit(process.exitCode ?? 0), 2000).unref();
}
