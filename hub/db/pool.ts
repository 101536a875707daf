// Database connection pool (数据库连接池) and the server's capabilities, detected once.
import pg from 'pg';
import type { Logger } from 'pino';

export type Pool = pg.Pool;

export function createPool(url: string, log: Logger): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    application_name: 'cityhub',
    // A database that stops answering (a network drop) must fail writes in bounded time, so the ingest path falls
    // back to the local spool instead of holding every device's acknowledgement indefinitely.
    connectionTimeoutMillis: 5000,
    query_timeout: 20_000,
  });
  survivesLostConnections(pool, (err, idle) =>
    log.warn({ err: err.message }, idle ? 'idle database connection lost' : 'database connection lost'),
  );
  return pool;
}

/**
 * A connection lost while idle in the pool (pool 'error') or while checked out (client 'error', emitted besides
 * failing the client's queries) must not crash the process: the queries fail, the caller handles that, and the pool
 * opens a new connection next time. (Without a listener, either event is an uncaught exception.)
 */
export function survivesLostConnections(pool: pg.Pool, lost: (err: Error, idle: boolean) => void): void {
  pool.on('error', (err) => lost(err, true));
  pool.on('connect', (client) => client.on('error', (err) => lost(err, false)));
}

/** Runs `work` in one transaction on one connection: committed if it resolves, rolled back if it throws. */
export async function withTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

export interface DatabaseFeatures {
  /** TimescaleDB is installed in this database. */
  timescale: boolean;
  /** `apache` or `timescale` (community licence: retention policies, compression), when TimescaleDB is present. */
  timescaleLicense: 'apache' | 'timescale' | null;
  serverVersion: string;
}

export async function detectFeatures(pool: pg.Pool): Promise<DatabaseFeatures> {
  const { rows } = await pool.query<{ ext: string | null; version: string }>(
    `SELECT (SELECT extversion FROM pg_extension WHERE extname = 'timescaledb') AS ext,
            current_setting('server_version') AS version`,
  );
  const row = rows[0]!;
  if (row.ext === null) return { timescale: false, timescaleLicense: null, serverVersion: row.version };
  const license = await pool.query<{ license: string }>(
    `SELECT current_setting('timescaledb.license', true) AS license`,
  );
  return {
    timescale: true,
    timescaleLicense: license.rows[0]?.license === 'timescale' ? 'timescale' : 'apache',
    serverVersion: row.version,
  };
}

/** The SQL expression that buckets `column` by `intervalParam`: time_bucket on TimescaleDB, date_bin elsewhere. */
export function timeBucketSql(features: DatabaseFeatures, intervalParam: string, column: string): string {
  return features.timescale
    ? `time_bucket(${intervalParam}::interval, ${column})`
    : // time_bucket's default origin (Monday 2000-01-03) so both give the same buckets
      `date_bin(${intervalParam}::interval, ${column}, TIMESTAMPTZ '2000-01-03 00:00:00+00')`;
}
