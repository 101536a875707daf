// JT/T 808 场景终端 a scenario's vehicle terminal: one TCP client of the hub's JT/T 808 gateway that registers (0x0100),
// authenticates (0x0102) and then sends its scripted fixes — with historical times and alarm bits (SOS, power cut) —
// as 0x0704 batches, waiting for the platform's 0x8001 answer to each. Like devices/jt808-terminal.ts it builds frames
// with the pure, I/O-free codec modules under ingest/jt808/ (framing, header, location encoding) so the simulator and
// the gateway share byte-level code; it imports nothing else from ingest/ or hub/.
import net from 'node:net';
import { Reader } from '../../ingest/jt808/bytes.js';
import { MSG } from '../../ingest/jt808/decode.js';
import { encodeFrame } from '../../ingest/jt808/encode.js';
import { Jt808Framer } from '../../ingest/jt808/framer.js';
import { decodePacket, type Terminal } from '../../ingest/jt808/header.js';
import { alarmWord, encodeLocation, type AlarmFlags } from '../../ingest/jt808/location.js';
import { encodeAuthenticationBody, encodeBatchBody, encodeRegistrationBody } from '../jt808-terminal.js';
import type { Fix } from './core.js';

/** 0x0704 items per batch: 2 + 28 bytes each keeps a batch inside one package (body ≤ 1023 bytes). */
const BATCH_ITEMS = 25;
const ANSWER_TIMEOUT_MS = 15_000;
/** Positioned, GPS + BeiDou, ACC on. */
const STATUS_WORD = (1 << 0) | (1 << 1) | (1 << 18) | (1 << 19);

interface Waiter {
  resolve: (body: Buffer) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class Jt808Link {
  private readonly me: Terminal;
  private serial = 0;
  private readonly framer = new Jt808Framer();
  /** Answers awaited, by the serial of the message they answer. */
  private readonly waiting = new Map<number, Waiter>();
  private closed = false;

  private constructor(
    private readonly socket: net.Socket,
    readonly phone: string,
  ) {
    this.me = { version: 2013, phone };
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.framer.push(chunk)) {
        if (!frame.ok) continue;
        const packet = decodePacket(frame.message);
        if (!packet.ok) continue;
        const { msgId } = packet.value.header;
        const body = packet.value.body;
        if (msgId !== MSG.platformReply && msgId !== MSG.registerReply) continue;
        // Both answers start with the serial they answer.
        const replySerial = body.readUInt16BE(0);
        const w = this.waiting.get(replySerial);
        if (!w) continue;
        this.waiting.delete(replySerial);
        clearTimeout(w.timer);
        w.resolve(body);
      }
    });
    const fail = (err: Error) => {
      for (const w of this.waiting.values()) {
        clearTimeout(w.timer);
        w.reject(err);
      }
      this.waiting.clear();
    };
    socket.on('error', (err) => fail(err));
    socket.on('close', () => {
      this.closed = true;
      fail(new Error(`terminal ${phone}: the gateway closed the connection`));
    });
  }

  /** Connects, registers and authenticates; throws when the gateway refuses (e.g. the phone is not registered). */
  static async open(host: string, port: number, phone: string, n: number): Promise<Jt808Link> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ host, port, noDelay: true });
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    });
    const link = new Jt808Link(socket, phone);
    const id = String(n).padStart(5, '0');
    const reg = await link.request(
      MSG.register,
      encodeRegistrationBody({
        maker: 'CITYH',
        model: 'SCENARIO',
        terminalId: `S${id}`,
        plateColor: 1,
        plate: `S${id}`,
      }),
    );
    const r = new Reader(reg);
    r.u16('reply serial');
    const result = r.u8('result');
    if (result !== 0) {
      link.close();
      throw new Error(`terminal ${phone}: registration refused with result ${result} (is the phone registered?)`);
    }
    const authCode = r.rest().toString('ascii');
    const auth = await link.request(MSG.authenticate, encodeAuthenticationBody(authCode));
    if (auth.readUInt8(4) !== 0) {
      link.close();
      throw new Error(`terminal ${phone}: authentication refused with result ${auth.readUInt8(4)}`);
    }
    return link;
  }

  private request(msgId: number, body: Buffer): Promise<Buffer> {
    if (this.closed) return Promise.reject(new Error(`terminal ${this.phone}: connection closed`));
    const serial = this.serial;
    this.serial = (this.serial + 1) & 0xffff;
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(serial);
        reject(
          new Error(`terminal ${this.phone}: no answer to 0x${msgId.toString(16)} within ${ANSWER_TIMEOUT_MS} ms`),
        );
      }, ANSWER_TIMEOUT_MS);
      this.waiting.set(serial, { resolve, reject, timer });
      this.socket.write(encodeFrame(this.me, msgId, serial, body));
    });
  }

  /** Sends fixes (oldest first) as 0x0704 batches; resolves when the platform has answered each with result 0. */
  async sendFixes(fixes: readonly Fix[]): Promise<void> {
    for (let i = 0; i < fixes.length; i += BATCH_ITEMS) {
      const bodies = fixes.slice(i, i + BATCH_ITEMS).map((f) =>
        encodeLocation({
          alarm: alarmWord((f.alarms ?? {}) as Partial<AlarmFlags>),
          status: STATUS_WORD,
          lat: f.lat,
          lon: f.lon,
          speedKmh: f.speedKmh,
          course: Math.round(f.course) % 360,
          timeMs: f.timeMs,
        }),
      );
      // Batch type 0: normal batch upload (not a blind-area re-send): these fixes are reported in time order.
      const answer = await this.request(MSG.locationBatch, encodeBatchBody(0, bodies));
      const result = answer.readUInt8(4);
      if (result !== 0) throw new Error(`terminal ${this.phone}: batch answered with result ${result}`);
    }
  }

  close(): void {
    this.closed = true;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 500).unref();
  }
}
