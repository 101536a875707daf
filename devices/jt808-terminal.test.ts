// The JT/T 808 terminal simulator against the real gateway over TCP on 127.0.0.1. The gateway's sinks are an
// in-memory recorder: this is a protocol test; the hub-level test with the real database comes separately.
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startJt808Gateway, type Jt808Gateway, type Jt808Sinks } from '../ingest/jt808/gateway.js';
import type { Observation } from '../ingest/observation.js';
import { startJt808Terminals, terminalPhone, type Jt808Terminals } from './jt808-terminal.js';
import { JINAN_OLD_TOWN_BBOX } from './routes/jinan-old-town.js';

const LIMITS = { maxFutureSkewMs: 5 * 60_000, maxAgeMs: 30 * 86_400_000 };
const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

interface Batch {
  receivedAtMs: number;
  observations: Observation[];
}

async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('JT/T 808 terminal simulator', () => {
  let gateway: Jt808Gateway;
  let sim: Jt808Terminals | null = null;
  /** Data the terminals sent, per accept call; their online/offline records are in `states`. */
  let batches: Batch[];
  let states: { deviceId: string; state: string }[];
  let acks: { deviceId: string; replyMsgId: number; result: number; commandId?: string }[];

  beforeEach(async () => {
    batches = [];
    states = [];
    acks = [];
    const sinks: Jt808Sinks = {
      register: async (phone) => ({ ok: true, authCode: `code-${phone}` }),
      authenticate: async (phone, code) => (code === `code-${phone}` ? `veh-${phone}` : null),
      accept: async (observations) => {
        for (const o of observations) if (o.type === 'status') states.push({ deviceId: o.deviceId, state: o.state });
        const data = observations.filter((o) => o.type !== 'status');
        if (data.length > 0) batches.push({ receivedAtMs: Date.now(), observations: data });
      },
      ack: (deviceId, _serial, replyMsgId, result, extra) => acks.push({ deviceId, replyMsgId, result, ...extra }),
    };
    gateway = await startJt808Gateway({ host: '127.0.0.1', port: 0, log, limits: LIMITS, sinks });
  });

  afterEach(async () => {
    await sim?.stop();
    sim = null;
    await gateway.close();
  });

  it('terminals register, authenticate and report positions on the Jinan routes', async () => {
    sim = startJt808Terminals({
      host: '127.0.0.1',
      port: gateway.port,
      count: 3,
      intervalMs: 100,
      heartbeatMs: 150,
      phonePrefix: '0139',
      logger: log,
    });
    await until('3 authenticated terminals', () => sim!.stats().authenticated === 3);
    expect(gateway.connections()).toEqual({ total: 3, authenticated: 3 });
    await until('reports acknowledged', () => sim!.stats().acknowledged >= 9);
    await until('heartbeats', () => sim!.stats().heartbeats >= 3);
    const s = sim.stats();
    expect(s).toMatchObject({ connected: 3, registered: 3, authentications: 3, failed: 0 });
    const positions = batches.flatMap((b) => b.observations);
    const devices = new Set(positions.map((p) => p.deviceId));
    expect(devices).toEqual(new Set([1, 2, 3].map((n) => `veh-${terminalPhone('0139', n)}`)));
    expect(states.filter((x) => x.state === 'online').map((x) => x.deviceId)).toEqual(
      expect.arrayContaining([...devices]),
    );
    for (const p of positions) {
      if (p.type !== 'position') throw new Error('not a position');
      expect(p.source).toBe('jt808');
      expect(p.lat).toBeGreaterThanOrEqual(JINAN_OLD_TOWN_BBOX.minLat);
      expect(p.lat).toBeLessThanOrEqual(JINAN_OLD_TOWN_BBOX.maxLat);
      expect(p.lon).toBeGreaterThanOrEqual(JINAN_OLD_TOWN_BBOX.minLon);
      expect(p.lon).toBeLessThanOrEqual(JINAN_OLD_TOWN_BBOX.maxLon);
      expect(p.speedKmh).toBeLessThan(60);
    }
  });

  it('a coverage gap is re-sent as a 0x0704 blind-area batch with the fixes’ original times', async () => {
    sim = startJt808Terminals({
      host: '127.0.0.1',
      port: gateway.port,
      count: 2,
      intervalMs: 200,
      phonePrefix: '0139',
      logger: log,
    });
    await until('2 authenticated terminals', () => sim!.stats().authenticated === 2);
    const gapStartMs = Date.now();
    sim.gap(2500, 0);
    await until('the gap to start', () => sim!.terminals()[0]!.state === 'gap', 2000);
    await until('a blind-area batch', () => sim!.stats().resent > 0 && sim!.terminals()[0]!.state === 'online');
    await until('blind-area fixes acknowledged', () => sim!.stats().buffered === 0);
    const device = `veh-${terminalPhone('0139', 1)}`;
    const blind = batches.filter((b) =>
      b.observations.some((o) => o.type === 'position' && o.attributes.batchType === 1),
    );
    expect(blind.length).toBeGreaterThan(0);
    const first = blind[0]!;
    expect(first.observations.every((o) => o.deviceId === device)).toBe(true);
    const times = first.observations.map((o) => o.timeMs);
    // The fixes keep the times they were taken at (BCD has whole seconds), during the gap, well before the re-send.
    expect(Math.min(...times)).toBeGreaterThanOrEqual(Math.floor(gapStartMs / 1000) * 1000);
    expect(Math.min(...times)).toBeLessThanOrEqual(first.receivedAtMs - 1500);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(times.length).toBeGreaterThanOrEqual(8);
    expect(sim.stats()).toMatchObject({ registered: 2, authentications: 3, dropped: 0 });
    // The other terminal never stopped reporting live.
    expect(sim.terminals()[1]!.state).toBe('online');
  });

  it('0x8103 changes the report interval and the terminal answers 0x0001', async () => {
    sim = startJt808Terminals({
      host: '127.0.0.1',
      port: gateway.port,
      count: 1,
      intervalMs: 100,
      phonePrefix: '0139',
      logger: log,
    });
    await until('authenticated', () => sim!.stats().authenticated === 1);
    const device = `veh-${terminalPhone('0139', 1)}`;
    expect(await gateway.sendSetReportInterval(device, 7, 'cmd-7')).toBe(true);
    await until('the ack', () => acks.length === 1);
    expect(acks[0]).toEqual({ deviceId: device, replyMsgId: 0x8103, result: 0, commandId: 'cmd-7' });
    expect(sim.terminals()[0]!.intervalMs).toBe(7000);
  });

  it('refuses bad options', () => {
    const base = { host: '127.0.0.1', port: 1, count: 1, intervalMs: 100, phonePrefix: '0139', logger: log };
    expect(() => startJt808Terminals({ ...base, count: 0 })).toThrow(RangeError);
    expect(() => startJt808Terminals({ ...base, intervalMs: 1 })).toThrow(RangeError);
    expect(() => startJt808Terminals({ ...base, phonePrefix: '13x' })).toThrow(RangeError);
    expect(terminalPhone('0139', 42)).toBe('013900000042');
  });
});
