import { describe, expect, it } from 'vitest';
import type { Observation } from '../observation.js';
import { rule, type NoStoppingConfig } from './no-stopping.js';
import type { CandidateDraft, Rule } from './types.js';
import { at, base, box, context, fix, fixes, vehicle, zoneMap } from './vehicle-fixtures.js';

const zones = zoneMap(box('gate', [117.0, 36.65, 117.01, 36.66]));
const IN: [number, number] = [117.005, 36.655];
const ctx = context([vehicle('v1', 'muck')]);
const config: NoStoppingConfig = { ...base('ns', 'no-stopping', 'event:0307'), zoneIds: ['gate'], maxStopS: 300 };
const run = (r: Rule, obs: Observation[]): CandidateDraft[] => obs.flatMap((o) => r.onObservation(o, ctx));

describe('no-stopping 禁停区域', () => {
  it('stopped from 10:00:00: exactly 300 s is allowed, the fix at 10:06:00 fires one draft', () => {
    const r = rule.create(config, zones);
    expect(run(r, fixes('v1', at('10:00:00'), at('10:05:00'), 60, ...IN, 0))).toEqual([]);
    const drafts = run(r, fixes('v1', at('10:06:00'), at('11:00:00'), 60, ...IN, 1.5));
    expect(drafts).toHaveLength(1);
    expect(drafts[0]).toMatchObject({ startMs: at('10:00:00'), endMs: at('10:06:00'), lon: IN[0], lat: IN[1] });
    expect(drafts[0]!.evidence.measured).toEqual({ stoppedS: 360, maxStopS: 300, stoppedBelowKmh: 3, zoneId: 'gate' });
  });

  it('creeping forward for less than minGapS does not end the stop', () => {
    const drafts = run(rule.create(config, zones), [
      ...fixes('v1', at('10:00:00'), at('10:03:00'), 60, ...IN, 0),
      fix('v1', at('10:03:30'), ...IN, 10),
      ...fixes('v1', at('10:04:00'), at('10:07:00'), 60, ...IN, 0),
    ]);
    expect(drafts.map((d) => [d.startMs, d.endMs])).toEqual([[at('10:00:00'), at('10:06:00')]]);
  });

  it('driving through, or stopping outside the zone, raises nothing', () => {
    expect(run(rule.create(config, zones), fixes('v1', at('10:00:00'), at('10:30:00'), 60, ...IN, 20))).toEqual([]);
    expect(run(rule.create(config, zones), fixes('v1', at('10:00:00'), at('10:30:00'), 60, 117.02, 36.655, 0))).toEqual(
      [],
    );
  });

  it('stoppedBelowKmh is configurable', () => {
    const r = rule.create({ ...config, stoppedBelowKmh: 1 }, zones);
    expect(run(r, fixes('v1', at('10:00:00'), at('10:30:00'), 60, ...IN, 2))).toEqual([]);
  });

  it('a silence of more than 15 min ends the stop (what happened in between is unknown)', () => {
    const drafts = run(rule.create(config, zones), [
      fix('v1', at('10:00:00'), ...IN, 0),
      fix('v1', at('10:20:00'), ...IN, 0),
      fix('v1', at('10:24:00'), ...IN, 0),
      fix('v1', at('10:25:01'), ...IN, 0),
    ]);
    expect(drafts.map((d) => d.startMs)).toEqual([at('10:20:00')]);
  });
});
