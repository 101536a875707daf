import { describe, expect, it } from 'vitest';
import { angleDiffDeg, bearingDeg, haversineM, polylineLengthM } from '../geo.js';
import { JINAN_OLD_TOWN_BBOX, JINAN_OLD_TOWN_ROUTES, VEHICLE_KINDS } from './jinan-old-town.js';

describe('Jinan old-town routes', () => {
  it('has 6–10 routes with unique kebab-case ids and Chinese and English names', () => {
    expect(JINAN_OLD_TOWN_ROUTES.length).toBeGreaterThanOrEqual(6);
    expect(JINAN_OLD_TOWN_ROUTES.length).toBeLessThanOrEqual(10);
    const ids = JINAN_OLD_TOWN_ROUTES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const route of JINAN_OLD_TOWN_ROUTES) {
      expect(route.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(route.nameZh).toMatch(/\p{Script=Han}/u);
      expect(route.nameEn).toMatch(/^[\x20-\x7e–]+$/);
      expect(Object.values(VEHICLE_KINDS)).toContain(route.vehicleKind);
    }
  });

  it.each(JINAN_OLD_TOWN_ROUTES.map((r) => [r.id, r] as const))(
    '%s is a closed, street-like loop in the bbox',
    (_id, route) => {
      const { points } = route;
      const { minLon, maxLon, minLat, maxLat } = JINAN_OLD_TOWN_BBOX;
      expect(points.length).toBeGreaterThanOrEqual(5);
      expect(points[points.length - 1]).toEqual(points[0]);
      for (const [lon, lat] of points) {
        expect(lon).toBeGreaterThanOrEqual(minLon);
        expect(lon).toBeLessThanOrEqual(maxLon);
        expect(lat).toBeGreaterThanOrEqual(minLat);
        expect(lat).toBeLessThanOrEqual(maxLat);
      }
      // Streets, not jumps across town: segments between 50 m and 1 km, loops between 2 and 15 km.
      for (let i = 1; i < points.length; i++) {
        const d = haversineM(points[i - 1]!, points[i]!);
        expect(d).toBeGreaterThan(50);
        expect(d).toBeLessThan(1000);
      }
      const length = polylineLengthM(points);
      expect(length).toBeGreaterThan(2000);
      expect(length).toBeLessThan(15_000);
      // No U-turns on the spot: consecutive segments never reverse.
      for (let i = 2; i < points.length; i++) {
        const turn = angleDiffDeg(bearingDeg(points[i - 2]!, points[i - 1]!), bearingDeg(points[i - 1]!, points[i]!));
        expect(Math.abs(turn)).toBeLessThan(150);
      }
    },
  );

  it('puts 泉城路 where expected: east–west near lat 36.664 between lon 117.010 and 117.035', () => {
    const route = JINAN_OLD_TOWN_ROUTES.find((r) => r.id === 'quancheng-xianxi')!;
    const onQuancheng = route.points.filter(([, lat]) => Math.abs(lat - 36.664) < 0.0005);
    expect(onQuancheng.length).toBeGreaterThanOrEqual(3);
    for (const [lon] of onQuancheng) {
      expect(lon).toBeGreaterThanOrEqual(117.01);
      expect(lon).toBeLessThanOrEqual(117.035);
    }
  });
});
