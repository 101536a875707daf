// JT/T 808 codec errors (协议解析错误): stable codes for everything that can be wrong with a terminal's bytes, so the
// gateway can count them and a field engineer can read them; the codec returns them, it never lets one escape.

export type Jt808ErrorCode =
  /** XOR check code (校验码) does not match the message bytes. */
  | 'bad_checksum'
  /** 0x7d followed by something other than 0x01 or 0x02. */
  | 'bad_escape'
  /** Fewer bytes between the delimiters than the smallest header plus the check code. */
  | 'too_short'
  /** No closing 0x7e within the per-connection buffer limit. */
  | 'oversize'
  /** Body length in the header disagrees with the bytes received. */
  | 'bad_length'
  /** A field runs past the end of the body. */
  | 'truncated'
  /** A BCD time that is not a calendar time. */
  | 'bad_time'
  /** Sub-package index/count that cannot be right (index 0, index > count). */
  | 'bad_subpackage'
  /** A decoder bug rather than bad input; reported like the others so it still cannot break a connection. */
  | 'internal';

export class Jt808Error extends Error {
  readonly code: Jt808ErrorCode;
  constructor(code: Jt808ErrorCode, message: string) {
    super(message);
    this.name = 'Jt808Error';
    this.code = code;
  }
}

/** Decoders return this rather than throwing: a bad frame from one terminal must never take down a connection. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: Jt808Error };

/** Runs a decoder that signals failure by throwing Jt808Error; anything else thrown is a bug and still becomes a result. */
export function attempt<T>(fn: () => T): Result<T> {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    if (err instanceof Jt808Error) return { ok: false, error: err };
    return { ok: false, error: new Jt808Error('internal', `unexpected decoder failure: ${String(err)}`) };
  }
}
