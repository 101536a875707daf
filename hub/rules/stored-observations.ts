// 历史数据回放 stored observations read back for a replay: positions, telemetry and device statuses of a time range,
// rebuilt into the normalized Observation types and handed out in time order, a page of stream time at a time, so a
// week of a city's traffic never sits in memory at once.
import type pg from 'pg';
import type { Observation, ObservationSource } from '../../ingest/observation.js';

/** One hour of stream time per page: a few hundred thousand rows at most for a large fleet. */
export const REPLAY_PAGE_MS = 3_600_000;

interface PositionRow {
  timeMs: string;
  deviceId: string;
  lat: number;
  lon: number;
  speedKmh: number | null;
  course: number | null;
  altitudeM: number | null;
  accuracyM: number | null;
  source: ObservationSource;
  attributes: Record<string, unknown>;
  flags: string[];
}
interface TelemetryRow {
  timeMs: string;
  deviceId: string;
  metric: string;
  value: number;
  source: ObservationSource;
}
interface StatusRow {
  timeMs: string;
  deviceId: string;
  state: 'online' | 'offline' | 'sleeping' | 'fault';
  batteryPct: number | null;
  signalDbm: number | null;
  attributes: Record<string, unknown>;
  source: ObservationSource | 'broker';
}

const EPOCH_MS = `(extract(epoch FROM time) * 1000)::bigint::text AS "timeMs"`;

// Within one instant: statuses first (a device coming online), then telemetry, then positions — the order the ingest
// pipeline tends to see them — and by device, so a replay is deterministic.
const KIND_ORDER: Record<Observation['type'], number> = { status: 0, telemetry: 1, position: 2, report: 3, ack: 4 };
const byTime = (a: Observation, b: Observation) =>
  a.timeMs - b.timeMs ||
  KIND_ORDER[a.type] - KIND_ORDER[b.type] ||
  (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0);

/** The observations of [fromMs, toMs) in pages of stream time, each page in time order. */
export async function* storedObservations(
  pool: Pick<pg.Pool, 'query'>,
  fromMs: number,
  toMs: number,
  pageMs = REPLAY_PAGE_MS,
): AsyncGenerator<Observation[]> {
  for (let start = fromMs; start < toMs; start += pageMs) {
    const end = Math.min(start + pageMs, toMs);
    const range = [new Date(start), new Date(end)];
    const [positions, telemetry, statuses] = await Promise.all([
      pool.query<PositionRow>(
        `SELECT ${EPOCH_MS}, device_id AS "deviceId", lat, lon, speed_kmh AS "speedKmh", course, altitude_m AS "altitudeM",
                accuracy_m AS "accuracyM", source, attributes, flags
           FROM positions WHERE time >= $1 AND time < $2`,
        range,
      ),
      pool.query<TelemetryRow>(
        `SELECT ${EPOCH_MS}, device_id AS "deviceId", metric, value, source
           FROM telemetry WHERE time >= $1 AND time < $2 ORDER BY device_id, time, metric`,
        range,
      ),
      pool.query<StatusRow>(
        `SELECT ${EPOCH_MS}, device_id AS "deviceId", state, battery_pct AS "batteryPct", signal_dbm AS "signalDbm",
                attributes, source
           FROM device_events WHERE time >= $1 AND time < $2`,
        range,
      ),
    ]);
    const page = toObservations(positions.rows, telemetry.rows, statuses.rows);
    if (page.length) yield page;
  }
}

/**
 * 集群交接 one device's stored observations of [fromMs, toMs), at most the newest `limit` of each kind, in time order: the
 * history that rebuilds its detection state on the hub process it moved to.
 */
export async function deviceObservations(
  pool: Pick<pg.Pool, 'query'>,
  deviceId: string,
  fromMs: number,
  toMs: number,
  limit: number,
): Promise<Observation[]> {
  const args = [deviceId, new Date(fromMs), new Date(toMs), limit];
  const [positions, telemetry, statuses] = await Promise.all([
    pool.query<PositionRow>(
      `SELECT * FROM (
         SELECT ${EPOCH_MS}, device_id AS "deviceId", lat, lon, speed_kmh AS "speedKmh", course, altitude_m AS "altitudeM",
                accuracy_m AS "accuracyM", source, attributes, flags
           FROM positions WHERE device_id = $1 AND time >= $2 AND time < $3 ORDER BY time DESC LIMIT $4) p`,
      args,
    ),
    pool.query<TelemetryRow>(
      `SELECT * FROM (
         SELECT ${EPOCH_MS}, device_id AS "deviceId", metric, value, source
           FROM telemetry WHERE device_id = $1 AND time >= $2 AND time < $3 ORDER BY time DESC, metric LIMIT $4) t
        ORDER BY "timeMs"::bigint, metric`,
      args,
    ),
    pool.query<StatusRow>(
      `SELECT * FROM (
         SELECT ${EPOCH_MS}, device_id AS "deviceId", state, battery_pct AS "batteryPct", signal_dbm AS "signalDbm",
                attributes, source
           FROM device_events WHERE device_id = $1 AND time >= $2 AND time < $3 ORDER BY time DESC LIMIT $4) s`,
      args,
    ),
  ]);
  return toObservations(positions.rows, telemetry.rows, statuses.rows);
}

/** Rows of the three tables as observations, in time order. */
function toObservations(positions: PositionRow[], telemetry: TelemetryRow[], statuses: StatusRow[]): Observation[] {
  const page: Observation[] = [];
  for (const r of positions) {
    page.push({
      type: 'position',
      deviceId: r.deviceId,
      timeMs: Number(r.timeMs),
      lat: r.lat,
      lon: r.lon,
      speedKmh: r.speedKmh,
      course: r.course,
      altitudeM: r.altitudeM,
      accuracyM: r.accuracyM,
      source: r.source,
      attributes: r.attributes,
      ...(r.flags.length ? { flags: r.flags } : {}),
    });
  }
  // Telemetry is stored one row per metric; a message carried them together (rows arrive grouped by device, time).
  let last: (Observation & { type: 'telemetry' }) | null = null;
  for (const r of telemetry) {
    const timeMs = Number(r.timeMs);
    if (last && last.deviceId === r.deviceId && last.timeMs === timeMs) {
      last.metrics[r.metric] = r.value;
      continue;
    }
    last = {
      type: 'telemetry',
      deviceId: r.deviceId,
      timeMs,
      metrics: { [r.metric]: r.value },
      attributes: {},
      source: r.source,
    };
    page.push(last);
  }
  for (const r of statuses) {
    page.push({
      type: 'status',
      deviceId: r.deviceId,
      timeMs: Number(r.timeMs),
      state: r.state,
      batteryPct: r.batteryPct,
      signalDbm: r.signalDbm,
      attributes: r.attributes,
      source: r.source,
    });
  }
  page.sort(byTime);
  return page;
}
