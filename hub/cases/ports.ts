// 案件闭环的依赖 the case loop's ports: what hub/cases needs from the working calendar, the catalogue and standards, the
// geocoder, the responsibility rules and the users. hub/hub.ts wires the real implementations; hub/cases imports only
// these types, so the workflow stays free of HTTP, sockets and MQTT.

/** 工作时 working hours, 工作日 working days, 紧急工作时 urgent (continuous) hours. */
export const TIME_LIMIT_UNITS = ['workHours', 'workDays', 'urgentHours'] as const;
export type TimeLimitUnit = (typeof TIME_LIMIT_UNITS)[number];

/** A time limit as a city's standard writes it: `2紧急工作时` is { value: 2, unit: 'urgentHours' }. */
export interface TimeLimit {
  value: number;
  unit: TimeLimitUnit;
}

/** 红绿灯 traffic light: green up to 80 % of the limit, yellow up to 100 %, red overdue. */
export type TrafficLight = 'green' | 'yellow' | 'red';

/** 工作日历 the city's working calendar, answering in UTC instants (ms since the epoch). */
export interface WorkCalendar {
  /** The instant at which `limit`, counted from `startMs`, runs out. */
  deadline(startMs: number, limit: TimeLimit): number;
  /** Time between two instants in `unit` (working time only for workHours/workDays; fractional). */
  elapsed(startMs: number, endMs: number, unit: TimeLimitUnit): number;
}

/** Roles (角色): collector 监督员, acceptor 受理员, shift leader 值班长, dispatcher 派遣员, department handler 专业部门,
 * leader 领导, admin 系统管理员, auditor 审计员. */
export const ROLES = [
  'collector',
  'acceptor',
  'shiftLeader',
  'dispatcher',
  'department',
  'leader',
  'admin',
  'auditor',
] as const;
export type Role = (typeof ROLES)[number];

/** Who acts: a logged-in user (or the admin service token, userId `admin-token`). */
export interface Actor {
  userId: string;
  name: string;
  roles: Role[];
  /** The department a `department` user belongs to (专业部门); null for the supervision centre's staff. */
  departmentId: string | null;
}

/** 地理编码 a point's place in the grid hierarchy: cell 单元网格 (15 digits) → community 社区 → street 街道 → district 区. */
export interface AreaCodes {
  cell: string;
  community: string;
  street: string;
  district: string;
}

export interface Geocoder {
  /** The unit grid cell containing the point (WGS-84), with its parents; null outside every cell. */
  locate(lon: number, lat: number): AreaCodes | null;
}

export type ClassKind = 'component' | 'event';

/** One situation (情形) of a class in the city's filing / handling / closing standard. */
export interface ClassStandard {
  id: number;
  classCode: string;
  /** 立案条件 */
  filingCondition: string;
  /** Parsed 处置时限; null when the source text could not be parsed (reported at import, never guessed). */
  limit: TimeLimit | null;
  /** The limit as written in the source, e.g. `2紧急工作时`. */
  limitText: string;
  /** 结案条件 */
  closingCondition: string;
}

export interface CatalogueClass {
  /** 4 digits: 2-digit major class + 2-digit minor class, e.g. 0101. */
  code: string;
  kind: ClassKind;
  nameZh: string;
  nameEn: string;
}

export interface Catalogue {
  classByCode(code: string): Promise<CatalogueClass | null>;
  standardsFor(classCode: string): Promise<ClassStandard[]>;
  standardById(id: number): Promise<ClassStandard | null>;
}

export interface Responsibility {
  /** 责任部门 the department that handles `classCode` at `area`; `fallback` when only the district government rule
   * matched (art.33: unclear responsibility goes to the district to coordinate). null when nothing matches. */
  resolve(classCode: string, area: AreaCodes): Promise<{ departmentId: string; fallback: boolean } | null>;
}
