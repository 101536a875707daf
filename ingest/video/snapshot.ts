// 取证截图 evidence snapshots: the frame that proves a candidate, with the objects boxed and labelled, encoded as JPEG by
// ffmpeg (no image library needed). Drawing is pure and works on a copy; only the encoding spawns a process.
import { spawn } from 'node:child_process';
import type { Box, Frame } from './types.js';

export type Rgb = [r: number, g: number, b: number];

export interface LabelledBox {
  box: Box;
  label: string;
  color?: Rgb;
}

const DEFAULT_COLOR: Rgb = [255, 32, 32];
const LABEL_TEXT: Rgb = [255, 255, 255];

/**
 * A 5×7 bitmap font, one byte per column with the top row in the lowest bit (the classic HD44780 layout). Labels are
 * class names, scores and ids, so upper-case letters, digits and a little punctuation are enough; lower case is drawn
 * upper case and anything else as a blank.
 */
const FONT: Record<string, number[]> = {
  '0': [0x3e, 0x51, 0x49, 0x45, 0x3e],
  '1': [0x00, 0x42, 0x7f, 0x40, 0x00],
  '2': [0x42, 0x61, 0x51, 0x49, 0x46],
  '3': [0x21, 0x41, 0x45, 0x4b, 0x31],
  '4': [0x18, 0x14, 0x12, 0x7f, 0x10],
  '5': [0x27, 0x45, 0x45, 0x45, 0x39],
  '6': [0x3c, 0x4a, 0x49, 0x49, 0x30],
  '7': [0x01, 0x71, 0x09, 0x05, 0x03],
  '8': [0x36, 0x49, 0x49, 0x49, 0x36],
  '9': [0x06, 0x49, 0x49, 0x29, 0x1e],
  A: [0x7e, 0x11, 0x11, 0x11, 0x7e],
  B: [0x7f, 0x49, 0x49, 0x49, 0x36],
  C: [0x3e, 0x41, 0x41, 0x41, 0x22],
  D: [0x7f, 0x41, 0x41, 0x22, 0x1c],
  E: [0x7f, 0x49, 0x49, 0x49, 0x41],
  F: [0x7f, 0x09, 0x09, 0x09, 0x01],
  G: [0x3e, 0x41, 0x49, 0x49, 0x7a],
  H: [0x7f, 0x08, 0x08, 0x08, 0x7f],
  I: [0x00, 0x41, 0x7f, 0x41, 0x00],
  J: [0x20, 0x40, 0x41, 0x3f, 0x01],
  K: [0x7f, 0x08, 0x14, 0x22, 0x41],
  L: [0x7f, 0x40, 0x40, 0x40, 0x40],
  M: [0x7f, 0x02, 0x0c, 0x02, 0x7f],
  N: [0x7f, 0x04, 0x08, 0x10, 0x7f],
  O: [0x3e, 0x41, 0x41, 0x41, 0x3e],
  P: [0x7f, 0x09, 0x09, 0x09, 0x06],
  Q: [0x3e, 0x41, 0x51, 0x21, 0x5e],
  R: [0x7f, 0x09, 0x19, 0x29, 0x46],
  S: [0x46, 0x49, 0x49, 0x49, 0x31],
  T: [0x01, 0x01, 0x7f, 0x01, 0x01],
  U: [0x3f, 0x40, 0x40, 0x40, 0x3f],
  V: [0x1f, 0x20, 0x40, 0x20, 0x1f],
  W: [0x3f, 0x40, 0x38, 0x40, 0x3f],
  X: [0x63, 0x14, 0x08, 0x14, 0x63],
  Y: [0x07, 0x08, 0x70, 0x08, 0x07],
  Z: [0x61, 0x51, 0x49, 0x45, 0x43],
  '.': [0x00, 0x60, 0x60, 0x00, 0x00],
  ':': [0x00, 0x36, 0x36, 0x00, 0x00],
  '-': [0x08, 0x08, 0x08, 0x08, 0x08],
  _: [0x40, 0x40, 0x40, 0x40, 0x40],
  '/': [0x20, 0x10, 0x08, 0x04, 0x02],
  '#': [0x14, 0x7f, 0x14, 0x7f, 0x14],
  '%': [0x23, 0x13, 0x08, 0x64, 0x62],
};
const GLYPH_W = 6; // 5 columns and a space
const GLYPH_H = 7;

function setPixel(rgb: Uint8Array, width: number, height: number, x: number, y: number, c: Rgb): void {
  if (x < 0 || y < 0 || x >= width || y >= height) return;
  const p = (y * width + x) * 3;
  rgb[p] = c[0];
  rgb[p + 1] = c[1];
  rgb[p + 2] = c[2];
}

function fillRect(
  rgb: Uint8Array,
  width: number,
  height: number,
  x0: number,
  y0: number,
  w: number,
  h: number,
  c: Rgb,
): void {
  for (let y = Math.max(0, y0); y < Math.min(height, y0 + h); y++) {
    for (let x = Math.max(0, x0); x < Math.min(width, x0 + w); x++) setPixel(rgb, width, height, x, y, c);
  }
}

/** Pixels the label occupies at scale 1 (for placing it). */
export function labelSize(label: string): { width: number; height: number } {
  return { width: label.length * GLYPH_W + 1, height: GLYPH_H + 2 };
}

function drawText(rgb: Uint8Array, width: number, height: number, x0: number, y0: number, text: string, c: Rgb): void {
  [...text.toUpperCase()].forEach((ch, i) => {
    const cols = FONT[ch];
    if (!cols) return;
    cols.forEach((bits, cx) => {
      for (let cy = 0; cy < GLYPH_H; cy++) {
        if (bits & (1 << cy)) setPixel(rgb, width, height, x0 + i * GLYPH_W + cx, y0 + cy, c);
      }
    });
  });
}

/**
 * A copy of the frame's pixels with each box outlined (`thickness` px, inside the box) and its label on a filled strip
 * above it (below the top edge when the box touches the top of the picture). Boxes are clipped to the frame.
 */
export function drawBoxes(frame: Frame, boxes: readonly LabelledBox[], thickness = 2): Uint8Array {
  const { width, height } = frame;
  const rgb = new Uint8Array(frame.rgb.subarray(0, width * height * 3));
  for (const { box, label, color = DEFAULT_COLOR } of boxes) {
    const x = Math.round(box.x);
    const y = Math.round(box.y);
    const w = Math.round(box.width);
    const h = Math.round(box.height);
    const t = Math.max(1, Math.min(thickness, Math.floor(w / 2), Math.floor(h / 2)));
    fillRect(rgb, width, height, x, y, w, t, color);
    fillRect(rgb, width, height, x, y + h - t, w, t, color);
    fillRect(rgb, width, height, x, y, t, h, color);
    fillRect(rgb, width, height, x + w - t, y, t, h, color);
    if (label) {
      const size = labelSize(label);
      const ly = y - size.height >= 0 ? y - size.height : y + t;
      const lx = Math.max(0, Math.min(x, width - size.width));
      fillRect(rgb, width, height, lx, ly, size.width, size.height, color);
      drawText(rgb, width, height, lx + 1, ly + 1, label, LABEL_TEXT);
    }
  }
  return rgb;
}

export interface EncodeOptions {
  /** ffmpeg's MJPEG quality scale, 2 (best) – 31 (smallest); default 5. */
  quality?: number;
  ffmpegPath?: string;
  /** Give up after this long (default 10 000 ms). */
  timeoutMs?: number;
}

/** Encodes packed RGB24 as a baseline JPEG with ffmpeg. Rejects with ffmpeg's message when it fails. */
export function encodeJpeg(
  width: number,
  height: number,
  rgb: Uint8Array,
  options: EncodeOptions = {},
): Promise<Buffer> {
  const bytes = width * height * 3;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    return Promise.reject(new RangeError(`image size must be positive integers, got ${width}×${height}`));
  }
  if (rgb.length < bytes) {
    return Promise.reject(new RangeError(`a ${width}×${height} RGB image needs ${bytes} bytes, got ${rgb.length}`));
  }
  const args = [
    '-hide_banner',
    '-loglevel',
    'error',
    '-nostdin',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    '-s',
    `${width}x${height}`,
    '-i',
    'pipe:0',
    '-frames:v',
    '1',
    // Full-range YUV as JPEG expects; otherwise ffmpeg refuses rgb → mjpeg with "non full-range YUV is non-standard".
    '-pix_fmt',
    'yuvj420p',
    '-q:v',
    String(options.quality ?? 5),
    '-f',
    'image2',
    '-c:v',
    'mjpeg',
    'pipe:1',
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(options.ffmpegPath ?? '/usr/bin/ffmpeg', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 10_000);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (t: string) => (stderr += t));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ffmpeg to encode a JPEG: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const jpeg = Buffer.concat(out);
      if (code === 0 && jpeg.length > 0) resolve(jpeg);
      else
        reject(new Error(`ffmpeg JPEG encoding failed (${signal ?? `exit ${code}`}): ${stderr.trim() || 'no output'}`));
    });
    // EPIPE when ffmpeg dies early is reported by 'close' with its message; the write error itself adds nothing.
    child.stdin.on('error', () => undefined);
    child.stdin.end(Buffer.from(rgb.buffer, rgb.byteOffset, bytes));
  });
}

/** The evidence snapshot: boxes drawn on a copy of the frame, encoded as JPEG. */
export function snapshotJpeg(
  frame: Frame,
  boxes: readonly LabelledBox[],
  options: EncodeOptions = {},
): Promise<Buffer> {
  return encodeJpeg(frame.width, frame.height, drawBoxes(frame, boxes), options);
}
