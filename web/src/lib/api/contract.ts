// Wire types for the hub's position API and socket.io feed, plus the runtime guards that turn hub JSON into VehiclePosition.
import type { Feature, FeatureCollection, Point } from '$lib/geojson';

/** A device's position as the web app keeps it: one per device, always the newest the client has seen. */
export interface VehiclePosition {
  deviceId: string;
  /** ISO 8601 UTC, exactly as the hub sent it (shown to users and echoed into feature properties). */
  time: string;
  /** `time` parsed once, so ordering checks on every delta don't re-parse strings. */
  timeMs: number;
  lon: number;
  lat: number;
  speedKmh: number | null;
  course: number | null;
}

/** Properties of a vehicle feature, both in `GET /api/positions/latest` and in the map's `vehicles` source. */
export interface VehicleProperties {
  deviceId: string;
  time: string;
  speedKmh: number | null;
  course: number | null;
  /** No fix for longer than STALE_AFTER_MS: the marker shows where the device was, not where it is. */
  stale?: boolean;
  /** The hub reported the device offline (disconnected, last will, or its own offline status). */
  offline?: boolean;
}

/** A device silent this long is drawn as stale. */
export const STALE_AFTER_MS = 5 * 60_000;

/** One entry of the socket.io `status` event: a device's connection or health state. */
export interface DeviceStatusDelta {
  deviceId: string;
  state: 'online' | 'offline' | 'sleeping' | 'fault';
  timeMs: number;
}

const STATES = new Set(['online', 'offline', 'sleeping', 'fault']);

/** Feature ids are the deviceId, matching the `vehicles` source's promoteId. */
export type VehicleFeature = Feature<Point, VehicleProperties> & { id: string };

export type VehicleFeatureCollection = FeatureCollection<Point, VehicleProperties>;

/** One entry of the socket.io `positions` event on the `/live` namespace. */
export interface PositionDelta {
  deviceId: string;
  time: string;
  lat: number;
  lon: number;
  speedKmh: number | null;
  course: number | null;
}

/** Payload of the socket.io `positions` event (batched roughly every 150 ms by the hub). */
export interface PositionsEventPayload {
  positions: PositionDelta[];
}

type UnknownRecord = Record<string, unknown>;

function isRecord(value: unknown): value is UnknownRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

// Speed and course are optional on many trackers; anything that isn't a finite number is treated as "unknown".
function optionalNumber(value: unknown): number | null {
  return isFiniteNumber(value) ? value : null;
}

function toPosition(
  deviceId: unknown,
  time: unknown,
  lon: unknown,
  lat: unknown,
  speedKmh: unknown,
  course: unknown,
): VehiclePosition | null {
  if (typeof deviceId !== 'string' || deviceId === '' || typeof time !== 'string') return null;
  if (!isFiniteNumber(lon) || !isFiniteNumber(lat) || Math.abs(lon) > 180 || Math.abs(lat) > 90) return null;
  const timeMs = Date.parse(time);
  // Without a usable timestamp we could not order this fix against others, so it could move a marker backwards.
  if (Number.isNaN(timeMs)) return null;
  return { deviceId, time, timeMs, lon, lat, speedKmh: optionalNumber(speedKmh), course: optionalNumber(course) };
}

/** Validates one socket.io delta entry; returns null for anything that doesn't match the contract. */
export function parseDelta(value: unknown): VehiclePosition | null {
  if (!isRecord(value)) return null;
  return toPosition(value.deviceId, value.time, value.lon, value.lat, value.speedKmh, value.course);
}

/** Validates a `positions` event payload, dropping malformed entries rather than the whole batch. */
export function parsePositionsEvent(payload: unknown): VehiclePosition[] {
  if (!isRecord(payload) || !Array.isArray(payload.positions)) return [];
  const entries: unknown[] = payload.positions;
  const positions: VehiclePosition[] = [];
  for (const entry of entries) {
    const position = parseDelta(entry);
    if (position) positions.push(position);
  }
  return positions;
}

/** Validates a `status` event payload, dropping malformed entries. */
export function parseStatusEvent(payload: unknown): DeviceStatusDelta[] {
  if (!isRecord(payload) || !Array.isArray(payload.statuses)) return [];
  const entries: unknown[] = payload.statuses;
  const statuses: DeviceStatusDelta[] = [];
  for (const entry of entries) {
    if (!isRecord(entry) || typeof entry.deviceId !== 'string' || typeof entry.time !== 'string') continue;
    if (typeof entry.state !== 'string' || !STATES.has(entry.state)) continue;
    const timeMs = Date.parse(entry.time);
    if (Number.isNaN(timeMs)) continue;
    statuses.push({ deviceId: entry.deviceId, state: entry.state as DeviceStatusDelta['state'], timeMs });
  }
  return statuses;
}

/** Validates one Point feature of the latest-positions snapshot. */
export function parseSnapshotFeature(value: unknown): VehiclePosition | null {
  if (!isRecord(value) || value.type !== 'Feature') return null;
  const { geometry, properties } = value;
  if (!isRecord(geometry) || geometry.type !== 'Point' || !Array.isArray(geometry.coordinates)) return null;
  if (!isRecord(properties)) return null;
  const coordinates: unknown[] = geometry.coordinates;
  const [lon, lat] = coordinates;
  return toPosition(properties.deviceId, properties.time, lon, lat, properties.speedKmh, properties.course);
}

/** Validates the `GET /api/positions/latest` FeatureCollection; throws only if the envelope itself is wrong. */
export function parseSnapshot(body: unknown): VehiclePosition[] {
  if (!isRecord(body) || body.type !== 'FeatureCollection' || !Array.isArray(body.features)) {
    throw new Error('GET /api/positions/latest did not return a GeoJSON FeatureCollection');
  }
  const features: unknown[] = body.features;
  const positions: VehiclePosition[] = [];
  for (const feature of features) {
    const position = parseSnapshotFeature(feature);
    if (position) positions.push(position);
  }
  const dropped = features.length - positions.length;
  if (dropped > 0) console.warn(`[cityhub] ignored ${dropped} malformed feature(s) in the positions snapshot`);
  return positions;
}

/** The device states carried by the snapshot's features (`state`, `stateTime`), for the offline markers. */
export function parseSnapshotStatuses(body: unknown): DeviceStatusDelta[] {
  if (!isRecord(body) || !Array.isArray(body.features)) return [];
  const features: unknown[] = body.features;
  const statuses = features.map((f) =>
    isRecord(f) && isRecord(f.properties)
      ? { deviceId: f.properties.deviceId, state: f.properties.state, time: f.properties.stateTime }
      : null,
  );
  return parseStatusEvent({ statuses });
}

/** Converts store entries into the FeatureCollection the map's `vehicles` source renders. */
export function toFeatureCollection(
  positions: Iterable<VehiclePosition>,
  nowMs = Date.now(),
  offline: ReadonlySet<string> = new Set(),
): VehicleFeatureCollection {
  const features: VehicleFeature[] = [];
  for (const p of positions) {
    features.push({
      type: 'Feature',
      id: p.deviceId,
      geometry: { type: 'Point', coordinates: [p.lon, p.lat] },
      properties: {
        deviceId: p.deviceId,
        time: p.time,
        speedKmh: p.speedKmh,
        course: p.course,
        stale: nowMs - p.timeMs > STALE_AFTER_MS,
        offline: offline.has(p.deviceId),
      },
    });
  }
  return { type: 'FeatureCollection', features };
}
