// 演示网格生成 the generator's command line, run as a user would.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = path.join(import.meta.dirname, 'generate-grid.ts');
const tsx = path.join(import.meta.dirname, '..', 'node_modules', '.bin', 'tsx');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'grid-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('scripts/generate-grid.ts', () => {
  it('writes a FeatureCollection for a custom area: 1 km × 0.5 km in 250 m cells is 4 × 2 cells', async () => {
    const out = path.join(dir, 'grid.geojson');
    // At the equator 1 km is 1 / 111.19508 degrees of either axis.
    const km = 1 / 111.19508;
    const { stderr } = await run(tsx, [
      script,
      '--out',
      out,
      '--bbox',
      `0,0,${km},${km / 2}`,
      '--district',
      '110101',
      '--cell-m',
      '250',
      '--street-cells',
      '2',
      '--community-cells',
      '2',
    ]);
    expect(stderr).toContain('"cell":8');
    const grid = JSON.parse(await readFile(out, 'utf8')) as {
      features: { properties: { code: string; level: string } }[];
    };
    const codes = grid.features.map((f) => f.properties.code);
    // 2 × 2-cell streets side by side (a street is one community), cells numbered west→east then north→south.
    expect(codes).toEqual([
      '110101',
      '110101001',
      '110101002',
      '110101001001',
      '110101002001',
      '110101001001001',
      '110101001001002',
      '110101001001003',
      '110101001001004',
      '110101002001001',
      '110101002001002',
      '110101002001003',
      '110101002001004',
    ]);
  });

  it('exits 2 with the usage on a bad option', async () => {
    const err = (await run(tsx, [script, '--cell-m', 'ten']).catch((e: unknown) => e)) as {
      code: number;
      stderr: string;
    };
    expect(err.code).toBe(2);
    expect(err.stderr).toContain('--cell-m must be a positive whole number');
    expect(err.stderr).toContain('usage:');
  });
});
