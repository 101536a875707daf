import { describe, expect, it } from 'vitest';
import { nextFlight } from './next-flight.js';

/** A load whose calls the test finishes by hand; each call's result is its own number. */
function manualLoad() {
  const calls: { resolve: (v: number) => void; reject: (e: Error) => void }[] = [];
  const load = () =>
    new Promise<number>((resolve, reject) => {
      calls.push({ resolve, reject });
    });
  return { load, calls };
}
const tick = () => new Promise((r) => setImmediate(r));

describe('nextFlight', () => {
  it('runs one load at a time; callers during a load share the next one, which starts after it', async () => {
    const { load, calls } = manualLoad();
    const get = nextFlight(load);
    const first = get();
    await tick();
    expect(calls).toHaveLength(1);
    const [a, b, c] = [get(), get(), get()];
    await tick();
    expect(calls).toHaveLength(1); // queued behind the running load, not started
    calls[0]!.resolve(1);
    expect(await first).toBe(1);
    await tick();
    expect(calls).toHaveLength(2);
    calls[1]!.resolve(2);
    expect(await Promise.all([a, b, c])).toEqual([2, 2, 2]); // never the older load's answer
  });

  it('a failed load fails its callers only; the queued load still runs', async () => {
    const { load, calls } = manualLoad();
    const get = nextFlight(load);
    const first = get();
    await tick();
    const second = get();
    calls[0]!.reject(new Error('pool timeout'));
    await expect(first).rejects.toThrow('pool timeout');
    await tick();
    calls[1]!.resolve(7);
    expect(await second).toBe(7);
    const third = get();
    await tick();
    expect(calls).toHaveLength(3);
    calls[2]!.resolve(8);
    expect(await third).toBe(8);
  });
});
