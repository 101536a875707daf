// 工作日历存储 the working calendar in the database: the settings row and each year's holidays and adjusted working
// days (调休), loaded into a WorkingCalendar; the shipped State Council years are imported once into an empty database.
import type pg from 'pg';
import cn2026 from './data/calendar-cn-2026.json' with { type: 'json' };
import {
  CalendarError,
  DEFAULT_SETTINGS,
  WorkingCalendar,
  validateDays,
  validateSettings,
  type CalendarSettings,
  type IsoWeekday,
  type SpecialDay,
  type WorkingPeriod,
} from './calendar.js';

export interface CalendarYear {
  year: number;
  /** Where the dates come from (e.g. the State Council's notice). */
  source: string;
  /** What is uncertain about them, or other remarks. */
  note: string;
  days: SpecialDay[];
}

export interface CalendarYearSummary {
  year: number;
  source: string;
  note: string;
  holidays: number;
  workdays: number;
  updatedAt: Date;
}

/** The years the product ships (hub/cases/data/calendar-cn-YYYY.json). */
export const SHIPPED_YEARS: readonly CalendarYear[] = [cn2026].map((f) => ({
  year: f.year,
  source: f.source,
  note: f.uncertain,
  days: f.days as SpecialDay[],
}));

type Queryable = pg.Pool | pg.PoolClient;

export async function loadSettings(db: Queryable): Promise<CalendarSettings> {
  const { rows } = await db.query<{ time_zone: string; working_periods: WorkingPeriod[]; weekend_days: number[] }>(
    'SELECT time_zone, working_periods, weekend_days FROM calendar_settings',
  );
  const row = rows[0];
  if (!row) return structuredClone(DEFAULT_SETTINGS);
  return {
    timeZone: row.time_zone,
    workingPeriods: row.working_periods,
    weekendDays: row.weekend_days as IsoWeekday[],
  };
}

async function loadDays(db: Queryable, year?: number): Promise<SpecialDay[]> {
  const { rows } = await db.query<{
    date: string;
    kind: SpecialDay['kind'];
    name: string;
    working_periods: WorkingPeriod[] | null;
  }>(
    `SELECT to_char(day, 'YYYY-MM-DD') AS date, kind, name, working_periods FROM calendar_days
     WHERE $1::smallint IS NULL OR year = $1 ORDER BY day`,
    [year ?? null],
  );
  return rows.map((r) => ({
    date: r.date,
    kind: r.kind,
    name: r.name,
    ...(r.working_periods ? { workingPeriods: r.working_periods } : {}),
  }));
}

/** The city's calendar as stored now (the default settings when none were stored). */
export async function loadCalendar(pool: pg.Pool): Promise<WorkingCalendar> {
  const [settings, days] = await Promise.all([loadSettings(pool), loadDays(pool)]);
  return new WorkingCalendar({ settings, days });
}

export async function listYears(pool: pg.Pool): Promise<CalendarYearSummary[]> {
  const { rows } = await pool.query<{
    year: number;
    source: string;
    note: string;
    holidays: number;
    workdays: number;
    updated_at: Date;
  }>(
    `SELECT y.year, y.source, y.note, y.updated_at,
            count(d.day) FILTER (WHERE d.kind = 'holiday')::int AS holidays,
            count(d.day) FILTER (WHERE d.kind = 'workday')::int AS workdays
     FROM calendar_years y LEFT JOIN calendar_days d ON d.year = y.year
     GROUP BY y.year ORDER BY y.year`,
  );
  return rows.map((r) => ({
    year: r.year,
    source: r.source,
    note: r.note,
    holidays: r.holidays,
    workdays: r.workdays,
    updatedAt: r.updated_at,
  }));
}

/** One year's special days, or null when the year was never imported. */
export async function getYear(pool: pg.Pool, year: number): Promise<CalendarYear | null> {
  const { rows } = await pool.query<{ source: string; note: string }>(
    'SELECT source, note FROM calendar_years WHERE year = $1',
    [year],
  );
  if (!rows[0]) return null;
  return { year, source: rows[0].source, note: rows[0].note, days: await loadDays(pool, year) };
}

async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (e) {
    await client.query('ROLLBACK');
    throw e;
  } finally {
    client.release();
  }
}

export async function putSettings(pool: pg.Pool, settings: CalendarSettings): Promise<CalendarSettings> {
  const issues = validateSettings(settings);
  if (issues.length) throw new CalendarError('invalid calendar settings', issues);
  await writeSettings(pool, settings);
  return loadSettings(pool);
}

async function writeSettings(db: Queryable, settings: CalendarSettings, onlyIfMissing = false): Promise<void> {
  await db.query(
    `INSERT INTO calendar_settings (id, time_zone, working_periods, weekend_days) VALUES (true, $1, $2, $3)
     ON CONFLICT (id) DO ${onlyIfMissing ? 'NOTHING' : 'UPDATE SET time_zone = EXCLUDED.time_zone, working_periods = EXCLUDED.working_periods, weekend_days = EXCLUDED.weekend_days, updated_at = now()'}`,
    [settings.timeZone, JSON.stringify(settings.workingPeriods), settings.weekendDays],
  );
}

async function writeYear(client: pg.PoolClient, data: CalendarYear): Promise<void> {
  await client.query(
    `INSERT INTO calendar_years (year, source, note) VALUES ($1, $2, $3)
     ON CONFLICT (year) DO UPDATE SET source = EXCLUDED.source, note = EXCLUDED.note, updated_at = now()`,
    [data.year, data.source, data.note],
  );
  await client.query('DELETE FROM calendar_days WHERE year = $1', [data.year]);
  if (data.days.length === 0) return;
  await client.query(
    `INSERT INTO calendar_days (day, year, kind, name, working_periods)
     SELECT d.date::date, $1, d.kind, d.name, d.periods
     FROM jsonb_to_recordset($2::jsonb) AS d(date text, kind text, name text, periods jsonb)`,
    [
      data.year,
      JSON.stringify(
        data.days.map((d) => ({ date: d.date, kind: d.kind, name: d.name.trim(), periods: d.workingPeriods ?? null })),
      ),
    ],
  );
}

/** Replaces one year's special days in one transaction; a bad row stores nothing. */
export async function putYear(
  pool: pg.Pool,
  year: number,
  data: { source?: string; note?: string; days: SpecialDay[] },
): Promise<CalendarYear> {
  if (!Number.isInteger(year) || year < 1970 || year > 2200)
    throw new CalendarError(`year must be an integer from 1970 to 2200, not ${year}`);
  const issues = validateDays(data.days, year);
  if (issues.length) throw new CalendarError(`invalid special days for ${year}`, issues);
  const full: CalendarYear = { year, source: data.source ?? '', note: data.note ?? '', days: data.days };
  await inTransaction(pool, (client) => writeYear(client, full));
  return (await getYear(pool, year))!;
}

/**
 * Stores the default settings and the shipped years into an empty calendar (called at start-up). Years already in the
 * database are left alone, so an admin's corrections survive restarts. Returns what was imported.
 */
export async function seedDefaultCalendar(pool: pg.Pool): Promise<{ settings: boolean; years: number[] }> {
  return inTransaction(pool, async (client) => {
    // Two hubs starting together must not both import.
    await client.query('LOCK TABLE calendar_years IN EXCLUSIVE MODE');
    const settings = (await client.query('SELECT 1 FROM calendar_settings')).rowCount === 0;
    if (settings) await writeSettings(client, DEFAULT_SETTINGS, true);
    const { rows } = await client.query<{ year: number }>('SELECT year FROM calendar_years');
    const present = new Set(rows.map((r) => r.year));
    const years: number[] = [];
    for (const y of SHIPPED_YEARS) {
      if (present.has(y.year)) continue;
      const issues = validateDays(y.days, y.year);
      if (issues.length) throw new CalendarError(`shipped calendar ${y.year} is invalid`, issues);
      await writeYear(client, y);
      years.push(y.year);
    }
    return { settings, years };
  });
}
