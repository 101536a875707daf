// Per-connection state of the JT/T 808 gateway (终端会话): the stream framer and sub-package reassembler of one TCP
// connection, who the terminal said it is (header layout and phone, so replies go back in its own format), whether it
// has authenticated and as which device, the platform's own serial counter, and the counters that decide when a
// misbehaving connection is closed. No I/O beyond writing to its socket.
import type net from 'node:net';
import { Jt808Framer } from './framer.js';
import type { Terminal } from './header.js';
import { Reassembler } from './reassembler.js';

export interface SessionLimits {
  /** Per-connection bytes held for one unfinished frame (the framer's limit). */
  maxBufferBytes?: number;
}

export class Jt808Session {
  readonly socket: net.Socket;
  readonly framer: Jt808Framer;
  readonly reassembler: Reassembler;
  readonly remote: string;
  /** Layout and phone of the last well-formed message: replies and commands use them. */
  terminal: Terminal | null = null;
  /** Set by a successful 0x0102; reports are refused until then. */
  deviceId: string | null = null;
  /** Bad frames since the last good one. */
  badInRow = 0;
  /** Reports (or failed authentications) refused because the terminal has not authenticated. */
  unauthenticated = 0;
  /** Garbage bytes the framer had skipped when the last good frame came in. */
  skippedAtLastGood = 0;
  /** Messages waiting to be handled, in order (handling is sequential so replies keep the terminal's order). */
  queued = 0;
  closed = false;
  /** Closes the connection when no good frame arrives for the idle timeout; refreshed on every good frame. */
  idle: NodeJS.Timeout | null = null;
  /** Commands sent to the terminal, by our serial: the answer (0x0001 / 0x0104) names that serial. */
  readonly commands = new Map<number, string | undefined>();
  /** Tail of the handling chain. */
  chain: Promise<void> = Promise.resolve();
  #serial = 0;

  constructor(socket: net.Socket, limits: SessionLimits = {}) {
    this.socket = socket;
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.framer = new Jt808Framer(limits.maxBufferBytes === undefined ? {} : { maxBufferBytes: limits.maxBufferBytes });
    this.reassembler = new Reassembler();
  }

  get authenticated(): boolean {
    return this.deviceId !== null;
  }

  /** The platform's serial number (流水号) for the next message it sends on this connection. */
  nextSerial(): number {
    const s = this.#serial;
    this.#serial = (this.#serial + 1) & 0xffff;
    return s;
  }

  /** Remembers which command a downlink serial carried; bounded so a silent terminal cannot grow it. */
  rememberCommand(serial: number, commandId: string | undefined): void {
    this.commands.set(serial, commandId);
    while (this.commands.size > 256) {
      const oldest = this.commands.keys().next().value;
      if (oldest === undefined) break;
      this.commands.delete(oldest);
    }
  }

  /** Writes a frame; resolves to whether the socket took it. */
  write(frame: Buffer): Promise<boolean> {
    if (this.closed || this.socket.destroyed || !this.socket.writable) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.socket.write(frame, (err) => resolve(!err));
    });
  }
}
