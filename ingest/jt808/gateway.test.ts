// Protocol-level tests of the JT/T 808 gateway over real TCP on 127.0.0.1. The sinks are a small in-memory recorder:
// these tests are about the wire protocol; the hub-level test with the real database wires the real sinks.
import net from 'node:net';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  encodeAuthenticationBody,
  encodeBatchBody,
  encodeRegistrationBody,
  encodeTerminalReplyBody,
} from '../../devices/jt808-terminal.js';
import { waitFor } from '../../test/support/wait.js';
import type { Observation } from '../observation.js';
import { escape, FLAG, Reader, xor } from './bytes.js';
import { encodeFrame } from './encode.js';
import { Jt808Framer } from './framer.js';
import { decodePacket, type Header, type Terminal } from './header.js';
import { encodeLocation } from './location.js';
import { startJt808Gateway, type Jt808Gateway, type Jt808GatewayOptions, type Jt808Sinks } from './gateway.js';

const PHONE = '013800138000';
const ME: Terminal = { version: 2013, phone: PHONE };
const LIMITS = { maxFutureSkewMs: 5 * 60_000, maxAgeMs: 30 * 86_400_000 };

interface Recorder extends Jt808Sinks {
  /** Accepted data (positions), per call. */
  accepted: Observation[][];
  /** Terminals recorded online or offline, in order. */
  states: { deviceId: string; state: string; address: unknown }[];
  badFrames: string[];
  rejections: { deviceId: string | null; reason: string }[];
  acks: { deviceId: string; replySerial: number; replyMsgId: number; result: number; commandId?: string }[];
}

function recorder(): Recorder {
  const r: Recorder = {
    accepted: [],
    states: [],
    badFrames: [],
    rejections: [],
    acks: [],
    register: async (phone) => ({ ok: true, authCode: `auth-${phone}` }),
    authenticate: async (phone, code) => (code === `auth-${phone}` ? `veh-${phone}` : null),
    accept: async (obs) => {
      const data = obs.filter((o) => o.type !== 'status');
      for (const o of obs) {
        if (o.type === 'status') r.states.push({ deviceId: o.deviceId, state: o.state, address: o.attributes.address });
      }
      if (data.length > 0) r.accepted.push(data);
    },
    rejected: (deviceId, reason) => r.rejections.push({ deviceId, reason }),
    badFrame: (reason) => r.badFrames.push(reason),
    ack: (deviceId, replySerial, replyMsgId, result, extra) =>
      r.acks.push({ deviceId, replySerial, replyMsgId, result, ...extra }),
  };
  return r;
}

interface Received {
  header: Header;
  body: Buffer;
}

/** A bare TCP terminal: sends frames, collects the platform's messages, notices the close. */
class RawTerminal {
  readonly socket: net.Socket;
  readonly received: Received[] = [];
  closed = false;
  #serial = 100;
  #framer = new Jt808Framer();
  #waiters: (() => void)[] = [];

  constructor(port: number) {
    this.socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
    this.socket.on('data', (chunk: Buffer) => {
      for (const f of this.#framer.push(chunk)) {
        if (!f.ok) throw new Error(`bad frame from gateway: ${f.error.message}`);
        const p = decodePacket(f.message);
        if (!p.ok) throw new Error(p.error.message);
        this.received.push(p.value);
      }
      this.#wake();
    });
    this.socket.on('error', () => undefined);
    this.socket.on('close', () => {
      this.closed = true;
      this.#wake();
    });
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  ready(): Promise<void> {
    return new Promise((resolve) => this.socket.once('connect', () => resolve()));
  }

  frame(msgId: number, body: Buffer, serial = this.#serial++): { serial: number; bytes: Buffer } {
    return { serial, bytes: encodeFrame(ME, msgId, serial, body) };
  }

  send(msgId: number, body: Buffer): number {
    const f = this.frame(msgId, body);
    this.socket.write(f.bytes);
    return f.serial;
  }

  /** Waits for a platform message matching `pred`, returning (and removing) it. */
  async next(pred: (m: Received) => boolean, timeoutMs = 3000): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.received.findIndex(pred);
      if (i >= 0) return this.received.splice(i, 1)[0]!;
      if (this.closed) throw new Error('connection closed while waiting');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a platform message');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The 0x8001 answering `serial`, decoded. */
  async generalReply(serial: number): Promise<{ replySerial: number; replyMsgId: number; result: number }> {
    const m = await this.next((x) => x.header.msgId === 0x8001 && x.body.readUInt16BE(0) === serial);
    const r = new Reader(m.body);
    return { replySerial: r.u16(), replyMsgId: r.u16(), result: r.u8() };
  }

  async waitClosed(timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('connection not closed');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** 0x0100 → 0x8100 → 0x0102 → 0x8001. */
  async login(): Promise<string> {
    const reg = this.send(
      0x0100,
      encodeRegistrationBody({ maker: 'ACME', model: 'M1', terminalId: 'T000001', plateColor: 1, plate: 'A12345' }),
    );
    const answer = await this.next((m) => m.header.msgId === 0x8100);
    expect(answer.header.phone).toBe(PHONE);
    expect(answer.body.readUInt16BE(0)).toBe(reg);
    expect(answer.body[2]).toBe(0);
    const code = answer.body.subarray(3).toString('ascii');
    const auth = this.send(0x0102, encodeAuthenticationBody(code));
    expect(await this.generalReply(auth)).toEqual({ replySerial: auth, replyMsgId: 0x0102, result: 0 });
    return code;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The same frame with a wrong check code (escaped properly, so only the check code is wrong). */
function withBadCheckCode(frame: Buffer): Buffer {
  const [f] = new Jt808Framer().push(frame);
  if (!f?.ok) throw new Error('not a good frame');
  const wrong = xor(f.message) ^ 0xff;
  return Buffer.concat([Buffer.of(FLAG), escape(Buffer.concat([f.message, Buffer.of(wrong)])), Buffer.of(FLAG)]);
}

const sec = (ms: number): number => Math.floor(ms / 1000) * 1000;

describe('JT/T 808 gateway', () => {
  let gateway: Jt808Gateway;
  let sinks: Recorder;
  const clients: RawTerminal[] = [];

  async function start(extra: Partial<Jt808GatewayOptions> = {}): Promise<void> {
    sinks = recorder();
    gateway = await startJt808Gateway({
      host: '127.0.0.1',
      port: 0,
      log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
      limits: LIMITS,
      sinks,
      ...extra,
    });
  }

  async function terminal(): Promise<RawTerminal> {
    const t = new RawTerminal(gateway.port);
    clients.push(t);
    await t.ready();
    return t;
  }

  beforeEach(async () => {
    await start();
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await gateway.close();
  });

  it('register → authenticate → 0x0200: the position is accepted with its own time, then acknowledged', async () => {
    const t = await terminal();
    await t.login();
    expect(gateway.connections()).toEqual({ total: 1, authenticated: 1 });
    const fixTime = sec(Date.now() - 60_000);
    const serial = t.send(0x0200, encodeLocation({ lat: 36.6612, lon: 117.0203, speedKmh: 23.5, timeMs: fixTime }));
    const reply = await t.generalReply(serial);
    expect(reply).toEqual({ replySerial: serial, replyMsgId: 0x0200, result: 0 });
    expect(sinks.accepted).toHaveLength(1);
    const [p] = sinks.accepted[0]!;
    expect(p).toMatchObject({ type: 'position', deviceId: `veh-${PHONE}`, timeMs: fixTime, source: 'jt808' });
    expect(p).toMatchObject({ lat: 36.6612, lon: 117.0203, speedKmh: 23.5 });
  });

  it('answers 0x8001 only once accept has resolved, and result 1 when it fails', async () => {
    let release: () => void = () => undefined;
    sinks.accept = () => new Promise<void>((resolve) => (release = resolve));
    const t = await terminal();
    await t.login();
    const serial = t.send(0x0200, encodeLocation({ lat: 36.66, lon: 117.02, timeMs: sec(Date.now()) }));
    await new Promise((r) => setTimeout(r, 200));
    expect(t.received.filter((m) => m.header.msgId === 0x8001)).toHaveLength(0);
    release();
    expect((await t.generalReply(serial)).result).toBe(0);

    sinks.accept = () => Promise.reject(new Error('database down'));
    const again = t.send(0x0200, encodeLocation({ lat: 36.66, lon: 117.02, timeMs: sec(Date.now()) }));
    expect((await t.generalReply(again)).result).toBe(1);
  });

  it('records a terminal online when it authenticates and offline when its connection goes', async () => {
    const t = await terminal();
    await t.login();
    const veh = `veh-${PHONE}`;
    expect(sinks.states).toEqual([
      { deviceId: veh, state: 'online', address: expect.stringMatching(/^127\.0\.0\.1:/) },
    ]);
    t.close();
    await waitFor('the offline state', () => sinks.states.length === 2, 3000);
    expect(sinks.states[1]).toMatchObject({ deviceId: veh, state: 'offline' });
  });

  it('does not record offline a terminal whose old connection a new one replaced; logging out does', async () => {
    const veh = `veh-${PHONE}`;
    const first = await terminal();
    await first.login();
    const second = await terminal();
    await second.login();
    await first.waitClosed();
    // Give the old connection's close every chance to be (wrongly) recorded.
    await new Promise((r) => setTimeout(r, 100));
    expect(sinks.states.map((x) => x.state)).toEqual(['online', 'online']);
    expect(gateway.connections()).toEqual({ total: 1, authenticated: 1 });

    const serial = second.send(0x0003, Buffer.alloc(0));
    expect((await second.generalReply(serial)).result).toBe(0);
    expect(sinks.states.at(-1)).toMatchObject({ deviceId: veh, state: 'offline' });
    // Logged out: its connection closing afterwards records nothing more.
    second.close();
    await new Promise((r) => setTimeout(r, 100));
    expect(sinks.states.map((x) => x.state)).toEqual(['online', 'online', 'offline']);
  });

  it('reports before authentication get result 1, and the connection is closed after a few', async () => {
    const t = await terminal();
    const body = encodeLocation({ lat: 36.66, lon: 117.02, timeMs: sec(Date.now()) });
    const serials = [t.send(0x0200, body), t.send(0x0200, body), t.send(0x0200, body)];
    for (const s of serials) expect(await t.generalReply(s)).toEqual({ replySerial: s, replyMsgId: 0x0200, result: 1 });
    await t.waitClosed();
    expect(sinks.accepted).toHaveLength(0);
  });

  it('a wrong auth code gets result 1', async () => {
    const t = await terminal();
    const s = t.send(0x0102, encodeAuthenticationBody('nope'));
    expect((await t.generalReply(s)).result).toBe(1);
    expect(gateway.connections().authenticated).toBe(0);
  });

  it('drops and counts frames with a bad check code, and keeps the connection', async () => {
    const t = await terminal();
    await t.login();
    const good = t.frame(0x0002, Buffer.alloc(0));
    const bad = withBadCheckCode(good.bytes);
    t.socket.write(bad);
    const hb = t.send(0x0002, Buffer.alloc(0));
    expect(await t.generalReply(hb)).toEqual({ replySerial: hb, replyMsgId: 0x0002, result: 0 });
    expect(sinks.badFrames).toEqual(['bad_checksum']);
    // The bad frame got no answer.
    expect(t.received.some((m) => m.body.readUInt16BE(0) === good.serial)).toBe(false);
  });

  it('closes a connection after 10 bad frames in a row', async () => {
    const t = await terminal();
    const bad = withBadCheckCode(t.frame(0x0002, Buffer.alloc(0)).bytes);
    for (let i = 0; i < 10; i++) t.socket.write(bad);
    await t.waitClosed();
    expect(sinks.badFrames).toHaveLength(10);
  });

  it('closes a connection that sends only garbage', async () => {
    const t = await terminal();
    t.socket.write(Buffer.alloc(5000, 0x55));
    await t.waitClosed();
  });

  it('closes an idle connection', async () => {
    await gateway.close();
    await start({ idleTimeoutMs: 200 });
    const t = await terminal();
    await t.login();
    await t.waitClosed(2000);
    expect(gateway.connections().total).toBe(0);
  });

  it('answers an unsupported message id with result 3 and carries on', async () => {
    const t = await terminal();
    await t.login();
    const s = t.send(0x0f01, Buffer.from('hello'));
    expect(await t.generalReply(s)).toEqual({ replySerial: s, replyMsgId: 0x0f01, result: 3 });
    const hb = t.send(0x0002, Buffer.alloc(0));
    expect((await t.generalReply(hb)).result).toBe(0);
  });

  it('answers a body that does not decode with result 2', async () => {
    const t = await terminal();
    await t.login();
    const s = t.send(0x0200, Buffer.alloc(10));
    expect((await t.generalReply(s)).result).toBe(2);
  });

  it('refuses a report whose only fix is invalid with result 2, and logs it under the device', async () => {
    const t = await terminal();
    await t.login();
    const s = t.send(0x0200, encodeLocation({ lat: 36.66, lon: 117.02, timeMs: sec(Date.now() + 3_600_000) }));
    expect((await t.generalReply(s)).result).toBe(2);
    expect(sinks.accepted).toHaveLength(0);
    expect(sinks.rejections).toEqual([{ deviceId: `veh-${PHONE}`, reason: 'time_in_future' }]);
  });

  it('accepts a 0x0704 blind-area batch with the fixes’ original times', async () => {
    const t = await terminal();
    await t.login();
    const base = sec(Date.now() - 10 * 60_000);
    const times = [base, base + 30_000, base + 60_000];
    const items = times.map((timeMs, i) => encodeLocation({ lat: 36.66 + i * 0.001, lon: 117.02, timeMs }));
    const s = t.send(0x0704, encodeBatchBody(1, items));
    expect(await t.generalReply(s)).toEqual({ replySerial: s, replyMsgId: 0x0704, result: 0 });
    expect(sinks.accepted).toHaveLength(1);
    const got = sinks.accepted[0]!;
    expect(got.map((o) => o.timeMs)).toEqual(times);
    expect(got.every((o) => o.type === 'position' && o.attributes.batchType === 1)).toBe(true);
  });

  it('reassembles a sub-packaged 0x0704', async () => {
    const t = await terminal();
    await t.login();
    const base = sec(Date.now() - 60_000);
    const body = encodeBatchBody(
      1,
      [0, 1, 2, 3].map((i) => encodeLocation({ lat: 36.66, lon: 117.02, timeMs: base + i * 1000 })),
    );
    const half = Math.floor(body.length / 2);
    const s1 = 500;
    t.socket.write(encodeFrame(ME, 0x0704, s1, body.subarray(0, half), { subpackage: { total: 2, index: 1 } }));
    t.socket.write(encodeFrame(ME, 0x0704, s1 + 1, body.subarray(half), { subpackage: { total: 2, index: 2 } }));
    expect((await t.generalReply(s1)).result).toBe(0);
    expect(await t.generalReply(s1 + 1)).toEqual({ replySerial: s1 + 1, replyMsgId: 0x0704, result: 0 });
    expect(sinks.accepted.flat().map((o) => o.timeMs)).toEqual([0, 1, 2, 3].map((i) => base + i * 1000));
  });

  it('sendSetReportInterval reaches the terminal as 0x8103 / 0x0029, and its 0x0001 reaches ack', async () => {
    const t = await terminal();
    expect(await gateway.sendSetReportInterval(`veh-${PHONE}`, 15, 'cmd-1')).toBe(false);
    await t.login();
    expect(await gateway.sendSetReportInterval(`veh-${PHONE}`, 15, 'cmd-1')).toBe(true);
    const m = await t.next((x) => x.header.msgId === 0x8103);
    expect(m.header.phone).toBe(PHONE);
    const r = new Reader(m.body);
    expect([r.u8(), r.u32(), r.u8(), r.u32()]).toEqual([1, 0x0029, 4, 15]);
    t.send(0x0001, encodeTerminalReplyBody(m.header.serial, 0x8103, 0));
    const deadline = Date.now() + 2000;
    while (sinks.acks.length === 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    expect(sinks.acks).toEqual([
      { deviceId: `veh-${PHONE}`, replySerial: m.header.serial, replyMsgId: 0x8103, result: 0, commandId: 'cmd-1' },
    ]);
    expect(await gateway.sendSetReportInterval('veh-unknown', 15)).toBe(false);
  });

  it('decodes a frame written one byte at a time, and several frames in one write', async () => {
    const t = await terminal();
    await t.login();
    const fixTime = sec(Date.now() - 5000);
    const f = t.frame(0x0200, encodeLocation({ lat: 36.67, lon: 117.03, timeMs: fixTime }));
    for (const byte of f.bytes) {
      t.socket.write(Buffer.of(byte));
      await new Promise((r) => setImmediate(r));
    }
    expect((await t.generalReply(f.serial)).result).toBe(0);
    expect(sinks.accepted.flat()[0]?.timeMs).toBe(fixTime);

    const a = t.frame(0x0002, Buffer.alloc(0));
    const b = t.frame(0x0002, Buffer.alloc(0));
    t.socket.write(Buffer.concat([a.bytes, b.bytes]));
    expect((await t.generalReply(a.serial)).result).toBe(0);
    expect((await t.generalReply(b.serial)).result).toBe(0);
  });

  it('answers in the terminal’s 2019 layout', async () => {
    const phone2019 = '00000000013800138000';
    const me2019: Terminal = { version: 2019, protocolVersion: 1, phone: phone2019 };
    const t = await terminal();
    t.socket.write(encodeFrame(me2019, 0x0002, 7, Buffer.alloc(0)));
    const m = await t.next((x) => x.header.msgId === 0x8001);
    expect(m.header).toMatchObject({ version: 2019, protocolVersion: 1, phone: phone2019 });
    expect(m.body.readUInt16BE(0)).toBe(7);
  });

  it('a taken port fails with EADDRINUSE', async () => {
    await expect(
      startJt808Gateway({
        host: '127.0.0.1',
        port: gateway.port,
        log: pino({ level: 'silent' }),
        limits: LIMITS,
        sinks,
      }),
    ).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});
