// 网格与部件接口 unit grid and component inventory API: the areas and components as GeoJSON for the map, point → cell
// lookup (地理编码), and for admins the GeoJSON / CSV imports and the demo grid.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { AREA_LIMITS, AreaStore, type Area } from '../geo/areas.js';
import { AREA_LEVELS, type AreaLevel } from '../geo/codes.js';
import { generateDemoGrid } from '../geo/demo-grid.js';
import { GeoError } from '../geo/errors.js';
import type { GridGeocoder } from '../geo/geocoder.js';
import type { BBox } from '../geo/geometry.js';
import {
  COMPONENT_CSV_COLUMNS,
  COMPONENT_LIMITS,
  COMPONENT_STATUSES,
  type Component,
  type ComponentInventory,
} from '../geo/inventory.js';
import { contentType } from './content-type.js';
import { requireRoles, type Authenticator } from './guard.js';
import {
  errorsMember,
  handleDomainErrors,
  problemResponses,
  problemSchema,
  sendProblem,
  type ProblemTable,
} from './problem.js';
import { useStrictValidation } from './validation.js';

export interface GeoRoutesOptions {
  pool: pg.Pool;
  /** Reloaded by the routes after every area import. */
  geocoder: GridGeocoder;
  inventory: ComponentInventory;
  auth: Authenticator;
}

/** A city's grid as GeoJSON: tens of thousands of cells with 5-vertex boundaries fit well inside. */
export const GEOJSON_BODY_LIMIT = 64 * 1024 * 1024;

const tags = ['geo'];

const BBOX_PATTERN = '^\\s*-?\\d+(\\.\\d+)?\\s*(,\\s*-?\\d+(\\.\\d+)?\\s*){3}$';
const BBoxParam = Type.String({
  pattern: BBOX_PATTERN,
  description: 'minLon,minLat,maxLon,maxLat (WGS-84 degrees): things whose extent intersects it',
  examples: ['117.01,36.66,117.02,36.67'],
});
const LevelSchema = Type.Unsafe<AreaLevel>({
  type: 'string',
  enum: [...AREA_LEVELS],
  description: 'district 区 (6 digits), street 街道 (9), community 社区 (12), cell 单元网格 (15)',
});
const AreaCodeSchema = Type.String({
  pattern: '^[0-9]{6}([0-9]{3}){0,3}$',
  description: 'Area code, 6/9/12/15 digits',
});
const GeometrySchema = Type.Object(
  { type: Type.String(), coordinates: Type.Unknown() },
  { additionalProperties: false, description: 'GeoJSON geometry (WGS-84)' },
);
const BBoxArray = Type.Array(Type.Number(), {
  minItems: 4,
  maxItems: 4,
  description: '[minLon, minLat, maxLon, maxLat]',
});

const AreaProperties = Type.Object(
  {
    code: Type.String(),
    level: LevelSchema,
    name: Type.String(),
    parentCode: Type.Unsafe<string | null>({ type: ['string', 'null'] }),
    areaM2: Type.Number({ description: 'Area on the sphere, m²' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);
const AreaFeature = Type.Object(
  {
    type: Type.Literal('Feature'),
    id: Type.String(),
    bbox: BBoxArray,
    properties: AreaProperties,
    geometry: GeometrySchema,
  },
  { additionalProperties: false },
);

const ComponentFeature = Type.Object(
  {
    type: Type.Literal('Feature'),
    id: Type.String(),
    properties: Type.Object(
      {
        id: Type.String({ description: '16 digits: admin code (6) + class code (4) + serial (6)' }),
        classCode: Type.String(),
        name: Type.String(),
        cellCode: Type.Unsafe<string | null>({ type: ['string', 'null'] }),
        owner: Type.Unsafe<string | null>({ type: ['string', 'null'] }),
        maintainer: Type.Unsafe<string | null>({ type: ['string', 'null'] }),
        status: Type.Unsafe<string>({ type: 'string', enum: [...COMPONENT_STATUSES] }),
        attributes: Type.Object({}, { additionalProperties: true }),
        updatedAt: Type.String({ format: 'date-time' }),
      },
      { additionalProperties: false },
    ),
    geometry: GeometrySchema,
  },
  { additionalProperties: false },
);

const collection = <T extends ReturnType<typeof Type.Object>>(feature: T) =>
  Type.Object(
    {
      type: Type.Literal('FeatureCollection'),
      features: Type.Array(feature),
      truncated: Type.Boolean({ description: 'More matched than `limit`; zoom in or narrow the query' }),
    },
    { additionalProperties: false },
  );

const ImportIssueSchema = Type.Object(
  {
    index: Type.Optional(Type.Integer({ description: 'Feature of the collection, 0-based' })),
    row: Type.Optional(Type.Integer({ description: 'CSV row, the header being row 1' })),
    code: Type.Optional(Type.String()),
    id: Type.Optional(Type.String()),
    message: Type.String(),
  },
  { additionalProperties: false },
);

const problems = problemResponses(problemSchema(ImportIssueSchema));

const ByLevel = Type.Object(
  { district: Type.Integer(), street: Type.Integer(), community: Type.Integer(), cell: Type.Integer() },
  { additionalProperties: false },
);
const AreaImportResult = Type.Object(
  {
    created: Type.Integer(),
    updated: Type.Integer(),
    byLevel: ByLevel,
    cellsLoaded: Type.Integer({ description: 'Cells in the geocoder after the import' }),
    componentsRelocated: Type.Integer({ description: 'Components whose cell changed with the new grid' }),
  },
  { additionalProperties: false },
);

// Loose on purpose: the stores check each feature and answer with an error per feature, which a schema cannot.
const FeatureCollectionBody = Type.Object(
  { type: Type.Literal('FeatureCollection'), features: Type.Array(Type.Unknown(), { minItems: 1 }) },
  { additionalProperties: true, description: 'A GeoJSON FeatureCollection' },
);

const AreasQuery = Type.Object(
  {
    level: Type.Optional(LevelSchema),
    bbox: Type.Optional(BBoxParam),
    limit: Type.Integer({ minimum: 1, maximum: AREA_LIMITS.listMax, default: AREA_LIMITS.listDefault }),
  },
  { additionalProperties: false },
);
const LocateQuery = Type.Object(
  {
    lon: Type.Number({ minimum: -180, maximum: 180 }),
    lat: Type.Number({ minimum: -90, maximum: 90 }),
  },
  { additionalProperties: false },
);
const ComponentsQuery = Type.Object(
  {
    bbox: Type.Optional(BBoxParam),
    class: Type.Optional(Type.String({ pattern: '^[0-9]{4}$', description: 'Class code, 4 digits' })),
    cell: Type.Optional(Type.String({ pattern: '^[0-9]{15}$', description: 'Unit grid cell code, 15 digits' })),
    limit: Type.Integer({ minimum: 1, maximum: COMPONENT_LIMITS.listMax, default: COMPONENT_LIMITS.listDefault }),
  },
  { additionalProperties: false },
);

const PROBLEM_OF: ProblemTable<GeoError> = {
  InvalidAreaImport: { status: 400, type: 'urn:cityhub:problem:invalid-import', title: 'Bad Request' },
  InvalidComponentImport: { status: 400, type: 'urn:cityhub:problem:invalid-import', title: 'Bad Request' },
  InvalidQuery: { status: 400, type: 'urn:cityhub:problem:validation', title: 'Bad Request' },
  AreaNotFound: { status: 404, type: 'urn:cityhub:problem:area-not-found', title: 'Not Found' },
};

function parseBBox(text: string): BBox {
  const [minLon, minLat, maxLon, maxLat] = text.split(',').map(Number) as [number, number, number, number];
  if (minLon > maxLon || minLat > maxLat) {
    throw new GeoError('InvalidQuery', `bbox ${text}: minLon must be ≤ maxLon and minLat ≤ maxLat`);
  }
  if (Math.abs(minLon) > 180 || Math.abs(maxLon) > 180 || Math.abs(minLat) > 90 || Math.abs(maxLat) > 90) {
    throw new GeoError('InvalidQuery', `bbox ${text}: longitudes must be within ±180 and latitudes within ±90`);
  }
  return { minLon, minLat, maxLon, maxLat };
}

const areaFeature = (a: Area) => ({
  type: 'Feature' as const,
  id: a.code,
  bbox: [a.bbox.minLon, a.bbox.minLat, a.bbox.maxLon, a.bbox.maxLat],
  properties: {
    code: a.code,
    level: a.level,
    name: a.name,
    parentCode: a.parentCode,
    areaM2: a.areaM2,
    updatedAt: a.updatedAt.toISOString(),
  },
  geometry: a.geometry,
});

const componentFeature = (c: Component) => ({
  type: 'Feature' as const,
  id: c.id,
  properties: {
    id: c.id,
    classCode: c.classCode,
    name: c.name,
    cellCode: c.cellCode,
    owner: c.owner,
    maintainer: c.maintainer,
    status: c.status,
    attributes: c.attributes,
    updatedAt: c.updatedAt.toISOString(),
  },
  geometry: { type: 'Point', coordinates: [c.lon, c.lat] },
});

export async function geoRoutes(app: FastifyInstance, opts: GeoRoutesOptions): Promise<void> {
  const { geocoder, inventory, auth } = opts;
  const areas = new AreaStore(opts.pool);
  const anyone = requireRoles(auth);
  const admin = requireRoles(auth, ['admin']);
  // This process's geocoder and the stored components follow a new grid at once (other hub processes: on restart).
  const afterGridChange = async () => {
    const { cells } = await geocoder.reload();
    const { changed } = await inventory.relocate();
    return { cellsLoaded: cells, componentsRelocated: changed };
  };

  useStrictValidation(app);
  handleDomainErrors(app, [GeoError], PROBLEM_OF, (error) => errorsMember(error.errors));

  // GeoJSON's own media type is JSON too; CSV arrives as text (UTF-8, a byte order mark is dropped by the importer).
  app.addContentTypeParser(
    'application/geo+json',
    { parseAs: 'string', bodyLimit: GEOJSON_BODY_LIMIT },
    app.getDefaultJsonParser('error', 'error'),
  );
  app.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: GEOJSON_BODY_LIMIT }, (_request, body, done) =>
    done(null, body),
  );

  app.get<{ Querystring: Static<typeof AreasQuery> }>(
    '/api/geo/areas',
    {
      onRequest: anyone,
      schema: {
        summary: 'Areas as a GeoJSON FeatureCollection for the map, ordered by code',
        tags,
        querystring: AreasQuery,
        response: { 200: collection(AreaFeature), ...problems(400, 401) },
      },
    },
    async (request) => {
      const { level, bbox, limit } = request.query;
      const result = await areas.list({
        ...(level ? { level } : {}),
        ...(bbox ? { bbox: parseBBox(bbox) } : {}),
        limit,
      });
      return { type: 'FeatureCollection', features: result.areas.map(areaFeature), truncated: result.truncated };
    },
  );

  app.get<{ Params: { code: string } }>(
    '/api/geo/areas/:code',
    {
      onRequest: anyone,
      schema: {
        summary: 'One area (district, street, community or cell) as a GeoJSON Feature',
        tags,
        params: Type.Object({ code: AreaCodeSchema }),
        response: { 200: AreaFeature, ...problems(400, 401, 404) },
      },
    },
    async (request) => {
      const area = await areas.get(request.params.code);
      if (!area) throw new GeoError('AreaNotFound', `no area has the code ${request.params.code}`);
      return areaFeature(area);
    },
  );

  app.get<{ Querystring: Static<typeof LocateQuery> }>(
    '/api/geo/locate',
    {
      onRequest: anyone,
      schema: {
        summary: 'The unit grid cell containing a point, with its community, street and district (地理编码)',
        tags,
        querystring: LocateQuery,
        response: {
          200: Type.Object(
            {
              cell: Type.String(),
              community: Type.String(),
              street: Type.String(),
              district: Type.String(),
              names: Type.Object(
                {
                  cell: Type.Unsafe<string | null>({ type: ['string', 'null'] }),
                  community: Type.Unsafe<string | null>({ type: ['string', 'null'] }),
                  street: Type.Unsafe<string | null>({ type: ['string', 'null'] }),
                  district: Type.Unsafe<string | null>({ type: ['string', 'null'] }),
                },
                { additionalProperties: false },
              ),
            },
            { additionalProperties: false },
          ),
          ...problems(400, 401, 404),
        },
      },
    },
    async (request, reply) => {
      const { lon, lat } = request.query;
      const codes = geocoder.locate(lon, lat);
      if (!codes) {
        return sendProblem(reply, {
          type: 'urn:cityhub:problem:outside-grid',
          title: 'Not Found',
          status: 404,
          detail:
            geocoder.cellCount === 0
              ? 'no unit grid is loaded: import one (POST /api/geo/areas) or the demo grid (POST /api/geo/demo-grid)'
              : `(${lon}, ${lat}) lies outside every unit grid cell (lon first, then lat, WGS-84)`,
          instance: request.url,
        });
      }
      const name = (code: string) => geocoder.nameOf(code);
      return {
        ...codes,
        names: {
          cell: name(codes.cell),
          community: name(codes.community),
          street: name(codes.street),
          district: name(codes.district),
        },
      };
    },
  );

  app.get<{ Querystring: Static<typeof ComponentsQuery> }>(
    '/api/geo/components',
    {
      onRequest: anyone,
      schema: {
        summary: 'Components (部件) as a GeoJSON FeatureCollection of points, ordered by id',
        tags,
        querystring: ComponentsQuery,
        response: { 200: collection(ComponentFeature), ...problems(400, 401) },
      },
    },
    async (request) => {
      const { bbox, class: classCode, cell, limit } = request.query;
      const result = await inventory.list({
        ...(bbox ? { bbox: parseBBox(bbox) } : {}),
        ...(classCode ? { classCode } : {}),
        ...(cell ? { cellCode: cell } : {}),
        limit,
      });
      return {
        type: 'FeatureCollection',
        features: result.components.map(componentFeature),
        truncated: result.truncated,
      };
    },
  );

  app.post<{ Body: Static<typeof FeatureCollectionBody> }>(
    '/api/geo/areas',
    {
      onRequest: admin,
      bodyLimit: GEOJSON_BODY_LIMIT,
      schema: {
        summary: 'Import districts, streets, communities and grid cells (GeoJSON); all or nothing, upsert by code',
        description:
          'Each feature: a Polygon or MultiPolygon with `properties.code` (6 digits district, 9 street, 12 community, ' +
          '15 cell; the level follows from the length, `properties.level` may repeat it) and `properties.name`. A ' +
          "feature's parent (its code without the last 3 digits) must be in the file or already stored. Any error " +
          'refuses the whole file and lists every feature at fault (0-based `index`).',
        tags,
        consumes: ['application/json', 'application/geo+json'],
        body: FeatureCollectionBody,
        response: { 200: AreaImportResult, ...problems(400, 401, 403, 413) },
      },
    },
    async (request) => {
      const report = await areas.importGeoJson(request.body);
      return { ...report, ...(await afterGridChange()) };
    },
  );

  app.post<{ Body: Static<typeof FeatureCollectionBody> | string }>(
    '/api/geo/components',
    {
      onRequest: admin,
      bodyLimit: GEOJSON_BODY_LIMIT,
      schema: {
        summary: 'Import the component inventory (部件普查) from GeoJSON points or CSV; all or nothing, upsert by id',
        description:
          'GeoJSON: Point features with properties id, classCode, name, owner, maintainer, status, attributes (other ' +
          `properties are kept in attributes). CSV (text/csv, UTF-8): header ${COMPONENT_CSV_COLUMNS.join(',')} ` +
          '(id, classCode, name, lon, lat required). The id is 16 digits: admin code (6) + class code (4, equal to ' +
          `classCode) + serial (6); the class must be a component class of the catalogue; status one of ` +
          `${COMPONENT_STATUSES.join(', ')} (default normal). A point outside every cell is stored without a cell ` +
          'and reported as a warning.',
        tags,
        body: {
          content: {
            'application/json': { schema: FeatureCollectionBody },
            'application/geo+json': { schema: FeatureCollectionBody },
            'text/csv': { schema: Type.String({ description: 'The CSV file' }) },
          },
        },
        response: {
          200: Type.Object(
            { created: Type.Integer(), updated: Type.Integer(), warnings: Type.Array(ImportIssueSchema) },
            { additionalProperties: false },
          ),
          ...problems(400, 401, 403, 413, 415),
        },
      },
    },
    async (request) =>
      contentType(request).media === 'text/csv'
        ? inventory.importCsv(request.body as string)
        : inventory.importGeoJson(request.body),
  );

  app.post(
    '/api/geo/demo-grid',
    {
      onRequest: admin,
      schema: {
        summary: 'Generate the demo grid (~100 m cells over the Jinan old town, coded 370102…) and import it',
        description: 'Upserts, so running it twice changes nothing; see hub/geo/data/demo-area.json for the area.',
        tags,
        response: { 200: AreaImportResult, ...problems(401, 403) },
      },
    },
    async () => {
      const report = await areas.importGeoJson(generateDemoGrid());
      return { ...report, ...(await afterGridChange()) };
    },
  );
}
