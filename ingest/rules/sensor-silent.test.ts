// 传感器失联 silent sensors measured in stream time: exactly maxSilenceS is fine, one second more is a candidate.
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import type { Observation } from '../observation.js';
import { RuleEngine } from './engine.js';
import { rule, SensorSilentRule, type SensorSilentConfig } from './sensor-silent.js';
import { at, ONE_CELL as CELL, locateOneCell as locate, sensor } from './grid-fixtures.js';
import type { DeviceInfo, RuleContext } from './types.js';

const devices = new Map<string, DeviceInfo>(
  [
    sensor('well1', { lon: 121.405, lat: 31.205, sensorType: 'manhole' }),
    sensor('well2', { lon: 121.406, lat: 31.206, sensorType: 'manhole' }),
    sensor('bin1', { lon: 121.405, lat: 31.205, sensorType: 'bin' }),
    sensor('nowhere', { sensorType: 'manhole' }),
    { id: 'c1', kind: 'collector', attributes: {}, gridCodes: [CELL] },
  ].map((d) => [d.id, d]),
);
const ctx: RuleContext = { device: (id) => devices.get(id) ?? null, locate, timeZone: 'Asia/Shanghai' };

const telemetry = (deviceId: string, local: string): Observation => ({
  type: 'telemetry',
  deviceId,
  timeMs: at(local),
  metrics: { tiltDeg: 1 },
  attributes: {},
  source: 'mqtt',
});
const status = (deviceId: string, local: string, source: 'mqtt' | 'broker'): Observation => ({
  type: 'status',
  deviceId,
  timeMs: at(local),
  state: source === 'broker' ? 'offline' : 'online',
  batteryPct: null,
  signalDbm: null,
  attributes: {},
  source,
});

const config: SensorSilentConfig = {
  id: 'silent-1',
  kind: 'sensor-silent',
  name: 'Manhole sensors gone quiet',
  enabled: true,
  classRef: 'component:0101',
  maxSilenceS: 600,
  deviceAttributes: { sensorType: 'manhole' },
};
function create(cfg: SensorSilentConfig = config): SensorSilentRule {
  const r = rule.create(cfg, new Map());
  if (!(r instanceof SensorSilentRule)) throw new Error('sensor-silent must create a SensorSilentRule');
  return r;
}

describe('sensor-silent', () => {
  it('fires once after maxSilenceS + 1 s of stream time, not at exactly maxSilenceS', () => {
    const r = create();
    expect(r.onObservation(telemetry('well1', '10:00:00'), ctx)).toEqual([]);
    expect(r.onTick(at('10:10:00'), ctx)).toEqual([]);
    const drafts = r.onTick(at('10:10:01'), ctx);
    expect(drafts).toHaveLength(1);
    expect(drafts[0]).toMatchObject({
      ruleId: 'silent-1',
      ruleKind: 'sensor-silent',
      classRef: 'component:0101',
      standardId: null,
      deviceId: 'well1',
      lon: 121.405,
      lat: 31.205,
      cell: CELL,
      startMs: at('10:00:00'),
      endMs: at('10:10:01'),
      key: `silent-1:well1:${at('10:00:00')}`,
    });
    expect(drafts[0]!.evidence.measured).toEqual({
      silentS: 601,
      maxSilenceS: 600,
      lastReportAt: new Date(at('10:00:00')).toISOString(),
    });
    expect(r.onTick(at('10:20:00'), ctx)).toEqual([]);
    expect(r.onTick(at('12:00:00'), ctx)).toEqual([]);
  });

  it('starts a new silence when the sensor reports again', () => {
    const r = create();
    r.onObservation(telemetry('well1', '10:00:00'), ctx);
    expect(r.onTick(at('10:10:01'), ctx)).toHaveLength(1);
    r.onObservation(status('well1', '10:30:00', 'mqtt'), ctx);
    expect(r.onTick(at('10:40:00'), ctx)).toEqual([]);
    const drafts = r.onTick(at('10:40:01'), ctx);
    expect(drafts.map((d) => [d.startMs, d.key])).toEqual([[at('10:30:00'), `silent-1:well1:${at('10:30:00')}`]]);
  });

  it("does not count the broker's offline record as the sensor reporting", () => {
    const r = create();
    r.onObservation(telemetry('well2', '10:00:00'), ctx);
    r.onObservation(status('well2', '10:05:00', 'broker'), ctx);
    expect(r.onTick(at('10:10:01'), ctx).map((d) => d.startMs)).toEqual([at('10:00:00')]);
  });

  it('judges each sensor on its own last report', () => {
    const r = create();
    r.onObservation(telemetry('well1', '10:00:00'), ctx);
    r.onObservation(telemetry('well2', '10:05:00'), ctx);
    expect(r.onTick(at('10:10:01'), ctx).map((d) => d.deviceId)).toEqual(['well1']);
    expect(r.onTick(at('10:15:01'), ctx).map((d) => d.deviceId)).toEqual(['well2']);
  });

  it('ignores sensors never heard from, other attributes and other device kinds', () => {
    const r = create();
    r.onObservation(telemetry('bin1', '10:00:00'), ctx);
    r.onObservation(telemetry('c1', '10:00:00'), ctx);
    r.onObservation(telemetry('unknown', '10:00:00'), ctx);
    expect(r.onTick(at('11:00:00'), ctx)).toEqual([]);
  });

  it('through the engine: stream time from other devices measures the silence', () => {
    const engine = new RuleEngine({ rules: [create()], ctx });
    const drafts = engine.process([
      telemetry('well1', '10:00:00'),
      telemetry('well2', '10:05:00'),
      telemetry('well2', '10:10:00'), // well1 silent exactly 600 s
      telemetry('well2', '10:10:01'), // 601 s
      telemetry('well2', '10:15:00'),
    ]);
    expect(drafts.map((d) => [d.deviceId, d.startMs, d.endMs])).toEqual([['well1', at('10:00:00'), at('10:10:01')]]);
  });

  it('skips and counts a silence with no place to put the candidate, once', () => {
    const r = create();
    r.onObservation(telemetry('nowhere', '10:00:00'), ctx);
    expect(r.onTick(at('10:10:01'), ctx)).toEqual([]);
    expect(r.onTick(at('10:20:00'), ctx)).toEqual([]);
    expect(r.skippedNoLocation).toBe(1);
  });
});

describe('sensor-silent configuration', () => {
  it('accepts the example configuration and rejects an out-of-range one', () => {
    expect(Value.Check(rule.schema, config)).toBe(true);
    expect(Value.Check(rule.schema, { ...config, maxSilenceS: 1.5 })).toBe(false);
    expect(Value.Check(rule.schema, { ...config, extra: 1 })).toBe(false);
  });
});
