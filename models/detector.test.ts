// 目标检测 tests: the CenterNet detector and its worker pool on real frames of the OpenCV street sample (vtest.avi,
// 768×576, people walking) and on a uniform grey frame; the box decoding on hand-built model rows.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Detection, Frame } from '../ingest/video/types.js';
import { InvalidFrameError, decodeDetections } from './decode.js';
import { CenterNetDetector } from './detector.js';
import { manifest } from './loader.js';
import { DetectorPool, DetectorQueueFullError } from './pool.js';

const CLIP = '/usr/share/doc/opencv-doc/examples/data/vtest.avi';
const WIDTH = 768;
const HEIGHT = 576;

/** One frame of the clip as packed RGB, decoded by ffmpeg. */
function clipFrame(index: number): Frame {
  const rgb = execFileSync(
    'ffmpeg',
    [
      '-v',
      'error',
      '-i',
      CLIP,
      '-vf',
      `select=eq(n\\,${index})`,
      '-vsync',
      '0',
      '-frames:v',
      '1',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-',
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  return { cameraId: 'vtest', timeMs: index * 100, width: WIDTH, height: HEIGHT, rgb: new Uint8Array(rgb) };
}

function grey(): Frame {
  return { cameraId: 'grey', timeMs: 0, width: 320, height: 240, rgb: new Uint8Array(320 * 240 * 3).fill(128) };
}

describe('decodeDetections', () => {
  // Input 512×512, frame 1024×256: x doubles, y halves.
  const options = {
    inputWidth: 512,
    inputHeight: 512,
    frameWidth: 1024,
    frameHeight: 256,
    classes: manifest.classes,
    scoreThreshold: 0.3,
    nmsIou: 0.45,
  };

  it('maps boxes to frame pixels, drops low scores and same-class duplicates, keeps other classes', () => {
    const rows = [
      [100, 100, 200, 300, 0.9, 0], // person → x 200–400, y 50–150
      [110, 100, 210, 300, 0.8, 0], // person, IoU 18000/22000 = 0.82 with the first → suppressed
      [100, 100, 200, 300, 0.7, 2], // car on the same box: another class, kept
      [0, 0, 50, 50, 0.2, 0], // below the threshold
      [0, 0, 50, 50, 0.95, Number.NaN], // no class
      [500, 0, 600, 100, 0.5, 0], // runs off the right edge → x 1000–1024 (clamped)
    ].flat();
    const got = decodeDetections(rows, options);
    expect(got).toEqual([
      { className: 'person', score: 0.9, box: { x: 200, y: 50, width: 200, height: 100 } },
      { className: 'car', score: 0.7, box: { x: 200, y: 50, width: 200, height: 100 } },
      { className: 'person', score: 0.5, box: { x: 1000, y: 0, width: 24, height: 50 } },
    ]);
  });

  it('keeps only the requested classes', () => {
    const rows = [100, 100, 200, 300, 0.9, 0, 100, 100, 200, 300, 0.7, 2];
    expect(decodeDetections(rows, { ...options, keep: new Set(['car']) }).map((d) => d.className)).toEqual(['car']);
  });
});

describe('manifest', () => {
  it('lists the 80 COCO classes in model order with the model input size', () => {
    expect(manifest.classes).toHaveLength(80);
    expect(manifest.classes.slice(0, 8)).toEqual([
      'person',
      'bicycle',
      'car',
      'motorcycle',
      'airplane',
      'bus',
      'train',
      'truck',
    ]);
    expect(manifest.classes[79]).toBe('toothbrush');
    expect([manifest.input.width, manifest.input.height]).toEqual([512, 512]);
  });
});

describe('CenterNet on real frames', () => {
  let detector: CenterNetDetector;
  let pool: DetectorPool;
  let people: Frame;
  let inThread: Detection[];

  beforeAll(async () => {
    people = clipFrame(200);
    [detector, pool] = await Promise.all([CenterNetDetector.create(), DetectorPool.start({ size: 2 })]);
    inThread = await detector.detect(people);
  });

  afterAll(async () => {
    await detector?.close();
    await pool?.close();
  });

  it('finds the people walking in frame 200', () => {
    // Counted by eye in the frame: 7 people (one left, two mid-left/centre, two far right at the top, two near right).
    const persons = inThread.filter((d) => d.className === 'person' && d.score >= 0.4);
    expect(persons.length).toBeGreaterThanOrEqual(5);
    expect(persons.length).toBeLessThanOrEqual(8);
    for (const { box } of persons) {
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.y).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(WIDTH);
      expect(box.y + box.height).toBeLessThanOrEqual(HEIGHT);
      // Standing people seen from the first floor: 40–130 px tall at this distance, taller than wide.
      expect(box.height).toBeGreaterThan(40);
      expect(box.height).toBeLessThan(130);
      expect(box.height).toBeGreaterThan(box.width);
    }
    // The man crossing the middle of the car park stands around (500, 180) in the frame.
    const inside = (d: Detection, x: number, y: number): boolean =>
      d.box.x <= x && x <= d.box.x + d.box.width && d.box.y <= y && y <= d.box.y + d.box.height;
    expect(persons.some((d) => inside(d, 500, 180))).toBe(true);
    // And no one is found on the empty lawn in the lower half (y > 400).
    expect(inThread.filter((d) => d.className === 'person' && d.box.y > 400)).toEqual([]);
  });

  it('finds nothing in a uniform grey frame', async () => {
    expect(await detector.detect(grey())).toEqual([]);
  });

  it('refuses a frame whose buffer does not match its size', async () => {
    const bad = { ...grey(), width: 321 };
    await expect(detector.detect(bad)).rejects.toThrow(InvalidFrameError);
    await expect(pool.detect(bad)).rejects.toThrow(InvalidFrameError);
  });

  it('returns from the pool what the detector returns in this thread, and leaves the caller its frame', async () => {
    const [a, b] = await Promise.all([pool.detect(people), pool.detect(grey())]);
    expect(b).toEqual([]);
    expect(a.map((d) => d.className)).toEqual(inThread.map((d) => d.className));
    a.forEach((d, i) => {
      const e = inThread[i]!;
      expect(d.score).toBeCloseTo(e.score, 4);
      expect(d.box.x).toBeCloseTo(e.box.x, 1);
      expect(d.box.y).toBeCloseTo(e.box.y, 1);
      expect(d.box.width).toBeCloseTo(e.box.width, 1);
      expect(d.box.height).toBeCloseTo(e.box.height, 1);
    });
    expect(people.rgb.length).toBe(WIDTH * HEIGHT * 3);
    const stats = pool.stats();
    expect(stats).toMatchObject({ workers: 2, backend: 'wasm', completed: 2, dropped: 0, failed: 0, inFlight: 0 });
    expect(stats.inferenceMsP95).toBeGreaterThan(0);
  });
});

describe('DetectorPool overflow', () => {
  it('refuses frames beyond the workers and the queue, and counts them', async () => {
    const pool = await DetectorPool.start({ size: 1, maxQueue: 1 });
    try {
      // One detecting, one queued, the third and fourth refused at once.
      const results = await Promise.allSettled([1, 2, 3, 4].map(() => pool.detect(grey())));
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected']);
      expect((results[2] as PromiseRejectedResult).reason).toBeInstanceOf(DetectorQueueFullError);
      expect(pool.stats()).toMatchObject({ workers: 1, completed: 2, dropped: 2, queued: 0, inFlight: 0 });
    } finally {
      await pool.close();
    }
    await expect(pool.detect(grey())).rejects.toThrow(/closed/);
    expect(pool.stats().workers).toBe(0);
  });

  it('refuses to start with a bad size, and reports a worker that cannot load the model', async () => {
    await expect(DetectorPool.start({ size: 0 })).rejects.toThrow(RangeError);
    await expect(DetectorPool.start({ size: 1, classes: ['unicorn'] })).rejects.toThrow(
      /not COCO classes of this model: unicorn/,
    );
  });
});
