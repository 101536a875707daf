// 集群成员 which hub processes are alive: each one stamps its instance id in a Redis sorted set every beat, and reads
// back those stamped within the last few beats. A process killed outright drops out after LIVE_WITHIN_MS.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

const KEY = 'cityhub:instances';
export const BEAT_MS = 2000;
/** A process that has not stamped for this long is taken for dead. */
export const LIVE_WITHIN_MS = 4 * BEAT_MS;

export class Membership {
  private live: ReadonlySet<string>;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly redis: Redis,
    readonly instanceId: string,
    private readonly log: Logger,
  ) {
    this.live = new Set([instanceId]);
  }

  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => {
      this.beat().catch((err: Error) => this.log.warn({ err: err.message }, 'cluster heartbeat failed'));
    }, BEAT_MS);
    this.timer.unref();
  }

  /** The processes alive at the last beat (this one always). */
  liveInstances(): ReadonlySet<string> {
    return this.live;
  }

  isLive(instanceId: string): boolean {
    return this.live.has(instanceId);
  }

  private async beat(): Promise<void> {
    const now = Date.now();
    const [, , live] = (await this.redis
      .multi()
      .zadd(KEY, now, this.instanceId)
      .zremrangebyscore(KEY, '-inf', now - 15 * LIVE_WITHIN_MS)
      .zrangebyscore(KEY, now - LIVE_WITHIN_MS, '+inf')
      .exec()) as [unknown, unknown, [Error | null, string[]]];
    if (live[0]) throw live[0];
    this.live = new Set([...live[1], this.instanceId]);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    // Leaving on purpose: the others need not wait LIVE_WITHIN_MS to know.
    await this.redis.zrem(KEY, this.instanceId).catch(() => undefined);
  }
}
