// Merge rules of the live map's data, kept free of Svelte so they can be unit-tested: one entry per id (a device's newest
// fix, a case's newest version, a pending candidate), merged from a snapshot and deltas that may race it, where a delta
// may also say an entry is gone (a closed case, a decided candidate).

export interface IndexRules<T> {
  id(item: T): string;
  /** Whether `next` supersedes `current`; an item that does not is ignored (late or replayed deltas). */
  newer(next: T, current: T): boolean;
  /** False for an item that says its entry is gone (and must not be shown). Default: every item lives. */
  alive?(item: T): boolean;
}

export class LiveIndex<T> {
  #byId = new Map<string, T>();
  /** Ids a delta touched (set or removed) while a snapshot request was in flight; null when none is pending. */
  #touchedDuringSnapshot: Map<string, T> | null = null;

  constructor(private readonly rules: IndexRules<T>) {}

  get size(): number {
    return this.#byId.size;
  }

  get(id: string): T | undefined {
    return this.#byId.get(id);
  }

  values(): IterableIterator<T> {
    return this.#byId.values();
  }

  /** Call right before requesting a snapshot, so deltas that race the request are not lost when it lands. */
  beginSnapshot(): void {
    this.#touchedDuringSnapshot = new Map();
  }

  /**
   * Applies deltas and returns the ids whose entry changed (set, replaced or removed). An item that is not newer than
   * the entry held is ignored, so late or replayed batches never move a marker backwards.
   */
  apply(items: readonly T[]): string[] {
    const changed: string[] = [];
    for (const item of items) {
      const id = this.rules.id(item);
      const current = this.#byId.get(id);
      if (current !== undefined && !this.rules.newer(item, current)) continue;
      const alive = this.rules.alive?.(item) ?? true;
      if (alive) this.#byId.set(id, item);
      else if (current === undefined) {
        // Gone before we ever saw it; remember it only to keep a racing snapshot from bringing it back.
        this.#touchedDuringSnapshot?.set(id, item);
        continue;
      } else this.#byId.delete(id);
      this.#touchedDuringSnapshot?.set(id, item);
      changed.push(id);
    }
    return changed;
  }

  /**
   * Replaces the whole set with a snapshot, keeping what deltas brought meanwhile where it is newer: the snapshot is
   * the authority on which entries exist, but it may have been taken before a delta that added or removed one.
   */
  applySnapshot(items: readonly T[]): void {
    const next = new Map<string, T>();
    for (const item of items) {
      const id = this.rules.id(item);
      const seen = next.get(id);
      if ((seen === undefined || this.rules.newer(item, seen)) && (this.rules.alive?.(item) ?? true))
        next.set(id, item);
    }
    const touched = this.#touchedDuringSnapshot;
    if (touched) {
      for (const [id, delta] of touched) {
        const fromSnapshot = next.get(id);
        if (fromSnapshot !== undefined && !this.rules.newer(delta, fromSnapshot)) continue;
        if (this.rules.alive?.(delta) ?? true) next.set(id, delta);
        else next.delete(id);
      }
    }
    this.#byId = next;
    this.#touchedDuringSnapshot = null;
  }
}
