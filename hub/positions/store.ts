// Position storage (定位存储): batched, idempotent writes to the positions hypertable and the per-device latest fix,
// and the queries the map and track views need.
import type pg from 'pg';
import type { Position } from '../../ingest/observation.js';
import { timeBucketSql, type DatabaseFeatures } from '../db/pool.js';

// One statement whatever the batch size (arrays in, unnest out), so the server plans it once.
const INSERT_POSITIONS = `
INSERT INTO positions (time, device_id, lat, lon, speed_kmh, course, altitude_m, accuracy_m, source, attributes)
SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::float8[], $4::float8[], $5::real[], $6::real[], $7::real[],
                     $8::real[], $9::text[], $10::jsonb[])
ON CONFLICT (device_id, time) DO NOTHING`;

const UPSERT_LATEST = `
INSERT INTO latest_positions AS l (device_id, time, lat, lon, speed_kmh, course, source)
SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::float8[], $4::float8[], $5::real[], $6::real[], $7::text[])
ON CONFLICT (device_id) DO UPDATE
  SET time = excluded.time, lat = excluded.lat, lon = excluded.lon, speed_kmh = excluded.speed_kmh,
      course = excluded.course, source = excluded.source, updated_at = now()
  WHERE excluded.time > l.time`;

/** Writes one batch in one transaction: all of it is durable when this resolves, none of it if it throws. */
export async function writePositions(pool: pg.Pool, batch: readonly Position[]): Promise<void> {
  if (batch.length === 0) return;
  const newest = new Map<string, Position>();
  for (const p of batch) {
    const seen = newest.get(p.deviceId);
    if (!seen || p.timeMs > seen.timeMs) newest.set(p.deviceId, p);
  }
  const latest = [...newest.values()];
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(INSERT_POSITIONS, [
      batch.map((p) => new Date(p.timeMs).toISOString()),
      batch.map((p) => p.deviceId),
      batch.map((p) => p.lat),
      batch.map((p) => p.lon),
      batch.map((p) => p.speedKmh),
      batch.map((p) => p.course),
      batch.map((p) => p.altitudeM),
      batch.map((p) => p.accuracyM),
      batch.map((p) => p.source),
      batch.map((p) => JSON.stringify(p.attributes)),
    ]);
    await client.query(UPSERT_LATEST, [
      latest.map((p) => p.deviceId),
      latest.map((p) => new Date(p.timeMs).toISOString()),
      latest.map((p) => p.lat),
      latest.map((p) => p.lon),
      latest.map((p) => p.speedKmh),
      latest.map((p) => p.course),
      latest.map((p) => p.source),
    ]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

export interface LatestPosition {
  deviceId: string;
  timeMs: number;
  lat: number;
  lon: number;
  speedKmh: number | null;
  course: number | null;
}

export async function latestPositions(pool: pg.Pool): Promise<LatestPosition[]> {
  const { rows } = await pool.query<{
    device_id: string;
    time: Date;
    lat: number;
    lon: number;
    speed_kmh: number | null;
    course: number | null;
  }>('SELECT device_id, time, lat, lon, speed_kmh, course FROM latest_positions ORDER BY device_id');
  return rows.map((r) => ({
    deviceId: r.device_id,
    timeMs: r.time.getTime(),
    lat: r.lat,
    lon: r.lon,
    speedKmh: r.speed_kmh,
    course: r.course,
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
