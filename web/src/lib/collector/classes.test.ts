// 分类搜索 the phone's class search over the kept catalogue: by code prefix first, then by name.
import { describe, expect, it } from 'vitest';
import { classLabel, classRef, searchClasses, type ClassEntry } from './classes';

const entry = (kind: ClassEntry['kind'], code: string, nameZh: string, nameEn = '', altNames: string[] = []) => ({
  kind,
  code,
  nameZh,
  nameEn,
  majorNameZh: '',
  majorNameEn: '',
  altNames,
});

const CLASSES: ClassEntry[] = [
  entry('component', '0101', '上水井盖', 'Water supply manhole cover'),
  entry('component', '0102', '污水井盖', 'Sewage manhole cover', ['雨污井盖']),
  entry('event', '0101', '私搭乱建', 'Illegal structure'),
  entry('event', '0110', '暴露垃圾', 'Exposed garbage', ['垃圾暴露']),
];

describe('class search', () => {
  it('matches codes by prefix, both kinds, before names', () => {
    expect(searchClasses(CLASSES, '0101').map(classRef)).toEqual(['component:0101', 'event:0101']);
    expect(searchClasses(CLASSES, '01').length).toBe(4);
    expect(searchClasses(CLASSES, 'event:01').map(classRef)).toEqual(['event:0101', 'event:0110']);
  });

  it('matches Chinese, English and alternative names, ignoring case', () => {
    expect(searchClasses(CLASSES, '井盖').map(classRef)).toEqual(['component:0101', 'component:0102']);
    expect(searchClasses(CLASSES, 'MANHOLE').map(classRef)).toEqual(['component:0101', 'component:0102']);
    expect(searchClasses(CLASSES, '雨污').map(classRef)).toEqual(['component:0102']);
    expect(searchClasses(CLASSES, '  ')).toEqual([]);
    expect(searchClasses(CLASSES, '井盖', 1)).toHaveLength(1);
  });

  it('labels a class in the current language, falling back to Chinese', () => {
    expect(classLabel(CLASSES[0]!, false)).toBe('0101 上水井盖');
    expect(classLabel(CLASSES[0]!, true)).toBe('0101 Water supply manhole cover');
    expect(classLabel(entry('component', '0999', '其他'), true)).toBe('0999 其他');
  });
});
