import { describe, expect, it } from 'vitest';
import { bearing, fromCstInput, parseTrack, positionAt, startOfCstDay, toCstInput } from './playback';

const T0 = Date.parse('2026-12-01T08:00:00Z');
const iso = (s: number) => new Date(T0 + s * 1000).toISOString();

const feature = {
  type: 'Feature',
  geometry: {
    type: 'LineString',
    coordinates: [
      [117.0, 36.66],
      [117.01, 36.66], // 10 s later, due east
      [117.01, 36.67], // 20 s later, due north
    ],
  },
  properties: {
    deviceId: 'veh-1',
    times: [iso(0), iso(10), iso(30)],
    speedsKmh: [30, 40, null],
    courses: [90, null, 0],
    bucketS: null,
    truncated: false,
  },
};

describe('track playback', () => {
  it('reads the track endpoint, dropping fixes that are malformed or out of order', () => {
    const body = structuredClone(feature);
    body.geometry.coordinates.push([117.02, 36.68], [Number.NaN as unknown as number, 36.7]);
    body.properties.times.push(iso(20), iso(40)); // 20 s is before the previous fix; the last has no longitude
    const track = parseTrack(body);
    expect(track.deviceId).toBe('veh-1');
    expect(track.timesMs).toEqual([T0, T0 + 10_000, T0 + 30_000]);
    expect(track.coordinates).toHaveLength(3);
    expect(track.courses).toEqual([90, null, 0]);
    expect(() => parseTrack({ type: 'Feature' })).toThrow('not a GeoJSON Feature');
  });

  it('puts the marker between two fixes in proportion to the time, heading along the segment', () => {
    const track = parseTrack(feature);
    const p = positionAt(track, T0 + 5_000)!;
    expect(p.lon).toBeCloseTo(117.005, 9);
    expect(p.lat).toBeCloseTo(36.66, 9);
    expect(p.course!).toBeCloseTo(90, 1);
    expect(p.index).toBe(0);
    const q = positionAt(track, T0 + 20_000)!;
    expect(q.lon).toBeCloseTo(117.01, 9);
    expect(q.lat).toBeCloseTo(36.665, 9);
    expect(q.course!).toBeCloseTo(0, 1);
    expect(q.index).toBe(1);
  });

  it('stays on the first fix before the track and on the last after it', () => {
    const track = parseTrack(feature);
    expect(positionAt(track, T0 - 60_000)).toMatchObject({ lon: 117.0, lat: 36.66, index: 0, course: 90 });
    expect(positionAt(track, T0 + 600_000)).toMatchObject({ lon: 117.01, lat: 36.67, index: 2, course: 0 });
    expect(positionAt(parseTrack({ ...feature, geometry: { coordinates: [] } }), T0)).toBeNull();
  });

  it('computes bearings clockwise from north', () => {
    expect(bearing([117, 36], [117, 37])).toBeCloseTo(0, 6);
    expect(bearing([117, 36], [118, 36])).toBeCloseTo(89.7, 1);
    expect(bearing([117, 36], [117, 35])).toBeCloseTo(180, 6);
    expect(bearing([117, 36], [116, 36])).toBeCloseTo(270.3, 1);
  });
});

describe('China time for the playback range', () => {
  it('shows and reads datetime-local values in China time (UTC+8), whatever the browser zone', () => {
    const ms = Date.parse('2026-12-01T00:30:00Z'); // 08:30 in Jinan
    expect(toCstInput(ms)).toBe('2026-12-01T08:30');
    expect(fromCstInput('2026-12-01T08:30')).toBe(ms);
    expect(fromCstInput('2026-12-01T08:30:15')).toBe(ms + 15_000);
    expect(fromCstInput('yesterday')).toBeNull();
  });

  it('starts "today" at midnight in Jinan, which is 16:00 UTC the day before', () => {
    expect(startOfCstDay(Date.parse('2026-12-01T00:30:00Z'))).toBe(Date.parse('2026-11-30T16:00:00Z'));
    expect(startOfCstDay(Date.parse('2026-12-01T17:00:00Z'))).toBe(Date.parse('2026-12-01T16:00:00Z'));
  });
});
