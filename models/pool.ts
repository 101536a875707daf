// 检测线程池 detector worker pool: N worker_threads each holding the CenterNet model (worker.ts), one frame per worker
// at a time, a bounded queue in front. When cameras produce frames faster than the cores can detect, the excess is
// refused at once (counted as dropped) rather than queued into ever-staler work: a later sample supersedes it.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Detection, Detector, Frame } from '../ingest/video/types.js';
import { assertFrame } from './decode.js';
import type { DetectorOptions } from './detector.js';
import type { WorkerReply, WorkerRequest } from './worker.js';

export interface DetectorPoolOptions extends DetectorOptions {
  /** Workers (default min(2, available cores)); each holds a model (~30 MB) and uses one core while detecting. */
  size?: number;
  /** Frames waiting for a free worker before detect() refuses (default 2 × size). */
  maxQueue?: number;
  /** How long a worker may take to load the model (default 60 s). */
  startTimeoutMs?: number;
}

export interface DetectorPoolStats {
  workers: number;
  backend: string;
  /** Frames being detected right now. */
  inFlight: number;
  /** Frames waiting for a worker. */
  queued: number;
  completed: number;
  /** Refused because the queue was full. */
  dropped: number;
  failed: number;
  /** Model inference per frame in a worker, over the last 512 frames. */
  inferenceMsP50: number;
  inferenceMsP95: number;
  /** From detect() to its result (queue wait + transfer + inference), over the last 512 frames. */
  latencyMsP50: number;
  latencyMsP95: number;
}

export class DetectorQueueFullError extends Error {
  override name = 'DetectorQueueFullError';
}

interface Task {
  id: number;
  frame: Frame;
  startMs: number;
  resolve: (d: Detection[]) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  task: Task | null;
}

const WINDOW = 512;

/**
 * How to start a worker: worker.js next to this file in dist/; from source (vitest, tsx) worker.ts, which needs the
 * TypeScript loader registered inside the new thread first — a Worker's `--import` execArgv is not honoured for
 * loaders on Node 20, so a one-line bootstrap registers tsx (a dev dependency) and then imports the worker.
 */
function workerEntry(): { script: string | URL; eval: boolean } {
  if (!import.meta.url.endsWith('.ts')) return { script: new URL('./worker.js', import.meta.url), eval: false };
  // tsx registers itself only on the main thread; its API registers the loader in whichever thread calls it.
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const worker = new URL('./worker.ts', import.meta.url).href;
  return {
    script: `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(worker)}); });`,
    eval: true,
  };
}

export class DetectorPool implements Detector {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private readonly maxQueue: number;
  private readonly inferenceMs: number[] = [];
  private readonly latencyMs: number[] = [];
  private nextId = 1;
  private completed = 0;
  private dropped = 0;
  private failed = 0;
  private backend = '';
  private closing = false;

  private constructor(
    private readonly options: DetectorPoolOptions,
    readonly size: number,
  ) {
    this.maxQueue = options.maxQueue ?? 2 * size;
  }

  /** Starts the workers and resolves once every one has loaded the model; rejects (and stops them) if one cannot. */
  static async start(options: DetectorPoolOptions = {}): Promise<DetectorPool> {
    const size = options.size ?? Math.min(2, os.availableParallelism());
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`pool size must be a positive integer, got ${size}`);
    if (options.maxQueue !== undefined && !(Number.isInteger(options.maxQueue) && options.maxQueue >= 0)) {
      throw new RangeError(`maxQueue must be a non-negative integer, got ${options.maxQueue}`);
    }
    const pool = new DetectorPool(options, size);
    try {
      await Promise.all(Array.from({ length: size }, () => pool.spawn()));
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  private spawn(): Promise<void> {
    const entry = workerEntry();
    const { scoreThreshold, nmsIou, classes } = this.options;
    const worker = new Worker(entry.script, { eval: entry.eval, workerData: { scoreThreshold, nmsIou, classes } });
    const slot: Slot = { worker, task: null };
    this.slots.push(slot);
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      const timer = setTimeout(() => {
        if (!ready) reject(new Error(`detector worker did not load the model in ${this.startTimeoutMs()} ms`));
      }, this.startTimeoutMs());
      worker.on('message', (reply: WorkerReply) => {
        if (reply.kind === 'ready') {
          ready = true;
          clearTimeout(timer);
          this.backend = reply.backend;
          resolve();
          this.dispatch();
        } else if (reply.kind === 'failed') {
          clearTimeout(timer);
          reject(new Error(`detector worker could not load the model: ${reply.message}`));
        } else {
          this.settle(slot, reply);
        }
      });
      worker.on('error', (err) => {
        clearTimeout(timer);
        if (!ready) reject(err);
        this.fail(slot, err, ready);
      });
      worker.on('exit', (code) => {
        clearTimeout(timer);
        if (!ready) reject(new Error(`detector worker exited with code ${code} before loading the model`));
        this.fail(slot, new Error(`detector worker exited with code ${code}`), ready);
      });
    });
  }

  private startTimeoutMs(): number {
    return this.options.startTimeoutMs ?? 60_000;
  }

  /**
   * A worker died: its frame fails, and if it had been working a replacement starts so the pool keeps its size (one
   * that never loaded the model is not replaced: its replacement would fail the same way, forever).
   */
  private fail(slot: Slot, err: Error, respawn: boolean): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    this.slots.splice(index, 1);
    if (slot.task) {
      this.failed++;
      slot.task.reject(err);
    }
    if (respawn && !this.closing) this.spawn().catch(() => undefined);
  }

  private settle(slot: Slot, reply: Extract<WorkerReply, { kind: 'result' | 'error' }>): void {
    const task = slot.task;
    slot.task = null;
    if (task && task.id === reply.id) {
      if (reply.kind === 'result') {
        this.completed++;
        push(this.inferenceMs, reply.inferenceMs);
        push(this.latencyMs, performance.now() - task.startMs);
        task.resolve(reply.detections);
      } else {
        this.failed++;
        task.reject(new Error(reply.message));
      }
    }
    this.dispatch();
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.task || this.queue.length === 0) continue;
      const task = this.queue.shift()!;
      slot.task = task;
      // A copy the worker owns: transferring the caller's buffer would detach it, and the caller still needs the frame
      // (snapshots are drawn on it after detection). Copying 1.3 MB costs far less than the inference.
      const rgb = task.frame.rgb.slice().buffer;
      const req: WorkerRequest = {
        id: task.id,
        cameraId: task.frame.cameraId,
        timeMs: task.frame.timeMs,
        width: task.frame.width,
        height: task.frame.height,
        rgb,
      };
      slot.worker.postMessage(req, [rgb]);
    }
  }

  detect(frame: Frame): Promise<Detection[]> {
    if (this.closing) return Promise.reject(new Error('detector pool is closed'));
    try {
      assertFrame(frame);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    const idle = this.slots.some((s) => !s.task);
    if (!idle && this.queue.length >= this.maxQueue) {
      this.dropped++;
      return Promise.reject(
        new DetectorQueueFullError(`detector busy: ${this.size} frames in flight and ${this.queue.length} queued`),
      );
    }
    return new Promise<Detection[]>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, frame, startMs: performance.now(), resolve, reject });
      this.dispatch();
    });
  }

  stats(): DetectorPoolStats {
    return {
      workers: this.slots.length,
      backend: this.backend,
      inFlight: this.slots.filter((s) => s.task).length,
      queued: this.queue.length,
      completed: this.completed,
      dropped: this.dropped,
      failed: this.failed,
      inferenceMsP50: percentile(this.inferenceMs, 0.5),
      inferenceMsP95: percentile(this.inferenceMs, 0.95),
      latencyMsP50: percentile(this.latencyMs, 0.5),
      latencyMsP95: percentile(this.latencyMs, 0.95),
    };
  }

  /** Stops every worker; frames still queued or in flight are rejected. */
  async close(): Promise<void> {
    this.closing = true;
    const closed = new Error('detector pool is closed');
    for (const task of this.queue.splice(0)) task.reject(closed);
    const slots = this.slots.splice(0);
    for (const slot of slots) slot.task?.reject(closed);
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}

function push(window: number[], value: number): void {
  window.push(value);
  if (window.length > WINDOW) window.shift();
}

/** Nearest-rank percentile; 0 when nothing was measured yet. */
function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}
