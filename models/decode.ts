// 检测结果解码 detection decoding: checks a frame and turns CenterNet's output rows into detections in frame pixels
// (score filter, per-class NMS). Pure — no TensorFlow.js — so the pool can check frames in the main thread without loading
// the model's runtime there, and the decoding is tested on hand-built rows.
import type { Box, Detection, Frame } from '../ingest/video/types.js';

export class InvalidFrameError extends Error {
  override name = 'InvalidFrameError';
}

/** Checks a frame before it costs an inference: a wrong buffer length means a mis-sized decoder, not an empty scene. */
export function assertFrame(frame: Frame): void {
  const { width, height, rgb } = frame;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new InvalidFrameError(`frame size must be positive integers, got ${width}×${height}`);
  }
  if (rgb.length !== width * height * 3) {
    throw new InvalidFrameError(`frame ${width}×${height} needs ${width * height * 3} RGB bytes, got ${rgb.length}`);
  }
}

export interface DecodeOptions {
  inputWidth: number;
  inputHeight: number;
  frameWidth: number;
  frameHeight: number;
  classes: readonly string[];
  scoreThreshold: number;
  nmsIou: number;
  keep?: ReadonlySet<string> | undefined;
}

/** Intersection over union of two boxes (0 when either is empty). */
export function iou(a: Box, b: Box): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

/**
 * Turns the model's rows [x1, y1, x2, y2, score, classIndex] (input pixels) into detections in frame pixels.
 * CenterNet picks heat-map peaks per class inside the graph but does not suppress overlapping peaks of one object,
 * so a greedy NMS runs per class; different classes may overlap (a person on a bicycle).
 */
export function decodeDetections(rows: ArrayLike<number>, o: DecodeOptions): Detection[] {
  const sx = o.frameWidth / o.inputWidth;
  const sy = o.frameHeight / o.inputHeight;
  const candidates: Detection[] = [];
  for (let i = 0; i + 5 < rows.length; i += 6) {
    const score = rows[i + 4]!;
    const classIndex = rows[i + 5]!;
    if (!(score >= o.scoreThreshold) || !Number.isInteger(classIndex)) continue;
    const className = o.classes[classIndex];
    if (className === undefined || (o.keep && !o.keep.has(className))) continue;
    const x1 = clamp(rows[i]! * sx, o.frameWidth);
    const y1 = clamp(rows[i + 1]! * sy, o.frameHeight);
    const x2 = clamp(rows[i + 2]! * sx, o.frameWidth);
    const y2 = clamp(rows[i + 3]! * sy, o.frameHeight);
    if (x2 - x1 < 1 || y2 - y1 < 1) continue;
    candidates.push({ className, score, box: { x: x1, y: y1, width: x2 - x1, height: y2 - y1 } });
  }
  candidates.sort((a, b) => b.score - a.score);
  const kept: Detection[] = [];
  for (const c of candidates) {
    if (!kept.some((k) => k.className === c.className && iou(k.box, c.box) > o.nmsIou)) kept.push(c);
  }
  return kept;
}

function clamp(v: number, max: number): number {
  return Math.min(Math.max(v, 0), max);
}
