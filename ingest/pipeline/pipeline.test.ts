// The pipeline's backpressure with a real Batcher and a sink the test lets through: QoS 0 shed past the queue bound,
// QoS 1 held undecoded (waitForRoom) in arrival order, and "full" said once as many are held, "room" at half.
import { describe, expect, it } from 'vitest';
import { positionFix } from '../../test/support/observations.js';
import { Rejection, type Observation } from '../observation.js';
import { Batcher } from './batcher.js';
import { IngestPipeline } from './pipeline.js';
import { JumpDetector } from './plausibility.js';

const fix = (deviceId: string, i: number): Observation =>
  positionFix(deviceId, 1_764_547_200_000 + i * 1000, { lat: 36.66, lon: 117.02 + i * 1e-5 });

/** A pipeline whose sink writes only when the test says so; `written` lists what it wrote, in order. */
function gatedPipeline(maxQueued: number, maxRows: number) {
  const written: string[] = [];
  const pending: (() => void)[] = [];
  const pressure: boolean[] = [];
  const batcher = new Batcher<Observation>({
    maxRows,
    maxWaitMs: 1,
    sink: (batch) =>
      new Promise<void>((resolve) =>
        pending.push(() => {
          for (const o of batch) written.push(`${o.deviceId}#${o.timeMs}`);
          resolve();
        }),
      ),
  });
  const pipeline = new IngestPipeline({
    batcher,
    jumps: new JumpDetector(),
    maxQueued,
    onPressure: (full) => pressure.push(full),
  });
  /** Lets the sink write every batch, until nothing is queued or held. */
  const writeAll = async () => {
    for (let i = 0; i < 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      for (const write of pending.splice(0)) write();
      if (pending.length === 0 && batcher.queued() === 0 && batcher.waiting() === 0) return;
    }
    throw new Error(`still queued: ${batcher.queued()}, held: ${batcher.waiting()}`);
  };
  return { pipeline, batcher, written, pressure, writeAll };
}

/** What a source does with one message: ask for room first, then accept (admitted if it had to wait). */
function send(pipeline: IngestPipeline, o: Observation, qos: 0 | 1 = 1): Promise<void> {
  const room = qos === 1 ? pipeline.waitForRoom() : null;
  return room ? room.then(() => pipeline.accept([o], qos, { admitted: true })) : pipeline.accept([o], qos);
}

describe('IngestPipeline backpressure', () => {
  it('lets messages straight in below the bound', async () => {
    const { pipeline, writeAll, written } = gatedPipeline(10, 100);
    expect(pipeline.waitForRoom()).toBeNull();
    const acks = Array.from({ length: 5 }, (_, i) => send(pipeline, fix('a', i)));
    await writeAll();
    await Promise.all(acks);
    expect(written).toHaveLength(5);
    expect(pipeline.held()).toBe(0);
  });

  it('sheds QoS 0 and holds QoS 1 past the bound; held ones go in, in arrival order, as room frees', async () => {
    const { pipeline, batcher, writeAll, written } = gatedPipeline(4, 2);
    const first = Array.from({ length: 4 }, (_, i) => send(pipeline, fix('a', i)));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(batcher.queued()).toBe(4);

    await expect(send(pipeline, fix('q0', 0), 0)).rejects.toBeInstanceOf(Rejection);
    let acked = 0;
    const held = ['b', 'c', 'd', 'e', 'f', 'g'].map((d, i) => send(pipeline, fix(d, 100 + i)).then(() => acked++));
    expect(pipeline.held()).toBe(6);
    expect(batcher.queued()).toBe(4);
    expect(acked).toBe(0);

    await writeAll();
    await Promise.all([...first, ...held]);
    expect(pipeline.held()).toBe(0);
    expect(acked).toBe(6);
    // Nothing shed by QoS 1, nothing overtook: the held ones were written after the first four, in the order they came.
    expect(written.slice(4).map((k) => k.split('#')[0])).toEqual(['b', 'c', 'd', 'e', 'f', 'g']);
    expect(written).not.toContain(expect.stringMatching(/^q0#/));
  });

  it('says full once as many are held as may be queued, and room again when half of them are through', async () => {
    const { pipeline, writeAll, pressure } = gatedPipeline(4, 1);
    const acks = Array.from({ length: 4 }, (_, i) => send(pipeline, fix('a', i)));
    await new Promise((resolve) => setTimeout(resolve, 5));
    const held = Array.from({ length: 3 }, (_, i) => send(pipeline, fix('b', i)));
    expect(pressure).toEqual([]);
    held.push(send(pipeline, fix('b', 3)));
    expect(pressure).toEqual([true]);
    expect(pipeline.isFull()).toBe(true);
    // A fifth held one does not say it again.
    held.push(send(pipeline, fix('b', 4)));
    expect(pressure).toEqual([true]);

    await writeAll();
    await Promise.all([...acks, ...held]);
    expect(pressure).toEqual([true, false]);
    expect(pipeline.isFull()).toBe(false);
  });
});
