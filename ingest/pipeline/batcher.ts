// Write batching (批量写入): items are gathered and handed to a sink as one batch when the batch is full or its oldest
// item has waited long enough. Batches are taken in arrival order by a small fixed number of writers (one by default;
// two let one batch fill and parse while another commits). add() resolves only when the sink has made the item's
// batch durable, so a protocol layer can acknowledge the device after — never before — the data is safe.

export interface BatcherOptions<T> {
  maxRows: number;
  maxWaitMs: number;
  /** Makes one batch durable; must throw (reject) if any of it is not. */
  sink: (batch: T[]) => Promise<void>;
  /** Batches written at the same time (default 1: strictly one after another). */
  writers?: number;
}

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface Batch<T> {
  items: T[];
  waiters: Waiter[];
}

export class Batcher<T> {
  /** Full batches waiting for the writer, oldest first; the last one may still be filling. */
  private readonly batches: Batch<T>[] = [];
  private filling: Batch<T> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly writing = new Set<Promise<void>>();
  private queuedItems = 0;
  private readonly drainWaiters: { limit: number; count: number; resolve: () => void }[] = [];
  private closed = false;

  constructor(private readonly options: BatcherOptions<T>) {}

  /** Items accepted but not yet durable. */
  queued(): number {
    return this.queuedItems;
  }

  /** Callers held by whenQueuedBelow() and not yet let through. */
  waiting(): number {
    return this.drainWaiters.length;
  }

  add(item: T): Promise<void> {
    return this.addMany([item]);
  }

  /** Adds items in order; resolves when all of them are durable (rejects if any batch holding them failed). */
  addMany(items: readonly T[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('batcher is closed'));
    if (items.length === 0) return Promise.resolve();
    const touched: Batch<T>[] = [];
    for (const item of items) {
      if (!this.filling) {
        this.filling = { items: [], waiters: [] };
        this.timer = setTimeout(() => this.seal(), this.options.maxWaitMs);
      }
      this.filling.items.push(item);
      this.queuedItems++;
      if (touched[touched.length - 1] !== this.filling) touched.push(this.filling);
      if (this.filling.items.length >= this.options.maxRows) this.seal();
    }
    // One waiter per batch touched: every one of them must be durable, and any failing fails this add.
    return Promise.all(
      touched.map((batch) => new Promise<void>((resolve, reject) => batch.waiters.push({ resolve, reject }))),
    ).then(() => undefined);
  }

  /**
   * Resolves once fewer than `limit` items are waiting to be durable (for backpressure). Waiters are let through in
   * the order they came and only as many as there is room for (`count`: the items each means to add), so tens of
   * thousands of held publishers do not all rush in at the first room and overshoot the limit by their number.
   */
  whenQueuedBelow(limit: number, count = 1): Promise<void> {
    if (this.queuedItems < limit && this.drainWaiters.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push({ limit, count, resolve }));
  }

  /** Hands the batch being filled to the writer now. */
  flush(): void {
    this.seal();
  }

  /** Flushes what is pending and waits until everything is written; add() is refused afterwards. */
  async close(): Promise<void> {
    this.closed = true;
    this.seal();
    while (this.writing.size > 0) await Promise.all([...this.writing]);
  }

  private seal(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.filling) return;
    this.batches.push(this.filling);
    this.filling = null;
    this.startWriters();
  }

  private startWriters(): void {
    while (this.batches.length > 0 && this.writing.size < (this.options.writers ?? 1)) {
      const writer: Promise<void> = this.writeAll().finally(() => {
        this.writing.delete(writer);
        // A batch sealed while this writer was finishing (it still counted as running) must not be left behind.
        this.startWriters();
      });
      this.writing.add(writer);
    }
  }

  /** One writer: takes the oldest waiting batch until none is left. */
  private async writeAll(): Promise<void> {
    for (let batch = this.batches.shift(); batch; batch = this.batches.shift()) {
      try {
        await this.options.sink(batch.items);
        for (const w of batch.waiters) w.resolve();
      } catch (err) {
        for (const w of batch.waiters) w.reject(err);
      }
      this.queuedItems -= batch.items.length;
      this.releaseDrainWaiters();
    }
  }

  /** First come, first through, while the room lasts (the ones let through add their items right after). */
  private releaseDrainWaiters(): void {
    let admitted = 0;
    let released = 0;
    while (released < this.drainWaiters.length) {
      const waiter = this.drainWaiters[released]!;
      if (this.queuedItems + admitted >= waiter.limit) break;
      admitted += waiter.count;
      released++;
    }
    for (const waiter of this.drainWaiters.splice(0, released)) waiter.resolve();
  }
}
