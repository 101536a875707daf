// A simulated city-management vehicle (模拟车辆) driving round a closed route: it cruises at a speed that varies
// within its kind's range, slows for sharp corners, stops now and then (traffic lights, bin pickups, inspections) and
// reports GPS-like fixes whose speed and course are derived from how it actually moved. Pure apart from the
// injectable random source: no I/O, no timers, no clock (the caller passes the time of each fix).
import {
  angleDiffDeg,
  bearingDeg,
  interpolateAlong,
  preparePolyline,
  type LonLat,
  type PreparedPolyline,
} from './geo.js';
import type { VehicleKindCode, VehicleRoute } from './routes/jinan-old-town.js';

/** How a kind of vehicle drives. Speeds in km/h, distances in metres, durations in seconds. */
export interface SpeedProfile {
  /** Cruise speeds are drawn from [minKmh, maxKmh]. */
  minKmh: number;
  maxKmh: number;
  /** Distance driven between two stops, drawn from this range. */
  stopEveryM: readonly [min: number, max: number];
  /** How long a stop lasts, drawn from this range. */
  stopDurationS: readonly [min: number, max: number];
}

/** Plausible urban driving for each kind; all within 15–45 km/h when moving. */
export const SPEED_PROFILES: Readonly<Record<VehicleKindCode, SpeedProfile>> = {
  sanitation: { minKmh: 15, maxKmh: 25, stopEveryM: [250, 700], stopDurationS: [10, 40] },
  watering: { minKmh: 15, maxKmh: 30, stopEveryM: [400, 1200], stopDurationS: [5, 30] },
  garbage: { minKmh: 15, maxKmh: 35, stopEveryM: [200, 600], stopDurationS: [20, 90] },
  muck: { minKmh: 20, maxKmh: 45, stopEveryM: [500, 1500], stopDurationS: [15, 60] },
  patrol: { minKmh: 20, maxKmh: 45, stopEveryM: [400, 1200], stopDurationS: [10, 60] },
  enforcement: { minKmh: 20, maxKmh: 45, stopEveryM: [300, 1000], stopDurationS: [10, 120] },
};

/** One GPS fix (定位) of a vehicle, unrounded. */
export interface PositionFix {
  time: Date;
  lat: number;
  lon: number;
  /** Ground speed over the last step, km/h. */
  speedKmh: number;
  /** Direction of travel, degrees clockwise from north, [0, 360). */
  course: number;
  altitudeM: number;
  /** Horizontal accuracy (1-sigma), metres. */
  accuracyM: number;
}

/** The JSON body of `devices/{deviceId}/position`. */
export interface PositionPayload {
  /** ISO 8601 UTC time of the fix. */
  time: string;
  /** WGS-84 degrees, 6 decimals. */
  lat: number;
  lon: number;
  /** km/h, 1 decimal. */
  speedKmh: number;
  /** Degrees [0, 360), 1 decimal. */
  course: number;
  altitudeM: number;
  accuracyM: number;
}

const round = (value: number, decimals: number): number => {
  const f = 10 ** decimals;
  // `+ 0` turns -0 into 0.
  return Math.round(value * f) / f + 0;
};

/** Rounds a fix into the wire format. */
export function toPositionPayload(fix: PositionFix): PositionPayload {
  const course = round(fix.course, 1);
  return {
    time: fix.time.toISOString(),
    lat: round(fix.lat, 6),
    lon: round(fix.lon, 6),
    speedKmh: round(Math.max(0, fix.speedKmh), 1),
    // 359.96 rounds to 360.0, which is not a valid course.
    course: course >= 360 ? 0 : course,
    altitudeM: round(fix.altitudeM, 1),
    accuracyM: round(fix.accuracyM, 1),
  };
}

/** A small, fast, seedable PRNG (mulberry32) returning numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a hash of a string, for deriving a per-vehicle seed from its device id. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export interface SimulatedVehicleOptions {
  deviceId: string;
  route: VehicleRoute;
  /** Where on the route the vehicle starts, metres from its first point (wrapped round the loop). Default 0. */
  startOffsetM?: number;
  /** Random source in [0, 1). Default: seeded from the device id, so runs are reproducible. */
  random?: () => number;
  /** Default: the profile of the route's vehicle kind. */
  speedProfile?: SpeedProfile;
}

// Heavy vehicles in town: gentle acceleration, braking planned at a comfortable rate.
const ACCEL_MS2 = 1.0;
const PLANNED_DECEL_MS2 = 1.2;
const MAX_DECEL_MS2 = 3.0;
/** Integration step; also the window the reported course is measured over. */
const SUBSTEP_S = 0.5;
/** Corners sharper than this slow the vehicle down; how far ahead it looks for them. */
const CORNER_MIN_TURN_DEG = 25;
const CORNER_LOOKAHEAD_M = 150;
/** Rough terrain: the old town slopes down from ~45 m at 经十路 to ~28 m at 北园大街 (approximate, not DEM data). */
const altitudeAt = (lat: number): number => 27 + (36.69 - lat) * 500;

interface Corner {
  /** Distance along the loop, metres. */
  atM: number;
  /** Speed allowed through the corner, m/s. */
  speedMs: number;
}

const kmhToMs = (kmh: number): number => kmh / 3.6;

export class SimulatedVehicle {
  readonly deviceId: string;
  readonly route: VehicleRoute;
  readonly speedProfile: SpeedProfile;

  readonly #line: PreparedPolyline;
  readonly #corners: readonly Corner[];
  readonly #random: () => number;
  readonly #startOffsetM: number;

  /** Total distance driven since construction. */
  #odometerM = 0;
  /** Current speed, m/s. */
  #speedMs: number;
  #cruiseMs: number;
  #cruiseChangeInS: number;
  #nextStopAtM: number;
  #stopRemainingS = 0;
  /** Reported values, derived from movement. */
  #reportedSpeedKmh = 0;
  #courseDeg: number;

  constructor(options: SimulatedVehicleOptions) {
    this.deviceId = options.deviceId;
    this.route = options.route;
    this.speedProfile = options.speedProfile ?? SPEED_PROFILES[options.route.vehicleKind.code];
    this.#random = options.random ?? seededRandom(hashString(options.deviceId));

    const points = [...options.route.points];
    const first = points[0];
    const last = points[points.length - 1];
    // Routes are loops; close an open polyline rather than teleporting from its end to its start.
    if (first && last && (first[0] !== last[0] || first[1] !== last[1])) points.push(first);
    this.#line = preparePolyline(points);
    this.#corners = findCorners(this.#line);
    const length = this.#line.lengthM;
    this.#startOffsetM = (((options.startOffsetM ?? 0) % length) + length) % length;

    // Start mid-trip: already cruising, next stop some way ahead.
    this.#cruiseMs = this.#drawCruise();
    this.#speedMs = this.#cruiseMs;
    this.#cruiseChangeInS = this.#between(8, 25);
    this.#nextStopAtM = this.#between(...this.speedProfile.stopEveryM);
    this.#courseDeg = interpolateAlong(this.#line, this.#startOffsetM).bearingDeg;
  }

  /** Length of one lap of the route, metres. */
  get routeLengthM(): number {
    return this.#line.lengthM;
  }

  /** Total distance driven, metres. */
  get odometerM(): number {
    return this.#odometerM;
  }

  /** Current distance from the route's first point along the loop, in [0, routeLengthM). */
  get distanceAlongRouteM(): number {
    return (this.#startOffsetM + this.#odometerM) % this.#line.lengthM;
  }

  /** Current position, [lon, lat]. */
  get position(): LonLat {
    return interpolateAlong(this.#line, this.distanceAlongRouteM).position;
  }

  /** True while the vehicle stands at a stop. */
  get isStopped(): boolean {
    return this.#stopRemainingS > 0;
  }

  /** Speed over the last step, km/h (what a fix reports). */
  get speedKmh(): number {
    return this.#reportedSpeedKmh;
  }

  /** Direction of the last movement, degrees [0, 360) (what a fix reports). */
  get course(): number {
    return this.#courseDeg;
  }

  /** Advances the simulation by `dtMs` of simulated time. */
  step(dtMs: number): void {
    if (!Number.isFinite(dtMs) || dtMs < 0) throw new RangeError(`dtMs must be a finite number >= 0, got ${dtMs}`);
    if (dtMs === 0) return;
    const odometerBefore = this.#odometerM;
    let remainingS = dtMs / 1000;
    while (remainingS > 1e-9) {
      const h = Math.min(SUBSTEP_S, remainingS);
      this.#substep(h);
      remainingS -= h;
    }
    this.#reportedSpeedKmh = ((this.#odometerM - odometerBefore) / (dtMs / 1000)) * 3.6;
  }

  /** The fix a GPS receiver on the vehicle would report now. */
  fix(time: Date): PositionFix {
    const [lon, lat] = this.position;
    return {
      time,
      lat,
      lon,
      speedKmh: this.#reportedSpeedKmh,
      course: this.#courseDeg,
      altitudeM: Math.round(altitudeAt(lat) + (this.#random() - 0.5) * 3),
      accuracyM: Math.round(this.#between(3, 8)),
    };
  }

  /** `step(dtMs)` then `fix(time)`. */
  advance(dtMs: number, time: Date): PositionFix {
    this.step(dtMs);
    return this.fix(time);
  }

  #substep(h: number): void {
    if (this.#stopRemainingS > 0) {
      this.#speedMs = 0;
      this.#stopRemainingS -= h;
      if (this.#stopRemainingS <= 0) {
        this.#stopRemainingS = 0;
        this.#nextStopAtM = this.#odometerM + this.#between(...this.speedProfile.stopEveryM);
        this.#cruiseMs = this.#drawCruise();
      }
      return;
    }

    this.#cruiseChangeInS -= h;
    if (this.#cruiseChangeInS <= 0) {
      this.#cruiseMs = this.#drawCruise();
      this.#cruiseChangeInS = this.#between(8, 25);
    }

    // The fastest speed from which the vehicle can still brake comfortably for the next stop and corners.
    const toStopM = Math.max(0, this.#nextStopAtM - this.#odometerM);
    let desired = Math.min(this.#cruiseMs, Math.sqrt(2 * PLANNED_DECEL_MS2 * toStopM));
    const along = this.distanceAlongRouteM;
    const length = this.#line.lengthM;
    for (const corner of this.#corners) {
      const ahead = (((corner.atM - along) % length) + length) % length;
      if (ahead <= CORNER_LOOKAHEAD_M) {
        desired = Math.min(desired, Math.sqrt(corner.speedMs ** 2 + 2 * PLANNED_DECEL_MS2 * ahead));
      }
    }

    const v0 = this.#speedMs;
    const v1 = v0 < desired ? Math.min(desired, v0 + ACCEL_MS2 * h) : Math.max(desired, v0 - MAX_DECEL_MS2 * h);
    let moveM = ((v0 + v1) / 2) * h;
    this.#speedMs = v1;
    if (moveM >= toStopM) {
      // Arrived at the stop.
      moveM = toStopM;
      this.#speedMs = 0;
      this.#stopRemainingS = this.#between(...this.speedProfile.stopDurationS);
    }
    if (moveM > 0) {
      const before = this.position;
      this.#odometerM += moveM;
      this.#courseDeg = bearingDeg(before, this.position);
    }
  }

  #drawCruise(): number {
    return kmhToMs(this.#between(this.speedProfile.minKmh, this.speedProfile.maxKmh));
  }

  #between(min: number, max: number): number {
    return min + (max - min) * this.#random();
  }
}

/** Vertices of a closed polyline where the direction changes enough to slow down for, with the speed allowed. */
function findCorners(line: PreparedPolyline): Corner[] {
  const { points, cumulativeM, lengthM } = line;
  const segments = points.length - 1;
  const bearings: number[] = [];
  for (let i = 0; i < segments; i++) bearings.push(bearingDeg(points[i]!, points[i + 1]!));
  const corners: Corner[] = [];
  // Vertex i (1..segments) joins segment i-1 to segment i; the last vertex is the first again and joins the last
  // segment to the first.
  for (let i = 1; i <= segments; i++) {
    const turn = Math.abs(angleDiffDeg(bearings[i - 1]!, bearings[i % segments]!));
    if (turn < CORNER_MIN_TURN_DEG) continue;
    const speedKmh = turn >= 60 ? 12 : 20;
    corners.push({ atM: i === segments ? lengthM : cumulativeM[i]!, speedMs: kmhToMs(speedKmh) });
  }
  return corners;
}
