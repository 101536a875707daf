// 地图配置接口 the map's configuration for the web app (basemap, datum, where to open) and the self-hosted PMTiles file,
// served with HTTP range requests as the `pmtiles` protocol reads it. Public: the map itself needs no login.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { PMTILES_PATH, type MapConfig } from '../map/basemap.js';
import { problemResponses, problemSchema, sendProblem } from './problem.js';

export interface MapRoutesOptions {
  map: MapConfig;
  /** The PMTiles file behind PMTILES_PATH; undefined unless the basemap is `pmtiles`. */
  pmtilesFile: string | undefined;
}

const tags = ['map'];
const problems = problemResponses(problemSchema());

const Bytes = Type.String({ format: 'binary', description: 'Bytes of the file (206: the requested range)' });
const MapConfigSchema = Type.Object(
  {
    basemap: Type.Object(
      { kind: Type.Union([Type.Literal('offline'), Type.Literal('pmtiles'), Type.Literal('xyz')]) },
      {
        additionalProperties: true,
        description:
          'offline: the built-in style. pmtiles: { url, tileType (raster | vector), minZoom, maxZoom, bounds, layers ' +
          '(style layers on the source `basemap`, for vector) }. xyz: { layers (per tile layer, its tile URLs), maxZoom }',
      },
    ),
    crs: Type.Union([Type.Literal('wgs84'), Type.Literal('gcj02')], {
      description: 'Datum of the basemap; gcj02: shift WGS-84 data onto it (and clicks back)',
    }),
    attribution: Type.Union([Type.String(), Type.Null()]),
    center: Type.Array(Type.Number(), { minItems: 2, maxItems: 2, description: '[lon, lat] WGS-84' }),
    zoom: Type.Number(),
  },
  { additionalProperties: false },
);

/** `bytes=a-b`, `bytes=a-` or `bytes=-n` (one range: what PMTiles readers send) → [start, end] inclusive. */
export function parseRange(header: string, size: number): [number, number] | 'unsatisfiable' | null {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null; // several ranges or garbage: answer with the whole file
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return [start, end];
}

export async function mapRoutes(app: FastifyInstance, opts: MapRoutesOptions): Promise<void> {
  app.get(
    '/api/map/config',
    {
      schema: {
        summary: "The map's basemap, its datum and the initial view",
        tags,
        response: { 200: MapConfigSchema },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'no-cache');
      return opts.map;
    },
  );

  app.get(
    PMTILES_PATH,
    {
      schema: {
        summary: 'The basemap PMTiles file (MAP_PMTILES_FILE), with HTTP range requests',
        tags,
        response: { 200: Bytes, 206: Bytes, ...problems(404, 416) },
      },
    },
    async (request, reply) => {
      const file = opts.pmtilesFile;
      const info = file ? await stat(file).catch(() => null) : null;
      if (!file || !info) {
        return sendProblem(reply, {
          type: 'about:blank',
          title: 'Not Found',
          status: 404,
          detail: file ? 'the PMTiles file is gone; check MAP_PMTILES_FILE' : 'the basemap is not a PMTiles file',
          instance: request.url,
        });
      }
      // Strong and stable while the file is unchanged: PMTiles readers compare it across requests to notice a swap.
      const etag = `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
      reply
        .header('accept-ranges', 'bytes')
        .header('etag', etag)
        .header('cache-control', 'public, max-age=3600')
        .type('application/vnd.pmtiles');
      const rangeHeader = request.headers.range;
      const range = rangeHeader ? parseRange(rangeHeader, info.size) : null;
      if (range === 'unsatisfiable') {
        reply.header('content-range', `bytes */${info.size}`);
        return sendProblem(reply, {
          type: 'about:blank',
          title: 'Range Not Satisfiable',
          status: 416,
          detail: `the file has ${info.size} bytes`,
          instance: request.url,
        });
      }
      if (!range) return reply.header('content-length', info.size).send(createReadStream(file));
      const [start, end] = range;
      return reply
        .code(206)
        .header('content-range', `bytes ${start}-${end}/${info.size}`)
        .header('content-length', end - start + 1)
        .send(createReadStream(file, { start, end }));
    },
  );
}
