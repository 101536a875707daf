// 测试观测 observations for unit tests: a position fix with the fields a test does not care about filled in.
import type { Observation, Position } from '../../ingest/observation.js';

/** A position observation of `deviceId` at `timeMs`, from MQTT, no speed, course or accuracy unless given. */
export function positionFix(
  deviceId: string,
  timeMs: number,
  at: { lat: number; lon: number },
  more: Partial<Omit<Position, 'deviceId' | 'timeMs' | 'lat' | 'lon'>> = {},
): Extract<Observation, { type: 'position' }> {
  return {
    type: 'position',
    deviceId,
    timeMs,
    lat: at.lat,
    lon: at.lon,
    speedKmh: null,
    course: null,
    altitudeM: null,
    accuracyM: null,
    source: 'mqtt',
    attributes: {},
    ...more,
  };
}
