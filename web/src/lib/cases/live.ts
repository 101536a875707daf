// 案件动态 live case changes for the workflow screens: rides the page's one `/live` connection ($lib/live/connection,
// which carries the session: candidates of the collector rules place a person and come only to a supervision role's
// session) on the `cases` and `candidates` layers, shared by every list and detail on the page. Listeners get the ids
// that changed, and `resync` after a reconnect (changes made while away were not pushed: reload all).
import { watchLive, watchLiveState as watchConnection, type ConnectionState } from '$lib/live/connection';

export interface CaseChanges {
  cases: string[];
  candidates: string[];
  /** The connection came back: anything may have changed meanwhile. */
  resync: boolean;
}

export type LiveState = 'connecting' | 'live' | 'offline';

type Listener = (changes: CaseChanges) => void;

function idsOf(payload: unknown, key: 'cases' | 'candidates'): string[] {
  const list = (payload as Record<string, unknown> | null)?.[key];
  if (!Array.isArray(list)) return [];
  return list
    .map((x) => (x as { id?: unknown } | null)?.id)
    .filter((id): id is string => typeof id === 'string' && id !== '');
}

/** Calls `listener` with every batch of case or candidate changes until the returned function is called. */
export function watchCaseChanges(listener: Listener): () => void {
  // The first snapshot is the one this listener starts from; a later one after a gap in the connection asks for a
  // reload (one answering another screen part's subscription carries no news: the deltas were not interrupted).
  let started = false;
  let gap = false;
  const stopState = watchConnection((state) => {
    if (state !== 'connected') gap = started;
  });
  const stopWatch = watchLive({
    layers: ['cases', 'candidates'],
    snapshot: () => {
      if (gap) listener({ cases: [], candidates: [], resync: true });
      started = true;
      gap = false;
    },
    delta: (event, payload) => {
      if (event !== 'cases' && event !== 'candidates') return;
      const ids = idsOf(payload, event);
      if (ids.length === 0) return;
      listener(
        event === 'cases'
          ? { cases: ids, candidates: [], resync: false }
          : { cases: [], candidates: ids, resync: false },
      );
    },
  });
  return () => {
    stopWatch();
    stopState();
  };
}

const SHOWN: Record<ConnectionState, LiveState> = {
  connecting: 'connecting',
  connected: 'live',
  reconnecting: 'connecting',
  offline: 'offline',
};

/** Follows the connection's state (called at once with the current one). */
export function watchLiveState(listener: (state: LiveState) => void): () => void {
  return watchConnection((state) => listener(SHOWN[state]));
}
