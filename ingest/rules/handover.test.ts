// 集群交接 hand-over of a device between hub processes, as the rules see it: the process it left forgets it (and never
// judges it on a history that stopped there), the process it reached rebuilds its state from the stored history without
// raising what that history fired, and the live fixes after it fire exactly when one process seeing everything would.
import { describe, expect, it } from 'vitest';
import type { Observation } from '../observation.js';
import { RuleEngine } from './engine.js';
import { createEngineRules, ruleModules } from './registry.js';
import type { CandidateDraft, RuleConfigBase, RuleContext } from './types.js';
import { at, base, box, context, fix, vehicle, zoneMap } from './vehicle-fixtures.js';

const ZONE = box('Z1', [117.0, 36.65, 117.01, 36.66]);
const zones = zoneMap(ZONE);
const IN_ZONE = [117.005, 36.655] as const;
const line = {
  type: 'LineString',
  coordinates: [
    [117.0, 36.65],
    [117.01, 36.65],
  ],
};
const shifts = [{ from: '08:00', to: '17:30' }];
const sensorAt = { lon: 117.005, lat: 36.655 };

/** One configuration of every rule kind. */
const CONFIGS: Record<string, RuleConfigBase & Record<string, unknown>> = {
  'restricted-zone': { ...base('rz', 'restricted-zone'), zoneIds: ['Z1'], vehicleKinds: ['muck'] },
  overspeed: { ...base('os', 'overspeed'), zoneIds: ['Z1'], limitKmh: 40 },
  'no-stopping': { ...base('ns', 'no-stopping'), zoneIds: ['Z1'], maxStopS: 300 },
  'off-route': { ...base('or', 'off-route'), routes: [{ deviceId: 'truck', line }] },
  'route-coverage': {
    ...base('rc', 'route-coverage'),
    assignments: [{ deviceId: 'sweeper', segments: [{ id: 's1', line }], deadline: '10:00' }],
  },
  'terminal-alarm': { ...base('ta', 'terminal-alarm'), alarms: ['sos'] },
  'collector-idle': { ...base('ci', 'collector-idle'), shifts, radiusM: 50, maxIdleS: 900 },
  'collector-outside-grid': { ...base('cg', 'collector-outside-grid'), shifts, maxOutsideS: 600 },
  'cell-coverage': { ...base('cc', 'cell-coverage'), shifts, minCoveredPct: 75 },
  'sensor-silent': { ...base('ss', 'sensor-silent'), maxSilenceS: 600 },
  'sensor-threshold': {
    ...base('st', 'sensor-threshold'),
    metric: 'fillPct',
    direction: 'above',
    on: 80,
    off: 75,
    minDurationS: 300,
  },
};

const devices = [
  vehicle('truck', 'muck'),
  vehicle('sweeper', 'sanitation'),
  { id: 'well', kind: 'sensor', attributes: sensorAt, gridCodes: [] },
  { id: 'collector', kind: 'collector', attributes: {}, gridCodes: ['370102001001001'] },
];

function engineOf(kind: string, ctx: RuleContext): RuleEngine {
  const built = createEngineRules([CONFIGS[kind]!], zones);
  return new RuleEngine({ rules: built, ctx });
}

const stopped = (deviceId: string, hhmmss: string): Observation => fix(deviceId, at(hhmmss), IN_ZONE[0], IN_ZONE[1], 0);

const reading = (deviceId: string, hhmmss: string): Observation => ({
  type: 'telemetry',
  deviceId,
  timeMs: at(hhmmss),
  metrics: { fillPct: 10 },
  attributes: {},
  source: 'mqtt',
});

describe('rule hand-over', () => {
  it('every rule kind can forget a device and says how much history rebuilds it', () => {
    expect(Object.keys(CONFIGS).sort()).toEqual(
      ruleModules()
        .map((m) => m.kind)
        .sort(),
    );
    const ctx = context(devices);
    for (const module of ruleModules()) {
      const rule = module.create(CONFIGS[module.kind]!, zones);
      expect(typeof rule.forgetDevice, module.kind).toBe('function');
      expect(typeof rule.historyMs, module.kind).toBe('function');
      const subject: Record<string, string> = {
        sensor: 'well',
        collector: 'collector',
        cell: 'collector',
        route: 'sweeper',
      };
      const history = rule.historyMs!(subject[module.kind.split('-')[0]!] ?? 'truck', at('09:00:00'), ctx);
      expect([module.kind, history > 0]).toEqual([module.kind, true]);
      expect(history, module.kind).toBeLessThanOrEqual(24 * 3600_000);
    }
  });

  it('a stop begun on one process fires on the next one at the time it would have, once', () => {
    const ctx = context(devices);
    // One process seeing every fix: the reference.
    const whole = engineOf('no-stopping', ctx);
    const fixes = ['10:00:00', '10:01:00', '10:02:00', '10:03:00', '10:04:00', '10:05:00', '10:05:30', '10:06:00'];
    const reference = fixes.flatMap((t) => whole.process([stopped('truck', t)]));
    expect(reference.map((d) => [d.startMs, d.endMs])).toEqual([[at('10:00:00'), at('10:05:30')]]);

    // The truck stops under process A for three minutes, then its connection moves to process B.
    const a = engineOf('no-stopping', ctx);
    for (const t of fixes.slice(0, 4)) expect(a.process([stopped('truck', t)])).toEqual([]);
    const b = engineOf('no-stopping', ctx);
    expect(b.historyMs('truck', at('10:03:30'))).toBeGreaterThanOrEqual(300_000);
    expect(b.warm(fixes.slice(0, 4).map((t) => stopped('truck', t)))).toEqual([]);
    a.forgetDevice('truck');
    const drafts = fixes.slice(4).flatMap((t) => b.process([stopped('truck', t)]));
    expect(drafts.map((d) => [d.key, d.startMs, d.endMs])).toEqual(reference.map((d) => [d.key, d.startMs, d.endMs]));
    // Without the history, B would have measured the stop from the hand-over and fired late.
    const cold = engineOf('no-stopping', ctx);
    expect(fixes.slice(4).flatMap((t) => cold.process([stopped('truck', t)]))).toEqual([]);
  });

  it('a stop that fired before the hand-over does not fire again on the next process', () => {
    const ctx = context(devices);
    const a = engineOf('no-stopping', ctx);
    const before = ['10:00:00', '10:03:00', '10:06:00', '10:07:00'].flatMap((t) => a.process([stopped('truck', t)]));
    expect(before).toHaveLength(1);
    const b = engineOf('no-stopping', ctx);
    const arrivedMs = at('10:07:30');
    const fromMs = arrivedMs - b.historyMs('truck', arrivedMs);
    const history = ['10:00:00', '10:03:00', '10:06:00', '10:07:00'].map((t) => stopped('truck', t));
    // What the history fires is dropped by the caller: the process that saw it live raised it.
    expect(b.warm(history.filter((o) => o.timeMs >= fromMs))).toHaveLength(1);
    expect(['10:08:00', '10:12:00', '10:20:00'].flatMap((t) => b.process([stopped('truck', t)]))).toEqual([]);
  });

  it('the process a sensor left never reports it silent', () => {
    const ctx = context(devices);
    const a = engineOf('sensor-silent', ctx);
    a.process([reading('well', '10:00:00')]);
    a.forgetDevice('well');
    // A's stream time moves on with its other devices; the sensor reports to B meanwhile.
    const drafts: CandidateDraft[] = [];
    for (let m = 1; m <= 30; m++) drafts.push(...a.process([stopped('truck', `10:${String(m).padStart(2, '0')}:00`)]));
    drafts.push(...a.tick(at('11:00:00')));
    expect(drafts.filter((d) => d.ruleKind === 'sensor-silent')).toEqual([]);

    // Without forgetting, the same stream time would have made a false candidate.
    const stale = engineOf('sensor-silent', ctx);
    stale.process([reading('well', '10:00:00')]);
    expect(stale.tick(at('11:00:00')).map((d) => d.deviceId)).toEqual(['well']);
  });

  it('warming moves no stream time and runs no tick for other devices', () => {
    const ctx = context(devices);
    const b = engineOf('sensor-silent', ctx);
    b.process([reading('well', '09:00:00')]);
    // An hour of another device's history, replayed: the well's silence is not judged on it.
    expect(b.warm([stopped('truck', '09:30:00'), stopped('truck', '10:30:00')])).toEqual([]);
    expect(b.watermarkMs).toBe(at('09:00:00'));
  });

  it('a route is judged only by the process that handles the vehicle', () => {
    const handled = new Set<string>();
    const ctx: RuleContext = { ...context(devices), handles: (id) => handled.has(id) };
    const engine = engineOf('route-coverage', ctx);
    engine.process([fix('truck', at('08:00:00'), 117.2, 36.8, 30)]);
    expect(engine.tick(at('10:30:00'))).toEqual([]);
    handled.add('sweeper');
    // The next day this process has the sweeper, which drove nothing: judged here.
    expect(engine.tick(at('08:00:00', '2026-06-02'))).toEqual([]);
    expect(engine.tick(at('10:30:00', '2026-06-02')).map((d) => d.deviceId)).toEqual(['sweeper']);
  });
});
