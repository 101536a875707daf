// 场景：超速 speeding on 大明湖路 (lake south shore), limited to 30 km/h (+5 tolerance) for at least 10 s. Injected: a
// patrol car at 55 km/h westwards from 明湖东路 and a watering truck at 60 km/h eastwards from 明湖西路, 1 km apart.
// Clean: a car at 33 km/h (within the tolerance), a car at 50 km/h for ~7 s (shorter than the minimum), fast cars on
// 北园大街 outside the zone, and the lake's watering trucks at 20–25 km/h.
import { box, HOUR_MS, idsOf, LoopDriver, MINUTE_MS, offsetBefore, route, zone, type Scenario } from './core.js';
import { CLASS, PLACE, vehicle, violation } from './fleet.js';

const KIND = 'overspeed';
const FIX_MS = 5000;

export const overspeed: Scenario = {
  name: KIND,
  summary:
    'speeding on 大明湖路 (limit 30 km/h): 2 injected; within-tolerance, too-short and outside-zone clean traffic',
  durationMs: HOUR_MS,
  playSeconds: 2,
  build({ runId, startMs }) {
    const id = idsOf(runId);
    const endMs = startMs + HOUR_MS;
    const lake = zone(id('daminghu-rd'), '大明湖路限速区', box([117.0115, 36.669], [117.0296, 36.6712]), {
      speedLimitKmh: 30,
    });
    const rule = {
      id: id('lake-speed'),
      kind: KIND,
      name: '大明湖路限速 30',
      enabled: true,
      classRef: CLASS.overspeed,
      zoneIds: [lake.properties.id],
      toleranceKmh: 5,
      minDurationS: 10,
    };
    const moat = route('moat-ring').points;
    const lakeLoop = route('daming-lake').points;
    const north = route('minghu-beiyuan').points;
    // Patrol car: round the moat at 28 km/h, 55 km/h for 500 m west along 大明湖路 from 明湖东路.
    const p1 = new LoopDriver(moat, startMs, offsetBefore(moat, PLACE.heihuDaminghu, 15 * MINUTE_MS, 28))
      .runFor(15 * MINUTE_MS, 28)
      .run(40, 28)
      .run(500, 55, { tag: 'fast' })
      .cruiseUntil(endMs, 28);
    // Watering truck: round the lake at 22 km/h, 60 km/h for 450 m east along 大明湖路 from 明湖西路.
    const w1 = new LoopDriver(lakeLoop, startMs, offsetBefore(lakeLoop, PLACE.westMoatDaminghu, 35 * MINUTE_MS, 22))
      .runFor(35 * MINUTE_MS, 22)
      .run(60, 22)
      .run(450, 60, { tag: 'fast' })
      .cruiseUntil(endMs, 22);
    // Clean: 33 km/h all along (limit 30 + tolerance 5).
    const p2 = new LoopDriver(moat, startMs, 2500).cruiseUntil(endMs, 33);
    // Clean: 100 m at 50 km/h (~7 s, one or two fixes) on 大明湖路, then back to 25.
    const p3 = new LoopDriver(moat, startMs, offsetBefore(moat, PLACE.xianxiDaminghu, 20 * MINUTE_MS, 25))
      .runFor(20 * MINUTE_MS, 25)
      .run(100, 50)
      .cruiseUntil(endMs, 25);
    // Clean: 55 km/h on 北园大街 and 明湖路, never in the zone.
    const fastNorth = [0, 3500].map((at) => new LoopDriver(north, startMs, at).cruiseUntil(endMs, 55));
    const lakeTrucks = [1000, 3000, 5000].map((at) =>
      new LoopDriver(lakeLoop, startMs, at).cruiseUntil(endMs, 22, { everyM: 800, forMs: 20_000 }),
    );

    const p1Fixes = p1.fixes(FIX_MS, 0);
    const w1Fixes = w1.fixes(FIX_MS, 1200);
    return {
      zones: [lake],
      rules: [rule],
      devices: [
        vehicle(id('patrol-1'), 'patrol', p1Fixes, runId),
        vehicle(id('water-1'), 'watering', w1Fixes, runId),
        vehicle(id('patrol-2'), 'patrol', p2.fixes(FIX_MS, 2400), runId),
        vehicle(id('patrol-3'), 'patrol', p3.fixes(FIX_MS, 3600), runId),
        ...fastNorth.map((d, i) => vehicle(id(`north-${i + 1}`), 'patrol', d.fixes(FIX_MS, 500 + i * 1000), runId)),
        ...lakeTrucks.map((d, i) => vehicle(id(`water-${i + 2}`), 'watering', d.fixes(FIX_MS, 800 * i), runId)),
      ],
      violations: [
        violation(KIND, CLASS.overspeed, id('patrol-1'), p1Fixes, 'fast', '55 km/h west on 大明湖路'),
        violation(KIND, CLASS.overspeed, id('water-1'), w1Fixes, 'fast', '60 km/h east on 大明湖路'),
      ],
      startMs,
      endMs,
    };
  },
};
