// A PostgreSQL + TimescaleDB cluster of a test's own (scripts/test-db.sh with its own TEST_DB_DIR), for tests that
// take the database away (pause) and bring it back (resume) without disturbing the shared test cluster.
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const TEST_DB = fileURLToPath(new URL('../../scripts/test-db.sh', import.meta.url));
const run = promisify(execFile);

export interface OwnCluster {
  /** Its TEST_DB_DIR. */
  dir: string;
  /** URL of its database `cityhub_test`. */
  url: string;
  /** Stops the server, keeping its data and port (a database outage). Asynchronous, so the test keeps running. */
  pause(): Promise<void>;
  /** Starts the paused server again on the same port; resolves once it accepts connections. */
  resume(): Promise<void>;
  /** Stops the cluster and deletes its directory (safe to call more than once, or after a failed start). */
  stop(): void;
  /** The server's log (postgres.log), for diagnostics. */
  log(): string;
}

/** Starts a fresh cluster in a new directory under the system temp dir; synchronous (a few seconds). */
export function startOwnCluster(): OwnCluster {
  const dir = path.join(os.tmpdir(), `cityhub-own-db-${randomBytes(5).toString('hex')}`);
  const env = { ...process.env, TEST_DB_DIR: dir };
  const sync = (command: string) =>
    execFileSync('bash', [TEST_DB, command], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  let url: string;
  try {
    url = sync('start');
  } catch (err) {
    try {
      sync('stop');
    } catch {
      // nothing to clean up
    }
    throw err;
  }
  let stopped = false;
  return {
    dir,
    url,
    async pause() {
      await run('bash', [TEST_DB, 'pause'], { env });
    },
    async resume() {
      await run('bash', [TEST_DB, 'resume'], { env });
    },
    stop() {
      if (stopped) return;
      stopped = true;
      sync('stop');
    },
    log() {
      try {
        return readFileSync(path.join(dir, 'postgres.log'), 'utf8');
      } catch {
        return '';
      }
    },
  };
}
