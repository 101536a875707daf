import type { Map as MapLibreMap } from 'maplibre-gl';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LiveSource, type IdFeature, type LiveSourceOptions } from './live-source';

/** What the source was told, in order: the calls a GeoJSON source receives from LiveSource. */
type Call = { setData: string[] } | { add: string[]; remove: string[] };

let frames: (() => void)[] = [];
let calls: Call[] = [];
let clockMs = 0;
/** Updates handed to MapLibre and not yet on screen: `draw()` puts them there. */
let onScreen: (() => void)[] = [];
const positions = new Map<string, number>();

const map = {
  getSource: () => ({
    setData: (data: { features: IdFeature[] }) =>
      calls.push({ setData: data.features.map((f) => `${f.properties.id}@${String(f.properties.x)}`) }),
    updateData: (diff: { add: IdFeature[]; remove: string[] }) =>
      calls.push({ add: diff.add.map((f) => `${f.properties.id}@${String(f.properties.x)}`), remove: diff.remove }),
  }),
} as unknown as MapLibreMap;

function source(options: Partial<LiveSourceOptions> = {}): LiveSource {
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
    whenDrawn: () => new Promise<void>((resolve) => onScreen.push(resolve)),
    now: () => clockMs,
    ...options,
  });
}

/** Runs the animation frames requested so far. */
function nextFrame(): void {
  const due = frames;
  frames = [];
  for (const f of due) f();
}

/** The map draws what it was given: every update handed over is now on screen. */
async function draw(): Promise<void> {
  const due = onScreen;
  onScreen = [];
  for (const resolve of due) resolve();
  await Promise.resolve();
  await Promise.resolve();
}

/** One frame, and the map draws what that frame handed over. */
async function frameDrawn(): Promise<void> {
  nextFrame();
  await draw();
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  frames = [];
  calls = [];
  onScreen = [];
  clockMs = 0;
  positions.clear();
  globalThis.requestAnimationFrame = ((cb: () => void) => frames.push(cb)) as typeof requestAnimationFrame;
  globalThis.cancelAnimationFrame = ((id: number) => {
    frames[id - 1] = () => undefined;
  }) as typeof cancelAnimationFrame;
});

afterEach(() => {
  vi.useRealTimers();
  // @ts-expect-error -- the stubs only exist for these tests
  delete globalThis.requestAnimationFrame;
  // @ts-expect-error -- idem
  delete globalThis.cancelAnimationFrame;
});

describe('LiveSource', () => {
  it('draws everything once at first, then only what changed, once per frame however many deltas came', async () => {
    positions.set('a', 1).set('b', 2);
    const s = source();
    await frameDrawn();
    expect(calls).toEqual([{ setData: ['a@1', 'b@2'] }]);

    // Three deltas within one frame, one of them moving `a` twice: a single diff with a's newest place.
    positions.set('a', 10);
    s.changed(['a']);
    positions.set('c', 3);
    s.changed(['c']);
    positions.set('a', 11);
    s.changed(['a']);
    expect(frames).toHaveLength(1);
    await frameDrawn();
    expect(calls.slice(1)).toEqual([{ add: ['a@11', 'c@3'], remove: [] }]);
  });

  it('never falls behind: while an update is being drawn, any number of batches make one next update with the newest positions', async () => {
    const units = Array.from({ length: 100 }, (_, i) => `u${i}`);
    for (const id of units) positions.set(id, 0);
    const s = source();
    await frameDrawn();
    for (const id of units) positions.set(id, 1);
    s.changed(units);
    nextFrame(); // handed over; the map is slow and has not drawn it yet
    expect(calls).toHaveLength(2);

    // Twenty socket batches, each moving every unit, arrive while that update is still being drawn.
    for (let batch = 2; batch <= 21; batch++) {
      for (const id of units) positions.set(id, batch);
      s.changed(units);
      clockMs += 150;
      nextFrame();
    }
    expect(calls).toHaveLength(2); // nothing queued behind the slow update, however many batches came

    await draw();
    nextFrame();
    // One update, one entry per unit, each at its newest position: positions 2…20 were dropped, never drawn.
    expect(calls).toHaveLength(3);
    expect(calls[2]).toEqual({ add: units.map((id) => `${id}@21`), remove: [] });
    await draw();
    nextFrame();
    expect(calls).toHaveLength(3);
  });

  it('keeps its pace: no update sooner than minIntervalMs after the last one started', async () => {
    positions.set('a', 1);
    const s = source({ pace: { minIntervalMs: 250 } });
    await frameDrawn();
    positions.set('a', 2);
    s.changed(['a']);
    clockMs = 100;
    nextFrame();
    expect(calls).toHaveLength(1);
    expect(frames).toHaveLength(0);
    clockMs = 250;
    vi.advanceTimersByTime(250);
    expect(frames).toHaveLength(1);
    await frameDrawn();
    expect(calls.slice(1)).toEqual([{ add: ['a@2'], remove: [] }]);
  });

  it('an update never reported drawn holds the next one back for drawnTimeoutMs at most', async () => {
    positions.set('a', 1);
    const s = source({ pace: { drawnTimeoutMs: 1_000 } });
    nextFrame(); // the first update is never reported drawn
    positions.set('a', 2);
    s.changed(['a']);
    expect(frames).toHaveLength(0);
    clockMs = 1_000;
    vi.advanceTimersByTime(1_000);
    nextFrame();
    expect(calls).toEqual([{ setData: ['a@1'] }, { add: ['a@2'], remove: [] }]);
  });

  it('removes what left the store, and ignores ids it never drew', async () => {
    positions.set('a', 1).set('b', 2);
    const s = source();
    await frameDrawn();
    positions.delete('b');
    s.changed(['b', 'never-drawn']);
    await frameDrawn();
    expect(calls.slice(1)).toEqual([{ add: [], remove: ['b'] }]);
    s.changed(['b']); // gone already: nothing to send, and nothing to wait for
    await frameDrawn();
    expect(calls).toHaveLength(2);
    positions.set('c', 3);
    s.changed(['c']);
    await frameDrawn();
    expect(calls.slice(2)).toEqual([{ add: ['c@3'], remove: [] }]);
  });

  it('redraws everything after a snapshot (null) or a refresh, in one setData', async () => {
    positions.set('a', 1);
    const s = source();
    await frameDrawn();
    positions.set('b', 2);
    s.changed(['a']);
    s.changed(null);
    await frameDrawn();
    s.refresh();
    await frameDrawn();
    expect(calls).toEqual([{ setData: ['a@1'] }, { setData: ['a@1', 'b@2'] }, { setData: ['a@1', 'b@2'] }]);
  });

  it('with fullUpdates, sends every change as one setData, and none for ids of no concern to it', async () => {
    positions.set('a', 1);
    const s = source({ fullUpdates: true });
    await frameDrawn();
    s.changed(['elsewhere']);
    await frameDrawn();
    expect(calls).toHaveLength(1);
    positions.set('a', 2);
    s.changed(['a']);
    await frameDrawn();
    expect(calls.slice(1)).toEqual([{ setData: ['a@2'] }]);
  });

  it('while inactive, lets changes wait, and draws everything once refreshed when active again', async () => {
    let active = false;
    positions.set('a', 1);
    const s = source({ active: () => active });
    nextFrame();
    positions.set('a', 2);
    s.changed(['a']);
    nextFrame();
    expect(calls).toEqual([]);
    active = true;
    s.refresh();
    await frameDrawn();
    expect(calls).toEqual([{ setData: ['a@2'] }]);
  });

  it('calls what afterFlush returned once that update is on screen', async () => {
    positions.set('a', 1);
    const drawnKinds: string[] = [];
    source({ afterFlush: (kind, features) => () => drawnKinds.push(`${kind}:${features}`) });
    nextFrame();
    expect(drawnKinds).toEqual([]);
    await draw();
    expect(drawnKinds).toEqual(['full:1']);
  });

  it('stops drawing once destroyed', async () => {
    const s = source();
    s.destroy();
    s.changed(['a']);
    await frameDrawn();
    expect(calls).toEqual([]);
  });
});
