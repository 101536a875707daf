import { describe, expect, it } from 'vitest';
import { decodeBody } from './decode.js';
import { encodeFrame } from './encode.js';
import { FRAMES, fixtureBytes } from './fixtures/frames.js';
import { Jt808Framer } from './framer.js';
import { decodePacket, type Packet } from './header.js';
import { Reassembler } from './reassembler.js';
import { decodeOne, prng } from './fixtures/test-helpers.js';

const to = { version: 2013 as const, phone: '013567777777' };

/** The blind-area batch capture re-sent as N sub-packages, as a terminal would for a body over its MTU. */
function split(body: Buffer, n: number, firstSerial: number): Buffer[] {
  const size = Math.ceil(body.length / n);
  return Array.from({ length: n }, (_, i) =>
    encodeFrame(to, 0x0704, firstSerial + i, body.subarray(i * size, (i + 1) * size), {
      subpackage: { total: n, index: i + 1 },
    }),
  );
}

function packets(frames: Buffer[]): Packet[] {
  const framer = new Jt808Framer();
  return framer.push(Buffer.concat(frames)).map((f) => {
    if (!f.ok) throw new Error(f.error.message);
    const p = decodePacket(f.message);
    if (!p.ok) throw new Error(p.error.message);
    return p.value;
  });
}

const batchBody = (() => {
  const m = decodeOne(fixtureBytes(FRAMES.batchBlind));
  const [f] = new Jt808Framer().push(fixtureBytes(FRAMES.batchBlind));
  if (!f?.ok) throw new Error('fixture');
  return { body: f.message.subarray(12), header: m.header };
})();

describe('Reassembler', () => {
  it('passes an unsplit message straight through', () => {
    const r = new Reassembler();
    const [p] = packets([fixtureBytes(FRAMES.heartbeat)]);
    if (!p) throw new Error('no packet');
    expect(r.add(p.header, p.body)).toMatchObject({ status: 'complete' });
    expect(r.pending).toBe(0);
  });

  it('joins packages in any order, ignores a re-sent one, and decodes the whole body', () => {
    const rand = prng(7);
    for (let run = 0; run < 20; run++) {
      const ps = packets(split(batchBody.body, 3, 0xfffe)); // serials wrap past 0xffff
      const dup = ps[1];
      if (dup) ps.push(dup);
      ps.sort(() => rand() - 0.5);
      const r = new Reassembler();
      const results = ps.map((p) => r.add(p.header, p.body));
      const done = results.filter((x) => x.status === 'complete');
      expect(done).toHaveLength(1);
      expect(results.filter((x) => x.status === 'duplicate')).toHaveLength(1);
      const c = done[0];
      if (c?.status !== 'complete') throw new Error('not complete');
      expect(c.body.equals(batchBody.body)).toBe(true);
      expect(c.header).toMatchObject({ msgId: 0x0704, serial: 0xfffe, subpackage: null, bodyLength: c.body.length });
      const decoded = decodeBody(c.header.msgId, c.body, c.header.version);
      expect(decoded.ok && 'locations' in decoded.value && decoded.value.locations).toHaveLength(8);
      expect(r.pending).toBe(0);
    }
  });

  it('keeps two interleaved messages from one terminal apart by their first serial', () => {
    const a = packets(split(batchBody.body, 2, 100));
    const b = packets(split(Buffer.from('000000', 'hex'), 2, 200));
    const r = new Reassembler();
    const order = [a[0], b[0], b[1], a[1]];
    const out = order.map((p) => (p ? r.add(p.header, p.body) : null));
    expect(out.map((o) => o?.status)).toEqual(['pending', 'pending', 'complete', 'complete']);
    const last = out[3];
    expect(last?.status === 'complete' && last.body.equals(batchBody.body)).toBe(true);
  });

  it('expires incomplete messages on the injected clock', () => {
    let now = 1_000;
    const r = new Reassembler({ timeoutMs: 30_000, now: () => now });
    const [first, second] = packets(split(batchBody.body, 2, 1));
    if (!first || !second) throw new Error('split');
    expect(r.add(first.header, first.body).status).toBe('pending');
    now += 30_001;
    expect(r.sweep()).toBe(1);
    expect(r.dropped).toBe(1);
    // The late second half starts a new, forever-incomplete entry rather than completing a stale one.
    expect(r.add(second.header, second.body).status).toBe('pending');
  });

  it('bounds pending messages, package counts and body size', () => {
    const r = new Reassembler({ maxPending: 4, maxPackages: 8, maxBodyBytes: 100 });
    for (let i = 0; i < 50; i++) {
      const [p] = packets(split(Buffer.from('00000000', 'hex'), 2, i * 10));
      if (p) r.add(p.header, p.body);
      expect(r.pending).toBeLessThanOrEqual(4);
    }
    expect(r.dropped).toBe(46);
    const [big] = packets(split(Buffer.alloc(18), 9, 5000));
    expect(big && r.add(big.header, big.body)).toMatchObject({ status: 'rejected' });
    const parts = packets(split(batchBody.body, 2, 9000));
    const results = parts.map((p) => r.add(p.header, p.body).status);
    expect(results).toContain('rejected');
  });

  it('rejects a package whose count disagrees with its siblings', () => {
    const r = new Reassembler();
    const [a] = packets(split(Buffer.alloc(4), 2, 10));
    const [b] = packets([encodeFrame(to, 0x0704, 11, Buffer.alloc(1), { subpackage: { total: 3, index: 2 } })]);
    if (!a || !b) throw new Error('split');
    r.add(a.header, a.body);
    expect(r.add(b.header, b.body)).toMatchObject({ status: 'rejected' });
  });
});
