// 视频检测基准 video detection benchmark: ms per frame of the COCO CenterNet detector in this thread and through the
// worker pool, frames/s, and how many cameras one box sustains at one sample per interval when only the samples that
// pass the motion gate reach the detector. Like bench-rules.ts it runs in-process on the pure models/ code.
// The motion-gate pass rate is a parameter, not measured here: the default 0.3 (three samples in ten show motion) is an
// assumption for a busy street; measure it on the site's streams (ingest/video/motion.ts counters) and pass it in.
// `npx tsx loadtests/bench-video.ts [--frames 20] [--pool-size 2] [--interval-ms 2000] [--pass-rate 0.3] [--width 768 --height 576]`
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { Frame } from '../ingest/video/types.js';
import { CenterNetDetector } from '../models/detector.js';
import { DetectorPool } from '../models/pool.js';

const { values } = parseArgs({
  options: {
    frames: { type: 'string', default: '20' },
    'pool-size': { type: 'string', default: String(Math.min(2, os.availableParallelism())) },
    'interval-ms': { type: 'string', default: '2000' },
    'pass-rate': { type: 'string', default: '0.3' },
    width: { type: 'string', default: '768' },
    height: { type: 'string', default: '576' },
    clip: { type: 'string', default: '/usr/share/doc/opencv-doc/examples/data/vtest.avi' },
  },
});
const frameCount = Number(values.frames);
const poolSize = Number(values['pool-size']);
const intervalMs = Number(values['interval-ms']);
const passRate = Number(values['pass-rate']);
const width = Number(values.width);
const height = Number(values.height);
if (!(
  frameCount >= 4 &&
  poolSize >= 1 &&
  intervalMs > 0 &&
  passRate > 0 &&
  passRate <= 1 &&
  width >= 16 &&
  height >= 16
)) {
  throw new Error('--frames ≥ 4, --pool-size ≥ 1, --interval-ms > 0, 0 < --pass-rate ≤ 1, --width/--height ≥ 16');
}

/** `frameCount` frames spread over the clip (one every 10th), scaled by ffmpeg to width×height. */
function loadFrames(): Frame[] {
  const raw = execFileSync(
    'ffmpeg',
    ['-v', 'error', '-i', values.clip, '-vf', `select=not(mod(n\\,10)),scale=${width}:${height}`, '-vsync', '0'].concat(
      ['-frames:v', String(frameCount), '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
    ),
    { maxBuffer: frameCount * width * height * 3 + 1024 },
  );
  const size = width * height * 3;
  const frames: Frame[] = [];
  for (let i = 0; (i + 1) * size <= raw.length; i++) {
    frames.push({
      cameraId: 'bench',
      timeMs: i * 1000,
      width,
      height,
      rgb: new Uint8Array(raw.subarray(i * size, (i + 1) * size)),
    });
  }
  if (frames.length < frameCount) throw new Error(`the clip gave ${frames.length} frames, wanted ${frameCount}`);
  return frames;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0;
}

const fmt = (n: number, digits = 1): string => n.toFixed(digits);
const frames = loadFrames();
console.log(`${frames.length} frames ${width}×${height} from ${values.clip}; ${os.availableParallelism()} cores`);

// In this thread, one frame at a time: the cost of one inference with nothing else running.
let startMs = performance.now();
const detector = await CenterNetDetector.create();
const loadMs = performance.now() - startMs;
await detector.detect(frames[0]!); // warm-up: the first inference builds the kernels
const inThreadMs: number[] = [];
let detections = 0;
for (const frame of frames) {
  startMs = performance.now();
  detections += (await detector.detect(frame)).length;
  inThreadMs.push(performance.now() - startMs);
}
await detector.close();
const inThreadFps = 1000 / (inThreadMs.reduce((a, b) => a + b, 0) / inThreadMs.length);
console.log(
  `in-thread (${detector.backend.name}, simd ${detector.backend.simd}): model load ${fmt(loadMs)} ms, ` +
    `p50 ${fmt(percentile(inThreadMs, 0.5))} ms, p95 ${fmt(percentile(inThreadMs, 0.95))} ms, ` +
    `${fmt(inThreadFps, 2)} frames/s, ${fmt(detections / frames.length)} detections/frame`,
);

// Through the pool, every frame submitted at once with a queue large enough to hold them: throughput with all workers
// busy, as when many cameras' samples pass the motion gate together.
startMs = performance.now();
const pool = await DetectorPool.start({ size: poolSize, maxQueue: frames.length });
const poolStartMs = performance.now() - startMs;
startMs = performance.now();
await Promise.all(frames.map((f) => pool.detect(f)));
const wallMs = performance.now() - startMs;
const stats = pool.stats();
await pool.close();
const poolFps = (frames.length * 1000) / wallMs;
console.log(
  `pool of ${poolSize}: start ${fmt(poolStartMs)} ms, ${fmt(poolFps, 2)} frames/s, inference p50 ` +
    `${fmt(stats.inferenceMsP50)} ms p95 ${fmt(stats.inferenceMsP95)} ms, latency p95 ${fmt(stats.latencyMsP95)} ms ` +
    `(queued behind each other), dropped ${stats.dropped}`,
);

// A camera sends one sample per interval; only passRate of them reach the detector.
const detectionsPerCameraPerS = (passRate * 1000) / intervalMs;
const cameras = Math.floor(poolFps / detectionsPerCameraPerS);
console.log(
  `capacity: one sample per ${intervalMs} ms per camera, motion-gate pass rate ${passRate} (a parameter, not measured ` +
    `here) → ${fmt(detectionsPerCameraPerS, 3)} detections/s per camera → ${cameras} cameras on this box with the ` +
    `pool saturated (${Math.floor((0.7 * poolFps) / detectionsPerCameraPerS)} at 70 % load, leaving room for ` +
    `decoding, motion and the hub)`,
);
