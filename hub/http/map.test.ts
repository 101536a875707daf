import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonCall, startApp, type TestApp } from '../../test/support/http-app.js';
import { rasterPmtiles, solidPng } from '../../test/support/pmtiles.js';
import { loadConfig } from '../config.js';
import { loadMapConfig } from '../map/basemap.js';
import { mapRoutes, parseRange } from './map.js';

let file: string;
let bytes: Buffer;
let pmtiles: TestApp;
let offline: TestApp;

beforeAll(async () => {
  bytes = rasterPmtiles({
    bounds: [117.0, 36.65, 117.04, 36.68],
    minZoom: 12,
    maxZoom: 13,
    tile: () => solidPng([200, 230, 200], 16),
  });
  file = path.join(await mkdtemp(path.join(os.tmpdir(), 'cityhub-map-')), 'city.pmtiles');
  await writeFile(file, bytes);
  const config = loadConfig({ MAP_BASEMAP: 'pmtiles', MAP_PMTILES_FILE: file, MAP_ATTRIBUTION: '© 测绘院' });
  const map = await loadMapConfig(config);
  pmtiles = await startApp((app) => app.register(mapRoutes, { map, pmtilesFile: file }));
  const plain = await loadMapConfig(loadConfig({}));
  offline = await startApp((app) => app.register(mapRoutes, { map: plain, pmtilesFile: undefined }));
});

afterAll(async () => {
  await pmtiles?.close();
  await offline?.close();
});

describe('GET /api/map/config', () => {
  it('tells the map its basemap, datum and initial view, without a login', async () => {
    const { res, body } = await jsonCall(pmtiles.base, 'GET', '/api/map/config');
    expect(res.status).toBe(200);
    expect(body).toMatchObject({
      basemap: { kind: 'pmtiles', url: '/api/map/basemap.pmtiles', tileType: 'raster', minZoom: 12, maxZoom: 13 },
      crs: 'wgs84',
      attribution: '© 测绘院',
      center: [117.02, 36.665],
      zoom: 14,
    });
    expect((await jsonCall(offline.base, 'GET', '/api/map/config')).body.basemap).toEqual({ kind: 'offline' });
  });

  it('is documented in the OpenAPI document', async () => {
    const { body } = await jsonCall(pmtiles.base, 'GET', '/openapi.json');
    expect(Object.keys(body.paths)).toEqual(expect.arrayContaining(['/api/map/config', '/api/map/basemap.pmtiles']));
  });
});

describe('GET /api/map/basemap.pmtiles', () => {
  it('answers a range request with exactly those bytes, as PMTiles readers ask', async () => {
    const res = await fetch(`${pmtiles.base}/api/map/basemap.pmtiles`, { headers: { range: 'bytes=0-126' } });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes 0-126/${bytes.length}`);
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    const etag = res.headers.get('etag');
    expect(etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    const header = Buffer.from(await res.arrayBuffer());
    expect(header.equals(bytes.subarray(0, 127))).toBe(true);

    const tail = await fetch(`${pmtiles.base}/api/map/basemap.pmtiles`, { headers: { range: 'bytes=-10' } });
    expect(tail.status).toBe(206);
    expect(Buffer.from(await tail.arrayBuffer()).equals(bytes.subarray(bytes.length - 10))).toBe(true);
    // The same validator on every request while the file is unchanged.
    expect(tail.headers.get('etag')).toBe(etag);
  });

  it('sends the whole file without a range, and refuses a range past its end', async () => {
    const whole = await fetch(`${pmtiles.base}/api/map/basemap.pmtiles`);
    expect(whole.status).toBe(200);
    expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);
    const past = await fetch(`${pmtiles.base}/api/map/basemap.pmtiles`, {
      headers: { range: `bytes=${bytes.length}-` },
    });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe(`bytes */${bytes.length}`);
    expect(past.headers.get('content-type')).toContain('application/problem+json');
  });

  it('is 404 with a reason when the basemap is not a PMTiles file', async () => {
    const { res, body } = await jsonCall(offline.base, 'GET', '/api/map/basemap.pmtiles');
    expect(res.status).toBe(404);
    expect(body.detail).toBe('the basemap is not a PMTiles file');
  });

  it('reads single ranges the way RFC 9110 writes them', () => {
    expect(parseRange('bytes=0-99', 1000)).toEqual([0, 99]);
    expect(parseRange('bytes=900-', 1000)).toEqual([900, 999]);
    expect(parseRange('bytes=990-2000', 1000)).toEqual([990, 999]);
    expect(parseRange('bytes=-100', 1000)).toEqual([900, 999]);
    expect(parseRange('bytes=1000-', 1000)).toBe('unsatisfiable');
    expect(parseRange('bytes=5-4', 1000)).toBe('unsatisfiable');
    expect(parseRange('bytes=0-1,5-6', 1000)).toBeNull();
    expect(parseRange('items=0-1', 1000)).toBeNull();
  });
});
