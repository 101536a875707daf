// 视频墙 paging and the player cap of the video wall.
import { describe, expect, it } from 'vitest';
import { MAX_PLAYERS, pageCount, pageOf, playing, stabilise, type WallCamera } from './wall';

const cams = (n: number, offline: number[] = []): WallCamera[] =>
  Array.from({ length: n }, (_, i) => ({
    id: `c${i + 1}`,
    status: offline.includes(i + 1) ? 'offline' : 'online',
    enabled: true,
  }));

describe('wall pages', () => {
  it('splits the cameras into pages of size × size, the last one short', () => {
    const all = cams(11);
    expect(pageCount(11, 2)).toBe(3);
    expect(pageCount(0, 3)).toBe(1);
    expect(pageOf(all, 2, 1).map((c) => c.id)).toEqual(['c5', 'c6', 'c7', 'c8']);
    expect(pageOf(all, 3, 1).map((c) => c.id)).toEqual(['c10', 'c11']);
    expect(pageOf(all, 3, 7).map((c) => c.id)).toEqual(['c10', 'c11']);
  });
});

describe('players on a page', () => {
  it('plays the live cameras in page order, never more than the cap', () => {
    const page = cams(9, [2, 3]);
    expect([...playing(page)]).toEqual(['c1', 'c4', 'c5', 'c6']);
    expect(playing(page).size).toBe(MAX_PLAYERS);
    expect([...playing(page, { cap: 2 })]).toEqual(['c1', 'c4']);
  });

  it('a camera the operator asks for takes a place first; one they stopped stays stopped', () => {
    const page = cams(9, [2]);
    expect([...playing(page, { requested: ['c9', 'c2'] })]).toEqual(['c9', 'c1', 'c3', 'c4']);
    expect([...playing(page, { stopped: new Set(['c1', 'c3']) })]).toEqual(['c4', 'c5', 'c6', 'c7']);
    const disabled = page.map((c) => (c.id === 'c1' ? { ...c, enabled: false } : c));
    expect(playing(disabled).has('c1')).toBe(false);
  });
});

describe('re-reading the camera list', () => {
  it('keeps the object of an unchanged camera and takes the new one of a changed camera', () => {
    const before = cams(3);
    const after = stabilise(before, [
      { ...before[0]! },
      { ...before[1]!, status: 'offline' },
      { id: 'c9', status: 'online', enabled: true },
    ]);
    expect(after[0]).toBe(before[0]);
    expect(after[1]).not.toBe(before[1]);
    expect(after[1]!.status).toBe('offline');
    expect(after.map((c) => c.id)).toEqual(['c1', 'c2', 'c9']);
  });
});
