// 场景：禁停区域 stopping on 泉城路, where no vehicle may stand longer than 3 minutes. Injected: two sweepers stand for 10
// and 6 minutes at points 330 m apart. Clean: a 150 s stop in the zone, a 15-minute stop on 大明湖路 (outside it),
// a truck creeping at 5 km/h through it, and sweepers with 40 s pickup stops.
import { box, HOUR_MS, idsOf, LoopDriver, MINUTE_MS, offsetBefore, route, zone, type Scenario } from './core.js';
import { CLASS, PLACE, vehicle, violation } from './fleet.js';

const KIND = 'no-stopping';
const FIX_MS = 5000;

export const noStopping: Scenario = {
  name: KIND,
  summary:
    'vehicles standing on 泉城路 (no stopping > 3 min): 2 injected; short stops, stops elsewhere, creeping clean',
  durationMs: HOUR_MS,
  playSeconds: 2,
  build({ runId, startMs }) {
    const id = idsOf(runId);
    const endMs = startMs + HOUR_MS;
    const street = zone(id('quancheng-rd'), '泉城路禁停路段', box([117.0125, 36.6634], [117.0295, 36.6646]));
    const rule = {
      id: id('quancheng-no-stop'),
      kind: KIND,
      name: '泉城路禁停',
      enabled: true,
      classRef: CLASS.noStopping,
      zoneIds: [street.properties.id],
      maxStopS: 180,
    };
    const loop = route('quancheng-xianxi').points;
    const lake = route('daming-lake').points;
    const stopAt = (p: readonly [number, number], minute: number, speed: number, standMs: number, tag?: string) =>
      new LoopDriver(loop, startMs, offsetBefore(loop, p, minute * MINUTE_MS, speed))
        .runFor(minute * MINUTE_MS, speed)
        .wait(standMs, tag ? { tag } : {})
        .cruiseUntil(endMs, speed, { everyM: 500, forMs: 30_000 });
    const s1 = stopAt([117.0245, 36.664], 12, 18, 10 * MINUTE_MS, 'stand');
    const s2 = stopAt([117.0215, 36.664], 30, 18, 6 * MINUTE_MS, 'stand');
    // Clean: 150 s on 泉城路 (allowed 180 s).
    const s3 = stopAt([117.027, 36.664], 20, 18, 150_000);
    // Clean: 15 minutes on 大明湖路, outside the zone.
    const l1 = new LoopDriver(lake, startMs, offsetBefore(lake, [117.016, 36.6701], 10 * MINUTE_MS, 20))
      .runFor(10 * MINUTE_MS, 20)
      .wait(15 * MINUTE_MS)
      .cruiseUntil(endMs, 20);
    // Clean: creeping at 5 km/h (stopped means < 3 km/h) along 泉城路 for ~8 minutes.
    const c1 = new LoopDriver(loop, startMs, offsetBefore(loop, PLACE.xianxiQuancheng, 25 * MINUTE_MS, 18))
      .runFor(25 * MINUTE_MS, 18)
      .run(650, 5)
      .cruiseUntil(endMs, 18);
    const sweepers = [0, 1500].map((at) =>
      new LoopDriver(loop, startMs, at).cruiseUntil(endMs, 15, { everyM: 300, forMs: 40_000 }),
    );

    const s1Fixes = s1.fixes(FIX_MS, 0);
    const s2Fixes = s2.fixes(FIX_MS, 1000);
    return {
      zones: [street],
      rules: [rule],
      devices: [
        vehicle(id('sweeper-1'), 'sanitation', s1Fixes, runId),
        vehicle(id('sweeper-2'), 'sanitation', s2Fixes, runId),
        vehicle(id('sweeper-3'), 'sanitation', s3.fixes(FIX_MS, 2000), runId),
        vehicle(id('water-1'), 'watering', l1.fixes(FIX_MS, 3000), runId),
        vehicle(id('garbage-1'), 'garbage', c1.fixes(FIX_MS, 4000), runId),
        ...sweepers.map((d, i) =>
          vehicle(id(`sweeper-${i + 4}`), 'sanitation', d.fixes(FIX_MS, 500 + 1000 * i), runId),
        ),
      ],
      violations: [
        violation(KIND, CLASS.noStopping, id('sweeper-1'), s1Fixes, 'stand', '10 min at 泉城路 117.0245'),
        violation(KIND, CLASS.noStopping, id('sweeper-2'), s2Fixes, 'stand', '6 min at 泉城路 117.0215'),
      ],
      startMs,
      endMs,
    };
  },
};
