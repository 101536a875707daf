// The ingest pipeline (接入流水线) after decoding: plausibility flags → backpressure → batch → durable write.
// Every source (MQTT, JT/T 808) hands its validated observations to accept(); the returned promise settles when they
// are durable, which is when the source may acknowledge them.
//
// Backpressure (背压): past `maxQueued` observations waiting to be durable, QoS 0 is shed and QoS 1 waits. A source
// that can hold a message before decoding it asks waitForRoom() first: a held message then costs its raw packet only
// (a few hundred bytes), not its decoded observations and their promises (~2 KB each, measured: 70,000 messages held
// during a database stall took 150 MB of heap that way) — so what a stall holds grows with the devices' windows at
// the cheap rate, and the decoded part stays bounded by `maxQueued`. When `maxQueued` messages are held as well the
// pipeline says it is full (onPressure): the sources then stop reading their connections (ingest/mqtt/read-gate.ts)
// until the held ones are down to half, so what the hub holds is bounded by its own settings, not by the devices.
import { Rejection, type Observation } from '../observation.js';
import type { Batcher } from './batcher.js';
import type { JumpDetector } from './plausibility.js';

export interface PipelineOptions {
  batcher: Batcher<Observation>;
  jumps: JumpDetector;
  /** Past this many observations waiting to be durable, QoS 0 is shed and QoS 1 waits (its ack is held). */
  maxQueued: number;
  onShed?(count: number): void;
  /** Full (`maxQueued` queued and as many held): stop reading connections; false: read again. */
  onPressure?(full: boolean): void;
}

export class IngestPipeline {
  private heldCount = 0;
  private full = false;

  constructor(private readonly options: PipelineOptions) {}

  /** Messages held before decoding (waitForRoom callers not yet let through). */
  held(): number {
    return this.heldCount;
  }

  /**
   * Null when a message may be decoded and accepted now; else a promise that resolves when there is room for it, in
   * arrival order with every other held message. Whoever it lets through then calls accept(…, { admitted: true }).
   */
  waitForRoom(): Promise<void> | null {
    const { batcher, maxQueued } = this.options;
    if (batcher.queued() < maxQueued && batcher.waiting() === 0) return null;
    this.heldCount++;
    if (!this.full && this.heldCount >= maxQueued) {
      this.full = true;
      this.options.onPressure?.(true);
    }
    return batcher.whenQueuedBelow(maxQueued, 1).then(() => {
      this.heldCount--;
      if (this.full && this.heldCount <= maxQueued / 2) {
        this.full = false;
        this.options.onPressure?.(false);
      }
    });
  }

  /** Whether the sources were told to stop reading (onPressure). */
  isFull(): boolean {
    return this.full;
  }

  async accept(observations: Observation[], qos: 0 | 1 | 2, options: { admitted?: boolean } = {}): Promise<void> {
    const { batcher, maxQueued } = this.options;
    // Nothing to add: nothing to wait for either. (A held caller let through adds its items, and those items' write
    // is what lets the next one through; one that added none would leave the rest waiting.)
    if (observations.length === 0) return;
    if (!options.admitted && batcher.queued() >= maxQueued) {
      if (qos === 0) {
        this.options.onShed?.(observations.length);
        throw new Rejection('rate_limited', 'the hub is overloaded: QoS 0 messages are being dropped; use QoS 1');
      }
    }
    // Holding the acknowledgement slows this publisher down (it has a window of unacknowledged messages). Held
    // publishers go through in turn, as room frees (also when others are already waiting, so none overtakes them).
    // One let through by waitForRoom() already had its turn.
    if (qos !== 0 && !options.admitted) await batcher.whenQueuedBelow(maxQueued, observations.length);
    for (const o of observations) {
      if (o.type !== 'position') continue;
      const flags = this.options.jumps.check(o.deviceId, o);
      if (flags.length > 0) o.flags = flags;
    }
    await batcher.addMany(observations);
  }
}
