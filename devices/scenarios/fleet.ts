// 场景车队 what the scenarios share: the class each rule kind names (from the seeded national catalogue), named places
// of the old town (junctions of devices/routes/jinan-old-town.ts), and short ways to turn a track into a device and a
// tagged stretch of it into a ground-truth violation.
import { interpolateAlong, preparePolyline } from '../geo.js';
import {
  offsetM,
  tagged,
  untagged,
  type LonLat,
  type Reading,
  type SimDevice,
  type TaggedFix,
  type Violation,
} from './core.js';

/**
 * The class (部件/事件小类) each scenario rule names; all are in the catalogue a fresh hub seeds (GB/T 30428.2
 * numbering). That catalogue has no traffic or patrol-discipline event, so speeding, terminal alarms and collector
 * discipline name 0606 公共设施损坏 as a stand-in; a city would name a class of its own extended catalogue.
 */
export const CLASS = {
  /** 渣土车未密闭运输: the muck-truck event. */
  restrictedZone: 'event:0311',
  /** Stand-in (see above). */
  overspeed: 'event:0606',
  /** 机动车乱停放 motor vehicle parked where it must not. */
  noStopping: 'event:0409',
  /** 积存垃圾渣土 accumulated muck: a truck off its corridor is where spoil and refuse get dumped. */
  offRoute: 'event:0111',
  /** 道路不洁 street not clean: the sweeper did not come. */
  routeCoverage: 'event:0112',
  /** Stand-in (see above). */
  terminalAlarm: 'event:0606',
  /** Stand-in (see above). */
  collector: 'event:0606',
  /** 污水井盖 sewage manhole cover: a tilted cover. */
  manhole: 'component:0102',
  /** 雨水箅子 stormwater inlet grate: the street floods where it is blocked. */
  waterlogging: 'component:0104',
  /** 垃圾箱 litter bin: its sensor went silent. */
  bin: 'component:0305',
} as const;

/** Junctions of the demo routes (approximate, see the honesty note in devices/routes/jinan-old-town.ts). */
export const PLACE = {
  lishanJiefang: [117.035, 36.6645],
  heihuQuancheng: [117.03, 36.664],
  xianxiQuancheng: [117.0205, 36.664],
  baotuQuancheng: [117.0114, 36.664],
  baotuGongqingtuan: [117.0112, 36.6665],
  shunheGongqingtuan: [117.005, 36.6665],
  heihuDaminghu: [117.0302, 36.67],
  xianxiDaminghu: [117.0205, 36.67],
  westMoatDaminghu: [117.0109, 36.67],
  minghuEastMinghu: [117.0304, 36.679],
  lishanMinghu: [117.035, 36.679],
} as const satisfies Record<string, LonLat>;

/** A vehicle of the registry kind `vehicleKind` sending these fixes over MQTT. */
export function vehicle(id: string, vehicleKind: string, fixes: readonly TaggedFix[], runId: string): SimDevice {
  return {
    id,
    kind: 'vehicle',
    attributes: { vehicleKind, scenarioRun: runId },
    fixes: untagged(fixes),
    readings: [],
  };
}

/** The ground truth of the stretch of `fixes` tagged `tag`. */
export function violation(
  ruleKind: string,
  classRef: string,
  deviceId: string,
  fixes: readonly TaggedFix[],
  tag: string,
  note: string,
): Violation {
  return { ruleKind, classRef, deviceId, note, ...tagged(fixes, tag) };
}

/** A closed rectangular patrol walk (巡查路线) round `center`, half-sizes in metres. */
export function patrolRing(center: LonLat, halfWidthM: number, halfHeightM: number): LonLat[] {
  const c = (e: number, n: number) => offsetM(center, e * halfWidthM, n * halfHeightM);
  return [c(-1, -1), c(1, -1), c(1, 1), c(-1, 1), c(-1, -1)];
}

/** Points every `stepM` round a closed ring: its assigned cells are the cells these fall in. */
export function ringSamples(ring: readonly LonLat[], stepM = 5): LonLat[] {
  const line = preparePolyline(ring);
  const out: LonLat[] = [];
  for (let d = 0; d < line.lengthM; d += stepM) out.push(interpolateAlong(line, d).position);
  return out;
}

/** A collector's handheld (监督员终端), assigned the cells of `assignCellsAt`. */
export function collector(
  id: string,
  fixes: readonly TaggedFix[],
  runId: string,
  assignCellsAt: readonly LonLat[],
): SimDevice {
  return {
    id,
    kind: 'collector',
    attributes: { scenarioRun: runId },
    assignCellsAt,
    fixes: untagged(fixes),
    readings: [],
  };
}

/** A fixed sensor at `at` (its installation point is in the registry: it reports no position). */
export function sensor(id: string, sensorType: string, at: LonLat, readings: Reading[], runId: string): SimDevice {
  return {
    id,
    kind: 'sensor',
    attributes: { sensorType, lon: at[0], lat: at[1], scenarioRun: runId },
    fixes: [],
    readings,
  };
}
