// 责任划分 responsibility rules: which department handles which classes in which area (cell, community, street,
// district, city), with the art.33 fallback to the district government when no rule says. Rules live in memory
// (loaded once, reloaded after every change) so a lookup on the ingest path is a scan of a small array, not a query.
import type pg from 'pg';
import type { AreaCodes, ClassKind, Responsibility } from '../cases/ports.js';
import { parseClassRef } from './catalogue.js';

/** Least to most specific. */
export const AREA_LEVELS = ['city', 'district', 'street', 'community', 'cell'] as const;
export type AreaLevel = (typeof AREA_LEVELS)[number];

const AREA_CODE_DIGITS: Record<AreaLevel, number> = { city: 6, district: 6, street: 9, community: 12, cell: 15 };

export interface ResponsibilityRule {
  id: number;
  /** A 4-digit class, a 2-digit major class, or `*` for every class. */
  classPattern: string;
  /** Only components or only events; null: both. */
  classKind: ClassKind | null;
  areaLevel: AreaLevel;
  /** city and district 6 digits (GB/T 2260), street 9, community 12, cell 15. */
  areaCode: string;
  departmentId: string;
  /** Among equally specific rules the higher wins. */
  priority: number;
  note: string | null;
  createdAt: Date;
}

export type NewRule = Pick<ResponsibilityRule, 'classPattern' | 'areaLevel' | 'areaCode' | 'departmentId'> &
  Partial<Pick<ResponsibilityRule, 'classKind' | 'priority' | 'note'>>;

export type ResponsibilityErrorCode = 'InvalidRule' | 'RuleNotFound' | 'UnknownDepartment';

export class ResponsibilityError extends Error {
  override readonly name = 'ResponsibilityError';
  constructor(
    readonly code: ResponsibilityErrorCode,
    message: string,
    readonly issues: { field: string; message: string }[] = [],
  ) {
    super(message);
  }
}

export interface Resolution {
  departmentId: string;
  fallback: boolean;
  /** The rule that decided; null for the district-government fallback. */
  ruleId: number | null;
}

/**
 * A city code (GB/T 2260, 6 digits) covers the districts that share its non-zero prefix: 140800 (运城市) covers 1408xx,
 * a municipality such as 110000 (北京市) covers 11xxxx.
 */
function cityPrefix(cityCode: string): string {
  let prefix = cityCode;
  while (prefix.length > 2 && prefix.endsWith('00')) prefix = prefix.slice(0, -2);
  return prefix;
}

function areaMatches(rule: Pick<ResponsibilityRule, 'areaLevel' | 'areaCode'>, area: AreaCodes): boolean {
  if (rule.areaLevel === 'city') return area.district.startsWith(cityPrefix(rule.areaCode));
  return area[rule.areaLevel] === rule.areaCode;
}

const patternRank = (pattern: string) => (pattern === '*' ? 0 : pattern.length === 2 ? 1 : 2);

/**
 * The rule for a class at an area: the most specific area level first, then the most specific class pattern, then a
 * rule for this kind over one for both kinds, then the higher priority, then the older rule (so the answer is stable).
 * A rule for one kind matches only when the kind is known.
 */
export function pickRule<R extends Omit<ResponsibilityRule, 'note' | 'createdAt'>>(
  rules: readonly R[],
  classCode: string,
  kind: ClassKind | null,
  area: AreaCodes,
): R | null {
  let best: R | null = null;
  let bestKey: number[] = [];
  for (const rule of rules) {
    if (rule.classPattern !== '*' && !classCode.startsWith(rule.classPattern)) continue;
    if (rule.classKind !== null && rule.classKind !== kind) continue;
    if (!areaMatches(rule, area)) continue;
    const key = [
      AREA_LEVELS.indexOf(rule.areaLevel),
      patternRank(rule.classPattern),
      rule.classKind === null ? 0 : 1,
      rule.priority,
      -rule.id,
    ];
    if (!best || compareKeys(key, bestKey) > 0) {
      best = rule;
      bestKey = key;
    }
  }
  return best;
}

function compareKeys(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

interface RuleRow {
  id: string;
  class_pattern: string;
  class_kind: ClassKind | null;
  area_level: AreaLevel;
  area_code: string;
  department_id: string;
  priority: number;
  note: string | null;
  created_at: Date;
}

const RULE_COLUMNS = 'id, class_pattern, class_kind, area_level, area_code, department_id, priority, note, created_at';

const toRule = (r: RuleRow): ResponsibilityRule => ({
  id: Number(r.id),
  classPattern: r.class_pattern,
  classKind: r.class_kind,
  areaLevel: r.area_level,
  areaCode: r.area_code,
  departmentId: r.department_id,
  priority: r.priority,
  note: r.note,
  createdAt: r.created_at,
});

export function validateRule(input: NewRule): { field: string; message: string }[] {
  const issues: { field: string; message: string }[] = [];
  if (typeof input.classPattern !== 'string' || !/^(\d{2}|\d{4}|\*)$/.test(input.classPattern)) {
    issues.push({ field: 'classPattern', message: 'classPattern must be a 4-digit class, a 2-digit major class or *' });
  }
  if (input.classKind != null && input.classKind !== 'component' && input.classKind !== 'event') {
    issues.push({ field: 'classKind', message: 'classKind must be component, event or null' });
  }
  if (!(AREA_LEVELS as readonly string[]).includes(input.areaLevel)) {
    issues.push({ field: 'areaLevel', message: `areaLevel must be one of ${AREA_LEVELS.join(', ')}` });
  } else {
    const digits = AREA_CODE_DIGITS[input.areaLevel];
    if (typeof input.areaCode !== 'string' || !new RegExp(`^\\d{${digits}}$`).test(input.areaCode)) {
      issues.push({ field: 'areaCode', message: `a ${input.areaLevel} code has ${digits} digits` });
    }
  }
  if (input.priority !== undefined && !(Number.isInteger(input.priority) && Math.abs(input.priority) <= 1_000_000)) {
    issues.push({ field: 'priority', message: 'priority must be a whole number between -1000000 and 1000000' });
  }
  return issues;
}

export class ResponsibilityRules implements Responsibility {
  private rules: ResponsibilityRule[] = [];
  /** district code → its enabled district government. */
  private governments = new Map<string, string>();
  private loading: Promise<void> | null = null;
  private loaded = false;

  constructor(private readonly pool: pg.Pool) {}

  /** Reads the rules of enabled departments and the district governments; call after changing departments. */
  async reload(): Promise<void> {
    const [rules, governments] = await Promise.all([
      this.pool.query<RuleRow>(
        `SELECT ${RULE_COLUMNS.split(', ')
          .map((c) => `r.${c}`)
          .join(', ')} FROM responsibility_rules r JOIN departments d ON d.id = r.department_id WHERE d.enabled`,
      ),
      this.pool.query<{ id: string; district_code: string }>(
        `SELECT id, district_code FROM departments WHERE kind = 'districtGovernment' AND enabled`,
      ),
    ]);
    this.rules = rules.rows.map(toRule);
    this.governments = new Map(governments.rows.map((g) => [g.district_code, g.id]));
    this.loaded = true;
  }

  private async ensureLoaded(): Promise<void> {
    if (this.loaded) return;
    this.loading ??= this.reload().finally(() => (this.loading = null));
    await this.loading;
  }

  /**
   * Port: the department for `classCode` (`0101`, or `component:0101` / `event:0101`) at `area`; `kind` may also be
   * given separately. No rule: the district government of `area.district`, as a fallback (art.33); else null.
   */
  async resolve(classCode: string, area: AreaCodes, kind?: ClassKind): Promise<Resolution | null> {
    await this.ensureLoaded();
    return this.resolveLoaded(classCode, area, kind);
  }

  /** `resolve` on the rules in memory, without waiting; for hot paths after `reload()` has run once. */
  resolveLoaded(classCode: string, area: AreaCodes, kind?: ClassKind): Resolution | null {
    const ref = parseClassRef(classCode);
    const rule = pickRule(this.rules, ref.code, ref.kind ?? kind ?? null, area);
    if (rule) return { departmentId: rule.departmentId, fallback: false, ruleId: rule.id };
    const government = this.governments.get(area.district);
    return government ? { departmentId: government, fallback: true, ruleId: null } : null;
  }

  async list(): Promise<ResponsibilityRule[]> {
    const { rows } = await this.pool.query<RuleRow>(
      `SELECT ${RULE_COLUMNS} FROM responsibility_rules ORDER BY area_level, area_code, class_pattern, id`,
    );
    return rows.map(toRule);
  }

  async create(input: NewRule): Promise<ResponsibilityRule> {
    const issues = validateRule(input);
    if (issues.length) throw new ResponsibilityError('InvalidRule', issues.map((i) => i.message).join('; '), issues);
    try {
      const { rows } = await this.pool.query<RuleRow>(
        `INSERT INTO responsibility_rules (class_pattern, class_kind, area_level, area_code, department_id, priority, note)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${RULE_COLUMNS}`,
        [
          input.classPattern,
          input.classKind ?? null,
          input.areaLevel,
          input.areaCode,
          input.departmentId,
          input.priority ?? 0,
          input.note?.trim() || null,
        ],
      );
      return toRule(rows[0]!);
    } catch (err) {
      if ((err as { code?: string }).code === '23503') {
        throw new ResponsibilityError('UnknownDepartment', `no department with id "${input.departmentId}"`, [
          { field: 'departmentId', message: `no department with id "${input.departmentId}"` },
        ]);
      }
      throw err;
    } finally {
      await this.reload();
    }
  }

  async delete(id: number): Promise<void> {
    const { rowCount } = await this.pool.query('DELETE FROM responsibility_rules WHERE id = $1', [id]);
    await this.reload();
    if (!rowCount) throw new ResponsibilityError('RuleNotFound', `no responsibility rule with id ${id}`);
  }
}
