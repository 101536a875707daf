// 登录会话 login session: the bearer token from POST /api/auth/login, kept in sessionStorage so a reload keeps the user
// logged in but closing the tab ends it (a wall display left open must not hold a token for days in localStorage).
import type { Role } from '../../../../hub/cases/ports.js';

const STORAGE_KEY = 'cityhub.session';

interface Stored {
  token: string;
  expiresAtMs: number;
  username: string;
}

function readStored(): Stored | null {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const value = JSON.parse(raw) as Partial<Stored>;
    if (typeof value.token !== 'string' || typeof value.expiresAtMs !== 'number') return null;
    if (value.expiresAtMs <= Date.now()) return null;
    return { token: value.token, expiresAtMs: value.expiresAtMs, username: String(value.username ?? '') };
  } catch {
    // Storage disabled (private mode, sandboxed frame) or a damaged entry: behave as logged out.
    return null;
  }
}

/** The last GET /api/auth/me answer of this tab, with the token it was for. */
const ME_KEY = 'cityhub.me';

function readKnownMe(token: string): Me | null {
  try {
    const raw = sessionStorage.getItem(ME_KEY);
    const value = raw ? (JSON.parse(raw) as { token?: unknown; me?: Me }) : null;
    return value?.token === token && value.me && Array.isArray(value.me.roles) ? value.me : null;
  } catch {
    return null;
  }
}

/** Why a login failed, worded for the form. */
export class LoginError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'LoginError';
  }
}

/** The guideline's roles (角色), as the hub names them (hub/cases/ports.ts ROLES). */
export type { Role };

/** Who the token belongs to (GET /api/auth/me). */
export interface Me {
  id: string;
  username: string | null;
  name: string;
  roles: Role[];
  departmentId: string | null;
}

export class Session {
  #stored: Stored | null = $state(readStored());
  /** Filled by `loadMe` after login or on start with a stored token; null while unknown. */
  me: Me | null = $state(null);

  /** The bearer token, or null when logged out or expired. */
  get token(): string | null {
    const s = this.#stored;
    return s && s.expiresAtMs > Date.now() ? s.token : null;
  }

  get username(): string | null {
    return this.#stored?.username ?? null;
  }

  /** Logs in; rejects with LoginError carrying the hub's own `detail` (wrong password, throttled, …). */
  async login(username: string, password: string, signal?: AbortSignal): Promise<void> {
    const response = await fetch('/api/auth/login', {
      method: 'POST',
      signal,
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    const body = (await response.json().catch(() => null)) as {
      token?: unknown;
      expiresAt?: unknown;
      detail?: unknown;
    } | null;
    if (!response.ok || typeof body?.token !== 'string') {
      const detail = typeof body?.detail === 'string' ? body.detail : `${response.status} ${response.statusText}`;
      throw new LoginError(detail, response.status);
    }
    const expiresAtMs = typeof body.expiresAt === 'string' ? Date.parse(body.expiresAt) : NaN;
    const stored: Stored = {
      token: body.token,
      // Without a readable expiry, trust the token until the hub answers 401.
      expiresAtMs: Number.isNaN(expiresAtMs) ? Number.MAX_SAFE_INTEGER : expiresAtMs,
      username,
    };
    try {
      sessionStorage.setItem(STORAGE_KEY, JSON.stringify(stored));
    } catch {
      // Kept in memory only: the session ends with the page.
    }
    this.#stored = stored;
    await this.loadMe(signal);
  }

  /**
   * Asks the hub who we are; a 401 clears the session (expired or revoked token). Offline (the request cannot reach
   * the hub), the answer this tab last had for the same token stands in, so an app opened offline (the collector's
   * phone) still knows its user; the hub checks the token again on every call.
   */
  async loadMe(signal?: AbortSignal): Promise<Me | null> {
    const token = this.token;
    if (!token) return null;
    let response: Response;
    try {
      response = await fetch('/api/auth/me', {
        signal,
        cache: 'no-store',
        headers: { accept: 'application/json', authorization: `Bearer ${token}` },
      });
    } catch (err) {
      const known = readKnownMe(token);
      if (!known || signal?.aborted) throw err;
      this.me = known;
      return known;
    }
    if (response.status === 401) {
      this.clear();
      return null;
    }
    if (!response.ok) throw new LoginError(`${response.status} ${response.statusText}`, response.status);
    const body = (await response.json()) as Me;
    this.me = {
      id: body.id,
      username: body.username,
      name: body.name,
      roles: Array.isArray(body.roles) ? body.roles : [],
      departmentId: body.departmentId ?? null,
    };
    try {
      sessionStorage.setItem(ME_KEY, JSON.stringify({ token, me: this.me }));
    } catch {
      // Not kept: an offline reload asks for a login again.
    }
    return this.me;
  }

  /** Whether the logged-in user holds any of these roles (admin holds none implicitly: screens say whom they serve). */
  hasRole(...roles: Role[]): boolean {
    return this.me !== null && this.me.roles.some((r) => roles.includes(r));
  }

  /** Ends the session on the hub too (the token stops working everywhere), then forgets it here. */
  async logout(): Promise<void> {
    const token = this.token;
    if (token) {
      await fetch('/api/auth/logout', { method: 'POST', headers: { authorization: `Bearer ${token}` } }).catch(
        () => undefined,
      );
    }
    this.clear();
  }

  /** Forgets the token (after a 401: it expired or was revoked). */
  clear(): void {
    try {
      sessionStorage.removeItem(STORAGE_KEY);
      sessionStorage.removeItem(ME_KEY);
    } catch {
      // Nothing stored.
    }
    this.#stored = null;
    this.me = null;
  }
}

/** The page's one session, shared by every screen. */
export const session = new Session();
