// 测试夹具 test fixtures for the vehicle rules' tests: devices, a context with a fake one-cell grid, square zones and
// fixes at local Shanghai times. Only imported by *.test.ts files.
import type { Observation } from '../observation.js';
import type { DeviceInfo, RuleContext, Zone } from './types.js';

export const DAY = '2026-06-01';

/** The UTC instant of a Shanghai wall time on DAY (or `day`), e.g. `at('10:03:00')`. */
export function at(hhmmss: string, day = DAY): number {
  return Date.parse(`${day}T${hhmmss}+08:00`);
}

export function vehicle(id: string, vehicleKind: string): DeviceInfo {
  return { id, kind: 'vehicle', attributes: { vehicleKind }, gridCodes: [] };
}

/** A context knowing `devices`; the grid is one cell covering 117.0–117.1 E, 36.6–36.7 N. */
export function context(devices: DeviceInfo[], timeZone = 'Asia/Shanghai'): RuleContext {
  const byId = new Map(devices.map((d) => [d.id, d]));
  return {
    device: (id) => byId.get(id) ?? null,
    locate: (lon, lat) =>
      lon >= 117 && lon < 117.1 && lat >= 36.6 && lat < 36.7
        ? { cell: '370102001001001', community: '370102001001', street: '370102001', district: '370102' }
        : null,
    timeZone,
  };
}

export function box(
  id: string,
  [minLon, minLat, maxLon, maxLat]: [number, number, number, number],
  properties: Record<string, unknown> = {},
): Zone {
  return {
    id,
    name: `zone ${id}`,
    geometry: {
      type: 'Polygon',
      coordinates: [
        [
          [minLon, minLat],
          [maxLon, minLat],
          [maxLon, maxLat],
          [minLon, maxLat],
          [minLon, minLat],
        ],
      ],
    },
    properties,
  };
}

export function zoneMap(...zones: Zone[]): Map<string, Zone> {
  return new Map(zones.map((z) => [z.id, z]));
}

export function fix(
  deviceId: string,
  timeMs: number,
  lon: number,
  lat: number,
  speedKmh: number | null = 0,
  attributes: Record<string, unknown> = {},
): Observation {
  return {
    type: 'position',
    deviceId,
    timeMs,
    lon,
    lat,
    speedKmh,
    course: null,
    altitudeM: null,
    accuracyM: null,
    source: 'jt808',
    attributes,
  };
}

/** Fixes every `stepS` seconds from `fromMs` to `toMs` inclusive, all at one place and speed. */
export function fixes(
  deviceId: string,
  fromMs: number,
  toMs: number,
  stepS: number,
  lon: number,
  lat: number,
  speedKmh: number | null = 0,
): Observation[] {
  const out: Observation[] = [];
  for (let t = fromMs; t <= toMs; t += stepS * 1000) out.push(fix(deviceId, t, lon, lat, speedKmh));
  return out;
}

/** The base fields every rule configuration has. */
export function base<K extends string>(id: string, kind: K, classRef = 'event:0110') {
  return { id, kind, name: `rule ${id}`, enabled: true, classRef };
}
