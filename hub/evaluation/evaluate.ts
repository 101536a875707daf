// 综合评价 evaluating objects over a period: their base counts (the ones meaningful for the kind), the rates, the
// composite score with its terms and the grade A–E, named (area, department, user and class names). Collectors also
// get their patrol coverage from the stored cell-coverage records.
import type pg from 'pg';
import { COUNTERS, zeroCounts, type Counts } from './counters.js';
import { gradeOf, type Grade } from './grades.js';
import { AREA_KINDS, isPositionKind, type ObjectKind } from './objects.js';
import type { Period } from './period.js';
import { countsByObject, type CountSource } from './queries.js';
import { COVERAGE_COUNTS, RATES, rateOf, type RateValue } from './rates.js';
import { compositeOf, type CompositeScore, type WeightTerm } from './weights.js';

type Queryable = Pick<pg.Pool, 'query'>;

export interface EvaluatedObject {
  kind: ObjectKind;
  /** Area code, department id, `component:0101`, user id; '' for the city. */
  id: string;
  name: string | null;
  counts: Record<string, number>;
  rates: Record<string, RateValue>;
  /** null for kinds without a composite (class). */
  composite: (CompositeScore & { grade: Grade | null }) | null;
}

export interface EvaluateOptions {
  kind: ObjectKind;
  period: Period;
  nowMs: number;
  id?: string;
  source?: CountSource;
  /** The composite's terms for this kind (weightsFor). */
  terms: readonly WeightTerm[];
}

/** Names of the objects, by id. */
async function namesOf(db: Queryable, kind: ObjectKind, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  if (kind === 'city') return new Map([['', '全市']]);
  let rows: { id: string; name: string }[];
  if ((AREA_KINDS as readonly string[]).includes(kind)) {
    rows = (await db.query('SELECT code AS id, name FROM areas WHERE code = ANY($1)', [ids])).rows;
  } else if (kind === 'department') {
    rows = (await db.query('SELECT id, name FROM departments WHERE id = ANY($1)', [ids])).rows;
  } else if (kind === 'class') {
    rows = (
      await db.query(
        `SELECT kind || ':' || code AS id, name_zh AS name FROM catalogue_classes WHERE kind || ':' || code = ANY($1)`,
        [ids],
      )
    ).rows;
  } else {
    rows = (await db.query('SELECT id, name FROM users WHERE id = ANY($1)', [ids])).rows;
  }
  return new Map(rows.map((r) => [r.id, r.name]));
}

/** Unit grid cells per area of `kind` (for the per-cell bands). */
async function cellsPerArea(db: Queryable, kind: ObjectKind): Promise<Map<string, number>> {
  const length = { city: 0, district: 6, street: 9, community: 12, cell: 15 }[kind as string];
  if (length === undefined) return new Map();
  const { rows } = await db.query<{ key: string; n: string }>(
    `SELECT left(code, $1) AS key, count(*) AS n FROM areas WHERE level = 'cell' GROUP BY 1`,
    [length],
  );
  return new Map(rows.map((r) => [r.key, Number(r.n)]));
}

/** Coverage sums per collector user over shifts starting in the period (device ↔ user by staff number). */
async function coverageOf(db: Queryable, period: Period, nowMs: number, id?: string): Promise<Map<string, Counts>> {
  const { rows } = await db.query<{ user_id: string; shifts: string; assigned: string; visited: string }>(
    `SELECT u.id AS user_id, count(*) AS shifts, sum(cardinality(cc.assigned)) AS assigned,
            sum(cardinality(cc.visited)) AS visited
       FROM collector_coverage cc
       JOIN devices d ON d.id = cc.device_id AND d.staff_id IS NOT NULL
       JOIN users u ON u.staff_id = d.staff_id AND 'collector' = ANY (u.roles)
      WHERE cc.shift_start >= $1 AND cc.shift_start < $2 AND cc.shift_start <= $3 AND ($4::text IS NULL OR u.id = $4)
      GROUP BY u.id`,
    [new Date(period.startMs), new Date(period.endMs), new Date(nowMs), id ?? null],
  );
  return new Map(
    rows.map((r) => [
      r.user_id,
      { coverageShifts: Number(r.shifts), coverageAssigned: Number(r.assigned), coverageVisited: Number(r.visited) },
    ]),
  );
}

/** The 30-day scale of a period's counts for the monthly bands (1 for a calendar month). */
export function monthScaleOf(period: Pick<Period, 'kind' | 'days'>): number {
  return period.kind === 'month' ? 1 : 30 / period.days;
}

/** Evaluates every object of a kind with facts in the period (or the one asked for, even without any). */
export async function evaluateObjects(db: Queryable, o: EvaluateOptions): Promise<EvaluatedObject[]> {
  const counted = await countsByObject(db, {
    kind: o.kind,
    period: o.period,
    nowMs: o.nowMs,
    ...(o.id !== undefined ? { id: o.id } : {}),
    source: o.source ?? 'aggregates',
  });
  if (o.kind === 'collector') {
    for (const [user, cov] of await coverageOf(db, o.period, o.nowMs, o.id)) {
      counted.set(user, { ...(counted.get(user) ?? zeroCounts()), ...cov });
    }
  }
  if (o.kind === 'city' && !counted.has('')) counted.set('', zeroCounts());
  if (o.id !== undefined && !counted.has(o.id)) counted.set(o.id, zeroCounts());
  const ids = [...counted.keys()].sort();
  const [names, cells] = await Promise.all([namesOf(db, o.kind, ids), cellsPerArea(db, o.kind)]);
  const counters = COUNTERS.filter((d) => d.objects.includes(o.kind));
  const rates = RATES.filter((d) => d.objects.includes(o.kind));
  const hasComposite = o.kind !== 'class' && o.terms.length > 0;
  const scale = monthScaleOf(o.period);
  return ids.map((id) => {
    const all = counted.get(id)!;
    const counts: Record<string, number> = Object.fromEntries(counters.map((d) => [d.id, all[d.id] ?? 0]));
    if (o.kind === 'collector') for (const c of COVERAGE_COUNTS) counts[c.id] = all[c.id] ?? 0;
    const composite = hasComposite
      ? compositeOf(o.terms, { counts: all, monthScale: scale, cells: cells.get(id) ?? null })
      : null;
    return {
      kind: o.kind,
      id,
      name: names.get(id) ?? null,
      counts,
      rates: Object.fromEntries(rates.map((d) => [d.id, rateOf(d, all)])),
      composite: composite ? { ...composite, grade: gradeOf(composite.score) } : null,
    };
  });
}

/** Whether an id is well-formed for the kind (a malformed one is the caller's mistake, not an empty object). */
export function validObjectId(kind: ObjectKind, id: string): boolean {
  switch (kind) {
    case 'city':
      return id === '';
    case 'district':
      return /^[0-9]{6}$/.test(id);
    case 'street':
      return /^[0-9]{9}$/.test(id);
    case 'community':
      return /^[0-9]{12}$/.test(id);
    case 'cell':
      return /^[0-9]{15}$/.test(id);
    case 'class':
      return /^(component|event):[0-9]{4}$/.test(id);
    default:
      return isPositionKind(kind) || kind === 'department' ? /^[A-Za-z0-9._-]{1,64}$/.test(id) : false;
  }
}
