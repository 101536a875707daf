// 检测工作线程 detector worker: one CenterNet model per worker_threads worker, so inference (synchronous WebAssembly
// CPU work, ~0.2 s a frame) runs beside the event loop instead of on it. Started by pool.ts; speaks WorkerRequest /
// WorkerReply.
import { parentPort, workerData } from 'node:worker_threads';
import type { Detection } from '../ingest/video/types.js';
import { CenterNetDetector, type DetectorOptions } from './detector.js';

export interface WorkerRequest {
  id: number;
  cameraId: string;
  timeMs: number;
  width: number;
  height: number;
  /** Transferred, not copied. */
  rgb: ArrayBuffer;
}

export type WorkerReply =
  | { kind: 'ready'; loadMs: number; backend: string; simd: boolean }
  | { kind: 'failed'; message: string }
  | { kind: 'result'; id: number; detections: Detection[]; inferenceMs: number }
  | { kind: 'error'; id: number; message: string };

if (!parentPort) throw new Error('models/worker.ts runs only as a worker thread (see models/pool.ts)');
const port = parentPort;
const post = (reply: WorkerReply): void => port.postMessage(reply);

try {
  const detector = await CenterNetDetector.create((workerData ?? {}) as DetectorOptions);
  // The first inference builds the backend's kernels and costs about twice a later one: pay it before saying ready, so
  // the first camera frame is not the slow one.
  await detector.detect({ cameraId: 'warm-up', timeMs: 0, width: 64, height: 48, rgb: new Uint8Array(64 * 48 * 3) });
  port.on('message', (req: WorkerRequest) => {
    const startMs = performance.now();
    detector
      .detect({
        cameraId: req.cameraId,
        timeMs: req.timeMs,
        width: req.width,
        height: req.height,
        rgb: new Uint8Array(req.rgb),
      })
      .then(
        (detections) => post({ kind: 'result', id: req.id, detections, inferenceMs: performance.now() - startMs }),
        (err: unknown) =>
          post({ kind: 'error', id: req.id, message: err instanceof Error ? err.message : String(err) }),
      );
  });
  post({ kind: 'ready', loadMs: detector.loadMs, backend: detector.backend.name, simd: detector.backend.simd });
} catch (err) {
  post({ kind: 'failed', message: err instanceof Error ? err.message : String(err) });
}
