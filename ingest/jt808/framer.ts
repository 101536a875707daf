// Stream framer (分帧) for JT/T 808 over TCP: turns arbitrary reads into whole, unescaped, check-code-verified
// messages. Frame the stream, never the read: one read can carry several messages and one message can span reads.
import { FLAG, unescape, xor } from './bytes.js';
import { Jt808Error, type Jt808ErrorCode } from './errors.js';

/** Message id (2) + body attributes (2) + 2013 phone BCD[6] + serial (2) + check code (1). */
export const MIN_FRAME_BYTES = 13;
/** Default per-connection limit on bytes held for one unfinished frame; a 0x0200 is ~100 bytes, the max legal ~2 KiB. */
export const DEFAULT_MAX_BUFFER_BYTES = 64 * 1024;

export interface GoodFrame {
  ok: true;
  /** Unescaped bytes from message id through body, without the check code. */
  message: Buffer;
  checkCode: number;
}

export interface BadFrame {
  ok: false;
  error: Jt808Error;
  code: Jt808ErrorCode;
  /** Unescaped message bytes when they could be recovered (bad_checksum), so a tool can still show what came in. */
  message: Buffer | null;
}

export type Frame = GoodFrame | BadFrame;

export interface FramerOptions {
  maxBufferBytes?: number;
}

export class Jt808Framer {
  private readonly maxBufferBytes: number;
  /** Bytes of the frame being assembled, from its opening 0x7e (excluded). */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private inFrame = false;
  /** Garbage outside any frame (line noise, a half frame after an oversize discard): skipped and counted. */
  skippedBytes = 0;

  constructor(options: FramerOptions = {}) {
    this.maxBufferBytes = options.maxBufferBytes ?? DEFAULT_MAX_BUFFER_BYTES;
  }

  /** Bytes currently held for an unfinished frame; never above the configured limit. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  push(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    let i = 0;
    while (i < chunk.length) {
      if (!this.inFrame) {
        const start = chunk.indexOf(FLAG, i);
        if (start < 0) {
          this.skippedBytes += chunk.length - i;
          break;
        }
        this.skippedBytes += start - i;
        this.inFrame = true;
        i = start + 1;
        continue;
      }
      const end = chunk.indexOf(FLAG, i);
      const stop = end < 0 ? chunk.length : end;
      if (this.pendingBytes + (stop - i) > this.maxBufferBytes) {
        frames.push(bad(new Jt808Error('oversize', `no closing 0x7e within ${this.maxBufferBytes} bytes`), null));
        this.reset();
        // The rest of the oversized frame is skipped as garbage; its closing 0x7e then looks like an empty frame
        // before the next opening one, which the empty-frame rule below resynchronises on.
        this.skippedBytes += stop - i;
        i = stop;
        continue;
      }
      if (stop > i) {
        this.pending.push(chunk.subarray(i, stop));
        this.pendingBytes += stop - i;
      }
      if (end < 0) break;
      i = end + 1;
      if (this.pendingBytes === 0) {
        // 0x7e 0x7e: we were on a closing flag (joined mid-stream); this one opens the next frame.
        continue;
      }
      frames.push(finish(Buffer.concat(this.pending, this.pendingBytes)));
      this.reset();
    }
    return frames;
  }

  private reset(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.inFrame = false;
  }
}

function bad(error: Jt808Error, message: Buffer | null): BadFrame {
  return { ok: false, error, code: error.code, message };
}

function finish(escaped: Buffer): Frame {
  let raw: Buffer;
  try {
    raw = unescape(escaped);
  } catch (err) {
    return bad(err as Jt808Error, null);
  }
  if (raw.length < MIN_FRAME_BYTES) {
    return bad(new Jt808Error('too_short', `${raw.length} byte(s) between delimiters`), null);
  }
  const message = Buffer.from(raw.subarray(0, raw.length - 1));
  const checkCode = raw[raw.length - 1] ?? 0;
  const computed = xor(message);
  if (computed !== checkCode) {
    const hex = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`;
    return bad(new Jt808Error('bad_checksum', `check code ${hex(checkCode)}, computed ${hex(computed)}`), message);
  }
  return { ok: true, message, checkCode };
}
