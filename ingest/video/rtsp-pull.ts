// RTSP 拉流 pull: an IP camera that serves RTSP is read by ffmpeg over TCP and republished unchanged (`-c copy`) into our
// RTMP server as /live/{cameraId}, so pulled and pushing cameras look the same downstream (node-media-server's own
// RTSP relay is broken in 4.x). When the camera drops, ffmpeg exits and we try again with exponential back-off
// (1 s, 2 s, 4 s … 60 s), resetting once a connection has stayed up. Stop kills the ffmpeg child and waits for it.
import type { ChildProcess } from 'node:child_process';
import ffmpeg from 'fluent-ffmpeg';

export type PullState = 'connecting' | 'running' | 'waiting' | 'stopped';

export interface PullStatus {
  cameraId: string;
  state: PullState;
  /** Failed attempts since the last good connection. */
  failures: number;
  /** `waiting`: how long until the next attempt. */
  retryInMs?: number;
  /** Why the last attempt ended (ffmpeg's last error line). */
  lastError?: string;
}

export interface RtspPullOptions {
  cameraId: string;
  /** rtsp://[user:password@]host[:port]/path */
  rtspUrl: string;
  /** A fresh signed RTMP publish URL for each attempt (MediaServer.localPublishUrl(id, ttl).url). */
  publishUrl: () => string;
  onStatus?: (status: PullStatus) => void;
  /** First retry delay; default 1000 ms. */
  minBackoffMs?: number;
  /** Longest retry delay; default 60,000 ms. */
  maxBackoffMs?: number;
  /** A connection that ran this long resets the back-off; default 10,000 ms. */
  stableAfterMs?: number;
  /** RTSP socket timeout: a camera silent this long counts as gone; default 10,000 ms. */
  ioTimeoutMs?: number;
  /** How long stop() waits after SIGTERM before SIGKILL; default 3000 ms. */
  killGraceMs?: number;
}

/** The delay before attempt `failures + 1`: min · 2^(failures−1), capped at max. */
export function backoffMs(failures: number, minMs: number, maxMs: number): number {
  if (failures <= 0) return 0;
  return Math.min(maxMs, minMs * 2 ** Math.min(failures - 1, 30));
}

/** Credentials never go into a log line or a status. */
const redact = (text: string) =>
  text.replace(/(rtsps?:\/\/[^:/@\s]*):[^@/\s]*@/g, '$1:***@').replace(/sign=[^\s&]+/g, 'sign=***');

export class RtspPuller {
  private state: PullState = 'stopped';
  private failures = 0;
  private timer: NodeJS.Timeout | null = null;
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private stopping = false;
  private lastError: string | undefined;
  /** Attempts started and connections that got frames flowing, since construction. */
  readonly counters = { attempts: 0, connections: 0, failures: 0 };

  constructor(private readonly options: RtspPullOptions) {}

  get status(): PullStatus {
    return {
      cameraId: this.options.cameraId,
      state: this.state,
      failures: this.failures,
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  /** The running ffmpeg's process id (for tests and diagnostics). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    if (this.state !== 'stopped') return;
    this.stopping = false;
    this.attempt();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const child = this.child;
    // No child yet while connecting: the 'start' handler kills it as soon as it exists.
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), this.options.killGraceMs ?? 3000);
      await this.exited;
      clearTimeout(force);
    } else {
      await this.exited;
    }
    this.set('stopped');
  }

  private set(state: PullState, extra: Partial<PullStatus> = {}): void {
    this.state = state;
    this.options.onStatus?.({ ...this.status, ...extra });
  }

  private attempt(): void {
    const o = this.options;
    this.counters.attempts++;
    this.set('connecting');
    let startedAt = 0;
    let stderrTail = '';
    let resolveExit!: () => void;
    this.exited = new Promise((r) => (resolveExit = r));

    const command = ffmpeg(o.rtspUrl)
      .inputOptions(['-rtsp_transport', 'tcp', '-timeout', String((o.ioTimeoutMs ?? 10_000) * 1000)])
      .outputOptions(['-map', '0:v:0', '-map', '0:a:0?', '-c', 'copy', '-f', 'flv'])
      .output(o.publishUrl())
      .on('start', () => {
        // fluent-ffmpeg spawns only after probing ffmpeg's capabilities, and sets ffmpegProc just before 'start': a
        // stop() in between found no child to kill, so it is killed here.
        this.child = (command as unknown as { ffmpegProc: ChildProcess }).ffmpegProc;
        if (this.stopping) this.child.kill('SIGTERM');
      })
      .on('stderr', (line: string) => {
        stderrTail = line;
      })
      .on('progress', () => {
        if (this.state !== 'connecting') return;
        startedAt = Date.now();
        this.counters.connections++;
        this.set('running');
      })
      .on('end', () => finished(undefined))
      .on('error', (err: Error) => finished(err));

    const finished = (err: Error | undefined) => {
      this.child = null;
      resolveExit();
      if (this.stopping) return;
      const ranMs = startedAt ? Date.now() - startedAt : 0;
      if (ranMs >= (o.stableAfterMs ?? 10_000)) this.failures = 0;
      this.failures++;
      this.counters.failures++;
      this.lastError = redact(
        err ? `${err.message.split('\n')[0]}${stderrTail ? ` (${stderrTail})` : ''}` : 'stream ended',
      );
      const delay = backoffMs(this.failures, o.minBackoffMs ?? 1000, o.maxBackoffMs ?? 60_000);
      this.set('waiting', { retryInMs: delay });
      this.timer = setTimeout(() => {
        this.timer = null;
        if (!this.stopping) this.attempt();
      }, delay);
    };
    command.run();
  }
}
