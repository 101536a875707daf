// 部件普查 the component inventory: each physical component (manhole cover, street lamp, bin…) with its 16-digit id
// (admin code 6 + class code 4 + serial 6), place, grid cell, owner and state; all-or-nothing import from GeoJSON points
// or CSV with an error per row, and the map's queries.
import type pg from 'pg';
import type { Catalogue, Geocoder } from '../cases/ports.js';
import { withTransaction } from '../db/pool.js';
import { CsvSyntaxError, parseCsv } from '../devices/registry.js';
import { codeProblem } from './codes.js';
import { GeoError, importFailure, type ImportIssue } from './errors.js';
import type { BBox } from './geometry.js';

export const COMPONENT_STATUSES = ['normal', 'damaged', 'missing', 'removed'] as const;
export type ComponentStatus = (typeof COMPONENT_STATUSES)[number];

export const COMPONENT_LIMITS = {
  rows: 100_000,
  text: 200,
  attributesBytes: 16 * 1024,
  listDefault: 5000,
  listMax: 50_000,
} as const;

export interface Component {
  id: string;
  classCode: string;
  name: string;
  lon: number;
  lat: number;
  /** The cell it lay in at import; null outside the grid. */
  cellCode: string | null;
  owner: string | null;
  maintainer: string | null;
  status: ComponentStatus;
  attributes: Record<string, unknown>;
  updatedAt: Date;
}

export interface ComponentImportReport {
  created: number;
  updated: number;
  /** Stored all the same: points outside every cell, ids whose admin code is not the cell's district. */
  warnings: ImportIssue[];
}

export interface ComponentQuery {
  bbox?: BBox;
  classCode?: string;
  cellCode?: string;
  /** Default 5000, at most 50,000. */
  limit?: number;
}

export interface InventoryOptions {
  /** Where classes are looked up (the catalogue module; a fixed list in tests). */
  catalogue: Pick<Catalogue, 'classByCode'>;
  /** Places each component in its cell at import. */
  geocoder: Geocoder;
}

/** The CSV columns; id, classCode, name, lon and lat are required. */
export const COMPONENT_CSV_COLUMNS = [
  'id',
  'classCode',
  'name',
  'lon',
  'lat',
  'owner',
  'maintainer',
  'status',
] as const;
const REQUIRED_CSV: readonly string[] = ['id', 'classCode', 'name', 'lon', 'lat'];
const KNOWN_PROPERTIES = new Set(['id', 'classCode', 'name', 'owner', 'maintainer', 'status', 'attributes']);

/** A row as read from either format, before checking: `at` says where it came from for the error report. */
interface RawComponent {
  at: { index: number } | { row: number };
  id: unknown;
  classCode: unknown;
  name: unknown;
  lon: unknown;
  lat: unknown;
  owner: unknown;
  maintainer: unknown;
  status: unknown;
  attributes: unknown;
}

interface Candidate {
  at: RawComponent['at'];
  id: string;
  classCode: string;
  name: string;
  lon: number;
  lat: number;
  owner: string | null;
  maintainer: string | null;
  status: ComponentStatus;
  attributes: Record<string, unknown>;
}

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function optionalText(value: unknown, field: string, problems: string[]): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') {
    problems.push(`${field} must be text`);
    return null;
  }
  const text = value.trim();
  if (text.length > COMPONENT_LIMITS.text)
    problems.push(`${field} must be at most ${COMPONENT_LIMITS.text} characters`);
  else if (CONTROL_CHARS.test(text)) problems.push(`${field} must not contain control characters`);
  return text || null;
}

/** The row's own problems (everything but the catalogue and the grid). */
function checkRow(raw: RawComponent): { candidate: Candidate | null; problems: string[] } {
  const problems: string[] = [];
  const id = typeof raw.id === 'string' ? raw.id.trim() : '';
  const classCode = typeof raw.classCode === 'string' ? raw.classCode.trim() : '';
  if (!/^\d{4}$/.test(classCode)) problems.push('classCode must be 4 digits (2-digit major + 2-digit minor class)');
  if (!/^\d{16}$/.test(id)) {
    problems.push('id must be 16 digits: admin code (6) + class code (4) + serial (6)');
  } else {
    const adminProblem = codeProblem(id.slice(0, 6));
    if (adminProblem) problems.push(`id's admin code: ${adminProblem}`);
    if (/^\d{4}$/.test(classCode) && id.slice(6, 10) !== classCode) {
      problems.push(`id's class part (digits 7–10) is ${id.slice(6, 10)} but classCode is ${classCode}`);
    }
    if (id.slice(10) === '000000') problems.push("id's serial (digits 11–16) must be 000001–999999");
  }
  const name = typeof raw.name === 'string' ? raw.name.trim() : '';
  if (!name) problems.push('name is required');
  else if (name.length > COMPONENT_LIMITS.text)
    problems.push(`name must be at most ${COMPONENT_LIMITS.text} characters`);
  else if (CONTROL_CHARS.test(name)) problems.push('name must not contain control characters');
  const lon = typeof raw.lon === 'number' ? raw.lon : NaN;
  const lat = typeof raw.lat === 'number' ? raw.lat : NaN;
  if (!Number.isFinite(lon) || lon < -180 || lon > 180) problems.push('lon must be a number, −180…180');
  if (!Number.isFinite(lat) || lat < -90 || lat > 90) problems.push('lat must be a number, −90…90');
  const owner = optionalText(raw.owner, 'owner', problems);
  const maintainer = optionalText(raw.maintainer, 'maintainer', problems);
  const statusText = typeof raw.status === 'string' ? raw.status.trim() : raw.status;
  const status = statusText === undefined || statusText === null || statusText === '' ? 'normal' : statusText;
  if (!(COMPONENT_STATUSES as readonly unknown[]).includes(status)) {
    problems.push(`status must be one of ${COMPONENT_STATUSES.join(', ')}, got ${JSON.stringify(status)}`);
  }
  let attributes: Record<string, unknown> = {};
  if (raw.attributes !== undefined) {
    if (!isObject(raw.attributes)) problems.push('attributes must be a JSON object');
    else {
      const json = JSON.stringify(raw.attributes);
      if (Buffer.byteLength(json) > COMPONENT_LIMITS.attributesBytes) {
        problems.push(`attributes must be at most ${COMPONENT_LIMITS.attributesBytes} bytes as JSON`);
      } else if (json.includes('\\u0000')) problems.push('attributes must not contain NUL characters');
      else attributes = raw.attributes;
    }
  }
  if (problems.length) return { candidate: null, problems };
  return {
    candidate: {
      at: raw.at,
      id,
      classCode,
      name,
      lon,
      lat,
      owner,
      maintainer,
      status: status as ComponentStatus,
      attributes,
    },
    problems,
  };
}

function rowsFromGeoJson(input: unknown): { raws: RawComponent[]; errors: ImportIssue[] } {
  if (!isObject(input) || input.type !== 'FeatureCollection' || !Array.isArray(input.features)) {
    throw new GeoError(
      'InvalidComponentImport',
      'the body must be a GeoJSON FeatureCollection of Point features (or a CSV file sent as text/csv)',
    );
  }
  const raws: RawComponent[] = [];
  const errors: ImportIssue[] = [];
  input.features.forEach((feature: unknown, index) => {
    const props = isObject(feature) ? feature.properties : undefined;
    const id = isObject(props) && typeof props.id === 'string' ? { id: props.id } : {};
    if (!isObject(feature) || feature.type !== 'Feature' || !isObject(props)) {
      return errors.push({ index, ...id, message: 'must be a GeoJSON Feature with properties' });
    }
    const g = feature.geometry;
    const coords = isObject(g) && g.type === 'Point' && Array.isArray(g.coordinates) ? g.coordinates : null;
    if (!coords || coords.length < 2) {
      return errors.push({ index, ...id, message: 'geometry must be a GeoJSON Point [lon, lat]' });
    }
    // A GIS export's other fields are kept as attributes rather than refused.
    const extra = Object.fromEntries(Object.entries(props).filter(([k]) => !KNOWN_PROPERTIES.has(k)));
    const attributes =
      props.attributes === undefined
        ? extra
        : isObject(props.attributes)
          ? { ...extra, ...props.attributes }
          : props.attributes;
    raws.push({
      at: { index },
      id: props.id,
      classCode: props.classCode,
      name: props.name,
      lon: coords[0],
      lat: coords[1],
      owner: props.owner,
      maintainer: props.maintainer,
      status: props.status,
      attributes,
    });
  });
  return { raws, errors };
}

function rowsFromCsv(text: string): { raws: RawComponent[]; errors: ImportIssue[] } {
  const fileError = (row: number, message: string) =>
    new GeoError('InvalidComponentImport', `row ${row}: ${message}`, [{ row, message }]);
  let records;
  try {
    records = parseCsv(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    if (err instanceof CsvSyntaxError) throw fileError(err.row, err.message.replace(/^row \d+: /, ''));
    throw err;
  }
  const nonBlank = records.filter((r) => r.fields.some((f) => f.trim() !== ''));
  const header = nonBlank[0];
  if (!header)
    throw fileError(1, `the file is empty: the first row must be the header ${COMPONENT_CSV_COLUMNS.join(',')}`);
  // Column names compare without case: spreadsheets like to capitalise.
  const lower = COMPONENT_CSV_COLUMNS.map((c) => c.toLowerCase());
  const names = header.fields.map((f) => f.trim().toLowerCase());
  const unknown = names.filter((n) => !lower.includes(n));
  if (unknown.length) {
    throw fileError(
      header.row,
      `unknown column(s) ${unknown.map((n) => `"${n}"`).join(', ')}; the columns are ${COMPONENT_CSV_COLUMNS.join(',')}`,
    );
  }
  const repeated = names.find((n, i) => names.indexOf(n) !== i);
  if (repeated) throw fileError(header.row, `column "${repeated}" appears twice in the header`);
  const missing = REQUIRED_CSV.filter((c) => !names.includes(c.toLowerCase()));
  if (missing.length) throw fileError(header.row, `the header lacks the required column(s) ${missing.join(', ')}`);
  const data = nonBlank.slice(1);
  if (data.length > COMPONENT_LIMITS.rows) {
    throw fileError(data[COMPONENT_LIMITS.rows]!.row, `more than ${COMPONENT_LIMITS.rows} rows; split the file`);
  }
  const raws: RawComponent[] = [];
  const errors: ImportIssue[] = [];
  for (const record of data) {
    const cell = (c: string) => {
      const i = names.indexOf(c.toLowerCase());
      return i < 0 ? undefined : (record.fields[i] ?? '').trim();
    };
    if (record.fields.length !== names.length) {
      errors.push({ row: record.row, message: `${record.fields.length} fields where the header has ${names.length}` });
      continue;
    }
    const number = (c: string) => {
      const v = cell(c);
      return v && /^[-+]?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
    };
    raws.push({
      at: { row: record.row },
      id: cell('id'),
      classCode: cell('classCode'),
      name: cell('name'),
      lon: number('lon'),
      lat: number('lat'),
      owner: cell('owner') || undefined,
      maintainer: cell('maintainer') || undefined,
      status: cell('status'),
      attributes: undefined,
    });
  }
  return { raws, errors };
}

interface ComponentRow {
  id: string;
  class_code: string;
  name: string;
  lon: number;
  lat: number;
  cell_code: string | null;
  owner: string | null;
  maintainer: string | null;
  status: ComponentStatus;
  attributes: Record<string, unknown>;
  updated_at: Date;
}

const toComponent = (r: ComponentRow): Component => ({
  id: r.id,
  classCode: r.class_code,
  name: r.name,
  lon: r.lon,
  lat: r.lat,
  cellCode: r.cell_code,
  owner: r.owner,
  maintainer: r.maintainer,
  status: r.status,
  attributes: r.attributes,
  updatedAt: r.updated_at,
});

const COLUMNS = 'id, class_code, name, lon, lat, cell_code, owner, maintainer, status, attributes, updated_at';
const BATCH = 1000;

export class ComponentInventory {
  private readonly catalogue: Pick<Catalogue, 'classByCode'>;
  private readonly geocoder: Geocoder;

  constructor(
    private readonly pool: pg.Pool,
    options: InventoryOptions,
  ) {
    this.catalogue = options.catalogue;
    this.geocoder = options.geocoder;
  }

  /** Imports a FeatureCollection of Points (properties id, classCode, name, owner, maintainer, status, attributes). */
  async importGeoJson(input: unknown): Promise<ComponentImportReport> {
    const { raws, errors } = rowsFromGeoJson(input);
    if (raws.length + errors.length === 0)
      throw new GeoError('InvalidComponentImport', 'the FeatureCollection has no features');
    if (raws.length + errors.length > COMPONENT_LIMITS.rows) {
      throw new GeoError('InvalidComponentImport', `more than ${COMPONENT_LIMITS.rows} features; split the file`);
    }
    return this.store(raws, errors);
  }

  /** Imports a CSV file with the header `id,classCode,name,lon,lat[,owner][,maintainer][,status]`. */
  async importCsv(text: string): Promise<ComponentImportReport> {
    const { raws, errors } = rowsFromCsv(text);
    if (raws.length + errors.length === 0)
      throw new GeoError('InvalidComponentImport', 'the file has a header but no rows');
    return this.store(raws, errors);
  }

  private async store(raws: RawComponent[], errors: ImportIssue[]): Promise<ComponentImportReport> {
    const candidates: Candidate[] = [];
    const firstAt = new Map<string, string>();
    const where = (at: RawComponent['at']) => ('row' in at ? `row ${at.row}` : `feature ${at.index}`);
    for (const raw of raws) {
      const { candidate, problems } = checkRow(raw);
      const id = typeof raw.id === 'string' && raw.id.trim() ? { id: raw.id.trim() } : {};
      if (candidate) {
        const first = firstAt.get(candidate.id);
        if (first) problems.push(`id ${candidate.id} already appears in ${first} of this file`);
        else firstAt.set(candidate.id, where(candidate.at));
      }
      for (const message of problems) errors.push({ ...raw.at, ...id, message });
      if (candidate && !problems.length) candidates.push(candidate);
    }
    // One catalogue lookup per distinct class, not per row.
    const classes = new Map<string, Awaited<ReturnType<Catalogue['classByCode']>>>();
    for (const code of new Set(candidates.map((c) => c.classCode)))
      classes.set(code, await this.catalogue.classByCode(code));
    const warnings: ImportIssue[] = [];
    const cells: (string | null)[] = [];
    for (const c of candidates) {
      const cls = classes.get(c.classCode);
      if (!cls) errors.push({ ...c.at, id: c.id, message: `class ${c.classCode} is not in the catalogue` });
      else if (cls.kind !== 'component') {
        errors.push({
          ...c.at,
          id: c.id,
          message: `class ${c.classCode} (${cls.nameZh}) is an event class, not a component (部件) class`,
        });
      }
      const area = this.geocoder.locate(c.lon, c.lat);
      cells.push(area?.cell ?? null);
      if (!area)
        warnings.push({
          ...c.at,
          id: c.id,
          message: `(${c.lon}, ${c.lat}) lies outside every grid cell; stored without a cell`,
        });
      else if (area.district !== c.id.slice(0, 6)) {
        warnings.push({
          ...c.at,
          id: c.id,
          message: `the id's admin code ${c.id.slice(0, 6)} differs from district ${area.district} of cell ${area.cell}`,
        });
      }
    }
    if (errors.length) {
      const order = (e: ImportIssue) => e.row ?? e.index ?? 0;
      errors.sort((a, b) => order(a) - order(b));
      throw importFailure('InvalidComponentImport', 'the component import was refused', errors);
    }
    let created = 0;
    await withTransaction(this.pool, async (client) => {
      for (let i = 0; i < candidates.length; i += BATCH) {
        const batch = candidates.slice(i, i + BATCH);
        const { rows } = await client.query<{ inserted: boolean }>(
          `INSERT INTO components (id, class_code, name, lon, lat, cell_code, owner, maintainer, status, attributes)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::float8[], $6::text[], $7::text[],
                                $8::text[], $9::text[], $10::jsonb[])
           ON CONFLICT (id) DO UPDATE SET class_code = EXCLUDED.class_code, name = EXCLUDED.name, lon = EXCLUDED.lon,
             lat = EXCLUDED.lat, cell_code = EXCLUDED.cell_code, owner = EXCLUDED.owner,
             maintainer = EXCLUDED.maintainer, status = EXCLUDED.status, attributes = EXCLUDED.attributes,
             updated_at = now()
           RETURNING (xmax = 0) AS inserted`,
          [
            batch.map((c) => c.id),
            batch.map((c) => c.classCode),
            batch.map((c) => c.name),
            batch.map((c) => c.lon),
            batch.map((c) => c.lat),
            cells.slice(i, i + BATCH),
            batch.map((c) => c.owner),
            batch.map((c) => c.maintainer),
            batch.map((c) => c.status),
            batch.map((c) => JSON.stringify(c.attributes)),
          ],
        );
        created += rows.filter((r) => r.inserted).length;
      }
    });
    return { created, updated: candidates.length - created, warnings };
  }

  /**
   * Re-geocodes every component after the grid changed (call it after the geocoder's `reload()`), so `cellCode`
   * follows the new cells; returns how many changed cell.
   */
  async relocate(): Promise<{ changed: number }> {
    const { rows } = await this.pool.query<{ id: string; lon: number; lat: number; cell_code: string | null }>(
      'SELECT id, lon, lat, cell_code FROM components',
    );
    const moved = rows
      .map((r) => ({ id: r.id, from: r.cell_code, to: this.geocoder.locate(r.lon, r.lat)?.cell ?? null }))
      .filter((m) => m.from !== m.to);
    if (moved.length) {
      await withTransaction(this.pool, async (client) => {
        for (let i = 0; i < moved.length; i += BATCH) {
          const batch = moved.slice(i, i + BATCH);
          await client.query(
            `UPDATE components c SET cell_code = m.cell, updated_at = now()
             FROM unnest($1::text[], $2::text[]) AS m (id, cell) WHERE c.id = m.id`,
            [batch.map((m) => m.id), batch.map((m) => m.to)],
          );
        }
      });
    }
    return { changed: moved.length };
  }

  async get(id: string): Promise<Component | null> {
    const { rows } = await this.pool.query<ComponentRow>(`SELECT ${COLUMNS} FROM components WHERE id = $1`, [id]);
    return rows[0] ? toComponent(rows[0]) : null;
  }

  /** Components ordered by id; `truncated` when more matched than `limit`. */
  async list(query: ComponentQuery = {}): Promise<{ components: Component[]; truncated: boolean }> {
    const limit = query.limit ?? COMPONENT_LIMITS.listDefault;
    if (!Number.isInteger(limit) || limit < 1 || limit > COMPONENT_LIMITS.listMax) {
      throw new GeoError('InvalidQuery', `limit must be 1–${COMPONENT_LIMITS.listMax}`);
    }
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: (n: number) => string, value: unknown) => {
      params.push(value);
      where.push(sql(params.length));
    };
    if (query.classCode) add((n) => `class_code = $${n}`, query.classCode);
    if (query.cellCode) add((n) => `cell_code = $${n}`, query.cellCode);
    if (query.bbox) {
      add((n) => `lon >= $${n}`, query.bbox.minLon);
      add((n) => `lon <= $${n}`, query.bbox.maxLon);
      add((n) => `lat >= $${n}`, query.bbox.minLat);
      add((n) => `lat <= $${n}`, query.bbox.maxLat);
    }
    params.push(limit + 1);
    const { rows } = await this.pool.query<ComponentRow>(
      `SELECT ${COLUMNS} FROM components ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY id LIMIT $${params.length}`,
      params,
    );
    return { components: rows.slice(0, limit).map(toComponent), truncated: rows.length > limit };
  }
}
