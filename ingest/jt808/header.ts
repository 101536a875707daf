// Message header (消息头) of JT/T 808: the 2013 layout (BCD[6] phone) and the 2019 layout (version flag in the body
// attributes, a protocol version byte, BCD[10] phone), with the sub-package (分包) fields when bit 13 is set.
import { bcdToString, Reader, stringToBcd } from './bytes.js';
import { attempt, Jt808Error, type Result } from './errors.js';

const BODY_LENGTH_MASK = 0x03ff;
const ENCRYPTION_SHIFT = 10;
const SUBPACKAGE_BIT = 1 << 13;
const VERSION_2019_BIT = 1 << 14;
export const MAX_BODY_BYTES = BODY_LENGTH_MASK;

/** Header layout; 2011 and 2013 share one and cannot be told apart on the wire. */
export type HeaderLayout = 2013 | 2019;

export interface Subpackage {
  total: number;
  /** 1-based. */
  index: number;
}

export interface Header {
  msgId: number;
  version: HeaderLayout;
  /** The 2019 protocol version byte (1 for the first 2019 edition); null on the 2013 layout. */
  protocolVersion: number | null;
  bodyLength: number;
  /** Bits 10–12: 0 plain, 1 RSA. */
  encryption: number;
  phone: string;
  serial: number;
  subpackage: Subpackage | null;
}

/** Who a platform message goes to: replies reuse the terminal's own layout and phone, or it will not recognise them. */
export interface Terminal {
  version: HeaderLayout;
  protocolVersion?: number | null;
  phone: string;
}

export interface Packet {
  header: Header;
  /** This package's body: the whole message body, or one fragment of it when `header.subpackage` is set. */
  body: Buffer;
}

function readHeader(r: Reader): Header {
  const msgId = r.u16('message id');
  const attributes = r.u16('body attributes');
  const is2019 = (attributes & VERSION_2019_BIT) !== 0;
  const protocolVersion = is2019 ? r.u8('protocol version') : null;
  const phone = bcdToString(r.bytes(is2019 ? 10 : 6, 'phone'));
  const serial = r.u16('serial');
  let subpackage: Subpackage | null = null;
  if (attributes & SUBPACKAGE_BIT) {
    const total = r.u16('package count');
    const index = r.u16('package index');
    if (index < 1 || total < 1 || index > total) {
      throw new Jt808Error('bad_subpackage', `package ${index} of ${total}`);
    }
    subpackage = { total, index };
  }
  return {
    msgId,
    version: is2019 ? 2019 : 2013,
    protocolVersion,
    bodyLength: attributes & BODY_LENGTH_MASK,
    encryption: (attributes >> ENCRYPTION_SHIFT) & 0x07,
    phone,
    serial,
    subpackage,
  };
}

/** Splits a framed message (unescaped, check code removed) into header and body, checking the declared body length. */
export function decodePacket(message: Buffer): Result<Packet> {
  return attempt(() => {
    const r = new Reader(message);
    const header = readHeader(r);
    const body = r.rest();
    if (body.length !== header.bodyLength) {
      throw new Jt808Error('bad_length', `header says ${header.bodyLength} body byte(s), frame has ${body.length}`);
    }
    return { header, body };
  });
}

export interface HeaderFields extends Terminal {
  msgId: number;
  serial: number;
  bodyLength: number;
  encryption?: number;
  subpackage?: Subpackage | null;
}

export function encodeHeader(h: HeaderFields): Buffer {
  if (h.bodyLength < 0 || h.bodyLength > MAX_BODY_BYTES) {
    throw new RangeError(`body of ${h.bodyLength} bytes does not fit one package (max ${MAX_BODY_BYTES})`);
  }
  let attributes = h.bodyLength | ((h.encryption ?? 0) << ENCRYPTION_SHIFT);
  if (h.subpackage) attributes |= SUBPACKAGE_BIT;
  if (h.version === 2019) attributes |= VERSION_2019_BIT;
  const parts: Buffer[] = [];
  const fixed = Buffer.alloc(4);
  fixed.writeUInt16BE(h.msgId & 0xffff, 0);
  fixed.writeUInt16BE(attributes, 2);
  parts.push(fixed);
  if (h.version === 2019) parts.push(Buffer.of(h.protocolVersion ?? 1));
  parts.push(stringToBcd(h.phone, h.version === 2019 ? 10 : 6));
  const serial = Buffer.alloc(2);
  serial.writeUInt16BE(h.serial & 0xffff, 0);
  parts.push(serial);
  if (h.subpackage) {
    const sp = Buffer.alloc(4);
    sp.writeUInt16BE(h.subpackage.total, 0);
    sp.writeUInt16BE(h.subpackage.index, 2);
    parts.push(sp);
  }
  return Buffer.concat(parts);
}
