import { describe, expect, it } from 'vitest';
import type { Observation } from '../observation.js';
import { rule, type RestrictedZoneConfig } from './restricted-zone.js';
import type { CandidateDraft, Rule } from './types.js';
import { at, base, box, context, fix, fixes, vehicle, zoneMap } from './vehicle-fixtures.js';

// Z1: 117.00–117.01 E × 36.65–36.66 N. IN is inside, OUT 1 km east of it.
const zones = zoneMap(box('Z1', [117.0, 36.65, 117.01, 36.66]), box('Z2', [117.05, 36.65, 117.06, 36.66]));
const IN: [number, number] = [117.005, 36.655];
const OUT: [number, number] = [117.02, 36.655];
const ctx = context([
  vehicle('muck-1', 'muck'),
  vehicle('bus-1', 'bus'),
  { id: 'col-1', kind: 'collector', attributes: { vehicleKind: 'muck' }, gridCodes: [] },
]);
const config: RestrictedZoneConfig = {
  ...base('rz', 'restricted-zone', 'event:0306'),
  zoneIds: ['Z1', 'Z2'],
  vehicleKinds: ['muck'],
  minDwellS: 60,
  minGapS: 120,
};

function run(r: Rule, observations: Observation[]): CandidateDraft[] {
  return observations.flatMap((o) => r.onObservation(o, ctx));
}

describe('restricted-zone 禁入区域', () => {
  it('a muck truck in from 10:03:00 to 10:07:00, out at 10:07:30 → one draft starting 10:03:00', () => {
    const drafts = run(rule.create(config, zones), [
      fix('muck-1', at('10:02:30'), ...OUT),
      ...fixes('muck-1', at('10:03:00'), at('10:07:00'), 30, ...IN),
      fix('muck-1', at('10:07:30'), ...OUT),
    ]);
    expect(drafts).toHaveLength(1);
    const d = drafts[0]!;
    expect(d).toMatchObject({
      ruleId: 'rz',
      ruleKind: 'restricted-zone',
      classRef: 'event:0306',
      standardId: null,
      deviceId: 'muck-1',
      lon: IN[0],
      lat: IN[1],
      cell: '370102001001001',
      startMs: at('10:03:00'),
      // Fires once the stay reached 60 s.
      endMs: at('10:04:00'),
      key: `rz:muck-1:Z1:${at('10:03:00')}`,
    });
    expect(d.evidence.measured).toEqual({ zoneId: 'Z1', zoneName: 'zone Z1', dwellS: 60 });
    // The track starts 120 s before entry: the 10:02:30 fix outside is there.
    expect(d.evidence.track!.coordinates[0]).toEqual(OUT);
    expect(d.evidence.track!.times.at(-1)).toBe(new Date(at('10:04:00')).toISOString());
  });

  it('an hour in the zone is one draft, not one per fix', () => {
    const drafts = run(rule.create(config, zones), fixes('muck-1', at('09:00:00'), at('10:00:00'), 10, ...IN));
    expect(drafts).toHaveLength(1);
    expect(drafts[0]!.startMs).toBe(at('09:00:00'));
  });

  it('flapping at the edge within minGapS is the same stay; a longer absence starts a new one', () => {
    const drafts = run(rule.create(config, zones), [
      ...fixes('muck-1', at('10:00:00'), at('10:02:00'), 30, ...IN),
      fix('muck-1', at('10:02:30'), ...OUT),
      ...fixes('muck-1', at('10:03:00'), at('10:05:00'), 30, ...IN),
      // Out 10:05:30–10:10:30 (5 min ≥ 120 s), back in at 10:11:00 for two minutes.
      ...fixes('muck-1', at('10:05:30'), at('10:10:30'), 60, ...OUT),
      ...fixes('muck-1', at('10:11:00'), at('10:13:00'), 30, ...IN),
    ]);
    expect(drafts.map((d) => d.startMs)).toEqual([at('10:00:00'), at('10:11:00')]);
    expect(new Set(drafts.map((d) => d.key)).size).toBe(2);
  });

  it('a visit shorter than minDwellS raises nothing', () => {
    const drafts = run(rule.create(config, zones), [
      fix('muck-1', at('10:00:00'), ...IN),
      fix('muck-1', at('10:00:50'), ...IN),
      ...fixes('muck-1', at('10:01:00'), at('10:10:00'), 60, ...OUT),
    ]);
    expect(drafts).toEqual([]);
  });

  it('ignores other vehicle kinds, non-vehicles and unknown devices', () => {
    const r = rule.create(config, zones);
    for (const id of ['bus-1', 'col-1', 'ghost']) {
      expect(run(r, fixes(id, at('10:00:00'), at('10:10:00'), 30, ...IN))).toEqual([]);
    }
  });

  it('each zone is its own stay', () => {
    const drafts = run(rule.create(config, zones), [
      ...fixes('muck-1', at('10:00:00'), at('10:02:00'), 30, ...IN),
      ...fixes('muck-1', at('10:03:00'), at('10:05:00'), 30, 117.055, 36.655),
    ]);
    expect(drafts.map((d) => d.key)).toEqual([`rz:muck-1:Z1:${at('10:00:00')}`, `rz:muck-1:Z2:${at('10:03:00')}`]);
  });

  it('with hours 06:00–22:00 only stays inside the window count', () => {
    const r = rule.create({ ...config, hours: [{ from: '06:00', to: '22:00' }] }, zones);
    // 22:30–23:30 local: the zone is open.
    expect(run(r, fixes('muck-1', at('22:30:00'), at('23:30:00'), 60, ...IN))).toEqual([]);
    // 05:50–06:10 on the next day: the stay counts from 06:00:00, fires at 06:01:00.
    const drafts = run(r, fixes('muck-1', at('05:50:00', '2026-06-02'), at('06:10:00', '2026-06-02'), 60, ...IN));
    expect(drafts).toHaveLength(1);
    expect(drafts[0]!.startMs).toBe(at('06:00:00', '2026-06-02'));
    expect(drafts[0]!.endMs).toBe(at('06:01:00', '2026-06-02'));
  });

  it('check reports unknown zones and empty windows', () => {
    expect(rule.check!({ ...config, zoneIds: ['Z1', 'nope'], hours: [{ from: '08:00', to: '08:00' }] }, zones)).toEqual(
      ['zoneIds: unknown zone "nope"', 'hours[0]: from equals to (an empty window)'],
    );
    expect(rule.check!(config, zones)).toEqual([]);
  });
});
