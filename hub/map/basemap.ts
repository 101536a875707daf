// 底图配置 the map's basemap as the web app needs it: the offline style, a self-hosted PMTiles file (its header read once
// at start, so a wrong file fails the start instead of every browser), or XYZ raster tiles such as 天地图 — and the datum
// of the tiles, since a GCJ-02 basemap (高德, 腾讯) needs everything we draw in WGS-84 shifted onto it.
import { open, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { HubConfig, MapCrs } from '../config.js';

/** Where the hub serves the PMTiles file (HTTP range requests). */
export const PMTILES_PATH = '/api/map/basemap.pmtiles';

/** The only font stack the hub serves glyphs for (hub/http/web.ts); every basemap label is drawn with it. */
const FONT_STACK = ['Noto Sans Regular'];

const require = createRequire(import.meta.url);
const OPENMAPTILES_BASIC_STYLE = path.join(
  path.dirname(require.resolve('tileserver-gl-styles/package.json')),
  'styles',
  'basic-preview',
  'style.json',
);

/** A MapLibre style layer, kept opaque: the hub only re-points its source and font. */
export type StyleLayer = Record<string, unknown> & { id: string; type: string };

export type Basemap =
  | { kind: 'offline' }
  | {
      kind: 'pmtiles';
      url: string;
      tileType: 'raster' | 'vector';
      minZoom: number;
      maxZoom: number;
      /** [west, south, east, north] of the file's tiles. */
      bounds: [number, number, number, number];
      /** For a vector file: the layers that draw it, all on the source `basemap`. Empty for raster. */
      layers: StyleLayer[];
    }
  | {
      kind: 'xyz';
      /** One entry per tile layer, bottom to top; each lists the URLs of its tiles ({s} expanded). */
      layers: string[][];
      maxZoom: number;
    };

/** GET /api/map/config: everything the map needs before it draws anything. */
export interface MapConfig {
  basemap: Basemap;
  crs: MapCrs;
  attribution: string | null;
  center: [lon: number, lat: number];
  zoom: number;
}

export class BasemapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BasemapError';
  }
}

/** PMTiles v3 header fields the map needs (https://github.com/protomaps/PMTiles/blob/main/spec/v3/spec.md). */
export interface PmtilesHeader {
  tileType: number;
  minZoom: number;
  maxZoom: number;
  bounds: [number, number, number, number];
}

const PMTILES_HEADER_BYTES = 127;
const TILE_TYPE_MVT = 1;
const RASTER_TILE_TYPES = new Set([2, 3, 4, 5]); // png, jpeg, webp, avif

export function parsePmtilesHeader(bytes: Uint8Array): PmtilesHeader {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < PMTILES_HEADER_BYTES || buf.toString('latin1', 0, 7) !== 'PMTiles') {
    throw new BasemapError('not a PMTiles file (no "PMTiles" magic at the start)');
  }
  if (buf[7] !== 3) throw new BasemapError(`PMTiles version ${buf[7]} is not supported; convert it to version 3`);
  const e7 = (offset: number) => buf.readInt32LE(offset) / 1e7;
  return {
    tileType: buf[99]!,
    minZoom: buf[100]!,
    maxZoom: buf[101]!,
    bounds: [e7(102), e7(106), e7(110), e7(114)],
  };
}

async function readHeader(file: string): Promise<PmtilesHeader> {
  const handle = await open(file, 'r');
  try {
    const bytes = new Uint8Array(PMTILES_HEADER_BYTES);
    const { bytesRead } = await handle.read(bytes, 0, PMTILES_HEADER_BYTES, 0);
    return parsePmtilesHeader(bytes.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

/**
 * The layers of a style, re-pointed at our one vector source `basemap` and our one font stack. A style with several
 * vector sources cannot be drawn from one file, so it is refused rather than half drawn.
 */
export function basemapLayers(style: unknown): StyleLayer[] {
  const s = style as { sources?: Record<string, { type?: string }>; layers?: unknown };
  if (typeof s !== 'object' || s === null || !Array.isArray(s.layers)) {
    throw new BasemapError('the style has no "layers" array');
  }
  const vectorSources = Object.entries(s.sources ?? {}).filter(([, src]) => src?.type === 'vector');
  if (vectorSources.length !== 1) {
    throw new BasemapError(`the style must have exactly one vector source, it has ${vectorSources.length}`);
  }
  const [sourceId] = vectorSources[0]!;
  const layers: StyleLayer[] = [];
  for (const raw of s.layers as unknown[]) {
    const layer = raw as StyleLayer;
    if (typeof layer?.id !== 'string' || typeof layer.type !== 'string') {
      throw new BasemapError('every style layer needs a string id and type');
    }
    if (layer.type !== 'background' && layer.source !== sourceId) continue; // raster/geojson extras of the style
    const copy: StyleLayer = { ...layer, id: `basemap-${layer.id}` };
    if (layer.type !== 'background') copy.source = 'basemap';
    const layout = layer.layout as Record<string, unknown> | undefined;
    if (layout && 'text-font' in layout) copy.layout = { ...layout, 'text-font': FONT_STACK };
    layers.push(copy);
  }
  return layers;
}

/** `{s}` expanded over the subdomains: MapLibre spreads tile requests over the list. */
export function expandSubdomains(template: string, subdomains: readonly string[]): string[] {
  if (!template.includes('{s}')) return [template];
  return subdomains.map((s) => template.replaceAll('{s}', s));
}

/** Builds the map configuration from the hub's settings (reads the PMTiles header and the style once). */
export async function loadMapConfig(config: HubConfig): Promise<MapConfig> {
  const common = {
    crs: config.mapBasemapCrs,
    attribution: config.mapAttribution ?? null,
    center: [config.mapCenter[0], config.mapCenter[1]] as [number, number],
    zoom: config.mapZoom,
  };
  if (config.mapBasemap === 'xyz') {
    return {
      ...common,
      basemap: {
        kind: 'xyz',
        layers: config.mapXyzUrls.map((u) => expandSubdomains(u, config.mapXyzSubdomains)),
        maxZoom: config.mapXyzMaxZoom,
      },
    };
  }
  if (config.mapBasemap === 'pmtiles') {
    const file = config.mapPmtilesFile!;
    const header = await readHeader(file).catch((err: Error) => {
      throw new BasemapError(`MAP_PMTILES_FILE ${file}: ${err.message}`);
    });
    let tileType: 'raster' | 'vector';
    if (header.tileType === TILE_TYPE_MVT) tileType = 'vector';
    else if (RASTER_TILE_TYPES.has(header.tileType)) tileType = 'raster';
    else
      throw new BasemapError(
        `MAP_PMTILES_FILE ${file}: tile type ${header.tileType} cannot be drawn (use MVT or images)`,
      );
    let layers: StyleLayer[] = [];
    if (tileType === 'vector') {
      const styleFile = config.mapPmtilesStyle ?? OPENMAPTILES_BASIC_STYLE;
      try {
        layers = basemapLayers(JSON.parse(await readFile(styleFile, 'utf8')));
      } catch (err) {
        throw new BasemapError(`MAP_PMTILES_STYLE ${styleFile}: ${(err as Error).message}`);
      }
    }
    return {
      ...common,
      basemap: {
        kind: 'pmtiles',
        url: PMTILES_PATH,
        tileType,
        minZoom: header.minZoom,
        maxZoom: header.maxZoom,
        bounds: header.bounds,
        layers,
      },
    };
  }
  return { ...common, basemap: { kind: 'offline' } };
}
