import { describe, expect, it } from 'vitest';
import type { VehiclePosition } from '$lib/api/contract';
import { PositionIndex } from './position-index';

const fix = (deviceId: string, second: number, lon = 117.02): VehiclePosition => {
  const time = new Date(Date.UTC(2026, 10, 25, 8, 0, second)).toISOString();
  return { deviceId, time, timeMs: Date.parse(time), lon, lat: 36.66, speedKmh: null, course: null };
};

describe('PositionIndex', () => {
  it('keeps the newest fix per device and never moves backwards', () => {
    const index = new PositionIndex();
    expect(index.applyDeltas([fix('a', 10, 117.1)])).toBe(true);
    expect(index.applyDeltas([fix('a', 5, 117.0)])).toBe(false);
    expect(index.applyDeltas([fix('a', 10, 117.2)])).toBe(false);
    expect(index.get('a')?.lon).toBe(117.1);
  });

  it('takes a snapshot as the device set but keeps newer deltas that raced it', () => {
    const index = new PositionIndex();
    index.applyDeltas([fix('gone', 1), fix('a', 1)]);
    index.beginSnapshot();
    index.applyDeltas([fix('a', 20, 117.3), fix('new', 21)]);
    index.applySnapshot([fix('a', 15, 117.2), fix('b', 15)]);
    expect([...index.values()].map((p) => p.deviceId).sort()).toEqual(['a', 'b', 'new']);
    expect(index.get('a')?.lon).toBe(117.3);
  });
});
