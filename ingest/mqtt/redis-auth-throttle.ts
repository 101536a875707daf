// 登录退避（集群） the MQTT login back-off counted in Redis, so the hub processes behind one address throttle an address
// together: a client guessing passwords gains nothing by spreading its CONNECTs over them. The same back-off as the
// in-memory AuthThrottle (auth-throttle.ts), kept in one hash per address (`failures`, `blockedUntil`) that expires once
// the address has been quiet for `forgetAfterMs`; each failure is one atomic script, so guesses arriving at several
// processes at once all count.
//
// The check runs on every CONNECT, so it is one Redis round trip (HMGET), and it fails OPEN: when Redis does not answer
// within `checkWithinMs` (or errors), the CONNECT goes ahead unthrottled and a warning is logged once until Redis
// answers again. A device fleet must not be locked out because Redis blinked; while Redis is away the processes'
// shared sessions and messages are failing anyway, and the credential check itself (scrypt, the database) still holds.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { LoginBackoff, ThrottleOptions } from './auth-throttle.js';

/**
 * One failure on KEYS[1]: counts it, and past ARGV[2] free failures sets `blockedUntil` = now (ARGV[1]) + base
 * (ARGV[3]) doubled per further failure, capped at ARGV[4]; the key expires ARGV[5] ms after its last failure.
 * Shared with the HTTP login throttle (hub/cluster/login-attempts.ts).
 */
export const BACKOFF_FAILURE_SCRIPT = `
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local over = failures - tonumber(ARGV[2])
if over > 0 then
  local delay = math.min(tonumber(ARGV[4]), tonumber(ARGV[3]) * math.pow(2, math.min(over - 1, 40)))
  redis.call('HSET', KEYS[1], 'blockedUntil', tonumber(ARGV[1]) + delay)
end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return failures`;

/** How long a CONNECT waits for Redis's answer before going ahead unthrottled. */
export const CHECK_WITHIN_MS = 250;

/** Addresses remembered as having failures (their next success clears the count); past this, forgotten. */
const MAX_REMEMBERED = 100_000;

export interface RedisAuthThrottleOptions {
  /** The back-off itself (MQTT_LOGIN_BACKOFF for the broker). */
  backoff: Omit<ThrottleOptions, 'maxEntries'>;
  checkWithinMs?: number;
  /** Key prefix; the hub's default `cityhub:mqtt-login:`. */
  prefix?: string;
}

export class RedisAuthThrottle implements LoginBackoff {
  /** Addresses this process saw with failures: only their success costs a Redis write. */
  private readonly failing = new Set<string>();
  private readonly backoff: Omit<ThrottleOptions, 'maxEntries'>;
  private readonly checkWithinMs: number;
  private readonly prefix: string;
  private unreachable = false;

  constructor(
    private readonly redis: Redis,
    private readonly log: Logger,
    options: RedisAuthThrottleOptions,
  ) {
    this.backoff = options.backoff;
    this.checkWithinMs = options.checkWithinMs ?? CHECK_WITHIN_MS;
    this.prefix = options.prefix ?? 'cityhub:mqtt-login:';
  }

  async retryAfterMs(address: string, nowMs: number): Promise<number> {
    try {
      const [failures, blockedUntil] = await within(
        this.redis.hmget(this.key(address), 'failures', 'blockedUntil'),
        this.checkWithinMs,
      );
      this.answered();
      if (Number(failures ?? 0) > 0) this.remember(address);
      return Math.max(0, Number(blockedUntil ?? 0) - nowMs);
    } catch (err) {
      this.failed(err);
      return 0;
    }
  }

  async failure(address: string, nowMs: number): Promise<void> {
    this.remember(address);
    const b = this.backoff;
    try {
      await this.redis.eval(
        BACKOFF_FAILURE_SCRIPT,
        1,
        this.key(address),
        nowMs,
        b.freeFailures,
        b.baseDelayMs,
        b.maxDelayMs,
        b.forgetAfterMs,
      );
      this.answered();
    } catch (err) {
      this.failed(err);
    }
  }

  /** Clears the address's failures (as AuthThrottle.success does); a write only when it had some. */
  async success(address: string): Promise<void> {
    if (!this.failing.delete(address)) return;
    try {
      await this.redis.del(this.key(address));
    } catch (err) {
      this.failed(err);
    }
  }

  private key(address: string): string {
    return `${this.prefix}${address}`;
  }

  private remember(address: string): void {
    if (this.failing.size >= MAX_REMEMBERED) this.failing.clear();
    this.failing.add(address);
  }

  private answered(): void {
    if (!this.unreachable) return;
    this.unreachable = false;
    this.log.info({}, 'MQTT login back-off: Redis answers again; failed logins are counted across the processes');
  }

  private failed(err: unknown): void {
    if (this.unreachable) return;
    this.unreachable = true;
    this.log.warn(
      { err: (err as Error).message },
      'MQTT login back-off: Redis does not answer; logins go ahead unthrottled (fail open) until it does',
    );
  }
}

/** The promise's value, or a rejection after `ms` (the promise's own later rejection is then ignored). */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  promise.catch(() => undefined);
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
