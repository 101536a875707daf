// The live push's cameras layer over a real socket.io server and client: the snapshot on subscribe and the batched
// deltas carry each camera's state, only to subscribers of the layer and inside their bounding box, never its place.
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { io as ioClient, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/support/wait.js';
import { LIVE_NAMESPACE, LivePush, toLiveCamera, type LiveCameraDto } from './push.js';

const at = (iso: string) => new Date(iso);
const camera = (id: string, lon: number, status: 'online' | 'offline', changed: string) =>
  toLiveCamera({
    id,
    status,
    statusChangedAt: at(changed),
    lastFrameAt: status === 'online' ? at(changed) : null,
    enabled: true,
    updatedAt: at('2026-12-01T00:00:00Z'),
    lon,
    lat: 36.66,
  });

let http: HttpServer;
let server: Server;
let live: LivePush;
const clients: Socket[] = [];

beforeAll(async () => {
  http = createServer();
  server = new Server(http, { serveClient: false });
  live = new LivePush(server.of(LIVE_NAMESPACE), 3_600_000, {
    kindOf: () => null,
    snapshot: async () => ({ positions: [], statuses: [] }),
    cameraSnapshot: async () => [
      camera('cam-in', 117.02, 'offline', '2026-12-01T08:00:00Z'),
      camera('cam-out', 118.5, 'online', '2026-12-01T08:00:00Z'),
    ],
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  for (const c of clients) c.close();
  live.stop();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function subscribe(request: object) {
  const { port } = http.address() as AddressInfo;
  const socket = ioClient(`http://127.0.0.1:${port}${LIVE_NAMESPACE}`, { transports: ['websocket'] });
  clients.push(socket);
  const heard: LiveCameraDto[] = [];
  socket.on('cameras', (m: { cameras: LiveCameraDto[] }) => heard.push(...m.cameras));
  const snapshot = new Promise<{ cameras: LiveCameraDto[] }>((resolve) => socket.once('snapshot', resolve));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  await new Promise((resolve) => socket.emit('subscribe', request, resolve));
  return { heard, snapshot: await snapshot };
}

describe('the cameras layer', () => {
  it('snapshots and pushes camera states inside the subscriber’s box, without names or places', async () => {
    const boxed = await subscribe({ layers: ['cameras'], bbox: [116.9, 36.6, 117.1, 36.7] });
    const all = await subscribe({ layers: ['cameras'] });
    const others = await subscribe({ layers: ['vehicles', 'cases'] });
    expect(boxed.snapshot.cameras).toEqual([
      {
        id: 'cam-in',
        status: 'offline',
        statusChangedAt: '2026-12-01T08:00:00.000Z',
        lastFrameAt: null,
        enabled: true,
        updatedAt: '2026-12-01T00:00:00.000Z',
      },
    ]);
    expect(all.snapshot.cameras.map((c) => c.id)).toEqual(['cam-in', 'cam-out']);
    expect(others.snapshot.cameras).toEqual([]);

    // Two changes of one camera within a tick: only the last is sent.
    live.pushCamera(camera('cam-in', 117.02, 'online', '2026-12-01T08:01:00Z'));
    live.pushCamera(camera('cam-in', 117.02, 'offline', '2026-12-01T08:02:00Z'));
    live.pushCamera(camera('cam-out', 118.5, 'offline', '2026-12-01T08:02:00Z'));
    live.flush();
    await waitFor('the deltas', () => all.heard.length >= 2);
    await waitFor('the boxed delta', () => boxed.heard.length >= 1);
    expect(all.heard.map((c) => [c.id, c.status, c.statusChangedAt])).toEqual([
      ['cam-in', 'offline', '2026-12-01T08:02:00.000Z'],
      ['cam-out', 'offline', '2026-12-01T08:02:00.000Z'],
    ]);
    expect(boxed.heard.map((c) => c.id)).toEqual(['cam-in']);
    expect(Object.keys(boxed.heard[0]!)).not.toContain('lon');
    // Nothing for a subscriber without the layer (it would have arrived with the others' deltas).
    await new Promise((r) => setTimeout(r, 200));
    expect(others.heard).toEqual([]);
  });
});
