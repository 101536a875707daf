// Observation storage (数据入库): one batch of everything devices sent, written in one transaction — all of it
// durable when this resolves, none of it if it throws. Idempotent: a batch written twice (a spool replay after a
// crash) stores each fact once.
import type pg from 'pg';
import { withTransaction } from '../db/pool.js';
import type {
  CollectorReport,
  CommandAck,
  DeviceStatus,
  Observation,
  Position,
  Telemetry,
} from '../../ingest/observation.js';

// One statement per kind whatever the batch size (arrays in, unnest out), so the server plans each once.
const INSERT_POSITIONS = `
INSERT INTO positions (time, device_id, lat, lon, speed_kmh, course, altitude_m, accuracy_m, source, attributes, flags)
SELECT t, d, la, lo, s, c, a, acc, src, attr::jsonb, coalesce(string_to_array(nullif(f, ''), ','), '{}')
FROM unnest($1::timestamptz[], $2::text[], $3::float8[], $4::float8[], $5::real[], $6::real[], $7::real[],
            $8::real[], $9::text[], $10::text[], $11::text[]) AS u(t, d, la, lo, s, c, a, acc, src, attr, f)
ON CONFLICT (device_id, time) DO NOTHING`;

const UPSERT_LATEST = `
INSERT INTO latest_positions AS l (device_id, time, lat, lon, speed_kmh, course, source)
SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::float8[], $4::float8[], $5::real[], $6::real[], $7::text[])
ON CONFLICT (device_id) DO UPDATE
  SET time = excluded.time, lat = excluded.lat, lon = excluded.lon, speed_kmh = excluded.speed_kmh,
      course = excluded.course, source = excluded.source, updated_at = now()
  WHERE excluded.time > l.time`;

const INSERT_TELEMETRY = `
INSERT INTO telemetry (time, device_id, metric, value, source)
SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::float8[], $5::text[])
ON CONFLICT (device_id, metric, time) DO NOTHING`;

const INSERT_EVENTS = `
INSERT INTO device_events (time, device_id, state, battery_pct, signal_dbm, attributes, source)
SELECT t, d, s, b, sig, attr::jsonb, src
FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::real[], $5::real[], $6::text[], $7::text[])
  AS u(t, d, s, b, sig, attr, src)
ON CONFLICT (device_id, time, state) DO NOTHING`;

const UPSERT_STATE = `
INSERT INTO device_state AS ds (device_id, state, time, battery_pct, signal_dbm)
SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::real[], $5::real[])
ON CONFLICT (device_id) DO UPDATE
  SET state = excluded.state, time = excluded.time, battery_pct = coalesce(excluded.battery_pct, ds.battery_pct),
      signal_dbm = coalesce(excluded.signal_dbm, ds.signal_dbm), updated_at = now()
  WHERE excluded.time >= ds.time`;

const INSERT_REPORTS = `
INSERT INTO collector_reports (device_id, report_id, time, lat, lon, category_code, description, address, photo_ids)
SELECT d, r, t, la, lo, c, descr, addr, coalesce(string_to_array(nullif(p, ''), ','), '{}')::uuid[]
FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::float8[], $5::float8[], $6::text[], $7::text[], $8::text[],
            $9::text[]) AS u(d, r, t, la, lo, c, descr, addr, p)
ON CONFLICT (device_id, report_id) DO NOTHING`;

// A device can only answer its own commands; a late answer never overwrites an earlier final one.
const APPLY_ACKS = `
UPDATE device_commands c
SET status = a.s, acked_at = a.t, ack_message = a.m, ack_result = a.r::jsonb
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[]) AS a(id, d, s, t, m, r)
WHERE c.id = a.id AND c.device_id = a.d AND c.status IN ('pending', 'sent', 'expired')`;

const iso = (ms: number) => new Date(ms).toISOString();

function newestPerDevice<T extends { deviceId: string; timeMs: number }>(items: readonly T[]): T[] {
  const newest = new Map<string, T>();
  for (const item of items) {
    const seen = newest.get(item.deviceId);
    if (!seen || item.timeMs > seen.timeMs) newest.set(item.deviceId, item);
  }
  return [...newest.values()].sort(byDeviceThenTime);
}

// Rows go in in one global order (device, then time): two batches written at once then take their row locks in the
// same order and cannot deadlock each other.
const byDeviceThenTime = (a: { deviceId: string; timeMs: number }, b: { deviceId: string; timeMs: number }) =>
  a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : a.timeMs - b.timeMs;

function split(batch: readonly Observation[]) {
  const positions: Position[] = [];
  const telemetry: Telemetry[] = [];
  const statuses: DeviceStatus[] = [];
  const reports: CollectorReport[] = [];
  const acks: CommandAck[] = [];
  for (const o of batch) {
    if (o.type === 'position') positions.push(o);
    else if (o.type === 'telemetry') telemetry.push(o);
    else if (o.type === 'status') statuses.push(o);
    else if (o.type === 'report') reports.push(o);
    else acks.push(o);
  }
  positions.sort(byDeviceThenTime);
  telemetry.sort(byDeviceThenTime);
  statuses.sort(byDeviceThenTime);
  reports.sort(byDeviceThenTime);
  return { positions, telemetry, statuses, reports, acks };
}

export async function writeObservations(pool: pg.Pool, batch: readonly Observation[]): Promise<void> {
  if (batch.length === 0) return;
  const { positions, telemetry, statuses, reports, acks } = split(batch);
  await withTransaction(pool, async (client) => {
    if (positions.length > 0) {
      await client.query(INSERT_POSITIONS, [
        positions.map((p) => iso(p.timeMs)),
        positions.map((p) => p.deviceId),
        positions.map((p) => p.lat),
        positions.map((p) => p.lon),
        positions.map((p) => p.speedKmh),
        positions.map((p) => p.course),
        positions.map((p) => p.altitudeM),
        positions.map((p) => p.accuracyM),
        positions.map((p) => p.source),
        positions.map((p) => JSON.stringify(p.attributes)),
        positions.map((p) => (p.flags ?? []).join(',')),
      ]);
      // A flagged fix is kept in the history but never becomes the device's shown position.
      const latest = newestPerDevice(positions.filter((p) => !p.flags?.length));
      if (latest.length > 0) {
        await client.query(UPSERT_LATEST, [
          latest.map((p) => p.deviceId),
          latest.map((p) => iso(p.timeMs)),
          latest.map((p) => p.lat),
          latest.map((p) => p.lon),
          latest.map((p) => p.speedKmh),
          latest.map((p) => p.course),
          latest.map((p) => p.source),
        ]);
      }
    }
    if (telemetry.length > 0) {
      const rows = telemetry.flatMap((t) => Object.entries(t.metrics).map(([metric, value]) => ({ t, metric, value })));
      await client.query(INSERT_TELEMETRY, [
        rows.map((r) => iso(r.t.timeMs)),
        rows.map((r) => r.t.deviceId),
        rows.map((r) => r.metric),
        rows.map((r) => r.value),
        rows.map((r) => r.t.source),
      ]);
    }
    if (statuses.length > 0) {
      await client.query(INSERT_EVENTS, [
        statuses.map((s) => iso(s.timeMs)),
        statuses.map((s) => s.deviceId),
        statuses.map((s) => s.state),
        statuses.map((s) => s.batteryPct),
        statuses.map((s) => s.signalDbm),
        statuses.map((s) => JSON.stringify(s.attributes)),
        statuses.map((s) => s.source),
      ]);
      const current = newestPerDevice(statuses);
      await client.query(UPSERT_STATE, [
        current.map((s) => s.deviceId),
        current.map((s) => s.state),
        current.map((s) => iso(s.timeMs)),
        current.map((s) => s.batteryPct),
        current.map((s) => s.signalDbm),
      ]);
    }
    if (reports.length > 0) {
      await client.query(INSERT_REPORTS, [
        reports.map((r) => r.deviceId),
        reports.map((r) => r.reportId),
        reports.map((r) => iso(r.timeMs)),
        reports.map((r) => r.lat),
        reports.map((r) => r.lon),
        reports.map((r) => r.categoryCode),
        reports.map((r) => r.description),
        reports.map((r) => r.address),
        reports.map((r) => r.photoIds.join(',')),
      ]);
    }
    if (acks.length > 0) {
      await client.query(APPLY_ACKS, [
        acks.map((a) => a.commandId),
        acks.map((a) => a.deviceId),
        acks.map((a) => a.status),
        acks.map((a) => iso(a.timeMs)),
        acks.map((a) => a.message),
        acks.map((a) => JSON.stringify(a.result)),
      ]);
    }
  });
}
