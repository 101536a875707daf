import { describe, expect, it } from 'vitest';
import {
  EARTH_RADIUS_M,
  angleDiffDeg,
  bearingDeg,
  haversineM,
  interpolateAlong,
  normalizeDeg,
  polylineLengthM,
  preparePolyline,
  type LonLat,
} from './geo.js';

const QUANCHENG_SQUARE: LonLat = [117.0175, 36.661];

describe('haversineM', () => {
  it('is zero for the same point and symmetric', () => {
    expect(haversineM(QUANCHENG_SQUARE, QUANCHENG_SQUARE)).toBe(0);
    const other: LonLat = [117.035, 36.679];
    expect(haversineM(QUANCHENG_SQUARE, other)).toBeCloseTo(haversineM(other, QUANCHENG_SQUARE), 9);
  });

  it('gives one degree of latitude (and of longitude on the equator) as R·π/180 ≈ 111.195 km', () => {
    const oneDegree = (EARTH_RADIUS_M * Math.PI) / 180;
    expect(oneDegree).toBeCloseTo(111_195.08, 1);
    expect(haversineM([0, 0], [0, 1])).toBeCloseTo(oneDegree, 3);
    expect(haversineM([0, 0], [1, 0])).toBeCloseTo(oneDegree, 3);
    expect(haversineM([117, 36], [117, 37])).toBeCloseTo(oneDegree, 3);
  });

  it('shrinks a degree of longitude by cos(latitude): 0.01° at Jinan ≈ 892 m', () => {
    const expected = 0.01 * ((EARTH_RADIUS_M * Math.PI) / 180) * Math.cos((36.664 * Math.PI) / 180);
    expect(expected).toBeCloseTo(891.95, 1);
    expect(haversineM([117.01, 36.664], [117.02, 36.664])).toBeCloseTo(expected, 1);
  });

  it('matches the classic Nashville (BNA) → Los Angeles (LAX) value', () => {
    // 2887.26 km with R = 6372.8 km (the textbook example), i.e. 2886.45 km with the mean radius used here.
    const d = haversineM([-86.67, 36.12], [-118.4, 33.94]);
    expect(d / 1000).toBeCloseTo((2887.26 * EARTH_RADIUS_M) / 6_372_800, 1);
    expect(d / 1000).toBeCloseTo(2886.45, 1);
  });

  it('gives Beijing → Shanghai about 1068 km', () => {
    // Tiananmen (116.3975, 39.9087) to the Bund (121.4903, 31.2397).
    expect(haversineM([116.3975, 39.9087], [121.4903, 31.2397]) / 1000).toBeCloseTo(1067.8, 0);
  });
});

describe('bearingDeg', () => {
  const d = 0.001;
  const [lon, lat] = QUANCHENG_SQUARE;
  it.each([
    ['north', [lon, lat + d], 0],
    ['east', [lon + d, lat], 90],
    ['south', [lon, lat - d], 180],
    ['west', [lon - d, lat], 270],
    ['north-east', [lon + d / Math.cos((lat * Math.PI) / 180), lat + d], 45],
  ] as const)('points %s', (_name, to, expected) => {
    expect(bearingDeg(QUANCHENG_SQUARE, to)).toBeCloseTo(expected, 2);
  });

  it('stays in [0, 360) and is 0 for coincident points', () => {
    expect(bearingDeg(QUANCHENG_SQUARE, QUANCHENG_SQUARE)).toBe(0);
    const almostNorthWest = bearingDeg([0, 0], [-1e-9, 1]);
    expect(almostNorthWest).toBeGreaterThan(359.99);
    expect(almostNorthWest).toBeLessThan(360);
  });

  it('gives the great-circle initial bearing over long distances', () => {
    // Along the equator due east, then from the equator towards the pole due north.
    expect(bearingDeg([0, 0], [10, 0])).toBeCloseTo(90, 9);
    expect(bearingDeg([30, 0], [30, 89])).toBeCloseTo(0, 9);
    // From (0°, 0°) to (45°E, 45°N): tan θ = sin45°·cos45° / sin45° = cos45°, so θ = atan(1/√2) ≈ 35.264°.
    expect(bearingDeg([0, 0], [45, 45])).toBeCloseTo((Math.atan(Math.SQRT1_2) * 180) / Math.PI, 9);
    expect(bearingDeg([0, 0], [45, 45])).toBeCloseTo(35.264, 3);
  });
});

describe('normalizeDeg and angleDiffDeg', () => {
  it('normalizes to [0, 360)', () => {
    expect(normalizeDeg(0)).toBe(0);
    expect(normalizeDeg(360)).toBe(0);
    expect(normalizeDeg(-90)).toBe(270);
    expect(normalizeDeg(725)).toBe(5);
    expect(Object.is(normalizeDeg(-360), 0)).toBe(true);
  });

  it('gives the signed smallest difference', () => {
    expect(angleDiffDeg(350, 10)).toBe(20);
    expect(angleDiffDeg(10, 350)).toBe(-20);
    expect(angleDiffDeg(0, 180)).toBe(180);
    expect(angleDiffDeg(90, 90)).toBe(0);
  });
});

describe('preparePolyline and interpolateAlong', () => {
  // An L: 0.01° north, then 0.01° east.
  const a: LonLat = [117.0, 36.66];
  const b: LonLat = [117.0, 36.67];
  const c: LonLat = [117.01, 36.67];
  const line = preparePolyline([a, b, b, c]);
  const ab = haversineM(a, b);
  const bc = haversineM(b, c);

  it('drops consecutive duplicates and accumulates distances', () => {
    expect(line.points).toEqual([a, b, c]);
    expect(line.cumulativeM).toEqual([0, ab, ab + bc]);
    expect(line.lengthM).toBeCloseTo(ab + bc, 9);
    expect(polylineLengthM([a, b, c])).toBeCloseTo(line.lengthM, 9);
  });

  it('refuses fewer than two distinct points', () => {
    expect(() => preparePolyline([a])).toThrow(RangeError);
    expect(() => preparePolyline([a, a])).toThrow(RangeError);
  });

  it('returns the endpoints at 0 and at the full length', () => {
    expect(interpolateAlong(line, 0)).toEqual({ position: a, segmentIndex: 0, bearingDeg: bearingDeg(a, b) });
    const end = interpolateAlong(line, line.lengthM);
    expect(end.position[0]).toBeCloseTo(c[0], 12);
    expect(end.position[1]).toBeCloseTo(c[1], 12);
    expect(end.segmentIndex).toBe(1);
  });

  it('clamps distances outside the line', () => {
    expect(interpolateAlong(line, -50).position).toEqual(a);
    expect(interpolateAlong(line, line.lengthM + 50).position).toEqual(interpolateAlong(line, line.lengthM).position);
    expect(interpolateAlong(line, Number.NaN).position).toEqual(a);
  });

  it('finds midpoints of segments, with the segment bearing', () => {
    const midAb = interpolateAlong(line, ab / 2);
    expect(midAb.position[0]).toBeCloseTo(117.0, 12);
    expect(midAb.position[1]).toBeCloseTo(36.665, 9);
    expect(midAb.segmentIndex).toBe(0);
    expect(midAb.bearingDeg).toBeCloseTo(0, 6);

    const midBc = interpolateAlong(line, ab + bc / 2);
    expect(midBc.position[0]).toBeCloseTo(117.005, 9);
    expect(midBc.position[1]).toBeCloseTo(36.67, 12);
    expect(midBc.segmentIndex).toBe(1);
    expect(midBc.bearingDeg).toBeCloseTo(90, 2);
  });

  it('puts a point on a vertex on the segment that starts there', () => {
    const atB = interpolateAlong(line, ab);
    expect(atB.position[0]).toBeCloseTo(b[0], 12);
    expect(atB.position[1]).toBeCloseTo(b[1], 12);
    expect(atB.segmentIndex).toBe(1);
  });

  it('is consistent with haversine: the point d metres along is d metres from the start on a straight line', () => {
    const straight = preparePolyline([a, b]);
    for (const d of [1, 10, 123.4, 500, 1000]) {
      expect(haversineM(a, interpolateAlong(straight, d).position)).toBeCloseTo(d, 3);
    }
  });
});
