import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type * as Connection from './connection';
import type { ConnectionState, LiveEvent } from './connection';

// A socket.io server speaking the hub's `/live` contract (hub/live/push.ts, hub/live/viewers.ts): the session token in
// the handshake, `subscribe` answered by a snapshot of the layers asked for and an ack, deltas per event.
let http: HttpServer;
let server: Server;
const handshakes: (string | null)[] = [];
const subscriptions: string[][] = [];
const sockets: Socket[] = [];
let live: typeof Connection;

beforeAll(async () => {
  http = createServer();
  server = new Server(http, { path: '/socket.io' });
  const namespace = server.of('/live');
  namespace.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: string }).token;
    handshakes.push(token ?? null);
    next();
  });
  namespace.on('connection', (socket) => {
    sockets.push(socket);
    socket.on('subscribe', (request: { layers: string[] }, ack: (reply: unknown) => void) => {
      subscriptions.push(request.layers);
      socket.emit('snapshot', { layers: request.layers, token: handshakes.at(-1) });
      ack({ ok: true });
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  // The module opens `/live` on the page's origin.
  const port = String((http.address() as AddressInfo).port);
  vi.stubGlobal('location', { protocol: 'http:', hostname: '127.0.0.1', port, host: `127.0.0.1:${port}` });
  live = await import('./connection');
});

afterAll(async () => {
  vi.unstubAllGlobals();
  await server.close();
});

afterEach(() => {
  handshakes.length = 0;
  subscriptions.length = 0;
  sockets.length = 0;
  live.setLiveToken(null);
});

async function waitFor(what: string, check: () => boolean): Promise<void> {
  const until = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A watcher that records what it was handed. */
function recorder(layers: ('vehicles' | 'collectors' | 'sensors' | 'cameras' | 'cases' | 'candidates')[]) {
  const snapshots: unknown[] = [];
  const deltas: [LiveEvent, unknown][] = [];
  let before = 0;
  return {
    watcher: {
      layers,
      beforeSnapshot: () => void before++,
      snapshot: (payload: unknown) => void snapshots.push(payload),
      delta: (event: LiveEvent, payload: unknown) => void deltas.push([event, payload]),
    },
    snapshots,
    deltas,
    get before() {
      return before;
    },
  };
}

describe('the page’s live connection', () => {
  it('serves every watcher from one connection subscribed to the union of their layers', async () => {
    const states: ConnectionState[] = [];
    const stopState = live.watchLiveState((s) => states.push(s));
    const map = recorder(['vehicles', 'collectors', 'cases']);
    const cameras = recorder(['cameras']);
    const stopMap = live.watchLive(map.watcher);
    const stopCameras = live.watchLive(cameras.watcher);
    await waitFor('the snapshot', () => cameras.snapshots.length > 0);
    expect(sockets).toHaveLength(1);
    expect(subscriptions).toEqual([['cameras', 'cases', 'collectors', 'vehicles']]);
    expect(map.snapshots).toEqual(cameras.snapshots);
    expect(map.before).toBe(1);
    expect(states).toEqual(['offline', 'connecting', 'connected']);

    // Deltas go to the watchers of their layer only.
    sockets[0]!.emit('cameras', { cameras: [{ id: 'cam-1' }] });
    sockets[0]!.emit('positions', { positions: [{ deviceId: 'v-1' }] });
    sockets[0]!.emit('cases', { cases: [{ id: 'case-1' }] });
    await waitFor('the deltas', () => map.deltas.length === 2 && cameras.deltas.length === 2);
    expect(map.deltas.map(([e]) => e)).toEqual(['positions', 'cases']);
    expect(cameras.deltas.map(([e]) => e)).toEqual(['cameras', 'positions']);

    // A watcher leaving: the rest subscribe to fewer layers; the last one closes the connection.
    stopCameras();
    await waitFor('the narrower subscription', () => subscriptions.length === 2);
    expect(subscriptions[1]).toEqual(['cases', 'collectors', 'vehicles']);
    stopMap();
    await waitFor('the disconnect', () => !sockets[0]!.connected);
    expect(states.at(-1)).toBe('offline');
    stopState();
  });

  it('speaks for the session: a login reconnects with the token, and the hub’s `access` asks for a new snapshot', async () => {
    live.setLiveToken('token-before-open');
    const map = recorder(['vehicles', 'collectors']);
    const stop = live.watchLive(map.watcher);
    await waitFor('the first snapshot', () => map.snapshots.length === 1);
    expect(handshakes).toEqual(['token-before-open']);

    // Logged out, then in as someone else: one new connection per change of session, each with a fresh snapshot.
    live.setLiveToken(null);
    await waitFor('the anonymous snapshot', () => map.snapshots.length === 2);
    live.setLiveToken('token-after-login');
    live.setLiveToken('token-after-login');
    await waitFor('the session’s snapshot', () => map.snapshots.length === 3);
    expect(handshakes).toEqual(['token-before-open', null, 'token-after-login']);
    expect(map.snapshots.at(-1)).toEqual({ layers: ['collectors', 'vehicles'], token: 'token-after-login' });

    // The session's sight changed (hub/live/viewers.ts): the same connection subscribes again.
    sockets.at(-1)!.emit('access', { personal: 'none' });
    await waitFor('the snapshot after `access`', () => map.snapshots.length === 4);
    expect(handshakes).toHaveLength(3);
    expect(map.before).toBe(4);
    stop();
  });

  it('subscribes again after the hub drops the connection', async () => {
    const states: ConnectionState[] = [];
    const cases = recorder(['cases']);
    const stop = live.watchLive(cases.watcher);
    await waitFor('the first snapshot', () => cases.snapshots.length === 1);
    const stopState = live.watchLiveState((s) => states.push(s));
    // A deliberate server-side disconnect (a hub shutting down) is not retried by socket.io itself.
    sockets[0]!.disconnect(true);
    await waitFor('the snapshot after the reconnect', () => cases.snapshots.length === 2);
    expect(sockets).toHaveLength(2);
    expect(states).toEqual(['connected', 'reconnecting', 'connected']);
    stop();
    stopState();
  });
});
