// CSV 文件解析: quoted multi-line fields, a byte order mark, and the physical line each record starts on.
import { describe, expect, it } from 'vitest';
import { CsvSyntaxError, parseCsv, parseCsvWithLines } from './csv.js';

describe('parseCsv', () => {
  it('drops a UTF-8 byte order mark and keeps quoted line breaks inside one record', () => {
    const text = '\ufeff大类代码,说明\r\n01,"第一行\r\n第二行"\r\n02,"a ""quoted"", b"\r\n';
    expect(parseCsv(text)).toEqual([
      { row: 1, fields: ['大类代码', '说明'] },
      { row: 2, fields: ['01', '第一行\r\n第二行'] },
      { row: 3, fields: ['02', 'a "quoted", b'] },
    ]);
  });

  it('tells the physical line each record starts on', () => {
    // Lines: 1 header, 2–4 the first record (two breaks inside quotes, one LF and one lone CR), 5 the second.
    const text = 'a,b\n"x\ny\rz",1\nlast,2';
    expect(parseCsvWithLines(text)).toEqual([
      { row: 1, line: 1, fields: ['a', 'b'] },
      { row: 2, line: 2, fields: ['x\ny\rz', '1'] },
      { row: 3, line: 5, fields: ['last', '2'] },
    ]);
  });

  it('counts lines in the 运城 sample as a text editor does', async () => {
    const { readFile } = await import('node:fs/promises');
    const text = await readFile(new URL('./catalogue/data/yuncheng-component-standards.csv', import.meta.url), 'utf8');
    const records = parseCsvWithLines(text);
    // python3 csv.reader: 280 records (header + 279), the file has 492 lines; the record of 0102 starts on line 9.
    expect(records).toHaveLength(280);
    expect(records[5]!.line).toBe(9);
    expect(records[5]!.fields.slice(0, 4)).toEqual(['', '', '02', '污水井盖']);
    expect(records.at(-1)!.line).toBeLessThanOrEqual(492);
  });

  it('reports an unclosed quote at the row it opened', () => {
    expect(() => parseCsv('a\n"open\nmore')).toThrow(CsvSyntaxError);
    expect(() => parseCsv('a\n"open\nmore')).toThrow('row 2: a quoted field is never closed');
  });
});
