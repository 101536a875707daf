import { describe, expect, it } from 'vitest';
import { Batcher } from './batcher.js';

describe('Batcher', () => {
  it('flushes when full, and resolves each add only after its batch is written', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const b = new Batcher<number>({
      maxRows: 3,
      maxWaitMs: 10_000,
      sink: async (batch) => {
        await gate;
        batches.push(batch);
      },
    });
    let resolved = 0;
    const adds = [1, 2, 3].map((n) => b.add(n).then(() => resolved++));
    await new Promise((r) => setTimeout(r, 20));
    expect(resolved).toBe(0); // sink still writing: nothing acknowledged yet
    release();
    await Promise.all(adds);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('flushes a partial batch after maxWaitMs', async () => {
    const batches: number[][] = [];
    const b = new Batcher<number>({ maxRows: 100, maxWaitMs: 20, sink: async (batch) => void batches.push(batch) });
    await Promise.all([b.add(1), b.add(2)]);
    expect(batches).toEqual([[1, 2]]);
  });

  it('rejects every add of a batch the sink could not write', async () => {
    const b = new Batcher<number>({
      maxRows: 2,
      maxWaitMs: 10,
      sink: async () => {
        throw new Error('database down');
      },
    });
    const results = await Promise.allSettled([b.add(1), b.add(2)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });

  it('drains on close and refuses later adds', async () => {
    const batches: number[][] = [];
    const b = new Batcher<number>({ maxRows: 100, maxWaitMs: 10_000, sink: async (batch) => void batches.push(batch) });
    const pending = b.add(7);
    await b.close();
    await pending;
    expect(batches).toEqual([[7]]);
    await expect(b.add(8)).rejects.toThrow('closed');
  });
});

describe('Batcher ordering and backpressure', () => {
  it('writes batches one at a time, in arrival order, and counts what is not yet durable', async () => {
    const written: number[][] = [];
    let active = 0;
    let maxActive = 0;
    const b = new Batcher<number>({
      maxRows: 2,
      maxWaitMs: 5,
      sink: async (batch) => {
        active++;
        maxActive = Math.max(maxActive, active);
        await new Promise((r) => setTimeout(r, 10));
        written.push(batch);
        active--;
      },
    });
    const all = b.addMany([1, 2, 3, 4, 5]);
    expect(b.queued()).toBe(5);
    await all;
    expect(written).toEqual([[1, 2], [3, 4], [5]]);
    expect(maxActive).toBe(1);
    expect(b.queued()).toBe(0);
  });

  it('lets a caller wait until the queue is below a limit', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const b = new Batcher<number>({ maxRows: 10, maxWaitMs: 1, sink: () => gate });
    const pending = b.addMany([1, 2, 3]);
    let below = false;
    const waiting = b.whenQueuedBelow(2).then(() => (below = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(below).toBe(false);
    release();
    await Promise.all([pending, waiting]);
    expect(below).toBe(true);
  });

  it('lets held callers through in order and only as many as there is room for, so the limit holds', async () => {
    const gates: (() => void)[] = [];
    const b = new Batcher<number>({
      maxRows: 2,
      maxWaitMs: 1,
      sink: () => new Promise<void>((r) => gates.push(r)),
    });
    const limit = 4;
    const adds: Promise<void>[] = [b.addMany([0, 0, 0, 0])]; // full: two batches of two, both held by the sink
    const through: number[] = [];
    let peak = b.queued();
    // Ten callers held at once, each adding one item as soon as it is let through (as the ingest pipeline does).
    const callers = Array.from({ length: 10 }, (_, i) =>
      b.whenQueuedBelow(limit, 1).then(() => {
        through.push(i);
        adds.push(b.addMany([i]));
        peak = Math.max(peak, b.queued());
      }),
    );
    await new Promise((r) => setTimeout(r, 10));
    expect(through).toEqual([]);
    // Each written batch of two frees room for two: exactly two callers pass, the oldest first.
    while (through.length < 10) {
      await new Promise((r) => setTimeout(r, 5));
      gates.shift()?.();
    }
    await Promise.all(callers);
    expect(through).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(peak).toBeLessThanOrEqual(limit);
    while (gates.length > 0 || b.queued() > 0) {
      gates.shift()?.();
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(adds);
  });
});

describe('Batcher with two writers', () => {
  it('writes two batches at once and still resolves each add with its own batch', async () => {
    let active = 0;
    let maxActive = 0;
    const written: number[][] = [];
    const b = new Batcher<number>({
      maxRows: 2,
      maxWaitMs: 5,
      writers: 2,
      sink: async (batch) => {
        active++;
        maxActive = Math.max(maxActive, active);
        await new Promise((r) => setTimeout(r, 20));
        written.push(batch);
        active--;
      },
    });
    await b.addMany([1, 2, 3, 4, 5, 6, 7]);
    expect(maxActive).toBe(2);
    expect(written.flat().sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // Nothing is left behind when a batch is sealed just as a writer finishes.
    await b.add(8);
    expect(written.flat()).toContain(8);
    expect(b.queued()).toBe(0);
  });
});
