// 登录限流（集群） failed logins counted in Redis, so the hub processes behind one address throttle together: the same
// back-off as the in-memory LoginThrottle (hub/auth/login-throttle.ts) — past a few free failures per username and per
// address, each failure doubles the wait — kept in one hash per key that expires once the key has been quiet for
// `forgetAfterMs`. Each failure is one atomic script, so concurrent guesses on several processes all count.
import type { Redis } from 'ioredis';
import type { ThrottleOptions } from '../../ingest/mqtt/auth-throttle.js';
import { BACKOFF_FAILURE_SCRIPT } from '../../ingest/mqtt/redis-auth-throttle.js';
import {
  throttleSettings,
  usernameKey,
  type LoginAttempts,
  type LoginThrottleOptions,
} from '../auth/login-throttle.js';

type Settings = Omit<ThrottleOptions, 'maxEntries'>;

export class RedisLoginAttempts implements LoginAttempts {
  private readonly settings: { username: Settings; address: Settings };

  constructor(
    private readonly redis: Redis,
    options: LoginThrottleOptions = {},
  ) {
    this.settings = throttleSettings(options);
  }

  async retryAfterMs(username: string, address: string, nowMs: number): Promise<number> {
    const [byUser, byAddress] = await Promise.all([
      this.redis.hget(userKey(username), 'blockedUntil'),
      this.redis.hget(addressKey(address), 'blockedUntil'),
    ]);
    return Math.max(0, Number(byUser ?? 0) - nowMs, Number(byAddress ?? 0) - nowMs);
  }

  async failure(username: string, address: string, nowMs: number): Promise<void> {
    await Promise.all([
      this.count(userKey(username), this.settings.username, nowMs),
      this.count(addressKey(address), this.settings.address, nowMs),
    ]);
  }

  /** Clears the username's failures; the address keeps its count (see LoginThrottle.success). */
  async success(username: string): Promise<void> {
    await this.redis.del(userKey(username));
  }

  private count(key: string, s: Settings, nowMs: number): Promise<unknown> {
    return this.redis.eval(
      BACKOFF_FAILURE_SCRIPT,
      1,
      key,
      nowMs,
      s.freeFailures,
      s.baseDelayMs,
      s.maxDelayMs,
      s.forgetAfterMs,
    );
  }
}

const userKey = (username: string) => `cityhub:login:user:${usernameKey(username)}`;
const addressKey = (address: string) => `cityhub:login:address:${address}`;
