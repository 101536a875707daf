// Migrations and retention against the real TimescaleDB test cluster.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { loadMigrations, migrate } from './migrate.js';
import { detectFeatures } from './pool.js';
import { startRetention } from './retention.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

describe('migrations', () => {
  it('apply once, in order, and are recorded', async () => {
    const all = await loadMigrations();
    expect(all.map((m) => m.version)).toEqual([...all.map((m) => m.version)].sort());
    expect(await migrate(db.pool)).toEqual(all.map((m) => m.version));
    expect(await migrate(db.pool)).toEqual([]);
    const { rows } = await db.pool.query('SELECT version FROM schema_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual(all.map((m) => m.version));
  });

  it('two hubs migrating at once do not race', async () => {
    const other = await createTestDatabase();
    try {
      const [a, b] = await Promise.all([migrate(other.pool), migrate(other.pool)]);
      expect([...a, ...b].sort()).toEqual((await loadMigrations()).map((m) => m.version));
    } finally {
      await other.drop();
    }
  });

  it('refuse to run when an applied migration was edited', async () => {
    const edited = (await loadMigrations()).map((m, i) => (i === 0 ? { ...m, checksum: 'x' } : m));
    await expect(migrate(db.pool, edited)).rejects.toThrow('was changed after it was applied');
  });

  it('roll back a failing migration entirely', async () => {
    const all = await loadMigrations();
    const bad = { version: '999', name: 'bad', sql: 'CREATE TABLE half_done (x int); SELECT 1/0;', checksum: 'b' };
    await expect(migrate(db.pool, [...all, bad])).rejects.toThrow('migration 999_bad.sql failed');
    const { rows } = await db.pool.query(`SELECT to_regclass('half_done') AS t`);
    expect(rows[0].t).toBeNull();
  });
});

describe('retention on the Apache edition', () => {
  it('drops chunks older than the retention period on its timer and keeps recent ones', async () => {
    const features = await detectFeatures(db.pool);
    expect(features).toMatchObject({ timescale: true, timescaleLicense: 'apache' });
    await db.pool.query(`INSERT INTO positions (time, device_id, lat, lon, source) VALUES
      (now() - interval '500 days', 'old', 36.6, 117, 'mqtt'),
      (now() - interval '10 days', 'recent', 36.6, 117, 'mqtt')`);
    await db.pool.query(`INSERT INTO detections (time, camera_id, class, score, box_x, box_y, box_width, box_height,
        frame_width, frame_height) VALUES
      (now() - interval '500 days', 'old', 'car', 0.9, 0, 0, 10, 10, 320, 240),
      (now() - interval '10 days', 'recent', 'car', 0.9, 0, 0, 10, 10, 320, 240)`);
    const retention = await startRetention(db.pool, features, 400, pino({ level: 'silent' }));
    try {
      expect(retention.mode).toBe('drop_chunks');
      await retention.runOnce();
      const { rows } = await db.pool.query('SELECT device_id FROM positions ORDER BY device_id');
      expect(rows.map((r) => r.device_id)).toEqual(['recent']);
      const detections = await db.pool.query('SELECT camera_id FROM detections');
      expect(detections.rows.map((r) => r.camera_id)).toEqual(['recent']);
    } finally {
      retention.stop();
    }
  });
});
