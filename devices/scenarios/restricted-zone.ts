// 场景：禁入区域 muck trucks (渣土车) in the old-town core around 泉城路, closed to them for the first 40 minutes of the
// hour. Injected: two trucks leave the arterial ring and drive into the zone during the closed hours, at two entrances
// 1.1 km apart. Clean: the same detour after the closed hours, a truck that clips the zone for ~15 s (less than the
// minimum dwell), sweepers and patrol cars (not muck) driving through it, and muck trucks that keep to the ring.
import {
  box,
  HOUR_MS,
  idsOf,
  localHhmm,
  LoopDriver,
  MINUTE_MS,
  offsetBefore,
  route,
  zone,
  type Scenario,
} from './core.js';
import { CLASS, PLACE, vehicle, violation } from './fleet.js';

const KIND = 'restricted-zone';
const FIX_MS = 5000;

export const restrictedZone: Scenario = {
  name: KIND,
  summary: 'muck trucks entering the 泉城路 no-entry zone in its closed hours: 2 injected, 4 kinds of clean traffic',
  durationMs: HOUR_MS,
  playSeconds: 2,
  build({ runId, startMs, timeZone }) {
    const id = idsOf(runId);
    const endMs = startMs + HOUR_MS;
    const ring = route('arterial-ring').points;
    const core = zone(id('core'), '泉城路核心区（渣土车禁入）', box([117.015, 36.6625], [117.028, 36.6655]));
    const closedUntilMs = startMs + 40 * MINUTE_MS;
    const rule = {
      id: id('muck-core'),
      kind: KIND,
      name: '渣土车禁入泉城路核心区',
      enabled: true,
      classRef: CLASS.restrictedZone,
      zoneIds: [core.properties.id],
      vehicleKinds: ['muck'],
      hours: [{ from: localHhmm(startMs, timeZone), to: localHhmm(closedUntilMs, timeZone) }],
      minDwellS: 60,
    };
    // Into 泉城路 from the east: 解放路 west from 历山路 to 解放阁, then along 泉城路 to 县西巷.
    const fromEast = [PLACE.heihuQuancheng, [117.0245, 36.664], PLACE.xianxiQuancheng] as const;
    // From the west: 共青团路 east from 顺河街, down 趵突泉北路 to 泉城路, east to 117.018.
    const fromWest = [PLACE.baotuGongqingtuan, PLACE.baotuQuancheng, [117.018, 36.664]] as const;

    // Each truck starts on the ring so that it reaches its turn-off at the planned minute.
    const at = (p: readonly [number, number], minute: number) => offsetBefore(ring, p, minute * MINUTE_MS, 35);
    const m1 = new LoopDriver(ring, startMs, at(PLACE.lishanJiefang, 10))
      .runFor(10 * MINUTE_MS, 35)
      .detour(fromEast, 20, { tag: 'in' })
      .cruiseUntil(endMs, 35);
    const m2 = new LoopDriver(ring, startMs, at(PLACE.shunheGongqingtuan, 22))
      .runFor(22 * MINUTE_MS, 35)
      .detour(fromWest, 20, { tag: 'in', dwellMs: 2 * MINUTE_MS })
      .cruiseUntil(endMs, 35);
    // Clean: the same detour as m1, but after the closed hours.
    const m3 = new LoopDriver(ring, startMs, at(PLACE.lishanJiefang, 43))
      .runFor(43 * MINUTE_MS, 35)
      .detour(fromEast, 20)
      .cruiseUntil(endMs, 35);
    // Clean: 45 m into the zone and straight back out, ~15 s inside (minimum dwell 60 s).
    const m4 = new LoopDriver(ring, startMs, at(PLACE.lishanJiefang, 30))
      .runFor(30 * MINUTE_MS, 35)
      .detour([PLACE.heihuQuancheng, [117.0275, 36.664]], 20)
      .cruiseUntil(endMs, 35);
    const trucks = [m1, m2, m3, m4].map((d, i) => ({ id: id(`muck-${i + 1}`), fixes: d.fixes(FIX_MS, i * 700) }));
    const ringTrucks = [1500, 4500, 7500, 10500].map((at, i) => ({
      id: id(`muck-ring-${i + 1}`),
      fixes: new LoopDriver(ring, startMs, at)
        .cruiseUntil(endMs, 40, { everyM: 900, forMs: 30_000 })
        .fixes(FIX_MS, 300 * i),
    }));
    const sweepers = [0, 1000, 2000].map((at, i) => ({
      id: id(`sweeper-${i + 1}`),
      fixes: new LoopDriver(route('quancheng-xianxi').points, startMs, at)
        .cruiseUntil(endMs, 15, { everyM: 400, forMs: 40_000 })
        .fixes(FIX_MS, 1100 * i),
    }));
    const patrols = [0, 2600].map((at, i) => ({
      id: id(`patrol-${i + 1}`),
      fixes: new LoopDriver(route('moat-ring').points, startMs, at)
        .cruiseUntil(endMs, 30)
        .fixes(FIX_MS, 2100 + i * 900),
    }));

    return {
      zones: [core],
      rules: [rule],
      devices: [
        ...[...trucks, ...ringTrucks].map((t) => vehicle(t.id, 'muck', t.fixes, runId)),
        ...sweepers.map((t) => vehicle(t.id, 'sanitation', t.fixes, runId)),
        ...patrols.map((t) => vehicle(t.id, 'patrol', t.fixes, runId)),
      ],
      violations: [
        violation(
          KIND,
          CLASS.restrictedZone,
          trucks[0]!.id,
          trucks[0]!.fixes,
          'in',
          '泉城路 from 解放阁 in closed hours',
        ),
        violation(
          KIND,
          CLASS.restrictedZone,
          trucks[1]!.id,
          trucks[1]!.fixes,
          'in',
          '泉城路 from 趵突泉 in closed hours',
        ),
      ],
      startMs,
      endMs,
    };
  },
};
