// 场景：长时间静止 collectors (监督员) standing still in a shift (10–60 min) for longer than 15 minutes. Injected: one
// stands 25 minutes. Clean: one pauses 8 minutes, one stands 9 minutes before its shift starts, one just patrols.
import { HOUR_MS, idsOf, localShift, LoopDriver, MINUTE_MS, type Scenario } from './core.js';
import { PATROL_CENTERS } from './collector-outside-grid.js';
import { CLASS, collector, patrolRing, ringSamples, violation } from './fleet.js';

const KIND = 'collector-idle';
const FIX_MS = 10_000;
const WALK_KMH = 4;

export const collectorIdle: Scenario = {
  name: KIND,
  summary:
    'collectors standing still in a shift (limit 15 min): 1 injected; 8-minute pause and off-shift standing clean',
  durationMs: HOUR_MS,
  playSeconds: 2,
  build({ runId, startMs, timeZone }) {
    const id = idsOf(runId);
    const endMs = startMs + HOUR_MS;
    const rule = {
      id: id('idle'),
      kind: KIND,
      name: '监督员长时间静止',
      enabled: true,
      classRef: CLASS.collector,
      shifts: [localShift(startMs + 10 * MINUTE_MS, endMs, timeZone)],
      radiusM: 50,
      maxIdleS: 900,
      deviceAttributes: { scenarioRun: runId },
    };
    const rings = PATROL_CENTERS.map((c) => patrolRing(c, 110, 90));
    const walk = (i: number) => new LoopDriver(rings[i]!, startMs, 0);
    const c1 = walk(0)
      .cruiseUntil(startMs + 20 * MINUTE_MS, WALK_KMH)
      .wait(25 * MINUTE_MS, { tag: 'idle' })
      .cruiseUntil(endMs, WALK_KMH);
    const c2 = walk(1)
      .cruiseUntil(startMs + 25 * MINUTE_MS, WALK_KMH)
      .wait(8 * MINUTE_MS)
      .cruiseUntil(endMs, WALK_KMH);
    const c3 = walk(2)
      .wait(9 * MINUTE_MS)
      .cruiseUntil(endMs, WALK_KMH);
    const c4 = walk(3).cruiseUntil(endMs, WALK_KMH);
    const c1Fixes = c1.fixes(FIX_MS, 0);
    return {
      zones: [],
      rules: [rule],
      devices: [
        collector(id('collector-1'), c1Fixes, runId, ringSamples(rings[0]!, 50)),
        collector(id('collector-2'), c2.fixes(FIX_MS, 2500), runId, ringSamples(rings[1]!, 50)),
        collector(id('collector-3'), c3.fixes(FIX_MS, 5000), runId, ringSamples(rings[2]!, 50)),
        collector(id('collector-4'), c4.fixes(FIX_MS, 7500), runId, ringSamples(rings[3]!, 50)),
      ],
      violations: [violation(KIND, CLASS.collector, id('collector-1'), c1Fixes, 'idle', 'standing 25 min in a shift')],
      startMs,
      endMs,
    };
  },
};
