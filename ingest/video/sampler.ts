// 抽帧 the frame sampler: ffmpeg decodes a camera stream (RTMP, HTTP-FLV, or a file in tests) into raw RGB frames at one
// frame per `sampleIntervalMs`, scaled to a fixed width; Node cuts them out of the pipe and hands each to a consumer.
// Never a queue: a frame that arrives while the consumer is still busy with the previous one is dropped and counted, so
// a slow detector costs samples, not memory. A stream that ends or fails is restarted with back-off (cameras reconnect).
import { spawn, type ChildProcess } from 'node:child_process';
import type { Frame } from './types.js';

export interface SamplerOptions {
  cameraId: string;
  /** rtmp://…, http(s)://….flv, or a file path (tests). */
  source: string;
  sampleIntervalMs: number;
  /** Width of the frames (default 640); the height keeps the aspect ratio (rounded to even). */
  width?: number;
  /** Force the height too (no aspect ratio kept); when absent, it is read from ffmpeg's output description. */
  height?: number;
  /** Read a file at its native rate, as a live camera delivers (ffmpeg `-re`); default false. */
  realtime?: boolean;
  /** Restart ffmpeg when the stream ends or fails (default true). */
  restart?: boolean;
  /** First restart delay (default 1 000 ms), doubled per failed attempt up to `maxBackoffMs` (default 30 000). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** No frame for this long: ffmpeg is killed and restarted (default 20 000 ms; a stalled network read otherwise hangs). */
  stallTimeoutMs?: number;
  /** The time stamped on a frame when read (default Date.now; tests inject a clock). */
  clock?: () => number;
  /** The ffmpeg binary (default /usr/bin/ffmpeg). */
  ffmpegPath?: string;
  /** Told about process starts, exits and errors (for logs and camera status). */
  onEvent?: (event: SamplerEvent) => void;
}

export type SamplerEvent =
  | { type: 'start'; attempt: number }
  | { type: 'size'; width: number; height: number }
  | { type: 'exit'; code: number | null; signal: string | null; stderrTail: string }
  | { type: 'stall'; sinceMs: number }
  | { type: 'error'; message: string };

/** Takes one frame; a returned promise marks the consumer busy until it settles. */
export type FrameConsumer = (frame: Frame) => void | Promise<void>;

export interface SamplerStats {
  /** Frames read from ffmpeg. */
  frames: number;
  /** Frames dropped because the consumer was busy. */
  dropped: number;
  /** ffmpeg restarts after the stream ended or failed. */
  restarts: number;
  /** Consumer calls that threw or rejected. */
  consumerErrors: number;
  /** Read time of the newest frame, null before the first. */
  lastFrameMs: number | null;
  running: boolean;
  /** The running ffmpeg's process id (null between restarts). */
  pid: number | null;
}

const STDERR_TAIL_CHARS = 4000;
/**
 * Bytes held while the frame size is not yet known (at least two square frames of the width): ffmpeg describes its
 * output before writing to it, so more means it said something this parser does not understand.
 */
const MAX_PENDING_BYTES = 8 * 1024 * 1024;

/** The ffmpeg arguments for a source: exposed so the command line can be read and tested. */
export function ffmpegArgs(
  o: Pick<SamplerOptions, 'source' | 'sampleIntervalMs' | 'width' | 'height' | 'realtime'>,
): string[] {
  const width = o.width ?? 640;
  const fps = 1000 / o.sampleIntervalMs;
  const isUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(o.source);
  return [
    '-hide_banner',
    '-nostats',
    '-nostdin',
    '-loglevel',
    'info',
    // Network reads give up after 10 s instead of hanging on a camera that vanished (microseconds). A live stream is
    // probed briefly: the media server announces a data track that never carries a packet, and ffmpeg's default probe
    // would wait for it for many seconds before the first frame.
    ...(isUrl ? ['-rw_timeout', '10000000', '-analyzeduration', '1000000', '-probesize', '65536'] : []),
    ...(o.realtime ? ['-re'] : []),
    '-i',
    o.source,
    '-an',
    '-vf',
    `fps=${fps},scale=${width}:${o.height ?? -2}`,
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    'pipe:1',
  ];
}

/** Reads the output frame size from ffmpeg's description of its output stream. */
export function parseOutputSize(stderr: string): { width: number; height: number } | null {
  const out = stderr.indexOf('Output #0');
  if (out < 0) return null;
  const m = /Stream #0:0[^\n]*Video: rawvideo[^\n]*?, (\d+)x(\d+)/.exec(stderr.slice(out));
  return m ? { width: Number(m[1]), height: Number(m[2]) } : null;
}

export class FrameSampler {
  private readonly opts: Required<Omit<SamplerOptions, 'height' | 'onEvent'>> &
    Pick<SamplerOptions, 'height' | 'onEvent'>;
  private child: ChildProcess | null = null;
  private stopped = true;
  private busy = false;
  private attempt = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private stallTimer: NodeJS.Timeout | null = null;
  private exited: Promise<void> = Promise.resolve();
  private readonly counters = { frames: 0, dropped: 0, restarts: 0, consumerErrors: 0 };
  private lastFrameMs: number | null = null;

  constructor(
    options: SamplerOptions,
    private readonly consumer: FrameConsumer,
  ) {
    if (!(options.sampleIntervalMs > 0))
      throw new RangeError(`sampleIntervalMs must be > 0, got ${options.sampleIntervalMs}`);
    const width = options.width ?? 640;
    if (!Number.isInteger(width) || width < 2 || width % 2 !== 0) {
      throw new RangeError(`width must be an even integer ≥ 2, got ${width}`);
    }
    this.opts = {
      width,
      realtime: false,
      restart: true,
      backoffMs: 1000,
      maxBackoffMs: 30_000,
      stallTimeoutMs: 20_000,
      clock: Date.now,
      ffmpegPath: '/usr/bin/ffmpeg',
      ...options,
    };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.spawn();
  }

  /** Kills ffmpeg (SIGTERM, then SIGKILL after 2 s) and resolves once it has exited; no restart follows. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    this.clearStall();
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const killer = setTimeout(() => child.kill('SIGKILL'), 2000);
      child.kill('SIGTERM');
      await this.exited;
      clearTimeout(killer);
    }
  }

  stats(): SamplerStats {
    return {
      ...this.counters,
      lastFrameMs: this.lastFrameMs,
      running: this.child !== null,
      pid: this.child?.pid ?? null,
    };
  }

  private spawn(): void {
    this.attempt++;
    const o = this.opts;
    const child = spawn(o.ffmpegPath, ffmpegArgs(o), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    o.onEvent?.({ type: 'start', attempt: this.attempt });
    let size: { width: number; height: number } | null = o.height ? { width: o.width, height: o.height } : null;
    if (size) o.onEvent?.({ type: 'size', ...size });
    let stderr = '';
    let pending: Buffer[] = [];
    let pendingBytes = 0;

    const cut = (): void => {
      if (!size) return;
      const frameBytes = size.width * size.height * 3;
      while (pendingBytes >= frameBytes) {
        const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
        const rgb = new Uint8Array(all.subarray(0, frameBytes)); // a copy: the consumer may keep it
        const rest = all.subarray(frameBytes);
        pending = rest.length > 0 ? [rest] : [];
        pendingBytes = rest.length;
        this.deliver({ cameraId: o.cameraId, timeMs: o.clock(), width: size.width, height: size.height, rgb });
      }
    };

    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => {
      stderr = (stderr + text).slice(-STDERR_TAIL_CHARS * 4);
      if (!size) {
        size = parseOutputSize(stderr);
        if (size) {
          o.onEvent?.({ type: 'size', ...size });
          cut();
        }
      }
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (!size && pendingBytes > Math.max(MAX_PENDING_BYTES, o.width * o.width * 3 * 2)) {
        o.onEvent?.({ type: 'error', message: 'ffmpeg sent frames without describing their size; restarting' });
        pending = [];
        pendingBytes = 0;
        child.kill('SIGKILL');
        return;
      }
      cut();
    });
    child.on('error', (err) => o.onEvent?.({ type: 'error', message: `ffmpeg: ${err.message}` }));
    this.exited = new Promise((resolve) => {
      child.on('close', (code, signal) => {
        if (this.child === child) this.child = null;
        this.clearStall();
        o.onEvent?.({ type: 'exit', code, signal, stderrTail: stderr.slice(-STDERR_TAIL_CHARS) });
        resolve();
        if (!this.stopped && o.restart) this.scheduleRestart();
      });
    });
    this.armStall();
  }

  private deliver(frame: Frame): void {
    this.counters.frames++;
    this.lastFrameMs = frame.timeMs;
    // A stream that delivers again has recovered: the next failure starts the back-off from the beginning.
    this.attempt = 0;
    this.armStall();
    if (this.busy) {
      this.counters.dropped++;
      return;
    }
    let result: void | Promise<void>;
    try {
      result = this.consumer(frame);
    } catch (err) {
      this.consumerFailed(err);
      return;
    }
    if (result && typeof (result as Promise<void>).then === 'function') {
      this.busy = true;
      (result as Promise<void>).then(
        () => {
          this.busy = false;
        },
        (err: unknown) => {
          this.busy = false;
          this.consumerFailed(err);
        },
      );
    }
  }

  private consumerFailed(err: unknown): void {
    this.counters.consumerErrors++;
    const message = err instanceof Error ? err.message : String(err);
    this.opts.onEvent?.({ type: 'error', message: `frame consumer failed: ${message}` });
  }

  private scheduleRestart(): void {
    const o = this.opts;
    const delay = Math.min(o.maxBackoffMs, o.backoffMs * 2 ** Math.max(0, this.attempt - 1));
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.stopped) return;
      this.counters.restarts++;
      this.spawn();
    }, delay);
  }

  private armStall(): void {
    this.clearStall();
    const child = this.child;
    if (!child || this.stopped) return;
    // The watchdog runs on real time whatever clock stamps the frames.
    const since = Date.now();
    this.stallTimer = setTimeout(() => {
      this.opts.onEvent?.({ type: 'stall', sinceMs: since });
      child.kill('SIGKILL');
    }, this.opts.stallTimeoutMs);
  }

  private clearStall(): void {
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = null;
  }
}
