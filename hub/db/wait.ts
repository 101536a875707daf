// 等待数据库 waiting for the database at start: a hub started before its database (a reboot of the whole site, a
// compose file bringing both up) retries with back-off and says so, instead of exiting on the first refusal. Errors a
// retry cannot fix (wrong password, no such database) fail at once with the server's message.
import type pg from 'pg';
import type { Logger } from 'pino';

/** SQLSTATEs and socket errors that a database still starting (or briefly unreachable) gives. */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  '57P03', // cannot_connect_now: the database system is starting up / shutting down
  '57P01', // admin_shutdown
  '53300', // too_many_connections
]);

export function isTransientConnectError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (typeof e?.code === 'string' && TRANSIENT_CODES.has(e.code)) return true;
  // pg's own connection timeout carries no code.
  return typeof e?.message === 'string' && /timeout expired|Connection terminated/i.test(e.message);
}

export class DatabaseUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseUnavailableError';
  }
}

export interface WaitOptions {
  /** Give up after this long (0: one attempt). */
  waitMs: number;
  log: Logger;
  /** Where the database is, for the messages (without the password). */
  target: string;
  /** Stop waiting (the hub was asked to stop while it waited). */
  signal?: AbortSignal;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Resolves once `SELECT 1` succeeds; retries transient failures with back-off (1 s doubling to 15 s). */
export async function waitForDatabase(pool: pg.Pool, options: WaitOptions): Promise<void> {
  const sleep = options.sleep ?? abortableSleep;
  const now = options.now ?? Date.now;
  const deadline = now() + options.waitMs;
  let delayMs = 1000;
  for (let attempt = 1; ; attempt++) {
    if (options.signal?.aborted) throw new DatabaseUnavailableError('stopped while waiting for the database');
    try {
      await pool.query('SELECT 1');
      if (attempt > 1) options.log.info({ attempt, target: options.target }, 'database reachable');
      return;
    } catch (err) {
      const message = (err as Error).message;
      if (!isTransientConnectError(err)) {
        throw new DatabaseUnavailableError(`database ${options.target} refused the hub: ${message}`);
      }
      const left = deadline - now();
      if (left <= 0) {
        throw new DatabaseUnavailableError(
          `database ${options.target} unreachable after ${Math.round(options.waitMs / 1000)} s ` +
            `(${message}); raise DATABASE_WAIT_S to wait longer`,
        );
      }
      const wait = Math.min(delayMs, left);
      options.log.warn(
        { attempt, target: options.target, err: message, retryInMs: wait },
        'database not reachable yet; retrying',
      );
      await sleep(wait, options.signal);
      delayMs = Math.min(delayMs * 2, 15_000);
    }
  }
}

/** host:port/database of a connection URL, never its credentials. */
export function describeDatabase(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}
