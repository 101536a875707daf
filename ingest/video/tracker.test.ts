import { describe, expect, it } from 'vitest';
import { classFamily, iou, isStationary, Tracker } from './tracker.js';
import type { Box, Detection, Track } from './types.js';

const det = (className: string, x: number, y: number, w = 100, h = 50, score = 0.8): Detection => ({
  className,
  score,
  box: { x, y, width: w, height: h },
});

describe('iou', () => {
  it('is intersection over union', () => {
    const a: Box = { x: 0, y: 0, width: 10, height: 10 };
    expect(iou(a, a)).toBe(1);
    // Shifted by 5 in x: intersection 5×10 = 50, union 100 + 100 − 50 = 150.
    expect(iou(a, { x: 5, y: 0, width: 10, height: 10 })).toBeCloseTo(50 / 150, 12);
    expect(iou(a, { x: 10, y: 0, width: 10, height: 10 })).toBe(0); // touching edges
  });

  it('groups vehicles into one family', () => {
    expect(classFamily('car')).toBe(classFamily('truck'));
    expect(classFamily('bus')).toBe(classFamily('motorcycle'));
    expect(classFamily('person')).not.toBe(classFamily('car'));
    expect(classFamily('bicycle')).toBe('bicycle');
  });
});

describe('Tracker', () => {
  it('confirms a track after minHits and follows it by overlap', () => {
    const t = new Tracker('cam1', { minHits: 2, maxMissedMs: 5000 });
    const u1 = t.update(1000, [det('car', 100, 100)]);
    expect(u1.live).toEqual([]); // tentative
    expect(u1.trackIds).toEqual([null]);
    // Moved 10 px: intersection 90×50 = 4500, union 5000 + 5000 − 4500 = 5500, IoU 0.82 ≥ 0.3.
    const u2 = t.update(2000, [det('car', 110, 100)]);
    expect(u2.live).toHaveLength(1);
    const track = u2.live[0]!;
    expect(u2.trackIds).toEqual([track.id]);
    expect(track).toMatchObject({
      cameraId: 'cam1',
      className: 'car',
      firstSeenMs: 1000,
      lastSeenMs: 2000,
      hits: 2,
      firstBox: { x: 100, y: 100, width: 100, height: 50 },
      box: { x: 110, y: 100, width: 100, height: 50 },
    });
    expect(t.stats()).toEqual({ samples: 2, born: 1, died: 0, discarded: 0, live: 1 });
  });

  it('does not continue a track below the IoU threshold', () => {
    const t = new Tracker('cam1', { minHits: 1 });
    const a = t.update(0, [det('car', 0, 0)]).live[0]!;
    // Shifted 60 px: intersection 40×50 = 2000, union 8000, IoU 0.25 < 0.3 → a new track.
    const u = t.update(1000, [det('car', 60, 0)]);
    expect(u.live).toHaveLength(2);
    expect(u.trackIds[0]).not.toBe(a.id);
  });

  it('matches a car seen as a truck, but never a person to a car', () => {
    const t = new Tracker('cam1', { minHits: 1 });
    const car = t.update(0, [det('car', 0, 0, 100, 50, 0.6)]).live[0]!;
    const u = t.update(1000, [det('truck', 0, 0, 100, 50, 0.9), det('person', 0, 0, 100, 50)]);
    expect(u.trackIds[0]).toBe(car.id);
    expect(u.trackIds[1]).not.toBe(car.id);
    // The class follows the most confident detection.
    expect(u.live.find((x) => x.id === car.id)!.className).toBe('truck');
    const u3 = t.update(2000, [det('car', 0, 0, 100, 50, 0.5)]);
    expect(u3.live.find((x) => x.id === car.id)!.className).toBe('truck');
  });

  it('assigns greedily by the best overlap', () => {
    const t = new Tracker('cam1', { minHits: 1 });
    const u0 = t.update(0, [det('person', 0, 0, 100, 100), det('person', 50, 0, 100, 100)]);
    const [a, b] = u0.trackIds;
    // The detection at x 45 overlaps B (x 50) most: IoU 95/105 = 0.90 vs A's 55/145 = 0.38.
    // The one at x 5 overlaps A most: 95/105. Each goes to its own best track.
    const u1 = t.update(1000, [det('person', 45, 0, 100, 100), det('person', 5, 0, 100, 100)]);
    expect(u1.trackIds).toEqual([b, a]);
  });

  it('ends a confirmed track after maxMissedMs and discards tentative ones', () => {
    const t = new Tracker('cam1', { minHits: 2, maxMissedMs: 3000 });
    t.update(0, [det('car', 0, 0)]);
    t.update(1000, [det('car', 0, 0)]);
    t.update(1500, [det('person', 500, 500)]); // tentative, never seen again
    expect(t.update(4000, []).ended).toEqual([]); // car missed for 3 000 ms: not longer than maxMissedMs
    const u = t.update(4001, []);
    expect(u.ended.map((x) => x.className)).toEqual(['car']);
    expect(u.live).toEqual([]);
    expect(t.stats().discarded).toBe(0); // the person was last seen at 1 500: it lives until 4 500
    expect(t.update(4501, []).ended).toEqual([]); // tentative tracks end silently
    expect(t.stats()).toEqual({ samples: 6, born: 1, died: 1, discarded: 1, live: 0 });
  });
});

describe('isStationary', () => {
  const track = (box: Box): Track => ({
    id: 't',
    cameraId: 'c',
    className: 'car',
    box,
    score: 0.9,
    firstSeenMs: 0,
    lastSeenMs: 0,
    firstBox: { x: 100, y: 100, width: 100, height: 50 },
    hits: 3,
  });
  it('measures the centre shift against the box size', () => {
    // 10% of 100 px wide = 10 px; 10% of 50 px high = 5 px.
    expect(isStationary(track({ x: 110, y: 100, width: 100, height: 50 }), 0.1)).toBe(true);
    expect(isStationary(track({ x: 111, y: 100, width: 100, height: 50 }), 0.1)).toBe(false);
    expect(isStationary(track({ x: 100, y: 106, width: 100, height: 50 }), 0.1)).toBe(false);
    // A box that grows around the same centre (x 95–205) has not moved.
    expect(isStationary(track({ x: 95, y: 100, width: 110, height: 50 }), 0.1)).toBe(true);
  });
});
