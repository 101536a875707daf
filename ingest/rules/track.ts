// 轨迹证据 evidence tracks: a small ring buffer of each device's recent fixes, so a rule that fires can attach the track
// around the event (a GeoJSON LineString with per-vertex times) without keeping whole histories.
import type { Observation } from '../observation.js';
import type { Evidence } from './types.js';

type Track = NonNullable<Evidence['track']>;

class Ring {
  readonly lon: Float64Array;
  readonly lat: Float64Array;
  readonly timeMs: Float64Array;
  /** Index of the next write. */
  head = 0;
  count = 0;
  constructor(capacity: number) {
    this.lon = new Float64Array(capacity);
    this.lat = new Float64Array(capacity);
    this.timeMs = new Float64Array(capacity);
  }
}

/** Recent fixes per device, at most `capacity` each (the oldest are overwritten). */
export class TrackBuffer {
  private readonly rings = new Map<string, Ring>();

  constructor(private readonly capacity = 120) {
    if (!(capacity >= 2)) throw new RangeError('TrackBuffer capacity must be at least 2');
  }

  /** Records a fix; fixes older than the device's newest are ignored, so the track stays in time order. */
  push(deviceId: string, timeMs: number, lon: number, lat: number): void {
    let r = this.rings.get(deviceId);
    if (!r) this.rings.set(deviceId, (r = new Ring(this.capacity)));
    if (r.count > 0 && timeMs < r.timeMs[(r.head - 1 + this.capacity) % this.capacity]!) return;
    r.lon[r.head] = lon;
    r.lat[r.head] = lat;
    r.timeMs[r.head] = timeMs;
    r.head = (r.head + 1) % this.capacity;
    if (r.count < this.capacity) r.count++;
  }

  /**
   * The device's buffered fixes with `fromMs ≤ time ≤ toMs`, oldest first, as an evidence track; undefined when fewer
   * than one fix is buffered in that span. A lone fix is repeated so the LineString stays valid GeoJSON.
   */
  snippet(deviceId: string, fromMs: number, toMs: number): Track | undefined {
    const r = this.rings.get(deviceId);
    if (!r) return undefined;
    const coordinates: number[][] = [];
    const times: string[] = [];
    for (let k = r.count; k >= 1; k--) {
      const i = (r.head - k + this.capacity) % this.capacity;
      const t = r.timeMs[i]!;
      if (t < fromMs || t > toMs) continue;
      coordinates.push([r.lon[i]!, r.lat[i]!]);
      times.push(new Date(t).toISOString());
    }
    if (coordinates.length === 0) return undefined;
    if (coordinates.length === 1) {
      coordinates.push([...coordinates[0]!]);
      times.push(times[0]!);
    }
    return { type: 'LineString', coordinates, times };
  }

  /** The device's newest buffered fix. */
  last(deviceId: string): { timeMs: number; lon: number; lat: number } | undefined {
    const r = this.rings.get(deviceId);
    if (!r || r.count === 0) return undefined;
    const i = (r.head - 1 + this.capacity) % this.capacity;
    return { timeMs: r.timeMs[i]!, lon: r.lon[i]!, lat: r.lat[i]! };
  }

  /** Forgets a device (e.g. when it leaves the rule's scope). */
  forget(deviceId: string): void {
    this.rings.delete(deviceId);
  }
}

/**
 * A rule's own list of fixes (time order, e.g. the fixes of one stay) as an evidence track. Unlike `snippet`, a lone fix
 * is not repeated.
 */
export function trackOf(fixes: readonly { timeMs: number; lon: number; lat: number }[]): Track {
  return {
    type: 'LineString',
    coordinates: fixes.map((f) => [f.lon, f.lat]),
    times: fixes.map((f) => new Date(f.timeMs).toISOString()),
  };
}

/** A position a rule may judge: finite, and not flagged by the pipeline as an implausible jump (GNSS multipath). */
export function usableFix(o: Observation): o is Extract<Observation, { type: 'position' }> {
  return (
    o.type === 'position' &&
    Number.isFinite(o.lon) &&
    Number.isFinite(o.lat) &&
    !(o.flags !== undefined && o.flags.includes('implausible_jump'))
  );
}
