// 日汇总 the daily aggregates of the evaluation facts: per local day (China Standard Time), per dimension (the city,
// each district, street, community, cell, class, department and person) one row with every base count. Where the
// TimescaleDB licence allows continuous aggregates they are that (one per dimension, refreshed for the days whose facts
// changed); otherwise — the Apache edition, or a plain PostgreSQL such as the embedded default — a rollup table the
// hub maintains the same way. Both are read as `evaluation_daily` and built from the same SELECT, so answers do not
// depend on which one runs. The relation is (re)built from the count definitions whenever they change (a hash).
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { DatabaseFeatures } from '../db/pool.js';
import { COUNTERS, columnOf, counterSelectList } from './counters.js';
import { DIMENSIONS, type Dimension } from './objects.js';
import { addDays, dayStartMs, EVALUATION_TIME_ZONE, localDayOf } from './period.js';

export type AggregateStrategy = 'continuous' | 'rollup';

const STATE_KEY = 'daily_aggregates';
const LOCK_KEY = 0x6576616c64617931n; // "evalday1"
export const DAILY_RELATION = 'evaluation_daily';
const TZ = `'${EVALUATION_TIME_ZONE}'`;

/** Continuous aggregates need TimescaleDB's community licence; the Apache edition and PostgreSQL get the rollup. */
export function strategyFor(features: Pick<DatabaseFeatures, 'timescale' | 'timescaleLicense'>): AggregateStrategy {
  return features.timescale && features.timescaleLicense === 'timescale' ? 'continuous' : 'rollup';
}

/** The day bucket of a fact: time_bucket on TimescaleDB, date_trunc (same local midnight) elsewhere. */
export function bucketSql(timescale: boolean, column = 'f.at'): string {
  return timescale ? `time_bucket('1 day', ${column}, ${TZ})` : `date_trunc('day', ${column}, ${TZ})`;
}

const DIMS = Object.keys(DIMENSIONS) as Dimension[];
const keyColumnOf = (dim: Dimension) => (dim === 'city' ? null : DIMENSIONS[dim]);
const countColumns = () => COUNTERS.map((d) => columnOf(d.id));

function definitionHash(strategy: AggregateStrategy, timescale: boolean): string {
  return createHash('sha256')
    .update(JSON.stringify({ strategy, timescale, counters: counterSelectList(), dims: DIMENSIONS, v: 1 }))
    .digest('hex');
}

/** SELECT of one dimension's daily rows (bucket, key, counts) over the facts — the continuous aggregates' body. */
function dimensionSelect(dim: Dimension, timescale: boolean): string {
  const key = keyColumnOf(dim);
  return `SELECT ${bucketSql(timescale)} AS bucket${key ? `, f.${key} AS key` : ''},
  ${counterSelectList()}
FROM evaluation_facts f${key ? `\nWHERE f.${key} IS NOT NULL` : ''}
GROUP BY bucket${key ? ', key' : ''}`;
}

/** The rollup's INSERT … SELECT for facts in [$1, $2): every dimension at once (one scan, fanned out). */
function rollupInsert(timescale: boolean): string {
  const fan = DIMS.map((d) => `('${d}', ${keyColumnOf(d) ? `f.${keyColumnOf(d)}` : "''"})`).join(', ');
  return `INSERT INTO ${DAILY_RELATION} (day, dim, key, ${countColumns().join(', ')})
SELECT (f.bucket AT TIME ZONE ${TZ})::date, f.dim, f.key,
  ${counterSelectList()}
FROM (
  SELECT ${bucketSql(timescale)} AS bucket, d.dim, d.key, f.kind, f.on_time, f.done, f.valid, f.source
    FROM evaluation_facts f CROSS JOIN LATERAL (VALUES ${fan}) AS d(dim, key)
   WHERE f.at >= $1 AND f.at < $2 AND d.key IS NOT NULL
) f
GROUP BY f.bucket, f.dim, f.key`;
}

export class DailyAggregates {
  readonly strategy: AggregateStrategy;
  private readonly timescale: boolean;
  private refreshing: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly pool: pg.Pool,
    features: Pick<DatabaseFeatures, 'timescale' | 'timescaleLicense'>,
  ) {
    this.strategy = strategyFor(features);
    this.timescale = features.timescale;
  }

  /**
   * Makes `evaluation_daily` match the current definitions: nothing when it already does; otherwise drops what was
   * there, builds the table or the continuous aggregates, and marks every day with facts for (re)computation.
   * Returns whether it rebuilt.
   */
  async ensure(): Promise<boolean> {
    const hash = definitionHash(this.strategy, this.timescale);
    const client = await this.pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY.toString()]);
      const { rows } = await client.query<{ value: string }>('SELECT value FROM evaluation_state WHERE key = $1', [
        STATE_KEY,
      ]);
      if (rows[0]?.value === hash && (await this.relationKind(client)) !== null) return false;
      await this.drop(client);
      if (this.strategy === 'rollup') {
        await client.query(`CREATE TABLE ${DAILY_RELATION} (
          day date NOT NULL,
          dim text NOT NULL,
          key text NOT NULL,
          ${countColumns()
            .map((c) => `${c} integer NOT NULL DEFAULT 0`)
            .join(',\n          ')},
          PRIMARY KEY (dim, day, key)
        )`);
      } else {
        for (const dim of DIMS) {
          await client.query(
            `CREATE MATERIALIZED VIEW ${DAILY_RELATION}_${dim.toLowerCase()}
               WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS
             ${dimensionSelect(dim, true)} WITH NO DATA`,
          );
        }
        const union = DIMS.map(
          (dim) =>
            `SELECT (bucket AT TIME ZONE ${TZ})::date AS day, '${dim}'::text AS dim, ${keyColumnOf(dim) ? 'key' : "''::text AS key"}, ${countColumns().join(', ')} FROM ${DAILY_RELATION}_${dim.toLowerCase()}`,
        ).join('\nUNION ALL\n');
        await client.query(`CREATE VIEW ${DAILY_RELATION} AS ${union}`);
      }
      await client.query(
        `INSERT INTO evaluation_dirty_days (day)
         SELECT DISTINCT (at AT TIME ZONE ${TZ})::date FROM evaluation_facts ON CONFLICT DO NOTHING`,
      );
      await client.query(
        `INSERT INTO evaluation_state (key, value) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
        [STATE_KEY, hash],
      );
      return true;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY.toString()]).catch(() => undefined);
      client.release();
    }
  }

  /** 'r' (the rollup table), 'v' (the view over continuous aggregates) or null (not built). */
  private async relationKind(db: Pick<pg.PoolClient, 'query'>): Promise<string | null> {
    const { rows } = await db.query<{ relkind: string }>(
      `SELECT relkind FROM pg_class WHERE relname = $1 AND relnamespace = current_schema()::regnamespace`,
      [DAILY_RELATION],
    );
    return rows[0]?.relkind ?? null;
  }

  private async drop(client: pg.PoolClient): Promise<void> {
    const kind = await this.relationKind(client);
    if (kind === 'r') await client.query(`DROP TABLE ${DAILY_RELATION}`);
    if (kind === 'v') await client.query(`DROP VIEW ${DAILY_RELATION}`);
    const { rows } = await client.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_class c WHERE c.relkind = 'v' AND c.relname LIKE $1
         AND c.relnamespace = current_schema()::regnamespace`,
      [`${DAILY_RELATION}\\_%`],
    );
    for (const r of rows) await client.query(`DROP MATERIALIZED VIEW IF EXISTS ${r.name} CASCADE`);
  }

  /**
   * Computes again the dirty days that have ended by `nowMs` (the day still running is always read from the facts),
   * at most `maxDays` of them, oldest first; `within` limits it to a range of days. Returns the days done.
   */
  refresh(nowMs: number, within?: { from: string; to: string }, maxDays = 400): Promise<number> {
    // One refresh at a time in this process: a query must not read a day another refresh is still rewriting (it
    // would skip the locked day and read the old rows). Other hub processes may still race; see SKIP LOCKED below.
    const run = this.refreshing.then(() => this.refreshNow(nowMs, within, maxDays));
    this.refreshing = run.catch(() => 0);
    return run;
  }

  private async refreshNow(nowMs: number, within: { from: string; to: string } | undefined, maxDays: number) {
    const today = localDayOf(nowMs);
    let done = 0;
    while (done < maxDays) {
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
        const { rows } = await client.query<{ day: string }>(
          `SELECT to_char(day, 'YYYY-MM-DD') AS day FROM evaluation_dirty_days
            WHERE day < $1::date AND ($2::date IS NULL OR day >= $2) AND ($3::date IS NULL OR day <= $3)
            ORDER BY day LIMIT 1 FOR UPDATE SKIP LOCKED`,
          [today, within?.from ?? null, within?.to ?? null],
        );
        const day = rows[0]?.day ?? null;
        if (day === null) {
          await client.query('COMMIT');
          return done;
        }
        const start = new Date(dayStartMs(day));
        const end = new Date(dayStartMs(addDays(day, 1)));
        if (this.strategy === 'rollup') {
          await client.query(`DELETE FROM ${DAILY_RELATION} WHERE day = $1`, [day]);
          await client.query(rollupInsert(this.timescale), [start, end]);
          await client.query('DELETE FROM evaluation_dirty_days WHERE day = $1', [day]);
          await client.query('COMMIT');
        } else {
          // refresh_continuous_aggregate cannot run inside a transaction: unmark first (a change meanwhile marks the
          // day again), then refresh each dimension.
          await client.query('DELETE FROM evaluation_dirty_days WHERE day = $1', [day]);
          await client.query('COMMIT');
          try {
            for (const dim of DIMS) {
              await client.query(`CALL refresh_continuous_aggregate($1, $2::timestamptz, $3::timestamptz)`, [
                `${DAILY_RELATION}_${dim.toLowerCase()}`,
                start,
                end,
              ]);
            }
          } catch (err) {
            await client.query('INSERT INTO evaluation_dirty_days (day) VALUES ($1) ON CONFLICT DO NOTHING', [day]);
            throw err;
          }
        }
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
      done += 1;
    }
    return done;
  }

  /** Dirty days that have ended, waiting to be computed (all processes). */
  async pendingDays(nowMs: number): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM evaluation_dirty_days WHERE day < $1::date',
      [localDayOf(nowMs)],
    );
    return Number(rows[0]!.n);
  }
}
