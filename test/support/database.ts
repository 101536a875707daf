// A fresh database per test file on the real test cluster, so files don't see each other's rows.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { migrate } from '../../hub/db/migrate.js';
import { survivesLostConnections } from '../../hub/db/pool.js';

export interface TestDatabase {
  url: string;
  pool: pg.Pool;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const clusterUrl = inject('databaseUrl');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: clusterUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(clusterUrl);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 4 });
  // As the hub's own pool: a connection the server ends (the database dropped at the end, the cluster stopped) is
  // not an uncaught exception in whatever test happens to run then.
  survivesLostConnections(pool, () => undefined);
  return {
    url: url.toString(),
    pool,
    async drop() {
      await pool.end();
      const c = new pg.Client({ connectionString: clusterUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** A fresh test database with every migration applied. */
export async function migratedTestDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  await migrate(db.pool);
  return db;
}
