import { describe, expect, it } from 'vitest';
import type { Observation } from '../observation.js';
import { rule, type OverspeedConfig } from './overspeed.js';
import type { CandidateDraft, Rule } from './types.js';
import { at, base, box, context, fix, vehicle, zoneMap } from './vehicle-fixtures.js';

const zones = zoneMap(
  box('school', [117.0, 36.65, 117.01, 36.66], { speedLimitKmh: 40 }),
  box('nolimit', [117.05, 36.65, 117.06, 36.66]),
);
const IN: [number, number] = [117.005, 36.655];
const ctx = context([vehicle('v1', 'muck'), vehicle('v2', 'sweeper')]);
const config: OverspeedConfig = {
  ...base('os', 'overspeed', 'event:0399'),
  zoneIds: ['school'],
  toleranceKmh: 5,
  minDurationS: 10,
  minGapS: 30,
};
const run = (r: Rule, obs: Observation[]): CandidateDraft[] => obs.flatMap((o) => r.onObservation(o, ctx));

/** Fixes every 5 s from 10:00:00 at IN with the given speeds. */
const speeds = (deviceId: string, kmh: (number | null)[], lonLat = IN) =>
  kmh.map((s, i) => fix(deviceId, at('10:00:00') + i * 5000, ...lonLat, s));

describe('overspeed 超速', () => {
  it('above limit + tolerance for minDurationS → one draft with the top speed and the limit', () => {
    // 45 is not above 40 + 5; 50 at 10:00:05 starts it; 10 s later (10:00:15) it fires; top speed so far 55.
    const drafts = run(rule.create(config, zones), speeds('v1', [45, 50, 55, 52, 48, 60, 30, 30]));
    expect(drafts).toHaveLength(1);
    expect(drafts[0]).toMatchObject({
      deviceId: 'v1',
      startMs: at('10:00:05'),
      endMs: at('10:00:15'),
      key: `os:v1:school:${at('10:00:05')}`,
    });
    expect(drafts[0]!.evidence.measured).toEqual({
      maxSpeedKmh: 55,
      limitKmh: 40,
      toleranceKmh: 5,
      durationS: 10,
      zoneId: 'school',
    });
  });

  it('a burst shorter than minDurationS raises nothing; fixes without speed change nothing', () => {
    expect(run(rule.create(config, zones), speeds('v1', [60, 60, 30, 30, 30, 30, 30, 30, 30]))).toEqual([]);
    // null speeds neither end nor extend the episode: 50 at :00, null at :05, 50 at :10 → fires at :10.
    const drafts = run(rule.create(config, zones), speeds('v1', [50, null, 50]));
    expect(drafts.map((d) => d.endMs)).toEqual([at('10:00:10')]);
  });

  it("the rule's limitKmh overrides the zone's", () => {
    const r = rule.create({ ...config, limitKmh: 60 }, zones);
    expect(run(r, speeds('v1', [55, 55, 55, 55]))).toEqual([]);
    expect(run(r, speeds('v2', [70, 70, 70]))).toHaveLength(1);
  });

  it('outside the zone speed is not judged; vehicleKinds narrows the vehicles', () => {
    expect(run(rule.create(config, zones), speeds('v1', [90, 90, 90, 90], [117.02, 36.655]))).toEqual([]);
    const r = rule.create({ ...config, vehicleKinds: ['sweeper'] }, zones);
    expect(run(r, speeds('v1', [90, 90, 90, 90]))).toEqual([]);
    expect(run(r, speeds('v2', [90, 90, 90, 90]))).toHaveLength(1);
  });

  it('check wants a limit for every zone', () => {
    expect(rule.check!({ ...config, zoneIds: ['school', 'nolimit'] }, zones)).toEqual([
      'zone "nolimit" has no speedLimitKmh and the rule sets no limitKmh',
    ]);
    expect(rule.check!({ ...config, zoneIds: ['school', 'nolimit'], limitKmh: 30 }, zones)).toEqual([]);
  });
});
