// 部件普查 the component inventory over the real database: GeoJSON and CSV import with per-row errors, warnings, upsert.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import type { Catalogue, CatalogueClass } from '../cases/ports.js';
import { migrate } from '../db/migrate.js';
import { AreaStore } from './areas.js';
import { GeoError } from './errors.js';
import { GridGeocoder } from './geocoder.js';
import { ComponentInventory } from './inventory.js';

/** A fixed catalogue: two component classes and one event class. */
class FixedCatalogue implements Catalogue {
  readonly asked: string[] = [];
  private readonly classes: CatalogueClass[] = [
    { code: '0101', kind: 'component', nameZh: '上水井盖', nameEn: 'Water-supply manhole cover' },
    { code: '0301', kind: 'component', nameZh: '路灯', nameEn: 'Street lamp' },
    { code: '0102', kind: 'event', nameZh: '暴露垃圾', nameEn: 'Exposed garbage' },
  ];
  async classByCode(code: string) {
    this.asked.push(code);
    return this.classes.find((c) => c.code === code) ?? null;
  }
  async standardsFor() {
    return [];
  }
  async standardById() {
    return null;
  }
}

let db: TestDatabase;
let inventory: ComponentInventory;
let catalogue: FixedCatalogue;

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

beforeAll(async () => {
  db = await createTestDatabase();
  await migrate(db.pool);
  // One cell, 117.00–117.01 E × 36.66–36.67 N.
  await new AreaStore(db.pool).importGeoJson({
    type: 'FeatureCollection',
    features: [
      ['370102', '历下区'],
      ['370102001', '街道'],
      ['370102001001', '社区'],
      ['370102001001001', '网格'],
    ].map(([code, name]) => ({
      type: 'Feature',
      properties: { code, name },
      geometry: rect(117, 36.66, 117.01, 36.67),
    })),
  });
  const geocoder = new GridGeocoder(db.pool);
  await geocoder.reload();
  catalogue = new FixedCatalogue();
  inventory = new ComponentInventory(db.pool, { catalogue, geocoder });
});
afterAll(async () => {
  await db?.drop();
});

const point = (lon: number, lat: number, properties: Record<string, unknown>) => ({
  type: 'Feature',
  properties,
  geometry: { type: 'Point', coordinates: [lon, lat] },
});
const fc = (...features: unknown[]) => ({ type: 'FeatureCollection', features });

async function failure(p: Promise<unknown>): Promise<GeoError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GeoError);
  return err as GeoError;
}

describe('ComponentInventory', () => {
  it('imports GeoJSON points, places them in their cell, keeps unknown properties as attributes', async () => {
    const report = await inventory.importGeoJson(
      fc(
        point(117.005, 36.665, {
          id: '3701020101000001',
          classCode: '0101',
          name: '上水井盖',
          owner: '济南水务',
          depth: 2,
        }),
        point(117.002, 36.661, {
          id: '3701020301000007',
          classCode: '0301',
          name: '路灯 7',
          status: 'damaged',
          maintainer: '路灯所',
          attributes: { poleM: 8 },
        }),
      ),
    );
    expect(report).toEqual({ created: 2, updated: 0, warnings: [] });
    expect(await inventory.get('3701020101000001')).toMatchObject({
      classCode: '0101',
      name: '上水井盖',
      lon: 117.005,
      lat: 36.665,
      cellCode: '370102001001001',
      owner: '济南水务',
      maintainer: null,
      status: 'normal',
      attributes: { depth: 2 },
    });
    expect(await inventory.get('3701020301000007')).toMatchObject({
      status: 'damaged',
      maintainer: '路灯所',
      attributes: { poleM: 8 },
    });
  });

  it('refuses the whole file with one error per problem, storing nothing', async () => {
    const err = await failure(
      inventory.importGeoJson(
        fc(
          point(117.005, 36.665, { id: '3701020101000002', classCode: '0101', name: '好的' }),
          point(117.005, 36.665, { id: '3701020102000003', classCode: '0101', name: '类不符' }),
          point(117.005, 36.665, { id: '370102010100000', classCode: '0101', name: '15位' }),
          point(117.005, 36.665, { id: '3701009999000001', classCode: '9999', name: '无此类' }),
          point(117.005, 36.665, { id: '3701020102000004', classCode: '0102', name: '事件类' }),
          point(117.005, 36.665, { id: '3701020101000005', classCode: '0101', name: '坏状态', status: 'broken' }),
          {
            type: 'Feature',
            properties: { id: '3701020101000006' },
            geometry: { type: 'LineString', coordinates: [] },
          },
          point(200, 36.665, { id: '3701020101000008', classCode: '0101', name: '经度' }),
          point(117.005, 36.665, { id: '3701020101000002', classCode: '0101', name: '重复' }),
        ),
      ),
    );
    expect(err.code).toBe('InvalidComponentImport');
    expect(err.errors.map((e) => [e.index, e.message])).toEqual([
      [1, "id's class part (digits 7–10) is 0102 but classCode is 0101"],
      [2, 'id must be 16 digits: admin code (6) + class code (4) + serial (6)'],
      [
        3,
        'id\'s admin code: code "370100" starts with 370100, which is a province or city code, not a district (GB/T 2260)',
      ],
      [4, 'class 0102 (暴露垃圾) is an event class, not a component (部件) class'],
      [5, 'status must be one of normal, damaged, missing, removed, got "broken"'],
      [6, 'geometry must be a GeoJSON Point [lon, lat]'],
      [7, 'lon must be a number, −180…180'],
      [8, 'id 3701020101000002 already appears in feature 0 of this file'],
    ]);
    expect(await inventory.get('3701020101000002')).toBeNull();
  });

  it('an unknown class is an error', async () => {
    const err = await failure(
      inventory.importGeoJson(fc(point(117.005, 36.665, { id: '3701029999000001', classCode: '9999', name: 'x' }))),
    );
    expect(err.errors).toEqual([{ index: 0, id: '3701029999000001', message: 'class 9999 is not in the catalogue' }]);
  });

  it('imports CSV, asks the catalogue once per class, warns about points outside the grid and foreign admin codes', async () => {
    catalogue.asked.length = 0;
    const csv =
      '\uFEFFid,classCode,name,lon,lat,owner,status\r\n' +
      '3701020101000001,0101,上水井盖（改）,117.006,36.666,济南水务,missing\r\n' +
      '3701020101000010,0101,城外井盖,117.5,36.665,,\r\n' +
      '3701030101000011,0101,"市中区的井盖, 在历下",117.001,36.669,,normal\r\n';
    const report = await inventory.importCsv(csv);
    expect(report.created).toBe(2);
    expect(report.updated).toBe(1);
    expect(report.warnings).toEqual([
      {
        row: 3,
        id: '3701020101000010',
        message: '(117.5, 36.665) lies outside every grid cell; stored without a cell',
      },
      {
        row: 4,
        id: '3701030101000011',
        message: "the id's admin code 370103 differs from district 370102 of cell 370102001001001",
      },
    ]);
    expect(catalogue.asked).toEqual(['0101']);
    expect(await inventory.get('3701020101000001')).toMatchObject({
      name: '上水井盖（改）',
      status: 'missing',
      lon: 117.006,
    });
    expect(await inventory.get('3701020101000010')).toMatchObject({ cellCode: null, status: 'normal', owner: null });
    expect((await inventory.get('3701030101000011'))!.name).toBe('市中区的井盖, 在历下');
  });

  it('CSV errors: per row, and file-level for a bad header', async () => {
    const err = await failure(
      inventory.importCsv(
        'id,classCode,name,lon,lat\n3701020101000020,0101,x,abc,36.66\n3701020101000021,0101,y,117\n',
      ),
    );
    expect(err.errors).toEqual([
      { row: 2, id: '3701020101000020', message: 'lon must be a number, −180…180' },
      { row: 3, message: '4 fields where the header has 5' },
    ]);
    const header = await failure(inventory.importCsv('id,class,name,lon,lat\n'));
    expect(header.message).toContain('unknown column(s) "class"');
    const missing = await failure(inventory.importCsv('id,classCode,name,lon\n1,2,3,4\n'));
    expect(missing.message).toContain('lacks the required column(s) lat');
    expect(await inventory.get('3701020101000020')).toBeNull();
  });

  it('lists by class, cell and bbox', async () => {
    const ids = async (q: Parameters<ComponentInventory['list']>[0]) =>
      (await inventory.list(q)).components.map((c) => c.id);
    expect(await ids({ classCode: '0301' })).toEqual(['3701020301000007']);
    expect(await ids({ cellCode: '370102001001001' })).toEqual([
      '3701020101000001',
      '3701020301000007',
      '3701030101000011',
    ]);
    expect(await ids({ bbox: { minLon: 117.4, minLat: 36.6, maxLon: 117.6, maxLat: 36.7 } })).toEqual([
      '3701020101000010',
    ]);
    const page = await inventory.list({ limit: 1 });
    expect(page.truncated).toBe(true);
  });
});
