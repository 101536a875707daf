// 登录退避（集群） the MQTT login back-off counted in a real Redis: step for step the in-memory back-off, shared by every
// process counting there, forgotten when the address is quiet, and failing open (logged) when Redis does not answer.
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '../../test/support/redis.js';
import { AuthThrottle, type LoginBackoff, type ThrottleOptions } from './auth-throttle.js';
import { RedisAuthThrottle } from './redis-auth-throttle.js';

let server: RedisServer;
const connections: Redis[] = [];

beforeAll(async () => {
  server = await startRedis();
});

afterAll(async () => {
  for (const c of connections) c.disconnect();
  await server?.stop();
});

const [INFO, WARN] = [30, 40];

const BACKOFF: Omit<ThrottleOptions, 'maxEntries'> = {
  freeFailures: 2,
  baseDelayMs: 1000,
  maxDelayMs: 8000,
  forgetAfterMs: 60_000,
};

function connection(): Redis {
  const redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  connections.push(redis);
  return redis;
}

interface Logged {
  level: number;
  msg: string;
}

function throttle(redis = connection(), logged: Logged[] = [], checkWithinMs?: number): RedisAuthThrottle {
  const log = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line) as Logged) });
  return new RedisAuthThrottle(redis, log, {
    backoff: BACKOFF,
    ...(checkWithinMs === undefined ? {} : { checkWithinMs }),
  });
}

type Step = ['fail', string, number] | ['ok', string] | ['wait', string, number];

/** Runs a script of CONNECTs, returning every wait it was told. */
async function run(backoff: LoginBackoff, steps: Step[]): Promise<number[]> {
  const waits: number[] = [];
  for (const step of steps) {
    if (step[0] === 'fail') await backoff.failure(step[1], step[2]);
    else if (step[0] === 'ok') {
      // A success follows the check of the same CONNECT, as in connect.ts.
      await backoff.retryAfterMs(step[1], 0);
      await backoff.success(step[1]);
    } else waits.push(await backoff.retryAfterMs(step[1], step[2]));
  }
  return waits;
}

const STEPS: Step[] = [
  ['fail', '10.0.0.1', 0],
  ['wait', '10.0.0.1', 0],
  ['fail', '10.0.0.1', 10],
  ['wait', '10.0.0.1', 10],
  ['fail', '10.0.0.1', 20],
  ['wait', '10.0.0.1', 20],
  ['wait', '10.0.0.1', 520],
  ['wait', '10.0.0.2', 520],
  ['fail', '10.0.0.1', 1100],
  ['wait', '10.0.0.1', 1100],
  ...Array.from({ length: 6 }, (_, i): Step => ['fail', '10.0.0.1', 2000 + i]),
  ['wait', '10.0.0.1', 2005],
  ['ok', '10.0.0.1'],
  ['wait', '10.0.0.1', 2005],
  ['fail', '10.0.0.1', 3000],
  ['wait', '10.0.0.1', 3000],
];

describe('MQTT login back-off counted in Redis', () => {
  it('backs off exactly as the in-memory back-off does', async () => {
    await connection().flushall();
    const inMemory = await run(new AuthThrottle({ ...BACKOFF, maxEntries: 1000 }), STEPS);
    expect(inMemory).toEqual([0, 0, 1000, 500, 0, 2000, 8000, 0, 0]);
    expect(await run(throttle(), STEPS)).toEqual(inMemory);
  });

  it('counts the failures of every process together, and a success on one clears them for all', async () => {
    await connection().flushall();
    const [a, b, c] = [throttle(), throttle(), throttle()];
    await a.failure('10.0.1.1', 0);
    await b.failure('10.0.1.1', 0);
    expect(await c.retryAfterMs('10.0.1.1', 0)).toBe(0);
    await a.failure('10.0.1.1', 0);
    // The third failure, on A: B and C refuse the address for a second.
    expect(await b.retryAfterMs('10.0.1.1', 0)).toBe(1000);
    expect(await c.retryAfterMs('10.0.1.1', 400)).toBe(600);
    await c.success('10.0.1.1');
    expect(await a.retryAfterMs('10.0.1.1', 0)).toBe(0);
  });

  it('keeps an address only while it keeps failing', async () => {
    const redis = connection();
    await redis.flushall();
    await throttle(redis).failure('10.0.2.1', 0);
    const ttl = await redis.pttl('cityhub:mqtt-login:10.0.2.1');
    expect(ttl).toBeGreaterThan(BACKOFF.forgetAfterMs - 5000);
    expect(ttl).toBeLessThanOrEqual(BACKOFF.forgetAfterMs);
    // A success where nothing failed writes nothing.
    await throttle(redis).success('10.0.2.9');
    expect(await redis.keys('cityhub:mqtt-login:*')).toEqual(['cityhub:mqtt-login:10.0.2.1']);
  });

  it('lets logins through when Redis does not answer, says so once, and counts again when it is back', async () => {
    await connection().flushall();
    const logged: Logged[] = [];
    const backoff = throttle(connection(), logged, 200);
    for (let i = 0; i < 3; i++) await backoff.failure('10.0.3.1', 0);
    expect(await backoff.retryAfterMs('10.0.3.1', 0)).toBe(1000);
    // Redis stops answering (the process frozen: connections stay open, nothing comes back).
    server.proc.kill('SIGSTOP');
    try {
      const started = Date.now();
      expect(await backoff.retryAfterMs('10.0.3.1', 0)).toBe(0);
      expect(await backoff.retryAfterMs('10.0.3.2', 0)).toBe(0);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(logged.map((l) => l.level)).toEqual([WARN]);
      expect(logged[0]!.msg).toContain('fail open');
    } finally {
      server.proc.kill('SIGCONT');
    }
    // The commands queued meanwhile go through; the next check answers from Redis again.
    expect(await backoff.retryAfterMs('10.0.3.1', 0)).toBe(1000);
    expect(logged.map((l) => l.level)).toEqual([WARN, INFO]);
  });
});
