// 综合指标权重 composite weights: per object kind, which scores (分值) are weighed and how much, as configuration — the
// documented defaults below (reference §4, [UMP]), replaced per kind by what an admin stores. The composite
// (综合指标值) is Σ weight × score ÷ Σ weight over the scores that have a value: a rate without cases drops out rather
// than counting as 0 or 100, and weights that do not add up to 100 (the area formula's add up to 70) still give 0–100.
// An object none of whose rates has a value (nothing was due) gets no score: a count band alone grades nobody.
import type pg from 'pg';
import { EvaluationError } from './errors.js';
import { OBJECT_KINDS, type ObjectKind } from './objects.js';
import { SCORE_BY_ID, scoreItemsFor, scoreOf, type ScoreInput } from './scores.js';

export interface WeightTerm {
  item: string;
  weight: number;
}

export interface CompositeDefaults {
  terms: readonly WeightTerm[];
  source: string;
  note: string;
}

const AREA: CompositeDefaults = {
  terms: [
    { item: 'publicReportScore', weight: 10 },
    { item: 'areaFiledScore', weight: 20 },
    { item: 'closureScore', weight: 30 },
    { item: 'onTimeClosureScore', weight: 10 },
  ],
  source: '[UMP] StatisticsService (per unit grid; a sibling copy shows the same line)',
  note: 'Uncertain: the weights add up to 70 %; 40 % for 按期结案率 would make 100 % — check against GB/T 30428.4. Normalised by the sum here.',
};

/** The defaults. `class` has no composite (it is a breakdown, not something evaluated). */
export const DEFAULT_WEIGHTS: Readonly<Record<ObjectKind, CompositeDefaults | null>> = {
  city: AREA,
  district: AREA,
  street: AREA,
  community: AREA,
  cell: AREA,
  class: null,
  department: {
    terms: [
      { item: 'departmentCaseScore', weight: 10 },
      { item: 'closureScore', weight: 30 },
      { item: 'onTimeHandlingScore', weight: 30 },
      { item: 'reworkScore', weight: 30 },
    ],
    source: '[UMP] DeptEvaluateService.comprehensive',
    note: '立案数分值 on a 10-point scale, i.e. 10 %.',
  },
  collector: {
    terms: [
      { item: 'validReportScore', weight: 40 },
      { item: 'missedReportScore', weight: 20 },
      { item: 'onTimeVerifyScore', weight: 20 },
      { item: 'onTimeReinspectScore', weight: 20 },
      { item: 'coverageScore', weight: 0 },
    ],
    source: '[UMP] PositionService (监督员)',
    note: 'Patrol coverage is offered with weight 0.',
  },
  acceptor: {
    terms: [
      { item: 'acceptedCountScore', weight: 25 },
      { item: 'onTimeAcceptScore', weight: 40 },
      { item: 'accurateAcceptScore', weight: 35 },
    ],
    source: '[UMP] PositionService (受理员)',
    note: 'The 40 % and 35 % terms stand in for [UMP]’s 核实/核查按时派发率 (see the scores).',
  },
  shiftLeader: {
    terms: [
      { item: 'onTimeFilingScore', weight: 25 },
      { item: 'accurateFilingScore', weight: 40 },
      { item: 'onTimeCloseScore', weight: 35 },
    ],
    source: '[UMP] PositionService comment (值班长)',
    note: 'The comment and the SQL of [UMP] disagree on the 25 % term; the comment is followed.',
  },
  dispatcher: {
    terms: [
      { item: 'dispatchedCountScore', weight: 20 },
      { item: 'onTimeDispatchScore', weight: 40 },
      { item: 'accurateDispatchScore', weight: 40 },
    ],
    source: '[UMP] PositionService comment (派遣员)',
    note: 'No bands for 派遣数 in the reference (see the score).',
  },
};

export type Weights = Record<ObjectKind, readonly WeightTerm[]>;

export interface WeightsView {
  objectKind: ObjectKind;
  terms: WeightTerm[];
  origin: 'default' | 'configured';
  updatedAt: Date | null;
  updatedBy: string | null;
}

/** Problems with terms an admin wants to store for `kind` (empty: fine). */
export function checkTerms(kind: ObjectKind, terms: readonly WeightTerm[]): { field: string; message: string }[] {
  const errors: { field: string; message: string }[] = [];
  if (DEFAULT_WEIGHTS[kind] === null) {
    return [{ field: 'objectKind', message: `${kind} has no composite score` }];
  }
  const allowed = new Set(scoreItemsFor(kind).map((i) => i.id));
  const seen = new Set<string>();
  terms.forEach((t, i) => {
    if (!SCORE_BY_ID.has(t.item)) errors.push({ field: `terms[${i}].item`, message: `unknown score ${t.item}` });
    else if (!allowed.has(t.item)) {
      errors.push({
        field: `terms[${i}].item`,
        message: `${t.item} means nothing for ${kind}; choose from ${[...allowed].join(', ')}`,
      });
    }
    if (seen.has(t.item)) errors.push({ field: `terms[${i}].item`, message: `${t.item} is listed twice` });
    seen.add(t.item);
    if (!Number.isFinite(t.weight) || t.weight < 0 || t.weight > 1000) {
      errors.push({ field: `terms[${i}].weight`, message: 'weight must be a number from 0 to 1000' });
    }
  });
  if (terms.length > 0 && errors.length === 0 && terms.every((t) => t.weight === 0)) {
    errors.push({ field: 'terms', message: 'at least one weight must be above 0' });
  }
  if (terms.length === 0) errors.push({ field: 'terms', message: 'give at least one term' });
  return errors;
}

type Queryable = Pick<pg.Pool, 'query'>;

export async function loadWeights(db: Queryable): Promise<WeightsView[]> {
  const { rows } = await db.query<{
    object_kind: ObjectKind;
    terms: WeightTerm[];
    updated_at: Date;
    updated_by: string;
  }>('SELECT object_kind, terms, updated_at, updated_by FROM evaluation_weights');
  const stored = new Map(rows.map((r) => [r.object_kind, r]));
  return OBJECT_KINDS.filter((k) => DEFAULT_WEIGHTS[k] !== null).map((k) => {
    const row = stored.get(k);
    return row
      ? { objectKind: k, terms: row.terms, origin: 'configured', updatedAt: row.updated_at, updatedBy: row.updated_by }
      : { objectKind: k, terms: [...DEFAULT_WEIGHTS[k]!.terms], origin: 'default', updatedAt: null, updatedBy: null };
  });
}

export async function weightsFor(db: Queryable): Promise<Weights> {
  const views = await loadWeights(db);
  const out = Object.fromEntries(OBJECT_KINDS.map((k) => [k, [] as WeightTerm[]])) as unknown as Weights;
  for (const v of views) out[v.objectKind] = v.terms;
  return out;
}

/** Stores `terms` for `kind` (refused whole when any term is wrong); `null` goes back to the defaults. */
export async function putWeights(
  db: Queryable,
  kind: ObjectKind,
  terms: readonly WeightTerm[] | null,
  by: string,
): Promise<WeightsView> {
  if (terms === null) {
    await db.query('DELETE FROM evaluation_weights WHERE object_kind = $1', [kind]);
  } else {
    const errors = checkTerms(kind, terms);
    if (errors.length) {
      throw new EvaluationError(
        'InvalidWeights',
        `weights for ${kind}: ${errors.map((e) => e.message).join('; ')}`,
        errors,
      );
    }
    await db.query(
      `INSERT INTO evaluation_weights (object_kind, terms, updated_by) VALUES ($1, $2, $3)
       ON CONFLICT (object_kind) DO UPDATE SET terms = EXCLUDED.terms, updated_by = EXCLUDED.updated_by, updated_at = now()`,
      [kind, JSON.stringify(terms.map((t) => ({ item: t.item, weight: t.weight }))), by],
    );
  }
  return (await loadWeights(db)).find((v) => v.objectKind === kind)!;
}

export interface CompositeScore {
  /** 0–100, rounded to 0.01; null when no weighed score has a value. */
  score: number | null;
  terms: { item: string; weight: number; score: number | null }[];
}

/** 综合指标值 Σ weight × score ÷ Σ weight over the terms whose score has a value. */
export function compositeOf(terms: readonly WeightTerm[], input: ScoreInput): CompositeScore {
  let weighted = 0;
  let weights = 0;
  let rated = false;
  const out = terms.map((t) => {
    const item = SCORE_BY_ID.get(t.item)!;
    const score = scoreOf(item, input);
    if (score !== null && t.weight > 0) {
      weighted += t.weight * score;
      weights += t.weight;
      if (item.scoring.kind !== 'bands') rated = true;
    }
    return { item: t.item, weight: t.weight, score };
  });
  return { score: !rated ? null : Math.round((weighted / weights) * 100) / 100, terms: out };
}
