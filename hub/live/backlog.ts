// Backed-up map viewers (推送积压): a browser that reads its connection slowly — a control-room PC on a slow link, a page
// whose main thread is busy, a laptop asleep with the tab open — must neither grow the hub's memory nor, once it reads
// again, replay minutes of stale positions. Once the kernel's buffers are full, engine.io keeps every further packet in
// the hub's memory for as long as the transport is not writable; so a socket whose packets have not left engine.io for
// a whole tick is not sent more: its deltas are held (hub/live/held-deltas.ts, the newest state per thing) and sent,
// merged with the tick's, once engine.io has handed its buffer to the transport again.
import type { Socket } from 'socket.io';
import type { PositionViewer } from '../positions/access.js';
import { HeldDeltas, type ViewerDeltas } from './held-deltas.js';

/** Counters for /metrics (hub/metrics.ts). */
export interface LiveBacklogMetrics {
  /** Deltas never sent because a newer state of the same thing replaced them while their viewer was backed up. */
  coalesced: { inc(n: number): void };
  /** Viewers backed up now. */
  backedUp: { set(n: number): void };
}

export interface LiveBacklogOptions {
  metrics?: LiveBacklogMetrics;
  log?: { warn(obj: object, msg: string): void; info?(obj: object, msg: string): void };
  /**
   * A viewer is logged as backed up once it has been for this long (default 1 s), and then its recovery too. Shorter
   * spells are flow control, not news: a viewer on a slow link that needs more than a tick for a tick's data skips
   * every other tick, and would otherwise write two log lines a second. The metrics count every spell.
   */
  logAfterMs?: number;
  /** Milliseconds clock; tests may move it. */
  now?: () => number;
}

interface Watch {
  /** engine.io holds packets for this socket's connection that it has not handed to the transport yet. */
  queued: boolean;
  /** Packets that were queued when the previous tick ended are still queued (engine.io has not flushed since). */
  stale: boolean;
  /** While backed up: the deltas the viewer has not been sent, newest per thing; null while it keeps up. */
  held: HeldDeltas | null;
  sinceMs: number;
  coalesced: number;
  logged: boolean;
}

export class LiveBacklogs {
  private readonly watches = new WeakMap<Socket, Watch>();
  private backedUpCount = 0;
  private readonly logAfterMs: number;
  private readonly now: () => number;

  constructor(private readonly options: LiveBacklogOptions = {}) {
    this.logAfterMs = options.logAfterMs ?? 1_000;
    this.now = options.now ?? Date.now;
  }

  /** Viewers backed up now: a tick must run for them even when nothing new came in, to send what they were held. */
  get backedUp(): number {
    return this.backedUpCount;
  }

  /**
   * Follows a new socket's engine.io connection. Why these signals: engine.io (6.x) appends every packet to its write
   * buffer ('packetCreate') and hands the whole buffer to the transport ('flush') only while the transport is writable
   * — for a WebSocket, once the previous write has reached the kernel; for long-polling, while a poll request is
   * waiting. So packets still queued a whole tick after they were queued mean the browser is not reading. A polling
   * client legitimately has packets queued between its polls: it is held only when a whole tick passes without a poll,
   * and every poll flushes, so its deltas go out with the next tick after it (coalesced to its polling pace, never
   * starved). What the hub keeps per backed-up viewer is then bounded: one tick's packets in engine.io, the write in
   * progress, and the held deltas (one per unit, case, candidate, camera).
   */
  watch(socket: Socket): void {
    const conn = socket.conn;
    const w: Watch = { queued: false, stale: false, held: null, sinceMs: 0, coalesced: 0, logged: false };
    const onPacket = () => {
      w.queued = true;
    };
    const onFlush = () => {
      w.queued = false;
      w.stale = false;
    };
    conn.on('packetCreate', onPacket);
    conn.on('flush', onFlush);
    this.watches.set(socket, w);
    socket.once('disconnect', () => {
      // The connection may carry other namespaces and outlive this socket.
      conn.off('packetCreate', onPacket);
      conn.off('flush', onFlush);
      this.watches.delete(socket);
      if (w.held) {
        w.held = null;
        this.setBackedUp(-1);
        if (w.logged) {
          this.options.log?.info?.(
            { socket: socket.id, heldMs: this.now() - w.sinceMs, coalesced: w.coalesced },
            'live: backed-up viewer left; its held deltas are dropped',
          );
        }
      }
    });
  }

  /** Whether this socket's deltas are being held. */
  isBackedUp(socket: Socket): boolean {
    return Boolean(this.watches.get(socket)?.held);
  }

  /** The socket subscribed again (a snapshot follows): what was held for its old subscription is dropped. */
  reset(socket: Socket): void {
    this.watches.get(socket)?.held?.clear();
  }

  /**
   * Sends one tick's deltas for this socket through `send`, or holds them while the socket is backed up. `withHeld`:
   * the deltas include held ones, filtered when they were held — `send` filters them again by the viewer's sight of
   * people now, so a viewer that lost it while backed up is not sent the people held before.
   */
  deliver(
    socket: Socket,
    viewer: PositionViewer,
    tick: ViewerDeltas,
    send: (deltas: ViewerDeltas, withHeld: boolean) => void,
  ): void {
    const w = this.watches.get(socket);
    if (!w) return send(tick, false);
    if (w.stale) {
      if (!w.held) {
        w.held = new HeldDeltas();
        w.sinceMs = this.now();
        w.coalesced = 0;
        w.logged = false;
        this.setBackedUp(1);
      }
      this.count(w, w.held.hold(tick));
      if (!w.logged && this.now() - w.sinceMs >= this.logAfterMs) {
        w.logged = true;
        this.options.log?.warn(
          { ...who(socket, viewer), heldMs: this.now() - w.sinceMs, held: w.held.size },
          'live: viewer backed up (not reading its connection); holding the newest state per unit until it reads',
        );
      }
    } else if (w.held) {
      const { deltas, superseded } = w.held.release(tick);
      w.held = null;
      this.count(w, superseded);
      this.setBackedUp(-1);
      if (w.logged) {
        this.options.log?.info?.(
          { ...who(socket, viewer), heldMs: this.now() - w.sinceMs, coalesced: w.coalesced },
          'live: backed-up viewer reads again; sent the newest state of what it missed',
        );
      }
      send(deltas, true);
    } else {
      send(tick, false);
    }
    // Whatever is queued now has waited a whole tick when the next one comes, unless engine.io flushes it before.
    w.stale = w.queued;
  }

  private count(w: Watch, superseded: number): void {
    if (superseded === 0) return;
    w.coalesced += superseded;
    this.options.metrics?.coalesced.inc(superseded);
  }

  private setBackedUp(change: number): void {
    this.backedUpCount += change;
    this.options.metrics?.backedUp.set(this.backedUpCount);
  }
}

function who(socket: Socket, viewer: PositionViewer): object {
  return {
    socket: socket.id,
    address: socket.handshake.address,
    user: viewer.actor ? `${viewer.actor.name} (${viewer.actor.userId})` : null,
  };
}
