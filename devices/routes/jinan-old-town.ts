// Closed driving routes in the old town of Jinan (济南老城区) for the vehicle simulator: the moat ring (护城河), the
// streets around Daming Lake (大明湖), Quancheng Road (泉城路) and the arterials around them (经十路, 历山路, 顺河街,
// 北园大街).
//
// HONESTY NOTE — these coordinates are hand-drawn approximations of the street layout, written from general knowledge
// of the city, NOT survey data and not traced from any map: junctions may be off by tens of metres, streets are
// straightened, and which streets are one-way, closed to trucks or pedestrian-only is not modelled. They are WGS-84
// [lon, lat] (not the GCJ-02 "Mars" coordinates Chinese web maps use, which are shifted by several hundred metres).
// Good enough for plausible moving dots on a map of the old town; do not use them for anything that needs real
// geometry (geofences, map matching, distance billing).
//
// Every point lies inside JINAN_OLD_TOWN_BBOX. Every route is a closed loop: its last point equals its first.
import type { LonLat } from '../geo.js';

/** The kinds of city-management vehicles (城管车辆) the simulator drives. */
export type VehicleKindCode = 'sanitation' | 'watering' | 'garbage' | 'muck' | 'patrol' | 'enforcement';

export interface VehicleKind {
  code: VehicleKindCode;
  /** Chinese label, as shown to operators. */
  zh: string;
  /** English label. */
  en: string;
}

export const VEHICLE_KINDS: Readonly<Record<VehicleKindCode, VehicleKind>> = {
  sanitation: { code: 'sanitation', zh: '环卫车', en: 'sanitation truck (street sweeper)' },
  watering: { code: 'watering', zh: '洒水车', en: 'street watering truck' },
  garbage: { code: 'garbage', zh: '垃圾清运车', en: 'refuse collection truck' },
  muck: { code: 'muck', zh: '渣土车', en: 'muck truck (construction spoil)' },
  patrol: { code: 'patrol', zh: '巡查车', en: 'patrol car' },
  enforcement: { code: 'enforcement', zh: '城管执法车', en: 'city-management law-enforcement car' },
};

export interface VehicleRoute {
  /** Stable identifier, kebab-case. */
  id: string;
  /** Chinese name. */
  nameZh: string;
  /** English name. */
  nameEn: string;
  /** The kind of vehicle that drives it. */
  vehicleKind: VehicleKind;
  /** WGS-84 [lon, lat] polyline; closed (last point === first point). */
  points: readonly LonLat[];
}

/** The area all routes stay in: west of 顺河高架 to east of 山大路, 经十路 to 北园大街 (degrees). */
export const JINAN_OLD_TOWN_BBOX = { minLon: 116.99, minLat: 36.645, maxLon: 117.06, maxLat: 36.69 } as const;

// Approximate junctions, shared by the routes so that routes meeting at a junction meet at the same point.
// Street lines used (all approximate): 经十路 lat ≈ 36.6545; 泺源大街 ≈ 36.6592; 黑虎泉西路 (south moat) ≈ 36.661;
// 泉城路 ≈ 36.6640; 共青团路 ≈ 36.6665; 大明湖路 (south shore of the lake) ≈ 36.6700; 明湖路 (north of the lake)
// ≈ 36.679; 北园大街 ≈ 36.6865; 顺河街/顺河高架 lon ≈ 117.005; 趵突泉南路/北路 (west moat) ≈ 117.0115; 县西巷
// ≈ 117.0205; 黑虎泉北路/明湖东路 (east moat) ≈ 117.030; 历山路 ≈ 117.035; 山大路 ≈ 117.047.
const J = {
  // 顺河街 / 顺河高架 (west)
  shunheJingshi: [117.005, 36.6545],
  shunheLuoyuan: [117.005, 36.6592],
  shunheGongqingtuan: [117.005, 36.6665],
  shunheMinghu: [117.0049, 36.679],
  shunheBeiyuan: [117.0047, 36.6865],
  // 趵突泉南路 / 趵突泉北路 and its northward continuation along the west moat
  baotuJingshi: [117.0122, 36.6545],
  baotuLuoyuan: [117.0118, 36.6592],
  baotuMoat: [117.0116, 36.6611], // 趵突泉北路 × 黑虎泉西路, by 趵突泉 park
  baotuQuancheng: [117.0114, 36.664], // west end of 泉城路
  baotuGongqingtuan: [117.0112, 36.6665],
  westMoatDaminghu: [117.0109, 36.67], // west end of 大明湖路
  // 明湖西路 (west of the lake)
  minghuWestMinghu: [117.0106, 36.679],
  // 县西巷 (north–south lane between 泉城路 and 大明湖路)
  xianxiQuancheng: [117.0205, 36.664],
  xianxiDaminghu: [117.0205, 36.67],
  // 黑虎泉 / 解放阁 corner and 黑虎泉北路 / 明湖东路 along the east moat
  luoyuanEast: [117.0288, 36.6594], // east end of 泺源大街, where 文化西路 begins
  heihuSpring: [117.0298, 36.6614], // 黑虎泉, south-east corner of the moat
  heihuQuancheng: [117.03, 36.664], // east end of 泉城路 by 解放阁, start of 解放路
  heihuDaminghu: [117.0302, 36.67],
  minghuEastMinghu: [117.0304, 36.679],
  // 千佛山路 meets 经十路
  qianfoshanJingshi: [117.026, 36.6545],
  // 历山路 (north–south)
  lishanJingshi: [117.0352, 36.6545],
  lishanWenhua: [117.0351, 36.6578],
  lishanJiefang: [117.035, 36.6645],
  lishanMinghu: [117.035, 36.679],
  lishanBeiyuan: [117.035, 36.6865],
  // 山大路 (north–south, east of 历山路)
  shandaJiefang: [117.047, 36.666],
  shandaWenhua: [117.047, 36.6575],
} as const satisfies Record<string, LonLat>;

export const JINAN_OLD_TOWN_ROUTES: readonly VehicleRoute[] = [
  {
    id: 'moat-ring',
    nameZh: '护城河环线',
    nameEn: 'Old Town Moat Ring',
    vehicleKind: VEHICLE_KINDS.patrol,
    // 黑虎泉西路 east along the south moat → 黑虎泉北路 north → 大明湖路 west → 趵突泉北路 south.
    points: [
      J.baotuMoat,
      [117.015, 36.6612],
      [117.019, 36.6614],
      [117.023, 36.6613],
      [117.0265, 36.661],
      J.heihuSpring,
      J.heihuQuancheng,
      J.heihuDaminghu,
      [117.025, 36.6701],
      J.xianxiDaminghu,
      [117.016, 36.6701],
      J.westMoatDaminghu,
      J.baotuGongqingtuan,
      J.baotuQuancheng,
      J.baotuMoat,
    ],
  },
  {
    id: 'quancheng-xianxi',
    nameZh: '泉城路—县西巷环线',
    nameEn: 'Quancheng Road – Xianxi Lane Loop',
    vehicleKind: VEHICLE_KINDS.sanitation,
    // 泉城路 east → 黑虎泉北路 north → 大明湖路 west → 县西巷 south.
    points: [
      J.xianxiQuancheng,
      [117.0245, 36.664],
      J.heihuQuancheng,
      [117.0301, 36.667],
      J.heihuDaminghu,
      [117.025, 36.6701],
      J.xianxiDaminghu,
      [117.0204, 36.667],
      J.xianxiQuancheng,
    ],
  },
  {
    id: 'daming-lake',
    nameZh: '大明湖环湖线',
    nameEn: 'Daming Lake Circuit',
    vehicleKind: VEHICLE_KINDS.watering,
    // 大明湖路 east along the south shore → 明湖东路 north → 明湖路 west → 明湖西路 south.
    points: [
      J.westMoatDaminghu,
      [117.016, 36.6701],
      J.xianxiDaminghu,
      [117.025, 36.6701],
      J.heihuDaminghu,
      [117.0303, 36.6745],
      J.minghuEastMinghu,
      [117.025, 36.6793],
      [117.0195, 36.6795],
      [117.014, 36.6793],
      J.minghuWestMinghu,
      [117.0107, 36.6745],
      J.westMoatDaminghu,
    ],
  },
  {
    id: 'arterial-ring',
    nameZh: '经十路—历山路—北园大街—顺河大环线',
    nameEn: 'Jingshi Rd – Lishan Rd – Beiyuan St – Shunhe Ring',
    vehicleKind: VEHICLE_KINDS.muck,
    // Muck trucks keep to the arterials: 经十路 east → 历山路 north → 北园大街 west → 顺河街 south.
    points: [
      J.shunheJingshi,
      J.baotuJingshi,
      [117.019, 36.6545],
      J.qianfoshanJingshi,
      J.lishanJingshi,
      J.lishanWenhua,
      J.lishanJiefang,
      [117.035, 36.672],
      J.lishanMinghu,
      J.lishanBeiyuan,
      [117.027, 36.6866],
      [117.019, 36.6866],
      [117.011, 36.6866],
      J.shunheBeiyuan,
      J.shunheMinghu,
      [117.005, 36.672],
      J.shunheGongqingtuan,
      J.shunheLuoyuan,
      J.shunheJingshi,
    ],
  },
  {
    id: 'baotu-wulongtan',
    nameZh: '趵突泉—五龙潭周边环线',
    nameEn: 'Baotu Spring – Wulongtan Loop',
    vehicleKind: VEHICLE_KINDS.enforcement,
    // Around the spring parks: 顺河街 north → 共青团路 east → 趵突泉北路/南路 south → 经十路 west.
    points: [
      J.shunheJingshi,
      J.shunheLuoyuan,
      J.shunheGongqingtuan,
      [117.008, 36.6666],
      J.baotuGongqingtuan,
      J.baotuQuancheng,
      J.baotuMoat,
      J.baotuLuoyuan,
      [117.012, 36.657],
      J.baotuJingshi,
      [117.0085, 36.6545],
      J.shunheJingshi,
    ],
  },
  {
    id: 'quancheng-square',
    nameZh: '泉城广场—文化西路环线',
    nameEn: 'Quancheng Square – Wenhua West Rd Loop',
    vehicleKind: VEHICLE_KINDS.garbage,
    // 泺源大街 east along the south of 泉城广场 → 文化西路 → 历山路 south → 经十路 west → 趵突泉南路 north.
    points: [
      J.baotuLuoyuan,
      [117.0175, 36.6593],
      [117.023, 36.6593],
      J.luoyuanEast,
      [117.032, 36.6587],
      J.lishanWenhua,
      J.lishanJingshi,
      J.qianfoshanJingshi,
      [117.019, 36.6545],
      J.baotuJingshi,
      [117.012, 36.657],
      J.baotuLuoyuan,
    ],
  },
  {
    id: 'jiefang-shanda',
    nameZh: '解放路—山大路—文化路环线',
    nameEn: 'Jiefang Rd – Shanda Rd – Wenhua Rd Loop',
    vehicleKind: VEHICLE_KINDS.garbage,
    // 解放路 east from 解放阁 → 山大路 south → 文化东路/文化西路 west → 黑虎泉北路 north.
    points: [
      J.heihuQuancheng,
      J.lishanJiefang,
      [117.041, 36.6653],
      J.shandaJiefang,
      [117.047, 36.662],
      J.shandaWenhua,
      [117.041, 36.6576],
      J.lishanWenhua,
      [117.032, 36.6587],
      J.luoyuanEast,
      J.heihuSpring,
      J.heihuQuancheng,
    ],
  },
  {
    id: 'minghu-beiyuan',
    nameZh: '明湖路—北园大街环线',
    nameEn: 'Minghu Rd – Beiyuan St Loop',
    vehicleKind: VEHICLE_KINDS.patrol,
    // 明湖路 east north of the lake → 历山路 north → 北园大街 west → 顺河街 south.
    points: [
      J.shunheMinghu,
      J.minghuWestMinghu,
      [117.014, 36.6793],
      [117.0195, 36.6795],
      [117.025, 36.6793],
      J.minghuEastMinghu,
      J.lishanMinghu,
      [117.035, 36.683],
      J.lishanBeiyuan,
      [117.027, 36.6866],
      [117.019, 36.6866],
      [117.011, 36.6866],
      J.shunheBeiyuan,
      J.shunheMinghu,
    ],
  },
];
