// 场景：偏离路线 muck trucks (渣土车) must keep to their transport corridor, the arterial ring, within 50 m. Injected: one
// truck turns off along 解放路 to 解放阁 and stands there 2 minutes (≈450 m off), another along 共青团路 for 3
// minutes (≈550 m off). Clean: a truck 30 m beside the line for 10 minutes (inside the corridor), a truck 150 m off for
// ~25 s (shorter than the minimum), patrol cars (no assigned route) anywhere, and trucks on the ring.
import { HOUR_MS, idsOf, LoopDriver, MINUTE_MS, offsetBefore, offsetM, route, type Scenario } from './core.js';
import { CLASS, PLACE, vehicle, violation } from './fleet.js';

const KIND = 'off-route';
const FIX_MS = 5000;

export const offRoute: Scenario = {
  name: KIND,
  summary:
    'muck trucks leaving their corridor (arterial ring, 50 m): 2 injected; in-corridor drift and short excursion clean',
  durationMs: HOUR_MS,
  playSeconds: 2,
  build({ runId, startMs }) {
    const id = idsOf(runId);
    const endMs = startMs + HOUR_MS;
    const ring = route('arterial-ring').points;
    const rule = {
      id: id('muck-corridor'),
      kind: KIND,
      name: '渣土车运输线路',
      enabled: true,
      classRef: CLASS.offRoute,
      routes: [
        {
          id: 'arterial-ring',
          vehicleKind: 'muck',
          line: { type: 'LineString', coordinates: ring.map((p) => [...p]) },
        },
      ],
      corridorM: 50,
      minDurationS: 60,
    };
    const at = (p: readonly [number, number], minute: number) =>
      new LoopDriver(ring, startMs, offsetBefore(ring, p, minute * MINUTE_MS, 35)).runFor(minute * MINUTE_MS, 35);
    const o1 = at(PLACE.lishanJiefang, 12)
      .detour([PLACE.heihuQuancheng], 25, { tag: 'off', dwellMs: 2 * MINUTE_MS })
      .cruiseUntil(endMs, 35);
    const o2 = at(PLACE.shunheGongqingtuan, 30)
      .detour([PLACE.baotuGongqingtuan], 25, { tag: 'off', dwellMs: 3 * MINUTE_MS })
      .cruiseUntil(endMs, 35);
    // Clean: 30 m east of 历山路 (inside the 50 m corridor) for about 10 minutes, driving north and back.
    const north = [offsetM(PLACE.lishanJiefang, 30, 0), offsetM(PLACE.lishanMinghu, 30, 0)] as const;
    const d1 = at(PLACE.lishanJiefang, 8).detour([north[0], north[1]], 15).cruiseUntil(endMs, 35);
    // Clean: 150 m off and straight back at 40 km/h: ~25 s beyond the corridor.
    const e1 = at(PLACE.lishanJiefang, 40)
      .detour([offsetM(PLACE.lishanJiefang, -150, 0)], 40)
      .cruiseUntil(endMs, 35);
    const ringTrucks = [2000, 6000, 10000].map((at0) =>
      new LoopDriver(ring, startMs, at0).cruiseUntil(endMs, 40, { everyM: 1200, forMs: 45_000 }),
    );
    const patrol = new LoopDriver(route('moat-ring').points, startMs, 0).cruiseUntil(endMs, 30);

    const o1Fixes = o1.fixes(FIX_MS, 0);
    const o2Fixes = o2.fixes(FIX_MS, 1500);
    return {
      zones: [],
      rules: [rule],
      devices: [
        vehicle(id('muck-1'), 'muck', o1Fixes, runId),
        vehicle(id('muck-2'), 'muck', o2Fixes, runId),
        vehicle(id('muck-3'), 'muck', d1.fixes(FIX_MS, 2500), runId),
        vehicle(id('muck-4'), 'muck', e1.fixes(FIX_MS, 3500), runId),
        ...ringTrucks.map((d, i) => vehicle(id(`muck-ring-${i + 1}`), 'muck', d.fixes(FIX_MS, 600 * i), runId)),
        vehicle(id('patrol-1'), 'patrol', patrol.fixes(FIX_MS, 4200), runId),
      ],
      violations: [
        violation(KIND, CLASS.offRoute, id('muck-1'), o1Fixes, 'off', '解放路 to 解放阁, 2 min standing'),
        violation(KIND, CLASS.offRoute, id('muck-2'), o2Fixes, 'off', '共青团路 east, 3 min standing'),
      ],
      startMs,
      endMs,
    };
  },
};
