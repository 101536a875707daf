// A small city for the detection rule tests: a migrated database with a catalogue class and its situations, a 100 m demo
// grid, the real case service and candidate queue, a muck-truck no-entry zone, the registry facts of a few vehicles,
// and the detection service wired the way the hub wires it.
import type { Observation } from '../../ingest/observation.js';
import type { DeviceInfo } from '../../ingest/rules/types.js';
import { CandidateQueue } from '../../hub/cases/candidates.js';
import { CaseService } from '../../hub/cases/case-service.js';
import { DEFAULT_SETTINGS, WorkingCalendar } from '../../hub/cases/calendar.js';
import type { Actor } from '../../hub/cases/ports.js';
import { CatalogueStore } from '../../hub/catalogue/catalogue.js';
import { ResponsibilityRules } from '../../hub/catalogue/responsibility.js';
import { AreaStore } from '../../hub/geo/areas.js';
import { generateDemoGrid } from '../../hub/geo/demo-grid.js';
import { GridGeocoder } from '../../hub/geo/geocoder.js';
import { DetectionService } from '../../hub/rules/service.js';
import { migratedTestDatabase, type TestDatabase } from './database.js';

/** Local time in Asia/Shanghai (UTC+8, no DST) → UTC ms. */
export const cst = (iso: string) => Date.parse(`${iso}+08:00`);

/** 渣土车违规 as an event class of the test catalogue. */
export const CLASS_REF = 'event:0120';

// The no-entry zone: a 268 m × 333 m box inside the grid (117.0–117.004, 36.65–36.654).
export const ZONE = {
  id: 'old-town',
  name: '老城区',
  ring: [
    [117.0005, 36.6505],
    [117.0035, 36.6505],
    [117.0035, 36.6535],
    [117.0005, 36.6535],
    [117.0005, 36.6505],
  ],
};
export const zonesCollection = (extra: object[] = []) => ({
  type: 'FeatureCollection',
  features: [
    {
      type: 'Feature',
      properties: { id: ZONE.id, name: ZONE.name, note: 'muck trucks 06:00–22:00' },
      geometry: { type: 'Polygon', coordinates: [ZONE.ring] },
    },
    ...extra,
  ],
});

// Points in the zone. 0.00018° of latitude = 6371008.8 m × 0.00018 × π/180 = 20.0 m; 0.0018° = 200.2 m. The demo
// grid's cell rows meet at 36.651302°, so P1 and the point 20 m north of it lie in different cells: only the radius
// can merge them.
export const P1 = { lon: 117.002, lat: 36.6512 };
export const P1_NORTH_20M = { lon: 117.002, lat: 36.65138 };
export const P1_NORTH_200M = { lon: 117.002, lat: 36.653 };
// 0.0012° of longitude at 36.65°: 111195 m × cos(36.65°) × 0.0012 = 107 m east of P1.
export const P2 = { lon: 117.0032, lat: 36.6512 };
export const OUTSIDE_ZONE = { lon: 117.0002, lat: 36.6502 };

export const muckRule = (overrides: Record<string, unknown> = {}) => ({
  id: 'muck-no-entry',
  kind: 'restricted-zone',
  name: '渣土车禁入老城区',
  enabled: true,
  classRef: CLASS_REF,
  zoneIds: [ZONE.id],
  vehicleKinds: ['muck'],
  minDwellS: 60,
  ...overrides,
});

export const ACCEPTOR: Actor = { userId: 'acc', name: 'acceptor', roles: ['acceptor'], departmentId: null };
export const ADMIN: Actor = { userId: 'admin-token', name: 'admin', roles: ['admin'], departmentId: null };

export interface RulesWorld {
  db: TestDatabase;
  cases: CaseService;
  candidates: CandidateQueue;
  detection: DetectionService;
  devices: Map<string, DeviceInfo>;
  /** The situation (情形) of CLASS_REF with a 2-urgent-hour limit. */
  standardId: number;
  /** A situation of another class. */
  otherStandardId: number;
  logged: Array<{ obj: Record<string, unknown>; msg: string }>;
  close(): Promise<void>;
}

export async function startRulesWorld(): Promise<RulesWorld> {
  const db = await migratedTestDatabase();
  const { pool } = db;
  await pool.query(`INSERT INTO catalogue_major_classes (kind, code, name_zh) VALUES ('event', '01', '市容环境'),
    ('component', '01', '公用设施')`);
  await pool.query(`INSERT INTO catalogue_classes (kind, code, name_zh, origin) VALUES
    ('event', '0120', '渣土车违规', 'test'), ('component', '0101', '上水井盖', 'test')`);
  const { rows } = await pool.query<{ id: string }>(`INSERT INTO class_standards
      (kind, class_code, position, filing_condition, limit_value, limit_unit, limit_text, closing_condition) VALUES
      ('event', '0120', 0, '渣土车进入禁行区', 2, 'urgentHours', '2紧急工作时', '驶离'),
      ('component', '0101', 0, '井盖破损', 4, 'workHours', '4工作时', '修复')
    RETURNING id::text AS id`);
  const [standardId, otherStandardId] = rows.map((r) => Number(r.id)) as [number, number];
  await new AreaStore(pool).importGeoJson(
    generateDemoGrid({
      bbox: { minLon: 117.0, minLat: 36.65, maxLon: 117.004, maxLat: 36.654 },
      districtCode: '370102',
      districtName: '历下区',
      cellSizeM: 100,
      streetCells: 10,
      communityCells: 5,
    }),
  );
  const geocoder = new GridGeocoder(pool);
  await geocoder.reload();
  const catalogue = new CatalogueStore(pool);
  const cases = new CaseService({
    pool,
    catalogue,
    geocoder,
    responsibility: new ResponsibilityRules(pool),
    calendar: new WorkingCalendar({ settings: DEFAULT_SETTINGS, days: [] }),
  });
  const candidates = new CandidateQueue(pool, cases);
  const devices = new Map<string, DeviceInfo>();
  for (const id of ['muck1', 'muck2', 'muck3', 'muck4']) {
    devices.set(id, { id, kind: 'vehicle', attributes: { vehicleKind: 'muck' }, gridCodes: [] });
  }
  devices.set('bus1', { id: 'bus1', kind: 'vehicle', attributes: { vehicleKind: 'bus' }, gridCodes: [] });
  const logged: RulesWorld['logged'] = [];
  const log = {
    info: () => undefined,
    warn: () => undefined,
    error: (obj: Record<string, unknown>, msg: string) => {
      logged.push({ obj, msg });
    },
  };
  const detection = new DetectionService({
    pool,
    candidates,
    deviceInfo: (id) => devices.get(id) ?? null,
    locate: (lon, lat) => geocoder.locate(lon, lat),
    timeZone: 'Asia/Shanghai',
    log: log as never,
    catalogue,
  });
  await detection.load();
  return { db, cases, candidates, detection, devices, standardId, otherStandardId, logged, close: () => db.drop() };
}

/** Positions of one device, one per entry: [local time, point]. */
export function track(deviceId: string, fixes: Array<[string, { lon: number; lat: number }]>): Observation[] {
  return fixes.map(([time, p]) => ({
    type: 'position',
    deviceId,
    timeMs: cst(time),
    lon: p.lon,
    lat: p.lat,
    speedKmh: 0,
    course: null,
    altitudeM: null,
    accuracyM: 5,
    source: 'mqtt',
    attributes: {},
  }));
}

/** A stay in the zone at `p` from `start` (HH:MM:SS on 2026-11-30) for three fixes a minute apart, then out. */
export function stay(deviceId: string, hhmm: string, p: { lon: number; lat: number }): Observation[] {
  const at = (offsetS: number) => {
    const [h, m, s] = hhmm.split(':').map(Number) as [number, number, number];
    const t = h * 3600 + m * 60 + s + offsetS;
    const pad = (n: number) => String(n).padStart(2, '0');
    return `2026-11-30T${pad(Math.floor(t / 3600))}:${pad(Math.floor((t % 3600) / 60))}:${pad(t % 60)}`;
  };
  return track(deviceId, [
    [at(-60), OUTSIDE_ZONE],
    [at(0), p],
    [at(60), p],
    [at(120), p],
    [at(180), OUTSIDE_ZONE],
  ]);
}
