// 区域索引 zone index: which configured zones (no-entry, no-stopping, speed-limit areas) contain a point — a flatbush
// index over the zones' bboxes, then an exact point-in-polygon test. Local hours are local-time.ts. Pure: no I/O.
import Flatbush from 'flatbush';
import type { Zone } from './types.js';

interface PreparedZone {
  zone: Zone;
  /** Rings per polygon, first the outer ring then holes, as flat [lon0, lat0, lon1, lat1, …]. */
  polygons: Float64Array[][];
}

function prepare(zone: Zone): { prepared: PreparedZone; bbox: [number, number, number, number] } {
  const polys = zone.geometry.type === 'Polygon' ? [zone.geometry.coordinates] : zone.geometry.coordinates;
  let [minLon, minLat, maxLon, maxLat] = [Infinity, Infinity, -Infinity, -Infinity];
  const polygons = polys.map((rings) =>
    rings.map((ring) => {
      const flat = new Float64Array(ring.length * 2);
      ring.forEach((p, i) => {
        const lon = p[0]!;
        const lat = p[1]!;
        flat[2 * i] = lon;
        flat[2 * i + 1] = lat;
        if (lon < minLon) minLon = lon;
        if (lon > maxLon) maxLon = lon;
        if (lat < minLat) minLat = lat;
        if (lat > maxLat) maxLat = lat;
      });
      return flat;
    }),
  );
  return { prepared: { zone, polygons }, bbox: [minLon, minLat, maxLon, maxLat] };
}

/** Even–odd crossing test of one ring; the ring may or may not repeat its first vertex at the end. */
function inRing(ring: Float64Array, lon: number, lat: number): boolean {
  let inside = false;
  const n = ring.length / 2;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const xi = ring[2 * i]!;
    const yi = ring[2 * i + 1]!;
    const xj = ring[2 * j]!;
    const yj = ring[2 * j + 1]!;
    if (yi > lat !== yj > lat && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function contains(z: PreparedZone, lon: number, lat: number): boolean {
  for (const rings of z.polygons) {
    if (!inRing(rings[0]!, lon, lat)) continue;
    let inHole = false;
    for (let h = 1; h < rings.length && !inHole; h++) inHole = inRing(rings[h]!, lon, lat);
    if (!inHole) return true;
  }
  return false;
}

const NONE: readonly Zone[] = Object.freeze([]);

/** A static index of zones; rebuilt (cheaply) when the zone set changes. */
export class ZoneIndex {
  private readonly prepared: PreparedZone[] = [];
  private readonly index: Flatbush | null = null;

  constructor(zones: Iterable<Zone>) {
    const boxes: [number, number, number, number][] = [];
    for (const zone of zones) {
      const { prepared, bbox } = prepare(zone);
      if (!Number.isFinite(bbox[0])) continue;
      this.prepared.push(prepared);
      boxes.push(bbox);
    }
    // Flatbush cannot hold zero items.
    if (boxes.length === 0) return;
    const index = new Flatbush(boxes.length);
    for (const b of boxes) index.add(b[0], b[1], b[2], b[3]);
    index.finish();
    this.index = index;
  }

  get size(): number {
    return this.prepared.length;
  }

  /** The zones containing the point (boundary points may fall either way), in the order the zones were given. */
  zonesAt(lon: number, lat: number): readonly Zone[] {
    if (!this.index || !Number.isFinite(lon) || !Number.isFinite(lat)) return NONE;
    const hits = this.index.search(lon, lat, lon, lat);
    if (hits.length === 0) return NONE;
    if (hits.length > 1) hits.sort((a, b) => a - b);
    const out: Zone[] = [];
    for (const i of hits) if (contains(this.prepared[i]!, lon, lat)) out.push(this.prepared[i]!.zone);
    return out.length === 0 ? NONE : out;
  }
}

/** The zones of `ids` from the zone set, skipping unknown ids (the rule's `check` reports those). */
export function pickZones(zones: ReadonlyMap<string, Zone>, ids: readonly string[]): Zone[] {
  return ids.flatMap((id) => {
    const z = zones.get(id);
    return z ? [z] : [];
  });
}
