// The k6 scenarios' pure parts under Node (k6 itself is not installed here): they type-check against @types/k6, the
// payloads they send are what the hub's decoder accepts, their socket.io framing works against the hub's live push on
// a real socket.io server, and their settings and thresholds are the suite's targets.
import { execFileSync } from 'node:child_process';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Server } from 'socket.io';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LivePush } from '../../hub/live/push.js';
import { decodeDevicePayload } from '../../ingest/mqtt/payloads.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');

// The scenarios' modules are plain JavaScript for k6; loaded by URL, typed here by what the tests use.
type Packet = { kind: string; nsp?: string; name?: string; args?: unknown[]; id?: number; data?: unknown };
interface Libs {
  config: {
    hubConfig(
      env: Record<string, string | undefined>,
      d: { rate: number; vus: number; duration?: string },
    ): {
      httpUrl: string;
      mqttUrl: string;
      wsUrl: string;
      token?: string;
      rate: number;
      duration: string;
      vus: number;
      idPrefix: string;
    };
    durationSeconds(d: string): number;
  };
  payloads: {
    deviceId(prefix: string, n: number): string;
    createMover(seed: number): (nowMs: number) => { timeMs: number; lat: number; lon: number; speedKmh: number };
    positionPayload(fix: unknown): string;
    telemetryPayload(timeMs: number, metrics: Record<string, number>): string;
    caseReport(random: () => number): Record<string, unknown>;
    seeded(seed: number): () => number;
    API_PATHS: { caseQueue: string; mapSnapshot: string; track(id: string, f: number, t: number, m?: number): string };
    yesterdayBeijingMs(nowMs: number): number;
    deltaLatencies(delta: unknown, nowMs: number, prefix?: string): number[];
  };
  socketio: {
    PONG: string;
    encodeConnect(nsp: string, auth?: unknown): string;
    encodeEvent(nsp: string, name: string, data: unknown, ackId?: number): string;
    decodePacket(text: string): Packet;
    splitPollingBody(body: string): string[];
  };
  thresholds: {
    TARGETS: Record<string, number>;
    apiThresholds(): Record<string, string[]>;
    liveThresholds(): Record<string, string[]>;
    mqttThresholds(): Record<string, string[]>;
    constantRate(exec: string, rate: number, duration: string, vus: number): Record<string, unknown>;
    holdConnections(exec: string, vus: number, maxDuration: string): Record<string, unknown>;
  };
}
const load = async <K extends keyof Libs>(name: K): Promise<Libs[K]> =>
  (await import(new URL(`./lib/${name}.js`, import.meta.url).href)) as Libs[K];
let lib: Libs;
beforeAll(async () => {
  lib = {
    config: await load('config'),
    payloads: await load('payloads'),
    socketio: await load('socketio'),
    thresholds: await load('thresholds'),
  };
});

describe('the k6 scenarios', () => {
  it('type-check against @types/k6 (and the k6/x/mqtt declarations)', () => {
    const tsc = path.join(repo, 'node_modules/typescript/bin/tsc');
    // Throws with the compiler's messages if a scenario misuses a k6 API.
    execFileSync(process.execPath, [tsc, '-p', path.join(here, 'tsconfig.json')], { cwd: repo, stdio: 'pipe' });
  }, 120_000);
});

describe('settings', () => {
  it('default to a local hub and read k6 -e variables', () => {
    const c = lib.config.hubConfig({}, { rate: 20, vus: 5 });
    expect(c).toMatchObject({ httpUrl: 'http://127.0.0.1:8080', mqttUrl: 'mqtt://127.0.0.1:1883', rate: 20, vus: 5 });
    expect(c.wsUrl).toBe('ws://127.0.0.1:8080/socket.io/?EIO=4&transport=websocket');
    const e = lib.config.hubConfig(
      { HUB_URL: 'http://localhost:9000/', RATE: '150', VUS: '50', DURATION: '2m', ADMIN_TOKEN: 't', ID_PREFIX: 'x-' },
      { rate: 1, vus: 1 },
    );
    expect(e).toMatchObject({ httpUrl: 'http://localhost:9000', rate: 150, vus: 50, duration: '2m', token: 't' });
    expect(lib.config.durationSeconds('2m')).toBe(120);
    expect(lib.config.durationSeconds('500ms')).toBe(0.5);
  });

  it('target the loopback interface only, and refuse nonsense', () => {
    expect(() => lib.config.hubConfig({ HUB_URL: 'http://10.0.0.2:8080' }, { rate: 1, vus: 1 })).toThrow(/loopback/);
    expect(() => lib.config.hubConfig({ MQTT_URL: 'mqtt://broker.example.com' }, { rate: 1, vus: 1 })).toThrow(
      /loopback/,
    );
    expect(() => lib.config.hubConfig({ HUB_URL: 'ftp://127.0.0.1' }, { rate: 1, vus: 1 })).toThrow(/http/);
    expect(() => lib.config.hubConfig({ RATE: '-1' }, { rate: 1, vus: 1 })).toThrow(/RATE/);
    expect(() => lib.config.hubConfig({ DURATION: 'forever' }, { rate: 1, vus: 1 })).toThrow(/DURATION/);
  });
});

describe('payloads', () => {
  const now = Date.parse('2026-11-25T08:00:00.000Z');

  it('are fixes and telemetry the hub decodes', () => {
    const next = lib.payloads.createMover(7);
    let prev = -Infinity;
    for (let k = 0; k < 50; k++) {
      const fix = next(now + Math.floor(k / 4)); // several in one millisecond: times still increase
      const [obs] = decodeDevicePayload('k6-1', 'position', Buffer.from(lib.payloads.positionPayload(fix)), now);
      expect(obs).toMatchObject({ type: 'position', deviceId: 'k6-1' });
      expect(fix.timeMs).toBeGreaterThan(prev);
      prev = fix.timeMs;
    }
    const telemetry = lib.payloads.telemetryPayload(now, { fillPct: 80 });
    expect(decodeDevicePayload('s-1', 'telemetry', Buffer.from(telemetry), now)[0]).toMatchObject({
      metrics: { fillPct: 80 },
    });
  });

  it('name devices as provisioning does and build the API paths', () => {
    expect(lib.payloads.deviceId('bench-', 7)).toBe('bench-00007');
    const day = lib.payloads.yesterdayBeijingMs(Date.parse('2026-12-01T03:00:00Z'));
    expect(new Date(day).toISOString()).toBe('2026-11-29T16:00:00.000Z'); // 30 Nov 00:00 in Beijing
    expect(lib.payloads.API_PATHS.track('veh 1', day, day + 86_400_000, 5000)).toBe(
      '/api/devices/veh%201/track?from=2026-11-29T16:00:00.000Z&to=2026-11-30T16:00:00.000Z&maxPoints=5000',
    );
    expect(lib.payloads.API_PATHS.track('v', 0, 1)).toMatch(/&limit=100000$/);
    const report = lib.payloads.caseReport(lib.payloads.seeded(1));
    expect(report).toMatchObject({ source: 'hotline', classCode: 'component:0101' });
  });

  it('read latencies out of a delta, for the load’s devices only', () => {
    const delta = {
      positions: [
        { deviceId: 'bench-00001', time: new Date(now - 250).toISOString() },
        { deviceId: 'demo-veh-1', time: new Date(now - 50).toISOString() },
        { deviceId: 'bench-00002', time: 'not a time' },
        null,
      ],
    };
    expect(lib.payloads.deltaLatencies(delta, now, 'bench-')).toEqual([250]);
    expect(lib.payloads.deltaLatencies(delta, now)).toEqual([250, 50]);
    expect(lib.payloads.deltaLatencies({ nope: 1 }, now)).toEqual([]);
  });
});

describe('socket.io framing against the hub’s live push', () => {
  let http: HttpServer;
  let io: Server;
  let live: LivePush;
  let base: string;

  beforeAll(async () => {
    http = createServer();
    io = new Server(http, { path: '/socket.io', serveClient: false, pingInterval: 300, pingTimeout: 2000 });
    live = new LivePush(io.of('/live'), 50, {
      kindOf: () => 'vehicle',
      snapshot: async () => ({ positions: [], statuses: [] }),
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}/socket.io/?EIO=4&transport=polling`;
  });
  afterAll(async () => {
    live?.stop();
    await new Promise<void>((resolve) => io.close(() => resolve()));
  });

  it('connects to /live, subscribes with an ack, answers pings and receives position deltas', async () => {
    const { decodePacket, encodeConnect, encodeEvent, splitPollingBody, PONG } = lib.socketio;
    // Engine.IO long-polling carries the same packets a k6 WebSocket frame does, one per record.
    const open = decodePacket(await (await fetch(base)).text());
    expect(open.kind).toBe('open');
    const sid = (open.data as { sid: string }).sid;
    const url = `${base}&sid=${sid}`;
    const post = async (packet: string) => {
      const r = await fetch(url, { method: 'POST', body: packet });
      expect(await r.text()).toBe('ok');
    };
    const poll = async () => splitPollingBody(await (await fetch(url)).text()).map(decodePacket);

    await post(encodeConnect('/live'));
    const [connected] = await poll();
    expect(connected).toMatchObject({ kind: 'connect', nsp: '/live' });

    await post(encodeEvent('/live', 'subscribe', { layers: ['vehicles'] }, 1));
    const seen: Packet[] = [];
    const fixMs = Date.now() - 100;
    let pinged = 0;
    for (let round = 0; round < 20 && !seen.some((p) => p.name === 'positions'); round++) {
      for (const p of await poll()) {
        seen.push(p);
        if (p.kind === 'ping') {
          pinged++;
          await post(PONG);
        }
        if (p.kind === 'ack') {
          live.push([
            {
              type: 'position',
              deviceId: 'bench-00001',
              timeMs: fixMs,
              lat: 36.66,
              lon: 117.02,
              speedKmh: 20,
              course: 90,
              altitudeM: null,
              accuracyM: null,
              source: 'mqtt',
              attributes: {},
            },
          ]);
        }
      }
    }
    expect(seen.find((p) => p.kind === 'ack')).toMatchObject({ nsp: '/live', id: 1, args: [{ ok: true }] });
    expect(seen.find((p) => p.name === 'snapshot')).toMatchObject({ kind: 'event', nsp: '/live' });
    const delta = seen.find((p) => p.name === 'positions')!;
    expect(delta.args![0]).toMatchObject({ positions: [{ deviceId: 'bench-00001', lat: 36.66 }] });
    const [latency] = lib.payloads.deltaLatencies(delta.args![0], fixMs + 400, 'bench-');
    expect(latency).toBe(400);

    // Still connected after answering the pings: one more ping comes and is answered.
    while (pinged < 2) {
      for (const p of await poll()) {
        if (p.kind === 'ping') {
          pinged++;
          await post(PONG);
        }
      }
    }
    expect(io.of('/live').sockets.size).toBe(1);
  });

  it('decodes refusals and unknown packets without throwing', () => {
    const { decodePacket } = lib.socketio;
    expect(decodePacket('44/live,{"message":"nope"}')).toEqual({
      kind: 'connect_error',
      nsp: '/live',
      data: { message: 'nope' },
    });
    expect(decodePacket('42["positions",{"positions":[]}]')).toMatchObject({
      kind: 'event',
      nsp: '/',
      name: 'positions',
    });
    expect(decodePacket('9zz')).toEqual({ kind: 'unknown', raw: '9zz' });
    expect(decodePacket('6')).toEqual({ kind: 'noop' });
  });
});

describe('thresholds and scenarios', () => {
  it('hold each endpoint and channel to its target', () => {
    const t = lib.thresholds;
    expect(t.apiThresholds()['http_req_duration{endpoint:track-day}']).toEqual([`p(99)<${t.TARGETS.trackDayP99Ms}`]);
    expect(t.apiThresholds()['http_req_failed']).toEqual(['rate<0.01']);
    expect(t.liveThresholds().map_delta_latency).toEqual(['p(99)<1000']);
    expect(t.mqttThresholds().position_ack).toEqual(['p(99)<1000']);
    for (const set of [t.apiThresholds(), t.liveThresholds(), t.mqttThresholds()]) {
      for (const rules of Object.values(set)) for (const r of rules) expect(r).toMatch(/^(p\(\d+\)|rate|count)[<>]\d/);
    }
  });

  it('offer a constant rate with room to grow VUs, and hold one connection per VU', () => {
    const s = lib.thresholds.constantRate('caseQueue', 0.4, '30s', 10);
    expect(s).toMatchObject({ executor: 'constant-arrival-rate', exec: 'caseQueue', rate: 1, timeUnit: '1s' });
    expect(s).toMatchObject({ preAllocatedVUs: 10, maxVUs: 20 });
    expect(lib.thresholds.holdConnections('mapClient', 50, '90s')).toEqual({
      executor: 'per-vu-iterations',
      exec: 'mapClient',
      vus: 50,
      iterations: 1,
      maxDuration: '90s',
    });
  });
});
