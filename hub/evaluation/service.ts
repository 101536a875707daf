// 评价服务 the evaluation service: the one door to the evaluation for the HTTP routes, the monthly report and the
// scheduler. Before it answers, it brings the facts and the daily aggregates up to date for the period asked about,
// so an answer always reflects every case change committed before the request. Knows no HTTP.
import type pg from 'pg';
import type { DatabaseFeatures } from '../db/pool.js';
import { COUNTERS } from './counters.js';
import { DailyAggregates } from './daily-aggregates.js';
import { EvaluationError } from './errors.js';
import { evaluateObjects, validObjectId, type EvaluatedObject } from './evaluate.js';
import { exceptionsLedger, type ExceptionsLedger } from './exceptions.js';
import { FactStore } from './fact-store.js';
import { GRADES } from './grades.js';
import { OBJECT_KINDS, OBJECT_NAMES_ZH, type ObjectKind } from './objects.js';
import { EVALUATION_TIME_ZONE, parsePeriod, type Period } from './period.js';
import { dailyCounts, type CountSource } from './queries.js';
import { COVERAGE_COUNTS, RATES } from './rates.js';
import { SCORE_ITEMS } from './scores.js';
import { DEFAULT_WEIGHTS, loadWeights, putWeights, weightsFor, type WeightTerm, type WeightsView } from './weights.js';
import type { Counts } from './counters.js';

export interface EvaluationServiceOptions {
  pool: pg.Pool;
  features: Pick<DatabaseFeatures, 'timescale' | 'timescaleLicense'>;
  /** Injected clock for tests; default Date.now. */
  now?: () => number;
}

export interface Evaluation {
  period: Period;
  kind: ObjectKind;
  timeZone: string;
  /** Where the days that have ended came from: continuous aggregates, the rollup table, or the facts directly. */
  source: 'continuous' | 'rollup' | 'facts';
  generatedAt: Date;
  objects: EvaluatedObject[];
}

export class EvaluationService {
  readonly pool: pg.Pool;
  readonly facts: FactStore;
  readonly aggregates: DailyAggregates;
  readonly now: () => number;

  constructor(options: EvaluationServiceOptions) {
    this.pool = options.pool;
    this.facts = new FactStore(options.pool);
    this.aggregates = new DailyAggregates(options.pool, options.features);
    this.now = options.now ?? Date.now;
  }

  /** Once at start: the facts' derivation version and the daily aggregates' shape. */
  async start(): Promise<void> {
    await this.facts.ensureVersion();
    await this.aggregates.ensure();
  }

  /** Derives the stale cases' facts and computes the changed days of `period` that have ended. */
  async prepare(period?: Pick<Period, 'from' | 'to'>): Promise<void> {
    await this.facts.sync();
    await this.aggregates.refresh(this.now(), period ? { from: period.from, to: period.to } : undefined);
  }

  period(text: string): Period {
    return parsePeriod(text);
  }

  async evaluate(
    kind: ObjectKind,
    period: Period,
    options: { id?: string; source?: CountSource } = {},
  ): Promise<Evaluation> {
    if (options.id !== undefined && !validObjectId(kind, options.id)) {
      throw new EvaluationError('UnknownObject', `${options.id} is not a ${kind} id`);
    }
    await this.prepare(period);
    return this.evaluatePrepared(kind, period, await weightsFor(this.pool), this.now(), options);
  }

  /**
   * Several kinds over one period with one preparation and one read of the weights — what a page or report showing
   * the city beside its districts, streets and departments needs. The figures then come from the same facts and
   * daily aggregates (nothing is synced between the kinds), so a case changing meanwhile cannot make the city's
   * total disagree with its parts; and the facts are brought up to date once, not once per kind.
   */
  async evaluateMany<K extends ObjectKind>(
    kinds: readonly K[],
    period: Period,
    options: { source?: CountSource } = {},
  ): Promise<Record<K, Evaluation>> {
    await this.prepare(period);
    const weights = await weightsFor(this.pool);
    const nowMs = this.now();
    const out = {} as Record<K, Evaluation>;
    for (const kind of kinds) out[kind] = await this.evaluatePrepared(kind, period, weights, nowMs, options);
    return out;
  }

  /** One kind over facts and aggregates already brought up to date (prepare). */
  private async evaluatePrepared(
    kind: ObjectKind,
    period: Period,
    weights: Awaited<ReturnType<typeof weightsFor>>,
    nowMs: number,
    options: { id?: string; source?: CountSource },
  ): Promise<Evaluation> {
    const objects = await evaluateObjects(this.pool, {
      kind,
      period,
      nowMs,
      terms: weights[kind],
      ...(options.id !== undefined ? { id: options.id } : {}),
      source: options.source ?? 'aggregates',
    });
    return {
      period,
      kind,
      timeZone: EVALUATION_TIME_ZONE,
      source: options.source === 'facts' ? 'facts' : this.aggregates.strategy,
      generatedAt: new Date(nowMs),
      objects,
    };
  }

  async exceptions(period: Period, source: CountSource = 'aggregates'): Promise<ExceptionsLedger> {
    await this.prepare(period);
    return exceptionsLedger(this.pool, period, this.now(), source);
  }

  /** Counts per day of the period for one object (the city by default). */
  async trend(
    period: Period,
    kind: ObjectKind = 'city',
    id?: string,
    source: CountSource = 'aggregates',
  ): Promise<{ day: string; counts: Counts }[]> {
    if (id !== undefined && !validObjectId(kind, id))
      throw new EvaluationError('UnknownObject', `${id} is not a ${kind} id`);
    await this.prepare(period);
    return dailyCounts(this.pool, { kind, period, nowMs: this.now(), ...(id !== undefined ? { id } : {}), source });
  }

  weights(): Promise<WeightsView[]> {
    return loadWeights(this.pool);
  }

  setWeights(kind: ObjectKind, terms: readonly WeightTerm[] | null, by: string): Promise<WeightsView> {
    return putWeights(this.pool, kind, terms, by);
  }
}

/** Every definition, for the API and the README: counts, rates, scores, composites and grades with their sources. */
export function definitionsDocument() {
  return {
    timeZone: EVALUATION_TIME_ZONE,
    objectKinds: OBJECT_KINDS.map((k) => ({ kind: k, nameZh: OBJECT_NAMES_ZH[k] })),
    counts: [
      ...COUNTERS.map((d) => ({
        id: d.id,
        nameZh: d.nameZh,
        nameEn: d.nameEn,
        objects: [...d.objects],
        source: d.source,
        note: d.note,
      })),
      ...COVERAGE_COUNTS.map((d) => ({
        id: d.id,
        nameZh: d.nameZh,
        nameEn: d.nameEn,
        objects: ['collector'],
        source: 'issue 6 cell-coverage rule',
        note: 'Summed over the collector’s judged shifts starting in the period.',
      })),
    ],
    rates: RATES.map((d) => ({
      id: d.id,
      nameZh: d.nameZh,
      nameEn: d.nameEn,
      numerator: [...d.numerator],
      denominator: [...d.denominator],
      objects: [...d.objects],
      source: d.source,
      note: d.note,
    })),
    scores: SCORE_ITEMS.map((i) => ({
      id: i.id,
      nameZh: i.nameZh,
      scoring:
        i.scoring.kind === 'bands'
          ? {
              ...i.scoring,
              perCell: i.scoring.perCell ?? false,
              bands: i.scoring.bands.map((b) => ({
                max: Number.isFinite(b.max) ? b.max : null,
                below: b.below ?? false,
                score: b.score,
              })),
            }
          : i.scoring,
      source: i.source,
      note: i.note,
    })),
    composites: OBJECT_KINDS.filter((k) => DEFAULT_WEIGHTS[k] !== null).map((k) => ({
      objectKind: k,
      defaults: DEFAULT_WEIGHTS[k]!.terms.map((t) => ({ ...t })),
      source: DEFAULT_WEIGHTS[k]!.source,
      note: DEFAULT_WEIGHTS[k]!.note,
    })),
    grades: GRADES.map((g) => ({ grade: g.grade, min: Number.isFinite(g.min) ? g.min : null })),
  };
}
