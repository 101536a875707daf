// Write batching (批量写入): items are gathered and handed to a sink as one batch when the batch is full or its oldest
// item has waited long enough. Each add() resolves only when the sink has made its batch durable, so a protocol layer
// can acknowledge the device after — never before — the data is safe.

export interface BatcherOptions<T> {
  maxRows: number;
  maxWaitMs: number;
  /** Makes one batch durable; must throw (reject) if any of it is not. */
  sink: (batch: T[]) => Promise<void>;
}

interface Pending<T> {
  items: T[];
  waiters: { resolve: () => void; reject: (err: unknown) => void }[];
}

export class Batcher<T> {
  private pending: Pending<T> = { items: [], waiters: [] };
  private timer: NodeJS.Timeout | null = null;
  private inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly options: BatcherOptions<T>) {}

  add(item: T): Promise<void> {
    if (this.closed) return Promise.reject(new Error('batcher is closed'));
    return new Promise<void>((resolve, reject) => {
      this.pending.items.push(item);
      this.pending.waiters.push({ resolve, reject });
      if (this.pending.items.length >= this.options.maxRows) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.options.maxWaitMs);
    });
  }

  /** Hands the current batch to the sink now. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending;
    if (batch.items.length === 0) return;
    this.pending = { items: [], waiters: [] };
    const done = this.options.sink(batch.items).then(
      () => batch.waiters.forEach((w) => w.resolve()),
      (err: unknown) => batch.waiters.forEach((w) => w.reject(err)),
    );
    this.inFlight.add(done);
    void done.finally(() => this.inFlight.delete(done));
  }

  /** Flushes what is pending and waits for every batch in flight; add() is refused afterwards. */
  async close(): Promise<void> {
    this.closed = true;
    this.flush();
    await Promise.all([...this.inFlight]);
  }
}
