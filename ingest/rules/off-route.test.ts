import { describe, expect, it } from 'vitest';
import type { Observation } from '../observation.js';
import { rule, type OffRouteConfig } from './off-route.js';
import type { CandidateDraft, Rule } from './types.js';
import { at, base, context, fixes, vehicle, zoneMap } from './vehicle-fixtures.js';

// The corridor: east along 36.65 N from 117.00 to 117.02.
const east = {
  type: 'LineString' as const,
  coordinates: [
    [117.0, 36.65],
    [117.02, 36.65],
  ],
};
// Another route: north along 117.03 E.
const north = {
  type: 'LineString' as const,
  coordinates: [
    [117.03, 36.64],
    [117.03, 36.68],
  ],
};
const ctx = context([vehicle('m1', 'muck'), vehicle('m2', 'muck'), vehicle('b1', 'bus')]);
const config: OffRouteConfig = {
  ...base('or', 'off-route', 'event:0308'),
  routes: [
    { vehicleKind: 'muck', line: east },
    { deviceId: 'm2', line: north },
  ],
  corridorM: 50,
  minDurationS: 60,
  minGapS: 60,
};
const run = (r: Rule, obs: Observation[]): CandidateDraft[] => obs.flatMap((o) => r.onObservation(o, ctx));

describe('off-route 偏离路线', () => {
  it('111 m off the corridor from 10:00:00 for a minute → one draft with the distance', () => {
    const drafts = run(rule.create(config, zones()), [
      // 0.0003° north = 33 m: inside the 50 m corridor.
      ...fixes('m1', at('09:58:00'), at('09:59:45'), 15, 117.005, 36.6503, 30),
      // 0.001° north = 111 m.
      ...fixes('m1', at('10:00:00'), at('10:01:30'), 15, 117.006, 36.651, 30),
      ...fixes('m1', at('10:01:45'), at('10:05:00'), 15, 117.008, 36.65, 30),
    ]);
    expect(drafts).toHaveLength(1);
    const d = drafts[0]!;
    expect(d).toMatchObject({ startMs: at('10:00:00'), endMs: at('10:01:00'), lon: 117.006, lat: 36.651 });
    expect(d.key).toBe(`or:m1:${at('10:00:00')}`);
    expect(d.evidence.measured).toEqual({ maxDistanceM: 111, corridorM: 50, durationS: 60 });
  });

  it("a device's own route replaces its kind's route", () => {
    // m2 drives the east corridor, which is not its route: off route. On the north line it is fine.
    expect(
      run(rule.create(config, zones()), fixes('m2', at('10:00:00'), at('10:02:00'), 15, 117.005, 36.65)),
    ).toHaveLength(1);
    expect(run(rule.create(config, zones()), fixes('m2', at('10:00:00'), at('10:10:00'), 15, 117.0302, 36.66))).toEqual(
      [],
    );
  });

  it('vehicles without a route are not judged', () => {
    expect(run(rule.create(config, zones()), fixes('b1', at('10:00:00'), at('10:10:00'), 15, 117.1, 36.7))).toEqual([]);
  });

  it('check wants exactly one of deviceId and vehicleKind, and a line with length', () => {
    const bad = {
      ...config,
      routes: [
        { deviceId: 'm1', vehicleKind: 'muck', line: east },
        {
          line: {
            type: 'LineString' as const,
            coordinates: [
              [117, 36.6],
              [117, 36.6],
            ],
          },
        },
      ],
    };
    expect(rule.check!(bad, zones())).toEqual([
      'routes[0]: give exactly one of deviceId or vehicleKind',
      'routes[1]: give exactly one of deviceId or vehicleKind',
      'routes[1].line has zero length',
    ]);
  });
});

function zones() {
  return zoneMap();
}
