// JT/T 808 location → normalized Position (定位): 0x0200 and 0x0704 fixes into the shape every source produces; the
// alarm/status flags and additional items ride along in attributes so nothing the terminal said is lost.
import type { Position } from '../observation.js';
import type { Location } from './location.js';

export interface ToPositionOptions {
  /** Used when the terminal sent no time (all-zero BCD); the fix is then marked `timeFromReceipt`. */
  receivedAtMs: number;
  /** 0x0704 batch type, recorded so blind-area (盲区) re-sends can be told from live fixes. */
  batchType?: number;
}

export function locationToPosition(deviceId: string, loc: Location, options: ToPositionOptions): Position {
  const attributes: Record<string, unknown> = {
    alarm: loc.alarm,
    status: loc.status,
    alarms: loc.alarms,
    statusFlags: loc.flags,
  };
  const { raw, ...items } = loc.items;
  Object.assign(attributes, items);
  if (raw.length > 0) attributes.rawItems = raw;
  if (loc.timeMs === null) attributes.timeFromReceipt = true;
  if (options.batchType !== undefined) attributes.batchType = options.batchType;
  return {
    deviceId,
    timeMs: loc.timeMs ?? options.receivedAtMs,
    lat: loc.lat,
    lon: loc.lon,
    speedKmh: loc.speedKmh,
    // The standard says 0–359; some terminals send 360 for north.
    course: loc.course % 360,
    altitudeM: loc.altitudeM,
    accuracyM: null,
    source: 'jt808',
    attributes,
  };
}

/** Positions of a decoded 0x0200 (one) or 0x0704 (several, in the order sent). */
export function toPositions(
  deviceId: string,
  body: { msgId: number; location?: Location; locations?: Location[]; batchType?: number },
  receivedAtMs: number,
): Position[] {
  if (body.location) return [locationToPosition(deviceId, body.location, { receivedAtMs })];
  if (body.locations) {
    const opts = { receivedAtMs, batchType: body.batchType ?? 0 };
    return body.locations.map((l) => locationToPosition(deviceId, l, opts));
  }
  return [];
}
