import { describe, expect, it } from 'vitest';
import { angleDiffDeg, bearingDeg, haversineM, interpolateAlong, preparePolyline, type LonLat } from './geo.js';
import {
  JINAN_OLD_TOWN_BBOX,
  JINAN_OLD_TOWN_ROUTES,
  VEHICLE_KINDS,
  type VehicleRoute,
} from './routes/jinan-old-town.js';
import { SPEED_PROFILES, SimulatedVehicle, toPositionPayload, type PositionFix } from './vehicle.js';

const T0 = Date.parse('2026-11-25T08:00:00.000Z');

/** Drives `vehicle` for `steps` steps of `dtMs`, returning the fixes (times advancing from T0). */
function drive(vehicle: SimulatedVehicle, steps: number, dtMs: number): PositionFix[] {
  const fixes: PositionFix[] = [];
  for (let i = 1; i <= steps; i++) fixes.push(vehicle.advance(dtMs, new Date(T0 + i * dtMs)));
  return fixes;
}

// A 500 m square near 泉城广场, driven north, east, south, west.
const SQUARE: VehicleRoute = {
  id: 'test-square',
  nameZh: '测试方形',
  nameEn: 'Test square',
  vehicleKind: VEHICLE_KINDS.patrol,
  points: [
    [117.0, 36.66],
    [117.0, 36.6645],
    [117.0056, 36.6645],
    [117.0056, 36.66],
    [117.0, 36.66],
  ],
};

describe('SimulatedVehicle', () => {
  it('moves along its route', () => {
    const route = JINAN_OLD_TOWN_ROUTES[0]!;
    const line = preparePolyline(route.points);
    const vehicle = new SimulatedVehicle({ deviceId: 'veh-001', route });
    const start = vehicle.position;
    const along: number[] = [vehicle.distanceAlongRouteM];
    for (let i = 1; i <= 30; i++) {
      // One minute of fixes every two seconds; each lies on the route polyline where the vehicle has got to.
      const fix = vehicle.advance(2000, new Date(T0 + i * 2000));
      const expected = interpolateAlong(line, vehicle.distanceAlongRouteM).position;
      expect(fix.lon).toBeCloseTo(expected[0], 9);
      expect(fix.lat).toBeCloseTo(expected[1], 9);
      along.push(vehicle.distanceAlongRouteM);
    }
    // Forwards only (a minute is far less than a lap), and a fair way.
    for (let i = 1; i < along.length; i++) expect(along[i]!).toBeGreaterThanOrEqual(along[i - 1]!);
    expect(vehicle.odometerM).toBeGreaterThan(100);
    expect(vehicle.odometerM).toBeLessThan(750); // 45 km/h for a minute
    expect(haversineM(start, vehicle.position)).toBeGreaterThan(50);
  });

  it('laps a loop: distance along the route wraps while the odometer keeps counting', () => {
    const vehicle = new SimulatedVehicle({ deviceId: 'veh-lap', route: SQUARE });
    const lap = vehicle.routeLengthM;
    expect(lap).toBeGreaterThan(1800);
    expect(lap).toBeLessThan(2200);
    drive(vehicle, 1800, 2000); // an hour
    expect(vehicle.odometerM).toBeGreaterThan(2 * lap);
    expect(vehicle.distanceAlongRouteM).toBeGreaterThanOrEqual(0);
    expect(vehicle.distanceAlongRouteM).toBeLessThan(lap);
  });

  it('starts at the given offset, wrapped round the loop', () => {
    const a = new SimulatedVehicle({ deviceId: 'a', route: SQUARE, startOffsetM: 300 });
    const b = new SimulatedVehicle({ deviceId: 'b', route: SQUARE, startOffsetM: 300 + 3 * SQUARE_LENGTH() });
    const c = new SimulatedVehicle({ deviceId: 'c', route: SQUARE, startOffsetM: -100 });
    expect(a.distanceAlongRouteM).toBeCloseTo(300, 6);
    expect(b.distanceAlongRouteM).toBeCloseTo(300, 6);
    expect(c.distanceAlongRouteM).toBeCloseTo(c.routeLengthM - 100, 6);
    expect(a.odometerM).toBe(0);
  });

  it('keeps every position of every route inside the old-town bounding box', () => {
    const { minLon, maxLon, minLat, maxLat } = JINAN_OLD_TOWN_BBOX;
    for (const [i, route] of JINAN_OLD_TOWN_ROUTES.entries()) {
      const vehicle = new SimulatedVehicle({ deviceId: `veh-${i}`, route, startOffsetM: 123 * i });
      // Ninety minutes: several laps of every route.
      const outside = drive(vehicle, 2700, 2000).filter(
        (fix) => fix.lon < minLon || fix.lon > maxLon || fix.lat < minLat || fix.lat > maxLat,
      );
      expect(outside).toEqual([]);
      expect(vehicle.odometerM).toBeGreaterThan(vehicle.routeLengthM);
    }
  });

  it('drives at plausible, varying speeds with stops, and reports the speed it actually moved at', () => {
    for (const route of JINAN_OLD_TOWN_ROUTES) {
      const vehicle = new SimulatedVehicle({ deviceId: `veh-${route.id}`, route });
      const profile = SPEED_PROFILES[route.vehicleKind.code];
      const speeds: number[] = [];
      let odometer = 0;
      for (let i = 0; i < 1800; i++) {
        const fix = vehicle.advance(2000, new Date(T0 + i * 2000));
        const moved = vehicle.odometerM - odometer;
        odometer = vehicle.odometerM;
        expect(fix.speedKmh).toBeCloseTo((moved / 2) * 3.6, 6);
        speeds.push(fix.speedKmh);
      }
      expect(Math.max(...speeds)).toBeLessThanOrEqual(profile.maxKmh + 1e-6);
      expect(Math.max(...speeds)).toBeGreaterThan(profile.minKmh);
      expect(speeds.filter((s) => s === 0).length).toBeGreaterThan(10); // it stops
      expect(new Set(speeds.map((s) => Math.round(s))).size).toBeGreaterThan(10); // and varies
      const averageKmh = (vehicle.odometerM / 3600) * 3.6;
      expect(averageKmh).toBeGreaterThan(8);
      expect(averageKmh).toBeLessThan(35);
    }
  });

  it('reports a course that matches the direction of travel', () => {
    for (const route of [SQUARE, ...JINAN_OLD_TOWN_ROUTES]) {
      const line = preparePolyline(route.points);
      const vehicle = new SimulatedVehicle({ deviceId: `veh-course-${route.id}`, route });
      let checked = 0;
      let previous = vehicle.position;
      for (let i = 0; i < 900; i++) {
        const fix = vehicle.advance(1000, new Date(T0 + i * 1000));
        const along = interpolateAlong(line, vehicle.distanceAlongRouteM);
        const intoSegmentM = vehicle.distanceAlongRouteM - line.cumulativeM[along.segmentIndex]!;
        // Well into a segment the last movement was along it, so the course is the street's direction.
        if (fix.speedKmh > 0 && intoSegmentM > 10) {
          expect(Math.abs(angleDiffDeg(along.bearingDeg, fix.course))).toBeLessThan(0.5);
          // … and the direction from the previous fix to this one.
          expect(Math.abs(angleDiffDeg(bearingDeg(previous, [fix.lon, fix.lat]), fix.course))).toBeLessThan(0.5);
          checked++;
        }
        expect(fix.course).toBeGreaterThanOrEqual(0);
        expect(fix.course).toBeLessThan(360);
        previous = [fix.lon, fix.lat];
      }
      expect(checked).toBeGreaterThan(100);
    }
  });

  it('heads north, east, south and west round the square', () => {
    const vehicle = new SimulatedVehicle({ deviceId: 'veh-compass', route: SQUARE });
    const headings = new Set<number>();
    for (const fix of drive(vehicle, 900, 1000)) {
      if (fix.speedKmh > 0) {
        const nearest = [0, 90, 180, 270].find((h) => Math.abs(angleDiffDeg(h, fix.course)) < 1);
        if (nearest !== undefined) headings.add(nearest);
      }
    }
    expect([...headings].sort((a, b) => a - b)).toEqual([0, 90, 180, 270]);
  });

  it('keeps its course while stopped', () => {
    const vehicle = new SimulatedVehicle({ deviceId: 'veh-stop', route: SQUARE });
    let sawStop = false;
    let previousCourse = vehicle.course;
    for (let i = 0; i < 1800 && !sawStop; i++) {
      const fix = vehicle.advance(1000, new Date(T0 + i * 1000));
      if (fix.speedKmh === 0) {
        sawStop = true;
        expect(fix.course).toBe(previousCourse);
      }
      previousCourse = fix.course;
    }
    expect(sawStop).toBe(true);
  });

  it('is reproducible for the same device id and differs between devices', () => {
    const route = JINAN_OLD_TOWN_ROUTES[3]!;
    const run = (id: string) => drive(new SimulatedVehicle({ deviceId: id, route }), 300, 2000);
    expect(run('veh-007')).toEqual(run('veh-007'));
    expect(run('veh-007')).not.toEqual(run('veh-008'));
  });

  it('closes an open route instead of jumping from its end to its start', () => {
    const open: VehicleRoute = { ...SQUARE, points: SQUARE.points.slice(0, -1) };
    const vehicle = new SimulatedVehicle({ deviceId: 'veh-open', route: open });
    expect(vehicle.routeLengthM).toBeCloseTo(SQUARE_LENGTH(), 6);
    let previous: LonLat = vehicle.position;
    for (const fix of drive(vehicle, 600, 1000)) {
      expect(haversineM(previous, [fix.lon, fix.lat])).toBeLessThan(15); // ≤ 45 km/h for one second
      previous = [fix.lon, fix.lat];
    }
  });

  it('refuses negative or non-finite steps and ignores zero', () => {
    const vehicle = new SimulatedVehicle({ deviceId: 'veh-x', route: SQUARE });
    expect(() => vehicle.step(-1)).toThrow(RangeError);
    expect(() => vehicle.step(Number.NaN)).toThrow(RangeError);
    vehicle.step(0);
    expect(vehicle.odometerM).toBe(0);
  });
});

function SQUARE_LENGTH(): number {
  return preparePolyline(SQUARE.points).lengthM;
}

describe('toPositionPayload', () => {
  const fix: PositionFix = {
    time: new Date('2026-11-25T08:00:00.000Z'),
    lat: 36.66412345678,
    lon: 117.02012345678,
    speedKmh: 32.4567,
    course: 87.2345,
    altitudeM: 40,
    accuracyM: 5,
  };

  it('has exactly the wire fields, rounded', () => {
    const payload = toPositionPayload(fix);
    expect(payload).toEqual({
      time: '2026-11-25T08:00:00.000Z',
      lat: 36.664123,
      lon: 117.020123,
      speedKmh: 32.5,
      course: 87.2,
      altitudeM: 40,
      accuracyM: 5,
    });
    expect(Object.keys(payload).sort()).toEqual(
      ['accuracyM', 'altitudeM', 'course', 'lat', 'lon', 'speedKmh', 'time'].sort(),
    );
    expect(JSON.stringify(payload)).toBe(
      '{"time":"2026-11-25T08:00:00.000Z","lat":36.664123,"lon":117.020123,"speedKmh":32.5,"course":87.2,"altitudeM":40,"accuracyM":5}',
    );
  });

  it('never reports a course of 360 or a negative speed', () => {
    expect(toPositionPayload({ ...fix, course: 359.97 }).course).toBe(0);
    expect(toPositionPayload({ ...fix, course: 359.94 }).course).toBe(359.9);
    expect(toPositionPayload({ ...fix, speedKmh: -0.01 }).speedKmh).toBe(0);
    expect(Object.is(toPositionPayload({ ...fix, speedKmh: 0.01 }).speedKmh, 0)).toBe(true);
  });

  it('gives vehicle fixes in the wire format: UTC time, 6-decimal position, 1-decimal speed and course', () => {
    const vehicle = new SimulatedVehicle({ deviceId: 'veh-001', route: JINAN_OLD_TOWN_ROUTES[1]! });
    for (const fix of drive(vehicle, 200, 2000)) {
      const p = toPositionPayload(fix);
      expect(p.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(Date.parse(p.time)).toBe(fix.time.getTime());
      for (const [value, decimals] of [
        [p.lat, 6],
        [p.lon, 6],
        [p.speedKmh, 1],
        [p.course, 1],
      ] as const) {
        expect(Number.isFinite(value)).toBe(true);
        expect(Math.abs(value * 10 ** decimals - Math.round(value * 10 ** decimals))).toBeLessThan(1e-6);
      }
      expect(p.course).toBeGreaterThanOrEqual(0);
      expect(p.course).toBeLessThan(360);
      expect(p.speedKmh).toBeGreaterThanOrEqual(0);
      expect(p.speedKmh).toBeLessThanOrEqual(45);
      expect(p.altitudeM).toBeGreaterThan(20);
      expect(p.altitudeM).toBeLessThan(60);
      expect(p.accuracyM).toBeGreaterThanOrEqual(3);
      expect(p.accuracyM).toBeLessThanOrEqual(8);
    }
  });
});
