import { describe, expect, it } from 'vitest';
import { rule as noStopping } from './no-stopping.js';
import { rule as offRoute } from './off-route.js';
import { rule as overspeed } from './overspeed.js';
import {
  configHash,
  createEngineRules,
  createRules,
  RuleConfigError,
  ruleModules,
  validateRuleConfig,
} from './registry.js';
import { rule as restrictedZone } from './restricted-zone.js';
import { rule as routeCoverage } from './route-coverage.js';
import { rule as terminalAlarm } from './terminal-alarm.js';
import type { RuleModule } from './types.js';
import { base, box, zoneMap } from './vehicle-fixtures.js';

// Only this helper's kinds, so these tests do not depend on the collector and sensor modules.
const MODULES = [restrictedZone, overspeed, noStopping, offRoute, routeCoverage, terminalAlarm] as RuleModule[];
const zones = zoneMap(box('Z1', [117.0, 36.65, 117.01, 36.66]), box('Z2', [117.02, 36.65, 117.03, 36.66]));
const valid = { ...base('rz', 'restricted-zone'), zoneIds: ['Z1'], vehicleKinds: ['muck'] };

describe('validateRuleConfig', () => {
  it('accepts a valid configuration', () => {
    expect(validateRuleConfig(valid, zones, MODULES)).toEqual({ ok: true, config: valid, errors: [] });
  });

  it('names an unknown kind and lists the kinds', () => {
    expect(validateRuleConfig({ ...valid, kind: 'teleport' }, zones, MODULES)).toEqual({
      ok: false,
      errors: [
        'kind: "teleport" is not a rule kind; one of restricted-zone, overspeed, no-stopping, off-route, route-coverage, terminal-alarm',
      ],
    });
    expect(validateRuleConfig(null, zones, MODULES).ok).toBe(false);
  });

  it('reports schema problems by path', () => {
    const { ok, errors } = validateRuleConfig(
      { ...valid, vehicleKinds: undefined, minDwellS: -1, colour: 'red', classRef: '0101' },
      zones,
      MODULES,
    );
    expect(ok).toBe(false);
    expect(errors.some((e) => e.startsWith('vehicleKinds:'))).toBe(true);
    expect(errors.some((e) => e.startsWith('minDwellS:'))).toBe(true);
    expect(errors.some((e) => e.startsWith('colour:'))).toBe(true);
    expect(errors.some((e) => e.startsWith('classRef:'))).toBe(true);
  });

  it('runs the kind checks against the zones', () => {
    expect(validateRuleConfig({ ...valid, zoneIds: ['Z9'] }, zones, MODULES)).toEqual({
      ok: false,
      errors: ['zoneIds: unknown zone "Z9"'],
    });
  });

  it('knows the JT/T 808 alarm names and refuses others', () => {
    const alarm = { ...base('ta', 'terminal-alarm'), alarms: ['sos', 'powerCut'] };
    expect(validateRuleConfig(alarm, zones, MODULES).ok).toBe(true);
    const { ok, errors } = validateRuleConfig({ ...alarm, alarms: ['emergency'] }, zones, MODULES);
    expect(ok).toBe(false);
    expect(errors[0]).toMatch(/^alarms\.0:/);
  });
});

describe('createRules', () => {
  it('builds the enabled rules and skips disabled ones', () => {
    const rules = createRules([valid, { ...valid, id: 'off', enabled: false }], zones, MODULES);
    expect(rules.map((r) => [r.id, r.kind])).toEqual([['rz', 'restricted-zone']]);
  });

  it('throws a RuleConfigError naming the rule and its problems', () => {
    const err = (() => {
      try {
        createRules([valid, { ...valid, id: 'bad', zoneIds: ['nope'] }], zones, MODULES);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(RuleConfigError);
    expect(err).toMatchObject({ ruleId: 'bad', errors: ['zoneIds: unknown zone "nope"'] });
    expect(() => createRules([valid, valid], zones, MODULES)).toThrow(/two rules with this id/);
  });

  it('hashes the configuration and the zones it names, not key order or other zones', () => {
    const h = configHash(valid, zones);
    const reordered = { vehicleKinds: ['muck'], zoneIds: ['Z1'], ...base('rz', 'restricted-zone') };
    expect(configHash(reordered, zones)).toBe(h);
    expect(configHash(valid, zoneMap(box('Z1', [117.0, 36.65, 117.01, 36.66]), box('Z2', [1, 1, 2, 2])))).toBe(h);
    expect(configHash(valid, zoneMap(box('Z1', [117.0, 36.65, 117.02, 36.66])))).not.toBe(h);
    const longerDwell = { ...valid, minDwellS: 61 };
    expect(configHash(longerDwell, zones)).not.toBe(h);
    expect(createEngineRules([valid], zones, MODULES)[0]!.hash).toBe(h);
  });
});

describe('ruleModules', () => {
  it('has unique kinds, every vehicle kind among them, each with a Chinese name and an object schema', () => {
    const kinds = ruleModules().map((m) => m.kind);
    expect(new Set(kinds).size).toBe(kinds.length);
    expect(kinds).toEqual(expect.arrayContaining(MODULES.map((m) => m.kind)));
    for (const m of ruleModules()) {
      expect(m.nameZh).toMatch(/\p{Script=Han}/u);
      expect((m.schema as { type?: string }).type).toBe('object');
    }
  });
});
