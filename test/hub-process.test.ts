// The hub as users run it: `node dist/hub/main.js`, configured by environment variables only.
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from './support/database.js';
import { connectDevice, provisionDevice } from './support/devices.js';
import { DEMO_MAIN, spawnHub, spawnProcess, waitHealthy } from './support/hub-process.js';
import { startOwnCluster } from './support/own-cluster.js';
import { freePort, waitFor } from './support/wait.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('the embedded default (no DATABASE_URL)', () => {
  it('starts a real PostgreSQL under DATA_DIR, serves /healthz, and keeps data across restarts', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cityhub-embedded-'));
    dirs.push(dataDir);
    const env = {
      DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: String(await freePort()),
      HTTP_PORT: String(await freePort()),
      MQTT_PORT: String(await freePort()),
      HTTP_HOST: '127.0.0.1',
      MQTT_HOST: '127.0.0.1',
      ADMIN_TOKEN: 'embedded-admin-token-0123456789',
      JT808_PORT: String(await freePort()),
    };
    // Two days ago, within the retention window whatever today is.
    const day = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10);
    const first = spawnHub(env);
    try {
      await waitHealthy(Number(env.HTTP_PORT), first, 120_000);
      expect(first.output()).toContain('no DATABASE_URL: using the embedded PostgreSQL');
      const health = await (await fetch(`http://127.0.0.1:${env.HTTP_PORT}/healthz`)).json();
      expect(health).toEqual({ status: 'ok', checks: { database: 'ok', broker: 'ok' } });

      const provisioned = await provisionDevice(`http://127.0.0.1:${env.HTTP_PORT}`, env.ADMIN_TOKEN, {
        id: 'veh-emb',
        kind: 'vehicle',
      });
      const client = await connectDevice(`mqtt://127.0.0.1:${env.MQTT_PORT}`, provisioned);
      const times = [`${day}T00:00:10Z`, `${day}T00:00:50Z`, `${day}T00:01:10Z`];
      for (const [i, time] of times.entries()) {
        await client.publishAsync(
          'devices/veh-emb/position',
          JSON.stringify({ time, lat: 36.66 + i / 1000, lon: 117.02 }),
          { qos: 1 },
        );
      }
      await client.endAsync();
      // Without TimescaleDB the bucketed track uses date_bin, with the same buckets as time_bucket.
      const track = (await (
        await fetch(
          `http://127.0.0.1:${env.HTTP_PORT}/api/devices/veh-emb/track?from=${day}T00:00:00Z&to=${day}T01:00:00Z&bucketS=60`,
        )
      ).json()) as { properties: { times: string[] } };
      expect(track.properties.times).toEqual([`${day}T00:00:50.000Z`, `${day}T00:01:10.000Z`]);
    } finally {
      expect(await first.stop()).toBe(0);
    }

    const second = spawnHub(env);
    try {
      await waitHealthy(Number(env.HTTP_PORT), second, 120_000);
      const latest = (await (await fetch(`http://127.0.0.1:${env.HTTP_PORT}/api/positions/latest`)).json()) as {
        features: { properties: { deviceId: string; time: string } }[];
      };
      expect(latest.features.map((f) => f.properties)).toContainEqual(
        expect.objectContaining({ deviceId: 'veh-emb', time: `${day}T00:01:10.000Z` }),
      );
    } finally {
      expect(await second.stop()).toBe(0);
    }
  }, 240_000);
});

describe('the demo (npm run demo)', () => {
  it('starts the hub on its embedded default and simulated vehicles appear on the map API', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cityhub-demo-'));
    dirs.push(dataDir);
    const httpPort = await freePort();
    const demo = spawnProcess(DEMO_MAIN, {
      DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: String(await freePort()),
      HTTP_PORT: String(httpPort),
      MQTT_PORT: String(await freePort()),
      HTTP_HOST: '127.0.0.1',
      MQTT_HOST: '127.0.0.1',
      SIM_VEHICLES: '5',
      SIM_JT808_VEHICLES: '2',
      JT808_PORT: String(await freePort()),
      SIM_INTERVAL_MS: '500',
    });
    try {
      const ids = await waitFor(
        'five MQTT vehicles and two JT/T 808 trucks on the map',
        async () => {
          if (demo.proc.exitCode !== null) throw new Error(`demo exited:\n${demo.output()}`);
          const res = await fetch(`http://127.0.0.1:${httpPort}/api/positions/latest`).catch(() => null);
          if (!res?.ok) return null;
          const body = (await res.json()) as { features: { properties: { deviceId: string } }[] };
          return body.features.length === 7 ? body.features.map((f) => f.properties.deviceId) : null;
        },
        120_000,
        500,
      );
      expect(ids).toEqual(['truck-001', 'truck-002', 'veh-001', 'veh-002', 'veh-003', 'veh-004', 'veh-005']);

      // The demo city: its users log in with the password the log shows, and the collector's reports are open cases,
      // geocoded into the demo grid and waiting for the acceptor.
      const password = await waitFor(
        'the demo city',
        () => /"password":"(demo-[0-9a-f]{12})"/.exec(demo.output())?.[1],
      );
      const login = await fetch(`http://127.0.0.1:${httpPort}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'acceptor', password }),
      });
      expect(login.status).toBe(200);
      const { token } = (await login.json()) as { token: string };
      const cases = (await (
        await fetch(`http://127.0.0.1:${httpPort}/api/cases?state=reported`, {
          headers: { authorization: `Bearer ${token}` },
        })
      ).json()) as { total: number; items: Array<{ area: { district: string } | null; source: string }> };
      expect(cases.total).toBe(3);
      expect(cases.items.map((c) => [c.source, c.area?.district])).toEqual(Array(3).fill(['collector', '370102']));
    } finally {
      expect(await demo.stop()).toBe(0);
    }
  }, 180_000);
});

describe('start-up errors name the setting to fix', () => {
  it('exits when MQTT_PORT is taken', async () => {
    const db = await createTestDatabase();
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const taken = (blocker.address() as net.AddressInfo).port;
    try {
      const hub = spawnHub({
        DATABASE_URL: db.url,
        MQTT_PORT: String(taken),
        MQTT_HOST: '127.0.0.1',
        HTTP_PORT: String(await freePort()),
        JT808_PORT: String(await freePort()),
      });
      expect(await hub.exited).toBe(1);
      expect(hub.output()).toContain(`MQTT_PORT ${taken} is already in use`);
    } finally {
      blocker.close();
      await db.drop();
    }
  });

  it('exits with every bad value listed', async () => {
    const hub = spawnHub({ HTTP_PORT: 'eighty', RETENTION_DAYS: '30', DATABASE_URL: 'mysql://x@y/z' });
    expect(await hub.exited).toBe(2);
    const out = hub.output();
    expect(out).toContain('HTTP_PORT must be a whole number');
    expect(out).toContain('RETENTION_DAYS must be from 400');
    expect(out).toContain('DATABASE_URL must start with postgres://');
  });
});

describe('a database that is not there yet at start', () => {
  it('waits for it, saying so, then starts and takes data', async () => {
    const cluster = startOwnCluster();
    try {
      await cluster.pause();
      const env = {
        DATABASE_URL: cluster.url,
        DATABASE_WAIT_S: '120',
        HTTP_PORT: String(await freePort()),
        MQTT_PORT: String(await freePort()),
        HTTP_HOST: '127.0.0.1',
        MQTT_HOST: '127.0.0.1',
        ADMIN_TOKEN: 'waiting-admin-token-0123456789',
        DATA_DIR: await mkdtemp(path.join(os.tmpdir(), 'cityhub-wait-')),
      };
      dirs.push(env.DATA_DIR);
      const hub = spawnHub(env);
      try {
        await waitFor('the hub to report the database unreachable', () =>
          hub.output().includes('database not reachable yet; retrying'),
        );
        expect(hub.proc.exitCode).toBeNull();
        await cluster.resume();
        await waitHealthy(Number(env.HTTP_PORT), hub, 60_000);
        expect(hub.output()).toContain('database reachable');
        const provisioned = await provisionDevice(`http://127.0.0.1:${env.HTTP_PORT}`, env.ADMIN_TOKEN, {
          id: 'veh-late-db',
          kind: 'vehicle',
        });
        const client = await connectDevice(`mqtt://127.0.0.1:${env.MQTT_PORT}`, provisioned);
        await client.publishAsync(
          'devices/veh-late-db/position',
          JSON.stringify({ time: new Date().toISOString(), lat: 36.66, lon: 117.02 }),
          { qos: 1 },
        );
        await client.endAsync();
        const latest = (await (await fetch(`http://127.0.0.1:${env.HTTP_PORT}/api/positions/latest`)).json()) as {
          features: { properties: { deviceId: string } }[];
        };
        expect(latest.features.map((f) => f.properties.deviceId)).toContain('veh-late-db');
      } finally {
        expect(await hub.stop()).toBe(0);
      }
    } finally {
      cluster.stop();
    }
  });

  it('stops at once on SIGTERM while waiting', async () => {
    const cluster = startOwnCluster();
    try {
      await cluster.pause();
      const hub = spawnHub({
        DATABASE_URL: cluster.url,
        HTTP_PORT: String(await freePort()),
        MQTT_PORT: String(await freePort()),
      });
      await waitFor('the hub to wait for the database', () =>
        hub.output().includes('database not reachable yet; retrying'),
      );
      expect(await hub.stop()).toBe(0);
      expect(hub.output()).toContain('stopped before the start completed');
    } finally {
      cluster.stop();
    }
  });

  it('fails at once when the database refuses the credentials', async () => {
    const db = await createTestDatabase();
    try {
      const url = new URL(db.url);
      url.username = 'no_such_role';
      const hub = spawnHub({
        DATABASE_URL: url.toString(),
        HTTP_PORT: String(await freePort()),
        MQTT_PORT: String(await freePort()),
      });
      expect(await hub.exited).toBe(1);
      expect(hub.output()).toMatch(/refused the hub: .*no_such_role/);
      expect(hub.output()).not.toContain('retrying');
    } finally {
      await db.drop();
    }
  });
});
