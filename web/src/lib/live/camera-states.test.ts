import { describe, expect, it } from 'vitest';
import type { CameraLiveState, CameraSummary } from '$lib/api/cameras';
import { CameraStates } from './camera-states';

const T = (s: number) => new Date(Date.UTC(2026, 11, 1, 8, 0, s)).toISOString();
const listed = (id: string, status: 'online' | 'offline', changedS: number | null): CameraSummary => ({
  id,
  name: `路口 ${id}`,
  lon: 117,
  lat: 36.66,
  status,
  statusChangedAt: changedS === null ? null : T(changedS),
  lastFrameAt: changedS === null ? null : T(changedS),
  enabled: true,
  updatedAt: T(0),
});
const live = (id: string, status: 'online' | 'offline', changedS: number, frameS: number | null = null) =>
  ({
    id,
    status,
    statusChangedAt: T(changedS),
    lastFrameAt: frameS === null ? null : T(frameS),
    enabled: true,
    updatedAt: T(0),
  }) satisfies CameraLiveState;

describe('CameraStates', () => {
  it('draws the listed cameras with the newest status, whichever source brought it', () => {
    const states = new CameraStates();
    states.setList([listed('a', 'offline', 10), listed('b', 'online', 10)]);
    expect(states.apply([live('a', 'online', 20, 25), live('b', 'offline', 5)])).toBe(false);
    expect(states.cameras().map((c) => [c.id, c.status, c.name, c.lastFrameAt])).toEqual([
      ['a', 'online', '路口 a', T(25)],
      // The live feed's state of b is older than the list's: the list wins, its frame time too.
      ['b', 'online', '路口 b', T(10)],
    ]);
    // A list fetched later but holding an older state does not undo a newer live change.
    states.setList([listed('a', 'offline', 10), listed('b', 'online', 10)]);
    expect(states.cameras()[0]!.status).toBe('online');
  });

  it('an older delta never overrides a newer one; last frame times never go back', () => {
    const states = new CameraStates();
    states.setList([listed('a', 'offline', null)]);
    states.apply([live('a', 'online', 20, 30)]);
    states.apply([live('a', 'offline', 15, 18)]);
    expect(states.cameras()[0]).toMatchObject({ status: 'online', lastFrameAt: T(30) });
    states.apply([live('a', 'offline', 40)]);
    expect(states.cameras()[0]).toMatchObject({ status: 'offline', statusChangedAt: T(40), lastFrameAt: T(30) });
  });

  it('says the list is stale for a camera it does not know or whose registry entry changed', () => {
    const states = new CameraStates();
    states.setList([listed('a', 'offline', 10)]);
    expect(states.apply([live('a', 'offline', 10)])).toBe(false);
    expect(states.apply([live('new', 'online', 30)])).toBe(true);
    expect(states.apply([{ ...live('a', 'offline', 10), updatedAt: T(50) }])).toBe(true);
    // Cameras not in the list are not drawn (no name, no place) until the list is fetched again.
    expect(states.cameras().map((c) => c.id)).toEqual(['a']);
    states.clear();
    expect(states.cameras()).toEqual([]);
  });

  it("keeps each screen's own camera shape; a camera the screen stored replaces the listed one or joins in id order", () => {
    type AdminLike = CameraSummary & { zones: string[]; updatedAt: string };
    const admin = (id: string, zones: string[], updatedS: number): AdminLike => ({
      ...listed(id, 'offline', 10),
      zones,
      updatedAt: T(updatedS),
    });
    const states = new CameraStates<AdminLike>();
    states.setList([admin('b', [], 0), admin('d', [], 0)]);
    states.apply([live('b', 'online', 20)]);
    states.put(admin('b', ['kerb'], 30));
    states.put(admin('c', [], 30));
    expect(states.cameras().map((c) => [c.id, c.status, c.zones])).toEqual([
      // The stored copy is older news about b's status than the feed: the feed's status stays.
      ['b', 'online', ['kerb']],
      ['c', 'offline', []],
      ['d', 'offline', []],
    ]);
    // The feed then reports b with the registry time of the stored copy: the list is not stale.
    expect(states.apply([{ ...live('b', 'online', 20), updatedAt: T(30) }])).toBe(false);
  });
});
