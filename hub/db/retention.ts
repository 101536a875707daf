// Data retention (数据保存期限): the time series — positions, telemetry, device events, video detections — are kept
// RETENTION_DAYS (>= 400, guideline art.41) and then removed.
// TimescaleDB's community licence has a retention policy job; the Apache edition has only drop_chunks, so the hub runs
// it on a daily timer; a plain PostgreSQL gets a DELETE on the same timer.
import type pg from 'pg';
import type { Logger } from 'pino';
import type { DatabaseFeatures } from './pool.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** The time-series tables (hypertables on TimescaleDB), each with a `time` column. */
export const TIME_SERIES_TABLES = ['positions', 'telemetry', 'device_events', 'detections'] as const;

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
    for (const table of TIME_SERIES_TABLES) {
      await pool.query(`SELECT add_retention_policy($1::regclass, $2::interval, if_not_exists => true)`, [
        table,
        interval,
      ]);
    }
    log.info({ retentionDays, tables: TIME_SERIES_TABLES }, 'retention: TimescaleDB retention policies');
    return { mode: 'policy', runOnce: async () => 0, stop: () => undefined };
  }
  const mode = features.timescale ? 'drop_chunks' : 'delete';
  const runOnce = async (): Promise<number> => {
    let removed = 0;
    for (const table of TIME_SERIES_TABLES) {
      // The table names are our own constants, never input.
      const { rowCount } =
        mode === 'drop_chunks'
          ? await pool.query(`SELECT drop_chunks('${table}', older_than => $1::interval)`, [interval])
          : await pool.query(`DELETE FROM ${table} WHERE time < now() - $1::interval`, [interval]);
      removed += rowCount ?? 0;
    }
    return removed;
  };
  const pass = () =>
    runOnce().then(
      (removed) => log.info({ mode, retentionDays, removed }, 'retention pass done'),
      (err: unknown) => log.error({ err, mode }, 'retention pass failed; will retry at the next daily run'),
    );
  void pass();
  const timer = setInterval(pass, DAY_MS);
  timer.unref();
  log.info({ retentionDays, mode, tables: TIME_SERIES_TABLES }, 'retention: daily timer');
  return { mode, runOnce, stop: () => clearInterval(timer) };
}
