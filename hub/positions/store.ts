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
  /** The device's last known state (online, offline, sleeping, fault) and when it was reported; null if never. */
  state: string | null;
  stateTimeMs: number | null;
}

export async function latestPositions(pool: pg.Pool): Promise<LatestPosition[]> {
  const { rows } = await pool.query<{
    device_id: string;
    time: Date;
    lat: number;
    lon: number;
    speed_kmh: number | null;
    course: number | null;
    state: string | null;
    state_time: Date | null;
  }>(
    `SELECT l.device_id, l.time, l.lat, l.lon, l.speed_kmh, l.course, s.state, s.time AS state_time
     FROM latest_positions l LEFT JOIN device_state s USING (device_id) ORDER BY l.device_id`,
  );
  return rows.map((r) => ({
    deviceId: r.device_id,
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
  /** Keep the last fix of each bucket of this many seconds; undefined: every fix. */
  bucketS?: number | undefined;
  limit: number;
}

export interface TrackPoint {
  timeMs: number;
  lat: number;
  lon: number;
  speedKmh: number | null;
}

/** A device's track between two instants, in time order, optionally thinned to one fix per time bucket. */
export async function deviceTrack(pool: pg.Pool, features: DatabaseFeatures, q: TrackQuery): Promise<TrackPoint[]> {
  const params = [q.deviceId, new Date(q.fromMs).toISOString(), new Date(q.toMs).toISOString(), q.limit];
  const sql =
    q.bucketS === undefined
      ? `SELECT time, lat, lon, speed_kmh FROM positions
         WHERE device_id = $1 AND time >= $2 AND time < $3 ORDER BY time LIMIT $4`
      : `SELECT time, lat, lon, speed_kmh FROM (
           SELECT DISTINCT ON (bucket) ${timeBucketSql(features, '$5', 'time')} AS bucket, time, lat, lon, speed_kmh
           FROM positions WHERE device_id = $1 AND time >= $2 AND time < $3
           ORDER BY bucket, time DESC
         ) b ORDER BY time LIMIT $4`;
  if (q.bucketS !== undefined) params.push(`${q.bucketS} seconds`);
  const { rows } = await pool.query<{ time: Date; lat: number; lon: number; speed_kmh: number | null }>(sql, params);
  return rows.map((r) => ({ timeMs: r.time.getTime(), lat: r.lat, lon: r.lon, speedKmh: r.speed_kmh }));
}
