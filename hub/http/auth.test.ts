// 登录与用户管理接口 login, sessions and user administration over real HTTP against the real database: the allowed
// paths and the forbidden ones, expiry and revocation with a moved clock, and login throttling.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { expectProblem, jsonCall, startApp, type TestApp } from '../../test/support/http-app.js';
import { SessionService } from '../auth/sessions.js';
import { createUserWithPassword, UserStore } from '../auth/users.js';
import { migrate } from '../db/migrate.js';
import { authRoutes } from './auth.js';
import { actorOf, requireRoles } from './guard.js';

const ADMIN_TOKEN = 'test-admin-token-0123456789';
const HOUR = 3600_000;

let db: TestDatabase;
let users: UserStore;
let sessions: SessionService;
let server: TestApp;
let base: string;
let nowMs = Date.UTC(2026, 11, 1, 8, 0, 0);
const logged: { level: string; obj: Record<string, unknown>; msg: string }[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  await migrate(db.pool);
  await db.pool.query(`INSERT INTO departments (id, name, kind) VALUES ('hw', '环卫处', 'department')`);
  users = new UserStore(db.pool);
  sessions = new SessionService(db.pool, users, {
    adminToken: ADMIN_TOKEN,
    now: () => nowMs,
    log: {
      warn: (obj, msg) => logged.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }),
      info: (obj, msg) => logged.push({ level: 'info', obj: obj as Record<string, unknown>, msg }),
    },
  });
  // trustProxy: each test logs in from its own address (X-Forwarded-For), so address throttling stays per test.
  server = await startApp(
    async (app) => {
      await app.register(authRoutes, { users, sessions, auth: sessions });
      // A route of another plugin, guarded like the case-loop routes will be.
      app.get(
        '/probe',
        { onRequest: requireRoles(sessions, ['collector', 'department']), schema: { hide: true } },
        async (request) => actorOf(request),
      );
    },
    { trustProxy: true },
  );
  base = server.base;
});
afterAll(async () => {
  await server?.close();
  await db?.drop();
});

interface Call {
  body?: unknown;
  token?: string | null;
  from?: string;
}

const call = (method: string, path: string, opts: Call = {}) =>
  jsonCall(base, method, path, {
    body: opts.body,
    token: opts.token,
    headers: { 'x-forwarded-for': opts.from ?? '192.0.2.1' },
  });

async function login(username: string, password: string, from = '192.0.2.1'): Promise<string> {
  const { res, body } = await call('POST', '/api/auth/login', { body: { username, password }, from });
  expect(res.status).toBe(200);
  return body.token as string;
}

/** Moves the clock past the session cache, so the next request asks the database. */
const pastCache = () => (nowMs += 5001);

describe('login', () => {
  beforeAll(async () => {
    await createUserWithPassword(users, {
      id: 'u-zhang',
      username: 'zhang.san',
      name: '张三',
      roles: ['collector'],
      staffId: 'C-007',
      password: 'zhang password 1',
    });
  });

  it('answers a token, its expiry and the user; stores only the token’s SHA-256', async () => {
    const { res, body, text } = await call('POST', '/api/auth/login', {
      body: { username: 'Zhang.San', password: 'zhang password 1' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(body.token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes
    expect(body.expiresAt).toBe(new Date(nowMs + 7 * 24 * HOUR).toISOString());
    expect(body.user).toEqual({
      id: 'u-zhang',
      username: 'zhang.san',
      name: '张三',
      roles: ['collector'],
      departmentId: null,
    });
    expect(text).not.toContain('scrypt');
    const { rows } = await db.pool.query('SELECT * FROM user_sessions WHERE user_id = $1', ['u-zhang']);
    expect(rows).toHaveLength(1);
    expect(rows[0].token_hash).toEqual(createHash('sha256').update(body.token).digest());
    expect(JSON.stringify(rows[0])).not.toContain(body.token);
    expect(rows[0].address).toBe('192.0.2.1');
    const user = await users.get('u-zhang');
    expect(user.lastLoginAt?.getTime()).toBe(nowMs);
  });

  it('gives the same 401 for a wrong password, an unknown user and a disabled user', async () => {
    await createUserWithPassword(users, {
      username: 'disabled.one',
      password: 'disabled password',
      enabled: false,
    });
    const answers = [];
    for (const [username, password] of [
      ['zhang.san', 'zhang password 2'],
      ['nobody.here', 'zhang password 1'],
      ['disabled.one', 'disabled password'],
      ['zhang.san', ''],
    ]) {
      const { res, body } = await call('POST', '/api/auth/login', { body: { username, password }, from: '192.0.2.2' });
      expectProblem(res, body, 401, 'urn:cityhub:problem:invalid-credentials');
      answers.push({ type: body.type, detail: body.detail, title: body.title });
    }
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(answers[0]!.detail).toBe('wrong username or password');
  });

  it('refuses malformed bodies with a validation problem', async () => {
    for (const body of [{}, { username: 'zhang.san' }, { username: 'zhang.san', password: 'x', extra: 1 }]) {
      const r = await call('POST', '/api/auth/login', { body, from: '192.0.2.3' });
      expectProblem(r.res, r.body, 400, 'urn:cityhub:problem:validation');
    }
  });
});

describe('sessions', () => {
  beforeAll(async () => {
    await users.create({
      id: 'u-wang',
      username: 'wang.wu',
      name: '王五',
      roles: ['department'],
      departmentId: 'hw',
      password: 'wang password 1',
    });
  });

  it('let the token through guarded routes as its user; refuse a missing, wrong or other-scheme token', async () => {
    const token = await login('wang.wu', 'wang password 1');
    const probe = await call('GET', '/probe', { token });
    expect(probe.res.status).toBe(200);
    expect(probe.body).toEqual({ userId: 'u-wang', name: '王五', roles: ['department'], departmentId: 'hw' });
    const me = await call('GET', '/api/auth/me', { token });
    expect(me.body).toEqual({
      id: 'u-wang',
      username: 'wang.wu',
      name: '王五',
      roles: ['department'],
      departmentId: 'hw',
      expiresAt: new Date(nowMs + 7 * 24 * HOUR).toISOString(),
    });
    for (const t of [null, 'x'.repeat(43), `${token}x`]) {
      const r = await call('GET', '/probe', { token: t });
      expectProblem(r.res, r.body, 401, 'urn:cityhub:problem:unauthorized');
      expect(r.res.headers.get('www-authenticate')).toContain('Bearer');
    }
    const basic = await fetch(`${base}/probe`, { headers: { authorization: `Basic ${token}` } });
    expect(basic.status).toBe(401);
  });

  it('take the admin service token as the admin actor', async () => {
    const me = await call('GET', '/api/auth/me', { token: ADMIN_TOKEN });
    expect(me.body).toEqual({
      id: 'admin-token',
      username: null,
      name: 'admin token',
      roles: ['admin'],
      departmentId: null,
      expiresAt: null,
    });
    // The admin token holds no collector role.
    const probe = await call('GET', '/probe', { token: ADMIN_TOKEN });
    expectProblem(probe.res, probe.body, 403, 'urn:cityhub:problem:forbidden');
  });

  it('end at logout', async () => {
    const token = await login('wang.wu', 'wang password 1');
    expect((await call('GET', '/probe', { token })).res.status).toBe(200);
    const out = await call('POST', '/api/auth/logout', { token });
    expect(out.res.status).toBe(204);
    // At once, without waiting for the cache.
    expect((await call('GET', '/probe', { token })).res.status).toBe(401);
    expect((await call('POST', '/api/auth/logout', { token })).res.status).toBe(401);
  });

  it('end after 12 idle hours, and 7 days after login however busy', async () => {
    const used = await login('wang.wu', 'wang password 1');
    const unused = await login('wang.wu', 'wang password 1');
    const loginMs = nowMs;
    nowMs = loginMs + 12 * HOUR - 1000;
    expect((await call('GET', '/probe', { token: used })).res.status).toBe(200);
    nowMs = loginMs + 12 * HOUR;
    expect((await call('GET', '/probe', { token: unused })).res.status).toBe(401);
    // Each use restarts the idle time: 12 h less a second after its last use, `used` still works…
    nowMs = loginMs + 24 * HOUR - 2000;
    expect((await call('GET', '/probe', { token: used })).res.status).toBe(200);
    // …and 12 h after it, not.
    nowMs = loginMs + 36 * HOUR - 2000;
    expect((await call('GET', '/probe', { token: used })).res.status).toBe(401);
    // A session used every 11 h never idles out, but lives no longer than 7 days.
    const kept = await login('wang.wu', 'wang password 1');
    const keptLoginMs = nowMs;
    for (let t = keptLoginMs + 11 * HOUR; t < keptLoginMs + 7 * 24 * HOUR; t += 11 * HOUR) {
      nowMs = t;
      expect((await call('GET', '/probe', { token: kept })).res.status, `at +${(t - keptLoginMs) / HOUR} h`).toBe(200);
    }
    nowMs = keptLoginMs + 7 * 24 * HOUR - 1000;
    expect((await call('GET', '/probe', { token: kept })).res.status).toBe(200);
    // Used a second ago, but 7 days old: over, whether the answer comes from the cache or from the database.
    nowMs = keptLoginMs + 7 * 24 * HOUR;
    expect((await call('GET', '/probe', { token: kept })).res.status).toBe(401);
    pastCache();
    expect((await call('GET', '/probe', { token: kept })).res.status).toBe(401);
  });

  it('write last use at most once a minute', async () => {
    const token = await login('wang.wu', 'wang password 1');
    const loginMs = nowMs;
    const lastUsed = async () =>
      (
        await db.pool.query('SELECT last_used_at FROM user_sessions WHERE token_hash = $1', [
          createHash('sha256').update(token).digest(),
        ])
      ).rows[0].last_used_at.getTime();
    nowMs = loginMs + 30_000;
    await call('GET', '/probe', { token });
    expect(await lastUsed()).toBe(loginMs);
    // Past the 5 s cache each time, so each request reaches the database.
    nowMs = loginMs + 55_000;
    await call('GET', '/probe', { token });
    expect(await lastUsed()).toBe(loginMs);
    nowMs = loginMs + 61_000;
    await call('GET', '/probe', { token });
    expect(await lastUsed()).toBe(loginMs + 61_000);
  });

  it('revoked elsewhere (another hub process, by hand) stop working within the cache window', async () => {
    const token = await login('wang.wu', 'wang password 1');
    expect((await call('GET', '/probe', { token })).res.status).toBe(200);
    await db.pool.query('UPDATE user_sessions SET revoked_at = now() WHERE user_id = $1', ['u-wang']);
    // Still in this process's cache for up to 5 s…
    nowMs += 4000;
    expect((await call('GET', '/probe', { token })).res.status).toBe(200);
    // …and not a moment after.
    nowMs += 1001;
    expect((await call('GET', '/probe', { token })).res.status).toBe(401);
  });
});

describe('revocation by the admin', () => {
  let alice: string;
  beforeAll(async () => {
    alice = (await createUserWithPassword(users, { username: 'alice', password: 'alice password 1' })).id;
  });

  it('disabling a user ends their sessions at once and stops their logins', async () => {
    const token = await login('alice', 'alice password 1');
    expect((await call('GET', '/probe', { token })).res.status).toBe(200);
    const r = await call('PATCH', `/api/users/${alice}`, { token: ADMIN_TOKEN, body: { enabled: false } });
    expect(r.res.status).toBe(200);
    expect(r.body.enabled).toBe(false);
    expect((await call('GET', '/probe', { token })).res.status).toBe(401);
    const again = await call('POST', '/api/auth/login', { body: { username: 'alice', password: 'alice password 1' } });
    expect(again.res.status).toBe(401);
    // Enabling again does not bring the old session back.
    await call('PATCH', `/api/users/${alice}`, { token: ADMIN_TOKEN, body: { enabled: true } });
    pastCache();
    expect((await call('GET', '/probe', { token })).res.status).toBe(401);
  });

  it('setting a password ends the sessions; the old password stops working', async () => {
    const token = await login('alice', 'alice password 1');
    const r = await call('POST', `/api/users/${alice}/password`, {
      token: ADMIN_TOKEN,
      body: { password: 'alice password 2' },
    });
    expect(r.res.status).toBe(204);
    expect((await call('GET', '/probe', { token })).res.status).toBe(401);
    const old = await call('POST', '/api/auth/login', { body: { username: 'alice', password: 'alice password 1' } });
    expect(old.res.status).toBe(401);
    await login('alice', 'alice password 2');
    const weak = await call('POST', `/api/users/${alice}/password`, {
      token: ADMIN_TOKEN,
      body: { password: 'alice' },
    });
    expectProblem(weak.res, weak.body, 400, 'urn:cityhub:problem:validation');
  });

  it('role changes take effect on the next request', async () => {
    const token = await login('alice', 'alice password 2');
    await call('PATCH', `/api/users/${alice}`, { token: ADMIN_TOKEN, body: { roles: ['auditor'] } });
    expect((await call('GET', '/probe', { token })).res.status).toBe(403);
  });
});

describe('changing one’s own password', () => {
  it('needs the current one, checks the new one, ends the other sessions and answers a new one', async () => {
    await createUserWithPassword(users, { username: 'bob.li', password: 'bob password 01' });
    const token = await login('bob.li', 'bob password 01', '192.0.2.20');
    const other = await login('bob.li', 'bob password 01', '192.0.2.20');
    const wrong = await call('POST', '/api/auth/password', {
      token,
      body: { current: 'bob password 00', new: 'bob password 02' },
      from: '192.0.2.20',
    });
    expectProblem(wrong.res, wrong.body, 403, 'urn:cityhub:problem:wrong-password');
    const weak = await call('POST', '/api/auth/password', {
      token,
      body: { current: 'bob password 01', new: 'BOB.LI' },
      from: '192.0.2.20',
    });
    expectProblem(weak.res, weak.body, 400, 'urn:cityhub:problem:validation');
    expect(weak.body.errors).toEqual([{ field: 'password', message: expect.stringMatching(/at least 10/) }]);
    const ok = await call('POST', '/api/auth/password', {
      token,
      body: { current: 'bob password 01', new: 'bob password 02' },
      from: '192.0.2.20',
    });
    expect(ok.res.status).toBe(200);
    expect(ok.body.token).not.toBe(token);
    expect((await call('GET', '/probe', { token })).res.status).toBe(401);
    expect((await call('GET', '/probe', { token: other })).res.status).toBe(401);
    expect((await call('GET', '/probe', { token: ok.body.token })).res.status).toBe(200);
    await login('bob.li', 'bob password 02', '192.0.2.20');
  });

  it('is not for the admin token', async () => {
    const r = await call('POST', '/api/auth/password', {
      token: ADMIN_TOKEN,
      body: { current: 'x', new: 'something long' },
    });
    expectProblem(r.res, r.body, 403, 'urn:cityhub:problem:not-a-user');
  });
});

describe('login throttling', () => {
  it('after 5 failures for a username: 429 with Retry-After, doubling, even for the right password; then recovery', async () => {
    await createUserWithPassword(users, { username: 'carol', password: 'carol password 1' });
    const failuresBefore = sessions.stats().loginFailures;
    const attempt = (password: string, from: string) =>
      call('POST', '/api/auth/login', { body: { username: 'carol', password }, from });
    // Five wrong guesses from five addresses: each an honest 401.
    for (let i = 1; i <= 5; i++) {
      const r = await attempt(`guess number ${i}`, `198.51.100.${i}`);
      expectProblem(r.res, r.body, 401);
    }
    expect(sessions.stats().loginFailures - failuresBefore).toBe(5);
    const blocked = await attempt('carol password 1', '198.51.100.99');
    expectProblem(blocked.res, blocked.body, 429, 'urn:cityhub:problem:too-many-login-attempts');
    expect(blocked.res.headers.get('retry-after')).toBe('1');
    nowMs += 1000;
    // Allowed again, wrong again: now 2 s.
    const sixth = await attempt('guess number 6', '198.51.100.6');
    expectProblem(sixth.res, sixth.body, 401, 'urn:cityhub:problem:invalid-credentials');
    const blocked2 = await attempt('carol password 1', '198.51.100.99');
    expect(blocked2.res.status).toBe(429);
    expect(blocked2.res.headers.get('retry-after')).toBe('2');
    nowMs += 2000;
    expect((await attempt('carol password 1', '198.51.100.99')).res.status).toBe(200);
    // The success cleared the username's count: a typo is an ordinary 401 again.
    expect((await attempt('typo password', '198.51.100.99')).res.status).toBe(401);

    // Failures are logged with the address and the username, never the password.
    const entries = logged.filter((l) => l.msg === 'login failed' && l.obj.username === 'carol');
    expect(entries.map((l) => l.obj.address)).toEqual(
      expect.arrayContaining(['198.51.100.1', '198.51.100.5', '198.51.100.6']),
    );
    expect(JSON.stringify(logged)).not.toContain('guess number');
    expect(JSON.stringify(logged)).not.toContain('carol password');
  });

  it('after 20 failures from one address, that address waits whatever the username', async () => {
    for (let i = 1; i <= 20; i++) {
      const r = await call('POST', '/api/auth/login', {
        body: { username: `sprayed.${i}`, password: 'password123' },
        from: '203.0.113.7',
      });
      expect(r.res.status).toBe(401);
    }
    const blocked = await call('POST', '/api/auth/login', {
      body: { username: 'zhang.san', password: 'zhang password 1' },
      from: '203.0.113.7',
    });
    expect(blocked.res.status).toBe(429);
    await login('zhang.san', 'zhang password 1', '203.0.113.8');
    nowMs += 1000;
    await login('zhang.san', 'zhang password 1', '203.0.113.7');
  });
});

describe('user administration', () => {
  let collectorToken: string;
  let adminUserToken: string;
  beforeAll(async () => {
    await createUserWithPassword(users, { username: 'collector.1', password: 'collector pw 1' });
    await createUserWithPassword(users, { username: 'admin.1', password: 'admin password', roles: ['admin'] });
    collectorToken = await login('collector.1', 'collector pw 1', '192.0.2.30');
    adminUserToken = await login('admin.1', 'admin password', '192.0.2.30');
  });

  it('is closed to anyone without a token (401) and to non-admins (403)', async () => {
    const routes: [string, string, unknown?][] = [
      ['POST', '/api/users', { username: 'x1', name: 'x', roles: ['collector'], password: 'long password' }],
      ['GET', '/api/users'],
      ['GET', '/api/users/u-zhang'],
      ['PATCH', '/api/users/u-zhang', { name: 'y' }],
      ['POST', '/api/users/u-zhang/password', { password: 'long password' }],
    ];
    for (const [method, path, body] of routes) {
      const anon = await call(method, path, { body });
      expectProblem(anon.res, anon.body, 401, 'urn:cityhub:problem:unauthorized');
      const collector = await call(method, path, { body, token: collectorToken });
      expectProblem(collector.res, collector.body, 403, 'urn:cityhub:problem:forbidden');
      expect(collector.body.requiredRoles).toEqual(['admin']);
    }
    expect(await users.findForLogin('x1')).toBeNull();
    expect((await users.get('u-zhang')).name).toBe('张三');
  });

  it('lets an admin user create a user, who can then log in; never shows a hash', async () => {
    const r = await call('POST', '/api/users', {
      token: adminUserToken,
      body: {
        username: 'liu.handler',
        name: '刘处置',
        roles: ['department'],
        departmentId: 'hw',
        staffId: 'HW-12',
        phone: '0531-1234567',
        password: 'liu password 1',
      },
    });
    expect(r.res.status).toBe(201);
    expect(r.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      username: 'liu.handler',
      name: '刘处置',
      roles: ['department'],
      departmentId: 'hw',
      staffId: 'HW-12',
      phone: '0531-1234567',
      enabled: true,
      passwordChangedAt: expect.any(String),
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      lastLoginAt: null,
    });
    const token = await login('liu.handler', 'liu password 1', '192.0.2.31');
    expect((await call('GET', '/probe', { token })).body.departmentId).toBe('hw');
    for (const path of ['/api/users', `/api/users/${r.body.id}`]) {
      const { text } = await call('GET', path, { token: ADMIN_TOKEN });
      expect(text).not.toMatch(/scrypt|password_hash|passwordHash/);
    }
  });

  it('refuses bad users with problem+json naming the fields', async () => {
    const create = (body: unknown) => call('POST', '/api/users', { token: ADMIN_TOKEN, body });
    const good = { username: 'new.user', name: '新用户', roles: ['acceptor'], password: 'new user password' };
    const noDept = await create({ ...good, roles: ['department'] });
    expectProblem(noDept.res, noDept.body, 400, 'urn:cityhub:problem:validation');
    expect(noDept.body.errors).toEqual([{ field: 'departmentId', message: expect.stringContaining('departmentId') }]);
    const unknownDept = await create({ ...good, roles: ['department'], departmentId: 'nowhere' });
    expectProblem(unknownDept.res, unknownDept.body, 400);
    expect(unknownDept.body.detail).toContain('nowhere');
    const badRole = await create({ ...good, roles: ['superuser'] });
    expectProblem(badRole.res, badRole.body, 400, 'urn:cityhub:problem:validation');
    expect(badRole.body.detail).toContain('must be one of collector, acceptor');
    const noRoles = await create({ ...good, roles: [] });
    expectProblem(noRoles.res, noRoles.body, 400, 'urn:cityhub:problem:validation');
    const short = await create({ ...good, password: 'short' });
    expect(short.body.errors).toEqual([{ field: 'password', message: expect.stringContaining('at least 10') }]);
    const same = await create({ ...good, username: 'new.user.pass', password: 'NEW.USER.PASS' });
    expect(same.body.errors).toEqual([{ field: 'password', message: 'the password must not be the username' }]);
    const extra = await create({ ...good, isAdmin: true });
    expect(extra.body.detail).toContain('unknown property "isAdmin"');
    const dupe = await create({ ...good, username: 'ZHANG.SAN' });
    expectProblem(dupe.res, dupe.body, 409, 'urn:cityhub:problem:user-exists');
    expect(await users.findForLogin('new.user')).toBeNull();
    const patch = await call('PATCH', '/api/users/u-zhang', { token: ADMIN_TOKEN, body: { roles: ['department'] } });
    expectProblem(patch.res, patch.body, 400, 'urn:cityhub:problem:validation');
    expect((await users.get('u-zhang')).roles).toEqual(['collector']);
    const missing = await call('GET', '/api/users/nobody', { token: ADMIN_TOKEN });
    expectProblem(missing.res, missing.body, 404, 'urn:cityhub:problem:user-not-found');
  });

  it('lists with filters and paging', async () => {
    const list = (q: string) => call('GET', `/api/users?${q}`, { token: ADMIN_TOKEN }).then((r) => r.body);
    const dept = await list('role=department');
    expect(dept.items.map((u: { username: string }) => u.username)).toEqual(['liu.handler', 'wang.wu']);
    expect((await list('department=hw')).total).toBe(2);
    expect((await list('enabled=false')).items.map((u: { username: string }) => u.username)).toEqual(['disabled.one']);
    const page1 = await list('limit=2');
    const page2 = await list('limit=2&offset=2');
    expect(page1.items).toHaveLength(2);
    expect(page1.total).toBe(page2.total);
    expect(page2.items[0].username > page1.items[1].username).toBe(true);
    const bad = await call('GET', '/api/users?role=root', { token: ADMIN_TOKEN });
    expectProblem(bad.res, bad.body, 400, 'urn:cityhub:problem:validation');
  });
});

describe('OpenAPI', () => {
  it('documents every route, and no schema has a place for a password hash', async () => {
    const { res, body, text } = await call('GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(Object.keys(body.paths).sort()).toEqual([
      '/api/auth/login',
      '/api/auth/logout',
      '/api/auth/me',
      '/api/auth/password',
      '/api/users',
      '/api/users/{id}',
      '/api/users/{id}/password',
    ]);
    expect(Object.keys(body.paths['/api/users/{id}']).sort()).toEqual(['get', 'patch']);
    expect(text).not.toMatch(/passwordHash|password_hash/);
  });
});
