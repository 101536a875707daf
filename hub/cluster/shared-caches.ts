// 缓存同步 caches each hub process keeps in memory — the grid geocoder, responsibility rules, detection rules and
// zones, the camera registry, the working calendar, user sessions — reloaded in every process when one of them changes
// the data behind them: the changing process announces it on `changed:{topic}`, the others reload from the database.
import type { Logger } from 'pino';
import type { ClusterBus } from './bus.js';

type Method<T> = { [K in keyof T]: T[K] extends (...args: never[]) => Promise<unknown> ? K : never }[keyof T];

export class SharedCaches {
  constructor(
    private readonly bus: ClusterBus,
    private readonly log: Logger,
  ) {}

  /** Tells the other processes that `topic`'s data changed (detail: e.g. the id changed). */
  announce(topic: string, detail: Record<string, unknown> = {}): void {
    this.bus.publish(`changed:${topic}`, detail).catch((err: Error) => {
      this.log.warn({ err: err.message, topic }, 'cache change not announced to the other hub processes');
    });
  }

  /** Runs `reload` when another process announces `topic` (a failure is logged; the next announcement retries). */
  async onChange(topic: string, reload: (detail: Record<string, unknown>) => Promise<unknown> | void): Promise<void> {
    await this.bus.on(`changed:${topic}`, (m) => {
      Promise.resolve()
        .then(() => reload(m))
        .catch((err: unknown) => this.log.error({ err, topic, from: m.from }, 'cache not reloaded after a change'));
    });
  }

  /**
   * Makes `target[method]` — the reload a cache already runs after every change made here — cluster-wide: after it
   * has run here, the other processes run their own. Their reload does not announce again.
   */
  async shareReload<T extends object>(topic: string, target: T, method: Method<T>): Promise<void> {
    const original = (target[method] as (...args: unknown[]) => Promise<unknown>).bind(target);
    const shared = async (...args: unknown[]) => {
      const result = await original(...args);
      this.announce(topic);
      return result;
    };
    (target as Record<Method<T>, unknown>)[method] = shared;
    await this.onChange(topic, () => original());
  }
}
