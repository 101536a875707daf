// 环节时限 per-step time limits of the case loop (verify and file, dispatch, re-inspect): the shipped defaults from
// hub/cases/data/step-limits.json, overridden per step by the values an admin stored in `step_limits`.
import type pg from 'pg';
import shipped from './data/step-limits.json' with { type: 'json' };
import { TIME_LIMIT_UNITS, type TimeLimit, type TimeLimitUnit } from './ports.js';

export interface StepLimit {
  step: string;
  nameZh: string;
  description: string;
  limit: TimeLimit;
  /** `configured` when an admin set it, `default` when it is the shipped value. */
  origin: 'default' | 'configured';
}

export interface StepLimitInput {
  step: string;
  value: number;
  unit: TimeLimitUnit;
}

export const DEFAULT_STEP_LIMITS: readonly StepLimit[] = shipped.steps.map((s) => ({
  step: s.step,
  nameZh: s.nameZh,
  description: s.description,
  limit: { value: s.value, unit: s.unit as TimeLimitUnit },
  origin: 'default' as const,
}));
export const STEP_LIMITS_SOURCE = { source: shipped.source, uncertain: shipped.uncertain };
export const STEP_NAMES = DEFAULT_STEP_LIMITS.map((s) => s.step);

export class StepLimitError extends Error {
  constructor(
    message: string,
    readonly errors: { row: number; field: string; message: string }[],
  ) {
    super(`${message}: ${errors.map((e) => e.message).join('; ')}`);
    this.name = 'StepLimitError';
  }
}

/** The limit of `step`, or null for a step that has none. */
export function stepLimitOf(limits: readonly StepLimit[], step: string): TimeLimit | null {
  return limits.find((s) => s.step === step)?.limit ?? null;
}

export async function loadStepLimits(pool: pg.Pool | pg.PoolClient): Promise<StepLimit[]> {
  const { rows } = await pool.query<{ step: string; value: string; unit: TimeLimitUnit }>(
    'SELECT step, value, unit FROM step_limits',
  );
  const configured = new Map(rows.map((r) => [r.step, r]));
  return DEFAULT_STEP_LIMITS.map((d) => {
    const row = configured.get(d.step);
    return row ? { ...d, limit: { value: Number(row.value), unit: row.unit }, origin: 'configured' as const } : d;
  });
}

/** Sets the given steps' limits (others keep theirs), in one transaction; nothing is stored if any row is bad. */
export async function putStepLimits(pool: pg.Pool, inputs: StepLimitInput[]): Promise<StepLimit[]> {
  const errors: { row: number; field: string; message: string }[] = [];
  const seen = new Set<string>();
  inputs.forEach((s, row) => {
    if (!STEP_NAMES.includes(s.step))
      errors.push({
        row,
        field: 'step',
        message: `row ${row}: unknown step ${s.step}; known: ${STEP_NAMES.join(', ')}`,
      });
    else if (seen.has(s.step)) errors.push({ row, field: 'step', message: `row ${row}: ${s.step} is listed twice` });
    seen.add(s.step);
    if (!Number.isFinite(s.value) || s.value < 0)
      errors.push({ row, field: 'value', message: `row ${row}: value must be a number ≥ 0` });
    if (!TIME_LIMIT_UNITS.includes(s.unit))
      errors.push({ row, field: 'unit', message: `row ${row}: unit must be one of ${TIME_LIMIT_UNITS.join(', ')}` });
  });
  if (errors.length) throw new StepLimitError('invalid step limits', errors);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    for (const s of inputs)
      await client.query(
        `INSERT INTO step_limits (step, value, unit) VALUES ($1, $2, $3)
         ON CONFLICT (step) DO UPDATE SET value = EXCLUDED.value, unit = EXCLUDED.unit, updated_at = now()`,
        [s.step, s.value, s.unit],
      );
    const limits = await loadStepLimits(client);
    await client.query('COMMIT');
    return limits;
  } catch (e) {
    await client.query('ROLLBACK');
    throw e;
  } finally {
    client.release();
  }
}
