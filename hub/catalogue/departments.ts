// 部门 departments: the professional departments (专业部门) cases are dispatched to, and the district governments that
// coordinate cases whose responsibility is unclear (art.33). Other tables refer to `departments(id)`.
import type pg from 'pg';

export const DEPARTMENT_KINDS = ['department', 'districtGovernment'] as const;
export type DepartmentKind = (typeof DEPARTMENT_KINDS)[number];

export const DEPARTMENT_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
export const DISTRICT_CODE_PATTERN = /^\d{6}$/;
export const DEPARTMENT_LIMITS = { name: 200, contactPhone: 32 } as const;

export interface Department {
  id: string;
  name: string;
  kind: DepartmentKind;
  /** GB/T 2260 county-level code; always set for a district government. */
  districtCode: string | null;
  contactPhone: string | null;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewDepartment {
  id: string;
  name: string;
  kind: DepartmentKind;
  districtCode?: string | null;
  contactPhone?: string | null;
  enabled?: boolean;
}

/** Fields left out are kept; null clears a nullable field. */
export type DepartmentPatch = Partial<Omit<NewDepartment, 'id'>>;

export type DepartmentErrorCode =
  'DepartmentNotFound' | 'DepartmentExists' | 'InvalidDepartment' | 'DistrictGovernmentExists';

export interface DepartmentIssue {
  field: string;
  message: string;
}

export class DepartmentError extends Error {
  override readonly name = 'DepartmentError';
  constructor(
    readonly code: DepartmentErrorCode,
    message: string,
    readonly issues: DepartmentIssue[] = [],
  ) {
    super(message);
  }
}

interface DepartmentRow {
  id: string;
  name: string;
  kind: DepartmentKind;
  district_code: string | null;
  contact_phone: string | null;
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, name, kind, district_code, contact_phone, enabled, created_at, updated_at';

const toDepartment = (r: DepartmentRow): Department => ({
  id: r.id,
  name: r.name,
  kind: r.kind,
  districtCode: r.district_code,
  contactPhone: r.contact_phone,
  enabled: r.enabled,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

type Fields = Partial<Omit<NewDepartment, 'id'>>;

function check(input: Fields, issues: DepartmentIssue[]): Fields {
  const out: Fields = { ...input };
  if (input.name !== undefined) {
    const name = typeof input.name === 'string' ? input.name.trim() : '';
    if (!name) issues.push({ field: 'name', message: 'name is required' });
    else if (name.length > DEPARTMENT_LIMITS.name) {
      issues.push({ field: 'name', message: `name must be at most ${DEPARTMENT_LIMITS.name} characters` });
    }
    out.name = name;
  }
  if (input.kind !== undefined && !(DEPARTMENT_KINDS as readonly string[]).includes(input.kind)) {
    issues.push({ field: 'kind', message: `kind must be one of ${DEPARTMENT_KINDS.join(', ')}` });
  }
  if (input.districtCode != null && !DISTRICT_CODE_PATTERN.test(input.districtCode)) {
    issues.push({ field: 'districtCode', message: 'districtCode must be a 6-digit GB/T 2260 county-level code' });
  }
  if (input.contactPhone != null) {
    const phone = input.contactPhone.trim();
    if (phone.length > DEPARTMENT_LIMITS.contactPhone || !/^[0-9+\-() ]*$/.test(phone)) {
      issues.push({ field: 'contactPhone', message: 'contactPhone may hold digits, spaces and + - ( ), at most 32' });
    }
    out.contactPhone = phone || null;
  }
  return out;
}

const invalid = (issues: DepartmentIssue[]) =>
  new DepartmentError('InvalidDepartment', issues.map((i) => i.message).join('; '), issues);

export class DepartmentStore {
  constructor(private readonly pool: pg.Pool) {}

  async create(input: NewDepartment): Promise<Department> {
    const issues: DepartmentIssue[] = [];
    if (typeof input.id !== 'string' || !DEPARTMENT_ID_PATTERN.test(input.id)) {
      issues.push({ field: 'id', message: 'id must be 1–64 characters from A–Z a–z 0–9 . _ -' });
    }
    const f = check({ ...input, name: input.name ?? '', kind: input.kind ?? ('' as DepartmentKind) }, issues);
    if (f.kind === 'districtGovernment' && !f.districtCode) {
      issues.push({ field: 'districtCode', message: 'a district government needs the districtCode it coordinates' });
    }
    if (issues.length) throw invalid(issues);
    try {
      const { rows } = await this.pool.query<DepartmentRow>(
        `INSERT INTO departments (id, name, kind, district_code, contact_phone, enabled)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
        [input.id, f.name, f.kind, f.districtCode ?? null, f.contactPhone ?? null, f.enabled ?? true],
      );
      return toDepartment(rows[0]!);
    } catch (err) {
      throw this.translate(err, input.id, f.districtCode ?? null);
    }
  }

  async update(id: string, patch: DepartmentPatch): Promise<Department> {
    const issues: DepartmentIssue[] = [];
    const f = check(patch, issues);
    if (issues.length) throw invalid(issues);
    const current = await this.get(id);
    const next = {
      name: f.name ?? current.name,
      kind: f.kind ?? current.kind,
      districtCode: f.districtCode === undefined ? current.districtCode : f.districtCode,
      contactPhone: f.contactPhone === undefined ? current.contactPhone : f.contactPhone,
      enabled: f.enabled ?? current.enabled,
    };
    if (next.kind === 'districtGovernment' && !next.districtCode) {
      throw invalid([
        { field: 'districtCode', message: 'a district government needs the districtCode it coordinates' },
      ]);
    }
    try {
      const { rows } = await this.pool.query<DepartmentRow>(
        `UPDATE departments SET name = $2, kind = $3, district_code = $4, contact_phone = $5, enabled = $6,
           updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
        [id, next.name, next.kind, next.districtCode, next.contactPhone, next.enabled],
      );
      if (!rows[0]) throw notFound(id);
      return toDepartment(rows[0]);
    } catch (err) {
      throw this.translate(err, id, next.districtCode);
    }
  }

  async get(id: string): Promise<Department> {
    const { rows } = await this.pool.query<DepartmentRow>(`SELECT ${COLUMNS} FROM departments WHERE id = $1`, [id]);
    if (!rows[0]) throw notFound(id);
    return toDepartment(rows[0]);
  }

  async list(filter: { kind?: DepartmentKind; enabled?: boolean } = {}): Promise<Department[]> {
    const { rows } = await this.pool.query<DepartmentRow>(
      `SELECT ${COLUMNS} FROM departments
        WHERE ($1::text IS NULL OR kind = $1) AND ($2::boolean IS NULL OR enabled = $2) ORDER BY id`,
      [filter.kind ?? null, filter.enabled ?? null],
    );
    return rows.map(toDepartment);
  }

  private translate(err: unknown, id: string, districtCode: string | null): unknown {
    if (err instanceof DepartmentError) return err;
    const e = err as { code?: string; constraint?: string };
    if (e.code === '23505' && e.constraint === 'departments_district_government_idx') {
      return new DepartmentError(
        'DistrictGovernmentExists',
        `district ${districtCode} already has an enabled district government; disable it first`,
      );
    }
    if (e.code === '23505')
      return new DepartmentError('DepartmentExists', `a department with id "${id}" already exists`);
    return err;
  }
}

const notFound = (id: string) => new DepartmentError('DepartmentNotFound', `no department with id "${id}"`);
