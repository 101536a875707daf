// 用户 the user store against the real database: the table's own checks, case-insensitive usernames, departments.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { ROLES } from '../cases/ports.js';
import { migrate } from '../db/migrate.js';
import { verifyPassword } from './passwords.js';
import { createUserWithPassword, UserError, UserStore } from './users.js';

let db: TestDatabase;
let users: UserStore;

beforeAll(async () => {
  db = await createTestDatabase();
  await migrate(db.pool);
  await db.pool.query(
    `INSERT INTO departments (id, name, kind) VALUES ('hw', '环卫处', 'department'), ('sz', '市政处', 'department')`,
  );
  users = new UserStore(db.pool);
});
afterAll(async () => {
  await db?.drop();
});

const rawInsert = (id: string, roles: unknown, departmentId: string | null = null) =>
  db.pool.query(
    `INSERT INTO users (id, username, name, roles, department_id, password_hash) VALUES ($1, $1, $1, $2, $3, 'x')`,
    [id, roles, departmentId],
  );

async function userError(p: Promise<unknown>): Promise<UserError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UserError);
  return err as UserError;
}

describe('users table', () => {
  it('accepts exactly the roles of ROLES (the SQL list is a copy of it)', async () => {
    for (const role of ROLES) await rawInsert(`raw-${role}`, [role], role === 'department' ? 'hw' : null);
    for (const roles of [['root'], [], ['admin', 'Admin'], ['admin', null]]) {
      await expect(rawInsert('raw-bad', roles)).rejects.toMatchObject({ code: '23514' });
    }
  });

  it('refuses a department user without a department, and an unknown department', async () => {
    await expect(rawInsert('raw-d1', ['department'])).rejects.toMatchObject({
      constraint: 'users_department_required',
    });
    await expect(rawInsert('raw-d2', ['collector'], 'nowhere')).rejects.toMatchObject({ code: '23503' });
  });
});

describe('user store', () => {
  it('creates a user with a scrypt password hash and normalized fields', async () => {
    const u = await users.create({
      id: 'u-li',
      username: 'Li.Si',
      name: '  李四 ',
      roles: ['dispatcher', 'acceptor', 'dispatcher'],
      staffId: 'GZ-0042',
      phone: '+86 138-0000-0000',
      password: 'a long enough password',
    });
    expect(u).toMatchObject({
      id: 'u-li',
      username: 'Li.Si',
      name: '李四',
      // Each once, in the order of ROLES.
      roles: ['acceptor', 'dispatcher'],
      departmentId: null,
      staffId: 'GZ-0042',
      phone: '+86 138-0000-0000',
      enabled: true,
      lastLoginAt: null,
    });
    const found = await users.findForLogin('li.si');
    expect(found?.user.id).toBe('u-li');
    expect(found?.passwordHash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(await verifyPassword('a long enough password', found!.passwordHash)).toBe(true);
  });

  it('keeps usernames unique regardless of case', async () => {
    const err = await userError(
      users.create({ username: 'LI.SI', name: 'x', roles: ['leader'], password: 'p'.repeat(12) }),
    );
    expect(err.code).toBe('UserExists');
    expect(err.message).toContain('LI.SI');
  });

  it('reports every problem of a new user at once', async () => {
    const err = await userError(
      users.create({
        id: 'admin-token',
        username: 'has space',
        name: '',
        roles: ['department', 'root' as never],
        password: 'short',
      }),
    );
    expect(err.code).toBe('InvalidUser');
    expect(err.issues.map((i) => i.field).sort()).toEqual(['id', 'name', 'password', 'roles', 'username']);
    const dept = await userError(
      users.create({ username: 'wang', name: '王', roles: ['department'], password: 'p'.repeat(12) }),
    );
    expect(dept.issues).toEqual([{ field: 'departmentId', message: expect.stringContaining('needs a departmentId') }]);
    const unknown = await userError(
      users.create({
        username: 'wang',
        name: '王',
        roles: ['department'],
        departmentId: 'nowhere',
        password: 'p'.repeat(12),
      }),
    );
    expect(unknown.issues).toEqual([{ field: 'departmentId', message: 'there is no department "nowhere"' }]);
  });

  it('changes roles and department together, and refuses to leave a department user without one', async () => {
    const u = await createUserWithPassword(users, { username: 'zhao', password: 'zhao password 1' });
    expect(u.roles).toEqual(['collector']);
    const err = await userError(users.update(u.id, { roles: ['department'] }));
    expect(err.issues[0]?.field).toBe('departmentId');
    const moved = await users.update(u.id, { roles: ['department'], departmentId: 'sz' });
    expect(moved).toMatchObject({ roles: ['department'], departmentId: 'sz' });
    expect((await userError(users.update(u.id, { departmentId: null }))).code).toBe('InvalidUser');
    expect((await userError(users.update('nobody', { name: 'x' }))).code).toBe('UserNotFound');
  });

  it('lists by role, department and enabled, paged', async () => {
    const all = await users.list({}, { limit: 2 });
    const total = (await db.pool.query('SELECT count(*)::int AS n FROM users')).rows[0].n;
    expect(all.total).toBe(total);
    expect(all.items).toHaveLength(2);
    const dept = await users.list({ role: 'department' });
    expect(dept.items.map((u) => u.id).sort()).toEqual(
      ['raw-department', (await users.findForLogin('zhao'))!.user.id].sort(),
    );
    expect((await users.list({ departmentId: 'sz' })).items.map((u) => u.username)).toEqual(['zhao']);
    await users.update('u-li', { enabled: false });
    expect((await users.list({ enabled: false })).items.map((u) => u.id)).toEqual(['u-li']);
    expect((await users.list({ q: '李' })).items.map((u) => u.id)).toEqual(['u-li']);
    expect((await users.list({}, { offset: 1000 })).total).toBe(total);
  });
});
