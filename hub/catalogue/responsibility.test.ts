// 责任划分 responsibility rules and departments: the rule order, the art.33 fallback, and the store on the real database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AreaCodes } from '../cases/ports.js';
import { DepartmentStore } from './departments.js';
import { pickRule, ResponsibilityRules, type ResponsibilityRule } from './responsibility.js';
import { migratedTestDatabase, type TestDatabase } from '../../test/support/database.js';

// 运城市 140800, 盐湖区 140802; a made-up street, community and cell under it.
const AREA: AreaCodes = {
  district: '140802',
  street: '140802001',
  community: '140802001002',
  cell: '140802001002003',
};
const ELSEWHERE: AreaCodes = {
  district: '140821',
  street: '140821001',
  community: '140821001001',
  cell: '140821001001001',
};

let nextId = 1;
const rule = (r: Partial<ResponsibilityRule> & Pick<ResponsibilityRule, 'departmentId'>) => ({
  id: nextId++,
  classPattern: '*',
  classKind: null,
  areaLevel: 'city' as const,
  areaCode: '140800',
  priority: 0,
  ...r,
});

describe('pickRule', () => {
  const rules = [
    rule({ departmentId: 'city-all' }),
    rule({ departmentId: 'city-water', classPattern: '01' }),
    rule({ departmentId: 'city-0101', classPattern: '0101' }),
    rule({ departmentId: 'district-all', areaLevel: 'district', areaCode: '140802' }),
    rule({ departmentId: 'street-01', areaLevel: 'street', areaCode: '140802001', classPattern: '01' }),
    rule({
      departmentId: 'street-01-high',
      areaLevel: 'street',
      areaCode: '140802001',
      classPattern: '01',
      priority: 5,
    }),
    rule({ departmentId: 'cell-02', areaLevel: 'cell', areaCode: '140802001002003', classPattern: '02' }),
    rule({ departmentId: 'event-0101', classPattern: '0101', classKind: 'event' }),
  ];
  const pick = (code: string, area: AreaCodes, kind: 'component' | 'event' | null = null) =>
    pickRule(rules, code, kind, area)?.departmentId ?? null;

  it('prefers the most specific area level over a more specific class', () => {
    // street-level 01 beats the city-level 0101 rule; among the two street rules the higher priority wins.
    expect(pick('0101', AREA)).toBe('street-01-high');
    // 0201: no street rule for 02, the cell rule for 02 applies.
    expect(pick('0201', AREA)).toBe('cell-02');
    // 0301: only the district-wide and city-wide rules match; the district is more specific.
    expect(pick('0301', AREA)).toBe('district-all');
  });

  it('then the most specific class pattern, and kind-specific rules only when the kind is known', () => {
    expect(pick('0101', ELSEWHERE)).toBe('city-0101');
    expect(pick('0101', ELSEWHERE, 'event')).toBe('event-0101');
    expect(pick('0102', ELSEWHERE)).toBe('city-water');
    expect(pick('0501', ELSEWHERE)).toBe('city-all');
  });

  it('a city covers only its own districts', () => {
    const other: AreaCodes = {
      district: '110105',
      street: '110105001',
      community: '110105001001',
      cell: '110105001001001',
    };
    expect(pick('0101', other)).toBeNull();
    expect(pickRule([rule({ departmentId: 'beijing', areaCode: '110000' })], '0101', null, other)?.departmentId).toBe(
      'beijing',
    );
  });
});

describe('departments and responsibility rules in the database', () => {
  let db: TestDatabase;
  let departments: DepartmentStore;
  let responsibility: ResponsibilityRules;

  beforeAll(async () => {
    db = await migratedTestDatabase();
    departments = new DepartmentStore(db.pool);
    responsibility = new ResponsibilityRules(db.pool);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('validates departments and keeps one district government per district', async () => {
    await departments.create({
      id: 'water',
      name: '运城市城市节约用水中心',
      kind: 'department',
      contactPhone: '0359-1234567',
    });
    await departments.create({
      id: 'yanhu-gov',
      name: '盐湖区人民政府',
      kind: 'districtGovernment',
      districtCode: '140802',
    });
    await expect(departments.create({ id: 'water', name: 'x', kind: 'department' })).rejects.toMatchObject({
      code: 'DepartmentExists',
    });
    await expect(departments.create({ id: 'gov2', name: 'x', kind: 'districtGovernment' })).rejects.toMatchObject({
      code: 'InvalidDepartment',
    });
    await expect(
      departments.create({ id: 'gov2', name: 'x', kind: 'districtGovernment', districtCode: '140802' }),
    ).rejects.toMatchObject({ code: 'DistrictGovernmentExists' });
    await expect(departments.update('nope', { name: 'x' })).rejects.toMatchObject({ code: 'DepartmentNotFound' });
    expect((await departments.list()).map((d) => d.id)).toEqual(['water', 'yanhu-gov']);
  });

  it('resolves by rule, falls back to the district government, else null', async () => {
    expect(await responsibility.resolve('0101', AREA)).toEqual({
      departmentId: 'yanhu-gov',
      fallback: true,
      ruleId: null,
    });
    expect(await responsibility.resolve('0101', ELSEWHERE)).toBeNull();

    const r = await responsibility.create({
      classPattern: '01',
      areaLevel: 'district',
      areaCode: '140802',
      departmentId: 'water',
    });
    // The rule is in memory right after the change.
    expect(await responsibility.resolve('component:0103', AREA)).toEqual({
      departmentId: 'water',
      fallback: false,
      ruleId: r.id,
    });
    expect(await responsibility.resolve('0201', AREA)).toMatchObject({ departmentId: 'yanhu-gov', fallback: true });

    await expect(
      responsibility.create({ classPattern: '01', areaLevel: 'street', areaCode: '14080200', departmentId: 'water' }),
    ).rejects.toMatchObject({ code: 'InvalidRule' });
    await expect(
      responsibility.create({ classPattern: '*', areaLevel: 'city', areaCode: '140800', departmentId: 'ghost' }),
    ).rejects.toMatchObject({ code: 'UnknownDepartment' });

    // A disabled department's rules stop applying once reloaded (the HTTP layer reloads after department changes).
    await departments.update('water', { enabled: false });
    await responsibility.reload();
    expect(await responsibility.resolve('0103', AREA)).toMatchObject({ departmentId: 'yanhu-gov', fallback: true });
    await departments.update('water', { enabled: true });
    await responsibility.reload();

    await responsibility.delete(r.id);
    expect(await responsibility.resolve('0103', AREA)).toMatchObject({ fallback: true });
    await expect(responsibility.delete(r.id)).rejects.toMatchObject({ code: 'RuleNotFound' });
  });

  it('a second instance reads the stored rules on its first lookup', async () => {
    await responsibility.create({
      classPattern: '0101',
      areaLevel: 'cell',
      areaCode: AREA.cell,
      departmentId: 'water',
    });
    const fresh = new ResponsibilityRules(db.pool);
    expect(await fresh.resolve('0101', AREA)).toMatchObject({ departmentId: 'water', fallback: false });
    expect((await fresh.list()).map((x) => x.areaLevel)).toEqual(['cell']);
  });
});
