// 用户 the user store: the people who log in, their roles (角色) and department (专业部门), and their password hashes.
// Changing what a user may do (roles, department, enabled) or their password tells the listeners (the session
// service) at once, and disabling a user or setting their password revokes their sessions in the same transaction.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { ROLES, type Role } from '../cases/ports.js';
import { withTransaction } from '../db/pool.js';
import { hashPassword, passwordProblem } from './passwords.js';

export const USER_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
/** The actor id of the admin service token (hub/auth/sessions.ts); no user may have it, or the two would be confused. */
export const ADMIN_TOKEN_USER_ID = 'admin-token';
/** Letters (any script), digits and . _ @ - ; compared without regard to case. */
export const USERNAME_PATTERN = /^[\p{L}\p{N}._@-]{2,64}$/u;
const PHONE_PATTERN = /^\+?[0-9][0-9 ()-]{2,31}$/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

export const USER_LIMITS = { name: 200, staffId: 64, phone: 32, departmentId: 64, pageSize: 500 } as const;

export interface User {
  id: string;
  username: string;
  name: string;
  roles: Role[];
  /** 专业部门; required for the `department` role. */
  departmentId: string | null;
  /** 工号 */
  staffId: string | null;
  phone: string | null;
  enabled: boolean;
  passwordChangedAt: Date;
  createdAt: Date;
  updatedAt: Date;
  lastLoginAt: Date | null;
}

export interface NewUser {
  /** Default: a random UUID. */
  id?: string;
  username: string;
  name: string;
  roles: Role[];
  departmentId?: string | null;
  staffId?: string | null;
  phone?: string | null;
  enabled?: boolean;
  /** Set by the admin; at least 10 characters and not the username. */
  password: string;
}

/** Fields left out are kept; null clears a nullable one. */
export type UserPatch = Partial<Pick<NewUser, 'name' | 'roles' | 'departmentId' | 'staffId' | 'phone' | 'enabled'>>;

export interface UserFilter {
  role?: Role;
  departmentId?: string;
  enabled?: boolean;
  /** Substring of username, name or staff id, case-insensitive. */
  q?: string;
}

export interface UserPage {
  items: User[];
  total: number;
  limit: number;
  offset: number;
}

export interface Issue {
  field: string;
  message: string;
}

export type UserErrorCode = 'UserNotFound' | 'UserExists' | 'InvalidUser' | 'InvalidQuery';

export class UserError extends Error {
  override readonly name = 'UserError';
  constructor(
    readonly code: UserErrorCode,
    message: string,
    readonly issues: Issue[] = [],
  ) {
    super(message);
  }
}

const COLUMNS = `id, username, name, roles, department_id, staff_id, phone, enabled, password_changed_at, created_at,
  updated_at, last_login_at`;

interface UserRow {
  id: string;
  username: string;
  name: string;
  roles: Role[];
  department_id: string | null;
  staff_id: string | null;
  phone: string | null;
  enabled: boolean;
  password_changed_at: Date;
  created_at: Date;
  updated_at: Date;
  last_login_at: Date | null;
}

const toUser = (r: UserRow): User => ({
  id: r.id,
  username: r.username,
  name: r.name,
  roles: r.roles,
  departmentId: r.department_id,
  staffId: r.staff_id,
  phone: r.phone,
  enabled: r.enabled,
  passwordChangedAt: r.password_changed_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  lastLoginAt: r.last_login_at,
});

const COLUMN_OF = {
  name: 'name',
  roles: 'roles',
  departmentId: 'department_id',
  staffId: 'staff_id',
  phone: 'phone',
  enabled: 'enabled',
} as const satisfies Record<keyof UserPatch, string>;

type Fields = {
  name: string;
  roles: Role[];
  departmentId: string | null;
  staffId: string | null;
  phone: string | null;
  enabled: boolean;
};

function normalizeFields(input: UserPatch, required: boolean): { fields: Partial<Fields>; issues: Issue[] } {
  const issues: Issue[] = [];
  const fields: Partial<Fields> = {};
  const bad = (field: string, message: string) => issues.push({ field, message });

  if (input.name !== undefined || required) {
    const name = typeof input.name === 'string' ? input.name.trim() : '';
    if (!name) bad('name', 'name is required');
    else if (name.length > USER_LIMITS.name) bad('name', `name must be at most ${USER_LIMITS.name} characters`);
    else if (CONTROL_CHARS.test(name)) bad('name', 'name must not contain control characters');
    else fields.name = name;
  }
  if (input.roles !== undefined || required) {
    const roles: unknown = input.roles;
    if (!Array.isArray(roles) || roles.length === 0)
      bad('roles', `roles must list at least one of ${ROLES.join(', ')}`);
    else {
      const unknown = roles.filter((r) => !(ROLES as readonly unknown[]).includes(r));
      if (unknown.length)
        bad('roles', `unknown roles ${unknown.map(String).join(', ')}; roles are ${ROLES.join(', ')}`);
      // Stored in ROLES order, each once, so equal role sets compare equal.
      else fields.roles = ROLES.filter((r) => roles.includes(r));
    }
  }
  const text = (key: 'departmentId' | 'staffId' | 'phone', limit: number) => {
    const value = input[key];
    if (value === undefined) return;
    if (value !== null && typeof value !== 'string') return bad(key, `${key} must be a string or null`);
    const t = value?.trim() || null;
    if (t && t.length > limit) bad(key, `${key} must be at most ${limit} characters`);
    else if (t && CONTROL_CHARS.test(t)) bad(key, `${key} must not contain control characters`);
    else fields[key] = t;
  };
  text('departmentId', USER_LIMITS.departmentId);
  text('staffId', USER_LIMITS.staffId);
  text('phone', USER_LIMITS.phone);
  if (fields.phone && !PHONE_PATTERN.test(fields.phone)) {
    bad('phone', 'phone must be digits, optionally with a leading +, spaces, hyphens or parentheses');
  }
  if (input.enabled !== undefined) {
    if (typeof input.enabled !== 'boolean') bad('enabled', 'enabled must be true or false');
    else fields.enabled = input.enabled;
  }
  return { fields, issues };
}

const invalid = (issues: Issue[]) => new UserError('InvalidUser', issues.map((i) => i.message).join('; '), issues);
const notFound = (id: string) => new UserError('UserNotFound', `no user with id "${id}"`);
const DEPARTMENT_REQUIRED: Issue = {
  field: 'departmentId',
  message: 'a user with the role department (专业部门) needs a departmentId',
};

/** Database refusals that are the caller's input, as the same typed errors the validation gives. */
function fromDatabase(err: unknown, departmentId: string | null | undefined): UserError | null {
  const e = err as { code?: string; constraint?: string };
  if (e.code === '23503' && e.constraint?.includes('department')) {
    return invalid([{ field: 'departmentId', message: `there is no department "${departmentId}"` }]);
  }
  if (e.code === '23514' && e.constraint === 'users_department_required') return invalid([DEPARTMENT_REQUIRED]);
  return null;
}

export type UserChangeListener = (userId: string) => void;

export class UserStore {
  private readonly listeners: UserChangeListener[] = [];

  constructor(private readonly pool: pg.Pool) {}

  /** Called after any change to a user (roles, department, enabled, password), so cached sessions are dropped. */
  onChange(listener: UserChangeListener): void {
    this.listeners.push(listener);
  }

  /** Creates a user with the password the admin chose. */
  async create(input: NewUser): Promise<User> {
    const issues: Issue[] = [];
    const id = input.id ?? randomUUID();
    if (typeof id !== 'string' || !USER_ID_PATTERN.test(id)) {
      issues.push({ field: 'id', message: 'id must be 1–64 characters from A–Z a–z 0–9 . _ -' });
    } else if (id === ADMIN_TOKEN_USER_ID) {
      issues.push({ field: 'id', message: `the id "${ADMIN_TOKEN_USER_ID}" is reserved for the admin token` });
    }
    const username = typeof input.username === 'string' ? input.username.trim().normalize('NFC') : '';
    if (!USERNAME_PATTERN.test(username)) {
      issues.push({
        field: 'username',
        message: 'username must be 2–64 letters, digits or . _ @ - (no spaces)',
      });
    }
    const { fields, issues: fieldIssues } = normalizeFields(input, true);
    issues.push(...fieldIssues);
    if (fields.roles?.includes('department') && !fields.departmentId) issues.push(DEPARTMENT_REQUIRED);
    const pwProblem =
      typeof input.password === 'string' ? passwordProblem(input.password, username) : 'password is required';
    if (pwProblem) issues.push({ field: 'password', message: pwProblem });
    if (issues.length) throw invalid(issues);

    const hash = await hashPassword(input.password);
    try {
      const { rows } = await this.pool.query<UserRow>(
        `INSERT INTO users (id, username, name, roles, department_id, staff_id, phone, enabled, password_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         RETURNING ${COLUMNS}`,
        [
          id,
          username,
          fields.name,
          fields.roles,
          fields.departmentId ?? null,
          fields.staffId ?? null,
          fields.phone ?? null,
          fields.enabled ?? true,
          hash,
        ],
      );
      return toUser(rows[0]!);
    } catch (err) {
      if ((err as { code?: string }).code === '23505') {
        const byName = (err as { constraint?: string }).constraint === 'users_username_key';
        throw new UserError(
          'UserExists',
          byName ? `the username "${username}" is taken (case does not matter)` : `a user with id "${id}" exists`,
          [{ field: byName ? 'username' : 'id', message: byName ? 'username taken' : 'id taken' }],
        );
      }
      throw fromDatabase(err, fields.departmentId) ?? err;
    }
  }

  async get(id: string): Promise<User> {
    const { rows } = await this.pool.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
    if (!rows[0]) throw notFound(id);
    return toUser(rows[0]);
  }

  /** The user with this username (any case) and their password hash, for logging in; null if there is none. */
  async findForLogin(username: string): Promise<{ user: User; passwordHash: string } | null> {
    const { rows } = await this.pool.query<UserRow & { password_hash: string }>(
      `SELECT ${COLUMNS}, password_hash FROM users WHERE lower(username) = lower($1)`,
      [username.trim().normalize('NFC')],
    );
    return rows[0] ? { user: toUser(rows[0]), passwordHash: rows[0].password_hash } : null;
  }

  async passwordHashOf(id: string): Promise<string> {
    const { rows } = await this.pool.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [
      id,
    ]);
    if (!rows[0]) throw notFound(id);
    return rows[0].password_hash;
  }

  async recordLogin(id: string, at: Date): Promise<void> {
    await this.pool.query('UPDATE users SET last_login_at = $2 WHERE id = $1', [id, at]);
  }

  /** Users matching every given filter, ordered by username. */
  async list(filter: UserFilter = {}, page: { limit?: number; offset?: number } = {}): Promise<UserPage> {
    const limit = page.limit ?? 100;
    const offset = page.offset ?? 0;
    if (!Number.isInteger(limit) || limit < 1 || limit > USER_LIMITS.pageSize) {
      throw new UserError('InvalidQuery', `limit must be 1–${USER_LIMITS.pageSize}`);
    }
    if (!Number.isInteger(offset) || offset < 0) throw new UserError('InvalidQuery', 'offset must be 0 or more');
    if (filter.role !== undefined && !ROLES.includes(filter.role)) {
      throw new UserError('InvalidQuery', `role must be one of ${ROLES.join(', ')}`);
    }
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown) => `$${params.push(value)}`;
    if (filter.role !== undefined) where.push(`roles @> ARRAY[${param(filter.role)}::text]`);
    if (filter.departmentId !== undefined) where.push(`department_id = ${param(filter.departmentId)}`);
    if (filter.enabled !== undefined) where.push(filter.enabled ? 'enabled' : 'NOT enabled');
    // eslint-disable-next-line no-control-regex
    const q = filter.q?.replace(/[\u0000-\u001f]/g, '').trim();
    if (q) {
      const like = param(`%${q.replace(/[\\%_]/g, '\\$&')}%`);
      where.push(`(username ILIKE ${like} OR name ILIKE ${like} OR staff_id ILIKE ${like})`);
    }
    const whereSql = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const { rows } = await this.pool.query<UserRow & { total: number }>(
      `SELECT ${COLUMNS}, count(*) OVER ()::int AS total FROM users ${whereSql}
       ORDER BY lower(username), id LIMIT ${param(limit)} OFFSET ${param(offset)}`,
      params,
    );
    let total = rows[0]?.total ?? 0;
    if (!rows.length && offset > 0) {
      const counted = await this.pool.query<{ total: number }>(
        `SELECT count(*)::int AS total FROM users ${whereSql}`,
        params.slice(0, -2),
      );
      total = counted.rows[0]?.total ?? 0;
    }
    return { items: rows.map(toUser), total, limit, offset };
  }

  /** Changes the given fields; disabling a user revokes their sessions in the same transaction. */
  async update(id: string, patch: UserPatch): Promise<User> {
    const { fields, issues } = normalizeFields(patch, false);
    if (issues.length) throw invalid(issues);
    const keys = Object.keys(fields) as (keyof Fields)[];
    if (!keys.length) return this.get(id);
    const params: unknown[] = [id];
    const sets = keys.map((k) => `${COLUMN_OF[k]} = $${params.push(fields[k])}`);
    try {
      const user = await withTransaction(this.pool, async (client) => {
        const { rows } = await client.query<UserRow>(
          `UPDATE users SET ${sets.join(', ')}, updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
          params,
        );
        if (!rows[0]) throw notFound(id);
        if (fields.enabled === false) await revokeSessions(client, id);
        return toUser(rows[0]);
      });
      this.changed(id);
      return user;
    } catch (err) {
      throw fromDatabase(err, fields.departmentId) ?? err;
    }
  }

  /** Sets a new password (checked against the policy) and revokes every session of the user. */
  async setPassword(id: string, password: string): Promise<User> {
    const { username } = await this.get(id);
    const problem = typeof password === 'string' ? passwordProblem(password, username) : 'password is required';
    if (problem) throw invalid([{ field: 'password', message: problem }]);
    const hash = await hashPassword(password);
    const user = await withTransaction(this.pool, async (client) => {
      const { rows } = await client.query<UserRow>(
        `UPDATE users SET password_hash = $2, password_changed_at = now(), updated_at = now() WHERE id = $1
         RETURNING ${COLUMNS}`,
        [id, hash],
      );
      if (!rows[0]) throw notFound(id);
      await revokeSessions(client, id);
      return toUser(rows[0]);
    });
    this.changed(id);
    return user;
  }

  private changed(id: string): void {
    for (const listener of this.listeners) listener(id);
  }
}

async function revokeSessions(client: pg.PoolClient, userId: string): Promise<void> {
  await client.query('UPDATE user_sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL', [userId]);
}

/** For tests and the demo: a user who can log in with `password` (default roles: collector). */
export function createUserWithPassword(
  users: UserStore,
  user: Partial<NewUser> & Pick<NewUser, 'username' | 'password'>,
): Promise<User> {
  return users.create({ name: user.username, roles: ['collector'], ...user });
}
