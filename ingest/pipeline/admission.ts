// Admission control (限流): each device may send so many messages per second (a token bucket with a burst), so one
// misbehaving device cannot starve the others. Pure: the clock is an argument.
import { Rejection } from '../observation.js';

interface Bucket {
  tokens: number;
  lastMs: number;
}

export class DeviceRateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {}

  /** Null when the device may send now (and a token is taken), else the Rejection to send back. */
  admit(deviceId: string, nowMs: number): Rejection | null {
    const bucket = this.buckets.get(deviceId) ?? { tokens: this.burst, lastMs: nowMs };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((nowMs - bucket.lastMs) / 1000) * this.perSecond);
    bucket.lastMs = nowMs;
    this.buckets.set(deviceId, bucket);
    if (bucket.tokens < 1) {
      return new Rejection(
        'rate_limited',
        `more than ${this.perSecond} messages/s (burst ${this.burst}); send batches (devices/{id}/positions) instead`,
      );
    }
    bucket.tokens -= 1;
    return null;
  }
}
