// JT/T 808 terminal simulator (车载终端模拟器): N simulated vehicle terminals, each a real TCP client of the hub's JT/T
// 808 gateway, driving the Jinan old-town routes like the MQTT vehicle simulator. Each terminal registers (0x0100),
// keeps the auth code, authenticates (0x0102), heartbeats (0x0002) and reports a fix (0x0200) every interval, and
// counts the platform's 0x8001 answers.
//
// It never imports hub or ingest pipeline code. The ONE exception: it imports the pure, I/O-free JT/T 808 codec
// modules under `ingest/jt808/` (framing, header, location encoding) to build and parse frames, so the simulator and
// the gateway share byte-level code; the terminal-side message bodies (0x0100, 0x0102, 0x0001, 0x0104, 0x0704) and the
// platform-side ones it reads (0x8100, 0x8001, 0x8103) are built and parsed here.
//
// Protocol behaviour worth knowing:
// - Fixes are taken every interval whether or not the terminal is online. Offline (a coverage gap, a lost connection)
//   they are buffered (up to maxOfflineFixes) and, once the terminal has authenticated again, re-sent as 0x0704 batches
//   of type 1 (blind-area, 盲区补传) with their original times. Reports sent but not answered when the connection drops
//   go back into that buffer too, as do reports the platform answered with result 1 (failed).
// - 0x8103 with parameter 0x0029 changes the report interval; the terminal answers 0x0001. 0x8104 gets a 0x0104.
// - Plates are ASCII (`A00001`): Node has no GBK encoder, so the province character (鲁) is left out.
import net from 'node:net';
import { pino, type Logger } from 'pino';
import { Reader } from '../ingest/jt808/bytes.js';
import { encodeFrame } from '../ingest/jt808/encode.js';
import { Jt808Framer } from '../ingest/jt808/framer.js';
import { decodePacket, type Terminal } from '../ingest/jt808/header.js';
import { encodeLocation } from '../ingest/jt808/location.js';
import { JINAN_OLD_TOWN_ROUTES, type VehicleRoute } from './routes/jinan-old-town.js';
import { hashString, seededRandom, SimulatedVehicle, type PositionFix } from './vehicle.js';
import { MSG } from '../ingest/jt808/decode.js';

// Message ids from the codec's own table, so the simulator and the gateway cannot disagree on them.
const ID = MSG;
const REPORT_INTERVAL_PARAM = 0x0029;
const HEARTBEAT_PARAM = 0x0001;
/** 0x0704 items per batch: 2 + 28 bytes each keeps a batch inside one package (body ≤ 1023 bytes). */
const BATCH_ITEMS = 25;

// ---- terminal-side message bodies (2013 layout) -------------------------------------------------------------------

function fixedAscii(text: string, bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  out.write(text.slice(0, bytes), 'ascii');
  return out;
}

/** 0x0100 body, 2013 widths: maker 5, model 20, terminal id 7; ASCII text only. */
export function encodeRegistrationBody(r: {
  provinceId?: number;
  cityId?: number;
  maker: string;
  model: string;
  terminalId: string;
  plateColor: number;
  plate: string;
}): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(r.provinceId ?? 37, 0);
  head.writeUInt16BE(r.cityId ?? 100, 2);
  return Buffer.concat([
    head,
    fixedAscii(r.maker, 5),
    fixedAscii(r.model, 20),
    fixedAscii(r.terminalId, 7),
    Buffer.of(r.plateColor),
    Buffer.from(r.plate, 'ascii'),
  ]);
}

/** 0x0102 body, 2013 layout: the auth code and nothing else. */
export function encodeAuthenticationBody(authCode: string): Buffer {
  return Buffer.from(authCode, 'ascii');
}

/** 0x0001 body: the platform serial and message id answered, and the result. */
export function encodeTerminalReplyBody(replySerial: number, replyMsgId: number, result: number): Buffer {
  const out = Buffer.alloc(5);
  out.writeUInt16BE(replySerial & 0xffff, 0);
  out.writeUInt16BE(replyMsgId & 0xffff, 2);
  out.writeUInt8(result, 4);
  return out;
}

/** 0x0704 body: count, type (0 normal, 1 blind-area re-send), then each 0x0200 body prefixed by its length. */
export function encodeBatchBody(batchType: number, locations: Buffer[]): Buffer {
  const head = Buffer.alloc(3);
  head.writeUInt16BE(locations.length, 0);
  head.writeUInt8(batchType, 2);
  const parts: Buffer[] = [head];
  for (const l of locations) {
    const len = Buffer.alloc(2);
    len.writeUInt16BE(l.length, 0);
    parts.push(len, l);
  }
  return Buffer.concat(parts);
}

/** 0x0104 body: the 0x8104 serial answered and u32 parameters. */
export function encodeParameterReplyBody(replySerial: number, params: { id: number; value: number }[]): Buffer {
  const parts: Buffer[] = [Buffer.alloc(3)];
  parts[0]!.writeUInt16BE(replySerial & 0xffff, 0);
  parts[0]!.writeUInt8(params.length, 2);
  for (const p of params) {
    const b = Buffer.alloc(9);
    b.writeUInt32BE(p.id >>> 0, 0);
    b.writeUInt8(4, 4);
    b.writeUInt32BE(p.value >>> 0, 5);
    parts.push(b);
  }
  return Buffer.concat(parts);
}

/** A fix as a 0x0200 body: positioned, GPS + BeiDou, ACC on. */
export function fixToLocationBody(fix: PositionFix): Buffer {
  const course = Math.round(fix.course) % 360;
  return encodeLocation({
    status: (1 << 0) | (1 << 1) | (1 << 18) | (1 << 19),
    lat: fix.lat,
    lon: fix.lon,
    altitudeM: Math.max(0, Math.round(fix.altitudeM)),
    speedKmh: Math.max(0, fix.speedKmh),
    course,
    timeMs: fix.time.getTime(),
  });
}

// ---- the simulator ------------------------------------------------------------------------------------------------

export interface Jt808TerminalOptions {
  host: string;
  port: number;
  /** Number of terminals (and TCP connections), 1–1000. */
  count: number;
  /** Milliseconds between two fixes of one terminal, >= 10 (0x8103 / 0x0029 changes it, in whole seconds). */
  intervalMs: number;
  /** Phone numbers (终端手机号) are this prefix followed by the terminal number, zero-padded to 12 digits. */
  phonePrefix: string;
  logger?: Logger;
  /** Default JINAN_OLD_TOWN_ROUTES, assigned round-robin. */
  routes?: readonly VehicleRoute[];
  seed?: number;
  /** Default 30 000. */
  heartbeatMs?: number;
  /** Delay before reconnecting after a lost connection. Default 2000. */
  reconnectMs?: number;
  /** Fixes kept per terminal while offline. Default 1000. */
  maxOfflineFixes?: number;
}

export interface Jt808TerminalStats {
  /** Terminals with an open TCP connection. */
  connected: number;
  /** Terminals authenticated on their current connection. */
  authenticated: number;
  /** Successful registrations (0x8100 result 0). */
  registered: number;
  /** Fixes sent live in 0x0200. */
  sent: number;
  /** Fixes sent in 0x0704 blind-area batches. */
  resent: number;
  /** Fixes the platform answered with result 0. */
  acknowledged: number;
  /** Fixes answered with a result other than 0. */
  failed: number;
  /** Fixes waiting in offline buffers now. */
  buffered: number;
  /** Fixes dropped because an offline buffer was full. */
  dropped: number;
  heartbeats: number;
  /** 0x8103 / 0x8104 commands received. */
  commands: number;
  /** Successful authentications (each reconnect counts again). */
  authentications: number;
}

export interface Jt808TerminalInfo {
  phone: string;
  state: TerminalState;
  intervalMs: number;
  authCode: string | null;
  buffered: number;
}

export interface Jt808Terminals {
  /** A coverage gap (信号盲区): the chosen terminal (default all) disconnects, keeps its fixes, reconnects after `ms`. */
  gap(ms: number, index?: number): void;
  terminals(): Jt808TerminalInfo[];
  stats(): Jt808TerminalStats;
  stop(): Promise<void>;
}

type TerminalState = 'connecting' | 'registering' | 'authenticating' | 'online' | 'offline' | 'gap' | 'stopped';

interface Pending {
  msgId: number;
  fixes: PositionFix[];
}

interface Totals {
  registered: number;
  sent: number;
  resent: number;
  acknowledged: number;
  failed: number;
  dropped: number;
  heartbeats: number;
  commands: number;
  authentications: number;
}

class SimTerminal {
  state: TerminalState = 'offline';
  authCode: string | null = null;
  intervalMs: number;
  readonly buffer: PositionFix[] = [];
  #socket: net.Socket | null = null;
  #framer = new Jt808Framer();
  #serial = 0;
  readonly #pending = new Map<number, Pending>();
  #reportTimer: NodeJS.Timeout | null = null;
  #heartbeatTimer: NodeJS.Timeout | null = null;
  #reconnectTimer: NodeJS.Timeout | null = null;
  #lastTickMs = Date.now();
  readonly #me: Terminal;
  readonly #closed = new Set<() => void>();

  constructor(
    readonly phone: string,
    readonly n: number,
    readonly vehicle: SimulatedVehicle,
    readonly opts: Required<
      Pick<Jt808TerminalOptions, 'host' | 'port' | 'heartbeatMs' | 'reconnectMs' | 'maxOfflineFixes'>
    >,
    intervalMs: number,
    readonly totals: Totals,
    readonly log: Logger,
  ) {
    this.intervalMs = intervalMs;
    this.#me = { version: 2013, phone };
  }

  get connected(): boolean {
    return this.#socket !== null && !this.#socket.destroyed && this.state !== 'connecting';
  }

  start(): void {
    this.#lastTickMs = Date.now();
    this.#scheduleReport();
    this.#connect();
  }

  #scheduleReport(): void {
    if (this.#reportTimer) clearTimeout(this.#reportTimer);
    this.#reportTimer = setTimeout(() => this.#tick(), this.intervalMs);
  }

  #tick(): void {
    if (this.state === 'stopped') return;
    const nowMs = Date.now();
    const fix = this.vehicle.advance(Math.max(0, nowMs - this.#lastTickMs), new Date(nowMs));
    this.#lastTickMs = nowMs;
    if (this.state === 'online') {
      this.#send(ID.location, fixToLocationBody(fix), [fix]);
      this.totals.sent++;
    } else {
      this.#bufferFixes([fix]);
    }
    this.#scheduleReport();
  }

  #bufferFixes(fixes: PositionFix[]): void {
    this.buffer.push(...fixes);
    this.buffer.sort((a, b) => a.time.getTime() - b.time.getTime());
    const over = this.buffer.length - this.opts.maxOfflineFixes;
    if (over > 0) {
      this.buffer.splice(0, over);
      this.totals.dropped += over;
    }
  }

  #send(msgId: number, body: Buffer, fixes: PositionFix[] | null = null): number {
    const serial = this.#serial;
    this.#serial = (this.#serial + 1) & 0xffff;
    this.#pending.set(serial, { msgId, fixes: fixes ?? [] });
    this.#socket?.write(encodeFrame(this.#me, msgId, serial, body));
    return serial;
  }

  #connect(): void {
    if (this.state === 'stopped') return;
    this.state = 'connecting';
    this.#framer = new Jt808Framer();
    const socket = net.connect({ host: this.opts.host, port: this.opts.port, noDelay: true });
    this.#socket = socket;
    socket.on('connect', () => {
      if (this.authCode) {
        this.state = 'authenticating';
        this.#send(ID.authenticate, encodeAuthenticationBody(this.authCode));
      } else {
        this.state = 'registering';
        const id = String(this.n).padStart(5, '0');
        this.#send(
          ID.register,
          encodeRegistrationBody({
            maker: 'CITYH',
            model: 'SIM-808',
            terminalId: `T${id}`.slice(0, 7),
            plateColor: 1,
            plate: `A${id}`,
          }),
        );
      }
    });
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.#framer.push(chunk)) {
        if (!frame.ok) {
          this.log.warn({ phone: this.phone, code: frame.code }, 'bad frame from platform');
          continue;
        }
        const packet = decodePacket(frame.message);
        if (!packet.ok) {
          this.log.warn({ phone: this.phone, err: packet.error.message }, 'undecodable message from platform');
          continue;
        }
        this.#onMessage(packet.value.header.msgId, packet.value.header.serial, packet.value.body);
      }
    });
    socket.on('error', (err) => this.log.debug({ phone: this.phone, err: err.message }, 'terminal socket error'));
    socket.on('close', () => this.#onClose(socket));
  }

  #onClose(socket: net.Socket): void {
    if (this.#socket !== socket) return;
    this.#socket = null;
    if (this.#heartbeatTimer) clearInterval(this.#heartbeatTimer);
    this.#heartbeatTimer = null;
    // Reports that never got an answer are kept for the blind-area re-send.
    const unanswered: PositionFix[] = [];
    for (const p of this.#pending.values()) unanswered.push(...p.fixes);
    this.#pending.clear();
    if (unanswered.length > 0) this.#bufferFixes(unanswered);
    for (const done of this.#closed) done();
    this.#closed.clear();
    if (this.state === 'stopped' || this.state === 'gap') return;
    this.state = 'offline';
    this.#reconnectTimer = setTimeout(() => this.#connect(), this.opts.reconnectMs);
  }

  #onMessage(msgId: number, serial: number, body: Buffer): void {
    try {
      const r = new Reader(body);
      switch (msgId) {
        case ID.registerReply: {
          const replySerial = r.u16('reply serial');
          const result = r.u8('result');
          this.#pending.delete(replySerial);
          if (result !== 0) {
            this.log.error({ phone: this.phone, result }, 'registration refused');
            this.#socket?.end();
            return;
          }
          this.authCode = r.rest().toString('ascii');
          this.totals.registered++;
          this.state = 'authenticating';
          this.#send(ID.authenticate, encodeAuthenticationBody(this.authCode));
          return;
        }
        case ID.platformReply: {
          const replySerial = r.u16('reply serial');
          const replyMsgId = r.u16('reply id');
          const result = r.u8('result');
          const pending = this.#pending.get(replySerial);
          this.#pending.delete(replySerial);
          if (replyMsgId === ID.authenticate) return this.#onAuthenticated(result);
          if (!pending || pending.fixes.length === 0) return;
          if (result === 0) {
            this.totals.acknowledged += pending.fixes.length;
          } else {
            this.totals.failed += pending.fixes.length;
            this.log.warn({ phone: this.phone, result, msgId: pending.msgId }, 'report not accepted');
            // Result 1 (failed, e.g. storage down): keep them for later; 2/3 would only be refused again.
            if (result === 1) this.#bufferFixes(pending.fixes);
          }
          return;
        }
        case ID.setParameters: {
          this.totals.commands++;
          const count = r.u8('parameter count');
          for (let i = 0; i < count; i++) {
            const id = r.u32('parameter id');
            const value = r.bytes(r.u8('parameter length'), 'parameter value');
            if (id === REPORT_INTERVAL_PARAM && value.length > 0 && value.length <= 4) {
              const seconds = value.readUIntBE(0, value.length);
              if (seconds > 0) {
                this.intervalMs = seconds * 1000;
                this.log.info({ phone: this.phone, seconds }, 'report interval changed');
                this.#scheduleReport();
              }
            }
          }
          this.#send(ID.terminalReply, encodeTerminalReplyBody(serial, msgId, 0));
          return;
        }
        case ID.queryParameters: {
          this.totals.commands++;
          this.#send(
            ID.parameterReply,
            encodeParameterReplyBody(serial, [
              { id: HEARTBEAT_PARAM, value: Math.round(this.opts.heartbeatMs / 1000) },
              { id: REPORT_INTERVAL_PARAM, value: Math.max(1, Math.round(this.intervalMs / 1000)) },
            ]),
          );
          return;
        }
        default:
          this.#send(ID.terminalReply, encodeTerminalReplyBody(serial, msgId, 3));
      }
    } catch (err) {
      this.log.warn({ phone: this.phone, msgId, err: (err as Error).message }, 'bad message from platform');
    }
  }

  #onAuthenticated(result: number): void {
    if (result !== 0) {
      // The auth code is no longer good (platform reset, terminal re-provisioned): register again next time.
      this.log.warn({ phone: this.phone, result }, 'authentication refused; will register again');
      this.authCode = null;
      this.#socket?.end();
      return;
    }
    this.state = 'online';
    this.totals.authentications++;
    this.#heartbeatTimer = setInterval(() => {
      if (this.state !== 'online') return;
      this.#send(ID.heartbeat, Buffer.alloc(0));
      this.totals.heartbeats++;
    }, this.opts.heartbeatMs);
    this.#flushBuffer();
  }

  #flushBuffer(): void {
    while (this.buffer.length > 0 && this.state === 'online') {
      const fixes = this.buffer.splice(0, BATCH_ITEMS);
      this.#send(ID.locationBatch, encodeBatchBody(1, fixes.map(fixToLocationBody)), fixes);
      this.totals.resent += fixes.length;
    }
  }

  gap(ms: number): void {
    if (this.state === 'stopped') return;
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    this.state = 'gap';
    this.#socket?.destroy();
    this.#reconnectTimer = setTimeout(() => this.#connect(), ms);
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
    for (const t of [this.#reportTimer, this.#reconnectTimer]) if (t) clearTimeout(t);
    if (this.#heartbeatTimer) clearInterval(this.#heartbeatTimer);
    const socket = this.#socket;
    if (!socket || socket.destroyed) return;
    const closed = new Promise<void>((resolve) => this.#closed.add(resolve));
    socket.end();
    setTimeout(() => socket.destroy(), 1000).unref();
    await closed;
  }
}

/** Phone number of terminal n: the prefix, then n zero-padded to 12 digits in all. */
export function terminalPhone(prefix: string, n: number): string {
  const digits = 12 - prefix.length;
  const num = String(n);
  if (!/^\d*$/.test(prefix) || num.length > digits) {
    throw new RangeError(`phone prefix must be digits leaving room for ${num.length} more (12 in all): ${prefix}`);
  }
  return prefix + num.padStart(digits, '0');
}

/** Starts `count` terminals in the background; throws a RangeError on invalid options. */
export function startJt808Terminals(options: Jt808TerminalOptions): Jt808Terminals {
  const { host, port, count, intervalMs, phonePrefix, routes = JINAN_OLD_TOWN_ROUTES, seed = 0 } = options;
  if (!Number.isInteger(count) || count < 1 || count > 1000) throw new RangeError('count must be 1–1000');
  if (!Number.isFinite(intervalMs) || intervalMs < 10) throw new RangeError('intervalMs must be >= 10');
  if (routes.length === 0) throw new RangeError('at least one route is needed');
  terminalPhone(phonePrefix, count);
  const log = (options.logger ?? pino({ name: 'jt808-sim' })).child({ component: 'jt808-sim' });
  const opts = {
    host,
    port,
    heartbeatMs: options.heartbeatMs ?? 30_000,
    reconnectMs: options.reconnectMs ?? 2000,
    maxOfflineFixes: options.maxOfflineFixes ?? 1000,
  };
  const totals: Totals = {
    registered: 0,
    sent: 0,
    resent: 0,
    acknowledged: 0,
    failed: 0,
    dropped: 0,
    heartbeats: 0,
    commands: 0,
    authentications: 0,
  };
  const terminals: SimTerminal[] = [];
  for (let i = 0; i < count; i++) {
    const n = i + 1;
    const phone = terminalPhone(phonePrefix, n);
    const route = routes[i % routes.length]!;
    const k = Math.floor(i / routes.length);
    const vehicle = new SimulatedVehicle({
      deviceId: phone,
      route,
      random: seededRandom(hashString(phone) ^ seed),
      startOffsetM: k * 397,
    });
    const t = new SimTerminal(phone, n, vehicle, opts, intervalMs, totals, log);
    terminals.push(t);
    t.start();
  }
  log.info({ count, host, port, intervalMs }, 'jt808 terminals started');

  return {
    gap(ms, index) {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError('gap must be >= 0 ms');
      const chosen = index === undefined ? terminals : terminals.slice(index, index + 1);
      for (const t of chosen) t.gap(ms);
    },
    terminals() {
      return terminals.map((t) => ({
        phone: t.phone,
        state: t.state,
        intervalMs: t.intervalMs,
        authCode: t.authCode,
        buffered: t.buffer.length,
      }));
    },
    stats() {
      let connected = 0;
      let authenticated = 0;
      let buffered = 0;
      for (const t of terminals) {
        if (t.connected) connected++;
        if (t.state === 'online') authenticated++;
        buffered += t.buffer.length;
      }
      return { connected, authenticated, buffered, ...totals };
    },
    async stop() {
      await Promise.all(terminals.map((t) => t.stop()));
      log.info(totals, 'jt808 terminals stopped');
    },
  };
}
