// Sub-package reassembly (分包合并): collects packages 1..N of one long message and yields the whole body. Bounded in
// entries, packages and bytes, and expired by an injected clock, because a terminal that drops a package must not
// make us hold its other packages forever.
import { Jt808Error } from './errors.js';
import type { Header } from './header.js';

export interface ReassemblerOptions {
  /** Incomplete messages held at once per reassembler (one per connection); the oldest is dropped beyond it. */
  maxPending?: number;
  /** Packages a message may be split into. */
  maxPackages?: number;
  /** Bytes one reassembled body may reach. */
  maxBodyBytes?: number;
  timeoutMs?: number;
  now?: () => number;
}

export type ReassemblyResult =
  | { status: 'complete'; header: Header; body: Buffer }
  | { status: 'pending' }
  /** A package already received (terminals retransmit when our 0x8001 is lost): acknowledge it, use nothing. */
  | { status: 'duplicate' }
  | { status: 'rejected'; error: Jt808Error };

interface Entry {
  header: Header;
  parts: (Buffer | undefined)[];
  received: number;
  bytes: number;
  startedMs: number;
}

export class Reassembler {
  private readonly entries = new Map<string, Entry>();
  /** Recently completed messages → completion time, so a late retransmission does not open a new, doomed entry. */
  private readonly completed = new Map<string, number>();
  private readonly maxPending: number;
  private readonly maxPackages: number;
  private readonly maxBodyBytes: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  /** Incomplete messages given up on (timeout or eviction): counted for metrics. */
  dropped = 0;

  constructor(options: ReassemblerOptions = {}) {
    this.maxPending = options.maxPending ?? 16;
    this.maxPackages = options.maxPackages ?? 1024;
    this.maxBodyBytes = options.maxBodyBytes ?? 256 * 1024;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  get pending(): number {
    return this.entries.size;
  }

  /** Packages of one message carry consecutive serials, so the first package's serial identifies the message. */
  private static key(h: Header, index: number): string {
    const first = (h.serial - (index - 1)) & 0xffff;
    return `${h.phone}/${h.msgId}/${first}`;
  }

  add(header: Header, body: Buffer): ReassemblyResult {
    const sp = header.subpackage;
    if (!sp) return { status: 'complete', header, body };
    this.sweep();
    if (sp.total > this.maxPackages) {
      return { status: 'rejected', error: new Jt808Error('bad_subpackage', `${sp.total} packages is over the limit`) };
    }
    const key = Reassembler.key(header, sp.index);
    if (this.completed.has(key)) return { status: 'duplicate' };
    let entry = this.entries.get(key);
    if (entry && entry.parts.length !== sp.total) {
      this.entries.delete(key);
      this.dropped++;
      return { status: 'rejected', error: new Jt808Error('bad_subpackage', 'package count changed mid-message') };
    }
    if (!entry) {
      while (this.entries.size >= this.maxPending) {
        const oldest = this.entries.keys().next().value;
        if (oldest === undefined) break;
        this.entries.delete(oldest);
        this.dropped++;
      }
      entry = { header, parts: new Array(sp.total), received: 0, bytes: 0, startedMs: this.now() };
      this.entries.set(key, entry);
    }
    if (entry.parts[sp.index - 1] !== undefined) return { status: 'duplicate' };
    if (entry.bytes + body.length > this.maxBodyBytes) {
      this.entries.delete(key);
      this.dropped++;
      return { status: 'rejected', error: new Jt808Error('oversize', `reassembled body over ${this.maxBodyBytes}`) };
    }
    entry.parts[sp.index - 1] = body;
    entry.received++;
    entry.bytes += body.length;
    if (sp.index === 1) entry.header = header;
    if (entry.received < sp.total) return { status: 'pending' };
    this.entries.delete(key);
    this.completed.set(key, this.now());
    while (this.completed.size > this.maxPending * 4) {
      const oldest = this.completed.keys().next().value;
      if (oldest === undefined) break;
      this.completed.delete(oldest);
    }
    const full = Buffer.concat(entry.parts as Buffer[], entry.bytes);
    return {
      status: 'complete',
      header: { ...entry.header, bodyLength: full.length, subpackage: null },
      body: full,
    };
  }

  /** Drops incomplete messages older than the timeout; also called on every add. */
  sweep(): number {
    const cutoff = this.now() - this.timeoutMs;
    let n = 0;
    for (const [key, entry] of this.entries) {
      if (entry.startedMs <= cutoff) {
        this.entries.delete(key);
        n++;
      }
    }
    for (const [key, at] of this.completed) if (at <= cutoff) this.completed.delete(key);
    this.dropped += n;
    return n;
  }
}
