import { describe, expect, it } from 'vitest';
import { DeviceRateLimiter } from './admission.js';

describe('DeviceRateLimiter', () => {
  it('allows a burst, then the sustained rate, per device', () => {
    const limiter = new DeviceRateLimiter(2, 3);
    const admitted = (id: string, t: number) => limiter.admit(id, t) === null;
    expect([admitted('a', 0), admitted('a', 0), admitted('a', 0), admitted('a', 0)]).toEqual([true, true, true, false]);
    expect(admitted('b', 0)).toBe(true);
    expect(admitted('a', 500)).toBe(true); // one token back after 0.5 s at 2/s
    expect(admitted('a', 500)).toBe(false);
    expect(limiter.admit('a', 500)?.reason).toBe('rate_limited');
  });
});
