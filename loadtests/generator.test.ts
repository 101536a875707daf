// The load generator's pure parts: payloads and movement, rate scheduling, the latency histogram, argument parsing,
// provisioning and /proc parsing. No sockets and no timing assertions.
import { describe, expect, it } from 'vitest';
import { decodeDevicePayload } from '../ingest/mqtt/payloads.js';
import { LatencyHistogram, bucketIndex, bucketUpperUs } from './histogram.js';
import {
  PrebuiltPayloads,
  RouteTrack,
  SensorSeries,
  WalkTrack,
  createSource,
  kindOfDevice,
  routeFor,
  telemetryPayload,
} from './payload-profiles.js';
import {
  DeviceTrack,
  JINAN_CENTER,
  UsageError,
  ackLead,
  assertLoopbackUrl,
  connectDelayMs,
  deviceId,
  dueMessages,
  dueMessagesRamp,
  generatorArgv,
  parseCredentials,
  parseGeneratorArgs,
  parseOpenFileLimit,
  perDeviceIntervalMs,
  planTick,
  positionBatchPayload,
  positionPayload,
  rampOrder,
  rampRateAt,
  rateBetween,
  subscriptionFor,
  topicFor,
  totalRateFromInterval,
  valueAt,
  type GeneratorOptions,
} from './generator-core.js';
import { parseProcStat, parseStatCpuTicks, parseStatParentPid, parseStatusMemory } from './procfs.js';
import { parseImportResponse, provisioningCsv, benchDeviceIds } from './provision.js';

const T0 = Date.parse('2026-11-25T08:00:00.000Z');

describe('position payloads', () => {
  it('are the hub position JSON with exactly time, lat, lon, speedKmh and course', () => {
    const track = new DeviceTrack('bench-00001');
    const json = JSON.parse(positionPayload(track.next(T0))) as Record<string, unknown>;
    expect(Object.keys(json).sort()).toEqual(['course', 'lat', 'lon', 'speedKmh', 'time']);
    expect(json.time).toBe('2026-11-25T08:00:00.000Z');
    expect(typeof json.lat).toBe('number');
    expect(typeof json.lon).toBe('number');
  });

  it('has strictly increasing times per device, even within one millisecond or when the clock steps back', () => {
    const track = new DeviceTrack('bench-00002');
    const times: number[] = [];
    const clock = [T0, T0, T0, T0 + 0.4, T0 + 5, T0 + 2, T0 + 2, T0 + 1000];
    for (const now of clock) times.push(Date.parse(JSON.parse(positionPayload(track.next(now))).time as string));
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThan(times[i - 1]!);
    expect(times.slice(0, 4)).toEqual([T0, T0 + 1, T0 + 2, T0 + 3]);
    expect(times.at(-1)).toBe(T0 + 1000);
  });

  it('keeps devices moving plausibly around Jinan, within the ranges the hub accepts', () => {
    const track = new DeviceTrack('bench-00003', 7);
    let prev = track.next(T0);
    for (let i = 1; i <= 20_000; i++) {
      const fix = track.next(T0 + i * 1000);
      const json = JSON.parse(positionPayload(fix)) as { lat: number; lon: number; speedKmh: number; course: number };
      expect(Math.abs(json.lat - JINAN_CENTER.lat)).toBeLessThan(0.06); // ~6.5 km
      expect(Math.abs(json.lon - JINAN_CENTER.lon)).toBeLessThan(0.08);
      expect(json.speedKmh).toBeGreaterThanOrEqual(0);
      expect(json.speedKmh).toBeLessThanOrEqual(60);
      expect(json.course).toBeGreaterThanOrEqual(0);
      expect(json.course).toBeLessThan(360);
      // 1 s at ≤ 60 km/h is ≤ 16.7 m: about 0.00015° of latitude.
      expect(Math.abs(fix.lat - prev.lat)).toBeLessThan(0.0002);
      prev = fix;
    }
  });

  it('is deterministic for a device id and seed, and differs between devices', () => {
    const a = new DeviceTrack('bench-00004', 1).next(T0);
    const b = new DeviceTrack('bench-00004', 1).next(T0);
    const c = new DeviceTrack('bench-00005', 1).next(T0);
    expect(a).toEqual(b);
    expect(c.lat).not.toBe(a.lat);
  });

  it("builds batches of a device's fixes, a millisecond apart and ending now", () => {
    const track = new DeviceTrack('bench-00006');
    const first = JSON.parse(positionBatchPayload(track, T0, 3)) as { positions: { time: string }[] };
    expect(first.positions.map((p) => p.time)).toEqual([
      '2026-11-25T07:59:59.998Z',
      '2026-11-25T07:59:59.999Z',
      '2026-11-25T08:00:00.000Z',
    ]);
    // The next batch in the same millisecond still moves forward.
    const second = JSON.parse(positionBatchPayload(track, T0, 2)) as { positions: { time: string }[] };
    expect(second.positions.map((p) => Date.parse(p.time))).toEqual([T0 + 1, T0 + 2]);
  });

  it('never reports a course of 360 after rounding', () => {
    const payload = positionPayload({ timeMs: T0, lat: 36.66, lon: 117.02, speedKmh: 10, course: 359.97 });
    expect(JSON.parse(payload).course).toBe(0);
  });

  it('names devices and topics the way --provision creates them', () => {
    expect(deviceId('bench-', 1)).toBe('bench-00001');
    expect(deviceId('bench-', 123456)).toBe('bench-123456');
    expect(topicFor('devices/{id}/position', 'bench-00001')).toBe('devices/bench-00001/position');
    expect(benchDeviceIds('bench-', 1, 3)).toEqual(['bench-00001', 'bench-00002', 'bench-00003']);
    expect(subscriptionFor('devices/{id}/position')).toBe('devices/+/position');
    expect(subscriptionFor('devices/{id}/positions')).toBe('devices/+/positions');
    expect(subscriptionFor('fleet/veh-{id}/gps')).toBe('#');
  });
});

describe('rate scheduling', () => {
  it('converts between a total rate and a per-device interval', () => {
    expect(perDeviceIntervalMs(1000, 10)).toBe(10);
    expect(perDeviceIntervalMs(2000, 10_000)).toBe(5000);
    expect(totalRateFromInterval(5000, 10_000)).toBe(2000);
  });

  it('makes k/rate seconds the due time of message k', () => {
    expect(dueMessages(-1, 1000)).toBe(0);
    expect(dueMessages(0, 1000)).toBe(1);
    expect(dueMessages(0.999, 1000)).toBe(1);
    expect(dueMessages(1, 1000)).toBe(2);
    expect(dueMessages(1000, 10)).toBe(11); // exact multiple: no message lost to rounding
    expect(dueMessages(299.99, 10)).toBe(3);
  });

  it('spreads a total rate evenly over the devices, each at the same interval', () => {
    const devices = 10;
    const rate = 1000;
    const sendTimes = new Map<number, number[]>();
    let next = 0;
    for (let t = 0; t < 1000; t += 5) {
      const due = dueMessages(t, rate);
      for (let k = next; k < due; k++) {
        const d = k % devices;
        sendTimes.set(d, [...(sendTimes.get(d) ?? []), t]);
      }
      next = due;
    }
    expect(next).toBe(996); // messages due at 0 … 995 ms
    for (let d = 0; d < devices; d++) {
      const times = sendTimes.get(d)!;
      expect(times.length).toBeGreaterThanOrEqual(99);
      const gaps = times.slice(1).map((t, i) => t - times[i]!);
      // One message every 10 ms per device; a 5 ms tick shifts a send by at most one tick.
      for (const gap of gaps) expect(Math.abs(gap - perDeviceIntervalMs(rate, devices))).toBeLessThanOrEqual(5);
    }
  });

  it('caps the catch-up after a stall and counts what it skips', () => {
    expect(planTick(10, 10, 100)).toEqual({ from: 10, to: 10, skipped: 0 });
    expect(planTick(10, 50, 100)).toEqual({ from: 10, to: 50, skipped: 0 });
    expect(planTick(10, 500, 100)).toEqual({ from: 400, to: 500, skipped: 390 });
  });

  it('connects devices in an order that keeps the connected ones spread over the send cycle', () => {
    for (const n of [1, 2, 3, 10, 200, 1000, 10_000]) {
      const order = rampOrder(n);
      expect(new Set(order).size).toBe(n);
      expect(Math.min(...order)).toBe(0);
      expect(Math.max(...order)).toBe(n - 1);
    }
    // Any first tenth of the devices covers the whole cycle: no gap between their slots much over 10 % of it.
    const order = rampOrder(10_000);
    const first = order.slice(0, 1000).sort((a, b) => a - b);
    const gaps = first.slice(1).map((x, i) => x - first[i]!);
    expect(Math.max(...gaps, 10_000 - first.at(-1)! + first[0]!)).toBeLessThan(30);
  });

  it('spreads connections evenly over the ramp-up', () => {
    expect(connectDelayMs(0, 1, 10_000)).toBe(0);
    expect([0, 1, 2, 3].map((i) => connectDelayMs(i, 4, 10_000))).toEqual([0, 2500, 5000, 7500]);
    expect(connectDelayMs(9999, 10_000, 60_000)).toBeLessThan(60_000);
  });

  it('computes rates from cumulative samples over a window', () => {
    const samples = [
      { atMs: 1000, value: 0 },
      { atMs: 2000, value: 100 },
      { atMs: 3000, value: 300 },
      { atMs: 4000, value: 600 },
    ];
    expect(valueAt(samples, 2500)).toBe(200);
    expect(valueAt(samples, 0)).toBe(0);
    expect(valueAt(samples, 9000)).toBe(600);
    expect(rateBetween(samples, 2000, 4000)).toBe(250);
    expect(rateBetween(samples, 0, 99_999)).toBe(200); // clamped to the samples' span
    expect(rateBetween(samples, 3000, 3100)).toBeUndefined(); // shorter than the minimum window
    expect(rateBetween(samples.slice(0, 1), 0, 5000)).toBeUndefined();
  });
});

describe('rate ramps', () => {
  it('integrate a linear ramp: the messages due are the area under the rate', () => {
    // 0 → 2,000 msgs/s over 10 s: 10,000 messages by then (plus the one due at t = 0), then 2,000 more per second.
    expect(dueMessagesRamp(0, 0, 2000, 10_000)).toBe(1);
    expect(dueMessagesRamp(5_000, 0, 2000, 10_000)).toBe(2501);
    expect(dueMessagesRamp(10_000, 0, 2000, 10_000)).toBe(10_001);
    expect(dueMessagesRamp(11_000, 0, 2000, 10_000)).toBe(12_001);
    expect(dueMessagesRamp(-1, 0, 2000, 10_000)).toBe(0);
  });

  it('equal the constant schedule when the rate does not change, and may fall as well as rise', () => {
    for (const t of [0, 999, 1000, 12_345]) expect(dueMessagesRamp(t, 300, 300, 60_000)).toBe(dueMessages(t, 300));
    expect(dueMessagesRamp(10_000, 2000, 0, 10_000)).toBe(10_001);
    expect(rampRateAt(2_500, 1000, 5000, 10_000)).toBe(2000);
    expect(rampRateAt(20_000, 1000, 5000, 10_000)).toBe(5000);
  });

  it('never schedule fewer messages later than earlier', () => {
    let prev = 0;
    for (let t = 0; t <= 30_000; t += 7) {
      const due = dueMessagesRamp(t, 500, 36_000, 20_000);
      expect(due).toBeGreaterThanOrEqual(prev);
      prev = due;
    }
  });
});

/** The hub's own decoder (pure, ingest/mqtt/payloads.ts): what it accepts is what the load must send. */
const accepted = (kind: 'position' | 'telemetry' | 'positions', payload: string | Buffer) =>
  decodeDevicePayload('dev-1', kind, Buffer.isBuffer(payload) ? payload : Buffer.from(payload), T0 + 60_000);

describe('payload profiles', () => {
  it('mix the kinds of a city: 6 vehicles, 2 collectors and 2 sensors in 10', () => {
    const kinds = Array.from({ length: 100 }, (_, n) => kindOfDevice('mixed', n));
    expect(kinds.filter((k) => k === 'vehicle')).toHaveLength(60);
    expect(kinds.filter((k) => k === 'collector')).toHaveLength(20);
    expect(kinds.filter((k) => k === 'sensor')).toHaveLength(20);
    expect(kindOfDevice('wander', 7)).toBe('vehicle');
  });

  it('drive vehicles along closed loops of the street grid at street speeds', () => {
    const route = routeFor('veh-7');
    expect(route[0]).toEqual(route[route.length - 1]);
    for (let i = 1; i < route.length; i++) {
      const [a, b] = [route[i - 1]!, route[i]!];
      expect(a[0] === b[0] || a[1] === b[1]).toBe(true); // along a street: one coordinate constant
      expect(Math.abs(a[0] % 200) + Math.abs(a[1] % 200)).toBe(0); // corners on the 200 m grid
    }
    const track = new RouteTrack('veh-7');
    let prev = track.next(T0);
    let stopped = 0;
    for (let k = 1; k <= 600; k++) {
      const fix = track.next(T0 + k * 1000);
      const metres = Math.hypot((fix.lat - prev.lat) * 111_320, (fix.lon - prev.lon) * 111_320 * Math.cos(0.64));
      expect(metres).toBeLessThanOrEqual((60 / 3.6) * 1.05 + 1);
      expect(fix.speedKmh).toBeLessThanOrEqual(60);
      if (fix.speedKmh === 0) stopped++;
      prev = fix;
    }
    expect(stopped).toBeGreaterThan(0); // red lights
    expect(stopped).toBeLessThan(600);
  });

  it('walk collectors at a walking pace within their beat', () => {
    const walk = new WalkTrack('col-3');
    for (let k = 0; k < 3600; k++) {
      const fix = walk.next(T0 + k * 1000);
      expect(fix.speedKmh).toBeLessThanOrEqual(6);
    }
    expect(walk.distanceFromHomeM).toBeLessThan(400);
  });

  it('report sensor metrics the hub accepts', () => {
    const types = new Set<string>();
    for (let n = 0; n < 30; n++) {
      const sensor = new SensorSeries(`sen-${n}`);
      types.add(sensor.type);
      const reading = sensor.next(T0);
      const [obs] = accepted('telemetry', telemetryPayload(reading));
      expect(obs).toMatchObject({ type: 'telemetry', timeMs: T0, metrics: reading.metrics });
      expect(reading.metrics.batteryPct).toBeGreaterThan(0);
    }
    expect(types.size).toBe(3);
  });

  it('build, for every profile, messages the hub accepts on the right topic kind', () => {
    for (const profile of ['wander', 'vehicles', 'collectors', 'sensors', 'mixed'] as const) {
      for (let n = 1; n <= 10; n++) {
        const source = createSource(profile, `dev-${n}`, n, 0);
        const obs = accepted(source.topicKind, source.next(T0 + n));
        expect(obs).toHaveLength(1);
        expect(obs[0]!.type).toBe(source.kind === 'sensor' ? 'telemetry' : 'position');
      }
    }
    const batch = createSource('vehicles', 'dev-1', 1, 0, 20);
    expect(batch.topicKind).toBe('positions');
    expect(accepted('positions', batch.next(T0))).toHaveLength(20);
  });
});

describe('pre-built payloads', () => {
  it('patch the time in place, strictly increasing per device, every payload valid', () => {
    const ring = new PrebuiltPayloads(createSource('vehicles', 'dev-1', 1, 0), 4, 8, T0);
    expect(ring.size).toBe(14); // 8 forth, 6 back
    let prevMs = -Infinity;
    for (let k = 0; k < 40; k++) {
      const buffer = ring.next(T0 + 1000 + Math.floor(k / 3)); // three messages per millisecond
      const [obs] = accepted('position', buffer);
      expect(obs!.timeMs).toBeGreaterThan(prevMs);
      prevMs = obs!.timeMs;
    }
  });

  it('give every call its own buffer (the socket may still hold the previous one)', () => {
    const ring = new PrebuiltPayloads(createSource('wander', 'dev-2', 2, 0), 4, 4, T0);
    const a = ring.next(T0 + 10);
    const copy = Buffer.from(a);
    ring.next(T0 + 11);
    expect(a.equals(copy)).toBe(true);
  });

  it('go forth and back along the track, so consecutive fixes stay neighbours', () => {
    const ring = new PrebuiltPayloads(createSource('vehicles', 'dev-3', 3, 0), 1000, 16, T0);
    const fixes = Array.from({ length: ring.size * 2 }, (_, k) => {
      const [obs] = accepted('position', ring.next(T0 + 1000 + k));
      return obs as { lat: number; lon: number };
    });
    for (let k = 1; k < fixes.length; k++) {
      const metres = Math.hypot(
        (fixes[k]!.lat - fixes[k - 1]!.lat) * 111_320,
        (fixes[k]!.lon - fixes[k - 1]!.lon) * 89_000,
      );
      expect(metres).toBeLessThan(20); // ≤ 60 km/h × 1 s step
    }
  });

  it('refuse batches and payloads that do not start with their time', () => {
    expect(() => new PrebuiltPayloads(createSource('vehicles', 'd', 1, 0, 5), 4)).toThrow(/batches/);
    expect(() => new PrebuiltPayloads({ kind: 'vehicle', topicKind: 'position', next: () => '{"lat":1}' }, 4)).toThrow(
      /time/,
    );
  });
});

describe('acks against committed rows', () => {
  const acked = [
    { atMs: 0, value: 0 },
    { atMs: 1000, value: 1000 },
    { atMs: 2000, value: 2000 },
    { atMs: 3000, value: 3000 },
  ];

  it('finds no lead when rows keep up with what was acknowledged a second earlier', () => {
    const rows = [
      { atMs: 1500, value: 600 },
      { atMs: 3000, value: 2100 },
    ];
    expect(ackLead(acked, rows)).toEqual({ rows: 0 });
  });

  it('measures how far acknowledgements ran ahead of the rows', () => {
    const rows = [
      { atMs: 2000, value: 900 },
      { atMs: 3000, value: 500 },
    ];
    expect(ackLead(acked, rows)).toEqual({ rows: 1500, atMs: 3000 });
    expect(ackLead([], rows)).toEqual({ rows: 0 });
  });
});

describe('latency histogram', () => {
  it('maps values to contiguous buckets whose width is at most 1/64 of their values', () => {
    let prevIndex = -1;
    for (let us = 0; us < 300_000; us += 7) {
      const i = bucketIndex(us);
      expect(i).toBeGreaterThanOrEqual(prevIndex);
      expect(bucketUpperUs(i)).toBeGreaterThanOrEqual(us);
      expect(bucketUpperUs(i) - us).toBeLessThanOrEqual(Math.max(0, us / 64));
      prevIndex = i;
    }
    for (const i of [0, 127, 128, 500, 1663]) {
      expect(bucketIndex(bucketUpperUs(i))).toBe(i);
      expect(bucketIndex(bucketUpperUs(i) + 1)).toBe(i + 1);
    }
  });

  it('reports percentiles within the bucket precision', () => {
    const h = new LatencyHistogram();
    for (let ms = 1; ms <= 10_000; ms++) h.recordMs(ms / 10); // 0.1 … 1000 ms, uniform
    const s = h.summary();
    expect(s.count).toBe(10_000);
    expect(s.minMs).toBe(0.1);
    expect(s.maxMs).toBe(1000);
    expect(s.meanMs).toBeCloseTo(500.05, 1);
    for (const [p, exact] of [
      [50, 500],
      [90, 900],
      [99, 990],
      [99.9, 999],
    ] as const) {
      const got = h.percentileMs(p)!;
      expect(got).toBeGreaterThanOrEqual(exact);
      expect(got).toBeLessThanOrEqual(exact * (1 + 1 / 64));
    }
    expect(h.percentileMs(100)).toBe(1000);
    expect(h.percentileMs(0)).toBe(0.1);
  });

  it('is exact below 0.128 ms, clamps negatives, and empties on reset', () => {
    const h = new LatencyHistogram();
    h.recordMs(0.05);
    h.recordMs(0.05);
    h.recordMs(-3);
    expect(h.percentileMs(50)).toBe(0.05);
    expect(h.summary().minMs).toBe(0);
    h.reset();
    expect(h.summary()).toEqual({ count: 0 });
    expect(h.percentileMs(50)).toBeUndefined();
  });

  it('merges histograms', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    for (let i = 0; i < 100; i++) a.recordMs(1);
    for (let i = 0; i < 100; i++) b.recordMs(100);
    a.merge(b);
    expect(a.count).toBe(200);
    // A percentile is the highest value of its bucket (1 ms shares a bucket 8 µs wide).
    expect(a.percentileMs(50)).toBeGreaterThanOrEqual(1);
    expect(a.percentileMs(50)).toBeLessThanOrEqual(1 + 1 / 64);
    expect(a.percentileMs(51)).toBeGreaterThanOrEqual(100);
  });
});

describe('command line', () => {
  const run = (argv: string[]) => {
    const c = parseGeneratorArgs(argv);
    if (c.kind !== 'run') throw new Error('expected a run');
    return c.options;
  };

  it('has defaults that describe a small steady load', () => {
    const o = run([]);
    expect(o).toMatchObject({ url: 'mqtt://127.0.0.1:1883', devices: 100, rate: 1000, qos: 1, durationS: 30 });
    expect(o.topicTemplate).toBe('devices/{id}/position');
    expect(o.noDelay).toBe(true);
    expect(o.watchErrors).toBe(true);
  });

  it('takes a per-device interval instead of a total rate, not both', () => {
    expect(run(['--devices', '10000', '--interval', '5000']).rate).toBe(2000);
    expect(() => run(['--rate', '10', '--interval', '10'])).toThrow(UsageError);
  });

  it('refuses a closed loop without acks, bad numbers and topics without {id}', () => {
    expect(run(['--rate', 'max']).rate).toBe('max');
    expect(() => run(['--rate', 'max', '--qos', '0'])).toThrow(/needs --qos 1/);
    expect(() => run(['--devices', '0'])).toThrow(UsageError);
    expect(() => run(['--devices', '20001'])).toThrow(UsageError);
    expect(() => run(['--qos', '2'])).toThrow(UsageError);
    expect(() => run(['--topic', 'devices/all/position'])).toThrow(/\{id\}/);
    expect(() => run(['--topic', 'devices/{id}/#'])).toThrow(UsageError);
    expect(() => run(['--id-prefix', 'bad prefix '])).toThrow(UsageError);
    expect(() => run(['--bogus'])).toThrow(UsageError);
  });

  it('sends load to the loopback interface only', () => {
    expect(() => run(['--url', 'mqtt://10.0.0.5:1883'])).toThrow(/loopback/);
    expect(() => run(['--url', 'mqtt://broker.example.com:1883'])).toThrow(/loopback/);
    expect(() => run(['--url', 'ws://127.0.0.1:8080'])).toThrow(UsageError);
    expect(run(['--url', 'mqtt://localhost:1884']).url).toBe('mqtt://localhost:1884');
    expect(assertLoopbackUrl('mqtt://[::1]:1883', 'url', ['mqtt:']).port).toBe('1883');
    expect(() => assertLoopbackUrl('http://192.168.1.2', 'url', ['http:'])).toThrow(/loopback/);
  });

  it('sends batches on the batch topic', () => {
    expect(run(['--batch', '50'])).toMatchObject({ batch: 50, topicTemplate: 'devices/{id}/positions' });
    expect(() => run(['--batch', '1001'])).toThrow(UsageError);
  });

  it('round-trips options through the child-process command line', () => {
    const options: GeneratorOptions = {
      ...run([
        '--devices',
        '300',
        '--rate',
        'max',
        '--max-inflight',
        '8',
        '--nagle',
        '--no-errors-topic',
        '--batch',
        '5',
      ]),
      credentialsFile: '/tmp/creds.json',
      url: 'mqtt://127.0.0.1:4000',
    };
    expect(run(generatorArgv(options))).toEqual(options);
    const ramp: GeneratorOptions = {
      ...run(['--rate', '1000', '--ramp-to', '60000', '--profile', 'mixed', '--no-prebuilt']),
      startAtMs: Date.now() + 5000,
    };
    expect(run(generatorArgv(ramp))).toEqual(ramp);
  });

  it('takes a profile, a rate ramp and a start time, and pre-builds payloads above 50,000 msgs/s', () => {
    expect(run([]).profile).toBe('wander');
    expect(run(['--profile', 'sensors']).profile).toBe('sensors');
    expect(() => run(['--profile', 'trucks'])).toThrow(/--profile/);
    expect(() => run(['--profile', 'sensors', '--batch', '10'])).toThrow(/telemetry/);
    expect(run(['--rate', '100', '--ramp-to', '5000']).rampTo).toBe(5000);
    expect(() => run(['--rate', 'max', '--ramp-to', '5000'])).toThrow(/numeric --rate/);
    expect(() => run(['--start-at', String(Date.now() + 2 * 3600_000)])).toThrow(/within the hour/);
    expect(run(['--rate', '50000']).prebuilt).toBe(false);
    expect(run(['--rate', '50001']).prebuilt).toBe(true);
    expect(run(['--rate', '1000', '--ramp-to', '72000']).prebuilt).toBe(true);
    expect(run(['--rate', '72000', '--no-prebuilt']).prebuilt).toBe(false);
    expect(run(['--rate', '100', '--prebuilt']).prebuilt).toBe(true);
    expect(run(['--rate', 'max']).prebuilt).toBe(false);
    expect(() => run(['--prebuilt', '--batch', '5'])).toThrow(/not batches/);
  });

  it('reads credentials files and refuses malformed ones', () => {
    expect(parseCredentials('{"bench-00001":"s3cret"}', 'f').get('bench-00001')).toBe('s3cret');
    expect(() => parseCredentials('[1]', 'f')).toThrow(UsageError);
    expect(() => parseCredentials('{"a":1}', 'f')).toThrow(/not a string/);
    expect(() => parseCredentials('{', 'f')).toThrow(/not valid JSON/);
  });

  it('reads the open-file limit from /proc/self/limits', () => {
    const limits = [
      'Limit                     Soft Limit           Hard Limit           Units',
      'Max processes             95915                95915                processes',
      'Max open files            20000                20000                files',
    ].join('\n');
    expect(parseOpenFileLimit(limits)).toBe(20_000);
    expect(parseOpenFileLimit('Max open files            unlimited            unlimited            files')).toBe(
      Infinity,
    );
    expect(parseOpenFileLimit('nothing here')).toBeUndefined();
  });
});

describe('provisioning', () => {
  it('builds the import CSV', () => {
    expect(provisioningCsv(['bench-00001', 'bench-00002'])).toBe(
      'id,kind,name\nbench-00001,vehicle,bench-00001\nbench-00002,vehicle,bench-00002\n',
    );
  });

  it('reads credentials from the import response and checks its shape', () => {
    const result = parseImportResponse({
      created: [{ row: 2, id: 'bench-00001', credential: 'pw1' }],
      errors: [{ row: 3, message: 'exists' }],
    });
    expect(result.credentials.get('bench-00001')).toBe('pw1');
    expect(result.errors).toHaveLength(1);
    expect(() => parseImportResponse({ errors: [] })).toThrow(/created/);
    expect(() => parseImportResponse({ created: [{ row: 2, id: 'x' }] })).toThrow(/credential/);
  });
});

describe('/proc parsing', () => {
  it('reads resident memory from /proc/<pid>/status', () => {
    const status = 'Name:\tnode\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n';
    expect(parseStatusMemory(status)).toEqual({ rssBytes: 100 * 2 ** 20, peakRssBytes: 200 * 2 ** 20 });
    expect(parseStatusMemory('Name:\tkthreadd\n')).toBeUndefined();
  });

  it('reads CPU ticks and the parent from /proc/<pid>/stat, whatever the command name', () => {
    const stat = '4242 (my (odd) proc) S 4000 4242 4242 0 -1 4194560 500 0 0 0 1234 567 0 0 20 0 11 0 100 0 0';
    expect(parseStatCpuTicks(stat)).toBe(1234 + 567);
    expect(parseStatParentPid(stat)).toBe(4000);
  });

  it('reads busy and total ticks from /proc/stat', () => {
    const text = 'cpu  100 5 50 800 20 0 25 0 0 0\ncpu0 50 2 25 400 10 0 12 0 0 0\n';
    expect(parseProcStat(text)).toEqual({ busy: 180, interrupts: 25, total: 1000 });
  });
});
