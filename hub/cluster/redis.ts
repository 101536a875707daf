// 集群 Redis 连接 the cluster's Redis connections: one per use (commands, subscriptions), named after this process so
// `CLIENT LIST` on the server shows who is who; at start, a Redis that does not answer yet is waited for.
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { redactUrl } from '../config.js';

export interface RedisWait {
  /** How long to keep retrying at start (the hub's DATABASE_WAIT_S); 0: fail at once. */
  waitMs: number;
  signal?: AbortSignal;
}

/** Connects and checks with PING; retries until `waitMs`, then fails naming REDIS_URL. */
export async function connectRedis(url: string, name: string, log: Logger, wait: RedisWait): Promise<Redis> {
  const deadline = Date.now() + wait.waitMs;
  for (let attempt = 1; ; attempt++) {
    const redis = new Redis(url, { connectionName: name, lazyConnect: true, maxRetriesPerRequest: 2 });
    // ioredis reports every failed reconnect as an 'error' event; without a listener Node would throw it.
    let lastError = '';
    redis.on('error', (err: Error) => {
      if (err.message !== lastError) log.warn({ redis: name, err: err.message }, 'redis connection trouble');
      lastError = err.message;
    });
    try {
      await redis.connect();
      await redis.ping();
      return redis;
    } catch (err) {
      redis.disconnect();
      const message = `REDIS_URL ${redactUrl(url)}: ${(err as Error).message || 'no answer'}`;
      if (Date.now() >= deadline || wait.signal?.aborted)
        throw new Error(`${message}; check REDIS_URL`, { cause: err });
      log.warn({ attempt, err: message }, 'waiting for redis');
      await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 250 * 2 ** Math.min(attempt, 5))));
    }
  }
}
