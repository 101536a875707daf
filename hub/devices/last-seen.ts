// 最后在线时间 last seen: every device heard from is noted in memory and written to the registry every few seconds in
// one statement, instead of an UPDATE per message on the hot path.
import type { Logger } from 'pino';
import type { DeviceRegistry } from './registry.js';

export class LastSeen {
  private seen = new Set<string>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly registry: DeviceRegistry,
    private readonly log: Logger,
    intervalMs = 5000,
  ) {
    this.timer = setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  note(deviceId: string): void {
    this.seen.add(deviceId);
  }

  async flush(): Promise<void> {
    if (this.seen.size === 0) return;
    const ids = [...this.seen];
    this.seen = new Set();
    await this.registry.touchLastSeen(ids, new Date()).catch((err: unknown) => {
      // Not worth failing anything for: the next message of each device notes it again.
      this.log.debug({ err: (err as Error).message, devices: ids.length }, 'last-seen update failed');
    });
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
