// 场景：混合车队 200 city-management vehicles on the eight old-town routes for 2 simulated hours (25 per route, each
// route its own kind of vehicle; 5 of the enforcement cars are JT/T 808 terminals, the rest MQTT), with 15 violations
// of 5 kinds injected into otherwise clean traffic that stops at lights and pickups: 3 muck trucks in the 泉城路 core
// in its closed hours (from the east, west and south), 3 vehicles speeding on 大明湖路, 3 vehicles standing on 泉城路,
// 3 garbage trucks leaving their assigned routes, and 3 terminal alarms (SOS, power cut, a flickering SOS). Same-kind
// violations lie at least 200 m apart: deduplication merges one class at one place, and that is not what is tested.
import {
  box,
  HOUR_MS,
  idsOf,
  localHhmm,
  LoopDriver,
  loopLengthM,
  MINUTE_MS,
  offsetBefore,
  route,
  zone,
  type LonLat,
  type Scenario,
  type SimDevice,
  type Violation,
} from './core.js';
import { CLASS, PLACE, vehicle, violation } from './fleet.js';
import { phoneOf, terminal } from './terminal-alarm.js';

const FIX_MS = 10_000;
const PER_ROUTE = 25;

/** Cruise speed and stops of each route's vehicles (all within the zones' limits). */
const DRIVING: Record<string, { kmh: number; everyM: number; forMs: number }> = {
  'moat-ring': { kmh: 28, everyM: 700, forMs: 30_000 },
  'quancheng-xianxi': { kmh: 15, everyM: 300, forMs: 40_000 },
  'daming-lake': { kmh: 22, everyM: 800, forMs: 20_000 },
  'arterial-ring': { kmh: 40, everyM: 1200, forMs: 45_000 },
  'baotu-wulongtan': { kmh: 30, everyM: 600, forMs: 30_000 },
  'quancheng-square': { kmh: 25, everyM: 500, forMs: 60_000 },
  'jiefang-shanda': { kmh: 25, everyM: 500, forMs: 60_000 },
  'minghu-beiyuan': { kmh: 40, everyM: 900, forMs: 30_000 },
};

type Plan = (d: LoopDriver, endMs: number) => LoopDriver;

export const mixed: Scenario = {
  name: 'mixed',
  summary: '200 vehicles, 2 simulated hours, 15 injected violations of 5 kinds in clean traffic (MQTT + JT/T 808)',
  durationMs: 2 * HOUR_MS,
  playSeconds: 15,
  build({ runId, startMs, timeZone }) {
    const id = idsOf(runId);
    const endMs = startMs + 2 * HOUR_MS;
    const min = (m: number) => m * MINUTE_MS;

    const core = zone(id('core'), '泉城路核心区（渣土车禁入）', box([117.015, 36.6625], [117.028, 36.6655]));
    const lake = zone(id('daminghu-rd'), '大明湖路限速区', box([117.0115, 36.669], [117.0296, 36.6712]), {
      speedLimitKmh: 30,
    });
    const street = zone(id('quancheng-rd'), '泉城路禁停路段', box([117.0125, 36.6634], [117.0295, 36.6646]));
    const square = route('quancheng-square').points;
    const shanda = route('jiefang-shanda').points;
    const line = (points: readonly LonLat[]) => ({ type: 'LineString', coordinates: points.map((p) => [...p]) });
    const rules = [
      {
        id: id('muck-core'),
        kind: 'restricted-zone',
        name: '渣土车禁入泉城路核心区',
        enabled: true,
        classRef: CLASS.restrictedZone,
        zoneIds: [core.properties.id],
        vehicleKinds: ['muck'],
        hours: [{ from: localHhmm(startMs, timeZone), to: localHhmm(startMs + min(100), timeZone) }],
        minDwellS: 60,
      },
      {
        id: id('lake-speed'),
        kind: 'overspeed',
        name: '大明湖路限速 30',
        enabled: true,
        classRef: CLASS.overspeed,
        zoneIds: [lake.properties.id],
        toleranceKmh: 5,
        minDurationS: 10,
      },
      {
        id: id('quancheng-no-stop'),
        kind: 'no-stopping',
        name: '泉城路禁停',
        enabled: true,
        classRef: CLASS.noStopping,
        zoneIds: [street.properties.id],
        maxStopS: 180,
      },
      {
        id: id('garbage-routes'),
        kind: 'off-route',
        name: '垃圾清运车作业线路',
        enabled: true,
        classRef: CLASS.offRoute,
        routes: [
          { id: 'quancheng-square', vehicleKind: 'garbage', line: line(square) },
          { id: 'jiefang-shanda', vehicleKind: 'garbage', line: line(shanda) },
        ],
        corridorM: 50,
        minDurationS: 60,
      },
      {
        id: id('alarms'),
        kind: 'terminal-alarm',
        name: '终端紧急报警与断电',
        enabled: true,
        classRef: CLASS.terminalAlarm,
        alarms: ['sos', 'powerCut'],
        minGapS: 60,
      },
    ];

    // Who breaks which rule: route id → vehicle number on that route → what it does instead of plain cruising.
    const fromEast = [PLACE.heihuQuancheng, [117.0245, 36.664], PLACE.xianxiQuancheng] as const;
    const fromWest = [PLACE.baotuGongqingtuan, PLACE.baotuQuancheng, [117.018, 36.664]] as const;
    const fromSouth = [
      [117.019, 36.6593],
      [117.019, 36.6614],
      [117.019, 36.665],
    ] as const;
    const toward = (points: readonly LonLat[], p: LonLat, minute: number, kmh: number) =>
      offsetBefore(points, p, min(minute), kmh);
    const special: Record<
      string,
      Record<number, { at: (points: readonly LonLat[]) => number; plan: Plan; tag: string; kind: string; note: string }>
    > = {
      'arterial-ring': {
        3: {
          at: (p) => toward(p, PLACE.lishanJiefang, 15, 40),
          plan: (d, end) => d.runFor(min(15), 40).detour(fromEast, 20, { tag: 'v' }).cruiseUntil(end, 40),
          tag: 'v',
          kind: 'restricted-zone',
          note: 'muck truck into 泉城路 from 解放阁',
        },
        11: {
          at: (p) => toward(p, PLACE.shunheGongqingtuan, 45, 40),
          plan: (d, end) => d.runFor(min(45), 40).detour(fromWest, 20, { tag: 'v' }).cruiseUntil(end, 40),
          tag: 'v',
          kind: 'restricted-zone',
          note: 'muck truck into 泉城路 from 趵突泉',
        },
        19: {
          at: (p) => toward(p, [117.019, 36.6545], 75, 40),
          plan: (d, end) => d.runFor(min(75), 40).detour(fromSouth, 20, { tag: 'v' }).cruiseUntil(end, 40),
          tag: 'v',
          kind: 'restricted-zone',
          note: 'muck truck into the core from 经十路 (south)',
        },
      },
      'daming-lake': {
        5: {
          at: (p) => toward(p, PLACE.westMoatDaminghu, 25, 22),
          plan: (d, end) => d.runFor(min(25), 22).run(60, 22).run(450, 60, { tag: 'v' }).cruiseUntil(end, 22),
          tag: 'v',
          kind: 'overspeed',
          note: '60 km/h east on 大明湖路 from 明湖西路',
        },
        17: {
          at: (p) => toward(p, [117.021, 36.6701], 95, 22),
          plan: (d, end) => d.runFor(min(95), 22).run(400, 58, { tag: 'v' }).cruiseUntil(end, 22),
          tag: 'v',
          kind: 'overspeed',
          note: '58 km/h east on 大明湖路 from 县西巷',
        },
      },
      'moat-ring': {
        8: {
          at: (p) => toward(p, PLACE.heihuDaminghu, 60, 28),
          plan: (d, end) => d.runFor(min(60), 28).run(40, 28).run(500, 55, { tag: 'v' }).cruiseUntil(end, 28),
          tag: 'v',
          kind: 'overspeed',
          note: '55 km/h west on 大明湖路 from 明湖东路',
        },
      },
      'quancheng-xianxi': {
        2: {
          at: (p) => toward(p, [117.0245, 36.664], 20, 15),
          plan: (d, end) => d.runFor(min(20), 15).wait(min(10), { tag: 'v' }).cruiseUntil(end, 15),
          tag: 'v',
          kind: 'no-stopping',
          note: 'sweeper standing 10 min on 泉城路 at 117.0245',
        },
        9: {
          at: (p) => toward(p, [117.0215, 36.664], 50, 15),
          plan: (d, end) => d.runFor(min(50), 15).wait(min(6), { tag: 'v' }).cruiseUntil(end, 15),
          tag: 'v',
          kind: 'no-stopping',
          note: 'sweeper standing 6 min on 泉城路 at 117.0215',
        },
        16: {
          at: (p) => toward(p, [117.0272, 36.664], 85, 15),
          plan: (d, end) => d.runFor(min(85), 15).wait(min(8), { tag: 'v' }).cruiseUntil(end, 15),
          tag: 'v',
          kind: 'no-stopping',
          note: 'sweeper standing 8 min on 泉城路 at 117.0272',
        },
      },
      'quancheng-square': {
        4: {
          at: (p) => toward(p, [117.023, 36.6593], 30, 25),
          plan: (d, end) =>
            d
              .runFor(min(30), 25)
              .detour([[117.023, 36.662]], 20, { tag: 'v', dwellMs: min(2) })
              .cruiseUntil(end, 25),
          tag: 'v',
          kind: 'off-route',
          note: 'garbage truck 300 m north of 泺源大街, 2 min',
        },
        14: {
          at: (p) => toward(p, [117.026, 36.6545], 70, 25),
          plan: (d, end) =>
            d
              .runFor(min(70), 25)
              .detour([[117.026, 36.65]], 20, { tag: 'v', dwellMs: min(2) })
              .cruiseUntil(end, 25),
          tag: 'v',
          kind: 'off-route',
          note: 'garbage truck 500 m south of 经十路, 2 min',
        },
      },
      'jiefang-shanda': {
        7: {
          at: (p) => toward(p, [117.047, 36.666], 40, 25),
          plan: (d, end) =>
            d
              .runFor(min(40), 25)
              .detour([[117.052, 36.666]], 20, { tag: 'v', dwellMs: min(2) })
              .cruiseUntil(end, 25),
          tag: 'v',
          kind: 'off-route',
          note: 'garbage truck 450 m east of 山大路, 2 min',
        },
      },
      'baotu-wulongtan': {
        0: {
          at: (p) => toward(p, [117.0118, 36.6592], 35, 30),
          plan: (d, end) =>
            d
              .runFor(min(35), 30)
              .wait(min(2), { tag: 'v', alarms: { sos: true } })
              .cruiseUntil(end, 30),
          tag: 'v',
          kind: 'terminal-alarm',
          note: 'SOS for 2 min, standing at 趵突泉南路',
        },
        1: {
          at: () => 600,
          plan: (d, end) =>
            d
              .cruiseUntil(d.timeMs + min(65), 30)
              .runFor(min(5), 30, { tag: 'v', alarms: { powerCut: true } })
              .cruiseUntil(end, 30),
          tag: 'v',
          kind: 'terminal-alarm',
          note: 'main power cut for 5 min, driving',
        },
        2: {
          at: (p) => toward(p, PLACE.shunheGongqingtuan, 100, 30),
          plan: (d, end) =>
            d
              .runFor(min(100), 30)
              .wait(20_000, { tag: 'v', alarms: { sos: true } })
              .wait(20_000, { tag: 'v' })
              .wait(30_000, { tag: 'v', alarms: { sos: true } })
              .cruiseUntil(end, 30),
          tag: 'v',
          kind: 'terminal-alarm',
          note: 'SOS flickering 20 s on, 20 s off, 30 s on, at 顺河街',
        },
      },
    };
    const CLASS_OF: Record<string, string> = {
      'restricted-zone': CLASS.restrictedZone,
      overspeed: CLASS.overspeed,
      'no-stopping': CLASS.noStopping,
      'off-route': CLASS.offRoute,
      'terminal-alarm': CLASS.terminalAlarm,
    };

    const devices: SimDevice[] = [];
    const violations: Violation[] = [];
    let terminalNo = 0;
    for (const [r, drive] of Object.entries(DRIVING)) {
      const { points, vehicleKind } = route(r);
      const gapM = 1 / PER_ROUTE;
      for (let n = 0; n < PER_ROUTE; n++) {
        const s = special[r]?.[n];
        const startAt = s ? s.at(points) : n * gapM * loopLengthM(points);
        let d = new LoopDriver(points, startMs, startAt);
        d = s ? s.plan(d, endMs) : d.cruiseUntil(endMs, drive.kmh, { everyM: drive.everyM, forMs: drive.forMs });
        // Spread the fixes over the 10 s interval, so 200 vehicles do not all report on the same second.
        const fixes = d.fixes(FIX_MS, ((n * 37 + r.length * 101) % 100) * 100).filter((f) => f.timeMs <= endMs);
        const deviceId = id(`${r}-${String(n + 1).padStart(2, '0')}`);
        // The first five enforcement cars carry JT/T 808 terminals.
        if (r === 'baotu-wulongtan' && n < 5)
          devices.push(terminal(deviceId, phoneOf(runId, ++terminalNo), fixes, runId));
        else devices.push(vehicle(deviceId, vehicleKind.code, fixes, runId));
        if (s) violations.push(violation(s.kind, CLASS_OF[s.kind]!, deviceId, fixes, s.tag, s.note));
      }
    }
    return { zones: [core, lake, street], rules, devices, violations, startMs, endMs };
  },
};
