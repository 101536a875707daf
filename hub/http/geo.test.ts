// 网格与部件接口 the grid and inventory API over real HTTP, against the real database, with roles.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import {
  expectProblem,
  fixedTokenAuthenticator,
  jsonCall,
  startApp,
  type CallOptions,
  type TestApp,
} from '../../test/support/http-app.js';
import type { Catalogue, CatalogueClass } from '../cases/ports.js';
import { migrate } from '../db/migrate.js';
import { GridGeocoder } from '../geo/geocoder.js';
import { ComponentInventory } from '../geo/inventory.js';
import { geoRoutes } from './geo.js';

/** Fixed bearer tokens: one admin, one collector. */
const auth = fixedTokenAuthenticator({
  'admin-token': { userId: 'u-admin', name: '管理员', roles: ['admin'], departmentId: null },
  'collector-token': { userId: 'u-col', name: '监督员', roles: ['collector'], departmentId: null },
});

const CLASSES: CatalogueClass[] = [
  { code: '0101', kind: 'component', nameZh: '上水井盖', nameEn: 'Water-supply manhole cover' },
];
const catalogue: Catalogue = {
  classByCode: async (code) => CLASSES.find((c) => c.code === code) ?? null,
  standardsFor: async () => [],
  standardById: async () => null,
};

let db: TestDatabase;
let server: TestApp;

beforeAll(async () => {
  db = await createTestDatabase();
  await migrate(db.pool);
  const geocoder = new GridGeocoder(db.pool);
  await geocoder.reload();
  const inventory = new ComponentInventory(db.pool, { catalogue, geocoder });
  server = await startApp((app) => app.register(geoRoutes, { pool: db.pool, geocoder, inventory, auth }));
});
afterAll(async () => {
  await server?.close();
  await db?.drop();
});

/** As the admin unless `token` says otherwise (null: no token); a body is JSON unless `contentType` says otherwise. */
const call = (method: string, path: string, opts: CallOptions = {}) =>
  jsonCall(server.base, method, path, {
    ...opts,
    token: opts.token === undefined ? 'admin-token' : opts.token,
    contentType: opts.contentType ?? 'application/json',
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

describe('geo API', () => {
  it('401 without a valid token on every route; 403 for a collector on the admin routes', async () => {
    const routes: [string, string, unknown?][] = [
      ['GET', '/api/geo/areas'],
      ['GET', '/api/geo/areas/370102'],
      ['GET', '/api/geo/locate?lon=117&lat=36.6'],
      ['GET', '/api/geo/components'],
      ['POST', '/api/geo/areas', { type: 'FeatureCollection', features: [{}] }],
      ['POST', '/api/geo/components', { type: 'FeatureCollection', features: [{}] }],
      ['POST', '/api/geo/demo-grid'],
    ];
    for (const [method, path, body] of routes) {
      for (const token of [null, 'nobody']) {
        const { res, body: problem } = await call(method, path, { body, token });
        expectProblem(res, problem, 401, 'urn:cityhub:problem:unauthorized');
      }
    }
    for (const [method, path, body] of routes.filter(([m]) => m === 'POST')) {
      const { res, body: problem } = await call(method, path, { body, token: 'collector-token' });
      expectProblem(res, problem, 403, 'urn:cityhub:problem:forbidden');
      expect(problem.requiredRoles).toEqual(['admin']);
    }
    expect((await db.pool.query('SELECT count(*)::int AS n FROM areas')).rows[0].n).toBe(0);
  });

  it('locate before any grid: 404 saying no grid is loaded', async () => {
    const { res, body } = await call('GET', '/api/geo/locate?lon=117.005&lat=36.665', { token: 'collector-token' });
    expectProblem(res, body, 404, 'urn:cityhub:problem:outside-grid');
    expect(body.detail).toContain('no unit grid is loaded');
  });

  it('an area import with bad features: 400 with an error per feature, nothing stored', async () => {
    const { res, body } = await call('POST', '/api/geo/areas', {
      contentType: 'application/geo+json',
      body: {
        type: 'FeatureCollection',
        features: [
          {
            type: 'Feature',
            properties: { code: '370102', name: '历下区' },
            geometry: rect(117, 36.66, 117.02, 36.67),
          },
          { type: 'Feature', properties: { code: '370102001', name: '' }, geometry: rect(117, 36.66, 117.02, 36.67) },
          {
            type: 'Feature',
            properties: { code: '370102009001', name: 'x' },
            geometry: rect(117, 36.66, 117.02, 36.67),
          },
        ],
      },
    });
    expectProblem(res, body, 400, 'urn:cityhub:problem:invalid-import');
    expect(body.errors).toEqual([
      { index: 1, code: '370102001', message: 'properties.name is required' },
      {
        index: 2,
        code: '370102009001',
        message: 'parent street 370102009 is neither in the file nor stored; import it first or with this file',
      },
    ]);
    const notCollection = await call('POST', '/api/geo/areas', { body: { type: 'Feature' } });
    expectProblem(notCollection.res, notCollection.body, 400, 'urn:cityhub:problem:validation');
  });

  it('imports the demo grid, then locates points, names included', async () => {
    const { res, body } = await call('POST', '/api/geo/demo-grid');
    expect(res.status).toBe(200);
    expect(body).toEqual({
      created: 3374, // 1 + 30 + 130 + 3213
      updated: 0,
      byLevel: { district: 1, street: 30, community: 130, cell: 3213 },
      cellsLoaded: 3213,
      componentsRelocated: 0,
    });
    // 116.9901 E, 36.6899 N is ~9 m east and ~11 m south of the area's north-west corner: the first cell.
    const located = await call('GET', '/api/geo/locate?lon=116.9901&lat=36.6899', { token: 'collector-token' });
    expect(located.res.status).toBe(200);
    expect(located.body).toEqual({
      cell: '370102001001001',
      community: '370102001001',
      street: '370102001',
      district: '370102',
      names: { cell: '演示网格1-1-1', community: '演示社区1-1', street: '演示街道1', district: '历下区（演示）' },
    });
    const outside = await call('GET', '/api/geo/locate?lon=116.5&lat=36.6', { token: 'collector-token' });
    expectProblem(outside.res, outside.body, 404, 'urn:cityhub:problem:outside-grid');
    expect(outside.body.detail).toContain('outside every unit grid cell');
    const bad = await call('GET', '/api/geo/locate?lon=200&lat=36.6', { token: 'collector-token' });
    expectProblem(bad.res, bad.body, 400);
  });

  it('serves areas as GeoJSON by level and bbox, one area by code', async () => {
    const streets = await call('GET', '/api/geo/areas?level=street&bbox=116.99,36.685,117.0,36.69', {
      token: 'collector-token',
    });
    expect(streets.res.status).toBe(200);
    expect(streets.body.type).toBe('FeatureCollection');
    expect(streets.body.truncated).toBe(false);
    expect(streets.body.features.map((f: { id: string }) => f.id)).toEqual(['370102001']);
    expect(streets.body.features[0].properties).toMatchObject({
      level: 'street',
      name: '演示街道1',
      parentCode: '370102',
    });
    expect(streets.body.features[0].geometry.type).toBe('Polygon');
    const limited = await call('GET', '/api/geo/areas?level=cell&limit=3', { token: 'collector-token' });
    expect(limited.body.features).toHaveLength(3);
    expect(limited.body.truncated).toBe(true);
    const one = await call('GET', '/api/geo/areas/370102001001001', { token: 'collector-token' });
    expect(one.body.properties.areaM2).toBeGreaterThan(9500);
    expect(one.body.properties.areaM2).toBeLessThan(10500);
    const missing = await call('GET', '/api/geo/areas/370102999', { token: 'collector-token' });
    expectProblem(missing.res, missing.body, 404, 'urn:cityhub:problem:area-not-found');
    const badBox = await call('GET', '/api/geo/areas?bbox=117.1,36,117.0,37', { token: 'collector-token' });
    expectProblem(badBox.res, badBox.body, 400, 'urn:cityhub:problem:validation');
    expect(badBox.body.detail).toContain('minLon must be ≤ maxLon');
    const badCode = await call('GET', '/api/geo/areas/12345', { token: 'collector-token' });
    expectProblem(badCode.res, badCode.body, 400);
  });

  it('imports components from CSV and GeoJSON, serves them filtered', async () => {
    const csv = await call('POST', '/api/geo/components', {
      contentType: 'text/csv; charset=utf-8',
      body: 'id,classCode,name,lon,lat,owner,status\n3701020101000001,0101,井盖 1,116.9901,36.6899,水务,normal\n',
    });
    expect(csv.res.status).toBe(200);
    expect(csv.body).toEqual({ created: 1, updated: 0, warnings: [] });
    const geo = await call('POST', '/api/geo/components', {
      body: {
        type: 'FeatureCollection',
        features: [
          {
            type: 'Feature',
            properties: { id: '3701020101000002', classCode: '0101', name: '井盖 2' },
            geometry: { type: 'Point', coordinates: [116.5, 36.6] },
          },
        ],
      },
    });
    expect(geo.body.warnings).toEqual([
      {
        index: 0,
        id: '3701020101000002',
        message: '(116.5, 36.6) lies outside every grid cell; stored without a cell',
      },
    ]);
    const bad = await call('POST', '/api/geo/components', {
      contentType: 'text/csv',
      body: 'id,classCode,name,lon,lat\n3701020102000003,0101,x,117,36.66\n',
    });
    expectProblem(bad.res, bad.body, 400, 'urn:cityhub:problem:invalid-import');
    expect(bad.body.errors).toEqual([
      { row: 2, id: '3701020102000003', message: "id's class part (digits 7–10) is 0102 but classCode is 0101" },
    ]);

    const inCell = await call('GET', '/api/geo/components?cell=370102001001001', { token: 'collector-token' });
    expect(inCell.body.features).toEqual([
      {
        type: 'Feature',
        id: '3701020101000001',
        properties: {
          id: '3701020101000001',
          classCode: '0101',
          name: '井盖 1',
          cellCode: '370102001001001',
          owner: '水务',
          maintainer: null,
          status: 'normal',
          attributes: {},
          updatedAt: expect.stringMatching(/^\d{4}-/),
        },
        geometry: { type: 'Point', coordinates: [116.9901, 36.6899] },
      },
    ]);
    const byBox = await call('GET', '/api/geo/components?class=0101&bbox=116,36,116.6,36.7', {
      token: 'collector-token',
    });
    expect(byBox.body.features.map((f: { id: string }) => f.id)).toEqual(['3701020101000002']);
  });

  it('a new grid covering a component moves it into its cell', async () => {
    // A second district around (116.5, 36.6), where component 3701020101000002 lay outside every cell.
    const levels = ['370103', '370103001', '370103001001', '370103001001001'];
    const { res, body } = await call('POST', '/api/geo/areas', {
      body: {
        type: 'FeatureCollection',
        features: levels.map((code) => ({
          type: 'Feature',
          properties: { code, name: `区域 ${code}` },
          geometry: rect(116.49, 36.59, 116.51, 36.61),
        })),
      },
    });
    expect(res.status).toBe(200);
    expect(body).toEqual({
      created: 4,
      updated: 0,
      byLevel: { district: 1, street: 1, community: 1, cell: 1 },
      cellsLoaded: 3214,
      componentsRelocated: 1,
    });
    const moved = await call('GET', '/api/geo/components?cell=370103001001001', { token: 'collector-token' });
    expect(moved.body.features.map((f: { id: string }) => f.id)).toEqual(['3701020101000002']);
    const located = await call('GET', '/api/geo/locate?lon=116.5&lat=36.6', { token: 'collector-token' });
    expect(located.body.cell).toBe('370103001001001');
  });

  it('documents every route in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${server.base}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/api/geo/areas',
      '/api/geo/areas/{code}',
      '/api/geo/components',
      '/api/geo/demo-grid',
      '/api/geo/locate',
    ]);
  });
});
