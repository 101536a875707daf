// Position queries (定位查询): the latest fix per device for the map, and a device's track over time.
import type pg from 'pg';
import { timeBucketSql, type DatabaseFeatures } from '../db/pool.js';

export interface LatestPosition {
  deviceId: string;
  timeMs: number;
  lat: number;
  lon: number;
  speedKmh: number | null;
  course: number | null;
  /** The device's kind in the registry (vehicle, collector, sensor, camera); null when it is no longer registered. */
  kind: string | null;
  /** The device's last known state (online, offline, sleeping, fault) and when it was reported; null if never. */
  state: string | null;
  stateTimeMs: number | null;
}

export async function latestPositions(pool: pg.Pool): Promise<LatestPosition[]> {
  const { rows } = await pool.query<{
    device_id: string;
    kind: string | null;
    time: Date;
    lat: number;
    lon: number;
    speed_kmh: number | null;
    course: number | null;
    state: string | null;
    state_time: Date | null;
  }>(
    `SELECT l.device_id, d.kind, l.time, l.lat, l.lon, l.speed_kmh, l.course, s.state, s.time AS state_time
     FROM latest_positions l LEFT JOIN device_state s USING (device_id) LEFT JOIN devices d ON d.id = l.device_id
     ORDER BY l.device_id`,
  );
  return rows.map((r) => ({
    deviceId: r.device_id,
    kind: r.kind,
    timeMs: r.time.getTime(),
    lat: r.lat,
    lon: r.lon,
    speedKmh: r.speed_kmh,
    course: r.course,
    state: r.state,
    stateTimeMs: r.state_time?.getTime() ?? null,
  }));
}

export interface TrackQuery {
  deviceId: string;
  fromMs: number;
  toMs: number;
  /** Keep the last fix of each bucket of this many seconds; undefined: every fix (or see maxPoints). */
  bucketS?: number | undefined;
  /**
   * Without bucketS: when the range holds more fixes than this, thin it to about this many with buckets of
   * range ÷ maxPoints (playback asks for a day at screen resolution, not for 86,400 fixes).
   */
  maxPoints?: number | undefined;
  limit: number;
}

export interface TrackPoint {
  timeMs: number;
  lat: number;
  lon: number;
  speedKmh: number | null;
  course: number | null;
}

export interface Track {
  points: TrackPoint[];
  /** The bucket the points were thinned with; null: every fix. */
  bucketS: number | null;
  /** More fixes matched than `limit`: the track stops early. */
  truncated: boolean;
}

// Fixes flagged on the way in (an implausible jump) are stored but kept off tracks, as they are kept off the live map.
const TRACK_WHERE = `device_id = $1 AND time >= $2 AND time < $3 AND cardinality(flags) = 0`;

/** A device's track between two instants, in time order, optionally thinned to one fix per time bucket. */
export async function deviceTrack(pool: pg.Pool, features: DatabaseFeatures, q: TrackQuery): Promise<Track> {
  const range = [q.deviceId, new Date(q.fromMs).toISOString(), new Date(q.toMs).toISOString()];
  let bucketS = q.bucketS ?? null;
  if (bucketS === null && q.maxPoints !== undefined) {
    const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM positions WHERE ${TRACK_WHERE}`, range);
    if (Number(rows[0]!.n) > q.maxPoints) bucketS = Math.max(1, Math.ceil((q.toMs - q.fromMs) / 1000 / q.maxPoints));
  }
  // One more than the limit tells whether the track was cut.
  const params: unknown[] = [...range, q.limit + 1];
  const sql =
    bucketS === null
      ? `SELECT time, lat, lon, speed_kmh, course FROM positions WHERE ${TRACK_WHERE} ORDER BY time LIMIT $4`
      : `SELECT time, lat, lon, speed_kmh, course FROM (
           SELECT DISTINCT ON (bucket) ${timeBucketSql(features, '$5', 'time')} AS bucket, time, lat, lon, speed_kmh, course
           FROM positions WHERE ${TRACK_WHERE}
           ORDER BY bucket, time DESC
         ) b ORDER BY time LIMIT $4`;
  if (bucketS !== null) params.push(`${bucketS} seconds`);
  const { rows } = await pool.query<{
    time: Date;
    lat: number;
    lon: number;
    speed_kmh: number | null;
    course: number | null;
  }>(sql, params);
  const truncated = rows.length > q.limit;
  const points = rows.slice(0, q.limit).map((r) => ({
    timeMs: r.time.getTime(),
    lat: r.lat,
    lon: r.lon,
    speedKmh: r.speed_kmh,
    course: r.course,
  }));
  return { points, bucketS, truncated };
}
