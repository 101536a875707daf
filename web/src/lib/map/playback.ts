// 轨迹回放 track playback arithmetic: a track from GET /api/devices/:id/track, and where the device was at any instant
// of it (between two fixes: on the straight line between them, in proportion to the time), with its heading.
import type { LonLat } from './datum';

export interface Track {
  deviceId: string;
  /** Fix times, ascending (ms). */
  timesMs: number[];
  coordinates: LonLat[];
  speedsKmh: (number | null)[];
  courses: (number | null)[];
  /** The hub thinned the fixes to one per this many seconds (null: every fix). */
  bucketS: number | null;
  truncated: boolean;
}

export interface TrackPosition {
  lon: number;
  lat: number;
  /** Degrees clockwise from north: the fix's course, else the bearing of the segment; null when standing still. */
  course: number | null;
  speedKmh: number | null;
  /** Index of the last fix at or before the instant. */
  index: number;
}

type UnknownRecord = Record<string, unknown>;
const isRecord = (v: unknown): v is UnknownRecord => typeof v === 'object' && v !== null && !Array.isArray(v);
const numOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Validates the track endpoint's Feature; fixes with a bad time or coordinates are dropped, order is enforced. */
export function parseTrack(body: unknown): Track {
  if (!isRecord(body) || !isRecord(body.geometry) || !isRecord(body.properties)) {
    throw new Error('the track is not a GeoJSON Feature');
  }
  const coords = Array.isArray(body.geometry.coordinates) ? (body.geometry.coordinates as unknown[]) : [];
  const p = body.properties;
  const times = Array.isArray(p.times) ? (p.times as unknown[]) : [];
  const speeds = Array.isArray(p.speedsKmh) ? (p.speedsKmh as unknown[]) : [];
  const courses = Array.isArray(p.courses) ? (p.courses as unknown[]) : [];
  const track: Track = {
    deviceId: typeof p.deviceId === 'string' ? p.deviceId : '',
    timesMs: [],
    coordinates: [],
    speedsKmh: [],
    courses: [],
    bucketS: numOrNull(p.bucketS),
    truncated: p.truncated === true,
  };
  let last = -Infinity;
  coords.forEach((c, i) => {
    const t = typeof times[i] === 'string' ? Date.parse(times[i] as string) : NaN;
    if (!Array.isArray(c) || !Number.isFinite(t) || t <= last) return;
    const [lon, lat] = c as unknown[];
    if (typeof lon !== 'number' || typeof lat !== 'number' || !Number.isFinite(lon) || !Number.isFinite(lat)) return;
    last = t;
    track.timesMs.push(t);
    track.coordinates.push([lon, lat]);
    track.speedsKmh.push(numOrNull(speeds[i]));
    track.courses.push(numOrNull(courses[i]));
  });
  return track;
}

/** Initial bearing from a to b, degrees clockwise from north. */
export function bearing(a: LonLat, b: LonLat): number {
  const rad = Math.PI / 180;
  const [lon1, lat1] = [a[0] * rad, a[1] * rad];
  const [lon2, lat2] = [b[0] * rad, b[1] * rad];
  const y = Math.sin(lon2 - lon1) * Math.cos(lat2);
  const x = Math.cos(lat1) * Math.sin(lat2) - Math.sin(lat1) * Math.cos(lat2) * Math.cos(lon2 - lon1);
  return (((Math.atan2(y, x) / rad) % 360) + 360) % 360;
}

/** Index of the last time ≤ t (−1 when t is before the first). */
function lastAtOrBefore(timesMs: readonly number[], t: number): number {
  let lo = 0;
  let hi = timesMs.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (timesMs[mid]! <= t) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/** Where the device was at `tMs`: clamped to the first and last fix outside the track's span; null for no fixes. */
export function positionAt(track: Track, tMs: number): TrackPosition | null {
  const n = track.timesMs.length;
  if (n === 0) return null;
  const i = Math.max(0, lastAtOrBefore(track.timesMs, tMs));
  const a = track.coordinates[i]!;
  if (i === n - 1 || tMs <= track.timesMs[0]!) {
    return { lon: a[0], lat: a[1], course: track.courses[i] ?? null, speedKmh: track.speedsKmh[i] ?? null, index: i };
  }
  const b = track.coordinates[i + 1]!;
  const t0 = track.timesMs[i]!;
  const f = (tMs - t0) / (track.timesMs[i + 1]! - t0);
  const moved = a[0] !== b[0] || a[1] !== b[1];
  return {
    lon: a[0] + (b[0] - a[0]) * f,
    lat: a[1] + (b[1] - a[1]) * f,
    course: moved ? bearing(a, b) : (track.courses[i] ?? null),
    speedKmh: track.speedsKmh[i] ?? null,
    index: i,
  };
}

/** China Standard Time (UTC+8, no daylight saving): the city's clock, whatever the browser's time zone. */
const CST_OFFSET_MS = 8 * 3600_000;

/** An instant as a `datetime-local` input value in China time, `2026-12-01T08:00`. */
export function toCstInput(ms: number): string {
  return new Date(ms + CST_OFFSET_MS).toISOString().slice(0, 16);
}

/** A `datetime-local` value read as China time; null when it is not one. */
export function fromCstInput(value: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value);
  if (!m) return null;
  const [y, mo, d, h, mi] = m.slice(1, 6).map(Number) as [number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, m[6] === undefined ? 0 : Number(m[6])) - CST_OFFSET_MS;
  return Number.isNaN(ms) ? null : ms;
}

/** Midnight (China time) of the day `ms` falls on: where "today's track" starts. */
export function startOfCstDay(ms: number): number {
  return Math.floor((ms + CST_OFFSET_MS) / 86_400_000) * 86_400_000 - CST_OFFSET_MS;
}
