// 长时间静止 collector idle: stays within a radius during a shift, hand-placed fixes in metres, local Shanghai times.
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import type { Observation } from '../observation.js';
import { distanceM, rule, type CollectorIdleConfig } from './collector-idle.js';
import { at, fix, ONE_CELL as CELL, locateOneCell as locate } from './grid-fixtures.js';
import type { DeviceInfo, RuleContext } from './types.js';

const M_PER_DEG_LAT = (6_371_008.8 * Math.PI) / 180; // 111,195.08 m
const P0 = { lon: 121.405, lat: 31.205 };
const north = (m: number) => ({ lon: P0.lon, lat: P0.lat + m / M_PER_DEG_LAT });
const east = (m: number) => ({ lon: P0.lon + m / (M_PER_DEG_LAT * Math.cos((P0.lat * Math.PI) / 180)), lat: P0.lat });

const devices = new Map<string, DeviceInfo>([
  ['c1', { id: 'c1', kind: 'collector', attributes: {}, gridCodes: [CELL] }],
  ['s1', { id: 's1', kind: 'sensor', attributes: {}, gridCodes: [] }],
]);
const ctx: RuleContext = { device: (id) => devices.get(id) ?? null, locate, timeZone: 'Asia/Shanghai' };

const config: CollectorIdleConfig = {
  id: 'idle-1',
  kind: 'collector-idle',
  name: 'Collectors keep moving',
  enabled: true,
  classRef: 'event:1902',
  shifts: [{ from: '08:00', to: '17:30' }],
  radiusM: 50,
  maxIdleS: 900,
};
const feed = (cfg: CollectorIdleConfig, obs: Observation[]) => {
  const r = rule.create(cfg, new Map());
  return obs.flatMap((o) => r.onObservation(o, ctx));
};

describe('collector-idle', () => {
  it('measures distances on the sphere', () => {
    expect(distanceM(P0, { lon: P0.lon, lat: P0.lat + 0.001 })).toBeCloseTo(111.195, 2);
    expect(distanceM(P0, east(30))).toBeCloseTo(30, 3);
  });

  it('fires once when a stay within radiusM lasts longer than maxIdleS (not at exactly maxIdleS)', () => {
    const drafts = feed(config, [
      fix('c1', at('10:00:00'), P0),
      fix('c1', at('10:05:00'), north(20)),
      fix('c1', at('10:10:00'), east(30)),
      fix('c1', at('10:15:00'), P0), // 900 s: not yet
      fix('c1', at('10:15:01'), north(10)), // 901 s
      fix('c1', at('10:20:00'), P0),
    ]);
    expect(drafts).toHaveLength(1);
    expect(drafts[0]).toMatchObject({
      ruleId: 'idle-1',
      ruleKind: 'collector-idle',
      classRef: 'event:1902',
      standardId: null,
      deviceId: 'c1',
      lon: P0.lon,
      lat: P0.lat,
      cell: CELL,
      startMs: at('10:00:00'),
      endMs: at('10:15:01'),
      key: `idle-1:c1:${at('10:00:00')}`,
    });
    expect(drafts[0]!.evidence.measured).toEqual({ idleS: 901, maxIdleS: 900, radiusM: 50, maxDistanceM: 30 });
    expect(drafts[0]!.evidence.track?.coordinates).toHaveLength(5);
  });

  it('restarts the stay when the collector moves beyond the radius', () => {
    const far = north(200);
    const drafts = feed(config, [
      fix('c1', at('10:00:00'), P0),
      fix('c1', at('10:10:00'), north(49)),
      fix('c1', at('10:14:00'), north(51)), // 51 m from the anchor: a new stay starts here
      fix('c1', at('10:29:00'), north(60)), // 15 min since 10:14 exactly: nothing
      fix('c1', at('10:29:30'), far), // moved away
      fix('c1', at('10:44:31'), far), // 901 s since 10:29:30
    ]);
    expect(drafts.map((d) => [d.startMs, d.lat])).toEqual([[at('10:29:30'), far.lat]]);
  });

  it('does not fire for a collector walking 100 m every 5 minutes', () => {
    const obs = Array.from({ length: 20 }, (_, i) => fix('c1', at('09:00:00') + i * 300_000, north(i * 100)));
    expect(feed(config, obs)).toEqual([]);
  });

  it('counts only shift time: a stay from 07:50 is measured from the first fix in the shift', () => {
    const drafts = feed(config, [
      fix('c1', at('07:50:00'), P0),
      fix('c1', at('08:00:00'), P0),
      fix('c1', at('08:15:00'), P0), // 900 s since 08:00
      fix('c1', at('08:15:01'), P0),
    ]);
    expect(drafts.map((d) => d.startMs)).toEqual([at('08:00:00')]);
    // A stay running into the shift end: 17:20 → 17:40 is off shift from 17:30.
    expect(feed(config, [fix('c1', at('17:20:00'), P0), fix('c1', at('17:40:00'), P0)])).toEqual([]);
  });

  it('handles a night shift over midnight and ignores devices that are not collectors', () => {
    const night = { ...config, shifts: [{ from: '22:00', to: '06:00' }] };
    const drafts = feed(night, [
      fix('c1', at('23:50:00'), P0),
      fix('c1', Date.parse('2026-12-02T00:05:01+08:00'), P0),
      fix('s1', at('23:00:00'), P0),
      fix('s1', Date.parse('2026-12-02T01:00:00+08:00'), P0),
    ]);
    expect(drafts.map((d) => [d.deviceId, d.startMs])).toEqual([['c1', at('23:50:00')]]);
  });
});

describe('collector-idle configuration', () => {
  it('accepts the example configuration and rejects an out-of-range one', () => {
    expect(Value.Check(rule.schema, config)).toBe(true);
    expect(Value.Check(rule.schema, { ...config, radiusM: 0 })).toBe(false);
    expect(Value.Check(rule.schema, { ...config, extra: 1 })).toBe(false);
  });
});
