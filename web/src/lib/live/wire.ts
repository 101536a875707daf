// 实时推送报文 the hub's `/live` socket.io messages as the map keeps them, and the guards that turn wire JSON into them:
// device positions and states, cases with their traffic light, detector candidates. Whatever does not match the contract
// is dropped entry by entry, never the whole batch. hub/live/push.ts is the other side: these types are its DTOs, with
// what the map adds (times parsed to ms, an arrival order).
import type { LiveCandidateDto, LiveCaseDto, LivePositionDto, LiveStatusDto } from '../../../../hub/live/push.js';

/** A device's position as the map keeps it: one per device, always the newest seen. */
export type DevicePosition = Omit<LivePositionDto, 'vehicleKind'> & {
  /** A vehicle's kind from the registry (muck 渣土车, sanitation 环卫…); null when not given. */
  vehicleKind: string | null;
  /** `time` parsed once, so ordering checks on every delta don't re-parse strings. */
  timeMs: number;
};

export type DeviceState = LiveStatusDto['state'];

/** A device's connection or health state (socket.io `status`). */
export type DeviceStatus = Pick<LiveStatusDto, 'deviceId' | 'state'> & { timeMs: number };

export type TrafficLight = NonNullable<LiveCaseDto['light']>;

/** An open case as the map draws it: no complainant, nothing a passer-by could not see on the street. `light` is the
 * light when the hub sent it (see `lightAt` for the light now). */
export type LiveCase = Pick<
  LiveCaseDto,
  | 'id'
  | 'number'
  | 'state'
  | 'open'
  | 'classKind'
  | 'classCode'
  | 'lon'
  | 'lat'
  | 'supervised'
  | 'version'
  | 'light'
  | 'updatedAt'
> & {
  /** When a running clock turns yellow and red (ms); null while it stands still. */
  yellowAtMs: number | null;
  redAtMs: number | null;
};

/** A detector's candidate waiting for an acceptor (待受理候选). */
export type LiveCandidate = Pick<
  LiveCandidateDto,
  'id' | 'status' | 'ruleKind' | 'classKind' | 'classCode' | 'lon' | 'lat' | 'mergedCount' | 'startAt' | 'endAt'
> & {
  /** Order of arrival: the hub sends candidates without a version, and the later message is the newer. */
  seq: number;
};

export interface LiveSnapshot {
  positions: DevicePosition[];
  statuses: DeviceStatus[];
  cases: LiveCase[];
  candidates: LiveCandidate[];
}

const STATES = new Set<string>(['online', 'offline', 'sleeping', 'fault']);
const LIGHTS = new Set<string>(['green', 'yellow', 'red']);

type UnknownRecord = Record<string, unknown>;
const isRecord = (v: unknown): v is UnknownRecord => typeof v === 'object' && v !== null && !Array.isArray(v);
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const optionalNumber = (v: unknown): number | null => (isFiniteNumber(v) ? v : null);
const optionalString = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const validLonLat = (lon: unknown, lat: unknown): boolean =>
  isFiniteNumber(lon) && isFiniteNumber(lat) && Math.abs(lon) <= 180 && Math.abs(lat) <= 90;
function optionalTime(v: unknown): number | null {
  if (typeof v !== 'string') return null;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : t;
}

function entries(payload: unknown, key: string): unknown[] {
  return isRecord(payload) && Array.isArray(payload[key]) ? (payload[key] as unknown[]) : [];
}

function parseList<T>(payload: unknown, key: string, parse: (v: unknown) => T | null): T[] {
  const out: T[] = [];
  for (const entry of entries(payload, key)) {
    const item = parse(entry);
    if (item) out.push(item);
  }
  return out;
}

export function parsePosition(v: unknown): DevicePosition | null {
  if (!isRecord(v) || typeof v.deviceId !== 'string' || v.deviceId === '' || typeof v.time !== 'string') return null;
  if (!validLonLat(v.lon, v.lat)) return null;
  const timeMs = Date.parse(v.time);
  // Without a usable timestamp we could not order this fix against others, so it could move a marker backwards.
  if (Number.isNaN(timeMs)) return null;
  return {
    deviceId: v.deviceId,
    kind: optionalString(v.kind),
    vehicleKind: optionalString(v.vehicleKind),
    time: v.time,
    timeMs,
    lon: v.lon as number,
    lat: v.lat as number,
    speedKmh: optionalNumber(v.speedKmh),
    course: optionalNumber(v.course),
  };
}

export function parseStatus(v: unknown): DeviceStatus | null {
  if (!isRecord(v) || typeof v.deviceId !== 'string' || typeof v.state !== 'string' || !STATES.has(v.state))
    return null;
  const timeMs = optionalTime(v.time);
  return timeMs === null ? null : { deviceId: v.deviceId, state: v.state as DeviceState, timeMs };
}

export function parseCase(v: unknown): LiveCase | null {
  if (!isRecord(v) || typeof v.id !== 'string' || typeof v.state !== 'string') return null;
  if (!validLonLat(v.lon, v.lat) || !isFiniteNumber(v.version)) return null;
  return {
    id: v.id,
    number: typeof v.number === 'string' ? v.number : v.id,
    state: v.state,
    open: v.open !== false,
    classKind: typeof v.classKind === 'string' ? v.classKind : '',
    classCode: typeof v.classCode === 'string' ? v.classCode : '',
    lon: v.lon as number,
    lat: v.lat as number,
    supervised: v.supervised === true,
    version: v.version,
    light: typeof v.light === 'string' && LIGHTS.has(v.light) ? (v.light as TrafficLight) : null,
    yellowAtMs: optionalTime(v.yellowAt),
    redAtMs: optionalTime(v.redAt),
    updatedAt: typeof v.updatedAt === 'string' ? v.updatedAt : '',
  };
}

let candidateSeq = 0;

export function parseCandidate(v: unknown): LiveCandidate | null {
  if (!isRecord(v) || typeof v.id !== 'string' || typeof v.status !== 'string') return null;
  if (!validLonLat(v.lon, v.lat)) return null;
  return {
    id: v.id,
    status: v.status,
    ruleKind: optionalString(v.ruleKind),
    classKind: optionalString(v.classKind),
    classCode: typeof v.classCode === 'string' ? v.classCode : '',
    lon: v.lon as number,
    lat: v.lat as number,
    mergedCount: isFiniteNumber(v.mergedCount) ? v.mergedCount : 1,
    startAt: typeof v.startAt === 'string' ? v.startAt : '',
    endAt: typeof v.endAt === 'string' ? v.endAt : '',
    seq: ++candidateSeq,
  };
}

export const parsePositionsEvent = (p: unknown): DevicePosition[] => parseList(p, 'positions', parsePosition);
export const parseStatusEvent = (p: unknown): DeviceStatus[] => parseList(p, 'statuses', parseStatus);
export const parseCasesEvent = (p: unknown): LiveCase[] => parseList(p, 'cases', parseCase);
export const parseCandidatesEvent = (p: unknown): LiveCandidate[] => parseList(p, 'candidates', parseCandidate);

export function parseSnapshotEvent(p: unknown): LiveSnapshot {
  return {
    positions: parsePositionsEvent(p),
    statuses: parseStatusEvent(p),
    cases: parseCasesEvent(p),
    candidates: parseCandidatesEvent(p),
  };
}

/**
 * A case's light at `nowMs`: the hub sends the light with the instants a running clock turns yellow and red, so the
 * map recolours a case on time without asking the hub (which alone knows the working calendar) again.
 */
export function lightAt(c: LiveCase, nowMs: number): TrafficLight | null {
  if (c.redAtMs !== null && nowMs > c.redAtMs) return 'red';
  if (c.yellowAtMs !== null && nowMs > c.yellowAtMs && c.light !== 'red') return 'yellow';
  return c.light;
}
