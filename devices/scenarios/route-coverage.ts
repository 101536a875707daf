// 场景：路线覆盖 sweepers (环卫车) must have swept their assigned street segments by a local deadline (45 minutes into
// the scenario). Injected: one sweeper is assigned 明湖路 north of the lake but never goes there; another breaks down
// at 县西巷 before sweeping it. Clean: a sweeper covering both its segments lap after lap.
import {
  HOUR_MS,
  idsOf,
  localHhmm,
  LoopDriver,
  MINUTE_MS,
  offsetBefore,
  route,
  type LonLat,
  type Scenario,
} from './core.js';
import { CLASS, PLACE, vehicle } from './fleet.js';
import { preparePolyline, interpolateAlong } from '../geo.js';

const KIND = 'route-coverage';
const FIX_MS = 5000;

const line = (points: readonly LonLat[]) => ({ type: 'LineString', coordinates: points.map((p) => [...p]) });

/** Points every 10 m along a line: where a candidate about the segment may be. */
function along(points: readonly LonLat[]): LonLat[] {
  const l = preparePolyline(points);
  const out: LonLat[] = [];
  for (let d = 0; d <= l.lengthM; d += 10) out.push(interpolateAlong(l, d).position);
  return out;
}

export const routeCoverage: Scenario = {
  name: KIND,
  summary: 'sweepers that must cover their streets by a deadline: 2 injected (never went, broke down); 1 clean sweeper',
  durationMs: HOUR_MS,
  playSeconds: 2,
  build({ runId, startMs, timeZone }) {
    const id = idsOf(runId);
    const endMs = startMs + HOUR_MS;
    const deadlineMs = startMs + 45 * MINUTE_MS;
    const deadline = localHhmm(deadlineMs, timeZone);
    const loop = route('quancheng-xianxi').points;
    const quancheng: LonLat[] = [PLACE.xianxiQuancheng, [117.0245, 36.664], PLACE.heihuQuancheng];
    const xianxi: LonLat[] = [PLACE.xianxiDaminghu, [117.0204, 36.667], PLACE.xianxiQuancheng];
    const minghuNorth: LonLat[] = [
      [117.025, 36.6793],
      [117.0195, 36.6795],
    ];
    const rule = {
      id: id('sweeping'),
      kind: KIND,
      name: '老城清扫路段',
      enabled: true,
      classRef: CLASS.routeCoverage,
      corridorM: 30,
      assignments: [
        {
          deviceId: id('sweeper-1'),
          deadline,
          minCoveredPct: 90,
          segments: [
            { id: 'quancheng', line: line(quancheng) },
            { id: 'xianxi', line: line(xianxi) },
          ],
        },
        {
          deviceId: id('sweeper-2'),
          deadline,
          minCoveredPct: 90,
          segments: [
            { id: 'quancheng', line: line(quancheng) },
            { id: 'minghu-north', line: line(minghuNorth) },
          ],
        },
        {
          deviceId: id('sweeper-3'),
          deadline,
          minCoveredPct: 90,
          segments: [
            { id: 'quancheng', line: line(quancheng) },
            { id: 'xianxi', line: line(xianxi) },
          ],
        },
      ],
    };
    const s1 = new LoopDriver(loop, startMs, 0).cruiseUntil(endMs, 15, { everyM: 300, forMs: 30_000 });
    const s2 = new LoopDriver(loop, startMs, 1500).cruiseUntil(endMs, 15, { everyM: 300, forMs: 30_000 });
    // Along 泉城路, up 黑虎泉北路, west on 大明湖路 to 县西巷 — and there it breaks down for the rest of the hour.
    const s3 = new LoopDriver(loop, startMs, offsetBefore(loop, PLACE.xianxiQuancheng, 0, 15))
      .runTo(PLACE.xianxiDaminghu, 15)
      .wait(endMs - startMs);
    const s3Fixes = s3.fixes(FIX_MS, 2000).filter((f) => f.timeMs <= endMs);
    return {
      zones: [],
      rules: [rule],
      devices: [
        vehicle(id('sweeper-1'), 'sanitation', s1.fixes(FIX_MS, 0), runId),
        vehicle(id('sweeper-2'), 'sanitation', s2.fixes(FIX_MS, 1000), runId),
        vehicle(id('sweeper-3'), 'sanitation', s3Fixes, runId),
      ],
      violations: [
        {
          ruleKind: KIND,
          classRef: CLASS.routeCoverage,
          deviceId: id('sweeper-2'),
          where: along(minghuNorth),
          startMs,
          endMs: deadlineMs,
          note: '明湖路 north of the lake never swept',
        },
        {
          ruleKind: KIND,
          classRef: CLASS.routeCoverage,
          deviceId: id('sweeper-3'),
          where: along(xianxi),
          startMs,
          endMs: deadlineMs,
          note: '县西巷 not swept (broke down)',
        },
      ],
      startMs,
      endMs,
    };
  },
};
