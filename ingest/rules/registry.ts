// 规则目录 the registry of rule kinds: every rule module the hub offers, validation of a configuration against its kind's
// schema and checks (zones exist, hours parse), and building live rules from stored configurations.
import { createHash } from 'node:crypto';
import { Value } from '@sinclair/typebox/value';
import { rule as cellCoverage } from './cell-coverage.js';
import { rule as collectorIdle } from './collector-idle.js';
import { rule as collectorOutsideGrid } from './collector-outside-grid.js';
import type { EngineRule } from './engine.js';
import { rule as noStopping } from './no-stopping.js';
import { rule as offRoute } from './off-route.js';
import { rule as overspeed } from './overspeed.js';
import { rule as restrictedZone } from './restricted-zone.js';
import { rule as routeCoverage } from './route-coverage.js';
import { rule as sensorSilent } from './sensor-silent.js';
import { rule as sensorThreshold } from './sensor-threshold.js';
import { rule as terminalAlarm } from './terminal-alarm.js';
import type { Rule, RuleConfigBase, RuleModule, Zone } from './types.js';

// Each module is typed by its own configuration; the registry handles them by kind after validating.
type AnyRuleModule = RuleModule<never> | RuleModule<RuleConfigBase>;

const ALL: readonly AnyRuleModule[] = [
  restrictedZone,
  overspeed,
  noStopping,
  offRoute,
  routeCoverage,
  terminalAlarm,
  collectorOutsideGrid,
  collectorIdle,
  cellCoverage,
  sensorThreshold,
  sensorSilent,
];

/** Every rule kind, in the order the UI lists them (vehicles, collectors, sensors). */
export function ruleModules(): readonly RuleModule[] {
  return ALL as readonly RuleModule[];
}

export class RuleConfigError extends Error {
  readonly code = 'InvalidRuleConfig';
  constructor(
    readonly ruleId: string,
    readonly errors: string[],
  ) {
    super(`rule ${ruleId}: ${errors.join('; ')}`);
    this.name = 'RuleConfigError';
  }
}

export type ValidationResult = { ok: true; config: RuleConfigBase; errors: [] } | { ok: false; errors: string[] };

const MAX_ERRORS = 20;

/** Checks a configuration: a known kind, its schema, then its kind's checks against the zones. */
export function validateRuleConfig(
  config: unknown,
  zones: ReadonlyMap<string, Zone>,
  modules: readonly RuleModule[] = ruleModules(),
): ValidationResult {
  if (!config || typeof config !== 'object' || Array.isArray(config)) {
    return { ok: false, errors: ['the configuration must be an object'] };
  }
  const kind = (config as { kind?: unknown }).kind;
  const module = modules.find((m) => m.kind === kind);
  if (!module) {
    const kinds = modules.map((m) => m.kind).join(', ');
    return { ok: false, errors: [`kind: ${JSON.stringify(kind ?? null)} is not a rule kind; one of ${kinds}`] };
  }
  if (!Value.Check(module.schema, config)) {
    const errors: string[] = [];
    for (const e of Value.Errors(module.schema, config)) {
      const where = e.path ? e.path.slice(1).replaceAll('/', '.') : 'config';
      const message = `${where}: ${e.message}`;
      if (!errors.includes(message)) errors.push(message);
      if (errors.length >= MAX_ERRORS) break;
    }
    return { ok: false, errors };
  }
  const problems = module.check?.(config as RuleConfigBase, zones) ?? [];
  if (problems.length > 0) return { ok: false, errors: problems };
  return { ok: true, config: config as RuleConfigBase, errors: [] };
}

/**
 * Live rules for the enabled configurations (disabled ones are skipped). Throws RuleConfigError for the first invalid
 * configuration, so callers wanting to skip bad ones build them one at a time.
 */
export function createRules(
  configs: readonly unknown[],
  zones: ReadonlyMap<string, Zone>,
  modules: readonly RuleModule[] = ruleModules(),
): Rule[] {
  return createEngineRules(configs, zones, modules).map((r) => r.rule);
}

/** Like createRules, each with the hash RuleEngine.replaceRules compares to keep a running rule's state. */
export function createEngineRules(
  configs: readonly unknown[],
  zones: ReadonlyMap<string, Zone>,
  modules: readonly RuleModule[] = ruleModules(),
): EngineRule[] {
  const seen = new Set<string>();
  const out: EngineRule[] = [];
  for (const config of configs) {
    const v = validateRuleConfig(config, zones, modules);
    if (!v.ok) throw new RuleConfigError(String((config as { id?: unknown } | null)?.id ?? '?'), v.errors);
    if (seen.has(v.config.id)) throw new RuleConfigError(v.config.id, ['two rules with this id']);
    seen.add(v.config.id);
    if (!v.config.enabled) continue;
    const module = modules.find((m) => m.kind === v.config.kind)!;
    out.push({ rule: module.create(v.config, zones), hash: configHash(v.config, zones) });
  }
  return out;
}

/**
 * A fingerprint of a configuration and the zones it names (its `zoneIds`): when either changes the rule is rebuilt
 * with fresh state; otherwise a reload keeps the running instance.
 */
export function configHash(config: RuleConfigBase, zones: ReadonlyMap<string, Zone>): string {
  const ids = (config as { zoneIds?: unknown }).zoneIds;
  const named = Array.isArray(ids) ? [...new Set(ids.map(String))].sort().map((id) => zones.get(id) ?? null) : [];
  return createHash('sha256')
    .update(stableJson([config, named]))
    .digest('hex');
}

/** JSON with object keys sorted, so key order does not change the hash. */
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stableJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}
