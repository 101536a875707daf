// 区划与网格库 the areas store: districts (区), streets (街道), communities (社区) and unit grid cells (单元网格) with their
// boundaries; all-or-nothing GeoJSON import (upsert by code) with an error per feature, and the queries of the map.
import type pg from 'pg';
import { withTransaction } from '../db/pool.js';
import { CODE_LENGTH, codeProblem, levelOfLength, parentCodeOf, type AreaLevel, AREA_LEVELS } from './codes.js';
import { GeoError, importFailure, type ImportIssue } from './errors.js';
import { geometryAreaM2, geometryBBox, geometryProblem, type AreaGeometry, type BBox } from './geometry.js';

export const AREA_LIMITS = {
  name: 200,
  /** A large city has some tens of thousands of cells; more in one file is a mistake or an attack. */
  features: 200_000,
  listDefault: 5000,
  listMax: 50_000,
} as const;

export interface Area {
  code: string;
  level: AreaLevel;
  name: string;
  parentCode: string | null;
  geometry: AreaGeometry;
  bbox: BBox;
  areaM2: number;
  updatedAt: Date;
}

export interface AreaImportReport {
  created: number;
  updated: number;
  byLevel: Record<AreaLevel, number>;
}

interface ParsedArea {
  /** The feature's place in the file, 0-based. */
  index: number;
  code: string;
  level: AreaLevel;
  name: string;
  parentCode: string | null;
  geometry: AreaGeometry;
  bbox: BBox;
  areaM2: number;
}

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks every feature of a FeatureCollection on its own; parents are checked by the caller against file and DB. */
function parseCollection(input: unknown): { areas: ParsedArea[]; errors: ImportIssue[]; codes: Set<string> } {
  if (!isObject(input) || input.type !== 'FeatureCollection' || !Array.isArray(input.features)) {
    throw new GeoError(
      'InvalidAreaImport',
      'the body must be a GeoJSON FeatureCollection ({"type":"FeatureCollection","features":[…]})',
    );
  }
  const features = input.features as unknown[];
  if (features.length === 0) throw new GeoError('InvalidAreaImport', 'the FeatureCollection has no features');
  if (features.length > AREA_LIMITS.features) {
    throw new GeoError(
      'InvalidAreaImport',
      `the FeatureCollection has ${features.length} features, more than ${AREA_LIMITS.features}; split it by district`,
    );
  }
  const areas: ParsedArea[] = [];
  const errors: ImportIssue[] = [];
  const firstIndexOf = new Map<string, number>();
  features.forEach((feature, index) => {
    const fail = (message: string, code?: string) => errors.push({ index, ...(code ? { code } : {}), message });
    if (!isObject(feature) || feature.type !== 'Feature') return fail('must be a GeoJSON Feature');
    const props = feature.properties;
    if (!isObject(props)) return fail('properties must be an object with code and name');
    // GIS tools often export codes as numbers; a county code never starts with 0, so no digit is lost.
    const rawCode = props.code;
    const code = Number.isSafeInteger(rawCode) ? String(rawCode) : rawCode;
    if (typeof code !== 'string' || code === '') return fail('properties.code is required (6, 9, 12 or 15 digits)');
    const problems: string[] = [];
    const codeIssue = codeProblem(code);
    if (codeIssue) problems.push(codeIssue);
    const level = levelOfLength(code.length);
    if (props.level !== undefined && props.level !== null && level && props.level !== level) {
      problems.push(
        `properties.level is ${JSON.stringify(props.level)} but a ${code.length}-digit code is a ${level} ` +
          `(levels: ${AREA_LEVELS.map((l) => `${l} ${CODE_LENGTH[l]}`).join(', ')})`,
      );
    }
    const name = typeof props.name === 'string' ? props.name.trim() : '';
    if (!name) problems.push('properties.name is required');
    else if (name.length > AREA_LIMITS.name)
      problems.push(`properties.name must be at most ${AREA_LIMITS.name} characters`);
    else if (CONTROL_CHARS.test(name)) problems.push('properties.name must not contain control characters');
    const geometryIssue = geometryProblem(feature.geometry);
    if (geometryIssue) problems.push(geometryIssue);
    const first = firstIndexOf.get(code);
    if (first !== undefined) problems.push(`code ${code} already appears in feature ${first}`);
    else firstIndexOf.set(code, index);
    if (problems.length) {
      for (const message of problems) fail(message, code);
      return;
    }
    const geometry = feature.geometry as AreaGeometry;
    areas.push({
      index,
      code,
      level: level!,
      name,
      parentCode: parentCodeOf(code),
      // Only what GeoJSON defines is kept (foreign members of a GIS export are dropped).
      geometry: { type: geometry.type, coordinates: geometry.coordinates } as AreaGeometry,
      bbox: geometryBBox(geometry),
      areaM2: geometryAreaM2(geometry),
    });
  });
  // Codes of failed features count as present for their children: one error per real cause.
  return { areas, errors, codes: new Set(firstIndexOf.keys()) };
}

interface AreaRow {
  code: string;
  level: AreaLevel;
  name: string;
  parent_code: string | null;
  geometry: AreaGeometry;
  min_lon: number;
  min_lat: number;
  max_lon: number;
  max_lat: number;
  area_m2: number;
  updated_at: Date;
}

const toArea = (r: AreaRow): Area => ({
  code: r.code,
  level: r.level,
  name: r.name,
  parentCode: r.parent_code,
  geometry: r.geometry,
  bbox: { minLon: r.min_lon, minLat: r.min_lat, maxLon: r.max_lon, maxLat: r.max_lat },
  areaM2: r.area_m2,
  updatedAt: r.updated_at,
});

const COLUMNS = 'code, level, name, parent_code, geometry, min_lon, min_lat, max_lon, max_lat, area_m2, updated_at';
const BATCH = 1000;

export interface AreaQuery {
  level?: AreaLevel;
  /** Areas whose bbox intersects this one. */
  bbox?: BBox;
  /** Default 5000, at most 50,000. */
  limit?: number;
}

export class AreaStore {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Imports a GeoJSON FeatureCollection of areas: `properties.code` (its length gives the level; `properties.level`,
   * if given, must agree) and `properties.name`. Every feature is checked (code, name, geometry, a parent in the file
   * or already stored) before anything is written; then all are upserted in one transaction.
   */
  async importGeoJson(input: unknown): Promise<AreaImportReport> {
    const { areas, errors, codes: inFile } = parseCollection(input);
    const wanted = [...new Set(areas.map((a) => a.parentCode).filter((p): p is string => !!p && !inFile.has(p)))];
    const stored = new Set<string>();
    if (wanted.length) {
      const { rows } = await this.pool.query<{ code: string }>('SELECT code FROM areas WHERE code = ANY($1)', [wanted]);
      for (const r of rows) stored.add(r.code);
    }
    for (const a of areas) {
      if (a.parentCode && !inFile.has(a.parentCode) && !stored.has(a.parentCode)) {
        errors.push({
          index: a.index,
          code: a.code,
          message:
            `parent ${levelOfLength(a.parentCode.length)} ${a.parentCode} is neither in the file nor stored; ` +
            'import it first or with this file',
        });
      }
    }
    if (errors.length) {
      errors.sort((x, y) => (x.index ?? 0) - (y.index ?? 0));
      throw importFailure('InvalidAreaImport', 'the area import was refused', errors);
    }

    const byLevel = { district: 0, street: 0, community: 0, cell: 0 };
    for (const a of areas) byLevel[a.level]++;
    // Parents first, so even a non-deferred check would pass; the constraint is deferred anyway.
    areas.sort((x, y) => x.code.length - y.code.length);
    let created = 0;
    await withTransaction(this.pool, async (client) => {
      for (let i = 0; i < areas.length; i += BATCH) {
        const batch = areas.slice(i, i + BATCH);
        const { rows } = await client.query<{ inserted: boolean }>(
          `INSERT INTO areas (code, level, name, parent_code, geometry, min_lon, min_lat, max_lon, max_lat, area_m2)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::float8[], $7::float8[],
                                $8::float8[], $9::float8[], $10::float8[])
           ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, geometry = EXCLUDED.geometry,
             min_lon = EXCLUDED.min_lon, min_lat = EXCLUDED.min_lat, max_lon = EXCLUDED.max_lon,
             max_lat = EXCLUDED.max_lat, area_m2 = EXCLUDED.area_m2, updated_at = now()
           RETURNING (xmax = 0) AS inserted`,
          [
            batch.map((a) => a.code),
            batch.map((a) => a.level),
            batch.map((a) => a.name),
            batch.map((a) => a.parentCode),
            batch.map((a) => JSON.stringify(a.geometry)),
            batch.map((a) => a.bbox.minLon),
            batch.map((a) => a.bbox.minLat),
            batch.map((a) => a.bbox.maxLon),
            batch.map((a) => a.bbox.maxLat),
            batch.map((a) => a.areaM2),
          ],
        );
        created += rows.filter((r) => r.inserted).length;
      }
    });
    return { created, updated: areas.length - created, byLevel };
  }

  async get(code: string): Promise<Area | null> {
    const { rows } = await this.pool.query<AreaRow>(`SELECT ${COLUMNS} FROM areas WHERE code = $1`, [code]);
    return rows[0] ? toArea(rows[0]) : null;
  }

  /** Areas ordered by code; `truncated` when more matched than `limit`. */
  async list(query: AreaQuery = {}): Promise<{ areas: Area[]; truncated: boolean }> {
    const limit = query.limit ?? AREA_LIMITS.listDefault;
    if (!Number.isInteger(limit) || limit < 1 || limit > AREA_LIMITS.listMax) {
      throw new GeoError('InvalidQuery', `limit must be 1–${AREA_LIMITS.listMax}`);
    }
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.level) {
      params.push(query.level);
      where.push(`level = $${params.length}`);
    }
    if (query.bbox) {
      const b = query.bbox;
      params.push(b.minLon, b.maxLon, b.minLat, b.maxLat);
      const n = params.length;
      where.push(`max_lon >= $${n - 3} AND min_lon <= $${n - 2} AND max_lat >= $${n - 1} AND min_lat <= $${n}`);
    }
    params.push(limit + 1);
    const { rows } = await this.pool.query<AreaRow>(
      `SELECT ${COLUMNS} FROM areas ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY code LIMIT $${params.length}`,
      params,
    );
    return { areas: rows.slice(0, limit).map(toArea), truncated: rows.length > limit };
  }

  async count(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM areas');
    return rows[0]!.n;
  }

  /** Every area's name, and the cells with their boundaries: what the geocoder keeps in memory. */
  async loadIndexData(): Promise<{ names: Map<string, string>; cells: { code: string; geometry: AreaGeometry }[] }> {
    const { rows } = await this.pool.query<{ code: string; name: string; geometry: AreaGeometry | null }>(
      `SELECT code, name, CASE WHEN level = 'cell' THEN geometry END AS geometry FROM areas ORDER BY code`,
    );
    return {
      names: new Map(rows.map((r) => [r.code, r.name])),
      cells: rows.filter((r) => r.geometry).map((r) => ({ code: r.code, geometry: r.geometry! })),
    };
  }
}
