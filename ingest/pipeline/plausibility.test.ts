import { describe, expect, it } from 'vitest';
import { haversineM, IMPLAUSIBLE_JUMP, JumpDetector } from './plausibility.js';

const t0 = Date.UTC(2026, 10, 25, 8);

describe('JumpDetector', () => {
  it('flags a fix implying more than 250 km/h and judges later fixes against the last good one', () => {
    const d = new JumpDetector();
    expect(d.check('v', { timeMs: t0, lat: 36.66, lon: 117.02 })).toEqual([]);
    // ~1.1 km in 10 s = ~400 km/h
    expect(d.check('v', { timeMs: t0 + 10_000, lat: 36.67, lon: 117.02 })).toEqual([IMPLAUSIBLE_JUMP]);
    // 100 m from the good fix 20 s later: plausible
    expect(d.check('v', { timeMs: t0 + 20_000, lat: 36.6609, lon: 117.02 })).toEqual([]);
  });

  it('accepts a new place after several consistent "impossible" fixes', () => {
    const d = new JumpDetector();
    d.check('v', { timeMs: t0, lat: 0, lon: 0 });
    const at = (s: number) => d.check('v', { timeMs: t0 + s * 1000, lat: 36.66, lon: 117.02 + s / 100_000 });
    expect([at(10), at(20), at(30)]).toEqual([[IMPLAUSIBLE_JUMP], [IMPLAUSIBLE_JUMP], [IMPLAUSIBLE_JUMP]]);
    expect(at(40)).toEqual([]);
  });

  it('does not judge late fixes', () => {
    const d = new JumpDetector();
    d.check('v', { timeMs: t0, lat: 36.66, lon: 117.02 });
    expect(d.check('v', { timeMs: t0 - 1000, lat: 10, lon: 10 })).toEqual([]);
  });

  it('measures distance on the sphere', () => {
    expect(haversineM(0, 0, 1, 0)).toBeCloseTo(111_195, -1);
  });
});
