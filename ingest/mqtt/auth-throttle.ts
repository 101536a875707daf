// Brute-force protection (防暴力破解): each failed MQTT login from an address doubles how long that address must wait
// before it may try again (1 s, 2 s, 4 s … up to a cap); a success clears it. Pure: the clock is an argument. This
// process's memory (AuthThrottle); with several hub processes the same back-off is counted in Redis
// (redis-auth-throttle.ts), behind one interface (LoginBackoff).

export interface ThrottleOptions {
  /** Failures allowed before any waiting starts (a device with a typo in its config should not be locked at once). */
  freeFailures: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Entries idle this long are forgotten, so the table cannot grow without bound. */
  forgetAfterMs: number;
  maxEntries: number;
}

/** The MQTT broker's back-off: three free failures, then 1 s doubling up to 5 min; forgotten after 30 quiet minutes. */
export const MQTT_LOGIN_BACKOFF: ThrottleOptions = {
  freeFailures: 3,
  baseDelayMs: 1000,
  maxDelayMs: 5 * 60_000,
  forgetAfterMs: 30 * 60_000,
  maxEntries: 100_000,
};

/**
 * Where failed logins per address are counted: in memory (AuthThrottle, one process) or in Redis (RedisAuthThrottle,
 * every process together). The Redis one answers with promises, which never reject (it fails open and logs);
 * `retryAfterMs` is checked on every CONNECT.
 */
export interface LoginBackoff {
  /** How many ms this address must still wait; 0 means it may try now. */
  retryAfterMs(address: string, nowMs: number): number | Promise<number>;
  failure(address: string, nowMs: number): void | Promise<void>;
  success(address: string): void | Promise<void>;
}

interface Entry {
  failures: number;
  blockedUntilMs: number;
  lastMs: number;
}

export class AuthThrottle implements LoginBackoff {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: ThrottleOptions) {}

  /** How many ms this address must still wait; 0 means it may try now. */
  retryAfterMs(address: string, nowMs: number): number {
    const e = this.entries.get(address);
    return e ? Math.max(0, e.blockedUntilMs - nowMs) : 0;
  }

  failure(address: string, nowMs: number): void {
    const e = this.entries.get(address) ?? { failures: 0, blockedUntilMs: 0, lastMs: nowMs };
    e.failures++;
    e.lastMs = nowMs;
    const over = e.failures - this.options.freeFailures;
    if (over > 0) {
      e.blockedUntilMs = nowMs + Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** (over - 1));
    }
    this.entries.delete(address); // re-insert: Map order doubles as least-recently-used order
    this.entries.set(address, e);
    this.prune(nowMs);
  }

  success(address: string): void {
    this.entries.delete(address);
  }

  get size(): number {
    return this.entries.size;
  }

  private prune(nowMs: number): void {
    for (const [address, e] of this.entries) {
      if (this.entries.size <= this.options.maxEntries && nowMs - e.lastMs < this.options.forgetAfterMs) break;
      this.entries.delete(address);
    }
  }
}
