// 导航到现场 getting the collector to a task's place: the straight-line distance from where the phone is, and links that
// open the phone's own map app at the point (geo: URI on Android, Apple Maps on iOS, and 高德地图 Amap, which takes
// WGS-84 coordinates when told so). Pure functions.

export interface Point {
  lon: number;
  lat: number;
}

/** The point of a report: from GPS (with its accuracy) or picked on the map (accuracy null). */
export interface ChosenPoint extends Point {
  accuracyM: number | null;
}

const EARTH_RADIUS_M = 6_371_008.8;
const rad = (deg: number) => (deg * Math.PI) / 180;

/** Great-circle distance in metres (haversine). */
export function distanceM(a: Point, b: Point): number {
  const dLat = rad(b.lat - a.lat);
  const dLon = rad(b.lon - a.lon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** 350 m, 1.2 km, 12 km. */
export function formatDistance(metres: number): string {
  if (metres < 1000) return `${Math.round(metres)} m`;
  return `${(metres / 1000).toFixed(metres < 10_000 ? 1 : 0)} km`;
}

export interface MapLinks {
  /** RFC 5870 geo: URI with a labelled pin; Android offers the installed map apps. */
  geo: string;
  /** Amap's URI API, WGS-84 input; opens the app when installed, its web map otherwise. */
  amap: string;
  apple: string;
}

const fixed = (n: number) => n.toFixed(6);

export function mapLinks(point: Point, label: string): MapLinks {
  const lat = fixed(point.lat);
  const lon = fixed(point.lon);
  const name = encodeURIComponent(label);
  return {
    geo: `geo:${lat},${lon}?q=${lat},${lon}(${name})`,
    amap: `https://uri.amap.com/marker?position=${lon},${lat}&name=${name}&coordinate=wgs84&callnative=1`,
    apple: `https://maps.apple.com/?ll=${lat},${lon}&q=${name}`,
  };
}

/** Whether this is an iPhone or iPad, where geo: links do nothing. */
export function isAppleMobile(userAgent: string): boolean {
  return /iPhone|iPad|iPod/.test(userAgent);
}
