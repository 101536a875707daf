// 传感器阈值 sensor thresholds with hysteresis and minimum duration, hand-timed readings in local Shanghai time.
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { positionFix } from '../../test/support/observations.js';
import type { Observation } from '../observation.js';
import { RuleEngine } from './engine.js';
import { rule, sensorPlace, SensorThresholdRule, type SensorThresholdConfig } from './sensor-threshold.js';
import { at, ONE_CELL as CELL, locateOneCell as locate, sensor } from './grid-fixtures.js';
import type { DeviceInfo, RuleContext } from './types.js';

const devices = new Map<string, DeviceInfo>(
  [
    sensor('bin1', { lon: 121.405, lat: 31.205, sensorType: 'bin' }),
    sensor('bin2', { lon: '121.406', lat: '31.206', sensorType: 'bin' }),
    sensor('bin3', { sensorType: 'bin' }), // no installation point
    sensor('well1', { lon: 121.405, lat: 31.205, sensorType: 'manhole' }),
    { id: 'truck', kind: 'vehicle', attributes: { lon: 121.405, lat: 31.205 }, gridCodes: [] },
  ].map((d) => [d.id, d]),
);
const ctx: RuleContext = { device: (id) => devices.get(id) ?? null, locate, timeZone: 'Asia/Shanghai' };

const reading = (deviceId: string, local: string, metrics: Record<string, number>): Observation => ({
  type: 'telemetry',
  deviceId,
  timeMs: at(local),
  metrics,
  attributes: {},
  source: 'mqtt',
});

const fill: SensorThresholdConfig = {
  id: 'bin-full',
  kind: 'sensor-threshold',
  name: 'Overflowing bins',
  enabled: true,
  classRef: 'component:0301',
  standardId: 12,
  metric: 'fillPct',
  direction: 'above',
  on: 80,
  off: 75,
  minDurationS: 300,
};
function create(cfg: SensorThresholdConfig = fill): SensorThresholdRule {
  const r = rule.create(cfg, new Map());
  if (!(r instanceof SensorThresholdRule)) throw new Error('sensor-threshold must create a SensorThresholdRule');
  return r;
}
const feed = (r: SensorThresholdRule, obs: Observation[]) => obs.flatMap((o) => r.onObservation(o, ctx));

describe('sensor-threshold', () => {
  it('raises one candidate for a flapping reading (79, 81, 79.5, 81 with on 80 / off 75) once held 5 minutes', () => {
    const r = create();
    const drafts = feed(r, [
      reading('bin1', '10:00:00', { fillPct: 79 }),
      reading('bin1', '10:02:00', { fillPct: 81 }), // episode starts
      reading('bin1', '10:04:00', { fillPct: 79.5 }), // below on, above off: still in the episode
      reading('bin1', '10:06:00', { fillPct: 81 }), // held 4 min
      reading('bin1', '10:07:00', { fillPct: 82 }), // held 5 min: fires
      reading('bin1', '10:08:00', { fillPct: 79 }),
      reading('bin1', '10:09:00', { fillPct: 90 }),
    ]);
    expect(drafts).toHaveLength(1);
    expect(drafts[0]).toMatchObject({
      ruleId: 'bin-full',
      ruleKind: 'sensor-threshold',
      classRef: 'component:0301',
      standardId: 12,
      deviceId: 'bin1',
      lon: 121.405,
      lat: 31.205,
      cell: CELL,
      startMs: at('10:02:00'),
      endMs: at('10:07:00'),
      key: `bin-full:bin1:${at('10:02:00')}`,
    });
    expect(drafts[0]!.evidence.series).toEqual({
      metric: 'fillPct',
      points: [
        ['10:00:00', 79],
        ['10:02:00', 81],
        ['10:04:00', 79.5],
        ['10:06:00', 81],
        ['10:07:00', 82],
      ].map(([t, value]) => ({ time: new Date(at(t as string)).toISOString(), value })),
    });
    expect(drafts[0]!.evidence.measured).toMatchObject({ peak: 82, heldS: 300 });
    expect(r.onTick(at('11:00:00'), ctx)).toEqual([]);
  });

  it('starts a new episode only after clearing at or below off', () => {
    const r = create();
    const drafts = feed(r, [
      reading('bin1', '10:00:00', { fillPct: 85 }),
      reading('bin1', '10:05:00', { fillPct: 85 }), // fires (5 min)
      reading('bin1', '10:06:00', { fillPct: 75 }), // clears (≤ off)
      reading('bin1', '10:07:00', { fillPct: 80 }), // new episode (≥ on)
      reading('bin1', '10:12:00', { fillPct: 80 }), // fires
    ]);
    expect(drafts.map((d) => [d.startMs, d.endMs])).toEqual([
      [at('10:00:00'), at('10:05:00')],
      [at('10:07:00'), at('10:12:00')],
    ]);
    expect(drafts[0]!.key).not.toBe(drafts[1]!.key);
  });

  it('raises nothing when the episode clears before minDurationS', () => {
    const r = create();
    expect(
      feed(r, [
        reading('bin1', '10:00:00', { fillPct: 81 }),
        reading('bin1', '10:04:59', { fillPct: 95 }),
        reading('bin1', '10:05:00', { fillPct: 70 }), // cleared at exactly 5 min, before firing
        reading('bin1', '10:20:00', { fillPct: 79 }), // under on: no new episode
      ]),
    ).toEqual([]);
    expect(r.onTick(at('10:30:00'), ctx)).toEqual([]);
  });

  it('holds the last reading between reports: the watermark fires an episode a quiet sensor is still in', () => {
    const r = create();
    expect(feed(r, [reading('bin1', '10:00:00', { fillPct: 90 })])).toEqual([]);
    expect(r.onTick(at('10:04:59'), ctx)).toEqual([]);
    const drafts = r.onTick(at('10:05:00'), ctx);
    expect(drafts.map((d) => [d.startMs, d.endMs])).toEqual([[at('10:00:00'), at('10:05:00')]]);
    expect(r.onTick(at('10:06:00'), ctx)).toEqual([]);
  });

  it('through the engine, which ticks before each newer observation: short episodes stay quiet, held ones fire', () => {
    const engine = new RuleEngine({ rules: [create()], ctx });
    expect(
      engine.process([
        reading('bin1', '10:00:00', { fillPct: 81 }),
        reading('bin1', '10:03:00', { fillPct: 70 }), // 3 min: cleared before minDurationS
        reading('well1', '10:30:00', { fillPct: 10 }),
      ]),
    ).toEqual([]);
    // A sensor that reports on change: one reading of 90, then other devices move stream time on.
    const drafts = engine.process([
      reading('bin1', '11:00:00', { fillPct: 90 }),
      reading('well1', '11:04:59', { fillPct: 10 }),
      reading('well1', '11:05:00', { fillPct: 10 }),
      reading('well1', '11:06:00', { fillPct: 10 }),
    ]);
    expect(drafts.map((d) => [d.deviceId, d.startMs, d.endMs])).toEqual([['bin1', at('11:00:00'), at('11:05:00')]]);
  });

  it('handles direction below, with off above on', () => {
    const r = create({ ...fill, metric: 'waterLevelCm', direction: 'below', on: 100, off: 120, minDurationS: 120 });
    const drafts = feed(r, [
      reading('bin1', '10:00:00', { waterLevelCm: 130 }),
      reading('bin1', '10:01:00', { waterLevelCm: 90 }),
      reading('bin1', '10:02:00', { waterLevelCm: 110 }),
      reading('bin1', '10:03:00', { waterLevelCm: 95 }),
    ]);
    expect(drafts.map((d) => [d.startMs, d.endMs, d.evidence.measured?.peak])).toEqual([
      [at('10:01:00'), at('10:03:00'), 90],
    ]);
  });

  it('places the candidate at the registry point, else the last position; skips and counts when neither', () => {
    const r = create();
    const episode = (id: string) => [
      reading(id, '10:00:00', { fillPct: 90 }),
      reading(id, '10:05:00', { fillPct: 90 }),
    ];
    // String attributes from a CSV import still give a point.
    expect(feed(r, episode('bin2')).map((d) => [d.lon, d.lat])).toEqual([[121.406, 31.206]]);
    expect(feed(r, episode('bin3'))).toEqual([]);
    expect(r.skippedNoLocation).toBe(1);
    // Counted once per episode, not per reading.
    expect(feed(r, [reading('bin3', '10:06:00', { fillPct: 95 })])).toEqual([]);
    expect(r.skippedNoLocation).toBe(1);

    const r2 = create();
    const position: Observation = positionFix('bin3', at('09:00:00'), { lon: 121.401, lat: 31.201 });
    expect(feed(r2, [position, ...episode('bin3')]).map((d) => [d.lon, d.lat, d.cell])).toEqual([
      [121.401, 31.201, CELL],
    ]);
    expect(r2.skippedNoLocation).toBe(0);
  });

  it('filters by device kind, attributes and metric', () => {
    const r = create({ ...fill, deviceAttributes: { sensorType: 'bin' } });
    const episode = (id: string, metric = 'fillPct') => [
      reading(id, '10:00:00', { [metric]: 90 }),
      reading(id, '10:05:00', { [metric]: 90 }),
    ];
    expect(
      feed(r, [...episode('well1'), ...episode('truck'), ...episode('nobody'), ...episode('bin1', 'tiltDeg')]),
    ).toEqual([]);
    expect(feed(r, episode('bin1'))).toHaveLength(1);
  });

  it('checks that off lies on the clearing side of on', () => {
    expect(rule.check!(fill, new Map())).toEqual([]);
    expect(rule.check!({ ...fill, off: 85 }, new Map())).toHaveLength(1);
    expect(rule.check!({ ...fill, direction: 'below', on: 20, off: 10 }, new Map())).toHaveLength(1);
  });

  it('reads the sensor place from attributes, rejecting out-of-range values', () => {
    expect(sensorPlace(sensor('x', { lon: 200, lat: 31 }), undefined)).toBeNull();
    expect(sensorPlace(sensor('x', { lon: 121, lat: 31 }), { lon: 1, lat: 2 })).toEqual({ lon: 121, lat: 31 });
  });
});

describe('sensor-threshold configuration', () => {
  it('accepts the example configuration and rejects an out-of-range one', () => {
    expect(Value.Check(rule.schema, fill)).toBe(true);
    expect(Value.Check(rule.schema, { ...fill, direction: 'over' })).toBe(false);
    expect(Value.Check(rule.schema, { ...fill, extra: 1 })).toBe(false);
  });
});
