// A small city for case tests on the real database: a demo unit grid with named streets and communities, a few
// catalogue classes with standards, two departments with a responsibility rule, one user per role, and the case
// service on a clock the test moves. Helpers carry a case through the workflow as the role that owns each step.
import { createUserWithPassword, UserStore } from '../../hub/auth/users.js';
import { CaseService, type CaseView } from '../../hub/cases/case-service.js';
import { DEFAULT_SETTINGS, WorkingCalendar } from '../../hub/cases/calendar.js';
import type { Actor, Role } from '../../hub/cases/ports.js';
import { CatalogueStore } from '../../hub/catalogue/catalogue.js';
import { DepartmentStore } from '../../hub/catalogue/departments.js';
import { detectFeatures } from '../../hub/db/pool.js';
import { EvaluationService } from '../../hub/evaluation/service.js';
import { ResponsibilityRules } from '../../hub/catalogue/responsibility.js';
import { AreaStore } from '../../hub/geo/areas.js';
import { generateDemoGrid } from '../../hub/geo/demo-grid.js';
import { GridGeocoder } from '../../hub/geo/geocoder.js';
import type { Authenticator } from '../../hub/http/guard.js';
import { migratedTestDatabase, type TestDatabase } from './database.js';
import { fixedTokenAuthenticator } from './http-app.js';

export const CITY_DISTRICT = '370102';
/** Inside the grid (its first street and community). */
export const CITY_SPOT = { lon: 117.0012, lat: 36.6532 };
export const CITY_PASSWORD = 'correct horse battery';

export const CITY_USERS: { id: string; name: string; roles: Role[]; departmentId?: string; phone?: string }[] = [
  { id: 'col1', name: '监督员 张伟', roles: ['collector'], phone: '13900001111' },
  { id: 'col2', name: '监督员 王芳', roles: ['collector'] },
  { id: 'acc', name: '受理员 李娜', roles: ['acceptor'] },
  { id: 'shift', name: '值班长 王强', roles: ['shiftLeader'] },
  { id: 'disp', name: '派遣员 刘洋', roles: ['dispatcher'] },
  { id: 'water1', name: '水务 陈静', roles: ['department'], departmentId: 'water' },
  { id: 'boss', name: '领导 孙明', roles: ['leader'] },
  { id: 'audit', name: '审计员 周芳', roles: ['auditor'] },
];

/** The states a case passes through on the main path of the loop, reported to closed, in order. */
export const MAIN_LOOP_STATES = [
  'reported',
  'accepted',
  'filed',
  'dispatched',
  'handling',
  'handled',
  'reinspecting',
  'reinspected',
  'closed',
] as const;

export interface CaseCity {
  db: TestDatabase;
  service: CaseService;
  /** The service's clock (ms); tests move it. */
  clock: { nowMs: number };
  /** Actor by user id. */
  actors: Record<string, Actor>;
  /** Bearer token = the user id. */
  auth: Authenticator;
  /** The 4-working-hour situation of component 0101 (上水井盖). */
  standardId: number;
  /** Reports a case as `by` (a collector unless given otherwise). */
  report(by?: string, extra?: Record<string, unknown>): Promise<CaseView>;
  /** Carries a reported case through acceptance, filing, dispatch, handling and re-inspection to closed. */
  close(caseId: string): Promise<CaseView>;
  /** Carries a reported case to `state` along the main path. */
  advance(caseId: string, to: 'accepted' | 'filed' | 'dispatched' | 'handling' | 'handled'): Promise<CaseView>;
  /** The evaluation service over this city's database and clock, started. */
  startEvaluation(): Promise<EvaluationService>;
  drop(): Promise<void>;
}

export async function createCaseCity(startMs: number): Promise<CaseCity> {
  const db = await migratedTestDatabase();
  const { pool } = db;
  const departments = new DepartmentStore(pool);
  await departments.create({ id: 'water', name: '供水公司', kind: 'department' });
  await departments.create({ id: 'gov', name: '历下区政府', kind: 'districtGovernment', districtCode: CITY_DISTRICT });
  await pool.query(`INSERT INTO catalogue_major_classes (kind, code, name_zh, name_en) VALUES
    ('component', '01', '公用设施', 'Public utilities'), ('event', '01', '市容环境', 'City appearance')`);
  await pool.query(`INSERT INTO catalogue_classes (kind, code, name_zh, name_en, origin) VALUES
    ('component', '0101', '上水井盖', 'Water supply manhole cover', 'test'),
    ('event', '0110', '暴露垃圾', 'Exposed garbage', 'test')`);
  const { rows } = await pool.query<{ id: string }>(`INSERT INTO class_standards
      (kind, class_code, position, filing_condition, limit_value, limit_unit, limit_text, closing_condition) VALUES
      ('component', '0101', 0, '井盖破损', 4, 'workHours', '4工作时', '修复'),
      ('event', '0110', 0, '垃圾暴露', 1, 'workDays', '1工作日', '清除')
    RETURNING id::text AS id`);
  const standardId = Number(rows[0]!.id);
  const eventStandardId = Number(rows[1]!.id);

  await new AreaStore(pool).importGeoJson(
    generateDemoGrid({
      bbox: { minLon: 117.0, minLat: 36.65, maxLon: 117.004, maxLat: 36.654 },
      districtCode: CITY_DISTRICT,
      districtName: '历下区',
      cellSizeM: 100,
      streetCells: 10,
      communityCells: 5,
    }),
  );
  const geocoder = new GridGeocoder(pool);
  await geocoder.reload();
  const responsibility = new ResponsibilityRules(pool);
  await responsibility.create({
    classPattern: '*',
    areaLevel: 'district',
    areaCode: CITY_DISTRICT,
    departmentId: 'water',
  });
  await responsibility.reload();

  const clock = { nowMs: startMs };
  const service = new CaseService({
    pool,
    catalogue: new CatalogueStore(pool),
    geocoder,
    responsibility,
    calendar: new WorkingCalendar({ settings: DEFAULT_SETTINGS, days: [] }),
    now: () => clock.nowMs,
  });
  const users = new UserStore(pool);
  const actors: Record<string, Actor> = {};
  for (const u of CITY_USERS) {
    await createUserWithPassword(users, {
      id: u.id,
      username: u.id,
      name: u.name,
      password: CITY_PASSWORD,
      roles: u.roles,
      departmentId: u.departmentId ?? null,
      ...(u.phone ? { phone: u.phone } : {}),
    });
    actors[u.id] = { userId: u.id, name: u.name, roles: u.roles, departmentId: u.departmentId ?? null };
  }
  actors.admin = { userId: 'admin-token', name: 'admin', roles: ['admin'], departmentId: null };

  const a = (id: string) => actors[id]!;
  const report = (by = 'col1', extra: Record<string, unknown> = {}) =>
    service.report(
      {
        source: by === 'acc' ? 'hotline' : by === 'boss' ? 'leader' : 'collector',
        classCode: 'component:0101',
        ...CITY_SPOT,
        description: '上水井盖破损',
        ...extra,
      },
      a(by),
    );
  const path: [string, string, Record<string, unknown>][] = [
    ['accept', 'acc', {}],
    ['file', 'shift', {}],
    ['dispatch', 'disp', {}],
    ['start', 'water1', {}],
    ['handle', 'water1', { note: '已修复', attachments: ['photo-after'] }],
  ];
  const toStates = ['accepted', 'filed', 'dispatched', 'handling', 'handled'];
  const advance = async (caseId: string, to: string) => {
    let view = await service.get(caseId, a('admin'));
    for (let i = toStates.indexOf(view.state) + 1; i <= toStates.indexOf(to); i++) {
      const [action, by, input] = path[i]!;
      const standard = view.classKind === 'event' ? eventStandardId : standardId;
      view = await service.act(caseId, action, a(by), action === 'accept' ? { standardId: standard } : input);
    }
    return view;
  };
  return {
    db,
    service,
    clock,
    actors,
    auth: fixedTokenAuthenticator(actors),
    standardId,
    report,
    advance,
    async close(caseId) {
      await advance(caseId, 'handled');
      await service.act(caseId, 'assignReinspect', a('shift'), { collectorId: 'col1' });
      await service.act(caseId, 'reinspectPass', a('col1'), {});
      return service.act(caseId, 'close', a('shift'), {});
    },
    async startEvaluation() {
      const evaluation = new EvaluationService({
        pool,
        features: await detectFeatures(pool),
        now: () => clock.nowMs,
      });
      await evaluation.start();
      return evaluation;
    },
    drop: () => db.drop(),
  };
}
