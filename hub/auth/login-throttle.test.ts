// 登录限流 login throttling per username and per address.
import { describe, expect, it } from 'vitest';
import { LoginThrottle } from './login-throttle.js';

describe('login throttle', () => {
  it('makes a username wait after 5 failures, doubling each time, whatever the address', () => {
    const t = new LoginThrottle({ usernameFreeFailures: 5, addressFreeFailures: 100, baseDelayMs: 1000 });
    for (let i = 1; i <= 4; i++) {
      t.failure('alice', `10.0.0.${i}`, 0);
      expect(t.retryAfterMs('alice', '10.9.9.9', 0)).toBe(0);
    }
    t.failure('alice', '10.0.0.5', 0);
    expect(t.retryAfterMs('alice', '10.9.9.9', 0)).toBe(1000);
    // Case and surrounding blanks do not make another account.
    expect(t.retryAfterMs(' ALICE ', '10.9.9.9', 500)).toBe(500);
    expect(t.retryAfterMs('bob', '10.0.0.5', 0)).toBe(0);
    t.failure('alice', '10.0.0.6', 1000);
    expect(t.retryAfterMs('alice', '10.9.9.9', 1000)).toBe(2000);
    t.failure('alice', '10.0.0.6', 3000);
    expect(t.retryAfterMs('alice', '10.9.9.9', 3000)).toBe(4000);
    t.success('alice');
    expect(t.retryAfterMs('alice', '10.9.9.9', 3000)).toBe(0);
  });

  it('makes an address wait after its own (larger) number of failures, over any usernames', () => {
    const t = new LoginThrottle({ usernameFreeFailures: 5, addressFreeFailures: 3, baseDelayMs: 1000 });
    t.failure('a', '10.0.0.1', 0);
    t.failure('b', '10.0.0.1', 0);
    expect(t.retryAfterMs('c', '10.0.0.1', 0)).toBe(0);
    t.failure('c', '10.0.0.1', 0);
    expect(t.retryAfterMs('d', '10.0.0.1', 0)).toBe(1000);
    expect(t.retryAfterMs('d', '10.0.0.2', 0)).toBe(0);
    // A success clears the username only: the address keeps its count.
    t.success('c');
    expect(t.retryAfterMs('d', '10.0.0.1', 0)).toBe(1000);
  });

  it('caps the wait', () => {
    const t = new LoginThrottle({ usernameFreeFailures: 1, baseDelayMs: 1000, maxDelayMs: 5000 });
    for (let i = 0; i < 20; i++) t.failure('a', '10.0.0.1', 0);
    expect(t.retryAfterMs('a', '10.0.0.1', 0)).toBe(5000);
  });
});
