// 立案/处置/结案标准 CSV → situations (情形) per class: a city's filing / handling / closing standard as its published
// table lays it out (one class per block, further situations on continuation rows with empty class codes). Pure: the
// catalogue checks and the writing are in standards.ts.
import type { ClassKind, TimeLimit } from '../cases/ports.js';
import { CsvSyntaxError, parseCsvWithLines, type CsvLineRecord } from '../csv.js';
import { parseTimeLimit } from './time-limit.js';

/** The columns of a standard table, as the 运城 sample names them. */
export const STANDARD_COLUMNS = {
  majorCode: '大类代码',
  majorName: '大类名称',
  minorCode: '小类代码',
  minorName: '小类名称',
  filingCondition: '立案条件',
  limitText: '处置时限',
  closingCondition: '结案条件',
  supervisingBody: '监管主体',
  responsibleBody: '责任主体',
  legalBasis: '法律法规依据',
  legalClauses: '法律法规具体条款',
  collectionRequirements: '采集要求',
} as const;
type Column = keyof typeof STANDARD_COLUMNS;
const REQUIRED: readonly Column[] = [
  'majorCode',
  'minorCode',
  'minorName',
  'filingCondition',
  'limitText',
  'closingCondition',
];
/** Apply to the whole class: a continuation row leaves them empty and inherits them. */
const CLASS_WIDE = [
  'supervisingBody',
  'responsibleBody',
  'legalBasis',
  'legalClauses',
  'collectionRequirements',
] as const;
type ClassWide = Record<(typeof CLASS_WIDE)[number], string | null>;

export const MAX_STANDARD_RECORDS = 20_000;

export interface StandardIssue {
  /** Physical line of the file where the record starts (the header is line 1; quoted fields may span lines). */
  row: number;
  /** The CSV column at fault. */
  field?: string;
  /** The class the row belongs to, when known. */
  code?: string;
  /** The text at fault, e.g. an unreadable time limit. */
  text?: string;
  message: string;
}

export interface ParsedSituation {
  row: number;
  filingCondition: string;
  limit: TimeLimit | null;
  limitText: string;
  closingCondition: string;
  supervisingBody: string | null;
  responsibleBody: string | null;
  legalBasis: string | null;
  legalClauses: string | null;
  collectionRequirements: string | null;
}

export interface ParsedClass {
  kind: ClassKind;
  /** 4 digits, major + minor zero-padded. */
  code: string;
  majorCode: string;
  majorName: string;
  nameZh: string;
  /** Line of the class's first row. */
  row: number;
  situations: ParsedSituation[];
}

export interface ParsedStandard {
  classes: ParsedClass[];
  warnings: StandardIssue[];
  errors: StandardIssue[];
}

const CODE_PART = /^\d{1,2}$/;

export function parseStandardsCsv(input: string, kind: ClassKind): ParsedStandard {
  const result: ParsedStandard = { classes: [], warnings: [], errors: [] };
  let records: CsvLineRecord[];
  try {
    records = parseCsvWithLines(input);
  } catch (err) {
    if (!(err instanceof CsvSyntaxError)) throw err;
    result.errors.push({ row: err.row, message: err.message });
    return result;
  }
  const nonBlank = records.filter((r) => r.fields.some((f) => f.trim() !== ''));
  const header = nonBlank[0];
  if (!header) {
    result.errors.push({
      row: 1,
      message: `the file is empty: the first row must be the header ${Object.values(STANDARD_COLUMNS).join(',')}`,
    });
    return result;
  }
  const names = header.fields.map((f) => f.trim());
  const index = {} as Record<Column, number>;
  for (const [key, name] of Object.entries(STANDARD_COLUMNS) as [Column, string][]) index[key] = names.indexOf(name);
  const missing = REQUIRED.filter((c) => index[c] < 0).map((c) => STANDARD_COLUMNS[c]);
  if (missing.length) {
    result.errors.push({
      row: header.line,
      message: `the header lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`,
    });
    return result;
  }
  const known = new Set<string>(Object.values(STANDARD_COLUMNS));
  names.forEach((n, i) => {
    if (!known.has(n)) {
      result.warnings.push({
        row: header.line,
        field: n || `column ${i + 1}`,
        message: `column "${n || i + 1}" is not part of a standard table and is ignored`,
      });
    }
  });
  const data = nonBlank.slice(1);
  if (data.length > MAX_STANDARD_RECORDS) {
    result.errors.push({
      row: data[MAX_STANDARD_RECORDS]!.line,
      message: `the file has ${data.length} rows, more than ${MAX_STANDARD_RECORDS}; split it`,
    });
    return result;
  }

  let current: ParsedClass | null = null;
  let major: { code: string; name: string } | null = null;
  const classRow = new Map<string, number>();
  for (const record of data) {
    const cell = (c: Column) => (index[c] < 0 ? '' : (record.fields[index[c]] ?? '').trim());
    const error = (field: Column | undefined, message: string, code?: string) =>
      result.errors.push({
        row: record.line,
        ...(field ? { field: STANDARD_COLUMNS[field] } : {}),
        ...(code ? { code } : {}),
        message,
      });
    if (record.fields.length !== names.length) {
      error(undefined, `${record.fields.length} fields where the header has ${names.length}`);
      continue;
    }
    const majorCode = cell('majorCode');
    const minorCode = cell('minorCode');
    if (majorCode) {
      if (!CODE_PART.test(majorCode)) {
        error('majorCode', `大类代码 must be 1–2 digits, got "${majorCode}"`);
        current = null;
        major = null;
        continue;
      }
      major = { code: majorCode.padStart(2, '0'), name: cell('majorName') };
      if (!minorCode) {
        error('minorCode', `a row opening major class ${major.code} needs its 小类代码`);
        current = null;
        continue;
      }
    }
    if (minorCode) {
      if (!major) {
        error('majorCode', 'the first class row needs its 大类代码');
        continue;
      }
      if (!CODE_PART.test(minorCode)) {
        error('minorCode', `小类代码 must be 1–2 digits, got "${minorCode}"`);
        current = null;
        continue;
      }
      const code = major.code + minorCode.padStart(2, '0');
      const first = classRow.get(code);
      if (first !== undefined) {
        error('minorCode', `class ${code} already began on line ${first}; keep each class's situations together`, code);
        current = null;
        continue;
      }
      classRow.set(code, record.line);
      const nameZh = cell('minorName');
      if (!nameZh) {
        error('minorName', `class ${code} has no 小类名称`, code);
        current = null;
        continue;
      }
      current = { kind, code, majorCode: major.code, majorName: major.name, nameZh, row: record.line, situations: [] };
      result.classes.push(current);
    } else if (!current) {
      // Either the very first data row, or the rows after a class that was refused (their errors are reported there).
      if (result.classes.length === 0 && result.errors.length === 0) {
        error(
          'minorCode',
          'the first row has no class code (大类代码 and 小类代码); continuation rows need a class above them',
        );
      }
      continue;
    }
    const filingCondition = cell('filingCondition');
    if (!filingCondition) {
      error('filingCondition', `a situation of class ${current.code} has no 立案条件`, current.code);
      continue;
    }
    const limitText = cell('limitText');
    const parsed = parseTimeLimit(limitText);
    if (!parsed.ok) {
      result.warnings.push({
        row: record.line,
        field: STANDARD_COLUMNS.limitText,
        code: current.code,
        text: limitText,
        message: `${parsed.message}; stored without a parsed limit, set the deadline by hand`,
      });
    }
    const closingCondition = cell('closingCondition');
    if (!closingCondition) {
      result.warnings.push({
        row: record.line,
        field: STANDARD_COLUMNS.closingCondition,
        code: current.code,
        message: `a situation of class ${current.code} has no 结案条件`,
      });
    }
    const first = current.situations[0];
    const inherited = Object.fromEntries(CLASS_WIDE.map((c) => [c, cell(c) || first?.[c] || null])) as ClassWide;
    current.situations.push({
      row: record.line,
      filingCondition,
      limit: parsed.ok ? parsed.limit : null,
      limitText,
      closingCondition,
      ...inherited,
    });
  }
  return result;
}
