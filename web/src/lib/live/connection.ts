// 实时连接 the page's one socket.io connection to the hub's `/live` namespace, shared by every part of the page that
// follows a live layer (the map's devices, cases and candidates; camera status on the map, the video wall and the camera
// admin; case changes on the workflow screens). The hub keeps one subscription per connection, so this subscribes to the
// union of the watchers' layers — after every (re)connect, whenever a watcher comes or goes, and when the hub says the
// session's sight changed (`access`) — and hands the snapshot that answers each subscription to every watcher: one that
// just came needs it, the others merge it like any other state. Deltas go to the watchers of their layer.
// The session token goes in the handshake (collectors, people, come only to a session that may see them): the layout
// hands it over with `setLiveToken`, and a login or logout reconnects, so the next snapshot is the new session's.
import { io, type Socket } from 'socket.io-client';

/** The hub's layers (hub/live/push.ts LAYERS). */
export type LiveLayer = 'vehicles' | 'collectors' | 'sensors' | 'cameras' | 'cases' | 'candidates';

/** The hub's delta events, each with the layers it carries. */
const EVENT_LAYERS = {
  positions: ['vehicles', 'collectors', 'sensors', 'cameras'],
  status: ['vehicles', 'collectors', 'sensors', 'cameras'],
  cases: ['cases'],
  candidates: ['candidates'],
  cameras: ['cameras'],
} as const satisfies Record<string, readonly LiveLayer[]>;
export type LiveEvent = keyof typeof EVENT_LAYERS;
const EVENTS = Object.keys(EVENT_LAYERS) as LiveEvent[];

/** The link to the hub, for a screen's indicator. */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'offline';

export interface LiveWatcher {
  readonly layers: readonly LiveLayer[];
  /** Called right before the connection asks for a snapshot (which every watcher gets), so racing deltas are kept. */
  beforeSnapshot?(): void;
  /** The state of the subscribed layers (which may be more than this watcher's): at the start and after a gap. */
  snapshot(payload: unknown): void;
  /** A batch of deltas of an event of one of this watcher's layers; typed unknown: it comes off the wire. */
  delta(event: LiveEvent, payload: unknown): void;
}

// Payloads are typed unknown on purpose: each watcher validates what it reads.
type ServerToClientEvents = Record<LiveEvent | 'snapshot' | 'access', (payload: unknown) => void>;
interface ClientToServerEvents {
  subscribe: (request: { layers: LiveLayer[] }, ack: (reply: unknown) => void) => void;
}

const SUBSCRIBE_RETRY_MIN_MS = 1_000;
const SUBSCRIBE_RETRY_MAX_MS = 15_000;
// Slower than socket.io's own transport retries: a refusal usually means the hub is mid-restart or misconfigured.
const REFUSED_RETRY_MIN_MS = 5_000;
const REFUSED_RETRY_MAX_MS = 60_000;

const watchers = new Set<LiveWatcher>();
const stateListeners = new Set<(state: ConnectionState) => void>();
let socket: Socket<ServerToClientEvents, ClientToServerEvents> | null = null;
let token: string | null = null;
let state: ConnectionState = 'offline';
let subscribeRetry: ReturnType<typeof setTimeout> | undefined;
let subscribeDelay = SUBSCRIBE_RETRY_MIN_MS;
let refusedRetry: ReturnType<typeof setTimeout> | undefined;
let refusedDelay = REFUSED_RETRY_MIN_MS;
let subscribeQueued = false;

const layersOf = (): LiveLayer[] => [...new Set([...watchers].flatMap((w) => w.layers))].sort();

function setState(next: ConnectionState): void {
  if (next === state) return;
  state = next;
  for (const l of [...stateListeners]) l(next);
}

function clearTimers(): void {
  clearTimeout(subscribeRetry);
  clearTimeout(refusedRetry);
}

// A snapshot after every connect: deltas sent while we were away are gone, so only the hub's view can fill the gap.
function subscribe(): void {
  const s = socket;
  if (!s?.connected) return; // `connect` subscribes.
  clearTimeout(subscribeRetry);
  for (const w of [...watchers]) w.beforeSnapshot?.();
  s.emit('subscribe', { layers: layersOf() }, (reply) => {
    if (s !== socket) return;
    const error = (reply as { error?: unknown } | null)?.error;
    if (error === undefined) {
      subscribeDelay = SUBSCRIBE_RETRY_MIN_MS;
      return;
    }
    // The hub could not read its snapshot (database busy or away): ask again while the connection lasts.
    console.warn(`[cityhub] live snapshot refused: ${String(error)}; retrying in ${subscribeDelay} ms`);
    subscribeRetry = setTimeout(subscribe, subscribeDelay);
    subscribeDelay = Math.min(subscribeDelay * 2, SUBSCRIBE_RETRY_MAX_MS);
  });
}

/** Watchers added or removed together (one page mounting) make one subscription. */
function queueSubscribe(): void {
  if (subscribeQueued) return;
  subscribeQueued = true;
  queueMicrotask(() => {
    subscribeQueued = false;
    if (watchers.size > 0) subscribe();
  });
}

function open(): void {
  setState('connecting');
  // A function, so every (re)connect hands the hub the token of now.
  const s: Socket<ServerToClientEvents, ClientToServerEvents> = io('/live', {
    path: '/socket.io',
    auth: (cb) => cb(token ? { token } : {}),
  });
  socket = s;
  s.on('connect', () => {
    refusedDelay = REFUSED_RETRY_MIN_MS;
    setState('connected');
    subscribe();
  });
  s.on('snapshot', (payload) => {
    for (const w of [...watchers]) w.snapshot(payload);
  });
  for (const event of EVENTS) {
    const layers: readonly LiveLayer[] = EVENT_LAYERS[event];
    s.on(event, (payload) => {
      for (const w of [...watchers]) if (w.layers.some((l) => layers.includes(l))) w.delta(event, payload);
    });
  }
  // Logged out elsewhere, expired, roles changed (hub/live/viewers.ts): a new snapshot drops (or brings) the people.
  s.on('access', subscribe);
  s.on('disconnect', (reason) => {
    clearTimeout(subscribeRetry);
    if (reason === 'io client disconnect') return;
    // socket.io retries transport drops by itself, but not a deliberate server-side disconnect (graceful hub shutdown,
    // admin kick); the hub will be back, so ask for a new connection and let socket.io's backoff take it from there.
    if (!s.active) s.connect();
    setState('reconnecting');
  });
  s.on('connect_error', (error) => {
    if (s.active) {
      setState('reconnecting');
      return;
    }
    // The hub answered but refused the namespace (middleware error, or `/live` not registered yet during startup).
    // socket.io never retries that on its own, and a wall display must not stay dark until someone reloads it.
    setState('offline');
    console.error(`[cityhub] live connection refused by the hub, retrying in ${refusedDelay} ms`, error);
    clearTimeout(refusedRetry);
    refusedRetry = setTimeout(() => s.connect(), refusedDelay);
    refusedDelay = Math.min(refusedDelay * 2, REFUSED_RETRY_MAX_MS);
  });
}

function close(): void {
  clearTimers();
  socket?.removeAllListeners();
  socket?.disconnect();
  socket = null;
  subscribeDelay = SUBSCRIBE_RETRY_MIN_MS;
  refusedDelay = REFUSED_RETRY_MIN_MS;
  setState('offline');
}

/**
 * The session the connection speaks for (null: anonymous). The hub reads the token at the handshake only, so a
 * different one makes a new connection (and snapshot) when one is open.
 */
export function setLiveToken(next: string | null): void {
  if (next === token) return;
  token = next;
  const s = socket;
  if (!s) return;
  clearTimers();
  setState('reconnecting');
  s.disconnect().connect();
}

/** Feeds `watcher` from the page's connection until the returned function is called. */
export function watchLive(watcher: LiveWatcher): () => void {
  watchers.add(watcher);
  if (!socket) open();
  // Even with the same layers: the new watcher needs a snapshot.
  else queueSubscribe();
  return () => {
    const before = layersOf().join();
    if (!watchers.delete(watcher)) return;
    if (watchers.size === 0) close();
    // Fewer layers: stop receiving what nobody on the page follows any more.
    else if (layersOf().join() !== before) queueSubscribe();
  };
}

/** Follows the connection's state (called at once with the current one) until the returned function is called. */
export function watchLiveState(listener: (state: ConnectionState) => void): () => void {
  stateListeners.add(listener);
  listener(state);
  return () => void stateListeners.delete(listener);
}
