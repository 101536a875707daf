import { describe, expect, it } from 'vitest';
import { ProjectedLine } from './line.js';

/** Great-circle distance on the same sphere, the independent reference. */
function haversineM(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const r = 6_371_008.8;
  const rad = Math.PI / 180;
  const a =
    Math.sin(((lat2 - lat1) * rad) / 2) ** 2 +
    Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(((lon2 - lon1) * rad) / 2) ** 2;
  return 2 * r * Math.asin(Math.sqrt(a));
}

describe('ProjectedLine', () => {
  // An L: east along 36.65 N from 117.00 to 117.01, then north to 36.66.
  const line = new ProjectedLine([
    [117.0, 36.65],
    [117.01, 36.65],
    [117.01, 36.66],
  ]);

  it('measures point-to-polyline distance in metres like the great circle does at city scale', () => {
    // 0.001° north of the first leg: 111.19 m.
    expect(line.distanceM(117.005, 36.651)).toBeCloseTo(haversineM(117.005, 36.651, 117.005, 36.65), 0);
    expect(line.distanceM(117.005, 36.651)).toBeGreaterThan(110.9);
    expect(line.distanceM(117.005, 36.651)).toBeLessThan(111.5);
    // East of the second leg by 0.002° at 36.655 N: 0.002 · 111 195 · cos 36.655° ≈ 178.4 m.
    const d = line.distanceM(117.012, 36.655);
    expect(Math.abs(d - haversineM(117.012, 36.655, 117.01, 36.655))).toBeLessThan(0.5);
    // Beyond the start: the distance to the first vertex.
    expect(Math.abs(line.distanceM(116.999, 36.649) - haversineM(116.999, 36.649, 117.0, 36.65))).toBeLessThan(0.5);
    expect(line.distanceM(117.01, 36.655)).toBeLessThan(0.01);
  });

  it('answers "within" questions early without claiming a point far away is near', () => {
    expect(line.distanceM(117.005, 36.6502, 50)).toBeLessThanOrEqual(50);
    expect(line.distanceM(117.005, 36.652, 50)).toBeGreaterThan(50);
    expect(line.distanceM(117.03, 36.7, 50)).toBeGreaterThan(50);
  });

  it('has its length, samples every ≤ 10 m and a midpoint along the line', () => {
    const expected = haversineM(117.0, 36.65, 117.01, 36.65) + haversineM(117.01, 36.65, 117.01, 36.66);
    expect(Math.abs(line.lengthM - expected)).toBeLessThan(1);
    const samples = line.samples(10);
    // 891.6 m → 90 pieces, 1111.9 m → 112 pieces, plus the start: 203 points.
    expect(samples.length / 2).toBe(1 + 90 + 112);
    // Half of ~2003.6 m is ~1001.8 m: 110 m up the second leg.
    const [lon, lat] = line.midpoint();
    expect(lon).toBeCloseTo(117.01, 6);
    expect(Math.abs(haversineM(117.01, 36.65, lon, lat) - (expected / 2 - 891.6))).toBeLessThan(1);
  });
});
