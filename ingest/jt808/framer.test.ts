import { describe, expect, it } from 'vitest';
import { escape, unescape, xor } from './bytes.js';
import { Jt808Error } from './errors.js';
import { encodeFrame, encodeGeneralReply } from './encode.js';
import { FRAMES, fixtureBytes } from './fixtures/frames.js';
import { Jt808Framer, type Frame } from './framer.js';
import { prng } from './fixtures/test-helpers.js';

const good = Object.entries(FRAMES)
  .filter(([name]) => name !== 'badChecksum')
  .map(([name, f]) => ({ name, bytes: fixtureBytes(f) }));

function messages(frames: Frame[]): string[] {
  return frames.map((f) => (f.ok ? f.message.toString('hex') : `error:${f.code}`));
}

function expectedMessage(bytes: Buffer): string {
  const raw = unescape(bytes.subarray(1, bytes.length - 1));
  return raw.subarray(0, raw.length - 1).toString('hex');
}

describe('Jt808Framer', () => {
  it('returns each fixture as one verified frame', () => {
    for (const { name, bytes } of good) {
      const frames = new Jt808Framer().push(bytes);
      expect(messages(frames), name).toEqual([expectedMessage(bytes)]);
    }
  });

  it('reassembles every fixture split at every byte position', () => {
    for (const { name, bytes } of good) {
      const want = [expectedMessage(bytes)];
      for (let cut = 0; cut <= bytes.length; cut++) {
        const framer = new Jt808Framer();
        const frames = [...framer.push(bytes.subarray(0, cut)), ...framer.push(bytes.subarray(cut))];
        expect(messages(frames), `${name} cut at ${cut}`).toEqual(want);
        expect(framer.bufferedBytes).toBe(0);
        expect(framer.skippedBytes).toBe(0);
      }
    }
  });

  it('handles all fixtures back to back in random chunkings, and byte by byte', () => {
    const stream = Buffer.concat(good.map((g) => g.bytes));
    const want = good.map((g) => expectedMessage(g.bytes));
    const rand = prng(808);
    for (let run = 0; run < 50; run++) {
      const framer = new Jt808Framer();
      const got: Frame[] = [];
      for (let i = 0; i < stream.length;) {
        const n = 1 + Math.floor(rand() * 64);
        got.push(...framer.push(stream.subarray(i, i + n)));
        i += n;
      }
      expect(messages(got)).toEqual(want);
    }
    const framer = new Jt808Framer();
    const got: Frame[] = [];
    for (const b of stream) got.push(...framer.push(Buffer.of(b)));
    expect(messages(got)).toEqual(want);
  });

  it('skips and counts garbage between frames, and resynchronises when joining mid-frame', () => {
    const a = fixtureBytes(FRAMES.heartbeat);
    const b = fixtureBytes(FRAMES.location);
    const framer = new Jt808Framer();
    // Tail of a frame we joined in the middle of, its closing flag, then garbage-free frames.
    const stream = Buffer.concat([Buffer.from('0102037e', 'hex'), a, Buffer.from('deadbeef', 'hex'), b]);
    expect(messages(framer.push(stream))).toEqual([expectedMessage(a), expectedMessage(b)]);
    expect(framer.skippedBytes).toBe(3 + 4);
  });

  it('reports a bad escape, a short frame and a bad check code, then carries on', () => {
    const ok = fixtureBytes(FRAMES.heartbeat);
    const stream = Buffer.concat([
      Buffer.from('7e00027d0300000430483254650000007e', 'hex'),
      Buffer.from('7e00020000047e', 'hex'),
      fixtureBytes(FRAMES.badChecksum),
      ok,
    ]);
    const frames = new Jt808Framer().push(stream);
    expect(messages(frames)).toEqual([
      'error:bad_escape',
      'error:too_short',
      'error:bad_checksum',
      expectedMessage(ok),
    ]);
    const bad = frames[2];
    expect(bad?.ok === false && bad.error).toBeInstanceOf(Jt808Error);
    // The unescaped bytes of a bad-checksum frame are kept so a tool can still show the header.
    expect(bad?.ok === false && bad.message?.subarray(0, 2).toString('hex')).toBe('0200');
  });

  it('treats 0x7d right before the closing flag as a bad escape', () => {
    expect(messages(new Jt808Framer().push(Buffer.from('7e000200000430483254650000b77d7e', 'hex')))).toEqual([
      'error:bad_escape',
    ]);
  });

  it('discards an unterminated frame beyond the buffer limit and recovers on the next frame', () => {
    const framer = new Jt808Framer({ maxBufferBytes: 100 });
    const frames: Frame[] = [...framer.push(Buffer.of(0x7e))];
    for (let i = 0; i < 10; i++) {
      frames.push(...framer.push(Buffer.alloc(50, 0x11)));
      expect(framer.bufferedBytes).toBeLessThanOrEqual(100);
    }
    const ok = fixtureBytes(FRAMES.heartbeat);
    // The oversized frame's closing flag, then a good frame.
    frames.push(...framer.push(Buffer.concat([Buffer.of(0x7e), ok])));
    expect(messages(frames)).toEqual(['error:oversize', expectedMessage(ok)]);
    expect(framer.skippedBytes).toBeGreaterThan(0);
  });

  it('reports oversize for a complete frame longer than the limit', () => {
    const framer = new Jt808Framer({ maxBufferBytes: 20 });
    expect(messages(framer.push(fixtureBytes(FRAMES.location)))).toEqual(['error:oversize']);
  });
});

describe('escaping and check code', () => {
  it('round-trips random buffers and never leaves a bare flag', () => {
    const rand = prng(1);
    for (let i = 0; i < 500; i++) {
      const b = Buffer.from(Array.from({ length: Math.floor(rand() * 40) }, () => Math.floor(rand() * 256)));
      const e = escape(b);
      expect(e.includes(0x7e)).toBe(false);
      expect(unescape(e).equals(b)).toBe(true);
    }
    expect(escape(Buffer.from('307e087d55', 'hex')).toString('hex')).toBe('307d02087d0155');
  });

  it('escapes flags inside header, body and check code of an encoded frame, and frames it back', () => {
    const to = { version: 2013 as const, phone: '013511221122' };
    // Serial 0x7e7d and a reply serial 0x7d7e force escapes in header and body.
    const frame = encodeGeneralReply(to, 0x7e7d, { replySerial: 0x7d7e, replyMsgId: 0x0200, result: 0 });
    expect(frame.subarray(1, -1).includes(0x7e)).toBe(false);
    const [f] = new Jt808Framer().push(frame);
    expect(f?.ok && f.message.subarray(10, 17).toString('hex')).toBe('7e7d7d7e020000');
  });

  it('computes the check code as the XOR of message id through body', () => {
    expect(xor(Buffer.from('0102', 'hex'))).toBe(0x03);
    // Heartbeat capture: 00 02 00 00 04 30 48 32 54 65 00 b7 → check code 0xca.
    expect(xor(Buffer.from('0002000004304832546500b7', 'hex'))).toBe(0xca);
    const frame = encodeFrame({ version: 2013, phone: '043048325465' }, 0x0002, 0xb7, Buffer.alloc(0));
    expect(frame.toString('hex')).toBe(FRAMES.heartbeat.hex);
  });
});
