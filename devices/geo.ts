// Small spherical-geometry helpers for the device simulators. Pure: no I/O, no clock, no randomness.
// Coordinates are WGS-84 [lon, lat] in degrees (GeoJSON order); distances are metres on a sphere of the Earth's mean
// radius, which is well within a metre per kilometre of the ellipsoid — plenty for simulated GPS tracks.

/** A WGS-84 position, [longitude, latitude] in degrees (GeoJSON order). */
export type LonLat = readonly [lon: number, lat: number];

/** Mean Earth radius (IUGG), metres. */
export const EARTH_RADIUS_M = 6_371_008.8;

const toRad = (deg: number): number => (deg * Math.PI) / 180;
const toDeg = (rad: number): number => (rad * 180) / Math.PI;

/** Maps any angle to [0, 360). */
export function normalizeDeg(deg: number): number {
  const d = deg % 360;
  // `+ 0` turns -0 into 0.
  return (d < 0 ? d + 360 : d) + 0;
}

/** Signed smallest difference `b - a` between two headings, in (-180, 180]. */
export function angleDiffDeg(a: number, b: number): number {
  const d = normalizeDeg(b - a);
  return d > 180 ? d - 360 : d;
}

/** Great-circle (haversine) distance between two positions, metres. */
export function haversineM(a: LonLat, b: LonLat): number {
  const [lon1, lat1] = a;
  const [lon2, lat2] = b;
  const dLat = toRad(lat2 - lat1);
  const dLon = toRad(lon2 - lon1);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(toRad(lat1)) * Math.cos(toRad(lat2)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * Initial great-circle bearing from `from` to `to`, degrees clockwise from true north in [0, 360).
 * Returns 0 when the two positions coincide.
 */
export function bearingDeg(from: LonLat, to: LonLat): number {
  const [lon1, lat1] = from;
  const [lon2, lat2] = to;
  const phi1 = toRad(lat1);
  const phi2 = toRad(lat2);
  const dLambda = toRad(lon2 - lon1);
  const y = Math.sin(dLambda) * Math.cos(phi2);
  const x = Math.cos(phi1) * Math.sin(phi2) - Math.sin(phi1) * Math.cos(phi2) * Math.cos(dLambda);
  if (x === 0 && y === 0) return 0;
  return normalizeDeg(toDeg(Math.atan2(y, x)));
}

/**
 * Linear interpolation between two positions, `t` in [0, 1]. Exact enough for the short (sub-kilometre) street
 * segments the simulators use: the error against the great circle is far below GPS accuracy.
 */
export function lerpLonLat(a: LonLat, b: LonLat, t: number): LonLat {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
}

/** A polyline with its cumulative distances precomputed, for repeated interpolation. */
export interface PreparedPolyline {
  /** The vertices, consecutive duplicates removed. */
  readonly points: readonly LonLat[];
  /** `cumulativeM[i]` is the distance along the line from `points[0]` to `points[i]`; `cumulativeM[0] === 0`. */
  readonly cumulativeM: readonly number[];
  /** Total length, metres. */
  readonly lengthM: number;
}

/** Precomputes cumulative distances. Throws when fewer than two distinct points are given. */
export function preparePolyline(points: readonly LonLat[]): PreparedPolyline {
  const distinct: LonLat[] = [];
  for (const p of points) {
    const last = distinct[distinct.length - 1];
    if (!last || last[0] !== p[0] || last[1] !== p[1]) distinct.push(p);
  }
  if (distinct.length < 2) throw new RangeError('a polyline needs at least two distinct points');
  const cumulativeM = [0];
  let total = 0;
  for (let i = 1; i < distinct.length; i++) {
    total += haversineM(distinct[i - 1]!, distinct[i]!);
    cumulativeM.push(total);
  }
  return { points: distinct, cumulativeM, lengthM: total };
}

/** Total length of a polyline, metres. */
export function polylineLengthM(points: readonly LonLat[]): number {
  let total = 0;
  for (let i = 1; i < points.length; i++) total += haversineM(points[i - 1]!, points[i]!);
  return total;
}

/** A point found along a polyline. */
export interface PointAlong {
  position: LonLat;
  /** Index of the segment (`points[i]` → `points[i + 1]`) the point lies on. */
  segmentIndex: number;
  /** Bearing of that segment, i.e. the direction of travel along the line at that point, degrees [0, 360). */
  bearingDeg: number;
}

/**
 * The point `distanceM` metres along the line from its first vertex. Distances are clamped to [0, lengthM], so 0 gives
 * the first vertex and lengthM the last. A point exactly on a vertex belongs to the segment that starts there (except
 * the last vertex, which ends the last segment).
 */
export function interpolateAlong(line: PreparedPolyline, distanceM: number): PointAlong {
  const { points, cumulativeM, lengthM } = line;
  const d = Number.isFinite(distanceM) ? Math.min(Math.max(distanceM, 0), lengthM) : 0;
  // Binary search for the last vertex with cumulativeM <= d, capped at the start of the last segment.
  let lo = 0;
  let hi = points.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (cumulativeM[mid]! <= d) lo = mid;
    else hi = mid - 1;
  }
  const a = points[lo]!;
  const b = points[lo + 1]!;
  const segStart = cumulativeM[lo]!;
  const segLength = cumulativeM[lo + 1]! - segStart;
  const t = segLength > 0 ? Math.min(1, Math.max(0, (d - segStart) / segLength)) : 0;
  return { position: lerpLonLat(a, b, t), segmentIndex: lo, bearingDeg: bearingDeg(a, b) };
}
