// A device publishing QoS 1 positions at a steady rate over a real MQTT connection, keeping account of what the hub
// acknowledged (PUBACK received), what failed, what is still in flight, and what the hub refused on the device's
// errors topic (a refused message is acknowledged too, so a test of "acked ⇒ stored" must see that none was refused).
import type mqtt from 'mqtt';

export interface SteadyPublisherOptions {
  /** Messages per second. */
  ratePerS: number;
  /** Time of fix number 0 (epoch ms); fix n is stamped baseMs + n * stepMs, so times are distinct and increasing. */
  baseMs: number;
  stepMs: number;
  /** How often the publishing timer runs (ms); each run sends what the rate says is due. */
  tickMs?: number;
}

export class SteadyPublisher {
  /** Times (ISO) of the fixes whose PUBACK arrived, in the order the acks came. */
  readonly acked: string[] = [];
  /** Fixes whose publish failed (connection closed before the PUBACK). */
  readonly failed: { time: string; error: string }[] = [];
  /** Fixes sent and neither acknowledged nor failed yet, by sequence number. */
  readonly inFlight = new Map<number, string>();
  /** Messages the hub sent on devices/{id}/errors. */
  readonly refusals: string[] = [];
  /** Errors the client emitted (the connection dying under it, typically). */
  readonly clientErrors: string[] = [];
  sent = 0;
  private timer: NodeJS.Timeout | null = null;
  private startedAt = 0;
  private sentAtStart = 0;
  private closed = false;
  private readonly settledWaiters: (() => void)[] = [];

  constructor(
    readonly client: mqtt.MqttClient,
    readonly deviceId: string,
    private readonly options: SteadyPublisherOptions,
  ) {
    client.on('error', (err) => this.clientErrors.push(err.message));
    client.on('close', () => {
      this.closed = true;
      this.stop();
    });
    client.on('message', (topic, payload) => {
      if (topic === `devices/${deviceId}/errors`) this.refusals.push(payload.toString());
    });
  }

  /** Subscribes to the device's errors topic; call before start(). */
  async listenForRefusals(): Promise<void> {
    await this.client.subscribeAsync(`devices/${this.deviceId}/errors`, { qos: 1 });
  }

  start(): void {
    if (this.timer || this.closed) return;
    this.startedAt = Date.now();
    this.sentAtStart = this.sent;
    this.timer = setInterval(() => this.tick(), this.options.tickMs ?? 10);
  }

  /** Stops sending new fixes; those in flight still complete. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  timeOf(seq: number): string {
    return new Date(this.options.baseMs + seq * this.options.stepMs).toISOString();
  }

  /** Resolves once nothing is in flight (every fix sent was acknowledged or failed). */
  settled(): Promise<void> {
    if (this.inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  private tick(): void {
    const due = this.sentAtStart + Math.floor(((Date.now() - this.startedAt) * this.options.ratePerS) / 1000);
    while (this.sent < due && this.timer && !this.closed) this.publishOne();
  }

  private publishOne(): void {
    const seq = this.sent++;
    const time = this.timeOf(seq);
    // Tiny steps north: a plausible track, so no fix is flagged as a jump.
    const payload = JSON.stringify({ time, lat: 36.66 + seq * 1e-7, lon: 117.02, speedKmh: 20 });
    this.inFlight.set(seq, time);
    this.client.publish(`devices/${this.deviceId}/position`, payload, { qos: 1 }, (err) => {
      this.inFlight.delete(seq);
      if (err) this.failed.push({ time, error: err.message });
      else this.acked.push(time);
      if (this.inFlight.size === 0) for (const resolve of this.settledWaiters.splice(0)) resolve();
    });
  }
}
