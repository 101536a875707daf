// Observation validation (数据校验): the checks every source's data passes before anything is stored, whatever the
// protocol (the payload schemas catch shape and types; these catch meaning). Pure: the clock is an argument.
import { Rejection, type Observation, type Position } from '../observation.js';

export interface ValidationLimits {
  /** A time later than now + this is refused (device clock wrong or not yet set). */
  maxFutureSkewMs: number;
  /** A time older than now - this is refused: it would fall outside the retention window and be dropped anyway. */
  maxAgeMs: number;
}

function checkTime(timeMs: number, nowMs: number, limits: ValidationLimits): void {
  if (!Number.isFinite(timeMs)) throw new Rejection('schema', 'time is not a valid instant');
  if (timeMs > nowMs + limits.maxFutureSkewMs) {
    const aheadS = Math.round((timeMs - nowMs) / 1000);
    throw new Rejection(
      'time_in_future',
      `time ${new Date(timeMs).toISOString()} is ${aheadS} s in the future (limit ${limits.maxFutureSkewMs / 1000} s); check the device clock`,
    );
  }
  if (timeMs < nowMs - limits.maxAgeMs) {
    throw new Rejection(
      'time_too_old',
      `time ${new Date(timeMs).toISOString()} is older than the retention window (${Math.round(limits.maxAgeMs / 86_400_000)} days)`,
    );
  }
}

function checkLatLon(lat: number, lon: number): void {
  if (!Number.isFinite(lat) || lat < -90 || lat > 90) {
    throw new Rejection('out_of_range', `lat must be between -90 and 90, got ${lat}`);
  }
  if (!Number.isFinite(lon) || lon < -180 || lon > 180) {
    throw new Rejection('out_of_range', `lon must be between -180 and 180, got ${lon}`);
  }
}

/** Throws a Rejection naming the first problem; returns the position unchanged when it is valid. */
export function validatePosition(position: Position, nowMs: number, limits: ValidationLimits): Position {
  checkLatLon(position.lat, position.lon);
  checkTime(position.timeMs, nowMs, limits);
  if (position.speedKmh !== null && (!Number.isFinite(position.speedKmh) || position.speedKmh < 0)) {
    throw new Rejection('out_of_range', `speedKmh must be >= 0, got ${position.speedKmh}`);
  }
  if (
    position.course !== null &&
    (!Number.isFinite(position.course) || position.course < 0 || position.course >= 360)
  ) {
    throw new Rejection('out_of_range', `course must be in [0, 360), got ${position.course}`);
  }
  if (position.accuracyM !== null && (!Number.isFinite(position.accuracyM) || position.accuracyM < 0)) {
    throw new Rejection('out_of_range', `accuracyM must be >= 0, got ${position.accuracyM}`);
  }
  return position;
}

/** Validates any observation; throws a Rejection, or returns it unchanged. */
export function validateObservation<O extends Observation>(o: O, nowMs: number, limits: ValidationLimits): O {
  switch (o.type) {
    case 'position':
      validatePosition(o, nowMs, limits);
      break;
    case 'report':
      checkLatLon(o.lat, o.lon);
      checkTime(o.timeMs, nowMs, limits);
      break;
    case 'telemetry':
      for (const [name, value] of Object.entries(o.metrics)) {
        if (!Number.isFinite(value)) throw new Rejection('out_of_range', `metric ${name} must be a finite number`);
      }
      checkTime(o.timeMs, nowMs, limits);
      break;
    case 'status':
    case 'ack':
      checkTime(o.timeMs, nowMs, limits);
      break;
  }
  return o;
}
