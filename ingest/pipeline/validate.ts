// Position validation (数据校验): the checks every source's positions pass before anything is stored, whatever the
// protocol. Pure: the clock is an argument.
import { Rejection, type Position } from '../observation.js';

export interface ValidationLimits {
  /** A fix stamped later than now + this is refused (device clock wrong or not yet set). */
  maxFutureSkewMs: number;
}

/** Throws a Rejection naming the first problem; returns the position unchanged when it is valid. */
export function validatePosition(position: Position, nowMs: number, limits: ValidationLimits): Position {
  const { lat, lon, timeMs } = position;
  if (!Number.isFinite(lat) || lat < -90 || lat > 90) {
    throw new Rejection('out_of_range', `lat must be between -90 and 90, got ${lat}`);
  }
  if (!Number.isFinite(lon) || lon < -180 || lon > 180) {
    throw new Rejection('out_of_range', `lon must be between -180 and 180, got ${lon}`);
  }
  if (!Number.isFinite(timeMs)) throw new Rejection('schema', 'time is not a valid instant');
  if (timeMs > nowMs + limits.maxFutureSkewMs) {
    const aheadS = Math.round((timeMs - nowMs) / 1000);
    throw new Rejection(
      'time_in_future',
      `time ${new Date(timeMs).toISOString()} is ${aheadS} s in the future (limit ${limits.maxFutureSkewMs / 1000} s); check the device clock`,
    );
  }
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
