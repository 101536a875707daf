// 登录会话 login sessions: password login (throttled), opaque bearer tokens stored only as SHA-256 hashes, idle and
// absolute expiry, logout, and the Authenticator every guarded route asks who is behind a request (hub/http/guard.ts).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type pg from 'pg';
import type { Actor } from '../cases/ports.js';
import type { Authenticator } from '../http/guard.js';
import { LoginThrottle, type LoginAttempts, type LoginThrottleOptions } from './login-throttle.js';
import { dummyVerify, PASSWORD_MAX_LENGTH, verifyPassword } from './passwords.js';
import { ADMIN_TOKEN_USER_ID, type User, type UserStore } from './users.js';

/** The actor behind the admin service token (ADMIN_TOKEN): every admin right, no user row. */
export const ADMIN_TOKEN_ACTOR: Readonly<Actor> = Object.freeze({
  userId: ADMIN_TOKEN_USER_ID,
  name: 'admin token',
  roles: ['admin' as const],
  departmentId: null,
});

const TOKEN_BYTES = 32;

export interface SessionOptions {
  /** The hub's admin service token; `Bearer <it>` acts as ADMIN_TOKEN_ACTOR. Unset: no such actor. */
  adminToken?: string;
  /** A session unused this long ends; default 12 h. */
  idleTimeoutMs?: number;
  /** A session ends this long after login however busy; default 7 days. */
  lifetimeMs?: number;
  /** How long a looked-up token is trusted without asking the database again; default 5 s. This bounds how late a
   * revocation made by another hub process (or by hand in the database) takes effect. */
  cacheTtlMs?: number;
  cacheMaxEntries?: number;
  /** last_used_at is written at most this often per session; default 1 min. */
  touchIntervalMs?: number;
  throttle?: LoginThrottleOptions;
  /** Where failed logins are counted; default: this process's memory, with `throttle`'s settings. */
  attempts?: LoginAttempts;
  /** Milliseconds clock; tests move it. */
  now?: () => number;
  log?: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
}

/** Who is logging in from where (for throttling and the log; never the password). */
export interface LoginClient {
  address: string;
  userAgent?: string;
}

export type LoginResult =
  | { ok: true; token: string; expiresAt: Date; user: User }
  /** Unknown username, wrong password or disabled user: deliberately indistinguishable. */
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'throttled'; retryAfterMs: number };

export interface Session {
  actor: Actor;
  /** When the session ends if it stays in use (the absolute lifetime); null for the admin token. */
  expiresAt: Date | null;
}

interface CacheEntry {
  session: (Session & { endsAtMs: number }) | null;
  cachedUntilMs: number;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/** The token of `Authorization: Bearer <token>`, or null. */
export function bearerToken(authorization: string | undefined): string | null {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
  return match ? match[1]! : null;
}

export class SessionService implements Authenticator {
  private readonly adminDigest: Buffer | null;
  private readonly idleTimeoutMs: number;
  private readonly lifetimeMs: number;
  private readonly cacheTtlMs: number;
  private readonly cacheMaxEntries: number;
  private readonly touchIntervalMs: number;
  private readonly now: () => number;
  private readonly throttle: LoginAttempts;
  private readonly log: SessionOptions['log'];
  /** By token hash (hex); Map order doubles as least-recently-inserted order for eviction. */
  private readonly cache = new Map<string, CacheEntry>();
  private readonly counts = { logins: 0, loginFailures: 0, loginsThrottled: 0 };

  constructor(
    private readonly pool: pg.Pool,
    private readonly users: UserStore,
    options: SessionOptions = {},
  ) {
    if (options.adminToken !== undefined && options.adminToken.trim().length < 16) {
      throw new Error('the admin token must be at least 16 characters');
    }
    this.adminDigest = options.adminToken ? sha256(options.adminToken) : null;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 12 * 3600_000;
    this.lifetimeMs = options.lifetimeMs ?? 7 * 86400_000;
    this.cacheTtlMs = options.cacheTtlMs ?? 5000;
    this.cacheMaxEntries = options.cacheMaxEntries ?? 10_000;
    this.touchIntervalMs = options.touchIntervalMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.throttle = options.attempts ?? new LoginThrottle(options.throttle);
    this.log = options.log;
    // A change to a user (disabled, new roles, new password) must not wait for the cache to run out in this process.
    users.onChange((userId) => this.forgetUser(userId));
  }

  /** Checks the password and opens a session. */
  async login(username: string, password: string, client: LoginClient): Promise<LoginResult> {
    const nowMs = this.now();
    const retryAfterMs = await this.throttle.retryAfterMs(username, client.address, nowMs);
    if (retryAfterMs > 0) {
      this.counts.loginsThrottled++;
      this.log?.warn({ address: client.address, username: logName(username), retryAfterMs }, 'login throttled');
      return { ok: false, reason: 'throttled', retryAfterMs };
    }
    const user = await this.checkPassword(username, password);
    if (!user) {
      this.counts.loginFailures++;
      await this.throttle.failure(username, client.address, nowMs);
      this.log?.warn({ address: client.address, username: logName(username) }, 'login failed');
      return { ok: false, reason: 'invalid' };
    }
    await this.throttle.success(username);
    this.counts.logins++;
    const { token, expiresAt } = await this.open(user.id, client, nowMs);
    await this.users.recordLogin(user.id, new Date(nowMs));
    this.log?.info({ address: client.address, userId: user.id }, 'login');
    return { ok: true, token, expiresAt, user: { ...user, lastLoginAt: new Date(nowMs) } };
  }

  /**
   * A logged-in user changes their own password: the current one must be right (throttled like a login, so a stolen
   * token cannot be used to guess it). Every session of the user ends; the answer is a fresh one.
   */
  async changeOwnPassword(userId: string, current: string, next: string, client: LoginClient): Promise<LoginResult> {
    const user = await this.users.get(userId);
    const nowMs = this.now();
    const retryAfterMs = await this.throttle.retryAfterMs(user.username, client.address, nowMs);
    if (retryAfterMs > 0) {
      this.counts.loginsThrottled++;
      return { ok: false, reason: 'throttled', retryAfterMs };
    }
    const ok =
      user.enabled && current.length <= PASSWORD_MAX_LENGTH
        ? await verifyPassword(current, await this.users.passwordHashOf(userId))
        : false;
    if (!ok) {
      this.counts.loginFailures++;
      await this.throttle.failure(user.username, client.address, nowMs);
      this.log?.warn({ address: client.address, userId }, 'password change: wrong current password');
      return { ok: false, reason: 'invalid' };
    }
    await this.throttle.success(user.username);
    const updated = await this.users.setPassword(userId, next);
    const { token, expiresAt } = await this.open(userId, client, nowMs);
    this.log?.info({ address: client.address, userId }, 'password changed');
    return { ok: true, token, expiresAt, user: updated };
  }

  /** Ends the session of `Authorization: Bearer <token>`; false when there was no such live session. */
  async logout(authorization: string | undefined): Promise<boolean> {
    const token = bearerToken(authorization);
    if (!token) return false;
    const hash = sha256(token);
    this.cache.delete(hash.toString('hex'));
    const { rowCount } = await this.pool.query(
      'UPDATE user_sessions SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL',
      [hash, new Date(this.now())],
    );
    return (rowCount ?? 0) > 0;
  }

  /** Ends every session of a user (the user store does this itself on disable and password change). */
  async revokeUser(userId: string): Promise<void> {
    await this.pool.query('UPDATE user_sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL', [
      userId,
      new Date(this.now()),
    ]);
    this.forgetUser(userId);
  }

  async actorFor(authorization: string | undefined): Promise<Actor | null> {
    return (await this.session(authorization))?.actor ?? null;
  }

  /** The session behind an Authorization header: a user's, the admin token's, or null. */
  async session(authorization: string | undefined): Promise<Session | null> {
    const token = bearerToken(authorization);
    if (!token || token.length > 512) return null;
    const digest = sha256(token);
    // Digests of equal length, so the comparison's time says nothing about the admin token.
    if (this.adminDigest && timingSafeEqual(digest, this.adminDigest)) {
      return { actor: copy(ADMIN_TOKEN_ACTOR), expiresAt: null };
    }
    const key = digest.toString('hex');
    const nowMs = this.now();
    const cached = this.cache.get(key);
    if (cached && cached.cachedUntilMs > nowMs) {
      if (!cached.session || cached.session.endsAtMs <= nowMs) return null;
      return { actor: copy(cached.session.actor), expiresAt: cached.session.expiresAt };
    }
    const session = await this.lookup(digest, nowMs);
    this.cache.delete(key);
    this.cache.set(key, { session, cachedUntilMs: nowMs + this.cacheTtlMs });
    while (this.cache.size > this.cacheMaxEntries) this.cache.delete(this.cache.keys().next().value!);
    return session ? { actor: copy(session.actor), expiresAt: session.expiresAt } : null;
  }

  /** Login outcomes since start, for metrics. */
  stats(): { logins: number; loginFailures: number; loginsThrottled: number } {
    return { ...this.counts };
  }

  private async checkPassword(username: string, password: string): Promise<User | null> {
    if (username.length > 64 || password.length > PASSWORD_MAX_LENGTH) return dummyVerify(password).then(() => null);
    const found = await this.users.findForLogin(username);
    if (!found) return dummyVerify(password).then(() => null);
    const ok = await verifyPassword(password, found.passwordHash);
    return ok && found.user.enabled ? found.user : null;
  }

  private async open(userId: string, client: LoginClient, nowMs: number): Promise<{ token: string; expiresAt: Date }> {
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    const now = new Date(nowMs);
    const expiresAt = new Date(nowMs + this.lifetimeMs);
    await this.pool.query(
      `INSERT INTO user_sessions (token_hash, user_id, created_at, last_used_at, expires_at, address, user_agent)
       VALUES ($1, $2, $3, $3, $4, $5, $6)`,
      [sha256(token), userId, now, expiresAt, client.address, client.userAgent?.slice(0, 300) ?? null],
    );
    // Ended sessions are kept a day for the record, then dropped here rather than by a timer.
    await this.pool.query(
      `DELETE FROM user_sessions WHERE user_id = $1
         AND (expires_at < $2 OR revoked_at < $2 OR last_used_at < $3)`,
      [userId, new Date(nowMs - 86400_000), new Date(nowMs - this.idleTimeoutMs - 86400_000)],
    );
    return { token, expiresAt };
  }

  private async lookup(tokenHash: Buffer, nowMs: number): Promise<(Session & { endsAtMs: number }) | null> {
    const { rows } = await this.pool.query<{
      user_id: string;
      expires_at: Date;
      last_used_at: Date;
      name: string;
      roles: Actor['roles'];
      department_id: string | null;
    }>(
      `SELECT s.user_id, s.expires_at, s.last_used_at, u.name, u.roles, u.department_id
       FROM user_sessions s JOIN users u ON u.id = s.user_id
       WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND u.enabled`,
      [tokenHash],
    );
    const row = rows[0];
    if (!row) return null;
    const expiresAtMs = row.expires_at.getTime();
    let lastUsedMs = row.last_used_at.getTime();
    if (expiresAtMs <= nowMs || lastUsedMs + this.idleTimeoutMs <= nowMs) return null;
    if (nowMs - lastUsedMs >= this.touchIntervalMs) {
      await this.pool.query('UPDATE user_sessions SET last_used_at = $2 WHERE token_hash = $1 AND last_used_at < $2', [
        tokenHash,
        new Date(nowMs),
      ]);
      lastUsedMs = nowMs;
    }
    return {
      actor: { userId: row.user_id, name: row.name, roles: row.roles, departmentId: row.department_id },
      expiresAt: row.expires_at,
      endsAtMs: Math.min(expiresAtMs, lastUsedMs + this.idleTimeoutMs),
    };
  }

  private forgetUser(userId: string): void {
    for (const [key, entry] of this.cache) if (entry.session?.actor.userId === userId) this.cache.delete(key);
  }
}

// Each request gets its own actor: a handler changing it must not change what the cache answers the next one.
const copy = (actor: Readonly<Actor>): Actor => ({ ...actor, roles: [...actor.roles] });

/** A username as the log may show it: bounded, and without control characters that could forge log lines. */
// eslint-disable-next-line no-control-regex
const logName = (username: string) => username.slice(0, 64).replace(/[\u0000-\u001f\u007f]/g, '?');
