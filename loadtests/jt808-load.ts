// JT/T 808 load generator (JT/T 808 负载生成器): many vehicle terminals in one process, each its own TCP connection to
// the hub's JT/T 808 gateway. Each terminal registers (0x0100 → 0x8100 with an auth code) and authenticates (0x0102 →
// 0x8001 result 0); once every terminal is online (or has failed), all of them send 0x0200 location reports in a
// closed loop: at most --window reports unanswered per terminal, the next one sent as soon as a 0x8001 frees a slot.
// The hub answers a report only once it is durable, so acknowledged reports/s is committed positions/s.
//
//   node --import tsx loadtests/jt808-load.ts --help
//
// Fix times: the BCD time of a 0x0200 is GMT+8 with 1-second resolution, and the hub stores one fix per (device,
// time). Every terminal's clock therefore starts --back-hours in the past and advances exactly 1 s per report, so
// its times are distinct and increasing; a terminal whose clock would reach now − 2 s stops sending (clockExhausted).
//
// Like devices/jt808-terminal.ts, it imports only the pure, I/O-free JT/T 808 codec modules from ingest/jt808/
// (framing, header, location encoding); never hub or pipeline code. Loopback only; the run stops by itself after its
// setup, --duration and --drain-timeout.
import net from 'node:net';
import { readFileSync, realpathSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Reader } from '../ingest/jt808/bytes.js';
import { encodeFrame } from '../ingest/jt808/encode.js';
import { Jt808Framer } from '../ingest/jt808/framer.js';
import { decodePacket, type Terminal } from '../ingest/jt808/header.js';
import { encodeLocation } from '../ingest/jt808/location.js';
import { encodeAuthenticationBody, encodeRegistrationBody, terminalPhone } from '../devices/jt808-terminal.js';
import { LatencyHistogram, type LatencySummary } from './histogram.js';
import { parseOpenFileLimit, UsageError } from './generator-core.js';

const MSG = {
  register: 0x0100,
  authenticate: 0x0102,
  location: 0x0200,
  platformReply: 0x8001,
  registerReply: 0x8100,
} as const;

/** Keep fix times at least this far behind the wall clock (the hub refuses times in the future). */
const CLOCK_MARGIN_MS = 2000;

export interface Jt808LoadOptions {
  host: string;
  port: number;
  terminals: number;
  /** Unanswered 0x0200 reports per terminal. */
  window: number;
  durationS: number;
  /** Phone number of terminal n: this prefix, then n zero-padded to 12 digits in all. */
  phonePrefix: string;
  /** Terminal n is numbered from this (1 by default). */
  start: number;
  /** Fix time of every terminal's first report, epoch ms (whole seconds); default now − backHours. */
  clockStartMs?: number;
  backHours: number;
  /** Connections opened at once during the setup. */
  connectConcurrency: number;
  setupTimeoutS: number;
  drainTimeoutS: number;
  output: 'text' | 'jsonl';
}

export interface Jt808SecondReport {
  type: 'second';
  tS: number;
  atMs: number;
  online: number;
  sent: number;
  acked: number;
  sentPerS: number;
  ackedPerS: number;
  inflight: number;
  p50Ms?: number;
  p99Ms?: number;
}

export interface Jt808LoadSummary {
  type: 'summary';
  options: Omit<Jt808LoadOptions, 'output'>;
  clock: { startIso: string; lastIso?: string };
  terminals: {
    requested: number;
    registered: number;
    authenticated: number;
    refused: Record<string, number>;
    connectFailed: number;
    /** Connections closed by the hub (or lost) during the run. */
    dropped: number;
    setupMs: number;
    /** Connect → 0x8001 to 0x0102, per terminal. */
    onlineMs: LatencySummary;
  };
  reports: {
    sent: number;
    /** 0x8001 result 0. */
    acked: number;
    /** 0x8001 with another result, by result. */
    failedByResult: Record<string, number>;
    lostOnDisconnect: number;
    unansweredAtEnd: number;
    /** Terminals that stopped because their fix clock caught up with the wall clock. */
    clockExhausted: number;
  };
  /** 0x0200 write → its 0x8001, all replies and those of the steady window. */
  latency: LatencySummary;
  steadyLatency: LatencySummary;
  rates: { ackedPerS: number; steadyAckedPerS?: number };
  sendStartMs: number;
  sendEndMs: number;
  steadyFromMs: number;
  lastAckMs: number;
  seconds: Jt808SecondReport[];
  generator: { cpuCores: number; eventLoopDelayP99Ms: number; peakRssMb: number };
}

type State = 'idle' | 'connecting' | 'registering' | 'authenticating' | 'online' | 'closed';

interface Totals {
  sent: number;
  acked: number;
  failedByResult: Record<string, number>;
  lostOnDisconnect: number;
  clockExhausted: number;
  registered: number;
  authenticated: number;
  refused: Record<string, number>;
  connectFailed: number;
  dropped: number;
  lastAckMs: number;
  lastFixMs: number;
}

class LoadTerminal {
  state: State = 'idle';
  sending = false;
  readonly #me: Terminal;
  #socket: net.Socket | null = null;
  #framer = new Jt808Framer();
  #serial = 0;
  /** serial → write time (performance.now() ms) of unanswered 0x0200 reports. */
  readonly inflight = new Map<number, number>();
  #nextFixMs: number;
  #connectAtMs = 0;
  #step = 0;
  readonly #lat0: number;
  readonly #lon0: number;
  #onlineDone: (() => void) | null = null;

  constructor(
    readonly n: number,
    readonly phone: string,
    clockStartMs: number,
    readonly opts: Jt808LoadOptions,
    readonly totals: Totals,
    readonly hist: { all: LatencyHistogram; second: LatencyHistogram; steady: LatencyHistogram | null },
    readonly onlineHist: LatencyHistogram,
  ) {
    this.#me = { version: 2013, phone };
    this.#nextFixMs = clockStartMs;
    // Spread over about 4 km around 泉城广场.
    this.#lat0 = 36.662 + ((n * 37) % 200) / 5000 - 0.02;
    this.#lon0 = 117.02 + ((n * 53) % 200) / 4000 - 0.025;
  }

  /** Connects, registers and authenticates; resolves when online or failed (never rejects). */
  setUp(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        if (this.state !== 'online') this.#fail('setup_timeout');
      }, timeoutMs);
      this.#onlineDone = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#connect();
    });
  }

  #settle(): void {
    const done = this.#onlineDone;
    this.#onlineDone = null;
    done?.();
  }

  #fail(reason: string): void {
    this.totals.refused[reason] = (this.totals.refused[reason] ?? 0) + 1;
    this.close();
    this.#settle();
  }

  #connect(): void {
    this.state = 'connecting';
    this.#connectAtMs = performance.now();
    const socket = net.connect({ host: this.opts.host, port: this.opts.port, noDelay: true });
    this.#socket = socket;
    socket.on('connect', () => {
      this.state = 'registering';
      const id = String(this.n).padStart(5, '0').slice(-5);
      this.#write(
        MSG.register,
        encodeRegistrationBody({
          maker: 'BENCH',
          model: 'JT808-LOAD',
          terminalId: `L${id}`,
          plateColor: 1,
          plate: `B${id}`,
        }),
      );
    });
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', () => {
      if (this.state === 'connecting') this.totals.connectFailed++;
    });
    socket.on('close', () => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      if (this.state === 'online') this.totals.dropped++;
      this.totals.lostOnDisconnect += this.inflight.size;
      this.inflight.clear();
      const wasSettling = this.state !== 'online' && this.state !== 'closed';
      this.state = 'closed';
      this.sending = false;
      if (wasSettling) this.#fail('connection_closed');
    });
  }

  #write(msgId: number, body: Buffer): number {
    const serial = this.#serial;
    this.#serial = (this.#serial + 1) & 0xffff;
    this.#socket?.write(encodeFrame(this.#me, msgId, serial, body));
    return serial;
  }

  #onData(chunk: Buffer): void {
    for (const frame of this.#framer.push(chunk)) {
      if (!frame.ok) continue;
      const packet = decodePacket(frame.message);
      if (!packet.ok) continue;
      const { header, body } = packet.value;
      try {
        const r = new Reader(body);
        if (header.msgId === MSG.registerReply) {
          r.u16('reply serial');
          const result = r.u8('result');
          if (result !== 0) return this.#fail(`register_result_${result}`);
          this.totals.registered++;
          this.state = 'authenticating';
          this.#write(MSG.authenticate, encodeAuthenticationBody(r.rest().toString('ascii')));
        } else if (header.msgId === MSG.platformReply) {
          const replySerial = r.u16('reply serial');
          const replyMsgId = r.u16('reply id');
          const result = r.u8('result');
          if (replyMsgId === MSG.authenticate) {
            if (result !== 0) return this.#fail(`auth_result_${result}`);
            this.state = 'online';
            this.totals.authenticated++;
            this.onlineHist.recordMs(performance.now() - this.#connectAtMs);
            this.#settle();
          } else if (replyMsgId === MSG.location) {
            this.#onReportReply(replySerial, result);
          }
        }
        // Anything else (0x8103 …) is not part of this load: ignored.
      } catch {
        // A malformed platform message: ignored (the counts will show missing replies).
      }
    }
  }

  #onReportReply(serial: number, result: number): void {
    const sentAt = this.inflight.get(serial);
    if (sentAt === undefined) return;
    this.inflight.delete(serial);
    if (result === 0) {
      const ms = performance.now() - sentAt;
      this.totals.acked++;
      this.totals.lastAckMs = Date.now();
      this.hist.all.recordMs(ms);
      this.hist.second.recordMs(ms);
      this.hist.steady?.recordMs(ms);
    } else {
      this.totals.failedByResult[result] = (this.totals.failedByResult[result] ?? 0) + 1;
    }
    this.fill();
  }

  /** Sends reports until the window is full (while sending is on). */
  fill(): void {
    while (this.sending && this.state === 'online' && this.inflight.size < this.opts.window) {
      if (this.#nextFixMs > Date.now() - CLOCK_MARGIN_MS) {
        this.sending = false;
        this.totals.clockExhausted++;
        return;
      }
      const k = this.#step++;
      const angle = (k % 3600) * (Math.PI / 1800);
      const body = encodeLocation({
        status: (1 << 0) | (1 << 1) | (1 << 18) | (1 << 19),
        lat: this.#lat0 + 0.002 * Math.sin(angle),
        lon: this.#lon0 + 0.002 * Math.cos(angle),
        altitudeM: 40,
        speedKmh: 30 + (k % 20),
        course: (k * 7) % 360,
        timeMs: this.#nextFixMs,
      });
      this.totals.lastFixMs = Math.max(this.totals.lastFixMs, this.#nextFixMs);
      this.#nextFixMs += 1000;
      const serial = this.#write(MSG.location, body);
      this.inflight.set(serial, performance.now());
      this.totals.sent++;
    }
  }

  close(): void {
    this.sending = false;
    const socket = this.#socket;
    // Closed by us: not a drop, and not a setup failure.
    this.state = 'closed';
    if (!socket) return;
    socket.end();
    setTimeout(() => socket.destroy(), 1000).unref();
  }
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the load and returns its summary; `report` gets a line per second. */
export async function runJt808Load(
  opts: Jt808LoadOptions,
  report: (r: Jt808SecondReport) => void = () => undefined,
): Promise<Jt808LoadSummary> {
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const clockStartMs =
    opts.clockStartMs ?? Math.floor(Date.now() / 1000) * 1000 - Math.round(opts.backHours * 3600_000);
  const totals: Totals = {
    sent: 0,
    acked: 0,
    failedByResult: {},
    lostOnDisconnect: 0,
    clockExhausted: 0,
    registered: 0,
    authenticated: 0,
    refused: {},
    connectFailed: 0,
    dropped: 0,
    lastAckMs: 0,
    lastFixMs: 0,
  };
  const hist = { all: new LatencyHistogram(), second: new LatencyHistogram(), steady: null as LatencyHistogram | null };
  const steadyHist = new LatencyHistogram();
  const onlineHist = new LatencyHistogram();
  const terminals: LoadTerminal[] = [];
  for (let i = 0; i < opts.terminals; i++) {
    const n = opts.start + i;
    terminals.push(
      new LoadTerminal(n, terminalPhone(opts.phonePrefix, n), clockStartMs, opts, totals, hist, onlineHist),
    );
  }

  // Setup: register + authenticate everyone, a bounded number of connections at a time.
  const setupStart = Date.now();
  const setupDeadline = setupStart + opts.setupTimeoutS * 1000;
  let next = 0;
  const worker = async () => {
    while (next < terminals.length) {
      const t = terminals[next++]!;
      const left = setupDeadline - Date.now();
      if (left <= 0) {
        totals.refused.setup_timeout = (totals.refused.setup_timeout ?? 0) + 1;
        continue;
      }
      await t.setUp(left);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.connectConcurrency, terminals.length) }, worker));
  const setupMs = Date.now() - setupStart;
  const online = () => terminals.reduce((s, t) => s + (t.state === 'online' ? 1 : 0), 0);
  process.stderr.write(
    `[setup] ${totals.authenticated}/${opts.terminals} terminals online in ${(setupMs / 1000).toFixed(1)} s` +
      (Object.keys(totals.refused).length ? `; refused ${JSON.stringify(totals.refused)}` : '') +
      '\n',
  );

  // Send phase: closed loop for durationS.
  const seconds: Jt808SecondReport[] = [];
  const sendStartMs = Date.now();
  const steadyFromMs = sendStartMs + 1000;
  const sendEndMs = sendStartMs + opts.durationS * 1000;
  for (const t of terminals) {
    t.sending = t.state === 'online';
    t.fill();
  }
  let prevSent = 0;
  let prevAcked = 0;
  let steadyAckedStart: { atMs: number; acked: number } | undefined;
  let tS = 0;
  while (Date.now() < sendEndMs) {
    await delay(Math.min(1000, sendEndMs - Date.now()));
    tS++;
    const atMs = Date.now();
    if (!steadyAckedStart && atMs >= steadyFromMs) {
      steadyAckedStart = { atMs, acked: totals.acked };
      hist.steady = steadyHist;
    }
    const s = hist.second.summary();
    const inflight = terminals.reduce((sum, t) => sum + t.inflight.size, 0);
    const r: Jt808SecondReport = {
      type: 'second',
      tS,
      atMs,
      online: online(),
      sent: totals.sent,
      acked: totals.acked,
      sentPerS: totals.sent - prevSent,
      ackedPerS: totals.acked - prevAcked,
      inflight,
      ...(s.count ? { p50Ms: s.p50Ms, p99Ms: s.p99Ms } : {}),
    };
    hist.second.reset();
    prevSent = totals.sent;
    prevAcked = totals.acked;
    seconds.push(r);
    report(r);
  }
  const steadyAckedEnd = { atMs: Date.now(), acked: totals.acked };
  hist.steady = null;
  for (const t of terminals) t.sending = false;

  // Drain: wait (bounded) for the replies still owed.
  const drainDeadline = Date.now() + opts.drainTimeoutS * 1000;
  const owed = () => terminals.reduce((sum, t) => sum + t.inflight.size, 0);
  while (owed() > 0 && Date.now() < drainDeadline) await delay(50);
  const unansweredAtEnd = owed();
  for (const t of terminals) t.close();
  await delay(200);

  loopDelay.disable();
  const cpu = process.cpuUsage(cpuStart);
  const wallS = (performance.now() - wallStart) / 1000;
  const steadyAckedPerS =
    steadyAckedStart && steadyAckedEnd.atMs - steadyAckedStart.atMs >= 500
      ? Math.round(
          ((steadyAckedEnd.acked - steadyAckedStart.acked) * 1000) / (steadyAckedEnd.atMs - steadyAckedStart.atMs),
        )
      : undefined;
  const { output: _output, ...options } = opts;
  return {
    type: 'summary',
    options: { ...options, clockStartMs },
    clock: {
      startIso: new Date(clockStartMs).toISOString(),
      ...(totals.lastFixMs ? { lastIso: new Date(totals.lastFixMs).toISOString() } : {}),
    },
    terminals: {
      requested: opts.terminals,
      registered: totals.registered,
      authenticated: totals.authenticated,
      refused: totals.refused,
      connectFailed: totals.connectFailed,
      dropped: totals.dropped,
      setupMs,
      onlineMs: onlineHist.summary(),
    },
    reports: {
      sent: totals.sent,
      acked: totals.acked,
      failedByResult: totals.failedByResult,
      lostOnDisconnect: totals.lostOnDisconnect,
      unansweredAtEnd,
      clockExhausted: totals.clockExhausted,
    },
    latency: hist.all.summary(),
    steadyLatency: steadyHist.summary(),
    rates: {
      ackedPerS: Math.round((totals.acked * 1000) / Math.max(1, Math.max(totals.lastAckMs, sendEndMs) - sendStartMs)),
      ...(steadyAckedPerS !== undefined ? { steadyAckedPerS } : {}),
    },
    sendStartMs,
    sendEndMs,
    steadyFromMs,
    lastAckMs: totals.lastAckMs,
    seconds,
    generator: {
      cpuCores: Math.round(((cpu.user + cpu.system) / 1e6 / Math.max(0.001, wallS)) * 100) / 100,
      eventLoopDelayP99Ms: Math.round(loopDelay.percentile(99) / 1e4) / 100,
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    },
  };
}

// ───────────────────────────── command line ─────────────────────────────

export const JT808_LOAD_USAGE = `Usage: node --import tsx loadtests/jt808-load.ts --port <port> [options]

Many JT/T 808 terminals (one TCP connection each) against a hub's gateway on 127.0.0.1: register, authenticate, then
0x0200 reports in a closed loop (at most --window unanswered per terminal) for --duration seconds.
The terminals must be devices of the hub with attributes.jt808Phone = <phone prefix><n, zero-padded to 12 digits>.

      --host <addr>             127.0.0.1 (loopback only)
      --port <port>             the hub's JT808_PORT (required)
      --terminals <n>           (default 100, at most 20000)
      --start <n>               number of the first terminal (default 1)
      --phone-prefix <digits>   (default 1390)
      --window <n>              unanswered reports per terminal (default 8, at most 64)
      --duration <s>            send phase (default 20, at most 3600)
      --back-hours <h>          fix clock starts this far in the past, +1 s per report (default 6)
      --clock-start-ms <ms>     or exactly here (epoch ms; whole seconds)
      --connect-concurrency <n> connections set up at a time (default 200)
      --setup-timeout <s>       (default 60)
      --drain-timeout <s>       wait for owed replies after the send phase (default 10)
      --output text|jsonl       jsonl: per-second lines and the summary as JSON on stdout (default text)
  -h, --help
`;

const LOAD_ARG_SPEC = {
  host: { type: 'string' },
  port: { type: 'string' },
  terminals: { type: 'string' },
  start: { type: 'string' },
  'phone-prefix': { type: 'string' },
  window: { type: 'string' },
  duration: { type: 'string' },
  'back-hours': { type: 'string' },
  'clock-start-ms': { type: 'string' },
  'connect-concurrency': { type: 'string' },
  'setup-timeout': { type: 'string' },
  'drain-timeout': { type: 'string' },
  output: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function parseJt808LoadArgs(argv: readonly string[]): Jt808LoadOptions | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options: LOAD_ARG_SPEC, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return 'help';
  const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const num = (k: string, def: number | undefined, min: number, max: number, integer = true): number => {
    const raw = str(k);
    if (raw === undefined) {
      if (def === undefined) throw new UsageError(`--${k} is required`);
      return def;
    }
    const n = Number(raw);
    if (!Number.isFinite(n) || (integer && !Number.isSafeInteger(n)) || n < min || n > max) {
      throw new UsageError(`--${k} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${raw}`);
    }
    return n;
  };
  const host = str('host') ?? '127.0.0.1';
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
    throw new UsageError(`--host must be a loopback address, got ${host}`);
  }
  const output = str('output') ?? 'text';
  if (output !== 'text' && output !== 'jsonl') throw new UsageError('--output is text or jsonl');
  const opts: Jt808LoadOptions = {
    host: host === 'localhost' ? '127.0.0.1' : host,
    port: num('port', undefined, 1, 65535),
    terminals: num('terminals', 100, 1, 20_000),
    start: num('start', 1, 0, 99_999_999),
    phonePrefix: str('phone-prefix') ?? '1390',
    window: num('window', 8, 1, 64),
    durationS: num('duration', 20, 1, 3600),
    backHours: num('back-hours', 6, 0.01, 24 * 30, false),
    connectConcurrency: num('connect-concurrency', 200, 1, 5000),
    setupTimeoutS: num('setup-timeout', 60, 1, 600),
    drainTimeoutS: num('drain-timeout', 10, 0, 600),
    output,
  };
  const clockStart = str('clock-start-ms');
  if (clockStart !== undefined) {
    const ms = num('clock-start-ms', undefined, Date.UTC(2001, 0, 1), Date.now());
    opts.clockStartMs = Math.floor(ms / 1000) * 1000;
  }
  try {
    terminalPhone(opts.phonePrefix, opts.start + opts.terminals - 1);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return opts;
}

function checkOpenFiles(terminals: number): void {
  try {
    const limit = parseOpenFileLimit(readFileSyncSafe('/proc/self/limits'));
    if (limit !== undefined && terminals + 64 > limit) {
      throw new UsageError(`${terminals} terminals need more open files than the limit ${limit} (ulimit -n)`);
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
  }
}

function readFileSyncSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

async function main(): Promise<number> {
  let opts: Jt808LoadOptions | 'help';
  try {
    opts = parseJt808LoadArgs(process.argv.slice(2));
    if (opts !== 'help') checkOpenFiles(opts.terminals);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`error: ${err.message}\nRun with --help for usage.\n`);
    return 2;
  }
  if (opts === 'help') {
    process.stdout.write(JT808_LOAD_USAGE);
    return 0;
  }
  const jsonl = opts.output === 'jsonl';
  const summary = await runJt808Load(opts, (r) => {
    const lat = r.p50Ms !== undefined ? `  reply p50 ${r.p50Ms} ms p99 ${r.p99Ms} ms` : '';
    process.stderr.write(
      `[${String(r.tS).padStart(4)} s] online ${r.online}  sent ${r.sentPerS}/s  acked ${r.ackedPerS}/s  ` +
        `in flight ${r.inflight}${lat}\n`,
    );
    if (jsonl) process.stdout.write(JSON.stringify(r) + '\n');
  });
  process.stdout.write(jsonl ? JSON.stringify(summary) + '\n' : JSON.stringify(summary, null, 1) + '\n');
  return summary.reports.acked > 0 ? 0 : 1;
}

const isMain = (() => {
  try {
    return realpathSync(process.argv[1] ?? '') === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
})();
if (isMain) process.exitCode = await main();
