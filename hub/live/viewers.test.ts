// Who sees people on the live feed, over a real socket.io server and client with a stand-in for the session service
// (its answers are what the test changes): the handshake token decides the first snapshot; each tick's people go only
// to sockets that may see them, candidates of collector rules included; a changed answer is found within the re-check
// period and told to the socket; answers that cannot be renewed stop counting.
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { io as ioClient, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Observation } from '../../ingest/observation.js';
import { positionFix } from '../../test/support/observations.js';
import { waitFor } from '../../test/support/wait.js';
import { ANONYMOUS_VIEWER, type PositionViewer } from '../positions/access.js';
import { LIVE_NAMESPACE, LivePush, type LiveCandidateDto, type LivePositionDto } from './push.js';

const RECHECK_MS = 100;
const KINDS: Record<string, string> = { 'veh-1': 'vehicle', 'col-1': 'collector', 'col-2': 'collector' };
const supervisor: PositionViewer = {
  actor: { userId: 'u-lead', name: 'lead', roles: ['leader'], departmentId: null },
  allDevices: true,
  ownDeviceIds: new Set(),
};
const collector: PositionViewer = {
  actor: { userId: 'u-col', name: 'col', roles: ['collector'], departmentId: null },
  allDevices: false,
  ownDeviceIds: new Set(['col-1']),
};

/** The stand-in session service: token → answer; `failing` makes every question throw (database away). */
const answers = new Map<string, PositionViewer>();
let failing = false;
const asked: string[] = [];

let http: HttpServer;
let server: Server;
let live: LivePush;
const clients: Socket[] = [];
let seq = 0;

const position = (deviceId: string): LivePositionDto => ({
  deviceId,
  kind: KINDS[deviceId] ?? null,
  time: '2026-12-01T08:00:00.000Z',
  lat: 36.66,
  lon: 117.02,
  speedKmh: null,
  course: null,
});

const candidate = (id: string, ruleKind: string | null): LiveCandidateDto => ({
  id,
  status: 'pending',
  ruleId: ruleKind ? `rule-${id}` : null,
  ruleKind,
  classKind: 'event',
  classCode: 'event:0101',
  lon: 117.02,
  lat: 36.66,
  mergedCount: 1,
  startAt: '2026-12-01T08:00:00.000Z',
  endAt: '2026-12-01T08:05:00.000Z',
});

beforeAll(async () => {
  http = createServer();
  server = new Server(http, { serveClient: false });
  live = new LivePush(server.of(LIVE_NAMESPACE), 3_600_000, {
    kindOf: (id) => KINDS[id] ?? null,
    snapshot: async () => ({
      positions: ['veh-1', 'col-1', 'col-2', 'new-1'].map(position),
      statuses: [{ deviceId: 'col-2', kind: 'collector', state: 'online', time: '2026-12-01T08:00:00.000Z' }],
    }),
    candidateSnapshot: async () => [candidate('c-idle', 'collector-idle'), candidate('c-zone', 'restricted-zone')],
    access: {
      async viewerFor(authorization) {
        asked.push(authorization ?? '');
        if (failing) throw new Error('database away');
        return answers.get(authorization?.replace(/^Bearer /, '') ?? '') ?? ANONYMOUS_VIEWER;
      },
    },
    accessRecheckMs: RECHECK_MS,
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  for (const c of clients) c.close();
  live.stop();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- wire JSON, checked by the assertions
type Json = any;

async function connect(token?: string) {
  const { port } = http.address() as AddressInfo;
  const socket = ioClient(`http://127.0.0.1:${port}${LIVE_NAMESPACE}`, {
    transports: ['websocket'],
    ...(token ? { auth: { token } } : {}),
  });
  clients.push(socket);
  const heard = {
    positions: [] as string[],
    statuses: [] as string[],
    candidates: [] as string[],
    access: [] as Json[],
  };
  socket.on('positions', (m: Json) => heard.positions.push(...m.positions.map((p: Json) => p.deviceId)));
  socket.on('status', (m: Json) => heard.statuses.push(...m.statuses.map((s: Json) => s.deviceId)));
  socket.on('candidates', (m: Json) => heard.candidates.push(...m.candidates.map((c: Json) => c.id)));
  socket.on('access', (m: Json) => heard.access.push(m));
  const snapshot = new Promise<Json>((resolve) => socket.once('snapshot', resolve));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const ack = await socket.emitWithAck('subscribe', {});
  return { socket, heard, ack, snapshot: await snapshot };
}

/** One tick carrying a fix of every device, a state of a collector and both kinds of candidate. */
function tick(): void {
  seq += 1;
  const time = Date.parse('2026-12-01T09:00:00Z') + seq * 1000;
  const observations: Observation[] = ['veh-1', 'col-1', 'col-2', 'new-1'].map((deviceId) =>
    positionFix(deviceId, time, { lat: 36.66, lon: 117.02 }),
  );
  observations.push({
    type: 'status',
    deviceId: 'col-2',
    timeMs: time,
    state: 'offline',
    batteryPct: null,
    signalDbm: null,
    attributes: {},
    source: 'broker',
  });
  live.push(observations);
  live.pushCandidate(candidate(`c-idle-${seq}`, 'collector-idle'));
  live.pushCandidate(candidate(`c-zone-${seq}`, 'restricted-zone'));
  live.flush();
}

const settle = () => new Promise((r) => setTimeout(r, 150));

describe('who sees people on the live feed', () => {
  it('sends people only to the sockets that may see them, in snapshots and ticks', async () => {
    answers.set('lead', supervisor);
    answers.set('zhang', collector);
    const anonymous = await connect();
    const lead = await connect('lead');
    const own = await connect('zhang');
    const stranger = await connect('nobody');
    const positions = (s: Json) => s.positions.map((p: Json) => p.deviceId).sort();
    const candidates = (s: Json) => s.candidates.map((c: Json) => c.id).sort();

    expect(anonymous.ack).toMatchObject({ ok: true, personal: 'none' });
    // A device whose kind is not known yet could be a person's: not for anonymous eyes.
    expect(positions(anonymous.snapshot)).toEqual(['veh-1']);
    expect(anonymous.snapshot.statuses).toEqual([]);
    expect(candidates(anonymous.snapshot)).toEqual(['c-zone']);
    expect(lead.ack.personal).toBe('all');
    expect(positions(lead.snapshot)).toEqual(['col-1', 'col-2', 'new-1', 'veh-1']);
    expect(candidates(lead.snapshot)).toEqual(['c-idle', 'c-zone']);
    expect(own.ack.personal).toBe('own');
    expect(positions(own.snapshot)).toEqual(['col-1', 'veh-1']);
    expect(candidates(own.snapshot)).toEqual(['c-zone']);
    expect(stranger.ack.personal).toBe('none');
    expect(positions(stranger.snapshot)).toEqual(['veh-1']);

    tick();
    await waitFor('the supervisor’s tick', () => lead.heard.positions.length === 4);
    await settle();
    expect(lead.heard.statuses).toEqual(['col-2']);
    expect(lead.heard.candidates).toEqual([`c-idle-${seq}`, `c-zone-${seq}`]);
    expect(anonymous.heard.positions).toEqual(['veh-1']);
    expect(anonymous.heard.statuses).toEqual([]);
    expect(anonymous.heard.candidates).toEqual([`c-zone-${seq}`]);
    expect(own.heard.positions.sort()).toEqual(['col-1', 'veh-1']);
    expect(own.heard.statuses).toEqual([]);
    expect(stranger.heard.positions).toEqual(['veh-1']);
    for (const c of [anonymous, lead, own, stranger]) expect(c.heard.access).toEqual([]);
  });

  it('finds a session that ended within the re-check period, tells the socket, and sends it no more people', async () => {
    answers.set('ending', supervisor);
    const browser = await connect('ending');
    tick();
    await waitFor('people while the session lives', () => browser.heard.positions.includes('col-2'));

    answers.delete('ending'); // logged out, revoked or expired: the session service no longer knows the token
    await new Promise((r) => setTimeout(r, RECHECK_MS + 20));
    tick(); // due: asks again, and still sends this tick on the answer it has (at most one period old)
    await waitFor('the socket told', () => browser.heard.access.length === 1);
    expect(browser.heard.access).toEqual([{ personal: 'none' }]);
    browser.heard.positions.length = 0;
    tick();
    await waitFor('the vehicle', () => browser.heard.positions.includes('veh-1'));
    await settle();
    expect(browser.heard.positions).toEqual(['veh-1']);
    // A dead session is not asked about again.
    const askedBefore = asked.filter((a) => a === 'Bearer ending').length;
    await new Promise((r) => setTimeout(r, RECHECK_MS + 20));
    tick();
    await settle();
    expect(asked.filter((a) => a === 'Bearer ending').length).toBe(askedBefore);
  });

  it('stops counting an answer it cannot renew, and resumes when the session service answers again', async () => {
    answers.set('shaky', supervisor);
    const browser = await connect('shaky');
    failing = true;
    try {
      // Past three re-check periods without an answer: the old one no longer counts.
      await new Promise((r) => setTimeout(r, RECHECK_MS * 3 + 30));
      browser.heard.positions.length = 0;
      tick();
      await waitFor('the vehicle', () => browser.heard.positions.includes('veh-1'));
      await settle();
      expect(browser.heard.positions).toEqual(['veh-1']);
    } finally {
      failing = false;
    }
    tick(); // asks again, and this time gets an answer
    await settle();
    browser.heard.positions.length = 0;
    tick();
    await waitFor('people again', () => browser.heard.positions.includes('col-2'));
    expect(browser.heard.access).toEqual([]);
  });
});
