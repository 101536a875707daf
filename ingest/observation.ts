// Observations (观测数据): the one normalized type every source (MQTT, JT/T 808, video) produces, so everything
// downstream — validation, storage, live push, detectors — is written once.

/** Where an observation came in. */
export type PositionSource = 'mqtt' | 'jt808' | 'http';

/** One position fix (定位) of one device, WGS-84. */
export interface Position {
  deviceId: string;
  /** Fix time as a UTC instant, epoch milliseconds. */
  timeMs: number;
  lat: number;
  lon: number;
  speedKmh: number | null;
  /** Degrees clockwise from north, [0, 360). */
  course: number | null;
  altitudeM: number | null;
  accuracyM: number | null;
  source: PositionSource;
  attributes: Record<string, unknown>;
}

/** Why an observation was refused; stable codes, counted and sent back to the device. */
export type RejectReason =
  'malformed_json' | 'schema' | 'out_of_range' | 'time_in_future' | 'unknown_topic' | 'payload_too_large';

export class Rejection extends Error {
  readonly reason: RejectReason;
  constructor(reason: RejectReason, message: string) {
    super(message);
    this.name = 'Rejection';
    this.reason = reason;
  }
}
