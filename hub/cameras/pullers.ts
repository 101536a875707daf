// RTSP 拉流 supervision: one ffmpeg puller per enabled RTSP camera, kept in step with the registry — a new or re-enabled
// camera starts pulling, a disabled, deleted or re-pointed one stops (and its old puller's ffmpeg is gone before a new
// one starts, so two never publish the same path).
import { RtspPuller, type PullStatus } from '../../ingest/video/rtsp-pull.js';
import type { Camera } from './registry.js';

export interface CameraPullersOptions {
  /** A fresh signed publish URL on 127.0.0.1 (MediaServer.localPublishUrl(id, ttl).url). */
  publishUrl: (cameraId: string) => string;
  onStatus?: (status: PullStatus) => void;
  /** Passed to each puller (tests shorten them). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export class CameraPullers {
  private readonly running = new Map<string, { url: string; puller: RtspPuller }>();
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly options: CameraPullersOptions) {}

  /** Makes the running pullers match `cameras` (all cameras, or the enabled ones): call at start and after changes. */
  sync(cameras: readonly Camera[]): Promise<void> {
    // Serialised: two quick edits must not start two pullers for one camera.
    this.queue = this.queue.then(() => this.apply(cameras));
    return this.queue;
  }

  /** The pullers' states by camera id. */
  statuses(): PullStatus[] {
    return [...this.running.values()].map((r) => r.puller.status);
  }

  /** The camera's puller, while it has one (diagnostics: its ffmpeg pid, counters). */
  pullerFor(cameraId: string): RtspPuller | undefined {
    return this.running.get(cameraId)?.puller;
  }

  close(): Promise<void> {
    return this.sync([]);
  }

  private async apply(cameras: readonly Camera[]): Promise<void> {
    const wanted = new Map(
      cameras.filter((c) => c.enabled && c.source === 'rtsp' && c.rtspUrl).map((c) => [c.id, c.rtspUrl!]),
    );
    const stopping: Promise<void>[] = [];
    for (const [id, r] of this.running) {
      if (wanted.get(id) !== r.url) {
        this.running.delete(id);
        stopping.push(r.puller.stop());
      }
    }
    await Promise.all(stopping);
    for (const [id, url] of wanted) {
      if (this.running.has(id)) continue;
      const puller = new RtspPuller({
        cameraId: id,
        rtspUrl: url,
        publishUrl: () => this.options.publishUrl(id),
        ...(this.options.onStatus ? { onStatus: this.options.onStatus } : {}),
        ...(this.options.minBackoffMs ? { minBackoffMs: this.options.minBackoffMs } : {}),
        ...(this.options.maxBackoffMs ? { maxBackoffMs: this.options.maxBackoffMs } : {}),
      });
      this.running.set(id, { url, puller });
      puller.start();
    }
  }
}
