import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { MotionGate } from './motion.js';
import type { Frame, VideoZone } from './types.js';

const W = 160;
const H = 120; // downscale 8 → a 20×15 grid: 300 cells, 150 per half

function frame(timeMs: number, paint: (x: number, y: number) => number, width = W, height = H): Frame {
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) rgb.fill(paint(x, y), (y * width + x) * 3, (y * width + x) * 3 + 3);
  }
  return { cameraId: 'cam1', timeMs, width, height, rgb };
}
const grey = (timeMs: number): Frame => frame(timeMs, () => 128);
/** A white 32×32 square (4×4 grid cells) on grey, its top-left corner at (x0, y0). */
const square = (timeMs: number, x0: number, y0: number): Frame =>
  frame(timeMs, (x, y) => (x >= x0 && x < x0 + 32 && y >= y0 && y < y0 + 32 ? 255 : 128));

const zone = (id: string, polygon: VideoZone['polygon']): VideoZone => ({
  id,
  name: id,
  kind: 'noParking',
  polygon,
  classRef: 'event:0406',
  maxStationaryS: 60,
});
const zones = [
  zone('left', [
    [0, 0],
    [0.5, 0],
    [0.5, 1],
    [0, 1],
  ]),
  zone('right', [
    [0.5, 0],
    [1, 0],
    [1, 1],
    [0.5, 1],
  ]),
];

/** A deterministic pseudo-random generator (mulberry32), so the noise test is the same on every run. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('MotionGate', () => {
  it('passes the first frame, then never a static one', () => {
    const gate = new MotionGate();
    expect(gate.shouldDetect(grey(0), zones)).toMatchObject({
      motion: true,
      reason: 'first',
      zones: ['left', 'right'],
    });
    for (let i = 1; i <= 10; i++) {
      expect(gate.shouldDetect(grey(i * 1000), zones)).toEqual({
        motion: false,
        zones: [],
        reason: null,
        changed: { left: 0, right: 0 },
      });
    }
    expect(gate.stats()).toEqual({ framesIn: 11, passed: 1, skipped: 10, rechecks: 0, resets: 0 });
  });

  it('sees a square appear in the zone it is in, and only there', () => {
    const gate = new MotionGate();
    gate.shouldDetect(grey(0), zones);
    // Square on cells 2–5 × 2–5 (16 cells, diff 127 before blurring). After the 3×3 blur these 16 stay above 25 and
    // so does the ring of 4×4 side neighbours (2 or 3 of their 9 cells are square: 127·2/9 = 28 > 25), while the
    // diagonal corners (127/9 = 14) do not: 32 changed cells of the left half's 150.
    const r = gate.shouldDetect(square(1000, 16, 16), zones);
    expect(r.motion).toBe(true);
    expect(r.reason).toBe('motion');
    expect(r.zones).toEqual(['left']);
    expect(r.changed.left).toBeCloseTo(32 / 150, 10);
    expect(r.changed.right).toBe(0);
    // Moved to the right half: motion there.
    const r2 = gate.shouldDetect(square(2000, 96, 16), zones);
    expect(r2.zones).toContain('right');
  });

  it('lets a standing square settle into the background', () => {
    const gate = new MotionGate({ backgroundAlpha: 0.5 });
    gate.shouldDetect(grey(0), zones);
    expect(gate.shouldDetect(square(1000, 16, 16), zones).motion).toBe(true);
    // With alpha 0.5 the interior difference halves per frame: 63.5, 31.75, 15.9 …; the ring cells (≥ 28.2 at first)
    // fall below 25 after one more frame, the interior after two, so the third static frame is skipped.
    expect(gate.shouldDetect(square(2000, 16, 16), zones).motion).toBe(true);
    expect(gate.shouldDetect(square(3000, 16, 16), zones).motion).toBe(true);
    expect(gate.shouldDetect(square(4000, 16, 16), zones).motion).toBe(false);
    expect(gate.shouldDetect(square(5000, 16, 16), zones).motion).toBe(false);
  });

  it('ignores sensor noise below the threshold', () => {
    const gate = new MotionGate();
    const random = rng(7);
    // ±40 grey levels per pixel: a block of 64 averages it to about ±3, far below 25.
    const noisy = (t: number): Frame => frame(t, () => 128 + Math.round((random() * 2 - 1) * 40));
    gate.shouldDetect(noisy(0), zones);
    for (let i = 1; i <= 20; i++) expect(gate.shouldDetect(noisy(i * 1000), zones).motion).toBe(false);
    expect(gate.stats()).toMatchObject({ framesIn: 21, passed: 1, skipped: 20 });
  });

  it('re-checks a zone with a standing object every recheckEveryMs', () => {
    const gate = new MotionGate({ recheckEveryMs: 5000 });
    gate.shouldDetect(grey(0), zones, ['left']); // first: passes at 0
    const passedAt: number[] = [];
    for (let t = 1000; t <= 12_000; t += 1000) {
      const r = gate.shouldDetect(grey(t), zones, ['left']);
      if (r.motion) {
        expect(r).toMatchObject({ reason: 'recheck', zones: ['left'] });
        passedAt.push(t);
      }
    }
    expect(passedAt).toEqual([5000, 10_000]);
    // Without a standing object nothing passes.
    expect(gate.shouldDetect(grey(20_000), zones).motion).toBe(false);
    expect(gate.stats()).toEqual({ framesIn: 14, passed: 3, skipped: 11, rechecks: 2, resets: 0 });
  });

  it('takes a change of the whole picture for light, not motion', () => {
    const gate = new MotionGate();
    gate.shouldDetect(grey(0), zones);
    expect(
      gate.shouldDetect(
        frame(1000, () => 200),
        zones,
      ).motion,
    ).toBe(false);
    expect(
      gate.shouldDetect(
        frame(2000, () => 200),
        zones,
      ).motion,
    ).toBe(false); // the new light is the background
    expect(gate.stats().resets).toBe(1);
  });

  it('watches the whole frame when the camera has no zones, and restarts on a new frame size', () => {
    const gate = new MotionGate();
    gate.shouldDetect(grey(0), []);
    expect(gate.shouldDetect(square(1000, 16, 16), [])).toMatchObject({ motion: true, zones: ['*'] });
    expect(
      gate.shouldDetect(
        frame(2000, () => 128, 320, 240),
        [],
      ),
    ).toMatchObject({ motion: true, reason: 'first' });
    expect(gate.stats().resets).toBe(1);
  });

  it('rejects a frame shorter than its size says', () => {
    const gate = new MotionGate();
    expect(() =>
      gate.shouldDetect({ cameraId: 'c', timeMs: 0, width: 16, height: 16, rgb: new Uint8Array(10) }, []),
    ).toThrow(/16×16 needs 768 bytes/);
  });
});

describe('MotionGate on the real street clip (OpenCV vtest.avi)', () => {
  const VTEST = '/usr/share/doc/opencv-doc/examples/data/vtest.avi';
  // 10 frames at 2 frames/s, 768×576 scaled to 320×240.
  const raw = spawnSync(
    'ffmpeg',
    [
      '-v',
      'error',
      '-i',
      VTEST,
      '-vf',
      'fps=2,scale=320:240',
      '-frames:v',
      '10',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      'pipe:1',
    ],
    {
      maxBuffer: 64 * 1024 * 1024,
    },
  ).stdout;
  const size = 320 * 240 * 3;
  const frames: Frame[] = Array.from({ length: 10 }, (_, i) => ({
    cameraId: 'street',
    timeMs: i * 500,
    width: 320,
    height: 240,
    rgb: new Uint8Array(raw.subarray(i * size, (i + 1) * size)),
  }));
  const pavement: VideoZone[] = [
    zone('all', [
      [0, 0],
      [1, 0],
      [1, 1],
      [0, 1],
    ]),
  ];

  it('passes frames with people walking', () => {
    expect(raw.length).toBe(10 * size);
    const gate = new MotionGate();
    const passed = frames.filter((f) => gate.shouldDetect(f, pavement).motion).length;
    // People cross the whole clip: every frame after the first shows motion.
    expect(passed).toBe(10);
  });

  it('never passes the same real picture twice', () => {
    const gate = new MotionGate();
    const still = frames[3]!;
    const passed = Array.from({ length: 10 }, (_, i) => ({ ...still, timeMs: i * 500 })).filter(
      (f) => gate.shouldDetect(f, pavement).motion,
    ).length;
    expect(passed).toBe(1);
  });
});
