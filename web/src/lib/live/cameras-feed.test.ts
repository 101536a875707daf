import { describe, expect, it } from 'vitest';
import type { CameraLiveState, CameraSummary } from '$lib/api/cameras';
import { followCameras, type CameraFeed } from './cameras-feed';

const T = (s: number) => new Date(Date.UTC(2026, 11, 1, 8, 0, s)).toISOString();
const camera = (id: string, status: 'online' | 'offline', updatedS = 0): CameraSummary => ({
  id,
  name: `路口 ${id}`,
  lon: 117,
  lat: 36.66,
  status,
  statusChangedAt: T(1),
  lastFrameAt: null,
  enabled: true,
  updatedAt: T(updatedS),
});
const state = (id: string, status: 'online' | 'offline', changedS: number, updatedS = 0): CameraLiveState => ({
  id,
  status,
  statusChangedAt: T(changedS),
  lastFrameAt: null,
  enabled: true,
  updatedAt: T(updatedS),
});

/** A feed the test drives by hand, in place of the socket. */
function handFeed() {
  let listener: ((states: CameraLiveState[]) => void) | null = null;
  const feed: CameraFeed = (onStates) => {
    listener = onStates;
    return () => (listener = null);
  };
  return {
    feed,
    send: (...states: CameraLiveState[]) => listener?.(states),
    get open() {
      return listener !== null;
    },
  };
}

/** A list the test answers by hand: each fetch waits for `answer`. */
function handList() {
  const pending: { resolve: (list: CameraSummary[]) => void; reject: (e: unknown) => void }[] = [];
  return {
    list: () => new Promise<CameraSummary[]>((resolve, reject) => pending.push({ resolve, reject })),
    get fetches() {
      return pending.length;
    },
    answer: async (i: number, list: CameraSummary[]) => {
      pending[i]!.resolve(list);
      await new Promise((r) => setTimeout(r, 0));
    },
    fail: async (i: number, error: unknown) => {
      pending[i]!.reject(error);
      await new Promise((r) => setTimeout(r, 0));
    },
  };
}

const statuses = (list: CameraSummary[] | undefined) => list?.map((c) => `${c.id}:${c.status}`);

describe('followCameras', () => {
  it('reads the list once and follows status from the feed; only an unknown or edited camera reads it again', async () => {
    const feed = handFeed();
    const list = handList();
    const shown: CameraSummary[][] = [];
    const follower = followCameras({ list: list.list, onCameras: (c) => shown.push(c), feed: feed.feed });
    // The snapshot can beat the list: nothing to show yet, and no second fetch for it.
    feed.send(state('a', 'online', 5));
    expect(shown).toEqual([]);
    await list.answer(0, [camera('a', 'offline'), camera('b', 'online')]);
    expect(statuses(shown.at(-1))).toEqual(['a:online', 'b:online']);

    feed.send(state('b', 'offline', 9));
    feed.send(state('a', 'offline', 10), state('b', 'online', 11));
    expect(statuses(shown.at(-1))).toEqual(['a:offline', 'b:online']);
    expect(list.fetches).toBe(1);

    // A camera registered since: the list is read again (while the first re-read runs, a second stale change waits).
    feed.send(state('c', 'online', 12, 12));
    feed.send(state('b', 'online', 11, 13));
    expect(list.fetches).toBe(2);
    await list.answer(1, [camera('a', 'offline'), camera('b', 'online'), camera('c', 'online', 12)]);
    expect(list.fetches).toBe(3);
    await list.answer(2, [camera('a', 'offline'), camera('b', 'online', 13), camera('c', 'online', 12)]);
    expect(statuses(shown.at(-1))).toEqual(['a:offline', 'b:online', 'c:online']);
    feed.send(state('c', 'offline', 20, 12));
    expect(list.fetches).toBe(3);
    expect(statuses(shown.at(-1))).toEqual(['a:offline', 'b:online', 'c:offline']);

    follower.stop();
    expect(feed.open).toBe(false);
  });

  it('reports a failed list and reads it again after the retry delay; a stored camera shows at once', async () => {
    const feed = handFeed();
    const list = handList();
    const errors: unknown[] = [];
    const shown: CameraSummary[][] = [];
    const follower = followCameras({
      list: list.list,
      onCameras: (c) => shown.push(c),
      onError: (e) => errors.push(e),
      retryMs: 20,
      feed: feed.feed,
    });
    await list.fail(0, new Error('503 database busy'));
    expect(errors).toEqual([new Error('503 database busy')]);
    await new Promise((r) => setTimeout(r, 40));
    expect(list.fetches).toBe(2);
    await list.answer(1, [camera('a', 'online')]);
    expect(errors.at(-1)).toBeNull();

    follower.put({ ...camera('a', 'online', 30), name: '新名字' });
    expect(shown.at(-1)?.map((c) => c.name)).toEqual(['新名字']);
    // The feed then reports the edit the screen already holds: no fetch.
    feed.send(state('a', 'online', 1, 30));
    expect(list.fetches).toBe(2);

    follower.stop();
    // Stopped: a late stale change fetches nothing.
    feed.send(state('z', 'online', 40, 40));
    expect(list.fetches).toBe(2);
  });
});
