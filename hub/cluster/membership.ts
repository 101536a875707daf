// 集群成员 which hub processes are alive: each one stamps its instance id in a Redis sorted set every beat, and reads
// back those stamped within the last few beats. A process killed outright drops out after LIVE_WITHIN_MS (the elected
// process then marks its devices and cameras offline: presence.ts). A process that finds its own previous stamp older
// than that (it stalled, or lost Redis) was taken for dead meanwhile: it tells its listeners (`onRejoin`), which
// announce its devices and cameras again.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

const KEY = 'cityhub:instances';
export const BEAT_MS = 2000;
/** A process that has not stamped for this long is taken for dead. */
export const LIVE_WITHIN_MS = 4 * BEAT_MS;

export class Membership {
  private live: ReadonlySet<string>;
  private timer: NodeJS.Timeout | null = null;
  private beaten = false;
  /** Since when every beat has succeeded (null: the last one failed). */
  private steadySince: number | null = null;
  private readonly rejoinListeners: ((absentMs: number) => void)[] = [];

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
      this.beat().catch((err: Error) => {
        this.steadySince = null;
        this.log.warn({ err: err.message }, 'cluster heartbeat failed');
      });
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

  /**
   * Each process's last stamp (epoch ms, its own clock), read from Redis now: those of the last 15 × LIVE_WITHIN_MS
   * (older ones are dropped, as are those of processes that stopped on purpose).
   */
  async lastBeats(): Promise<Map<string, number>> {
    const flat = await this.redis.zrange(KEY, 0, -1, 'WITHSCORES');
    const beats = new Map<string, number>();
    for (let i = 0; i + 1 < flat.length; i += 2) beats.set(flat[i]!, Number(flat[i + 1]));
    return beats;
  }

  /** How long this process has been stamping without a failure (0 after a failed beat, until the next one). */
  steadyForMs(nowMs = Date.now()): number {
    return this.steadySince === null ? 0 : nowMs - this.steadySince;
  }

  /** Called when this process finds it was taken for dead (with how long it had not stamped). */
  onRejoin(listener: (absentMs: number) => void): void {
    this.rejoinListeners.push(listener);
  }

  private async beat(): Promise<void> {
    const now = Date.now();
    const [previous, , , live] = (await this.redis
      .multi()
      .zscore(KEY, this.instanceId)
      .zadd(KEY, now, this.instanceId)
      .zremrangebyscore(KEY, '-inf', now - 15 * LIVE_WITHIN_MS)
      .zrangebyscore(KEY, now - LIVE_WITHIN_MS, '+inf')
      .exec()) as [[Error | null, string | null], unknown, unknown, [Error | null, string[]]];
    if (live[0]) throw live[0];
    this.live = new Set([...live[1], this.instanceId]);
    this.steadySince ??= now;
    const absentMs = previous[1] === null ? Infinity : now - Number(previous[1]);
    const wasBeating = this.beaten;
    this.beaten = true;
    if (wasBeating && absentMs > LIVE_WITHIN_MS) {
      this.log.warn(
        { instance: this.instanceId, absentMs: Number.isFinite(absentMs) ? absentMs : null },
        'this process was taken for dead by the others (no heartbeat in time); announcing its devices again',
      );
      for (const listener of this.rejoinListeners) {
        try {
          listener(absentMs);
        } catch (err) {
          this.log.error({ err }, 'a rejoin listener failed');
        }
      }
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    // Leaving on purpose: the others need not wait LIVE_WITHIN_MS to know.
    await this.redis.zrem(KEY, this.instanceId).catch(() => undefined);
  }
}
