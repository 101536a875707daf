// CSV 文件解析 RFC 4180 CSV parsing shared by every bulk import (devices, the city's filing standard, …): records keep
// the physical line where they start, so an error report points at the line a spreadsheet user sees.

export interface CsvRecord {
  /** 1-based record number; a quoted field spanning lines is still one record, as a spreadsheet shows it. */
  row: number;
  fields: string[];
}

/** A record with the physical line (1-based) it starts on: fields may hold line breaks, so lines run ahead of rows. */
export interface CsvLineRecord extends CsvRecord {
  line: number;
}

export class CsvSyntaxError extends Error {
  constructor(
    readonly row: number,
    message: string,
  ) {
    super(`row ${row}: ${message}`);
  }
}

/**
 * RFC 4180 CSV: comma-separated, fields optionally in double quotes (which may hold commas, line breaks and `""` for
 * a quote), records ended by CRLF, LF or CR, an optional UTF-8 byte order mark. A quote inside an unquoted field is
 * kept as a character (`12" pipe`), as spreadsheets write it.
 */
export function parseCsv(input: string): CsvRecord[] {
  return parse(input, false);
}

/** `parseCsv`, each record also telling the physical line it starts on (for error reports on multi-line files). */
export function parseCsvWithLines(input: string): CsvLineRecord[] {
  return parse(input, true) as CsvLineRecord[];
}

function parse(input: string, withLines: boolean): CsvRecord[] {
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const records: (CsvRecord | CsvLineRecord)[] = [];
  let fields: string[] = [];
  let field = '';
  let row = 1;
  let line = 1;
  let recordLine = 1;
  let inQuotes = false;
  let quoteRow = 0;
  let afterQuote = false;
  const n = text.length;
  for (let i = 0; i < n;) {
    const c = text[i]!;
    if (inQuotes) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        inQuotes = false;
        afterQuote = true;
        i++;
        continue;
      }
      // Scan to the next quote in one step: multi-megabyte files should not be built a character at a time.
      const end = text.indexOf('"', i);
      const stop = end === -1 ? n : end;
      const chunk = text.slice(i, stop);
      if (withLines) line += countLineBreaks(chunk);
      field += chunk;
      i = stop;
      continue;
    }
    if (c === ',') {
      fields.push(field);
      field = '';
      afterQuote = false;
      i++;
    } else if (c === '\r' || c === '\n') {
      fields.push(field);
      records.push(withLines ? { row, line: recordLine, fields } : { row, fields });
      fields = [];
      field = '';
      afterQuote = false;
      row++;
      line++;
      recordLine = line;
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
    } else if (afterQuote) {
      throw new CsvSyntaxError(row, 'after a closing quote only a comma or the end of the line may follow');
    } else if (c === '"' && field === '') {
      inQuotes = true;
      quoteRow = row;
      i++;
    } else {
      field += c;
      i++;
    }
  }
  if (inQuotes) throw new CsvSyntaxError(quoteRow, 'a quoted field is never closed');
  if (field !== '' || fields.length || afterQuote) {
    fields.push(field);
    records.push(withLines ? { row, line: recordLine, fields } : { row, fields });
  }
  return records;
}

/** Line breaks as the record splitter counts them: CRLF, LF or a lone CR. */
function countLineBreaks(s: string): number {
  let count = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 10 || (c === 13 && s.charCodeAt(i + 1) !== 10)) count++;
  }
  return count;
}

/**
 * The text of an uploaded CSV file. Excel on a Chinese Windows saves "CSV" as GB18030 (GBK), not UTF-8: a declared
 * charset is honoured, and undeclared bytes that are not valid UTF-8 are read as GB18030.
 */
export function decodeCsvBytes(body: Uint8Array, charset: string | null): string {
  if (charset) return new TextDecoder(charset).decode(body);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return new TextDecoder('gb18030').decode(body);
  }
}
