// 立案/处置/结案标准导入工具: the CLI run as a process against the real database.
import { execFile } from 'node:child_process';
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratedTestDatabase, type TestDatabase } from '../test/support/database.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SAMPLE = path.join(ROOT, 'hub/catalogue/data/yuncheng-component-standards.csv');

let db: TestDatabase;
beforeAll(async () => {
  db = await migratedTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('npx', ['tsx', 'scripts/import-standards.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: '' },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('scripts/import-standards.ts', () => {
  it('dry-runs, then imports the sample with a progress bar and the warnings', async () => {
    const dry = await cli(SAMPLE, '--kind', 'component', '--database-url', db.url, '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('66 classes, 279 situations (component) — dry run, nothing stored');
    const count = async () => (await db.pool.query('SELECT count(*)::int AS n FROM class_standards')).rows[0].n;
    expect(await count()).toBe(0);

    const real = await cli(SAMPLE, '--kind', 'component', '--database-url', db.url);
    expect(real.code).toBe(0);
    // Not a terminal: one progress line per chunk of 20 classes, the last one full.
    expect(real.stderr).toContain(`[${'#'.repeat(30)}] 66/66 classes`);
    expect(real.stderr.split('\n').filter((l) => l.startsWith('['))).toHaveLength(5);
    expect(real.stdout).toContain('— stored');
    expect(real.stdout).toContain('line 408 处置时限 (0402) "种植季节15工作日"');
    expect(await count()).toBe(279);
  });

  it('exits 1 with the errors for a broken file, and 2 for bad arguments', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'standards-'));
    const file = path.join(dir, 'broken.csv');
    await writeFile(file, '大类代码,大类名称,小类代码,小类名称,立案条件,处置时限,结案条件\n,,,,无类别,1工作日,修复\n');
    const broken = await cli(file, '--kind', 'component', '--database-url', db.url);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain('1 error:');
    expect(broken.stdout).toContain('line 2 小类代码');

    const noKind = await cli(file, '--database-url', db.url);
    expect(noKind.code).toBe(2);
    expect(noKind.stderr).toContain('--kind must be component or event');
    const noDb = await cli(file, '--kind', 'event');
    expect(noDb.code).toBe(2);
    expect(noDb.stderr).toContain('no database');
  });
});
