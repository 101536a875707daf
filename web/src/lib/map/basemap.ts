// 底图 the basemap the hub is configured with (GET /api/map/config): the offline style by default — nothing leaves the
// hub — or a self-hosted PMTiles file read through the `pmtiles` protocol, or XYZ raster tiles (e.g. 天地图), with the
// datum of the tiles. Builds the MapLibre style that every layer of ours is added on top of.
import { addProtocol, type LayerSpecification, type StyleSpecification } from 'maplibre-gl';
import { Protocol } from 'pmtiles';
import { createBaseStyle, INITIAL_VIEW } from './base-style';
import type { Basemap as HubBasemap, MapConfig as HubMapConfig } from '../../../../hub/map/basemap.js';
import type { LonLat } from './datum';

type HubPmtiles = Extract<HubBasemap, { kind: 'pmtiles' }>;

/** The hub's basemap (hub/map/basemap.ts), its vector layers typed as the MapLibre layers they are. */
export type Basemap = Exclude<HubBasemap, HubPmtiles> | (Omit<HubPmtiles, 'layers'> & { layers: LayerSpecification[] });

/** GET /api/map/config as `parseMapConfig` checked it. */
export type MapConfig = Omit<HubMapConfig, 'basemap'> & { basemap: Basemap };

/** What the map falls back to when the hub cannot be asked: the offline style over Jinan's old town. */
export const OFFLINE_CONFIG: MapConfig = {
  basemap: { kind: 'offline' },
  crs: 'wgs84',
  attribution: null,
  center: INITIAL_VIEW.center as LonLat,
  zoom: INITIAL_VIEW.zoom,
};

type UnknownRecord = Record<string, unknown>;
const isRecord = (v: unknown): v is UnknownRecord => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseBasemap(v: unknown): Basemap {
  if (!isRecord(v)) throw new Error('basemap missing');
  if (v.kind === 'offline') return { kind: 'offline' };
  if (v.kind === 'pmtiles' && typeof v.url === 'string' && (v.tileType === 'raster' || v.tileType === 'vector')) {
    const bounds =
      Array.isArray(v.bounds) && v.bounds.length === 4
        ? (v.bounds as [number, number, number, number])
        : [-180, -85, 180, 85];
    return {
      kind: 'pmtiles',
      url: v.url,
      tileType: v.tileType,
      minZoom: typeof v.minZoom === 'number' ? v.minZoom : 0,
      maxZoom: typeof v.maxZoom === 'number' ? v.maxZoom : 14,
      bounds: bounds as [number, number, number, number],
      layers: Array.isArray(v.layers) ? (v.layers as LayerSpecification[]) : [],
    };
  }
  if (v.kind === 'xyz' && Array.isArray(v.layers)) {
    const layers = (v.layers as unknown[]).filter(
      (l): l is string[] => Array.isArray(l) && l.length > 0 && l.every((u) => typeof u === 'string'),
    );
    if (layers.length === 0) throw new Error('xyz basemap without tile URLs');
    return { kind: 'xyz', layers, maxZoom: typeof v.maxZoom === 'number' ? v.maxZoom : 18 };
  }
  throw new Error(`unknown basemap ${String(v.kind)}`);
}

export function parseMapConfig(body: unknown): MapConfig {
  if (!isRecord(body)) throw new Error('the map configuration is not an object');
  const center =
    Array.isArray(body.center) && body.center.length === 2 ? (body.center as LonLat) : OFFLINE_CONFIG.center;
  return {
    basemap: parseBasemap(body.basemap),
    crs: body.crs === 'gcj02' ? 'gcj02' : 'wgs84',
    attribution: typeof body.attribution === 'string' && body.attribution !== '' ? body.attribution : null,
    center,
    zoom: typeof body.zoom === 'number' ? body.zoom : OFFLINE_CONFIG.zoom,
  };
}

export async function fetchMapConfig(signal?: AbortSignal): Promise<MapConfig> {
  const response = await fetch('/api/map/config', {
    signal,
    cache: 'no-store',
    headers: { accept: 'application/json' },
  });
  if (!response.ok) throw new Error(`GET /api/map/config failed: ${response.status} ${response.statusText}`);
  return parseMapConfig(await response.json());
}

let pmtilesRegistered = false;

/** The `pmtiles://` protocol, registered once per page: MapLibre then reads tiles from the file by range requests. */
function registerPmtiles(): void {
  if (pmtilesRegistered) return;
  addProtocol('pmtiles', new Protocol().tile);
  pmtilesRegistered = true;
}

/**
 * The style for a configuration. `origin` is the page's origin: MapLibre wants absolute URLs for glyphs and for the
 * PMTiles file.
 */
export function createStyle(config: MapConfig, origin: string): StyleSpecification {
  const offline = createBaseStyle(origin);
  const { basemap } = config;
  if (basemap.kind === 'offline') return offline;
  const background = offline.layers.filter((l) => l.type === 'background');
  if (basemap.kind === 'xyz') {
    const sources: StyleSpecification['sources'] = {};
    const layers: LayerSpecification[] = [...background];
    basemap.layers.forEach((tiles, i) => {
      sources[`basemap-${i}`] = {
        type: 'raster',
        tiles,
        tileSize: 256,
        maxzoom: basemap.maxZoom,
        ...(config.attribution && i === 0 ? { attribution: config.attribution } : {}),
      };
      layers.push({ id: `basemap-${i}`, type: 'raster', source: `basemap-${i}` });
    });
    return { version: 8, name: 'cityhub-xyz', glyphs: offline.glyphs, sources, layers };
  }
  registerPmtiles();
  const url = `pmtiles://${origin}${basemap.url}`;
  const source =
    basemap.tileType === 'raster' ? { type: 'raster' as const, url, tileSize: 256 } : { type: 'vector' as const, url };
  const layers: LayerSpecification[] =
    basemap.tileType === 'raster'
      ? [...background, { id: 'basemap', type: 'raster', source: 'basemap' }]
      : basemap.layers.some((l) => l.type === 'background')
        ? basemap.layers
        : [...background, ...basemap.layers];
  return {
    version: 8,
    name: 'cityhub-pmtiles',
    glyphs: offline.glyphs,
    sources: { basemap: { ...source, ...(config.attribution ? { attribution: config.attribution } : {}) } },
    layers,
  };
}
