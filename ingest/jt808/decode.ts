// Terminal message decoder (终端消息解析): one body per message id into a typed value; an id it does not know becomes
// `{ unsupported: true }` with the raw body, so the gateway can answer 0x8001 result 3 instead of dropping the link.
import { gbkString, Reader } from './bytes.js';
import { attempt, type Result } from './errors.js';
import { decodePacket, type Header, type HeaderLayout } from './header.js';
import { decodeLocation, type Location } from './location.js';

export const MSG = {
  terminalReply: 0x0001,
  heartbeat: 0x0002,
  logout: 0x0003,
  register: 0x0100,
  authenticate: 0x0102,
  parameterReply: 0x0104,
  location: 0x0200,
  locationBatch: 0x0704,
  platformReply: 0x8001,
  registerReply: 0x8100,
  setParameters: 0x8103,
  queryParameters: 0x8104,
} as const;

export interface TerminalReply {
  msgId: 0x0001;
  replySerial: number;
  replyMsgId: number;
  /** 0 ok, 1 failed, 2 bad message, 3 unsupported. */
  result: number;
}
export interface Heartbeat {
  msgId: 0x0002;
}
export interface Logout {
  msgId: 0x0003;
}
export interface Registration {
  msgId: 0x0100;
  provinceId: number;
  cityId: number;
  manufacturerId: string;
  model: string;
  terminalId: string;
  /** 0 no plate (then `plate` is the VIN), 1 blue, 2 yellow, 3 black, 4 white, 9 other. */
  plateColor: number;
  plate: string;
}
export interface Authentication {
  msgId: 0x0102;
  authCode: string;
  /** 2019 only. */
  imei: string | null;
  softwareVersion: string | null;
}
export interface ParameterValue {
  id: number;
  /** Known parameter name, e.g. `defaultReportIntervalS` for 0x0029. */
  name: string | null;
  /** Decoded number for known numeric parameters, else null. */
  value: number | null;
  hex: string;
}
export interface ParameterReply {
  msgId: 0x0104;
  replySerial: number;
  params: ParameterValue[];
}
export interface LocationReport {
  msgId: 0x0200;
  location: Location;
}
export interface LocationBatch {
  msgId: 0x0704;
  /** 0 normal batch, 1 blind-area (盲区) re-send of fixes buffered while out of coverage. */
  batchType: number;
  locations: Location[];
}
export interface Unsupported {
  msgId: number;
  unsupported: true;
  bodyHex: string;
}

export type Body =
  | TerminalReply
  | Heartbeat
  | Logout
  | Registration
  | Authentication
  | ParameterReply
  | LocationReport
  | LocationBatch
  | Unsupported;

export interface Message {
  header: Header;
  body: Body;
}

/** Known terminal parameters (终端参数) with a numeric value: id → [name, size in bytes]. */
export const PARAMETERS: Readonly<Record<number, readonly [string, 1 | 2 | 4]>> = {
  0x0001: ['heartbeatIntervalS', 4],
  0x0002: ['tcpReplyTimeoutS', 4],
  0x0003: ['tcpRetransmissions', 4],
  0x0020: ['reportStrategy', 4],
  0x0021: ['reportScheme', 4],
  0x0022: ['driverAbsentReportIntervalS', 4],
  0x0027: ['sleepReportIntervalS', 4],
  0x0028: ['alarmReportIntervalS', 4],
  0x0029: ['defaultReportIntervalS', 4],
  0x002c: ['defaultReportDistanceM', 4],
  0x0055: ['maxSpeedKmh', 4],
  0x0056: ['overspeedDurationS', 4],
};

function decodeRegistration(body: Buffer, layout: HeaderLayout): Registration {
  const r = new Reader(body);
  // 2019 widened the maker / model / terminal id fields; the 2013 widths are 5 / 20 / 7.
  const [maker, model, id] = layout === 2019 ? [11, 30, 30] : [5, 20, 7];
  return {
    msgId: 0x0100,
    provinceId: r.u16('province'),
    cityId: r.u16('city'),
    manufacturerId: gbkString(r.bytes(maker, 'manufacturer')),
    model: gbkString(r.bytes(model, 'model')),
    terminalId: gbkString(r.bytes(id, 'terminal id')),
    plateColor: r.u8('plate colour'),
    plate: gbkString(r.rest()),
  };
}

function decodeAuthentication(body: Buffer, layout: HeaderLayout): Authentication {
  if (layout === 2013) return { msgId: 0x0102, authCode: gbkString(body), imei: null, softwareVersion: null };
  const r = new Reader(body);
  const authCode = gbkString(r.bytes(r.u8('auth code length'), 'auth code'));
  return {
    msgId: 0x0102,
    authCode,
    imei: gbkString(r.bytes(15, 'IMEI')),
    softwareVersion: gbkString(r.bytes(20, 'software version')),
  };
}

function decodeParameterReply(body: Buffer): ParameterReply {
  const r = new Reader(body);
  const replySerial = r.u16('reply serial');
  const count = r.u8('parameter count');
  const params: ParameterValue[] = [];
  for (let i = 0; i < count; i++) {
    const id = r.u32('parameter id');
    const v = r.bytes(r.u8('parameter length'), 'parameter value');
    const known = PARAMETERS[id];
    const numeric = known && v.length === known[1] ? v.readUIntBE(0, v.length) : null;
    params.push({ id, name: known?.[0] ?? null, value: numeric, hex: v.toString('hex') });
  }
  return { msgId: 0x0104, replySerial, params };
}

function decodeBatch(body: Buffer): LocationBatch {
  const r = new Reader(body);
  const count = r.u16('item count');
  const batchType = r.u8('batch type');
  const locations: Location[] = [];
  for (let i = 0; i < count; i++) locations.push(decodeLocation(r.bytes(r.u16('item length'), 'location item')));
  return { msgId: 0x0704, batchType, locations };
}

/** Decodes a complete body (already reassembled if it came in sub-packages). */
export function decodeBody(msgId: number, body: Buffer, layout: HeaderLayout): Result<Body> {
  return attempt((): Body => {
    switch (msgId) {
      case MSG.terminalReply: {
        const r = new Reader(body);
        return { msgId, replySerial: r.u16('reply serial'), replyMsgId: r.u16('reply id'), result: r.u8('result') };
      }
      case MSG.heartbeat:
        return { msgId };
      case MSG.logout:
        return { msgId };
      case MSG.register:
        return decodeRegistration(body, layout);
      case MSG.authenticate:
        return decodeAuthentication(body, layout);
      case MSG.parameterReply:
        return decodeParameterReply(body);
      case MSG.location:
        return { msgId, location: decodeLocation(body) };
      case MSG.locationBatch:
        return decodeBatch(body);
      default:
        return { msgId, unsupported: true, bodyHex: body.toString('hex') };
    }
  });
}

/**
 * Header + body of one framed, unsubpackaged message. A sub-package fragment must go through the Reassembler first;
 * decoding it alone would misread a partial body, so it is reported as unsupported with its raw bytes.
 */
export function decodeMessage(message: Buffer): Result<Message> {
  const packet = decodePacket(message);
  if (!packet.ok) return packet;
  const { header, body } = packet.value;
  if (header.subpackage || header.encryption !== 0) {
    return {
      ok: true,
      value: { header, body: { msgId: header.msgId, unsupported: true, bodyHex: body.toString('hex') } },
    };
  }
  const decoded = decodeBody(header.msgId, body, header.version);
  return decoded.ok ? { ok: true, value: { header, body: decoded.value } } : decoded;
}
