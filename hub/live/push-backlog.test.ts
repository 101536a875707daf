// A map viewer that stops reading its connection (推送积压), over a real socket.io server and clients on TCP: the viewer
// reaches the hub through a relay whose hub side stops being read, as a browser on a slow link or asleep would; 5,000
// units move every tick. The hub's engine.io buffer for it stays small tick after tick while its deltas are held
// (newest per unit); once it reads again it gets the newest position of every unit, never an older one after a newer;
// the viewers that keep up get every tick meanwhile, over WebSocket and long-polling alike. Held people are not sent to
// a viewer whose session ended while it was backed up.
import net, { type AddressInfo } from 'node:net';
import { createServer, type Server as HttpServer } from 'node:http';
import { Server, type Socket as ServerSocket } from 'socket.io';
import { io as ioClient, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Observation } from '../../ingest/observation.js';
import { positionFix } from '../../test/support/observations.js';
import { waitFor } from '../../test/support/wait.js';
import { createMetrics } from '../metrics.js';
import { ANONYMOUS_VIEWER, type PositionViewer } from '../positions/access.js';
import { LIVE_NAMESPACE, LivePush, type LivePositionDto } from './push.js';

const TICK_MS = 20;
const UNITS = 5_000;
const VEHICLES = Array.from({ length: UNITS }, (_, i) => `veh-${String(i).padStart(4, '0')}`);
const COLLECTORS = Array.from({ length: 10 }, (_, i) => `col-${i}`);
const T0 = Date.parse('2026-12-01T09:00:00Z');
const timeOf = (generation: number) => T0 + generation * 1000;
const supervisor: PositionViewer = {
  actor: { userId: 'u-lead', name: 'lead', roles: ['leader'], departmentId: null },
  allDevices: true,
  ownDeviceIds: new Set(),
};

/** The stand-in session service: token → answer (what the test changes), and every question asked. */
const answers = new Map<string, PositionViewer>();
const asked: string[] = [];
const logs: { level: 'warn' | 'info'; obj: Record<string, unknown>; msg: string }[] = [];
const metrics = createMetrics();

let http: HttpServer;
let server: Server;
let live: LivePush;
let relay: Relay;
const clients: Socket[] = [];

/**
 * A TCP relay between a browser and the hub whose hub side can stop being read: the hub's writes then fill the kernel's
 * buffers and stop completing, as for a browser that does not read its WebSocket.
 */
interface Relay {
  port: number;
  stall(): void;
  resume(): void;
  close(): Promise<void>;
}

async function startRelay(targetPort: number): Promise<Relay> {
  let stalled = false;
  const hubSides = new Set<net.Socket>();
  const relayServer = net.createServer((browser) => {
    const hub = net.connect(targetPort, '127.0.0.1');
    hubSides.add(hub);
    browser.pipe(hub);
    hub.on('data', (chunk) => {
      if (!browser.write(chunk)) hub.pause();
    });
    browser.on('drain', () => {
      if (!stalled) hub.resume();
    });
    if (stalled) hub.pause();
    hub.on('close', () => {
      hubSides.delete(hub);
      browser.destroy();
    });
    browser.on('close', () => hub.destroy());
    hub.on('error', () => browser.destroy());
    browser.on('error', () => hub.destroy());
  });
  await new Promise<void>((resolve) => relayServer.listen(0, '127.0.0.1', resolve));
  return {
    port: (relayServer.address() as AddressInfo).port,
    stall() {
      stalled = true;
      for (const hub of hubSides) hub.pause();
    },
    resume() {
      stalled = false;
      for (const hub of hubSides) hub.resume();
    },
    close: () =>
      new Promise((resolve) => {
        for (const hub of hubSides) hub.destroy();
        relayServer.close(() => resolve());
      }),
  };
}

beforeAll(async () => {
  http = createServer();
  server = new Server(http, { serveClient: false });
  live = new LivePush(server.of(LIVE_NAMESPACE), TICK_MS, {
    kindOf: (id) => (id.startsWith('col-') ? 'collector' : 'vehicle'),
    snapshot: async () => ({ positions: [], statuses: [] }),
    access: {
      async viewerFor(authorization) {
        asked.push(authorization ?? '');
        return answers.get(authorization?.replace(/^Bearer /, '') ?? '') ?? ANONYMOUS_VIEWER;
      },
    },
    accessRecheckMs: 100,
    backlogMetrics: { coalesced: metrics.liveCoalesced, backedUp: metrics.liveBackedUp },
    log: {
      warn: (obj, msg) => logs.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }),
      info: (obj, msg) => logs.push({ level: 'info', obj: obj as Record<string, unknown>, msg }),
    },
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  relay = await startRelay((http.address() as AddressInfo).port);
});

afterAll(async () => {
  for (const c of clients) c.close();
  live.stop();
  await relay.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** A viewer subscribed to every layer; it checks that no unit's position ever goes back in time. */
async function connect(port: number, options: { token?: string; transport?: 'websocket' | 'polling' } = {}) {
  const socket = ioClient(`http://127.0.0.1:${port}${LIVE_NAMESPACE}`, {
    transports: [options.transport ?? 'websocket'],
    ...(options.token ? { auth: { token: options.token } } : {}),
  });
  clients.push(socket);
  const viewer = {
    socket,
    /** Newest fix time per unit. */
    latest: new Map<string, number>(),
    /** How many units arrived at each fix time (a generation). */
    unitsAt: new Map<number, number>(),
    /** Units whose position went back in time or repeated: must stay empty. */
    backwards: [] as string[],
    collectorTimes: [] as number[],
    access: [] as unknown[],
  };
  socket.on('positions', (m: { positions: LivePositionDto[] }) => {
    for (const p of m.positions) {
      const t = Date.parse(p.time);
      const before = viewer.latest.get(p.deviceId);
      if (before !== undefined && t <= before) viewer.backwards.push(`${p.deviceId}: ${p.time} after ${before}`);
      viewer.latest.set(p.deviceId, t);
      viewer.unitsAt.set(t, (viewer.unitsAt.get(t) ?? 0) + 1);
      if (p.deviceId.startsWith('col-')) viewer.collectorTimes.push(t);
    }
  });
  socket.on('access', (m: unknown) => viewer.access.push(m));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  await socket.emitWithAck('subscribe', {});
  return viewer;
}
type Viewer = Awaited<ReturnType<typeof connect>>;

const onHub = (viewer: Viewer): ServerSocket => server.of(LIVE_NAMESPACE).sockets.get(viewer.socket.id!)!;
/** Packets engine.io keeps for the connection, not yet handed to its transport (read for the test only). */
const queuedPackets = (s: ServerSocket) => (s.conn as unknown as { writeBuffer: unknown[] }).writeBuffer.length;
const backedUpNow = async () => (await metrics.liveBackedUp.get()).values[0]?.value ?? 0;
const coalescedNow = async () => (await metrics.liveCoalesced.get()).values[0]?.value ?? 0;

function generation(g: number, ids: readonly string[]): Observation[] {
  return ids.map((deviceId, i) =>
    positionFix(
      deviceId,
      timeOf(g),
      { lat: 36.6 + (i % 100) * 0.001 + g * 0.00001, lon: 117 + Math.floor(i / 100) * 0.001 },
      { speedKmh: 20, course: 90 },
    ),
  );
}

/** Pushes one generation of fixes and waits until every viewer that keeps up has all of it: one tick at a time. */
async function moveAll(g: number, ids: readonly string[], keepingUp: readonly Viewer[]): Promise<void> {
  live.push(generation(g, ids));
  for (const v of keepingUp) {
    await waitFor(`generation ${g} at a viewer that keeps up`, () => v.unitsAt.get(timeOf(g)) === ids.length);
  }
}

/**
 * Moves every unit a generation at a time, the relay stalled, until the hub holds the stalled viewer's deltas; returns
 * the first generation held for it.
 */
async function untilBackedUp(stalled: Viewer, from: number, ids: readonly string[], keepingUp: readonly Viewer[]) {
  for (let g = from; g < from + 200; g += 1) {
    await moveAll(g, ids, keepingUp);
    if (live.isBackedUp(onHub(stalled))) return g;
  }
  throw new Error('the stalled viewer was never found backed up');
}

describe('a map viewer that stops reading', () => {
  it('is held the newest fix per unit in bounded memory, gets the newest once it reads, and slows nobody', async () => {
    const fast = await connect((http.address() as AddressInfo).port);
    const polling = await connect((http.address() as AddressInfo).port, { transport: 'polling' });
    const slow = await connect(relay.port);
    const slowOnHub = onHub(slow);
    const keepingUp = [fast, polling];
    await moveAll(1, VEHICLES, [fast, polling, slow]);
    expect(await backedUpNow()).toBe(0);

    relay.stall();
    const firstHeld = await untilBackedUp(slow, 2, VEHICLES, keepingUp);
    const coalescedBefore = await coalescedNow();
    const queued: number[] = [];
    let g = firstHeld;
    for (let i = 0; i < 25; i += 1) {
      g += 1;
      await moveAll(g, VEHICLES, keepingUp);
      queued.push(queuedPackets(slowOnHub));
    }
    // Without holding, engine.io's buffer would gain a packet of 5,000 positions every tick.
    expect(Math.max(...queued)).toBeLessThanOrEqual(2);
    expect((await coalescedNow()) - coalescedBefore).toBeGreaterThanOrEqual(25 * UNITS);
    expect(live.isBackedUp(slowOnHub)).toBe(true);
    expect(await backedUpNow()).toBeGreaterThanOrEqual(1);
    await waitFor('the warning about the stalled viewer', () =>
      logs.some((l) => l.level === 'warn' && l.obj.socket === slowOnHub.id),
    );

    relay.resume();
    await waitFor(
      'the newest position of every unit at the viewer reading again',
      () => VEHICLES.every((id) => slow.latest.get(id) === timeOf(g)),
      30_000,
    );
    await waitFor('no viewer backed up', async () => (await backedUpNow()) === 0);
    expect(slow.backwards).toEqual([]);
    // What was superseded while it was stalled never reached it: the generations between the first held and the last.
    for (let held = firstHeld; held < g; held += 1) expect(slow.unitsAt.has(timeOf(held))).toBe(false);
    // The viewers that kept up got every generation, in order.
    for (const v of keepingUp) {
      expect(v.backwards).toEqual([]);
      for (let each = 1; each <= g; each += 1) expect(v.unitsAt.get(timeOf(each))).toBe(UNITS);
    }
    expect(logs.filter((l) => l.obj.socket === slowOnHub.id).map((l) => l.level)).toEqual(['warn', 'info']);
    for (const v of [fast, polling, slow]) v.socket.close();
  });

  it('does not send held people to a viewer whose session ended while it was backed up', async () => {
    answers.set('lead-fast', supervisor);
    answers.set('lead-slow', supervisor);
    const everyone = [...VEHICLES, ...COLLECTORS];
    const fast = await connect((http.address() as AddressInfo).port, { token: 'lead-fast' });
    const slow = await connect(relay.port, { token: 'lead-slow' });
    const start = 100;
    await moveAll(start, everyone, [fast, slow]);
    expect(slow.latest.get('col-0')).toBe(timeOf(start));

    relay.stall();
    const firstHeld = await untilBackedUp(slow, start + 1, everyone, [fast]);
    let g = firstHeld + 1;
    await moveAll(g, everyone, [fast]);
    // The session ends (logged out); the hub finds it on a re-check while the viewer is still backed up.
    const askedBefore = asked.length;
    answers.delete('lead-slow');
    await waitFor('the re-check of the ended session', () => asked.slice(askedBefore).includes('Bearer lead-slow'));
    g += 1;
    await moveAll(g, everyone, [fast]);

    relay.resume();
    await waitFor('the newest vehicles at the viewer reading again', () =>
      VEHICLES.every((id) => slow.latest.get(id) === timeOf(g)),
    );
    await waitFor('the viewer told of its sight', () => slow.access.length === 1);
    await waitFor('no viewer backed up', async () => (await backedUpNow()) === 0);
    expect(slow.access).toEqual([{ personal: 'none' }]);
    expect(slow.backwards).toEqual([]);
    // Collectors it was sent before it stopped reading, none of those held for it.
    expect(slow.collectorTimes.length).toBeGreaterThan(0);
    expect(slow.collectorTimes.filter((t) => t >= timeOf(firstHeld))).toEqual([]);
    expect(fast.latest.get('col-0')).toBe(timeOf(g));
  });
});
