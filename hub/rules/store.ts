// 规则配置存储 the stored configuration of the detection rules: the zones rules refer to (区域, a GeoJSON set replaced as
// a whole) and each rule's configuration, validated by its kind's schema and checks against the zones, and against the
// catalogue (the class and situation it names). A zone set that would leave a rule pointing at a missing zone is refused.
import type pg from 'pg';
import { withTransaction } from '../db/pool.js';
import { geometryProblem } from '../geo/geometry.js';
import type { Catalogue } from '../cases/ports.js';
import { ruleModules, validateRuleConfig } from '../../ingest/rules/registry.js';
import type { Polygonal, RuleConfigBase, Zone } from '../../ingest/rules/types.js';

export const ZONE_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;
export const RULE_ID_PATTERN = /^[A-Za-z0-9._:-]{1,100}$/;
/** A city has hundreds of zones, not tens of thousands: more is a mistake in the file. */
export const MAX_ZONES = 5000;

/** A rule configuration as stored: the base fields plus its kind's own. */
export type RuleConfig = RuleConfigBase & Record<string, unknown>;

export interface RuleRecord {
  id: string;
  kind: string;
  name: string;
  enabled: boolean;
  config: RuleConfig;
  updatedAt: Date;
  updatedBy: string;
}

/** One problem with submitted zones or a rule, to act on: which feature or rule, and what is wrong. */
export interface RuleIssue {
  message: string;
  /** Index of the feature in the submitted collection. */
  feature?: number;
  zoneId?: string;
  ruleId?: string;
}

export type RuleErrorCode = 'InvalidZones' | 'InvalidRule' | 'RuleNotFound';

export class RuleError extends Error {
  override readonly name = 'RuleError';
  constructor(
    readonly code: RuleErrorCode,
    message: string,
    readonly errors: RuleIssue[] = [],
  ) {
    super(message);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks a GeoJSON FeatureCollection of zones, feature by feature; every problem is reported, not the first. */
export function parseZones(collection: unknown): { zones: Zone[]; errors: RuleIssue[] } {
  if (!isObject(collection) || collection.type !== 'FeatureCollection' || !Array.isArray(collection.features)) {
    return { zones: [], errors: [{ message: 'the body must be a GeoJSON FeatureCollection with a features array' }] };
  }
  if (collection.features.length > MAX_ZONES) {
    return { zones: [], errors: [{ message: `at most ${MAX_ZONES} zones (got ${collection.features.length})` }] };
  }
  const zones: Zone[] = [];
  const errors: RuleIssue[] = [];
  const seen = new Map<string, number>();
  collection.features.forEach((f: unknown, feature) => {
    const problems: string[] = [];
    if (!isObject(f) || f.type !== 'Feature') {
      errors.push({ feature, message: 'is not a GeoJSON Feature' });
      return;
    }
    const props = isObject(f.properties) ? f.properties : {};
    const id = typeof props.id === 'string' ? props.id : null;
    const name = typeof props.name === 'string' ? props.name.trim() : '';
    if (id === null || !ZONE_ID_PATTERN.test(id)) {
      problems.push('properties.id must be 1–64 characters from A–Z a–z 0–9 . _ : -');
    } else if (seen.has(id)) {
      problems.push(`properties.id "${id}" is also feature ${seen.get(id)}`);
    } else {
      seen.set(id, feature);
    }
    if (!name) problems.push('properties.name must be a non-empty string');
    const geometry = f.geometry as { type?: unknown } | null;
    if (!isObject(geometry) || (geometry.type !== 'Polygon' && geometry.type !== 'MultiPolygon')) {
      problems.push('geometry must be a Polygon or MultiPolygon');
    } else {
      const problem = geometryProblem(geometry);
      if (problem) problems.push(`geometry: ${problem}`);
    }
    if (problems.length) {
      for (const message of problems) errors.push({ feature, ...(id ? { zoneId: id } : {}), message });
      return;
    }
    const { id: _id, name: _name, ...rest } = props;
    zones.push({ id: id!, name, geometry: geometry as unknown as Polygonal, properties: rest });
  });
  return { zones, errors };
}

const RULE_COLUMNS = `id, kind, name, enabled, config, updated_at AS "updatedAt", updated_by AS "updatedBy"`;

type Queryable = Pick<pg.Pool, 'query'>;

export class RuleStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly options: { catalogue?: Catalogue } = {},
  ) {}

  async zones(db: Queryable = this.pool): Promise<Zone[]> {
    const { rows } = await db.query<Zone>(`SELECT id, name, geometry, properties FROM detection_zones ORDER BY id`);
    return rows;
  }

  async zoneMap(db: Queryable = this.pool): Promise<Map<string, Zone>> {
    return new Map((await this.zones(db)).map((z) => [z.id, z]));
  }

  async rules(db: Queryable = this.pool): Promise<RuleRecord[]> {
    const { rows } = await db.query<RuleRecord>(`SELECT ${RULE_COLUMNS} FROM detection_rules ORDER BY id`);
    return rows;
  }

  async rule(id: string): Promise<RuleRecord> {
    const { rows } = await this.pool.query<RuleRecord>(`SELECT ${RULE_COLUMNS} FROM detection_rules WHERE id = $1`, [
      id,
    ]);
    if (!rows[0]) throw new RuleError('RuleNotFound', `there is no rule ${id}`);
    return rows[0];
  }

  /** Replaces the whole zone set (one transaction), refused when a feature is bad or a stored rule loses its zone. */
  async replaceZones(collection: unknown): Promise<Zone[]> {
    const { zones, errors } = parseZones(collection);
    if (errors.length)
      throw new RuleError('InvalidZones', `${errors.length} problem(s) in the zones; nothing was stored`, errors);
    const byId = new Map(zones.map((z) => [z.id, z]));
    return withTransaction(this.pool, async (client) => {
      await lockConfiguration(client);
      const broken: RuleIssue[] = [];
      for (const r of await this.rules(client)) {
        const check = validateRuleConfig(r.config, byId);
        if (!check.ok) {
          for (const message of check.errors) broken.push({ ruleId: r.id, message: `rule ${r.id}: ${message}` });
        }
      }
      if (broken.length) {
        throw new RuleError(
          'InvalidZones',
          'these zones would break stored rules; change or delete the rules first; nothing was stored',
          broken,
        );
      }
      await client.query('DELETE FROM detection_zones');
      if (zones.length) {
        await client.query(
          `INSERT INTO detection_zones (id, name, geometry, properties)
           SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::jsonb[])`,
          [
            zones.map((z) => z.id),
            zones.map((z) => z.name),
            zones.map((z) => JSON.stringify(z.geometry)),
            zones.map((z) => JSON.stringify(z.properties)),
          ],
        );
      }
      return zones;
    });
  }

  /** Problems with a configuration: its kind's schema and checks against the zones, then the catalogue. */
  async check(config: unknown, zones: ReadonlyMap<string, Zone>): Promise<RuleIssue[]> {
    const result = validateRuleConfig(config, zones);
    const issues: RuleIssue[] = result.errors.map((message) => ({ message }));
    if (!result.ok || !this.options.catalogue || !isObject(config)) return issues;
    const c = config as RuleConfig;
    const cls = await this.options.catalogue.classByCode(c.classRef);
    if (!cls) {
      issues.push({ message: `classRef: the catalogue has no class ${c.classRef}` });
    } else if (c.standardId !== undefined && c.standardId !== null) {
      const standard = await this.options.catalogue.standardById(c.standardId);
      const standardKind = (standard as { kind?: string } | null)?.kind;
      if (!standard || standard.classCode !== cls.code || (standardKind && standardKind !== cls.kind)) {
        const options = (await this.options.catalogue.standardsFor(c.classRef)).map((s) => s.id);
        issues.push({
          message:
            `standardId: situation ${c.standardId} is not one of class ${c.classRef}` +
            (options.length ? `; choose one of ${options.join(', ')}` : '; the class has no situations'),
        });
      } else if (!standard.limit) {
        issues.push({
          message: `standardId: situation ${standard.id} has no parseable time limit ("${standard.limitText}")`,
        });
      }
    }
    return issues;
  }

  /** Creates or replaces rule `id` with a validated configuration. */
  async putRule(id: string, config: unknown, updatedBy: string): Promise<{ rule: RuleRecord; created: boolean }> {
    if (!RULE_ID_PATTERN.test(id)) {
      throw new RuleError('InvalidRule', 'a rule id is 1–100 characters from A–Z a–z 0–9 . _ : -');
    }
    if (isObject(config) && config.id !== undefined && config.id !== id) {
      throw new RuleError('InvalidRule', `the configuration's id "${String(config.id)}" is not the rule's id "${id}"`, [
        { ruleId: id, message: `id: must be "${id}" (the id in the path)` },
      ]);
    }
    const full = isObject(config) ? { ...config, id } : config;
    return withTransaction(this.pool, async (client) => {
      await lockConfiguration(client);
      const issues = await this.check(full, await this.zoneMap(client));
      if (issues.length) {
        throw new RuleError(
          'InvalidRule',
          `rule ${id} is not valid: ${issues.map((i) => i.message).join('; ')}`,
          issues.map((i) => ({ ruleId: id, ...i })),
        );
      }
      const c = full as RuleConfig;
      const { rows } = await client.query<RuleRecord & { created: boolean }>(
        `INSERT INTO detection_rules (id, kind, name, enabled, config, updated_by) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, name = excluded.name, enabled = excluded.enabled,
           config = excluded.config, updated_by = excluded.updated_by, updated_at = now()
         RETURNING ${RULE_COLUMNS}, (xmax = 0) AS created`,
        [id, c.kind, c.name, c.enabled, JSON.stringify(c), updatedBy],
      );
      const { created, ...rule } = rows[0]!;
      return { rule, created };
    });
  }

  async deleteRule(id: string): Promise<void> {
    const { rowCount } = await this.pool.query('DELETE FROM detection_rules WHERE id = $1', [id]);
    if (!rowCount) throw new RuleError('RuleNotFound', `there is no rule ${id}`);
  }
}

/** Rule and zone changes one at a time: a zone set is checked against the rules as they are when it is stored. */
async function lockConfiguration(client: pg.PoolClient): Promise<void> {
  await client.query(`SELECT pg_advisory_xact_lock(hashtext('detection-configuration'))`);
}

/** Each kind's Chinese name and the JSON schema of its configuration, for the UI and the docs. */
export function ruleKinds(): Array<{ kind: string; nameZh: string; schema: unknown }> {
  return ruleModules().map((m) => ({ kind: m.kind, nameZh: m.nameZh, schema: m.schema }));
}
