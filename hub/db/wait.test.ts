// Waiting for the database at start: which failures are retried, the back-off, the deadline, and the stop signal.
import type pg from 'pg';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { DatabaseUnavailableError, describeDatabase, isTransientConnectError, waitForDatabase } from './wait.js';

const log = pino({ level: 'silent' });
const coded = (code: string, message = code) => Object.assign(new Error(message), { code });

/** A pool whose `query` fails with the given errors in turn, then succeeds. */
function flakyPool(failures: Error[]) {
  let calls = 0;
  const pool = {
    query: async () => {
      calls++;
      const err = failures.shift();
      if (err) throw err;
      return { rows: [{ '?column?': 1 }] };
    },
  } as unknown as pg.Pool;
  return { pool, calls: () => calls };
}

/** A clock that only moves when the code under test sleeps. */
function fakeTime() {
  let t = 0;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
    sleeps,
  };
}

describe('waitForDatabase', () => {
  it('retries refused and starting-up connections with a doubling back-off capped at 15 s', async () => {
    const { pool, calls } = flakyPool([
      coded('ECONNREFUSED'),
      coded('57P03', 'the database system is starting up'),
      coded('ECONNREFUSED'),
      coded('ECONNREFUSED'),
      coded('ECONNREFUSED'),
      coded('ETIMEDOUT'),
    ]);
    const time = fakeTime();
    await waitForDatabase(pool, { waitMs: 300_000, log, target: 'db:5432/x', ...time });
    expect(calls()).toBe(7);
    expect(time.sleeps).toEqual([1000, 2000, 4000, 8000, 15_000, 15_000]);
  });

  it('fails at once on an error a retry cannot fix (wrong password), with the server message', async () => {
    const { pool, calls } = flakyPool([coded('28P01', 'password authentication failed for user "hub"')]);
    const time = fakeTime();
    const err = await waitForDatabase(pool, { waitMs: 300_000, log, target: 'db:5432/x', ...time }).catch((e) => e);
    expect(err).toBeInstanceOf(DatabaseUnavailableError);
    expect(err.message).toContain('password authentication failed');
    expect(calls()).toBe(1);
    expect(time.sleeps).toEqual([]);
  });

  it('gives up after the wait, naming DATABASE_WAIT_S', async () => {
    const { pool } = flakyPool(Array.from({ length: 100 }, () => coded('ECONNREFUSED')));
    const time = fakeTime();
    const err = await waitForDatabase(pool, { waitMs: 10_000, log, target: 'db:5432/x', ...time }).catch((e) => e);
    expect(err).toBeInstanceOf(DatabaseUnavailableError);
    expect(err.message).toMatch(/unreachable after 10 s .*DATABASE_WAIT_S/);
    // 1 + 2 + 4 s, then the 3 s left: never sleeps past the deadline.
    expect(time.sleeps).toEqual([1000, 2000, 4000, 3000]);
  });

  it('with no wait, tries once', async () => {
    const { pool, calls } = flakyPool([coded('ECONNREFUSED')]);
    const err = await waitForDatabase(pool, { waitMs: 0, log, target: 'x', ...fakeTime() }).catch((e) => e);
    expect(err).toBeInstanceOf(DatabaseUnavailableError);
    expect(calls()).toBe(1);
  });

  it('stops waiting when asked to', async () => {
    const { pool } = flakyPool(Array.from({ length: 100 }, () => coded('ECONNREFUSED')));
    const stop = new AbortController();
    const started = Date.now();
    setTimeout(() => stop.abort(), 50);
    const err = await waitForDatabase(pool, { waitMs: 300_000, log, target: 'x', signal: stop.signal }).catch((e) => e);
    expect(err.message).toBe('stopped while waiting for the database');
    expect(Date.now() - started).toBeLessThan(900); // the first 1 s back-off was cut short
  });
});

describe('helpers', () => {
  it('classifies pg timeouts without a code as transient, syntax errors as not', () => {
    expect(isTransientConnectError(new Error('timeout expired'))).toBe(true);
    expect(isTransientConnectError(coded('42601', 'syntax error'))).toBe(false);
  });

  it('describes a URL without its credentials', () => {
    expect(describeDatabase('postgres://hub:s3cret@db.example:6543/cityhub')).toBe('db.example:6543/cityhub');
    expect(describeDatabase('postgres://db/cityhub')).toBe('db:5432/cityhub');
  });
});
