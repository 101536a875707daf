// 掉线清扫 the devices and cameras of a hub process that died without a word, on a real Redis and a real database: the
// sweep marks offline, as of the dead process's last stamp, those it left online, and leaves alone those that
// disconnected before, moved to a live process, or came back elsewhere while it ran; a process taken for dead hears so.
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratedTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { startRedis, type RedisServer } from '../../test/support/redis.js';
import { waitFor } from '../../test/support/wait.js';
import type { Observation } from '../../ingest/observation.js';
import { CameraRegistry, type CameraLiveState } from '../cameras/registry.js';
import { writeObservations } from '../storage/observations.js';
import { ClusterBus } from './bus.js';
import { CameraPublishers } from './camera-publishers.js';
import { LIVE_WITHIN_MS, Membership } from './membership.js';
import { DeviceOwnership } from './ownership.js';
import { PresenceSweep } from './presence.js';

const log = pino({ level: 'silent' });
let server: RedisServer;
let db: TestDatabase;
const instances: Instance[] = [];

interface Instance {
  id: string;
  redis: Redis;
  membership: Membership;
  ownership: DeviceOwnership;
  publishers: CameraPublishers;
  /** As kill -9: its connections to Redis end, its timers stamp no more. */
  kill(): void;
  stop(): Promise<void>;
}

async function startInstance(id: string, leads = false): Promise<Instance> {
  const redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
  const sub = new Redis(server.url, { maxRetriesPerRequest: 1 });
  for (const r of [redis, sub]) r.on('error', () => undefined);
  const bus = new ClusterBus(redis, sub, id, log);
  const membership = new Membership(redis, id, log);
  await membership.start();
  const ownership = new DeviceOwnership(redis, bus, membership, () => leads);
  await ownership.start();
  const instance: Instance = {
    id,
    redis,
    membership,
    ownership,
    publishers: new CameraPublishers(redis, id),
    kill() {
      redis.disconnect();
      sub.disconnect();
    },
    async stop() {
      await membership.stop();
      redis.disconnect();
      sub.disconnect();
    },
  };
  instances.push(instance);
  return instance;
}

const status = (deviceId: string, state: 'online' | 'offline', timeMs: number): Observation => ({
  type: 'status',
  deviceId,
  timeMs,
  state,
  batteryPct: null,
  signalDbm: null,
  attributes: {},
  source: 'broker',
});

async function stateOf(deviceId: string): Promise<{ state: string; timeMs: number } | null> {
  const { rows } = await db.pool.query<{ state: string; time: Date }>(
    'SELECT state, time FROM device_state WHERE device_id = $1',
    [deviceId],
  );
  return rows[0] ? { state: rows[0].state, timeMs: rows[0].time.getTime() } : null;
}

async function eventsOf(deviceId: string): Promise<string[]> {
  const { rows } = await db.pool.query<{ state: string }>(
    'SELECT state FROM device_events WHERE device_id = $1 ORDER BY time',
    [deviceId],
  );
  return rows.map((r) => r.state);
}

beforeAll(async () => {
  server = await startRedis();
  db = await migratedTestDatabase();
});

afterAll(async () => {
  for (const i of instances) await i.stop().catch(() => undefined);
  await server?.stop();
  await db?.drop();
});

describe('the sweep of a dead process', () => {
  it('marks offline what it left online, as of its last stamp, and nothing that moved, left or came back', async () => {
    // The leader has stamped steadily for LIVE_WITHIN_MS by the time X is taken for dead: it starts first.
    const leader = await startInstance('hub-leader', true);
    const b = await startInstance('hub-b');
    const x = await startInstance('hub-x');
    const cameras = new CameraRegistry(db.pool);
    for (const id of ['cam-x', 'cam-b', 'cam-r'])
      await cameras.create({ id, name: id, lon: 117, lat: 36.6, source: 'rtmp' });
    const heard: CameraLiveState[] = [];
    cameras.onLiveChange((c) => heard.push(c));

    // Devices connected to X a minute ago, and one later than its last stamp (between that and its death).
    const longAgo = Date.now() - 60_000;
    const justNow = Date.now() + 3000;
    const online = async (deviceId: string, atMs: number) => {
      await x.ownership.arrived(deviceId, atMs);
      await writeObservations(db.pool, [status(deviceId, 'online', atMs)]);
    };
    for (const id of ['dev-gone', 'dev-moved', 'dev-left', 'dev-raced', 'dev-after']) await online(id, longAgo);
    await online('dev-late', justNow);
    // dev-left disconnected from X before it died: X recorded it offline itself.
    await writeObservations(db.pool, [status('dev-left', 'offline', longAgo + 1000)]);
    for (const id of ['cam-x', 'cam-r']) {
      await x.publishers.started(id);
      await cameras.setStatus(id, 'online', longAgo);
    }
    await b.publishers.started('cam-b');
    await cameras.setStatus('cam-b', 'online', longAgo);

    x.kill();
    const lastBeat = (await leader.membership.lastBeats()).get('hub-x')!;
    expect(lastBeat).toBeGreaterThan(longAgo);
    // dev-moved reconnected to B before the sweep.
    await b.ownership.arrived('dev-moved');
    await writeObservations(db.pool, [status('dev-moved', 'online', Date.now())]);
    await waitFor('the leader to hear that dev-moved is on B', () => leader.ownership.ownerOf('dev-moved') === 'hub-b');
    // dev-raced reconnected to B too: its 'online' is stored, but B's claim has not reached Redis yet.
    const racedOnline = Date.now();
    await writeObservations(db.pool, [status('dev-raced', 'online', racedOnline)]);

    const recorded: Observation[] = [];
    const sweep = new PresenceSweep({
      membership: leader.membership,
      ownership: leader.ownership,
      publishers: leader.publishers,
      log,
      targets: {
        pool: db.pool,
        record: async (statuses) => {
          recorded.push(...statuses);
          await writeObservations(db.pool, statuses);
        },
        cameras: {
          setStatus: async (id, value, atMs) => {
            // cam-r starts publishing to B just as the sweep marks it offline: B's 'online' finds it still online.
            if (id === 'cam-r' && value === 'offline') {
              await b.publishers.started('cam-r');
              await cameras.setStatus('cam-r', 'online');
            }
            return cameras.setStatus(id, value, atMs);
          },
        },
      },
    });
    // X counts as gone once its last stamp is LIVE_WITHIN_MS old.
    await new Promise((r) => setTimeout(r, lastBeat + LIVE_WITHIN_MS + 200 - Date.now()));

    const result = await sweep.sweep();
    expect(result).toEqual({ gone: ['hub-x'], devicesOffline: 3, camerasOffline: 1 });
    expect(recorded.map((o) => [o.deviceId, o.type === 'status' && o.state, o.timeMs])).toEqual([
      ['dev-gone', 'offline', lastBeat],
      ['dev-after', 'offline', lastBeat],
      ['dev-late', 'offline', justNow + 1],
    ]);
    expect(await stateOf('dev-gone')).toEqual({ state: 'offline', timeMs: lastBeat });
    expect(await stateOf('dev-late')).toEqual({ state: 'offline', timeMs: justNow + 1 });
    expect((await stateOf('dev-moved'))?.state).toBe('online');
    expect(await stateOf('dev-raced')).toEqual({ state: 'online', timeMs: racedOnline });
    expect(await eventsOf('dev-left')).toEqual(['online', 'offline']);
    // dev-after reconnects elsewhere only now, after the sweep: its 'online' is newer than the sweep's 'offline'.
    await b.ownership.arrived('dev-after');
    await writeObservations(db.pool, [status('dev-after', 'online', Date.now())]);
    expect((await stateOf('dev-after'))?.state).toBe('online');

    // X holds nothing any more; B keeps what it claimed.
    const all = ['dev-gone', 'dev-moved', 'dev-left', 'dev-raced', 'dev-after', 'dev-late'];
    expect(await leader.ownership.stillOwnedBy('hub-x', all)).toEqual(new Map());
    expect([...(await leader.ownership.stillOwnedBy('hub-b', all)).keys()].sort()).toEqual(['dev-after', 'dev-moved']);
    expect(await leader.publishers.all()).toEqual(
      new Map([
        ['cam-b', 'hub-b'],
        ['cam-r', 'hub-b'],
      ]),
    );
    const byId = new Map((await cameras.liveStates()).map((c) => [c.id, c]));
    expect(byId.get('cam-x')).toMatchObject({ status: 'offline', statusChangedAt: new Date(lastBeat) });
    expect(byId.get('cam-b')?.status).toBe('online');
    expect(byId.get('cam-r')?.status).toBe('online');
    expect(heard.some((c) => c.id === 'cam-x' && c.status === 'offline')).toBe(true);

    // Once swept, X is not looked at again.
    expect(await sweep.sweep()).toEqual({ gone: [], devicesOffline: 0, camerasOffline: 0 });
  });

  it('tells a process the others took for dead, so that it announces its devices again', async () => {
    const r = await startInstance('hub-stalled');
    let rejoined = 0;
    r.membership.onRejoin(() => rejoined++);
    // Its stamp is gone, as Redis drops one that has not been renewed for minutes.
    await r.redis.zrem('cityhub:instances', 'hub-stalled');
    await waitFor('the process to find it was taken for dead', () => rejoined === 1, 5000);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(rejoined).toBe(1);
  });
});
