// Byte-level helpers (字节读写) for JT/T 808: a bounds-checked big-endian reader, BCD (8421 码) and GBK strings,
// the XOR check code (校验码) and 0x7e/0x7d escaping (转义).
import { Jt808Error } from './errors.js';

export const FLAG = 0x7e;
export const ESCAPE = 0x7d;

/** Big-endian reader that throws Jt808Error('truncated') instead of reading past the end, so decoders stay short. */
export class Reader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number, what: string): void {
    if (this.remaining < n) {
      throw new Jt808Error('truncated', `${what}: need ${n} byte(s) at offset ${this.pos}, have ${this.remaining}`);
    }
  }

  u8(what = 'u8'): number {
    this.need(1, what);
    return this.buf.readUInt8(this.pos++);
  }

  u16(what = 'u16'): number {
    this.need(2, what);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(what = 'u32'): number {
    this.need(4, what);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  bytes(n: number, what = 'bytes'): Buffer {
    this.need(n, what);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  rest(): Buffer {
    return this.bytes(this.remaining);
  }
}

/**
 * BCD digits as a string. Nibbles above 9 are rendered as hex letters rather than rejected: some terminals pad the
 * phone number with 0xF and the number is only an identity, never arithmetic.
 */
export function bcdToString(b: Buffer): string {
  return b.toString('hex');
}

/** Left-pads with zeros to `bytes * 2` digits; the phone number is right-aligned in its field. */
export function stringToBcd(digits: string, bytes: number): Buffer {
  if (!/^[0-9a-fA-F]*$/.test(digits) || digits.length > bytes * 2) {
    throw new RangeError(`not a BCD number of at most ${bytes * 2} digits: ${digits}`);
  }
  return Buffer.from(digits.padStart(bytes * 2, '0'), 'hex');
}

const gbk = new TextDecoder('gbk');

/** GBK text with the NUL / space padding of fixed-width fields removed. */
export function gbkString(b: Buffer): string {
  return gbk
    .decode(b)
    .replace(/^[\0 ]+|[\0 ]+$/g, '')
    .trim();
}

/** XOR of every byte: the check code covers message id through body, on the unescaped bytes. */
export function xor(b: Buffer, end = b.length): number {
  let x = 0;
  for (let i = 0; i < end; i++) x ^= b[i] ?? 0;
  return x;
}

/** 0x7e → 0x7d 0x02, 0x7d → 0x7d 0x01. */
export function escape(b: Buffer): Buffer {
  let extra = 0;
  for (const c of b) if (c === FLAG || c === ESCAPE) extra++;
  if (extra === 0) return b;
  const out = Buffer.allocUnsafe(b.length + extra);
  let j = 0;
  for (const c of b) {
    if (c === FLAG || c === ESCAPE) {
      out[j++] = ESCAPE;
      out[j++] = c === FLAG ? 0x02 : 0x01;
    } else {
      out[j++] = c;
    }
  }
  return out;
}

/** Inverse of `escape`; throws Jt808Error('bad_escape') on 0x7d followed by anything but 0x01/0x02. */
export function unescape(b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(b.length);
  let j = 0;
  for (let i = 0; i < b.length; i++) {
    const c = b[i] ?? 0;
    if (c !== ESCAPE) {
      out[j++] = c;
      continue;
    }
    const next = b[++i];
    if (next === 0x02) out[j++] = FLAG;
    else if (next === 0x01) out[j++] = ESCAPE;
    else {
      const shown = next === undefined ? 'end of frame' : `0x${next.toString(16).padStart(2, '0')}`;
      throw new Jt808Error('bad_escape', `0x7d followed by ${shown} at offset ${i - 1}`);
    }
  }
  return out.subarray(0, j);
}

/** Lenient hex for the CLI and fixtures: spaces, `0x` prefixes and `:` separators are ignored. */
export function parseHex(text: string): Buffer | null {
  const clean = text.replace(/0x/gi, '').replace(/[\s:,]/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(clean)) return null;
  return Buffer.from(clean, 'hex');
}
