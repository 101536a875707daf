import { describe, expect, it } from 'vitest';
import type { Observation } from '../observation.js';
import { RuleEngine } from './engine.js';
import { rule, type RouteCoverageConfig } from './route-coverage.js';
import { at, base, context, fix, vehicle, zoneMap } from './vehicle-fixtures.js';

// Two 178.4 m segments (0.002° of longitude at 36.65 N), 1.1 km apart.
const S1 = {
  type: 'LineString' as const,
  coordinates: [
    [117.0, 36.65],
    [117.002, 36.65],
  ],
};
const S2 = {
  type: 'LineString' as const,
  coordinates: [
    [117.0, 36.66],
    [117.002, 36.66],
  ],
};
const ctx = context([vehicle('sw1', 'sweeper')]);
const config: RouteCoverageConfig = {
  ...base('rc', 'route-coverage', 'event:0401'),
  corridorM: 30,
  assignments: [
    {
      deviceId: 'sw1',
      segments: [
        { id: 'S1', line: S1 },
        { id: 'S2', line: S2 },
      ],
      deadline: '12:00',
      minCoveredPct: 90,
    },
  ],
};

/** The sweeper driving along latitude `lat` 11 m north of it, from 117.000 to `toLon`, a fix every 10 s (~18 m). */
function drive(fromMs: number, lat: number, toLon = 117.002): Observation[] {
  const out: Observation[] = [];
  for (let k = 0; 117.0 + k * 0.0002 <= toLon + 1e-9; k++) {
    out.push(fix('sw1', fromMs + k * 10_000, 117.0 + k * 0.0002, lat + 0.0001, 8));
  }
  return out;
}

function engine(c: RouteCoverageConfig = config) {
  return new RuleEngine({ rules: [rule.create(c, zoneMap())], ctx });
}

describe('route-coverage 路线覆盖', () => {
  it('at the 12:00 deadline one draft lists the uncovered segment, placed at its midpoint', () => {
    const e = engine();
    expect(e.process(drive(at('08:00:00'), 36.65))).toEqual([]);
    expect(e.tick(at('11:59:59'))).toEqual([]);
    const drafts = e.tick(at('12:00:00'));
    expect(drafts).toHaveLength(1);
    const d = drafts[0]!;
    expect(d).toMatchObject({
      ruleId: 'rc',
      deviceId: 'sw1',
      lat: 36.66,
      startMs: at('00:00:00'),
      endMs: at('12:00:00'),
      key: 'rc:sw1:0:2026-06-01',
      classRef: 'event:0401',
    });
    expect(d.lon).toBeCloseTo(117.001, 9);
    expect(d.evidence.measured).toMatchObject({
      day: '2026-06-01',
      uncovered: ['S2'],
      segments: [
        { id: 'S1', coveredPct: 100 },
        { id: 'S2', coveredPct: 0 },
      ],
    });
    expect(d.evidence.track!.coordinates).toHaveLength(11);
    // Once per day.
    expect(e.tick(at('12:00:05'))).toEqual([]);
    expect(e.tick(at('23:59:59'))).toEqual([]);
  });

  it('covered segments by the deadline → nothing; the next day starts from zero', () => {
    const e = engine();
    e.process([...drive(at('08:00:00'), 36.65), ...drive(at('09:00:00'), 36.66)]);
    expect(e.tick(at('12:00:00'))).toEqual([]);
    // 3 June: the sweeper never moves; stream time passes the deadline → both segments listed, placed on S1.
    const drafts = e.tick(at('12:00:00', '2026-06-03'));
    expect(drafts).toHaveLength(1);
    expect(drafts[0]!.key).toBe('rc:sw1:0:2026-06-03');
    expect(drafts[0]!.evidence.measured).toMatchObject({ uncovered: ['S1', 'S2'] });
    expect(drafts[0]!.lat).toBe(36.65);
  });

  it('half a segment is 63.2 % covered: uncovered at 90 %, covered at 60 %', () => {
    // Driven to 117.001 (89.2 m); samples every 9.91 m are within 30 m up to 89.2 + √(30² − 11²) = 117.1 m: 12 of 19.
    const halfS2 = [...drive(at('08:00:00'), 36.65), ...drive(at('09:00:00'), 36.66, 117.001)];
    const strict = engine();
    strict.process(halfS2);
    const [d] = strict.tick(at('12:00:00'));
    expect(d!.evidence.measured).toMatchObject({
      uncovered: ['S2'],
      segments: [
        { id: 'S1', coveredPct: 100 },
        { id: 'S2', coveredPct: 63.2 },
      ],
    });
    const lenient = engine({ ...config, assignments: [{ ...config.assignments[0]!, minCoveredPct: 60 }] });
    lenient.process(halfS2);
    expect(lenient.tick(at('12:00:00'))).toEqual([]);
  });

  it('fixes far apart in time are not joined: scattered fixes do not cover the stretch between them', () => {
    const e = engine();
    // Every 0.0008° (71.4 m) but 10 min apart: only samples within 27.9 m of a fix count, 15 of 19 (78.9 %).
    const scattered = [0, 1, 2].map((k) => fix('sw1', at('08:00:00') + k * 600_000, 117.0 + k * 0.0008, 36.6501));
    e.process([...scattered, ...drive(at('10:00:00'), 36.66)]);
    const [d] = e.tick(at('12:00:00'));
    expect(d!.evidence.measured).toMatchObject({
      uncovered: ['S1'],
      segments: [
        { id: 'S1', coveredPct: 78.9 },
        { id: 'S2', coveredPct: 100 },
      ],
    });
  });

  it('a start after the deadline does not judge that day, but judges the next', () => {
    const e = engine();
    e.process([fix('sw1', at('13:00:00'), 117.5, 36.5)]);
    expect(e.tick(at('23:59:59'))).toEqual([]);
    expect(e.tick(at('12:00:00', '2026-06-02')).map((d) => d.key)).toEqual(['rc:sw1:0:2026-06-02']);
  });

  it('check reports duplicate segment ids and zero-length lines', () => {
    const bad: RouteCoverageConfig = {
      ...config,
      assignments: [
        {
          deviceId: 'sw1',
          deadline: '12:00',
          segments: [
            { id: 'S1', line: S1 },
            {
              id: 'S1',
              line: {
                type: 'LineString',
                coordinates: [
                  [117, 36.6],
                  [117, 36.6],
                ],
              },
            },
          ],
        },
      ],
    };
    expect(rule.check!(bad, zoneMap())).toEqual([
      'assignments[0].segments[1]: duplicate segment id "S1"',
      'assignments[0].segments[1].line has zero length',
    ]);
  });
});
