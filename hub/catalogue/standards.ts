// 立案/处置/结案标准导入 importing a city's filing / handling / closing standard: the parsed CSV checked against the
// catalogue (classes the city adds are created, differing names reported) and written all-or-nothing, replacing the
// situations of every class in the file.
import type pg from 'pg';
import type { ClassKind } from '../cases/ports.js';
import { withTransaction } from '../db/pool.js';
import { STANDARD_COLUMNS, parseStandardsCsv, type ParsedClass, type StandardIssue } from './standards-csv.js';

export interface CreatedClass {
  row: number;
  kind: ClassKind;
  code: string;
  nameZh: string;
  /** The major class was new too. */
  majorCreated: boolean;
}

export interface StandardsImportResult {
  kind: ClassKind;
  /** Classes in the file. */
  classes: number;
  /** Situations (情形) in the file. */
  situations: number;
  /** Classes the catalogue did not have, created from the file's names (a notice, not a problem). */
  created: CreatedClass[];
  warnings: StandardIssue[];
  errors: StandardIssue[];
  dryRun: boolean;
  /** Written to the database: no errors and not a dry run. */
  stored: boolean;
}

export interface StandardsImportOptions {
  /** Check and report only. */
  dryRun?: boolean;
  /** Called after each chunk of classes is written: classes done, classes in all. */
  onProgress?: (done: number, total: number) => void;
  /** Classes per write; default 20. */
  chunkClasses?: number;
}

// Serializes standard imports: two at once would both retire and re-insert the same classes' situations.
const IMPORT_LOCK_KEY = 0x63617473746473n; // "catstds"

export async function importStandards(
  pool: pg.Pool,
  text: string,
  kind: ClassKind,
  options: StandardsImportOptions = {},
): Promise<StandardsImportResult> {
  const dryRun = options.dryRun ?? false;
  const parsed = parseStandardsCsv(text, kind);
  const result: StandardsImportResult = {
    kind,
    classes: parsed.classes.length,
    situations: parsed.classes.reduce((n, c) => n + c.situations.length, 0),
    created: [],
    warnings: parsed.warnings,
    errors: parsed.errors,
    dryRun,
    stored: false,
  };
  const majorsToCreate = await compareWithCatalogue(pool, parsed.classes, result);
  result.warnings.sort((a, b) => a.row - b.row);
  result.errors.sort((a, b) => a.row - b.row);
  if (dryRun || result.errors.length) return result;

  const chunkSize = Math.max(1, options.chunkClasses ?? 20);
  const total = parsed.classes.length;
  await withTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [IMPORT_LOCK_KEY.toString()]);
    if (majorsToCreate.length) {
      await client.query(
        `INSERT INTO catalogue_major_classes (kind, code, name_zh, sources)
         SELECT $2, code, name, ARRAY['standard import'] FROM jsonb_to_recordset($1::jsonb) AS r(code text, name text)
         ON CONFLICT DO NOTHING`,
        [JSON.stringify(majorsToCreate), kind],
      );
    }
    if (result.created.length) {
      await client.query(
        `INSERT INTO catalogue_classes (kind, code, name_zh, sources, origin)
         SELECT $2, code, "nameZh", ARRAY['standard import'], 'standard'
           FROM jsonb_to_recordset($1::jsonb) AS r(code text, "nameZh" text)
         ON CONFLICT DO NOTHING`,
        [JSON.stringify(result.created), kind],
      );
    }
    options.onProgress?.(0, total);
    for (let start = 0; start < total; start += chunkSize) {
      const chunk = parsed.classes.slice(start, start + chunkSize);
      await client.query(
        `UPDATE class_standards SET retired_at = now()
          WHERE kind = $1 AND class_code = ANY($2::text[]) AND retired_at IS NULL`,
        [kind, chunk.map((c) => c.code)],
      );
      const rows = chunk.flatMap((c) =>
        c.situations.map((s, position) => ({
          class_code: c.code,
          position,
          filing_condition: s.filingCondition,
          limit_value: s.limit?.value ?? null,
          limit_unit: s.limit?.unit ?? null,
          limit_text: s.limitText,
          closing_condition: s.closingCondition,
          supervising_body: s.supervisingBody,
          responsible_body: s.responsibleBody,
          legal_basis: s.legalBasis,
          legal_clauses: s.legalClauses,
          collection_requirements: s.collectionRequirements,
          source_line: s.row,
        })),
      );
      await client.query(
        `INSERT INTO class_standards (kind, class_code, position, filing_condition, limit_value, limit_unit, limit_text,
           closing_condition, supervising_body, responsible_body, legal_basis, legal_clauses, collection_requirements,
           source_line)
         SELECT $2, class_code, position, filing_condition, limit_value, limit_unit, limit_text, closing_condition,
           supervising_body, responsible_body, legal_basis, legal_clauses, collection_requirements, source_line
           FROM jsonb_to_recordset($1::jsonb) AS r(class_code text, position integer, filing_condition text,
             limit_value numeric, limit_unit text, limit_text text, closing_condition text, supervising_body text,
             responsible_body text, legal_basis text, legal_clauses text, collection_requirements text,
             source_line integer)`,
        [JSON.stringify(rows), kind],
      );
      options.onProgress?.(Math.min(total, start + chunk.length), total);
    }
  });
  result.stored = true;
  return result;
}

/** Notes classes and majors to create, and names differing from the catalogue; returns the majors to create. */
async function compareWithCatalogue(
  pool: pg.Pool,
  classes: ParsedClass[],
  result: StandardsImportResult,
): Promise<{ code: string; name: string }[]> {
  if (!classes.length) return [];
  const kind = result.kind;
  const [known, majors] = await Promise.all([
    pool.query<{ code: string; name_zh: string }>(
      'SELECT code, name_zh FROM catalogue_classes WHERE kind = $1 AND code = ANY($2::text[])',
      [kind, classes.map((c) => c.code)],
    ),
    pool.query<{ code: string; name_zh: string }>('SELECT code, name_zh FROM catalogue_major_classes WHERE kind = $1', [
      kind,
    ]),
  ]);
  const classNames = new Map(known.rows.map((r) => [r.code, r.name_zh]));
  const majorNames = new Map(majors.rows.map((r) => [r.code, r.name_zh]));
  const majorsToCreate = new Map<string, string>();
  const majorWarned = new Set<string>();
  for (const c of classes) {
    const majorName = majorNames.get(c.majorCode);
    if (majorName === undefined && !majorsToCreate.has(c.majorCode)) {
      if (!c.majorName) {
        result.errors.push({
          row: c.row,
          field: STANDARD_COLUMNS.majorName,
          code: c.code,
          message: `major class ${c.majorCode} is not in the ${kind} catalogue and the file gives no 大类名称 to create it`,
        });
      } else majorsToCreate.set(c.majorCode, c.majorName);
    } else if (majorName !== undefined && c.majorName && c.majorName !== majorName) {
      const key = `${c.majorCode}\u0000${c.majorName}`;
      if (!majorWarned.has(key)) {
        majorWarned.add(key);
        result.warnings.push({
          row: c.row,
          field: STANDARD_COLUMNS.majorName,
          code: c.majorCode,
          text: c.majorName,
          message: `the catalogue calls major class ${c.majorCode} "${majorName}", the file "${c.majorName}"; the catalogue's name is kept`,
        });
      }
    }
    const name = classNames.get(c.code);
    if (name === undefined) {
      result.created.push({ row: c.row, kind, code: c.code, nameZh: c.nameZh, majorCreated: majorName === undefined });
    } else if (name !== c.nameZh) {
      result.warnings.push({
        row: c.row,
        field: STANDARD_COLUMNS.minorName,
        code: c.code,
        text: c.nameZh,
        message: `the catalogue calls ${kind} ${c.code} "${name}", the file "${c.nameZh}"; the catalogue's name is kept — check that the file uses the catalogue's numbering`,
      });
    }
  }
  return [...majorsToCreate].map(([code, name]) => ({ code, name }));
}
