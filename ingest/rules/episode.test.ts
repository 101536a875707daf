import { describe, expect, it } from 'vitest';
import { EpisodeTracker } from './episode.js';

const S = 1000;

describe('EpisodeTracker', () => {
  it('fires once when the condition has held for the minimum, however long it goes on', () => {
    const t = new EpisodeTracker(60 * S, 120 * S);
    const fired = [];
    for (let s = 0; s <= 3600; s += 10) fired.push(t.update('d', 'z', s * S, true, 117, 36, s));
    expect(fired.filter(Boolean).map((e) => e!.startMs)).toEqual([0]);
    expect(fired.findIndex(Boolean)).toBe(6); // at 60 s
    expect(t.get('d', 'z')!.peak).toBe(3600);
  });

  it('a false stretch shorter than minGap continues the episode, a longer one ends it', () => {
    const t = new EpisodeTracker(0, 120 * S);
    expect(t.update('d', 'z', 0, true, 0, 0)).not.toBeNull();
    expect(t.update('d', 'z', 10 * S, false, 0, 0)).toBeNull();
    expect(t.update('d', 'z', 129 * S, true, 0, 0)).toBeNull(); // false for 119 s: the same episode
    expect(t.update('d', 'z', 130 * S, false, 0, 0)).toBeNull();
    expect(t.update('d', 'z', 250 * S, true, 0, 0)!.startMs).toBe(250 * S); // false for 120 s: a new one
    expect(t.openSubjects('d')).toEqual(['z']);
  });

  it('a device silent for more than 15 minutes starts afresh; late fixes are ignored', () => {
    const t = new EpisodeTracker(60 * S, 60 * S);
    t.update('d', '', 0, true, 0, 0);
    expect(t.update('d', '', 901 * S, true, 0, 0)).toBeNull();
    expect(t.get('d')!.startMs).toBe(901 * S);
    expect(t.update('d', '', 900 * S, false, 0, 0)).toBeNull();
    expect(t.get('d')!.falseSinceMs).toBeNull();
  });

  it('falseExcept ends the episodes of zones a fix was not judged in, and only those', () => {
    const t = new EpisodeTracker(0, 30 * S);
    t.update('d', 'a', 0, true, 0, 0);
    t.update('d', 'b', 0, true, 0, 0);
    t.falseExcept('d', [{ id: 'a' }], 10 * S, 0, 0);
    expect(t.get('d', 'a')!.falseSinceMs).toBeNull();
    expect(t.get('d', 'b')!.falseSinceMs).toBe(10 * S);
    // Still out of b 30 s after leaving it: b's episode is over, a's goes on.
    t.falseExcept('d', [{ id: 'a' }], 40 * S, 0, 0);
    expect(t.openSubjects('d')).toEqual(['a']);
  });
});
