import { describe, expect, it } from 'vitest';
import { LiveIndex } from './live-index';

interface Fix {
  id: string;
  t: number;
  lon: number;
}
const fixes = () => new LiveIndex<Fix>({ id: (f) => f.id, newer: (a, b) => a.t > b.t });

interface Case {
  id: string;
  version: number;
  open: boolean;
}
const cases = () =>
  new LiveIndex<Case>({ id: (c) => c.id, newer: (a, b) => a.version > b.version, alive: (c) => c.open });

describe('LiveIndex', () => {
  it('keeps the newest entry per id, never moving backwards, and says which ids changed', () => {
    const index = fixes();
    expect(
      index.apply([
        { id: 'a', t: 10, lon: 117.1 },
        { id: 'b', t: 1, lon: 117 },
      ]),
    ).toEqual(['a', 'b']);
    expect(index.apply([{ id: 'a', t: 5, lon: 117.0 }])).toEqual([]);
    expect(index.apply([{ id: 'a', t: 10, lon: 117.2 }])).toEqual([]);
    expect(index.get('a')?.lon).toBe(117.1);
    expect(index.size).toBe(2);
  });

  it('takes a snapshot as the set of entries but keeps newer deltas that raced it', () => {
    const index = fixes();
    index.apply([
      { id: 'gone', t: 1, lon: 0 },
      { id: 'a', t: 1, lon: 0 },
    ]);
    index.beginSnapshot();
    index.apply([
      { id: 'a', t: 20, lon: 117.3 },
      { id: 'new', t: 21, lon: 0 },
    ]);
    index.applySnapshot([
      { id: 'a', t: 15, lon: 117.2 },
      { id: 'b', t: 15, lon: 0 },
    ]);
    expect([...index.values()].map((p) => p.id).sort()).toEqual(['a', 'b', 'new']);
    expect(index.get('a')?.lon).toBe(117.3);
  });

  it('removes an entry when a newer delta says it is gone (a case closed)', () => {
    const index = cases();
    index.apply([{ id: '1', version: 1, open: true }]);
    expect(index.apply([{ id: '1', version: 2, open: false }])).toEqual(['1']);
    expect(index.get('1')).toBeUndefined();
    // A case closed before the map ever saw it is not added.
    expect(index.apply([{ id: '2', version: 5, open: false }])).toEqual([]);
    expect(index.size).toBe(0);
  });

  it('does not let a snapshot taken before a removal bring the entry back', () => {
    const index = cases();
    index.apply([{ id: '1', version: 1, open: true }]);
    index.beginSnapshot();
    index.apply([{ id: '1', version: 2, open: false }]);
    index.apply([{ id: '9', version: 3, open: false }]); // closed before we ever saw it
    index.applySnapshot([
      { id: '1', version: 1, open: true },
      { id: '9', version: 2, open: true },
      { id: '5', version: 1, open: true },
    ]);
    expect([...index.values()].map((c) => c.id)).toEqual(['5']);
  });

  it('lets a snapshot newer than a racing delta win, and drops snapshot entries that are not alive', () => {
    const index = cases();
    index.beginSnapshot();
    index.apply([{ id: '1', version: 1, open: true }]);
    index.applySnapshot([
      { id: '1', version: 3, open: true },
      { id: '2', version: 1, open: false },
    ]);
    expect(index.get('1')?.version).toBe(3);
    expect(index.get('2')).toBeUndefined();
  });
});
