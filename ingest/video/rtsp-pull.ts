// RTSP 拉流 pull: an IP camera that serves RTSP is read by ffmpeg over TCP and republished unchanged (`-c copy`) into our
// RTMP server as /live/{cameraId}, so pulled and pushing cameras look the same downstream (node-media-server's own
// RTSP relay is broken in 4.x). When the camera drops, ffmpeg exits and we try again with exponential back-off
// (1 s, 2 s, 4 s … 60 s), resetting once a connection has stayed up. An ffmpeg that shows no progress for a while —
// frames never started, or stopped while its sockets stay open (a media server that never answers the RTMP handshake,
// a blocked write, a frozen process) — is killed and retried like a dropped camera: ffmpeg's own socket timeout covers
// only the camera side. Stop kills the ffmpeg child and waits for it.
import { spawn, type ChildProcess } from 'node:child_process';

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
  /** The ffmpeg binary; default `ffmpeg` on PATH. */
  ffmpegPath?: string;
  /**
   * An ffmpeg with no progress this long — no first frame since it started, or none since the last — is killed and
   * the attempt counts as failed; default 30,000 ms (a camera's stream is probed for a few seconds before frames flow).
   */
  stallTimeoutMs?: number;
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
    let frames = 0;
    let stderr = '';
    let stalled = false;
    let progress = '';
    const stallMs = o.stallTimeoutMs ?? 30_000;

    // Spawned directly (not through a wrapper that probes the input with a second, untimed RTSP session per attempt —
    // cameras allow few sessions). Progress comes as key=value blocks on stdout (-progress), stderr keeps the errors.
    const child = spawn(o.ffmpegPath ?? 'ffmpeg', pullArgs(o.rtspUrl, o.publishUrl(), o.ioTimeoutMs ?? 10_000), {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const watchdog = setTimeout(() => {
      stalled = true;
      child.kill('SIGKILL');
    }, stallMs);

    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (text: string) => {
      progress += text;
      let nl: number;
      while ((nl = progress.indexOf('\n')) >= 0) {
        const line = progress.slice(0, nl).trim();
        progress = progress.slice(nl + 1);
        const m = /^frame=(\d+)$/.exec(line);
        if (!m || Number(m[1]) <= frames) continue;
        // New frames went out: the attempt is alive.
        frames = Number(m[1]);
        watchdog.refresh();
        if (this.state === 'connecting' && !this.stopping) {
          startedAt = Date.now();
          this.counters.connections++;
          this.set('running');
        }
      }
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => {
      stderr = (stderr + text).slice(-2000);
    });

    let done = false;
    this.exited = new Promise((resolveExit) => {
      const finished = (why: string) => {
        if (done) return;
        done = true;
        clearTimeout(watchdog);
        if (this.child === child) this.child = null;
        resolveExit();
        if (this.stopping) return;
        const ranMs = startedAt ? Date.now() - startedAt : 0;
        if (ranMs >= (o.stableAfterMs ?? 10_000)) this.failures = 0;
        this.failures++;
        this.counters.failures++;
        this.lastError = redact(stalled ? `no progress for ${stallMs / 1000} s, ffmpeg killed${tail()}` : why);
        const delay = backoffMs(this.failures, o.minBackoffMs ?? 1000, o.maxBackoffMs ?? 60_000);
        this.set('waiting', { retryInMs: delay });
        this.timer = setTimeout(() => {
          this.timer = null;
          if (!this.stopping) this.attempt();
        }, delay);
      };
      // ffmpeg's last words: the line that says why (its error, or the last warning before a kill).
      const tail = () => {
        const last = stderr.split('\n').findLast((l) => l.trim());
        return last ? ` (${last.trim().slice(0, 300)})` : '';
      };
      // 'on', not 'once': a later 'error' (a signal that could not be sent) with no listener would throw.
      child.on('error', (err) => finished(`ffmpeg could not run: ${err.message}`));
      child.once('close', (code, signal) =>
        finished(
          code === 0
            ? 'stream ended'
            : code !== null
              ? `ffmpeg exited with code ${code}${tail()}`
              : `ffmpeg ended by ${signal}${tail()}`,
        ),
      );
    });
  }
}

/** ffmpeg reads the camera over TCP (RTP interleaved) and republishes its video (and audio, if any) unchanged. */
function pullArgs(rtspUrl: string, publishUrl: string, ioTimeoutMs: number): string[] {
  return [
    ...['-hide_banner', '-nostdin', '-loglevel', 'warning', '-nostats', '-progress', 'pipe:1'],
    ...['-rtsp_transport', 'tcp', '-timeout', String(ioTimeoutMs * 1000), '-i', rtspUrl],
    ...['-map', '0:v:0', '-map', '0:a:0?', '-c', 'copy', '-f', 'flv', publishUrl],
  ];
}
