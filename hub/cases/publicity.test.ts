// 信息公开 which case descriptions the public page may show (hub/cases/privacy.ts publicDescription).
import { describe, expect, it } from 'vitest';
import { publicDescription } from './privacy.js';

describe('public description', () => {
  it('publishes what staff wrote when nothing in it looks personal', () => {
    expect(publicDescription('collector', ' 泉城路上水井盖破损 ')).toBe('泉城路上水井盖破损');
    expect(publicDescription('leader', '大明湖南门暴露垃圾')).toBe('大明湖南门暴露垃圾');
    expect(publicDescription('detector', '占道经营')).toBe('占道经营');
  });

  it('never publishes a complainant’s words, or an empty text', () => {
    expect(publicDescription('public', '井盖坏了')).toBeNull();
    expect(publicDescription('hotline', '井盖坏了')).toBeNull();
    expect(publicDescription('collector', '  ')).toBeNull();
    expect(publicDescription('collector', null)).toBeNull();
  });

  it('withholds text with phone, ID or house numbers, e-mail addresses or licence plates', () => {
    for (const text of [
      '联系人电话13812345678',
      '电话 0531-8888-6666',
      '身份证370102199001011234',
      '门牌号１２３４５',
      '联系 li@example.com',
      '鲁A12345 占道停放',
      '车牌京ab1234d乱停',
    ]) {
      expect(publicDescription('collector', text), text).toBeNull();
    }
    expect(publicDescription('collector', '3号楼前井盖缺失')).toBe('3号楼前井盖缺失');
  });

  it('shortens a long text to 200 characters', () => {
    const text = '井'.repeat(300);
    const shown = publicDescription('collector', text)!;
    expect(shown).toHaveLength(200);
    expect(shown.endsWith('…')).toBe(true);
  });
});
