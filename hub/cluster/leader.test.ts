// 单实例任务 the election of the one hub process that runs the work that must run once, on a real PostgreSQL: one
// leads at a time, the others take over when its session ends, and the jobs start and stop with the lead.
import { Registry } from 'prom-client';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { waitFor } from '../../test/support/wait.js';
import { AdvisoryLockElection, OneProcess } from './leader.js';

let db: TestDatabase;
const log = pino({ level: 'silent' });

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db?.drop();
});

function hubProcess(name: string, running: Set<string>, history: string[] = []) {
  const registry = new Registry();
  const election = new AdvisoryLockElection({ databaseUrl: db.url, instanceId: name, log, registry, retryMs: 200 });
  election.run('retention', () => {
    running.add(name);
    history.push(`start:${name}`);
    return () => {
      running.delete(name);
      history.push(`stop:${name}`);
    };
  });
  return {
    election,
    gauge: async () => (await registry.getSingleMetric('cityhub_singleton_leader')!.get()).values[0]!.value,
  };
}

describe('singleton work', () => {
  it('runs on one process at a time and moves when that one stops', async () => {
    const running = new Set<string>();
    const a = hubProcess('a', running);
    const b = hubProcess('b', running);
    await a.election.start();
    await b.election.start();
    expect([a.election.isLeader(), b.election.isLeader()]).toEqual([true, false]);
    expect([...running]).toEqual(['a']);
    expect([await a.gauge(), await b.gauge()]).toEqual([1, 0]);
    // A's session ends (as when its process dies): B takes over at its next try.
    await a.election.close();
    await waitFor('b to lead', () => b.election.isLeader(), 5000);
    expect([...running]).toEqual(['b']);
    expect([await a.gauge(), await b.gauge()]).toEqual([0, 1]);
    await b.election.close();
    expect(running.size).toBe(0);
  });

  it("stops the old leader's work when the database kills its session, and one process leads again", async () => {
    const running = new Set<string>();
    const history: string[] = [];
    const a = hubProcess('a', running, history);
    const b = hubProcess('b', running, history);
    await a.election.start();
    await b.election.start();
    expect(a.election.isLeader()).toBe(true);
    await db.pool.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'cityhub-leader:a'`,
    );
    // A's process is still alive, so after stopping its work it competes again: either may win the next round (b
    // usually does, having tried all along). What must hold: a stopped, then exactly one leads and runs the work.
    await waitFor('a to stop its work', () => history.includes('stop:a'), 5000);
    await waitFor(
      'one process to lead again',
      () => a.election.isLeader() !== b.election.isLeader() && running.size === 1,
      5000,
    );
    const leader = a.election.isLeader() ? 'a' : 'b';
    expect([...running]).toEqual([leader]);
    expect(history.slice(0, 2)).toEqual(['start:a', 'stop:a']);
    await Promise.all([a.election.close(), b.election.close()]);
    expect(running.size).toBe(0);
  });

  it('alone, runs everything at once', async () => {
    const running = new Set<string>();
    const one = new OneProcess(log);
    one.run('retention', () => {
      running.add('retention');
      return () => void running.delete('retention');
    });
    await waitFor('the job to start', () => running.has('retention'));
    expect(one.isLeader()).toBe(true);
    await one.close();
    expect(running.size).toBe(0);
  });
});
