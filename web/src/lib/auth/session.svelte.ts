// 登录会话 login session: the bearer token from POST /api/auth/login, kept in sessionStorage so a reload keeps the user
// logged in but closing the tab ends it (a wall display left open must not hold a token for days in localStorage).
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

export class Session {
  #stored: Stored | null = $state(readStored());

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
  }

  /** Forgets the token (after a 401: it expired or was revoked). */
  clear(): void {
    try {
      sessionStorage.removeItem(STORAGE_KEY);
    } catch {
      // Nothing stored.
    }
    this.#stored = null;
  }
}
