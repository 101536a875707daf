// 立案/处置/结案标准 CSV parsing: forward-filled classes, per-row warnings and errors with physical line numbers.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseStandardsCsv } from './standards-csv.js';

const HEADER =
  '大类代码,大类名称,小类代码,小类名称,立案条件,处置时限,结案条件,监管主体,责任主体,法律法规依据,法律法规具体条款,采集要求';

describe('parseStandardsCsv', () => {
  it('forward-fills classes and class-wide columns, pads codes, reads limits', () => {
    const csv = [
      HEADER,
      '1,公用设施,1,上水井盖,缺失的,2紧急工作时,恢复,城管局,水务中心,"条例；',
      '",第二十三条,拍清标识',
      ',,,,破损的,4工作时,修复,,,,,',
      ',,2,污水井盖,缺失的,立即,恢复,城管局,排水中心,,,',
    ].join('\n');
    const parsed = parseStandardsCsv(csv, 'component');
    expect(parsed.errors).toEqual([]);
    expect(parsed.classes.map((c) => [c.code, c.majorCode, c.majorName, c.nameZh, c.row, c.situations.length])).toEqual(
      [
        ['0101', '01', '公用设施', '上水井盖', 2, 2],
        ['0102', '01', '公用设施', '污水井盖', 5, 1],
      ],
    );
    const [first, second] = parsed.classes[0]!.situations;
    // Cells are trimmed: the sample ends many quoted cells with a stray line break.
    expect(first).toMatchObject({ row: 2, limit: { value: 2, unit: 'urgentHours' }, legalBasis: '条例；' });
    // The continuation row (line 4, since the first record spans lines 2–3) inherits the class-wide columns.
    expect(second).toMatchObject({
      row: 4,
      filingCondition: '破损的',
      limit: { value: 4, unit: 'workHours' },
      supervisingBody: '城管局',
      responsibleBody: '水务中心',
      collectionRequirements: '拍清标识',
    });
    expect(parsed.classes[1]!.situations[0]).toMatchObject({ limit: null, limitText: '立即', legalBasis: null });
    expect(parsed.warnings).toEqual([
      expect.objectContaining({ row: 5, field: '处置时限', code: '0102', text: '立即' }),
    ]);
  });

  it('reports structural errors per row with the physical line', () => {
    const csv = [
      HEADER,
      ',,,,没有类别,2工作日,修复,,,,,',
      '01,公用设施,01,上水井盖,"多行',
      '条件",2工作日,修复,,,,,',
      ',,,,,2工作日,修复,,,,,',
      ',,1x,坏代码,x,2工作日,修复,,,,,',
      ',,01,重复,x,2工作日,修复,,,,,',
      ',,02,,x,2工作日,修复,,,,,',
      'only,three,fields',
    ].join('\n');
    const { errors } = parseStandardsCsv(csv, 'component');
    expect(errors.map((e) => [e.row, e.field])).toEqual([
      [2, '小类代码'],
      [5, '立案条件'],
      [6, '小类代码'],
      [7, '小类代码'],
      [8, '小类名称'],
      [9, undefined],
    ]);
    expect(errors[3]!.message).toContain('already began on line 3');
  });

  it('refuses a header without the required columns', () => {
    const { errors, classes } = parseStandardsCsv('大类代码,小类代码,立案条件\n01,01,x', 'event');
    expect(classes).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toContain('小类名称, 处置时限, 结案条件');
  });

  it('reads the whole 运城 sample without errors', async () => {
    const text = await readFile(new URL('./data/yuncheng-component-standards.csv', import.meta.url), 'utf8');
    const parsed = parseStandardsCsv(text, 'component');
    expect(parsed.errors).toEqual([]);
    // Counted with python3's csv module: 66 classes, 279 situations; 19 urgent-hour, 26 work-hour, 233 work-day limits
    // and one the parser must refuse (line 408, class 0402: 种植季节15工作日).
    expect(parsed.classes).toHaveLength(66);
    const situations = parsed.classes.flatMap((c) => c.situations);
    expect(situations).toHaveLength(279);
    const byUnit = (unit: string | null) => situations.filter((s) => (s.limit?.unit ?? null) === unit).length;
    expect([byUnit('urgentHours'), byUnit('workHours'), byUnit('workDays'), byUnit(null)]).toEqual([19, 26, 233, 1]);
    expect(parsed.warnings).toEqual([
      expect.objectContaining({ row: 408, field: '处置时限', code: '0402', text: '种植季节15工作日' }),
    ]);
    // The sample has no byte order mark; Excel's "CSV UTF-8" adds one, which must change nothing.
    expect(parseStandardsCsv(`\ufeff${text}`, 'component')).toEqual(parsed);
    // ' 5工作日' (line 234, class 0206) has a leading blank: read as 5 working days.
    expect(situations.find((s) => s.row === 234)).toMatchObject({ limit: { value: 5, unit: 'workDays' } });
  });
});
