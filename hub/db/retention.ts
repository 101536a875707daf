// Data retention (数据保存期限): positions are kept RETENTION_DAYS (>= 400, guideline art.41) and then removed.
// TimescaleDB's community licence has a retention policy job; the Apache edition has only drop_chunks, so the hub runs
// it on a daily timer; a plain PostgreSQL gets a DELETE on the same timer.
import type pg from 'pg';
import type { Logger } from 'pino';
import type { DatabaseFeatures } from './pool.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface Retention {
  /** How old data is removed here: 'policy' (TimescaleDB job), 'drop_chunks' or 'delete' (hub timer). */
  mode: 'policy' | 'drop_chunks' | 'delete';
  /** Runs one pass now (timer modes); resolves to the number of chunks or rows removed. */
  runOnce(): Promise<number>;
  stop(): void;
}

export async function startRetention(
  pool: pg.Pool,
  features: DatabaseFeatures,
  retentionDays: number,
  log: Logger,
): Promise<Retention> {
  const interval = `${retentionDays} days`;
  if (features.timescaleLicense === 'timescale') {
    await pool.query(`SELECT add_retention_policy('positions', $1::interval, if_not_exists => true)`, [interval]);
    log.info({ retentionDays }, 'retention: TimescaleDB retention policy on positions');
    return { mode: 'policy', runOnce: async () => 0, stop: () => undefined };
  }
  const mode = features.timescale ? 'drop_chunks' : 'delete';
  const runOnce = async (): Promise<number> => {
    if (mode === 'drop_chunks') {
      const { rowCount } = await pool.query(`SELECT drop_chunks('positions', older_than => $1::interval)`, [interval]);
      return rowCount ?? 0;
    }
    const { rowCount } = await pool.query(`DELETE FROM positions WHERE time < now() - $1::interval`, [interval]);
    return rowCount ?? 0;
  };
  const pass = () =>
    runOnce().then(
      (removed) => log.info({ mode, retentionDays, removed }, 'retention pass done'),
      (err: unknown) => log.error({ err, mode }, 'retention pass failed; will retry at the next daily run'),
    );
  void pass();
  const timer = setInterval(pass, DAY_MS);
  timer.unref();
  log.info({ retentionDays, mode }, 'retention: daily timer on positions');
  return { mode, runOnce, stop: () => clearInterval(timer) };
}
