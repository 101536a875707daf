import { describe, expect, it } from 'vitest';
import { DrawPacer, type DrawPacerOptions } from './draw-pacer';

const pacer = (options: Partial<DrawPacerOptions> = {}) =>
  new DrawPacer({ minIntervalMs: 0, restRatio: 0, drawnTimeoutMs: 5_000, ...options });

/** Takes the first full update, and reports it drawn at once: the state of a source after its first draw. */
function started(p: DrawPacer, atMs = 0): DrawPacer {
  const first = p.take(atMs);
  expect(first).toMatchObject({ full: true });
  p.drawn(first!.seq, atMs);
  return p;
}

describe('DrawPacer', () => {
  it('starts with one full update, then has nothing to draw until something changes', () => {
    const p = pacer();
    expect(p.delayMs(0)).toBe(0);
    const first = p.take(0);
    expect(first).toEqual({ seq: 1, full: true });
    p.drawn(first!.seq, 10);
    expect(p.pending).toBe(false);
    expect(p.delayMs(20)).toBeNull();
    expect(p.take(20)).toBeNull();
  });

  it('coalesces: ids changed many times before the next update are drawn once each', () => {
    const p = started(pacer());
    // Three socket batches, a unit moving in each: its superseded positions never reach the map, only its id once.
    p.changed(['u1', 'u2']);
    p.changed(['u1']);
    p.changed(['u3', 'u1']);
    expect(p.take(10)).toEqual({ seq: 2, full: false, ids: ['u1', 'u2', 'u3'] });
    expect(p.pending).toBe(false);
  });

  it('holds the next update back while one is on its way to the screen, gathering every change meanwhile', () => {
    const p = started(pacer());
    p.changed(['u1']);
    const inFlight = p.take(100)!;
    // Ten batches while the map is still drawing: no second update is started, whatever the pace would allow.
    for (let i = 0; i < 10; i++) p.changed(['u1', `u${i + 2}`]);
    expect(p.delayMs(500)).toBe(4_600); // the in-flight update's timeout, the longest it can hold the next one back
    expect(p.take(500)).toBeNull();
    p.drawn(inFlight.seq, 600);
    const next = p.take(600);
    expect(next).toMatchObject({ full: false });
    expect(next!.full === false && next!.ids).toEqual([
      'u1',
      'u2',
      'u3',
      'u4',
      'u5',
      'u6',
      'u7',
      'u8',
      'u9',
      'u10',
      'u11',
    ]);
  });

  it('waits at least minIntervalMs between the starts of two updates', () => {
    const p = started(pacer({ minIntervalMs: 250 }), 0);
    p.changed(['u1']);
    expect(p.delayMs(100)).toBe(150);
    expect(p.take(100)).toBeNull();
    const u = p.take(250)!;
    p.drawn(u.seq, 260);
    p.changed(['u1']);
    expect(p.delayMs(300)).toBe(200);
  });

  it('rests in proportion to how long the last update took to draw', () => {
    const p = started(pacer({ minIntervalMs: 100, restRatio: 0.5 }), 0);
    p.changed(['u1']);
    const slow = p.take(1_000)!;
    p.drawn(slow.seq, 1_800); // 800 ms to reach the screen: rest 400 ms
    p.changed(['u1']);
    expect(p.delayMs(1_800)).toBe(400);
    expect(p.take(2_199)).toBeNull();
    expect(p.take(2_200)).toMatchObject({ full: false, ids: ['u1'] });
  });

  it('a snapshot (null) supersedes pending ids with one full update, and ids then need not be kept', () => {
    const p = started(pacer());
    p.changed(['u1']);
    p.changed(null);
    p.changed(['u2']);
    expect(p.take(10)).toEqual({ seq: 2, full: true });
    expect(p.pending).toBe(false);
  });

  it('an update never reported drawn stops holding the next one back after drawnTimeoutMs; its late report is ignored', () => {
    const p = started(pacer({ drawnTimeoutMs: 1_000, restRatio: 1 }));
    p.changed(['u1']);
    const lost = p.take(0)!;
    p.changed(['u2']);
    expect(p.take(999)).toBeNull();
    const next = p.take(1_000)!;
    expect(next).toMatchObject({ full: false, ids: ['u2'] });
    // The first update's report comes late: it says nothing about the second, which still holds the next one back.
    p.drawn(lost.seq, 1_100);
    p.changed(['u3']);
    expect(p.take(1_100)).toBeNull();
    p.drawn(next.seq, 1_200);
    expect(p.delayMs(1_200)).toBe(200); // rest: 200 ms busy × 1
  });
});
