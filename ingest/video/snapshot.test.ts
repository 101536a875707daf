import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { drawBoxes, encodeJpeg, labelSize, snapshotJpeg } from './snapshot.js';
import type { Frame } from './types.js';

const W = 64;
const H = 48;
function greyFrame(): Frame {
  return { cameraId: 'cam1', timeMs: 0, width: W, height: H, rgb: new Uint8Array(W * H * 3).fill(100) };
}
const px = (rgb: Uint8Array, x: number, y: number): number[] =>
  Array.from(rgb.subarray((y * W + x) * 3, (y * W + x) * 3 + 3));
const RED = [255, 32, 32];
const GREY = [100, 100, 100];
const WHITE = [255, 255, 255];

describe('drawBoxes', () => {
  it('outlines the box inside its edges and leaves the original frame alone', () => {
    const frame = greyFrame();
    const rgb = drawBoxes(frame, [{ box: { x: 10, y: 20, width: 20, height: 10 }, label: '' }], 2);
    expect(px(rgb, 10, 20)).toEqual(RED); // corner
    expect(px(rgb, 11, 21)).toEqual(RED); // second ring
    expect(px(rgb, 12, 22)).toEqual(GREY); // inside
    expect(px(rgb, 29, 25)).toEqual(RED); // right edge: x + width − 1
    expect(px(rgb, 30, 25)).toEqual(GREY); // just outside
    expect(px(rgb, 20, 29)).toEqual(RED); // bottom edge: y + height − 1
    expect(px(rgb, 20, 30)).toEqual(GREY);
    expect(px(frame.rgb, 10, 20)).toEqual(GREY);
  });

  it('writes the label on a strip above the box', () => {
    // "car" → 3 glyphs × 6 px + 1 = 19 px wide, 9 px high: strip at x 10–28, y 11–19 (above y 20).
    expect(labelSize('car')).toEqual({ width: 19, height: 9 });
    const rgb = drawBoxes(greyFrame(), [{ box: { x: 10, y: 20, width: 20, height: 10 }, label: 'car' }]);
    expect(px(rgb, 10, 11)).toEqual(RED); // strip background
    expect(px(rgb, 28, 19)).toEqual(RED);
    expect(px(rgb, 29, 11)).toEqual(GREY); // right of the strip
    expect(px(rgb, 10, 10)).toEqual(GREY); // above it
    // Text starts at (11, 12). 'C' column 0 is 0x3e: rows 1–5 lit, rows 0 and 6 not.
    expect(px(rgb, 11, 12)).toEqual(RED);
    expect(px(rgb, 11, 13)).toEqual(WHITE);
    expect(px(rgb, 11, 17)).toEqual(WHITE);
    expect(px(rgb, 11, 18)).toEqual(RED);
  });

  it('puts the label inside a box at the top of the picture and clips boxes to the frame', () => {
    const rgb = drawBoxes(greyFrame(), [
      { box: { x: 60, y: 2, width: 30, height: 60 }, label: 'x', color: [0, 255, 0] },
    ]);
    // No room above (2 − 9 < 0): the strip starts below the top edge, at y 2 + 2 = 4; x is pulled left from 60 to fit (64 − 7 = 57).
    expect(px(rgb, 57, 4)).toEqual([0, 255, 0]);
    expect(px(rgb, 56, 4)).toEqual(GREY);
    expect(px(rgb, 60, 47)).toEqual([0, 255, 0]); // left edge, clipped at the bottom of the frame
  });
});

function ffprobeSize(jpeg: Buffer): string {
  const r = spawnSync(
    'ffprobe',
    ['-v', 'error', '-show_entries', 'stream=width,height,codec_name', '-of', 'csv=p=0', '-i', 'pipe:0'],
    {
      input: jpeg,
    },
  );
  return r.stdout.toString().trim();
}

function decodeRgb(jpeg: Buffer): Buffer {
  return spawnSync('ffmpeg', ['-v', 'error', '-i', 'pipe:0', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], {
    input: jpeg,
  }).stdout;
}

describe('encodeJpeg', () => {
  it('makes a JPEG of the right size that decodes back to its colours', async () => {
    // Left half red, right half blue.
    const rgb = new Uint8Array(W * H * 3);
    for (let i = 0; i < W * H; i++) rgb.set(i % W < W / 2 ? [220, 20, 20] : [20, 20, 220], i * 3);
    const jpeg = await encodeJpeg(W, H, rgb);
    expect([jpeg[0], jpeg[1]]).toEqual([0xff, 0xd8]); // SOI
    expect([jpeg.at(-2), jpeg.at(-1)]).toEqual([0xff, 0xd9]); // EOI
    expect(ffprobeSize(jpeg)).toBe('mjpeg,64,48');
    const back = decodeRgb(jpeg);
    expect(back.length).toBe(W * H * 3);
    const at = (x: number, y: number): number[] => Array.from(back.subarray((y * W + x) * 3, (y * W + x) * 3 + 3));
    // Lossy: within 30 levels away from the colour edge.
    for (const [c, want] of [
      [at(8, 24), [220, 20, 20]],
      [at(56, 24), [20, 20, 220]],
    ] as const) {
      c.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(30));
    }
  });

  it('encodes a snapshot with its boxes', async () => {
    const jpeg = await snapshotJpeg(greyFrame(), [{ box: { x: 10, y: 20, width: 20, height: 10 }, label: 'car 0.87' }]);
    expect(ffprobeSize(jpeg)).toBe('mjpeg,64,48');
    const back = decodeRgb(jpeg);
    const corner = Array.from(back.subarray((25 * W + 10) * 3, (25 * W + 10) * 3 + 3)); // left edge of the box
    expect(corner[0]!).toBeGreaterThan(180); // red survives compression
    expect(corner[2]!).toBeLessThan(90);
  });

  it('rejects a buffer too short for the size', async () => {
    await expect(encodeJpeg(10, 10, new Uint8Array(299))).rejects.toThrow('a 10×10 RGB image needs 300 bytes, got 299');
  });
});
