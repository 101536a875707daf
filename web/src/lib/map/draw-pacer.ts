// 绘制节奏 when a live map source takes its next update, and what that update carries. Deltas arrive faster than a slow
// machine can draw them (5,000 units at 1 Hz come as several socket.io batches a second; a frame in software GL costs
// hundreds of ms), so changes are coalesced by id — an id changed ten times before the next update is drawn once, from
// the store's newest entry — and an update is handed to MapLibre only when the previous one is on screen, no sooner
// than a minimum interval after it and after a rest in proportion to how long it took to draw. Work pending is thus
// never more than one update per id, and the lag stays bounded: a slow map shows every unit's newest position less
// often, never an ever-growing backlog of old ones. Pure (the clock is passed in), so the rules are unit-tested.

export interface DrawPacerOptions {
  /** Shortest time between the starts of two updates (ms). */
  minIntervalMs: number;
  /**
   * After an update took B ms from hand-over to screen, the next waits until B × restRatio after it was drawn: a map
   * that draws slowly spends part of its time idle (for panning, and for the rest of the page) instead of all of it
   * redrawing live data.
   */
  restRatio: number;
  /** An update not reported drawn after this long no longer holds the next one back (ms): a lost signal never stalls. */
  drawnTimeoutMs: number;
}

/** What an update must carry: everything (after a snapshot, or at first), or the ids changed since the last update. */
export type DueUpdate = { seq: number; full: true } | { seq: number; full: false; ids: string[] };

export class DrawPacer {
  #full = true;
  #dirty = new Set<string>();
  #seq = 0;
  /** The update on its way to the screen, if any. */
  #inFlight: { seq: number; sinceMs: number } | null = null;
  #lastStartMs = -Infinity;
  #restUntilMs = -Infinity;

  constructor(private readonly options: DrawPacerOptions) {}

  /** Ids whose entry changed in the store (null: all of them). An id already pending stays one entry. */
  changed(ids: Iterable<string> | null): void {
    if (ids === null) {
      this.#full = true;
      this.#dirty.clear();
    } else if (!this.#full) {
      for (const id of ids) this.#dirty.add(id);
    }
  }

  /** Whether anything waits to be drawn. */
  get pending(): boolean {
    return this.#full || this.#dirty.size > 0;
  }

  /**
   * Milliseconds until `take` may run: 0 for now, null when there is nothing to draw. While an update is in flight,
   * the time until it stops holding the next one back — call again once it is drawn.
   */
  delayMs(nowMs: number): number | null {
    if (!this.pending) return null;
    if (this.#inFlight) {
      const until = this.#inFlight.sinceMs + this.options.drawnTimeoutMs;
      if (nowMs < until) return until - nowMs;
      this.#inFlight = null;
    }
    const earliest = Math.max(this.#lastStartMs + this.options.minIntervalMs, this.#restUntilMs);
    return Math.max(0, earliest - nowMs);
  }

  /** Takes what is due, if it is time (see `delayMs`); the update is then in flight until `drawn`. */
  take(nowMs: number): DueUpdate | null {
    if (this.delayMs(nowMs) !== 0) return null;
    const seq = ++this.#seq;
    this.#inFlight = { seq, sinceMs: nowMs };
    this.#lastStartMs = nowMs;
    if (this.#full) {
      this.#full = false;
      this.#dirty.clear();
      return { seq, full: true };
    }
    const ids = [...this.#dirty];
    this.#dirty.clear();
    return { seq, full: false, ids };
  }

  /** Update `seq` is on screen. A late report of an update that timed out and was followed by another is ignored. */
  drawn(seq: number, nowMs: number): void {
    if (this.#inFlight?.seq !== seq) return;
    const busyMs = nowMs - this.#inFlight.sinceMs;
    this.#restUntilMs = nowMs + busyMs * this.options.restRatio;
    this.#inFlight = null;
  }
}
