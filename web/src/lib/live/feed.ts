// socket.io client for the hub's `/live` namespace: fetches a snapshot on every (re)connect and streams deltas into the store.
import { io, type Socket } from 'socket.io-client';
import { fetchLatestPositions } from '$lib/api/client';
import { parsePositionsEvent, parseStatusEvent } from '$lib/api/contract';
import type { LivePositions } from './positions.svelte';

interface ServerToClientEvents {
  // Typed as unknown on purpose: the payload comes off the wire and is validated before it touches the store.
  positions: (payload: unknown) => void;
  status: (payload: unknown) => void;
}

type ClientToServerEvents = Record<string, never>;

const SNAPSHOT_RETRY_MIN_MS = 1_000;
const SNAPSHOT_RETRY_MAX_MS = 15_000;
// Slower than socket.io's own transport retries: a refusal usually means the hub is mid-restart or misconfigured.
const REFUSED_RETRY_MIN_MS = 5_000;
const REFUSED_RETRY_MAX_MS = 60_000;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Connects to the hub and keeps `store` up to date until the returned function is called.
 * The caller owns the store; this only writes to it.
 */
export function startLiveFeed(store: LivePositions): () => void {
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io('/live', { path: '/socket.io' });
  let snapshotRequest: AbortController | null = null;
  let refusedRetryTimer: ReturnType<typeof setTimeout> | undefined;
  let refusedRetryDelay = REFUSED_RETRY_MIN_MS;

  // Snapshot after every connect: deltas sent while we were away are gone, so only the hub's view can fill the gap.
  async function loadSnapshot(): Promise<void> {
    snapshotRequest?.abort();
    const request = new AbortController();
    snapshotRequest = request;
    store.beginSnapshot();
    let delay = SNAPSHOT_RETRY_MIN_MS;
    while (!request.signal.aborted) {
      try {
        const { positions, statuses } = await fetchLatestPositions(request.signal);
        if (request.signal.aborted) return;
        store.applySnapshot(positions);
        store.applyStatuses(statuses);
        return;
      } catch (error) {
        if (request.signal.aborted) return;
        console.warn(`[cityhub] positions snapshot failed, retrying in ${delay} ms`, error);
        await sleep(delay, request.signal);
        delay = Math.min(delay * 2, SNAPSHOT_RETRY_MAX_MS);
      }
    }
  }

  socket.on('connect', () => {
    refusedRetryDelay = REFUSED_RETRY_MIN_MS;
    store.connection = 'connected';
    void loadSnapshot();
  });

  socket.on('positions', (payload) => {
    const positions = parsePositionsEvent(payload);
    if (positions.length > 0) store.applyDeltas(positions);
  });

  socket.on('status', (payload) => {
    const statuses = parseStatusEvent(payload);
    if (statuses.length > 0) store.applyStatuses(statuses);
  });

  socket.on('disconnect', (reason) => {
    // A snapshot still in flight would be superseded by the one fetched on reconnect anyway.
    snapshotRequest?.abort();
    if (reason === 'io client disconnect') return;
    // socket.io retries transport drops by itself, but not a deliberate server-side disconnect (graceful hub shutdown,
    // admin kick); the hub will be back, so ask for a new connection and let socket.io's backoff take it from there.
    if (!socket.active) socket.connect();
    store.connection = 'reconnecting';
  });

  socket.on('connect_error', (error) => {
    if (socket.active) {
      store.connection = 'reconnecting';
      return;
    }
    // The hub answered but refused the namespace (middleware error, or `/live` not registered yet during startup).
    // socket.io never retries that on its own, and a wall display must not stay dark until someone reloads it.
    store.connection = 'offline';
    console.error(`[cityhub] live feed refused by the hub, retrying in ${refusedRetryDelay} ms`, error);
    clearTimeout(refusedRetryTimer);
    refusedRetryTimer = setTimeout(() => socket.connect(), refusedRetryDelay);
    refusedRetryDelay = Math.min(refusedRetryDelay * 2, REFUSED_RETRY_MAX_MS);
  });

  return () => {
    clearTimeout(refusedRetryTimer);
    snapshotRequest?.abort();
    socket.removeAllListeners();
    socket.disconnect();
    store.connection = 'offline';
  };
}
