// 面状几何 area geometry: validation of GeoJSON Polygon / MultiPolygon boundaries, their bbox and area on the sphere, and
// the exact point-in-polygon test the geocoder runs after its bbox index. Pure: no I/O.

/** WGS-84 [lon, lat] (an altitude, if present, is ignored). */
export type Position = number[];
export interface PolygonGeometry {
  type: 'Polygon';
  coordinates: Position[][];
}
export interface MultiPolygonGeometry {
  type: 'MultiPolygon';
  coordinates: Position[][][];
}
export type AreaGeometry = PolygonGeometry | MultiPolygonGeometry;

export interface BBox {
  minLon: number;
  minLat: number;
  maxLon: number;
  maxLat: number;
}

/** Mean Earth radius (IUGG), metres: the same sphere as the simulators' distances. */
export const EARTH_RADIUS_M = 6_371_008.8;
/** Metres per degree of latitude (and of longitude at the equator) on that sphere. */
export const METRES_PER_DEGREE = (EARTH_RADIUS_M * Math.PI) / 180;

/** Enough to describe a city's finest grid; a boundary with more vertices than this is a mistake in the file. */
export const MAX_POSITIONS = 100_000;

const isPosition = (p: unknown): p is Position =>
  Array.isArray(p) && (p.length === 2 || p.length === 3) && p.every((n) => typeof n === 'number');

/** Twice the planar signed area of a ring in degrees², only to see whether the ring encloses anything. */
function planarArea2(ring: Position[]): number {
  let sum = 0;
  for (let i = 0; i + 1 < ring.length; i++) sum += ring[i]![0]! * ring[i + 1]![1]! - ring[i + 1]![0]! * ring[i]![1]!;
  return sum;
}

function ringProblem(ring: unknown, where: string): string | null {
  if (!Array.isArray(ring)) return `${where} must be an array of positions`;
  if (ring.length < 4) return `${where} has ${ring.length} positions; a linear ring needs at least 4 (closed)`;
  for (let i = 0; i < ring.length; i++) {
    const p: unknown = ring[i];
    if (!isPosition(p)) return `${where}[${i}] must be [lon, lat] numbers`;
    const [lon, lat] = p as [number, number];
    if (!Number.isFinite(lon) || !Number.isFinite(lat)) return `${where}[${i}] is not a finite number`;
    if (lon < -180 || lon > 180) return `${where}[${i}] longitude ${lon} is outside −180…180 (is it [lon, lat]?)`;
    if (lat < -90 || lat > 90) return `${where}[${i}] latitude ${lat} is outside −90…90 (is it [lon, lat]?)`;
  }
  const first = ring[0] as Position;
  const last = ring[ring.length - 1] as Position;
  if (first[0] !== last[0] || first[1] !== last[1]) {
    return `${where} is not closed: its last position must equal its first`;
  }
  if (planarArea2(ring as Position[]) === 0) return `${where} encloses no area`;
  return null;
}

function polygonProblem(rings: unknown, where: string, count: { positions: number }): string | null {
  if (!Array.isArray(rings) || rings.length === 0) return `${where} must be a non-empty array of linear rings`;
  for (let r = 0; r < rings.length; r++) {
    const problem = ringProblem(rings[r], `${where}[${r}]`);
    if (problem) return problem;
    count.positions += (rings[r] as unknown[]).length;
  }
  return null;
}

/**
 * Why `geometry` is not a usable area boundary, or null. Checks the structure, closed rings of at least 4 positions,
 * ranges and finite numbers; self-intersection is not checked (the point test still answers, by parity).
 */
export function geometryProblem(geometry: unknown): string | null {
  if (typeof geometry !== 'object' || geometry === null || Array.isArray(geometry)) {
    return 'geometry must be a GeoJSON Polygon or MultiPolygon object';
  }
  const g = geometry as { type?: unknown; coordinates?: unknown };
  const count = { positions: 0 };
  let problem: string | null;
  if (g.type === 'Polygon') problem = polygonProblem(g.coordinates, 'geometry.coordinates', count);
  else if (g.type === 'MultiPolygon') {
    if (!Array.isArray(g.coordinates) || g.coordinates.length === 0) {
      return 'geometry.coordinates must be a non-empty array of polygons';
    }
    problem = null;
    for (let i = 0; i < g.coordinates.length && !problem; i++) {
      problem = polygonProblem(g.coordinates[i], `geometry.coordinates[${i}]`, count);
    }
  } else {
    return `geometry.type must be Polygon or MultiPolygon, got ${JSON.stringify(g.type ?? null)}`;
  }
  if (!problem && count.positions > MAX_POSITIONS) {
    problem = `geometry has ${count.positions} positions, more than ${MAX_POSITIONS}`;
  }
  return problem;
}

const polygonsOf = (g: AreaGeometry): Position[][][] => (g.type === 'Polygon' ? [g.coordinates] : g.coordinates);

export function geometryBBox(g: AreaGeometry): BBox {
  let minLon = Infinity;
  let minLat = Infinity;
  let maxLon = -Infinity;
  let maxLat = -Infinity;
  // Holes lie inside their outer ring, so the outer rings bound everything.
  for (const polygon of polygonsOf(g)) {
    for (const p of polygon[0]!) {
      if (p[0]! < minLon) minLon = p[0]!;
      if (p[0]! > maxLon) maxLon = p[0]!;
      if (p[1]! < minLat) minLat = p[1]!;
      if (p[1]! > maxLat) maxLat = p[1]!;
    }
  }
  return { minLon, minLat, maxLon, maxLat };
}

const toRad = (deg: number) => (deg * Math.PI) / 180;

/** A ring's area on the sphere, m² (the spherical-excess approximation of Chamberlain & Duquette, 2007). */
function ringAreaM2(ring: Position[]): number {
  let sum = 0;
  for (let i = 0; i + 1 < ring.length; i++) {
    const [lon1, lat1] = ring[i]!;
    const [lon2, lat2] = ring[i + 1]!;
    sum += toRad(lon2! - lon1!) * (2 + Math.sin(toRad(lat1!)) + Math.sin(toRad(lat2!)));
  }
  return Math.abs((sum * EARTH_RADIUS_M * EARTH_RADIUS_M) / 2);
}

/** Area enclosed, m²: outer rings minus their holes. */
export function geometryAreaM2(g: AreaGeometry): number {
  let total = 0;
  for (const [outer, ...holes] of polygonsOf(g)) {
    total += ringAreaM2(outer!) - holes.reduce((s, h) => s + ringAreaM2(h), 0);
  }
  return total;
}

/** A boundary ready for fast point tests: per polygon, its rings as flat [lon0, lat0, lon1, lat1, …] arrays. */
export type PreparedGeometry = Float64Array[][];

export function prepareGeometry(g: AreaGeometry): PreparedGeometry {
  return polygonsOf(g).map((rings) => rings.map((ring) => Float64Array.from(ring.flatMap((p) => [p[0]!, p[1]!]))));
}

/**
 * Whether the point is inside: crossing-number parity over all rings of a polygon (so holes cut out), any polygon of a
 * MultiPolygon.
 *
 * Boundary rule: each edge's crossing is computed from its endpoints ordered by latitude, so two areas sharing an
 * edge compute bit-identical crossings and a point on the shared edge goes to exactly one of them — the one east of
 * the edge (for an east–west edge, the one north of it). On an axis-aligned cell that makes the cell own its west and
 * south edges and its south-west corner, not its east and north edges.
 */
export function containsPoint(prepared: PreparedGeometry, lon: number, lat: number): boolean {
  for (let p = 0; p < prepared.length; p++) {
    const rings = prepared[p]!;
    let inside = false;
    for (let r = 0; r < rings.length; r++) {
      const ring = rings[r]!;
      for (let i = 0; i + 3 < ring.length; i += 2) {
        const y1 = ring[i + 1]!;
        const y2 = ring[i + 3]!;
        if (y1 > lat !== y2 > lat) {
          const x1 = ring[i]!;
          const x2 = ring[i + 2]!;
          const crossLon =
            y1 < y2 ? x1 + ((lat - y1) * (x2 - x1)) / (y2 - y1) : x2 + ((lat - y2) * (x1 - x2)) / (y1 - y2);
          if (lon < crossLon) inside = !inside;
        }
      }
    }
    if (inside) return true;
  }
  return false;
}
