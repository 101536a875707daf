// Observations (观测数据): the normalized types every source (MQTT, JT/T 808, video) produces, so everything
// downstream — validation, storage, live push, detectors — is written once.

/** Where an observation came in. */
export type ObservationSource = 'mqtt' | 'jt808' | 'http';

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
  source: ObservationSource;
  attributes: Record<string, unknown>;
  /** Quality flags set by the pipeline, e.g. `implausible_jump`; a flagged fix is stored, never dropped. */
  flags?: string[];
}

/** Sensor or vehicle metrics (遥测) at one instant: `{ fillPct: 83, tiltDeg: 2.5 }`. */
export interface Telemetry {
  deviceId: string;
  timeMs: number;
  metrics: Record<string, number>;
  attributes: Record<string, unknown>;
  source: ObservationSource;
}

/**
 * A device's own report of its state (设备状态), or the connection layer's record of it connecting or going away
 * (source 'broker': the MQTT broker or the JT/T 808 gateway).
 */
export interface DeviceStatus {
  deviceId: string;
  timeMs: number;
  state: 'online' | 'offline' | 'sleeping' | 'fault';
  batteryPct: number | null;
  signalDbm: number | null;
  attributes: Record<string, unknown>;
  source: ObservationSource | 'broker';
}

/**
 * The connection layer's record (连接状态) that a device came or went — the MQTT broker's, the JT/T 808 gateway's, or
 * the cluster's for a dead process's devices: no battery or signal, `source` 'broker' (rules leave it out).
 */
export function connectionState(
  deviceId: string,
  state: 'online' | 'offline',
  timeMs: number,
  attributes: Record<string, unknown>,
): Observation {
  return { type: 'status', deviceId, timeMs, state, batteryPct: null, signalDbm: null, attributes, source: 'broker' };
}

/** A collector's problem report from the handheld (监督员上报), identified by the id the handheld gave it. */
export interface CollectorReport {
  deviceId: string;
  reportId: string;
  timeMs: number;
  lat: number;
  lon: number;
  /** Catalogue class code of the component or event (部件/事件 小类), 4 or 6 digits. */
  categoryCode: string;
  description: string;
  address: string | null;
  /** Ids returned by `POST /api/media` for photos uploaded beforehand. */
  photoIds: string[];
  source: ObservationSource;
}

/** A device's answer to a downlink command (指令应答). */
export interface CommandAck {
  deviceId: string;
  commandId: string;
  timeMs: number;
  status: 'ok' | 'failed' | 'unsupported';
  message: string | null;
  result: Record<string, unknown>;
}

/** Everything the ingest pipeline carries to storage, as one tagged union. */
export type Observation =
  | ({ type: 'position' } & Position)
  | ({ type: 'telemetry' } & Telemetry)
  | ({ type: 'status' } & DeviceStatus)
  | ({ type: 'report' } & CollectorReport)
  | ({ type: 'ack' } & CommandAck);

/** Why an observation was refused; stable codes, counted and sent back to the device. */
export type RejectReason =
  | 'malformed_json'
  | 'schema'
  | 'out_of_range'
  | 'time_in_future'
  | 'time_too_old'
  | 'unknown_topic'
  | 'not_authorized'
  | 'payload_too_large'
  | 'rate_limited';

export const REJECT_REASONS: readonly RejectReason[] = [
  'malformed_json',
  'schema',
  'out_of_range',
  'time_in_future',
  'time_too_old',
  'unknown_topic',
  'not_authorized',
  'payload_too_large',
  'rate_limited',
];

export class Rejection extends Error {
  readonly reason: RejectReason;
  constructor(reason: RejectReason, message: string) {
    super(message);
    this.name = 'Rejection';
    this.reason = reason;
  }
}
