// Vitest global setup: a real PostgreSQL 15 + TimescaleDB cluster for the whole run (scripts/test-db.sh), unless
// TEST_DATABASE_URL points at one already. Tests never use a mock database.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

const TEST_DB = fileURLToPath(new URL('../scripts/test-db.sh', import.meta.url));

export default function setup(project: TestProject): () => void {
  const given = process.env.TEST_DATABASE_URL;
  if (given) {
    project.provide('databaseUrl', given);
    return () => undefined;
  }
  let url: string;
  try {
    url = execFileSync('bash', [TEST_DB, 'start'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  } catch (err) {
    throw new Error(
      `could not start the test database with scripts/test-db.sh (is PostgreSQL 15 + TimescaleDB installed? ` +
        `run scripts/install-timescaledb.sh): ${(err as Error).message}`,
      { cause: err },
    );
  }
  project.provide('databaseUrl', url);
  return () => {
    execFileSync('bash', [TEST_DB, 'stop'], { stdio: 'inherit' });
  };
}
