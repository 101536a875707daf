// 登录限流（集群） failed logins counted in a real Redis: the same back-off as the in-memory throttle, step for step,
// and shared by every process that counts there.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '../../test/support/redis.js';
import { LoginThrottle, type LoginAttempts, type LoginThrottleOptions } from '../auth/login-throttle.js';
import { RedisLoginAttempts } from './login-attempts.js';

let server: RedisServer;
const connections: Redis[] = [];

beforeAll(async () => {
  server = await startRedis();
});

afterAll(async () => {
  for (const c of connections) await c.quit();
  await server?.stop();
});

async function redisAttempts(options: LoginThrottleOptions): Promise<RedisLoginAttempts> {
  const redis = new Redis(server.url);
  connections.push(redis);
  await redis.flushall();
  return new RedisLoginAttempts(redis, options);
}

type Step = ['fail', string, string, number] | ['ok', string] | ['wait', string, string, number];

/** Runs a script of logins, returning every wait it asked for. */
async function run(attempts: LoginAttempts, steps: Step[]): Promise<number[]> {
  const waits: number[] = [];
  for (const step of steps) {
    if (step[0] === 'fail') await attempts.failure(step[1], step[2], step[3]);
    else if (step[0] === 'ok') await attempts.success(step[1]);
    else waits.push(await attempts.retryAfterMs(step[1], step[2], step[3]));
  }
  return waits;
}

const SCRIPTS: { options: LoginThrottleOptions; steps: Step[] }[] = [
  {
    options: { usernameFreeFailures: 5, addressFreeFailures: 100, baseDelayMs: 1000 },
    steps: [
      ...[1, 2, 3, 4].flatMap((i): Step[] => [
        ['fail', 'alice', `10.0.0.${i}`, 0],
        ['wait', 'alice', '10.9.9.9', 0],
      ]),
      ['fail', 'alice', '10.0.0.5', 0],
      ['wait', 'alice', '10.9.9.9', 0],
      ['wait', ' ALICE ', '10.9.9.9', 500],
      ['wait', 'bob', '10.0.0.5', 0],
      ['fail', 'alice', '10.0.0.6', 1000],
      ['wait', 'alice', '10.9.9.9', 1000],
      ['fail', 'alice', '10.0.0.6', 3000],
      ['wait', 'alice', '10.9.9.9', 3000],
      ['ok', 'alice'],
      ['wait', 'alice', '10.9.9.9', 3000],
    ],
  },
  {
    options: { usernameFreeFailures: 5, addressFreeFailures: 3, baseDelayMs: 1000 },
    steps: [
      ['fail', 'a', '10.0.0.1', 0],
      ['fail', 'b', '10.0.0.1', 0],
      ['wait', 'c', '10.0.0.1', 0],
      ['fail', 'c', '10.0.0.1', 0],
      ['wait', 'd', '10.0.0.1', 0],
      ['wait', 'd', '10.0.0.2', 0],
      ['ok', 'c'],
      ['wait', 'd', '10.0.0.1', 0],
    ],
  },
  {
    options: { usernameFreeFailures: 1, baseDelayMs: 1000, maxDelayMs: 5000 },
    steps: [...Array.from({ length: 20 }, (): Step => ['fail', 'a', '10.0.0.1', 0]), ['wait', 'a', '10.0.0.1', 0]],
  },
];

describe('login attempts counted in Redis', () => {
  it('throttles exactly as the in-memory throttle does', async () => {
    for (const { options, steps } of SCRIPTS) {
      const inMemory = await run(new LoginThrottle(options), steps);
      expect(inMemory.some((w) => w > 0)).toBe(true);
      expect(await run(await redisAttempts(options), steps)).toEqual(inMemory);
    }
  });

  it('counts the failures of every process together', async () => {
    const options = { usernameFreeFailures: 5, baseDelayMs: 1000 };
    const first = await redisAttempts(options);
    // Another process: its own connection to the same Redis.
    const other = connections.at(-1)!.duplicate();
    connections.push(other);
    const second = new RedisLoginAttempts(other, options);
    for (let i = 0; i < 4; i++) await (i % 2 ? first : second).failure('carol', `10.0.1.${i}`, 0);
    expect(await first.retryAfterMs('carol', '10.0.2.1', 0)).toBe(0);
    await second.failure('carol', '10.0.1.9', 0);
    expect(await first.retryAfterMs('carol', '10.0.2.1', 0)).toBe(1000);
    expect(await second.retryAfterMs('carol', '10.0.2.1', 0)).toBe(1000);
  });
});
