// 部件事件分类与标准 catalogue store and standard import, against the real database.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatalogueError, CatalogueStore, DEFAULT_CATALOGUE_FILE, seedDefaultCatalogue } from './catalogue.js';
import { importStandards } from './standards.js';
import { migratedTestDatabase, type TestDatabase } from '../../test/support/database.js';

let db: TestDatabase;
let store: CatalogueStore;
let sample: string;
let catalogueJson: unknown;

beforeAll(async () => {
  db = await migratedTestDatabase();
  store = new CatalogueStore(db.pool);
  sample = await readFile(new URL('./data/yuncheng-component-standards.csv', import.meta.url), 'utf8');
  catalogueJson = JSON.parse(await readFile(DEFAULT_CATALOGUE_FILE, 'utf8'));
});
afterAll(async () => {
  await db?.drop();
});

const count = async (sql: string) => Number((await db.pool.query<{ n: string }>(sql)).rows[0]!.n);

describe('catalogue', () => {
  it('seeds the shipped default (CJ/T 214-2007 numbering) once, into an empty table only', async () => {
    // components-events.json top level: 6 component majors with 64 classes, 7 event majors with 54 classes.
    expect(await seedDefaultCatalogue(db.pool)).toEqual({ numbering: 'cjt214_2007', majors: 13, classes: 118 });
    expect(await count('SELECT count(*) AS n FROM catalogue_classes')).toBe(118);
    expect(await seedDefaultCatalogue(db.pool)).toBeNull();
    const cls = await store.classByCode('component:0118');
    expect(cls).toMatchObject({
      kind: 'component',
      code: '0118',
      nameZh: '路灯',
      majorCode: '01',
      majorNameZh: '公用设施',
    });
  });

  it('re-importing is idempotent', async () => {
    const before = await db.pool.query('SELECT code, updated_at FROM catalogue_classes ORDER BY kind, code');
    await store.importCatalogue(catalogueJson, 'cjt214_2007');
    const after = await db.pool.query('SELECT code, updated_at FROM catalogue_classes ORDER BY kind, code');
    expect(after.rows).toEqual(before.rows);
  });

  it('refuses a bare code both kinds use, and answers by kind', async () => {
    await expect(store.classByCode('0101')).rejects.toMatchObject({ code: 'AmbiguousClass' });
    expect((await store.classByCode('event:0101'))?.nameZh).toBe('私搭乱建');
    expect((await store.forKind('component').classByCode('0101'))?.nameZh).toBe('上水井盖');
    expect(await store.classByCode('component:0199')).toBeNull();
    await expect(store.classByCode('01a1')).rejects.toBeInstanceOf(CatalogueError);
  });

  it('lists with filters and paging', async () => {
    const page = await store.listClasses({ kind: 'component', major: '01' }, { limit: 5, offset: 0 });
    expect(page.total).toBe(26);
    expect(page.items.map((c) => c.code)).toEqual(['0101', '0102', '0103', '0104', '0105']);
    const search = await store.listClasses({ q: '井盖', kind: 'component' }, { limit: 100 });
    expect(search.items.every((c) => c.nameZh.includes('井盖') || c.altNames.some((a) => a.includes('井盖')))).toBe(
      true,
    );
    expect(search.total).toBeGreaterThan(5);
  });

  it('refuses a broken catalogue with every issue and stores nothing', async () => {
    const broken = {
      components: [
        { code: '01', name_zh: '公用设施', children: [{ code: '0201', name_zh: 'wrong major' }, { code: '0150' }] },
        { code: '1', name_zh: 'bad' },
      ],
    };
    const err = await store.importCatalogue(broken, 'cjt214_2007').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CatalogueError);
    expect((err as CatalogueError).issues.map((i) => i.path)).toEqual([
      'components[0].children[0].code',
      'components[0].children[1].name_zh',
      'components[1].code',
    ]);
    expect(await count('SELECT count(*) AS n FROM catalogue_classes')).toBe(118);
  });
});

describe('catalogue numberings', () => {
  let other: TestDatabase;
  beforeAll(async () => {
    other = await migratedTestDatabase();
  });
  afterAll(async () => {
    await other?.drop();
  });

  it('imports the GB/T 30428.2-2013 lineage and GB/T 47678.5-2026 (5-digit codes read as 2+2)', async () => {
    const s = new CatalogueStore(other.pool);
    // gbt30428_2_2013_lineage: 5 component majors (72 classes) + 6 event majors (16 classes).
    expect(await s.importCatalogue(catalogueJson, 'gbt30428_2_2013')).toEqual({
      numbering: 'gbt30428_2_2013',
      majors: 11,
      classes: 88,
    });
    // gbt47678_5_2026: 5 component majors (153) + 5 matter majors 06–10 (97).
    expect(await s.importCatalogue(catalogueJson, 'gbt47678_5_2026')).toMatchObject({ majors: 10, classes: 250 });
    expect(await s.classByCode('component:0101')).toMatchObject({
      nameZh: '供水井盖',
      origin: 'catalogue:gbt47678_5_2026',
    });
    expect(await s.classByCode('event:0601')).toMatchObject({ nameZh: '私搭乱建' });
  });
});

describe('standard import', () => {
  it('imports the whole 运城 sample against the default catalogue, creating the classes it lacks', async () => {
    const progress: [number, number][] = [];
    const result = await importStandards(db.pool, sample, 'component', {
      onProgress: (done, total) => progress.push([done, total]),
    });
    expect(result.errors).toEqual([]);
    expect(result.stored).toBe(true);
    // Computed independently with python3's csv module (see standards-csv.test.ts): 66 classes, 279 situations; 28 of
    // the classes (0127–0131, 0137–0140, 0145, 0146, 0149–0152, 0154, 0157, 0220, 0221, 0224, 0225, 0230, 0408, 0410,
    // 0504, 0506–0508) are not in the CJ/T 214 numbering.
    expect([result.classes, result.situations]).toEqual([66, 279]);
    expect(result.created.map((c) => c.code)).toEqual(
      '0127 0128 0129 0130 0131 0137 0138 0139 0140 0145 0146 0149 0150 0151 0152 0154 0157 0220 0221 0224 0225 0230 0408 0410 0504 0506 0507 0508'.split(
        ' ',
      ),
    );
    // 1 unreadable limit + 25 classes the CJ/T 214 numbering names differently (e.g. 0118 路灯 vs 化粪池井盖) + 5
    // differing major names (02 twice: 道路交通设施 and 交通设施).
    expect(result.warnings).toHaveLength(31);
    expect(result.warnings.filter((w) => w.field === '小类名称')).toHaveLength(25);
    expect(result.warnings.filter((w) => w.field === '大类名称')).toHaveLength(5);
    expect(result.warnings.find((w) => w.code === '0118')).toMatchObject({
      row: expect.any(Number),
      text: '化粪池井盖',
    });
    // 66 classes in chunks of 20: 0, 20, 40, 60, 66.
    expect(progress).toEqual([
      [0, 66],
      [20, 66],
      [40, 66],
      [60, 66],
      [66, 66],
    ]);
    expect(await count('SELECT count(*) AS n FROM class_standards WHERE retired_at IS NULL')).toBe(279);
    expect(await count('SELECT count(*) AS n FROM catalogue_classes')).toBe(118 + 28);

    const situations = await store.forKind('component').standardsFor('0101');
    expect(situations.map((s) => [s.filingCondition, s.limitText, s.limit])).toEqual([
      ['缺失、移位、开裂，存在安全隐患的', '2紧急工作时', { value: 2, unit: 'urgentHours' }],
      ['破损超过25c㎡', '4工作时', { value: 4, unit: 'workHours' }],
      ['弹跳产生声响，翻盖明显影响安全', '2工作日', { value: 2, unit: 'workDays' }],
      [
        '井盖周边路面150cm×150cm范围内出现深陷、凸起或破损,井框与路面高低差大于2cm',
        '5工作日',
        { value: 5, unit: 'workDays' },
      ],
    ]);
    expect(situations[1]).toMatchObject({ responsibleBody: '运城市城市节约用水中心、各产权单位', sourceLine: 6 });
    const odd = (await store.forKind('component').standardsFor('0402')).find((s) => s.limit === null);
    expect(odd).toMatchObject({ limitText: '种植季节15工作日', sourceLine: 408 });
    expect(await store.classByCode('component:0157')).toMatchObject({ origin: 'standard', uncertain: false });
  });

  it('re-importing a class replaces its situations and keeps the old ones for their cases', async () => {
    const old = (await store.forKind('component').standardsFor('0101'))[0]!;
    const csv =
      '大类代码,大类名称,小类代码,小类名称,立案条件,处置时限,结案条件\n01,公用设施,01,上水井盖,缺失的,1紧急工作时,恢复\n';
    const result = await importStandards(db.pool, csv, 'component');
    expect(result).toMatchObject({ classes: 1, situations: 1, created: [], errors: [], stored: true });
    const now = await store.forKind('component').standardsFor('0101');
    expect(now.map((s) => s.limitText)).toEqual(['1紧急工作时']);
    expect(await store.standardById(old.id)).toMatchObject({
      filingCondition: old.filingCondition,
      retiredAt: expect.any(Date),
    });
    // Other classes are untouched.
    expect(await store.forKind('component').standardsFor('0102')).toHaveLength(4);
  });

  it('stores nothing when any row has an error, and a dry run only reports', async () => {
    const before = await count('SELECT count(*) AS n FROM class_standards');
    const csv = [
      '大类代码,大类名称,小类代码,小类名称,立案条件,处置时限,结案条件',
      '01,公用设施,02,污水井盖,新条件,1工作日,修复',
      '09,新大类,01,新小类,x,2工作日,修复',
      ',,02,缺条件,,2工作日,修复',
    ].join('\n');
    const rejected = await importStandards(db.pool, csv, 'component');
    expect(rejected.stored).toBe(false);
    expect(rejected.errors).toEqual([expect.objectContaining({ row: 4, field: '立案条件', code: '0902' })]);
    expect(await count('SELECT count(*) AS n FROM class_standards')).toBe(before);
    expect(
      await count(`SELECT count(*) AS n FROM catalogue_major_classes WHERE code = '09' AND kind = 'component'`),
    ).toBe(0);

    const dry = await importStandards(db.pool, csv.split('\n').slice(0, 3).join('\n'), 'component', { dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, stored: false, classes: 2, situations: 2, errors: [] });
    expect(dry.created).toEqual([expect.objectContaining({ code: '0901', majorCreated: true })]);
    expect(await count('SELECT count(*) AS n FROM class_standards')).toBe(before);
  });

  it('imports events as their own kind', async () => {
    const csv =
      '大类代码,大类名称,小类代码,小类名称,立案条件,处置时限,结案条件\n01,市容环境,02,暴露垃圾,面积大于1㎡,2工作时,清理干净\n';
    const result = await importStandards(db.pool, csv, 'event');
    expect(result).toMatchObject({ stored: true, created: [], warnings: [] });
    expect(await store.forKind('event').standardsFor('0102')).toEqual([
      expect.objectContaining({ kind: 'event', limit: { value: 2, unit: 'workHours' }, closingCondition: '清理干净' }),
    ]);
  });
});
