import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rasterPmtiles, solidPng } from '../../test/support/pmtiles.js';
import { ConfigError, loadConfig } from '../config.js';
import { basemapLayers, expandSubdomains, loadMapConfig, parsePmtilesHeader } from './basemap.js';

const OLD_TOWN: [number, number, number, number] = [117.0, 36.65, 117.04, 36.68];

async function tempFile(name: string, content: string | Buffer): Promise<string> {
  const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'cityhub-basemap-')), name);
  await writeFile(file, content);
  return file;
}

function configError(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('the configuration was accepted');
}

describe('basemap settings', () => {
  it('default to the offline style over Jinan, WGS-84', async () => {
    const map = await loadMapConfig(loadConfig({}));
    expect(map).toEqual({
      basemap: { kind: 'offline' },
      crs: 'wgs84',
      attribution: null,
      center: [117.02, 36.665],
      zoom: 14,
    });
  });

  it('refuse settings that do not make a basemap, naming each', () => {
    expect(configError({ MAP_BASEMAP: 'google' })).toEqual([
      'MAP_BASEMAP must be one of offline, pmtiles, xyz, got "google"',
    ]);
    expect(configError({ MAP_BASEMAP: 'xyz' })).toEqual(['MAP_BASEMAP=xyz needs MAP_XYZ_URLS (tile URL templates)']);
    expect(configError({ MAP_BASEMAP: 'xyz', MAP_XYZ_URLS: 'https://t{s}.example.cn/{z}/{x}/{y}.png' })).toEqual([
      'MAP_XYZ_URLS uses {s}: set MAP_XYZ_SUBDOMAINS (e.g. 0,1,2,3)',
    ]);
    expect(configError({ MAP_XYZ_URLS: 'https://tiles.example.cn/{z}/{x}.png' })[0]).toContain('lacks {y}');
    expect(configError({ MAP_XYZ_URLS: 'ftp://tiles.example.cn/{z}/{x}/{y}.png' })[0]).toContain('http:// or https://');
    expect(configError({ MAP_BASEMAP: 'pmtiles' })).toEqual([
      'MAP_BASEMAP=pmtiles needs MAP_PMTILES_FILE (the .pmtiles file to serve)',
    ]);
    expect(configError({ MAP_BASEMAP: 'pmtiles', MAP_PMTILES_FILE: '/nonexistent/city.pmtiles' })).toEqual([
      'MAP_PMTILES_FILE /nonexistent/city.pmtiles is not a readable file',
    ]);
    expect(configError({ MAP_BASEMAP_CRS: 'bd09', MAP_CENTER: '117', MAP_ZOOM: '30' })).toHaveLength(3);
  });

  it('describe 天地图-style XYZ tiles with their subdomains spread, drawn bottom to top', async () => {
    const key = 'tk=0123456789abcdef';
    const map = await loadMapConfig(
      loadConfig({
        MAP_BASEMAP: 'xyz',
        MAP_XYZ_URLS: `https://t{s}.tianditu.gov.cn/vec_w/wmts?TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&${key} https://t{s}.tianditu.gov.cn/cva_w/wmts?TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&${key}`,
        MAP_XYZ_SUBDOMAINS: '0,1,2',
        MAP_ATTRIBUTION: '© 天地图',
        MAP_CENTER: '120.38,36.07',
        MAP_ZOOM: '12.5',
      }),
    );
    expect(map.basemap).toMatchObject({ kind: 'xyz', maxZoom: 18 });
    const layers = (map.basemap as { layers: string[][] }).layers;
    expect(layers).toHaveLength(2);
    expect(layers[0]).toEqual(
      [0, 1, 2].map((s) => `https://t${s}.tianditu.gov.cn/vec_w/wmts?TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&${key}`),
    );
    expect(layers[1]![0]).toContain('cva_w');
    expect(map).toMatchObject({ attribution: '© 天地图', center: [120.38, 36.07], zoom: 12.5 });
    expect(expandSubdomains('https://a.example.cn/{z}/{x}/{y}.png', ['0', '1'])).toEqual([
      'https://a.example.cn/{z}/{x}/{y}.png',
    ]);
  });

  it('read a PMTiles file’s header at start: raster tiles, zooms and bounds', async () => {
    const file = await tempFile(
      'old-town.pmtiles',
      rasterPmtiles({ bounds: OLD_TOWN, minZoom: 12, maxZoom: 14, tile: () => solidPng([200, 230, 200], 8) }),
    );
    const map = await loadMapConfig(
      loadConfig({ MAP_BASEMAP: 'pmtiles', MAP_PMTILES_FILE: file, MAP_BASEMAP_CRS: 'gcj02' }),
    );
    expect(map.crs).toBe('gcj02');
    expect(map.basemap).toMatchObject({
      kind: 'pmtiles',
      url: '/api/map/basemap.pmtiles',
      tileType: 'raster',
      minZoom: 12,
      maxZoom: 14,
      layers: [],
    });
    const bounds = (map.basemap as { bounds: number[] }).bounds;
    bounds.forEach((b, i) => expect(b).toBeCloseTo(OLD_TOWN[i]!, 6));
  });

  it('refuse a file that is not PMTiles v3 at start, saying which file', async () => {
    const file = await tempFile('not.pmtiles', 'PK\u0003\u0004 a zip file');
    await expect(loadMapConfig(loadConfig({ MAP_BASEMAP: 'pmtiles', MAP_PMTILES_FILE: file }))).rejects.toThrow(
      `MAP_PMTILES_FILE ${file}: not a PMTiles file`,
    );
    const v2 = Buffer.alloc(127);
    v2.write('PMTiles', 'latin1');
    v2[7] = 2;
    expect(() => parsePmtilesHeader(v2)).toThrow('PMTiles version 2 is not supported');
  });

  it('draw a vector PMTiles file with the OpenMapTiles basic style by default, on our source and our one font', async () => {
    const header = Buffer.from(
      rasterPmtiles({ bounds: OLD_TOWN, minZoom: 12, maxZoom: 12, tile: () => solidPng([0, 0, 0], 8) }),
    );
    header[99] = 1; // MVT
    const file = await tempFile('vector.pmtiles', header);
    const map = await loadMapConfig(loadConfig({ MAP_BASEMAP: 'pmtiles', MAP_PMTILES_FILE: file }));
    const basemap = map.basemap as { tileType: string; layers: Record<string, unknown>[] };
    expect(basemap.tileType).toBe('vector');
    expect(basemap.layers.length).toBeGreaterThan(20);
    expect(basemap.layers.find((l) => l.type === 'background')).toBeDefined();
    for (const layer of basemap.layers) {
      expect(String(layer.id)).toMatch(/^basemap-/);
      if (layer.type !== 'background') expect(layer.source).toBe('basemap');
      const font = (layer.layout as Record<string, unknown> | undefined)?.['text-font'];
      if (font) expect(font).toEqual(['Noto Sans Regular']);
    }
  });

  it('take a custom style’s layers, refusing one that cannot be drawn from one file', () => {
    const layers = basemapLayers({
      sources: { city: { type: 'vector' }, hillshade: { type: 'raster' } },
      layers: [
        { id: 'bg', type: 'background' },
        { id: 'roads', type: 'line', source: 'city', 'source-layer': 'roads' },
        { id: 'relief', type: 'raster', source: 'hillshade' },
      ],
    });
    expect(layers.map((l) => [l.id, l.source])).toEqual([
      ['basemap-bg', undefined],
      ['basemap-roads', 'basemap'],
    ]);
    expect(() => basemapLayers({ sources: {}, layers: [] })).toThrow('exactly one vector source, it has 0');
    expect(() => basemapLayers({ sources: { a: { type: 'vector' } } })).toThrow('no "layers" array');
  });
});
