// 指标查询 the per-object queries: the base counts of every object of a kind (or one) over a period — the days that
// have ended from the daily aggregates, the day still running straight from the facts up to now, days to come not at
// all — or, to check the aggregates, everything straight from the facts. Both give the same numbers.
import type pg from 'pg';
import { COUNTERS, columnOf, counterSelectList, zeroCounts, type Counts } from './counters.js';
import { DAILY_RELATION } from './daily-aggregates.js';
import { dimensionOf, DIMENSIONS, type ObjectKind } from './objects.js';
import { addDays, dayStartMs, localDayOf, type Period } from './period.js';

type Queryable = Pick<pg.Pool, 'query'>;

/** Where counts are read from: the daily aggregates (and today's facts), or the facts alone. */
export type CountSource = 'aggregates' | 'facts';

export interface CountQuery {
  kind: ObjectKind;
  period: Pick<Period, 'from' | 'to' | 'startMs' | 'endMs'>;
  nowMs: number;
  /** One object only (its key: area code, department id, `component:0101`, user id for positions). */
  id?: string;
  source?: CountSource;
}

function toCounts(row: Record<string, unknown>): Counts {
  const counts = zeroCounts();
  for (const d of COUNTERS) counts[d.id] = Number(row[columnOf(d.id)] ?? 0);
  return counts;
}

function addInto(target: Map<string, Counts>, key: string, counts: Counts): void {
  const have = target.get(key);
  if (!have) {
    target.set(key, counts);
    return;
  }
  for (const id of Object.keys(counts)) have[id] = (have[id] ?? 0) + counts[id]!;
}

/** Facts in [fromMs, toMs] grouped by the object kind's key. */
async function factCounts(
  db: Queryable,
  kind: ObjectKind,
  fromMs: number,
  toMsInclusive: number,
  id: string | undefined,
): Promise<Map<string, Counts>> {
  const { dim, prefix } = dimensionOf(kind);
  const keyExpr = dim === 'city' ? "''" : `f.${DIMENSIONS[dim]}`;
  const { rows } = await db.query(
    `SELECT ${keyExpr} AS key,
       ${counterSelectList()}
     FROM evaluation_facts f
     WHERE f.at >= $1 AND f.at <= $2 AND ${keyExpr} IS NOT NULL
       AND ($3::text IS NULL OR ${keyExpr} = $3) AND starts_with(${keyExpr}, $4)
     GROUP BY 1`,
    [new Date(fromMs), new Date(toMsInclusive), id === undefined ? null : `${prefix}${id}`, prefix],
  );
  const out = new Map<string, Counts>();
  for (const r of rows) out.set(String(r.key).slice(prefix.length), toCounts(r));
  return out;
}

async function aggregateCounts(
  db: Queryable,
  kind: ObjectKind,
  fromDay: string,
  toDay: string,
  id: string | undefined,
): Promise<Map<string, Counts>> {
  const { dim, prefix } = dimensionOf(kind);
  const sums = COUNTERS.map((d) => `sum(${columnOf(d.id)}) AS ${columnOf(d.id)}`).join(', ');
  const { rows } = await db.query(
    `SELECT key, ${sums} FROM ${DAILY_RELATION}
      WHERE dim = $1 AND day >= $2::date AND day <= $3::date
        AND ($4::text IS NULL OR key = $4) AND starts_with(key, $5)
      GROUP BY key`,
    [dim, fromDay, toDay, id === undefined ? null : `${prefix}${id}`, prefix],
  );
  const out = new Map<string, Counts>();
  for (const r of rows) out.set(String(r.key).slice(prefix.length), toCounts(r));
  return out;
}

/** The base counts of the period per object of `kind` (objects without any fact are absent). */
export async function countsByObject(db: Queryable, q: CountQuery): Promise<Map<string, Counts>> {
  const { period, nowMs, kind, id } = q;
  const untilMs = Math.min(period.endMs - 1, nowMs);
  if (untilMs < period.startMs) return new Map();
  if ((q.source ?? 'aggregates') === 'facts') return factCounts(db, kind, period.startMs, untilMs, id);
  const today = localDayOf(nowMs);
  const lastEnded = period.to < today ? period.to : addDays(today, -1);
  const out = new Map<string, Counts>();
  if (lastEnded >= period.from) {
    for (const [key, counts] of await aggregateCounts(db, kind, period.from, lastEnded, id)) addInto(out, key, counts);
  }
  if (today >= period.from && today <= period.to) {
    for (const [key, counts] of await factCounts(db, kind, dayStartMs(today), nowMs, id)) addInto(out, key, counts);
  }
  return out;
}

/** One object's counts per local day of the period (days with nothing are zero), for trends. */
export async function dailyCounts(
  db: Queryable,
  q: Omit<CountQuery, 'period'> & { period: Pick<Period, 'from' | 'to' | 'days' | 'startMs' | 'endMs'> },
): Promise<{ day: string; counts: Counts }[]> {
  const { dim, prefix } = dimensionOf(q.kind);
  const key = q.kind === 'city' ? '' : `${prefix}${q.id ?? ''}`;
  const today = localDayOf(q.nowMs);
  const byDay = new Map<string, Counts>();
  if ((q.source ?? 'aggregates') === 'aggregates') {
    const sums = COUNTERS.map((d) => `${columnOf(d.id)}`).join(', ');
    const { rows } = await db.query(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, ${sums} FROM ${DAILY_RELATION}
        WHERE dim = $1 AND key = $2 AND day >= $3::date AND day <= $4::date AND day < $5::date`,
      [dim, key, q.period.from, q.period.to, today],
    );
    for (const r of rows) byDay.set(r.day, toCounts(r));
  }
  const out: { day: string; counts: Counts }[] = [];
  for (let i = 0; i < q.period.days; i++) {
    const day = addDays(q.period.from, i);
    if (day > today) break;
    const direct = q.source === 'facts' || day === today;
    let counts = byDay.get(day) ?? zeroCounts();
    if (direct) {
      const startMs = dayStartMs(day);
      const facts = await factCounts(
        db,
        q.kind,
        startMs,
        Math.min(dayStartMs(addDays(day, 1)) - 1, q.nowMs),
        q.kind === 'city' ? undefined : q.id,
      );
      counts = facts.get(q.kind === 'city' ? '' : (q.id ?? '')) ?? zeroCounts();
    }
    out.push({ day, counts });
  }
  return out;
}
