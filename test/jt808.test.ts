// JT/T 808 terminals end to end: the terminal simulator (a real TCP client of the protocol) → the hub's gateway →
// the same pipeline as MQTT → TimescaleDB, the live map and the command API. Nothing is mocked.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startJt808Terminals, terminalPhone, type Jt808Terminals } from '../devices/jt808-terminal.js';
import type { RunningHub } from '../hub/hub.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { adminHeaders, provisionDevice } from './support/devices.js';
import { startInProcessHub } from './support/in-process-hub.js';
import { waitFor } from './support/wait.js';

const ADMIN_TOKEN = 'jt808-admin-token-0123456789';
const PREFIX = '0138';
let db: TestDatabase;
let hub: RunningHub;
let dataDir: string;
let http: string;
let terminals: Jt808Terminals | undefined;

const count = async (deviceId: string) =>
  Number(
    (await db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM positions WHERE device_id = $1`, [deviceId]))
      .rows[0]!.n,
  );

beforeAll(async () => {
  db = await createTestDatabase();
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'cityhub-jt808-'));
  hub = await startInProcessHub({ DATABASE_URL: db.url, DATA_DIR: dataDir, ADMIN_TOKEN });
  http = `http://127.0.0.1:${hub.httpPort}`;
  // Terminals 1 and 2 are registered devices; terminal 3 is not.
  for (const n of [1, 2]) {
    await provisionDevice(http, ADMIN_TOKEN, {
      id: `truck-${n}`,
      kind: 'vehicle',
      plate: `鲁A0000${n}`,
      attributes: { jt808Phone: terminalPhone(PREFIX, n) },
    });
  }
});

afterAll(async () => {
  await terminals?.stop();
  await hub?.close();
  await db?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('JT/T 808 gateway in the hub', () => {
  it('registers known terminals, stores their positions, keeps blind-area re-sends in time, and sends commands', async () => {
    terminals = startJt808Terminals({
      host: '127.0.0.1',
      port: hub.jt808Port,
      count: 3,
      intervalMs: 200,
      phonePrefix: PREFIX,
      logger: pino({ level: 'silent' }),
    });
    await waitFor('two terminals online', () => terminals!.stats().authenticated >= 2, 20_000);
    await waitFor(
      'positions from both trucks',
      async () => (await count('truck-1')) >= 3 && (await count('truck-2')) >= 3,
    );
    // The unregistered terminal never gets in.
    expect(terminals.terminals().find((t) => t.phone === terminalPhone(PREFIX, 3))?.state).not.toBe('online');

    // A coverage gap on truck-1: its fixes are buffered and re-sent as a 0x0704 blind-area batch with their own times.
    const latestBefore = await db.pool.query(`SELECT time FROM latest_positions WHERE device_id = 'truck-1'`);
    const before = await count('truck-1');
    terminals.gap(1500, 0);
    await waitFor('the blind-area batch', async () => terminals!.stats().resent > 0, 20_000);
    await waitFor('re-sent fixes stored', async () => (await count('truck-1')) >= before + 5, 20_000);
    const { rows } = await db.pool.query<{ time: Date; received_at: Date; attributes: { batchType?: number } }>(
      `SELECT time, received_at, attributes FROM positions WHERE device_id = 'truck-1' AND (attributes ->> 'batchType') = '1'`,
    );
    expect(rows.length).toBeGreaterThan(0);
    // Stored with the time of the fix, which is well before it reached the hub.
    for (const r of rows) expect(r.received_at.getTime() - r.time.getTime()).toBeGreaterThan(200);
    const latestAfter = await db.pool.query(`SELECT time FROM latest_positions WHERE device_id = 'truck-1'`);
    expect(latestAfter.rows[0].time.getTime()).toBeGreaterThanOrEqual(latestBefore.rows[0].time.getTime());

    // 0x8103 through the same command API as MQTT devices; the terminal's 0x0001 answer closes it.
    const send = await fetch(`${http}/api/devices/truck-2/commands`, {
      method: 'POST',
      headers: adminHeaders(ADMIN_TOKEN),
      body: JSON.stringify({ kind: 'set_report_interval', params: { intervalS: 7 } }),
    });
    expect(send.status).toBe(202);
    const { id } = (await send.json()) as { id: string };
    const status = await waitFor('command answered', async () => {
      const c = (await (
        await fetch(`${http}/api/devices/truck-2/commands/${id}`, { headers: adminHeaders(ADMIN_TOKEN) })
      ).json()) as { status: string };
      return c.status === 'ok' ? c.status : null;
    });
    expect(status).toBe('ok');
    expect(terminals.terminals().find((t) => t.phone === terminalPhone(PREFIX, 2))?.intervalMs).toBe(7000);

    const metrics = await (await fetch(`${http}/metrics`)).text();
    expect(metrics).toMatch(/cityhub_jt808_connections\{state="authenticated"\} 2/);
  }, 90_000);

  it('shows the trucks online while their terminals are connected, and offline once they are gone', async () => {
    const stateOf = async (deviceId: string) =>
      (await db.pool.query<{ state: string }>(`SELECT state FROM device_state WHERE device_id = $1`, [deviceId]))
        .rows[0]?.state;
    const latestState = async (deviceId: string) => {
      const body = (await (await fetch(`${http}/api/positions/latest`)).json()) as {
        features: { properties: { deviceId: string; state: string | null } }[];
      };
      return body.features.find((f) => f.properties.deviceId === deviceId)?.properties.state;
    };
    expect(await stateOf('truck-1')).toBe('online');
    expect(await stateOf('truck-2')).toBe('online');
    expect(await latestState('truck-1')).toBe('online');
    await terminals!.stop();
    terminals = undefined;
    await waitFor('both trucks offline', async () =>
      (await stateOf('truck-1')) === 'offline' && (await stateOf('truck-2')) === 'offline' ? true : null,
    );
    expect(await latestState('truck-2')).toBe('offline');
  }, 30_000);
});

describe('JT/T 808 auto-provisioning (JT808_AUTO_PROVISION=true)', () => {
  it('registers an unknown terminal as a new vehicle and stores its positions', async () => {
    const other = await createTestDatabase();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cityhub-jt808-auto-'));
    const autoHub = await startInProcessHub({
      DATABASE_URL: other.url,
      DATA_DIR: dir,
      ADMIN_TOKEN,
      JT808_AUTO_PROVISION: 'true',
    });
    const fleet = startJt808Terminals({
      host: '127.0.0.1',
      port: autoHub.jt808Port,
      count: 1,
      intervalMs: 200,
      phonePrefix: '0177',
      logger: pino({ level: 'silent' }),
    });
    try {
      const deviceId = `jt808-${terminalPhone('0177', 1)}`;
      await waitFor(
        'positions from the new terminal',
        async () =>
          Number(
            (await other.pool.query(`SELECT count(*) AS n FROM positions WHERE device_id = $1`, [deviceId])).rows[0].n,
          ) > 0,
        20_000,
      );
      const { rows } = await other.pool.query(`SELECT kind, attributes FROM devices WHERE id = $1`, [deviceId]);
      expect(rows[0]).toMatchObject({
        kind: 'vehicle',
        attributes: { jt808Phone: terminalPhone('0177', 1), autoProvisioned: true },
      });
    } finally {
      await fleet.stop();
      await autoHub.close();
      await other.drop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
