// 场景：离开责任网格 collectors (监督员) walking patrols in their assigned unit grid cells during a shift (10–60 min).
// Injected: one walks 430 m out of its cells and stays there ~15 minutes. Clean: one steps out for ~5 minutes (the
// limit is 10), one is outside before its shift starts and back within 4 minutes of it, one just patrols.
import {
  HOUR_MS,
  idsOf,
  localShift,
  LoopDriver,
  MINUTE_MS,
  offsetM,
  Track,
  type LonLat,
  type Scenario,
} from './core.js';
import { CLASS, collector, patrolRing, ringSamples, violation } from './fleet.js';

const KIND = 'collector-outside-grid';
const FIX_MS = 10_000;
const WALK_KMH = 4;

/** Patrol areas in the demo grid, far enough apart that no one's walk reaches another's cells. */
export const PATROL_CENTERS: readonly LonLat[] = [
  [117.016, 36.668],
  [117.024, 36.658],
  [117.04, 36.67],
  [117.008, 36.66],
];

export const collectorOutsideGrid: Scenario = {
  name: KIND,
  summary: 'collectors leaving their grid cells in a shift (limit 10 min): 1 injected; short step-out, off-shift clean',
  durationMs: HOUR_MS,
  playSeconds: 2,
  build({ runId, startMs, timeZone }) {
    const id = idsOf(runId);
    const endMs = startMs + HOUR_MS;
    const rule = {
      id: id('outside-grid'),
      kind: KIND,
      name: '监督员离岗（离开责任网格）',
      enabled: true,
      classRef: CLASS.collector,
      shifts: [localShift(startMs + 10 * MINUTE_MS, endMs, timeZone)],
      maxOutsideS: 600,
      deviceAttributes: { scenarioRun: runId },
    };
    const rings = PATROL_CENTERS.map((c) => patrolRing(c, 110, 90));
    const walk = (i: number) => new LoopDriver(rings[i]!, startMs, 0);
    const corner = (i: number) => rings[i]![2]!;
    const c1 = walk(0)
      .cruiseUntil(startMs + 25 * MINUTE_MS, WALK_KMH)
      .detour([offsetM(corner(0), 350, 250)], WALK_KMH, { tag: 'out', dwellMs: 15 * MINUTE_MS })
      .cruiseUntil(endMs, WALK_KMH);
    const c2 = walk(1)
      .cruiseUntil(startMs + 20 * MINUTE_MS, WALK_KMH)
      .detour([offsetM(rings[1]![1]!, 100, 0)], WALK_KMH, { dwellMs: 2 * MINUTE_MS })
      .cruiseUntil(endMs, WALK_KMH);
    // Starts 400 m north of its cells, walks back from minute 8: in by about minute 14.
    const c3Track = new Track(startMs, offsetM(corner(2), 0, 400))
      .waitUntil(startMs + 8 * MINUTE_MS)
      .drive([corner(2), rings[2]![3]!, rings[2]![0]!], WALK_KMH);
    const c3 = new LoopDriver(rings[2]!, startMs, 0, c3Track).cruiseUntil(endMs, WALK_KMH);
    const c4 = walk(3).cruiseUntil(endMs, WALK_KMH);

    const c1Fixes = c1.fixes(FIX_MS, 0);
    return {
      zones: [],
      rules: [rule],
      devices: [
        collector(id('collector-1'), c1Fixes, runId, ringSamples(rings[0]!)),
        collector(id('collector-2'), c2.fixes(FIX_MS, 2500), runId, ringSamples(rings[1]!)),
        collector(id('collector-3'), c3.fixes(FIX_MS, 4000), runId, ringSamples(rings[2]!)),
        collector(id('collector-4'), c4.fixes(FIX_MS, 5000), runId, ringSamples(rings[3]!)),
      ],
      violations: [
        violation(KIND, CLASS.collector, id('collector-1'), c1Fixes, 'out', '430 m out, ~15 min in a shift'),
      ],
      startMs,
      endMs,
    };
  },
};
