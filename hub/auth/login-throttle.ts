// 登录限流 login throttling against password guessing: failed logins are counted per client address and per username,
// and past a few free failures each one doubles the wait before the next attempt (ingest/mqtt/auth-throttle.ts, the
// same back-off the MQTT broker uses). Per username stops a botnet spreading guesses at one account over many
// addresses; per address stops one client trying many accounts.
import { AuthThrottle, type ThrottleOptions } from '../../ingest/mqtt/auth-throttle.js';

export interface LoginThrottleOptions {
  /** Failed logins for one username before the first wait; default 5. */
  usernameFreeFailures?: number;
  /** Failed logins from one address before the first wait; default 20 (an office behind one NAT address shares it). */
  addressFreeFailures?: number;
  /** The first wait; each further failure doubles it. Default 1 s. */
  baseDelayMs?: number;
  /** Default 15 min. */
  maxDelayMs?: number;
  /** A key with no failure for this long starts afresh. Default 1 h. */
  forgetAfterMs?: number;
}

/**
 * Where failed logins are counted: this process's memory (LoginThrottle), or, with several hub processes, Redis
 * (hub/cluster/login-attempts.ts), so spreading guesses over the processes behind the load balancer gains nothing.
 */
export interface LoginAttempts {
  retryAfterMs(username: string, address: string, nowMs: number): number | Promise<number>;
  failure(username: string, address: string, nowMs: number): void | Promise<void>;
  success(username: string): void | Promise<void>;
}

/** The options with their defaults, per key: the username's and the address's own throttle. */
export function throttleSettings(options: LoginThrottleOptions = {}): {
  username: Omit<ThrottleOptions, 'maxEntries'>;
  address: Omit<ThrottleOptions, 'maxEntries'>;
} {
  const common = {
    baseDelayMs: options.baseDelayMs ?? 1000,
    maxDelayMs: options.maxDelayMs ?? 15 * 60_000,
    forgetAfterMs: options.forgetAfterMs ?? 60 * 60_000,
  };
  // AuthThrottle starts waiting on the failure after its free ones; here the Nth failure itself starts the wait.
  return {
    username: { ...common, freeFailures: (options.usernameFreeFailures ?? 5) - 1 },
    address: { ...common, freeFailures: (options.addressFreeFailures ?? 20) - 1 },
  };
}

export class LoginThrottle implements LoginAttempts {
  private readonly byUsername: AuthThrottle;
  private readonly byAddress: AuthThrottle;

  constructor(options: LoginThrottleOptions = {}) {
    const settings = throttleSettings(options);
    this.byUsername = new AuthThrottle({ ...settings.username, maxEntries: 100_000 });
    this.byAddress = new AuthThrottle({ ...settings.address, maxEntries: 100_000 });
  }

  /** How long this attempt must wait (0: it may go ahead). */
  retryAfterMs(username: string, address: string, nowMs: number): number {
    return Math.max(
      this.byUsername.retryAfterMs(usernameKey(username), nowMs),
      this.byAddress.retryAfterMs(address, nowMs),
    );
  }

  failure(username: string, address: string, nowMs: number): void {
    this.byUsername.failure(usernameKey(username), nowMs);
    this.byAddress.failure(address, nowMs);
  }

  /** Clears the username's failures. The address keeps its count (it decays): otherwise logging in to one's own
   * account between guesses at others would reset it. */
  success(username: string): void {
    this.byUsername.success(usernameKey(username));
  }
}

export const usernameKey = (username: string) => username.trim().normalize('NFC').toLowerCase();
