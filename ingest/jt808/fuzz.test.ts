// Property tests: whatever bytes a terminal (or the internet) sends, nothing escapes as an exception and the framer's
// memory stays bounded.
import { describe, expect, it } from 'vitest';
import { decodeMessage } from './decode.js';
import { FRAMES, fixtureBytes } from './fixtures/frames.js';
import { Jt808Framer, type Frame } from './framer.js';
import { decodePacket } from './header.js';
import { Reassembler } from './reassembler.js';
import { prng } from './fixtures/test-helpers.js';

const LIMIT = 2048;
const fixtures = Object.values(FRAMES).map(fixtureBytes);

/** Runs the whole receive path (frame → header → reassembly → body) and fails on any throw. */
function receive(framer: Jt808Framer, reassembler: Reassembler, chunk: Buffer): Frame[] {
  const frames = framer.push(chunk);
  for (const f of frames) {
    if (!f.ok) {
      expect(f.error.code).toMatch(/^(bad_checksum|bad_escape|too_short|oversize)$/);
      continue;
    }
    const m = decodeMessage(f.message);
    if (!m.ok) expect(m.error.code).toBeTruthy();
    const p = decodePacket(f.message);
    if (p.ok) reassembler.add(p.value.header, p.value.body);
  }
  expect(framer.bufferedBytes).toBeLessThanOrEqual(LIMIT);
  return frames;
}

function randomBytes(rand: () => number, n: number, flagBias: number): Buffer {
  return Buffer.from(
    Array.from({ length: n }, () => {
      const r = rand();
      if (r < flagBias) return 0x7e;
      if (r < flagBias * 2) return 0x7d;
      return Math.floor(rand() * 256);
    }),
  );
}

describe('fuzz', () => {
  it('random byte streams never throw and keep the buffer under the limit', () => {
    const rand = prng(20261125);
    for (let run = 0; run < 200; run++) {
      const framer = new Jt808Framer({ maxBufferBytes: LIMIT });
      const reassembler = new Reassembler({ maxPending: 4 });
      const flagBias = run % 2 === 0 ? 0.001 : 0.05;
      for (let i = 0; i < 20; i++) receive(framer, reassembler, randomBytes(rand, Math.floor(rand() * 600), flagBias));
      expect(reassembler.pending).toBeLessThanOrEqual(4);
    }
  });

  it('truncated real frames never throw', () => {
    const framer = new Jt808Framer({ maxBufferBytes: LIMIT });
    const reassembler = new Reassembler();
    for (const f of fixtures) {
      for (let n = 0; n < f.length; n++) {
        // Truncate, then close the frame as a broken link layer might.
        receive(framer, reassembler, Buffer.concat([f.subarray(0, n), Buffer.of(0x7e)]));
      }
    }
  });

  it('bit-flipped real frames never throw, and a frame the check code accepts still decodes to a result', () => {
    const rand = prng(42);
    let decodedAfterFlip = 0;
    for (let run = 0; run < 3000; run++) {
      const f = Buffer.from(fixtures[run % fixtures.length] ?? Buffer.alloc(0));
      const flips = 1 + Math.floor(rand() * 3);
      for (let k = 0; k < flips; k++) {
        const i = Math.floor(rand() * f.length);
        f[i] = (f[i] ?? 0) ^ (1 << Math.floor(rand() * 8));
      }
      const frames = receive(new Jt808Framer({ maxBufferBytes: LIMIT }), new Reassembler(), f);
      decodedAfterFlip += frames.filter((x) => x.ok).length;
    }
    // Two flips in the same bit column cancel in the XOR, so some corrupted frames pass the check; they must still
    // come out as results, not exceptions (asserted in `receive`).
    expect(decodedAfterFlip).toBeGreaterThan(0);
  });

  it('a never-ending frame is cut at the limit, repeatedly, without growing', () => {
    const framer = new Jt808Framer({ maxBufferBytes: LIMIT });
    let oversize = 0;
    framer.push(Buffer.of(0x7e));
    for (let i = 0; i < 100; i++) {
      const frames = framer.push(Buffer.alloc(1000, 0x55));
      oversize += frames.filter((f) => !f.ok && f.code === 'oversize').length;
      expect(framer.bufferedBytes).toBeLessThanOrEqual(LIMIT);
    }
    // Cut once; the rest of that frame is skipped as garbage rather than buffered.
    expect(oversize).toBe(1);
    expect(framer.skippedBytes).toBeGreaterThan(90_000);
  });
});
