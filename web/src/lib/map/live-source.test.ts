import type { Map as MapLibreMap } from 'maplibre-gl';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LiveSource, type IdFeature } from './live-source';

/** What the source was told, in order: the calls a GeoJSON source receives from LiveSource. */
type Call = { setData: string[] } | { add: string[]; remove: string[] };

let frames: (() => void)[] = [];
let calls: Call[] = [];
const positions = new Map<string, number>();

const map = {
  getSource: () => ({
    setData: (data: { features: IdFeature[] }) => calls.push({ setData: data.features.map((f) => f.properties.id) }),
    updateData: (diff: { add: IdFeature[]; remove: string[] }) =>
      calls.push({ add: diff.add.map((f) => `${f.properties.id}@${String(f.properties.x)}`), remove: diff.remove }),
  }),
} as unknown as MapLibreMap;

function source(): LiveSource {
  return new LiveSource({
    map,
    sourceId: 'units',
    ids: () => positions.keys(),
    feature: (id) => {
      const x = positions.get(id);
      return x === undefined
        ? null
        : { type: 'Feature', geometry: { type: 'Point', coordinates: [x, 0] }, properties: { id, x } };
    },
  });
}

/** Runs the animation frames requested so far. */
function nextFrame(): void {
  const due = frames;
  frames = [];
  for (const f of due) f();
}

beforeEach(() => {
  frames = [];
  calls = [];
  positions.clear();
  globalThis.requestAnimationFrame = ((cb: () => void) => frames.push(cb)) as typeof requestAnimationFrame;
  globalThis.cancelAnimationFrame = ((id: number) => {
    frames[id - 1] = () => undefined;
  }) as typeof cancelAnimationFrame;
});

afterEach(() => {
  // @ts-expect-error -- the stubs only exist for these tests
  delete globalThis.requestAnimationFrame;
  // @ts-expect-error -- idem
  delete globalThis.cancelAnimationFrame;
});

describe('LiveSource', () => {
  it('draws everything once at first, then only what changed, once per frame however many deltas came', () => {
    positions.set('a', 1).set('b', 2);
    const s = source();
    nextFrame();
    expect(calls).toEqual([{ setData: ['a', 'b'] }]);

    // Three deltas within one frame, one of them moving `a` twice: a single diff with a's newest place.
    positions.set('a', 10);
    s.changed(['a']);
    positions.set('c', 3);
    s.changed(['c']);
    positions.set('a', 11);
    s.changed(['a']);
    expect(frames).toHaveLength(1);
    nextFrame();
    expect(calls.slice(1)).toEqual([{ add: ['a@11', 'c@3'], remove: [] }]);
  });

  it('removes what left the store, and ignores ids it never drew', () => {
    positions.set('a', 1).set('b', 2);
    const s = source();
    nextFrame();
    positions.delete('b');
    s.changed(['b', 'never-drawn']);
    nextFrame();
    expect(calls.slice(1)).toEqual([{ add: [], remove: ['b'] }]);
    s.changed(['b']); // gone already: nothing to send
    nextFrame();
    expect(calls).toHaveLength(2);
  });

  it('redraws everything after a snapshot (null) or a refresh, in one setData', () => {
    positions.set('a', 1);
    const s = source();
    nextFrame();
    positions.set('b', 2);
    s.changed(['a']);
    s.changed(null);
    nextFrame();
    s.refresh();
    nextFrame();
    expect(calls).toEqual([{ setData: ['a'] }, { setData: ['a', 'b'] }, { setData: ['a', 'b'] }]);
  });

  it('stops drawing once destroyed', () => {
    const s = source();
    s.destroy();
    s.changed(['a']);
    nextFrame();
    expect(calls).toEqual([]);
  });
});
