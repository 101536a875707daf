// The ingest pipeline (接入流水线) after decoding: plausibility flags → backpressure → batch → durable write.
// Every source (MQTT, JT/T 808) hands its validated observations to accept(); the returned promise settles when they
// are durable, which is when the source may acknowledge them.
import { Rejection, type Observation } from '../observation.js';
import type { Batcher } from './batcher.js';
import type { JumpDetector } from './plausibility.js';

export interface PipelineOptions {
  batcher: Batcher<Observation>;
  jumps: JumpDetector;
  /** Past this many observations waiting to be durable, QoS 0 is shed and QoS 1 waits (its ack is held). */
  maxQueued: number;
  onShed?(count: number): void;
}

export class IngestPipeline {
  constructor(private readonly options: PipelineOptions) {}

  async accept(observations: Observation[], qos: 0 | 1 | 2): Promise<void> {
    const { batcher, maxQueued } = this.options;
    // Nothing to add: nothing to wait for either. (A held caller let through adds its items, and those items' write
    // is what lets the next one through; one that added none would leave the rest waiting.)
    if (observations.length === 0) return;
    if (batcher.queued() >= maxQueued) {
      if (qos === 0) {
        this.options.onShed?.(observations.length);
        throw new Rejection('rate_limited', 'the hub is overloaded: QoS 0 messages are being dropped; use QoS 1');
      }
    }
    // Holding the acknowledgement slows this publisher down (it has a window of unacknowledged messages). Held
    // publishers go through in turn, as room frees (also when others are already waiting, so none overtakes them).
    if (qos !== 0) await batcher.whenQueuedBelow(maxQueued, observations.length);
    for (const o of observations) {
      if (o.type !== 'position') continue;
      const flags = this.options.jumps.check(o.deviceId, o);
      if (flags.length > 0) o.flags = flags;
    }
    await batcher.addMany(observations);
  }
}
