import { describe, expect, it } from 'vitest';
import { TrackBuffer, usableFix } from './track.js';
import { fix } from './vehicle-fixtures.js';

describe('TrackBuffer', () => {
  it('returns the fixes within a span, oldest first, with ISO times', () => {
    const t = new TrackBuffer(10);
    for (let i = 0; i < 5; i++) t.push('v1', 1_000_000 + i * 1000, 117 + i / 1000, 36.65);
    expect(t.snippet('v1', 1_001_000, 1_003_000)).toEqual({
      type: 'LineString',
      coordinates: [
        [117.001, 36.65],
        [117.002, 36.65],
        [117.003, 36.65],
      ],
      times: [new Date(1_001_000).toISOString(), new Date(1_002_000).toISOString(), new Date(1_003_000).toISOString()],
    });
    expect(t.last('v1')).toEqual({ timeMs: 1_004_000, lon: 117.004, lat: 36.65 });
  });

  it('keeps only the newest `capacity` fixes and ignores fixes older than the newest', () => {
    const t = new TrackBuffer(3);
    for (let i = 0; i < 5; i++) t.push('v1', i * 1000, i, 0);
    t.push('v1', 2500, 99, 99);
    expect(t.snippet('v1', 0, 10_000)!.coordinates).toEqual([
      [2, 0],
      [3, 0],
      [4, 0],
    ]);
  });

  it('repeats a lone fix so the LineString stays valid, and has nothing for unknown devices or empty spans', () => {
    const t = new TrackBuffer();
    t.push('v1', 5000, 117, 36);
    expect(t.snippet('v1', 0, 10_000)!.coordinates).toEqual([
      [117, 36],
      [117, 36],
    ]);
    expect(t.snippet('v1', 6000, 10_000)).toBeUndefined();
    expect(t.snippet('v2', 0, 10_000)).toBeUndefined();
  });
});

describe('usableFix', () => {
  it('refuses non-positions and implausible jumps', () => {
    expect(usableFix(fix('v1', 0, 117, 36.6))).toBe(true);
    expect(usableFix({ ...fix('v1', 0, 117, 36.6), flags: ['implausible_jump'] } as never)).toBe(false);
    expect(
      usableFix({ type: 'telemetry', deviceId: 'v1', timeMs: 0, metrics: {}, attributes: {}, source: 'mqtt' }),
    ).toBe(false);
  });
});
