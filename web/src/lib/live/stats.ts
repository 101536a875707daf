// 实时性能计数 what loadtests/bench-map.ts reads from the page: how many deltas arrived, and for each batch the map drew,
// how long from receiving it (and from the fix's own time) until the frame showing it. Off unless the page is opened
// with `?stats`, so a wall display pays nothing for it.

export interface LiveStatsReport {
  /** Since the previous report: `positions` events received, and the positions in them. */
  batches: number;
  positions: number;
  /** One entry per drawn batch: ms from the first unrendered delta's arrival to the frame showing it. */
  receiveToScreenMs: number[];
  /** Same batches: ms from the newest fix's device time to the frame showing it (device → hub → browser). */
  fixToScreenMs: number[];
}

/** What a layer took into one source update: render it, then call `rendered`. */
export interface PendingBatch {
  receivedAtMs: number;
  newestFixMs: number;
}

const MAX_SAMPLES = 100_000;

export class LiveStats {
  #batches = 0;
  #positions = 0;
  #pendingSinceMs: number | null = null;
  #pendingNewestFixMs = -Infinity;
  #receiveToScreenMs: number[] = [];
  #fixToScreenMs: number[] = [];

  received(positions: readonly { timeMs: number }[]): void {
    this.#batches += 1;
    this.#positions += positions.length;
    this.#pendingSinceMs ??= performance.timeOrigin + performance.now();
    for (const p of positions) if (p.timeMs > this.#pendingNewestFixMs) this.#pendingNewestFixMs = p.timeMs;
  }

  /** The deltas received since the last call, now handed to the map (null if none). */
  takePending(): PendingBatch | null {
    if (this.#pendingSinceMs === null) return null;
    const batch = { receivedAtMs: this.#pendingSinceMs, newestFixMs: this.#pendingNewestFixMs };
    this.#pendingSinceMs = null;
    this.#pendingNewestFixMs = -Infinity;
    return batch;
  }

  rendered(batch: PendingBatch): void {
    if (this.#receiveToScreenMs.length >= MAX_SAMPLES) return;
    const now = performance.timeOrigin + performance.now();
    this.#receiveToScreenMs.push(now - batch.receivedAtMs);
    if (Number.isFinite(batch.newestFixMs)) this.#fixToScreenMs.push(now - batch.newestFixMs);
  }

  /** Returns what was measured since the previous report, and starts counting afresh. */
  report(): LiveStatsReport {
    const out = {
      batches: this.#batches,
      positions: this.#positions,
      receiveToScreenMs: this.#receiveToScreenMs,
      fixToScreenMs: this.#fixToScreenMs,
    };
    this.#batches = 0;
    this.#positions = 0;
    this.#receiveToScreenMs = [];
    this.#fixToScreenMs = [];
    return out;
  }
}

declare global {
  interface Window {
    __cityhubStats?: LiveStats;
  }
}

function enabled(): boolean {
  return typeof window !== 'undefined' && new URLSearchParams(window.location.search).has('stats');
}

/** The page's counters, or null when the page was not opened with `?stats`. */
export const liveStats: LiveStats | null = enabled() ? (window.__cityhubStats = new LiveStats()) : null;
