// 场景：网格巡查覆盖 each collector (监督员) must visit at least 80 % of its assigned grid cells in a shift (10–50 min).
// Injected: one walks back and forth over the first third of its round only. Clean: one walks its whole round, lap
// after lap. The shift is judged when it ends; the candidate sits at the collector's last fix in the shift.
import {
  HOUR_MS,
  idsOf,
  localShift,
  LoopDriver,
  MINUTE_MS,
  Track,
  alongLoop,
  loopLengthM,
  type Scenario,
} from './core.js';
import { PATROL_CENTERS } from './collector-outside-grid.js';
import { CLASS, collector, patrolRing, ringSamples } from './fleet.js';

const KIND = 'cell-coverage';
const FIX_MS = 10_000;
const WALK_KMH = 4;

export const cellCoverage: Scenario = {
  name: KIND,
  summary: 'collectors covering their grid cells in a shift (≥ 80 %): 1 injected (a third of the round); 1 clean',
  durationMs: HOUR_MS,
  playSeconds: 2,
  build({ runId, startMs, timeZone }) {
    const id = idsOf(runId);
    const endMs = startMs + HOUR_MS;
    const shiftStartMs = startMs + 10 * MINUTE_MS;
    const shiftEndMs = startMs + 50 * MINUTE_MS;
    const rule = {
      id: id('coverage'),
      kind: KIND,
      name: '监督员网格巡查覆盖',
      enabled: true,
      classRef: CLASS.collector,
      shifts: [localShift(shiftStartMs, shiftEndMs, timeZone)],
      minCoveredPct: 80,
      deviceAttributes: { scenarioRun: runId },
    };
    const rings = PATROL_CENTERS.map((c) => patrolRing(c, 160, 130));
    // Back and forth over the first third of the round, all hour.
    const third = alongLoop(rings[0]!, 0, loopLengthM(rings[0]!) / 3);
    const c1 = new Track(startMs, third[0]!);
    while (c1.endMs < endMs) c1.drive(third, WALK_KMH).drive([...third].reverse(), WALK_KMH);
    const c1Fixes = c1.fixes(FIX_MS, 0).filter((f) => f.timeMs <= endMs);
    const c2 = new LoopDriver(rings[1]!, startMs, 0).cruiseUntil(endMs, WALK_KMH);
    const lastInShift = c1Fixes.filter((f) => f.timeMs < shiftEndMs).at(-1)!;
    return {
      zones: [],
      rules: [rule],
      devices: [
        collector(id('collector-1'), c1Fixes, runId, ringSamples(rings[0]!)),
        collector(id('collector-2'), c2.fixes(FIX_MS, 5000), runId, ringSamples(rings[1]!)),
      ],
      violations: [
        {
          ruleKind: KIND,
          classRef: CLASS.collector,
          deviceId: id('collector-1'),
          where: [[lastInShift.lon, lastInShift.lat]],
          startMs: shiftStartMs,
          endMs: shiftEndMs,
          note: 'walked a third of its round in the shift',
        },
      ],
      startMs,
      endMs,
    };
  },
};
