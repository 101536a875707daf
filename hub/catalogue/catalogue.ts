// 部件事件分类与标准 the catalogue store: component and event classes with their city standard's situations (情形), on
// PostgreSQL. Implements the case loop's `Catalogue` port; imports catalogue JSON (any of the three numberings).
import { readFile } from 'node:fs/promises';
import type pg from 'pg';
import type { Catalogue, CatalogueClass, ClassKind, ClassStandard, TimeLimitUnit } from '../cases/ports.js';
import { withTransaction } from '../db/pool.js';
import { CLASS_KINDS, DEFAULT_NUMBERING, catalogueRows, type CatalogueIssue, type Numbering } from './classes.js';

export const DEFAULT_CATALOGUE_FILE = new URL('./data/components-events.json', import.meta.url);

export type CatalogueErrorCode =
  'ClassNotFound' | 'AmbiguousClass' | 'InvalidClassRef' | 'InvalidCatalogue' | 'InvalidQuery';

export class CatalogueError extends Error {
  override readonly name = 'CatalogueError';
  constructor(
    readonly code: CatalogueErrorCode,
    message: string,
    readonly issues: CatalogueIssue[] = [],
  ) {
    super(message);
  }
}

export interface MajorClass {
  kind: ClassKind;
  code: string;
  nameZh: string;
  nameEn: string;
  uncertain: boolean;
  sources: string[];
}

export interface CatalogueClassInfo extends CatalogueClass {
  majorCode: string;
  majorNameZh: string;
  majorNameEn: string;
  altNames: string[];
  note: string | null;
  uncertain: boolean;
  sources: string[];
  /** `catalogue:<numbering>` or `standard` (created by a city's standard file). */
  origin: string;
}

/** A situation with everything the standard table says about it. */
export interface Situation extends ClassStandard {
  kind: ClassKind;
  position: number;
  supervisingBody: string | null;
  responsibleBody: string | null;
  legalBasis: string | null;
  legalClauses: string | null;
  collectionRequirements: string | null;
  sourceLine: number | null;
  importedAt: Date;
  /** Set when a later import replaced it; kept for the cases filed under it. */
  retiredAt: Date | null;
}

export interface ClassFilter {
  kind?: ClassKind;
  /** 2-digit major class. */
  major?: string;
  /** Substring of the code or a name (zh, en, alternative), case-insensitive. */
  q?: string;
}

export interface ClassPage {
  items: CatalogueClassInfo[];
  total: number;
  limit: number;
  offset: number;
}

export interface CatalogueImportResult {
  numbering: Numbering;
  majors: number;
  classes: number;
}

/**
 * A class reference: `component:0101`, `event:0101`, or a bare `0101` when only one kind has that code. Components and
 * events are numbered independently, so a bare code can be ambiguous; the port's `classByCode(code)` has no kind, and
 * an ambiguous code is refused rather than guessed.
 */
export function parseClassRef(ref: string): { kind: ClassKind | null; code: string } {
  const m = /^(?:(component|event):)?(\d{4})$/.exec(ref);
  if (!m) {
    throw new CatalogueError(
      'InvalidClassRef',
      `"${ref}" is not a class: expected 4 digits, e.g. 0101 or component:0101`,
    );
  }
  return { kind: (m[1] as ClassKind | undefined) ?? null, code: m[2]! };
}

const CLASS_COLUMNS = `c.kind, c.code, c.major_code, c.name_zh, c.name_en, c.alt_names, c.note, c.uncertain, c.sources,
  c.origin, m.name_zh AS major_name_zh, m.name_en AS major_name_en`;
const CLASS_FROM = `catalogue_classes c JOIN catalogue_major_classes m ON m.kind = c.kind AND m.code = c.major_code`;

interface ClassDbRow {
  kind: ClassKind;
  code: string;
  major_code: string;
  name_zh: string;
  name_en: string;
  alt_names: string[];
  note: string | null;
  uncertain: boolean;
  sources: string[];
  origin: string;
  major_name_zh: string;
  major_name_en: string;
}

const toClass = (r: ClassDbRow): CatalogueClassInfo => ({
  code: r.code,
  kind: r.kind,
  nameZh: r.name_zh,
  nameEn: r.name_en,
  majorCode: r.major_code,
  majorNameZh: r.major_name_zh,
  majorNameEn: r.major_name_en,
  altNames: r.alt_names,
  note: r.note,
  uncertain: r.uncertain,
  sources: r.sources,
  origin: r.origin,
});

const SITUATION_COLUMNS = `id, kind, class_code, position, filing_condition, limit_value, limit_unit, limit_text,
  closing_condition, supervising_body, responsible_body, legal_basis, legal_clauses, collection_requirements,
  source_line, imported_at, retired_at`;

interface SituationDbRow {
  id: string;
  kind: ClassKind;
  class_code: string;
  position: number;
  filing_condition: string;
  limit_value: string | null;
  limit_unit: TimeLimitUnit | null;
  limit_text: string;
  closing_condition: string;
  supervising_body: string | null;
  responsible_body: string | null;
  legal_basis: string | null;
  legal_clauses: string | null;
  collection_requirements: string | null;
  source_line: number | null;
  imported_at: Date;
  retired_at: Date | null;
}

const toSituation = (r: SituationDbRow): Situation => ({
  id: Number(r.id),
  kind: r.kind,
  classCode: r.class_code,
  position: r.position,
  filingCondition: r.filing_condition,
  limit: r.limit_value !== null && r.limit_unit !== null ? { value: Number(r.limit_value), unit: r.limit_unit } : null,
  limitText: r.limit_text,
  closingCondition: r.closing_condition,
  supervisingBody: r.supervising_body,
  responsibleBody: r.responsible_body,
  legalBasis: r.legal_basis,
  legalClauses: r.legal_clauses,
  collectionRequirements: r.collection_requirements,
  sourceLine: r.source_line,
  importedAt: r.imported_at,
  retiredAt: r.retired_at,
});

export class CatalogueStore implements Catalogue {
  constructor(private readonly pool: pg.Pool) {}

  /** The port, for one kind: bare codes are read as that kind's classes (the case knows whether it is 部件 or 事件). */
  forKind(kind: ClassKind): Catalogue {
    return {
      classByCode: (code) => this.classByCode(`${kind}:${code}`),
      standardsFor: (code) => this.standardsFor(`${kind}:${code}`),
      standardById: (id) => this.standardById(id),
    };
  }

  /** Port: a class by `component:0101`, `event:0101` or a bare code; throws `AmbiguousClass` for a bare code both kinds have. */
  async classByCode(ref: string): Promise<CatalogueClassInfo | null> {
    const { kind, code } = parseClassRef(ref);
    const { rows } = await this.pool.query<ClassDbRow>(
      `SELECT ${CLASS_COLUMNS} FROM ${CLASS_FROM} WHERE c.code = $1 AND ($2::text IS NULL OR c.kind = $2) ORDER BY c.kind`,
      [code, kind],
    );
    if (rows.length > 1) {
      throw new CatalogueError(
        'AmbiguousClass',
        `both a component and an event have the code ${code}; say which (component:${code} or event:${code})`,
      );
    }
    return rows[0] ? toClass(rows[0]) : null;
  }

  /** Port: the current situations of a class, in the order of the standard (none when it has no standard). */
  async standardsFor(ref: string): Promise<Situation[]> {
    const found = await this.classByCode(ref);
    if (!found) return [];
    const { rows } = await this.pool.query<SituationDbRow>(
      `SELECT ${SITUATION_COLUMNS} FROM class_standards
        WHERE kind = $1 AND class_code = $2 AND retired_at IS NULL ORDER BY position`,
      [found.kind, found.code],
    );
    return rows.map(toSituation);
  }

  /** Port: a situation by id, also a retired one (a case keeps the situation it was filed under). */
  async standardById(id: number): Promise<Situation | null> {
    if (!Number.isSafeInteger(id) || id < 1) return null;
    const { rows } = await this.pool.query<SituationDbRow>(
      `SELECT ${SITUATION_COLUMNS} FROM class_standards WHERE id = $1`,
      [id],
    );
    return rows[0] ? toSituation(rows[0]) : null;
  }

  async getClass(kind: ClassKind, code: string): Promise<{ class: CatalogueClassInfo; situations: Situation[] }> {
    const found = await this.classByCode(`${kind}:${code}`);
    if (!found) throw new CatalogueError('ClassNotFound', `no ${kind} class with code ${code}`);
    return { class: found, situations: await this.standardsFor(`${kind}:${code}`) };
  }

  async listClasses(filter: ClassFilter = {}, page: { limit?: number; offset?: number } = {}): Promise<ClassPage> {
    const limit = page.limit ?? 100;
    const offset = page.offset ?? 0;
    if (!(Number.isInteger(limit) && limit >= 1 && limit <= 1000) || !(Number.isInteger(offset) && offset >= 0)) {
      throw new CatalogueError('InvalidQuery', 'limit must be 1–1000 and offset a whole number ≥ 0');
    }
    if (filter.major !== undefined && !/^\d{2}$/.test(filter.major)) {
      throw new CatalogueError('InvalidQuery', `major must be a 2-digit major class code, got "${filter.major}"`);
    }
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('$?', `$${params.length}`));
    };
    if (filter.kind) add('c.kind = $?', filter.kind);
    if (filter.major) add('c.major_code = $?', filter.major);
    if (filter.q?.trim()) {
      const like = `%${filter.q.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      add(
        `(c.code ILIKE $? OR c.name_zh ILIKE $${params.length + 1} OR c.name_en ILIKE $${params.length + 1}
          OR array_to_string(c.alt_names, ' ') ILIKE $${params.length + 1})`,
        like,
      );
    }
    const whereSql = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${CLASS_FROM} ${whereSql}`, params);
    const { rows } = await this.pool.query<ClassDbRow>(
      `SELECT ${CLASS_COLUMNS} FROM ${CLASS_FROM} ${whereSql} ORDER BY c.kind, c.code
        LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, limit, offset],
    );
    return { items: rows.map(toClass), total: Number(total.rows[0]!.n), limit, offset };
  }

  async majorClasses(kind?: ClassKind): Promise<MajorClass[]> {
    const { rows } = await this.pool.query<{
      kind: ClassKind;
      code: string;
      name_zh: string;
      name_en: string;
      uncertain: boolean;
      sources: string[];
    }>(
      `SELECT kind, code, name_zh, name_en, uncertain, sources FROM catalogue_major_classes
        WHERE $1::text IS NULL OR kind = $1 ORDER BY kind, code`,
      [kind ?? null],
    );
    return rows.map((r) => ({
      kind: r.kind,
      code: r.code,
      nameZh: r.name_zh,
      nameEn: r.name_en,
      uncertain: r.uncertain,
      sources: r.sources,
    }));
  }

  /**
   * Upserts the classes of a catalogue file (in `numbering`) in one transaction; running it twice changes nothing.
   * Classes not in the file stay (cases and standards may refer to them). Throws `InvalidCatalogue` with every issue.
   */
  async importCatalogue(json: unknown, numbering: Numbering = DEFAULT_NUMBERING): Promise<CatalogueImportResult> {
    const rows = catalogueRows(json, numbering);
    if (rows.issues.length) {
      throw new CatalogueError(
        'InvalidCatalogue',
        `the catalogue has ${rows.issues.length} problem${rows.issues.length > 1 ? 's' : ''}; nothing was imported`,
        rows.issues,
      );
    }
    await withTransaction(this.pool, async (client) => {
      await client.query(
        `INSERT INTO catalogue_major_classes (kind, code, name_zh, name_en, uncertain, sources)
         SELECT kind, code, "nameZh", "nameEn", uncertain, sources
           FROM jsonb_to_recordset($1::jsonb) AS r(kind text, code text, "nameZh" text, "nameEn" text, uncertain boolean,
             sources text[])
         ON CONFLICT (kind, code) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en,
           uncertain = excluded.uncertain, sources = excluded.sources`,
        [JSON.stringify(rows.majors)],
      );
      await client.query(
        `INSERT INTO catalogue_classes (kind, code, name_zh, name_en, alt_names, note, uncertain, sources, origin)
         SELECT kind, code, "nameZh", "nameEn", "altNames", note, uncertain, sources, $2
           FROM jsonb_to_recordset($1::jsonb) AS r(kind text, code text, "nameZh" text, "nameEn" text,
             "altNames" text[], note text, uncertain boolean, sources text[])
         ON CONFLICT (kind, code) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en,
           alt_names = excluded.alt_names, note = excluded.note, uncertain = excluded.uncertain,
           sources = excluded.sources, origin = excluded.origin, updated_at = now()
         WHERE (catalogue_classes.name_zh, catalogue_classes.name_en, catalogue_classes.alt_names,
                catalogue_classes.note, catalogue_classes.uncertain, catalogue_classes.sources, catalogue_classes.origin)
           IS DISTINCT FROM (excluded.name_zh, excluded.name_en, excluded.alt_names, excluded.note, excluded.uncertain,
                excluded.sources, excluded.origin)`,
        [JSON.stringify(rows.classes), `catalogue:${numbering}`],
      );
    });
    return { numbering, majors: rows.majors.length, classes: rows.classes.length };
  }
}

/**
 * Imports the shipped draft catalogue (data/components-events.json, CJ/T 214-2007 numbering unless told otherwise)
 * when there are no classes yet; a city that imported its own catalogue keeps it. Returns null when it did nothing.
 */
export async function seedDefaultCatalogue(
  pool: pg.Pool,
  numbering: Numbering = DEFAULT_NUMBERING,
): Promise<CatalogueImportResult | null> {
  const { rows } = await pool.query<{ any: boolean }>('SELECT EXISTS (SELECT 1 FROM catalogue_classes) AS any');
  if (rows[0]!.any) return null;
  const json: unknown = JSON.parse(await readFile(DEFAULT_CATALOGUE_FILE, 'utf8'));
  return new CatalogueStore(pool).importCatalogue(json, numbering);
}

export { CLASS_KINDS };
