// 区划与网格库 the areas store and the geocoder over the real database: validated all-or-nothing import, upsert, queries.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { migrate } from '../db/migrate.js';
import { AreaStore } from './areas.js';
import { seedDemoGrid } from './demo-grid.js';
import { GeoError } from './errors.js';
import { GridGeocoder } from './geocoder.js';

let db: TestDatabase;
let store: AreaStore;

beforeAll(async () => {
  db = await createTestDatabase();
  await migrate(db.pool);
  store = new AreaStore(db.pool);
});
afterAll(async () => {
  await db?.drop();
});

const rect = (w: number, s: number, e: number, n: number) => ({
  type: 'Polygon',
  coordinates: [
    [
      [w, s],
      [e, s],
      [e, n],
      [w, n],
      [w, s],
    ],
  ],
});
const feature = (code: unknown, name: unknown, geometry: unknown, extra: Record<string, unknown> = {}) => ({
  type: 'Feature',
  properties: { code, name, ...extra },
  geometry,
});
const fc = (...features: unknown[]) => ({ type: 'FeatureCollection', features });

/** Expects the import to be refused with exactly these (index, message part) errors. */
async function refused(input: unknown, expected: [number | undefined, string][]) {
  const err = await store.importGeoJson(input).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GeoError);
  const { errors } = err as GeoError;
  expect(errors.map((e) => e.index)).toEqual(expected.map(([i]) => i));
  expected.forEach(([, message], i) => expect(errors[i]!.message).toContain(message));
  return err as GeoError;
}

// A district 0.02° × 0.01°, one street, one community, two cells side by side (west: 001, east: 002).
const district = feature('370102', '历下区', rect(117, 36.66, 117.02, 36.67));
const street = feature('370102001', '街道一', rect(117, 36.66, 117.02, 36.67));
const community = feature('370102001001', '社区一', rect(117, 36.66, 117.02, 36.67), { level: 'community' });
const cellWest = feature('370102001001001', '网格一', rect(117, 36.66, 117.01, 36.67));
const cellEast = feature(370102001001002, '网格二', rect(117.01, 36.66, 117.02, 36.67));

describe('AreaStore.importGeoJson', () => {
  it('refuses a file that is not a FeatureCollection', async () => {
    await expect(store.importGeoJson({ type: 'Feature' })).rejects.toThrow(/GeoJSON FeatureCollection/);
    await expect(store.importGeoJson(fc())).rejects.toThrow(/no features/);
  });

  it('reports every bad feature with its index and code, and stores nothing', async () => {
    const err = await refused(
      fc(
        district,
        feature('37010', 'x', rect(0, 0, 1, 1)),
        feature('370102001', 'y', rect(0, 0, 1, 1), { level: 'community' }),
        feature('370102002', '  ', rect(0, 0, 1, 1)),
        feature('370102003', 'z', {
          type: 'Polygon',
          coordinates: [
            [
              [0, 0],
              [1, 0],
              [1, 1],
              [0, 0.5],
            ],
          ],
        }),
        feature('370102004', 'w', {
          type: 'Polygon',
          coordinates: [
            [
              [0, 0],
              [1, 0],
              [0, 0],
            ],
          ],
        }),
        feature('370102005', 'v', rect(0, 0, 1, 95)),
        feature('370102006001', 'orphan', rect(0, 0, 1, 1)),
        feature('370102', 'again', rect(0, 0, 1, 1)),
        feature('370100', 'city', rect(0, 0, 1, 1)),
        feature('370102007000', 'zero', rect(0, 0, 1, 1)),
        { type: 'Feature', geometry: rect(0, 0, 1, 1) },
      ),
      [
        [1, 'has 5 digits'],
        [2, 'properties.level is "community" but a 9-digit code is a street'],
        [3, 'properties.name is required'],
        [4, 'not closed'],
        [5, 'has 3 positions'],
        [6, 'latitude 95 is outside'],
        [7, 'parent street 370102006 is neither in the file nor stored'],
        [8, 'code 370102 already appears in feature 0'],
        [9, 'province or city code'],
        [10, 'community sequence (digits 10–12) must be 001–999'],
        [11, 'properties must be an object'],
      ],
    );
    expect(err.errors[0]!.code).toBe('37010');
    expect(err.message).toMatch(/11 errors; nothing was imported/);
    expect(await store.count()).toBe(0);
  });

  it('imports all four levels in any order, the level from the code; numeric codes are read as digits', async () => {
    const report = await store.importGeoJson(fc(cellWest, cellEast, community, street, district));
    expect(report).toEqual({ created: 5, updated: 0, byLevel: { district: 1, street: 1, community: 1, cell: 2 } });
    const cell = await store.get('370102001001002');
    expect(cell).toMatchObject({ level: 'cell', name: '网格二', parentCode: '370102001001' });
    expect(cell!.bbox).toEqual({ minLon: 117.01, minLat: 36.66, maxLon: 117.02, maxLat: 36.67 });
    // 0.01° of longitude at 36.665° N × 0.01° of latitude ≈ 892.2 m × 1111.95 m ≈ 992,000 m².
    expect(cell!.areaM2).toBeGreaterThan(985_000);
    expect(cell!.areaM2).toBeLessThan(1_000_000);
    expect((await store.get('370102'))!.parentCode).toBeNull();
  });

  it('a child whose parent is already stored imports alone; re-import updates', async () => {
    const report = await store.importGeoJson(
      fc(
        feature('370102001001003', '网格三', rect(117.02, 36.66, 117.03, 36.67)),
        feature('370102001001001', '网格一（新）', rect(117, 36.66, 117.01, 36.67)),
      ),
    );
    expect(report).toMatchObject({ created: 1, updated: 1 });
    expect((await store.get('370102001001001'))!.name).toBe('网格一（新）');
  });

  it('lists by level and bbox, ordered by code, with truncation', async () => {
    const cells = await store.list({ level: 'cell' });
    expect(cells.areas.map((a) => a.code)).toEqual(['370102001001001', '370102001001002', '370102001001003']);
    const east = await store.list({
      level: 'cell',
      bbox: { minLon: 117.015, minLat: 36.661, maxLon: 117.016, maxLat: 36.662 },
    });
    expect(east.areas.map((a) => a.code)).toEqual(['370102001001002']);
    const page = await store.list({ limit: 2 });
    expect(page.areas.map((a) => a.code)).toEqual(['370102', '370102001']);
    expect(page.truncated).toBe(true);
  });
});

describe('GridGeocoder over the database', () => {
  it('knows nothing before reload, the stored cells after', async () => {
    const geocoder = new GridGeocoder(db.pool);
    expect(geocoder.locate(117.005, 36.665)).toBeNull();
    expect(await geocoder.reload()).toEqual({ cells: 3, areas: 6 });
    expect(geocoder.locate(117.005, 36.665)).toEqual({
      cell: '370102001001001',
      community: '370102001001',
      street: '370102001',
      district: '370102',
    });
    // On the shared edge at 117.01: the eastern cell.
    expect(geocoder.locate(117.01, 36.665)?.cell).toBe('370102001001002');
    expect(geocoder.locate(117.05, 36.665)).toBeNull();
    expect(geocoder.locate(NaN, 36.665)).toBeNull();
    expect(geocoder.nameOf('370102001001')).toBe('社区一');
    expect(geocoder.cellsIn({ minLon: 117.011, minLat: 36.661, maxLon: 117.025, maxLat: 36.662 })).toEqual([
      '370102001001002',
      '370102001001003',
    ]);
  });

  it('seedDemoGrid imports nothing where areas exist, the demo grid into an empty database', async () => {
    expect(await seedDemoGrid(db.pool)).toBeNull();
    const empty = await createTestDatabase();
    try {
      await migrate(empty.pool);
      const report = await seedDemoGrid(empty.pool);
      expect(report).toEqual({
        created: 1 + 30 + 130 + 63 * 51,
        updated: 0,
        byLevel: { district: 1, street: 30, community: 130, cell: 63 * 51 },
      });
      const geocoder = new GridGeocoder(empty.pool);
      await geocoder.reload();
      // Just inside the north-west corner of the demo area (116.99 E, 36.69 N): the first cell.
      expect(geocoder.locate(116.9901, 36.6899)?.cell).toBe('370102001001001');
      expect(geocoder.nameOf('370102001')).toBe('演示街道1');
      expect(await seedDemoGrid(empty.pool)).toBeNull();
    } finally {
      await empty.drop();
    }
  });
});
