// Several generator processes as one load: splitting devices and rate, and merging what the processes measured —
// counters, per-second samples and latency histograms — into one summary. No processes are started here.
import { describe, expect, it } from 'vitest';
import { mergeSeconds, mergeSummaries, splitFleet } from './fleet-merge.js';
import { parseGeneratorArgs, type GeneratorOptions } from './generator-core.js';
import { LatencyHistogram } from './histogram.js';
import type { GeneratorSummary, SecondReport } from './mqtt-generator.js';

function options(argv: string[]): GeneratorOptions {
  const c = parseGeneratorArgs(argv);
  if (c.kind !== 'run') throw new Error('expected a run');
  return c.options;
}

describe('splitting a load over processes', () => {
  it('gives consecutive device slices and each its rate share, so every device keeps its period', () => {
    const parts = splitFleet(options(['--devices', '1000', '--rate', '72000', '--id-start', '5']), 3);
    expect(parts.map((p) => p.devices)).toEqual([334, 333, 333]);
    expect(parts.map((p) => p.idStart)).toEqual([5, 339, 672]);
    expect(parts.reduce((a, p) => a + (p.rate as number), 0)).toBeCloseTo(72_000, 6);
    for (const p of parts) expect(((p.devices * 1000) / (p.rate as number)).toFixed(6)).toBe((1000 / 72).toFixed(6));
  });

  it('splits a ramp the same way, keeps a closed loop closed, and never makes an empty process', () => {
    const ramp = splitFleet(options(['--devices', '10', '--rate', '1000', '--ramp-to', '3000']), 2);
    expect(ramp.map((p) => [p.rate, p.rampTo])).toEqual([
      [500, 1500],
      [500, 1500],
    ]);
    expect(splitFleet(options(['--devices', '4', '--rate', 'max']), 2).map((p) => p.rate)).toEqual(['max', 'max']);
    expect(splitFleet(options(['--devices', '2']), 8)).toHaveLength(2);
  });
});

describe('histograms across processes', () => {
  it('survive JSON and merge to exactly the histogram of all the values', () => {
    const all = new LatencyHistogram();
    const parts = [new LatencyHistogram(), new LatencyHistogram(), new LatencyHistogram()];
    for (let i = 0; i < 30_000; i++) {
      const ms = ((i * 7919) % 5000) / 10 + (i % 3) * 3;
      all.recordMs(ms);
      parts[i % 3]!.recordMs(ms);
    }
    const merged = new LatencyHistogram();
    for (const p of parts) merged.merge(LatencyHistogram.fromJSON(JSON.parse(JSON.stringify(p.toJSON()))));
    expect(merged.summary()).toEqual(all.summary());
  });

  it('keep an empty histogram empty and refuse a corrupt one', () => {
    const empty = LatencyHistogram.fromJSON(new LatencyHistogram().toJSON());
    expect(empty.summary()).toEqual({ count: 0 });
    const h = new LatencyHistogram();
    h.recordMs(3);
    expect(() => LatencyHistogram.fromJSON({ ...h.toJSON(), count: 2 })).toThrow(/count/);
    expect(() => LatencyHistogram.fromJSON({ ...h.toJSON(), buckets: [[-1, 1]] })).toThrow(/bucket/);
  });
});

const second = (tS: number, perS: number, extra: Partial<SecondReport> = {}): SecondReport => ({
  type: 'second',
  tS,
  atMs: 1_000_000 + tS * 1000,
  connected: 10,
  sent: tS * perS,
  acked: tS * perS,
  failed: 0,
  throttled: 0,
  rejected: 0,
  sentPerS: perS,
  ackedPerS: perS,
  inflight: 2,
  lagSkipped: 0,
  notConnected: 0,
  positionsAcked: tS * perS,
  positionsRejected: 0,
  ...extra,
});

describe('per-second samples', () => {
  it('add up counters by second, weight p50 by acks and take the worst p99', () => {
    const merged = mergeSeconds([
      [second(1, 100, { p50Ms: 10, p99Ms: 40, scheduledPerS: 100 }), second(2, 100, { p50Ms: 10, p99Ms: 30 })],
      [second(1, 300, { p50Ms: 20, p99Ms: 90, scheduledPerS: 300 }), second(2, 300, { p50Ms: 20, p99Ms: 20 })],
    ]);
    expect(merged).toHaveLength(2);
    expect(merged[0]).toMatchObject({ tS: 1, sentPerS: 400, acked: 400, connected: 20, inflight: 4, p99Ms: 90 });
    expect(merged[0]!.p50Ms).toBeCloseTo(17.5, 6);
    expect(merged[0]!.scheduledPerS).toBe(400);
    expect(merged[1]).toMatchObject({ tS: 2, acked: 800, positionsAcked: 800, p99Ms: 30 });
  });

  it('count a process that has not reported a second with its latest cumulative sample', () => {
    const merged = mergeSeconds([[second(1, 100), second(2, 100)], [second(1, 50)]]);
    expect(merged[1]).toMatchObject({ tS: 2, acked: 250, ackedPerS: 100, connected: 20 });
  });
});

function summary(
  part: GeneratorOptions,
  values: number[],
  sendStartMs: number,
  steadyFromMs: number,
): GeneratorSummary {
  const h = new LatencyHistogram();
  for (const v of values) h.recordMs(v);
  const connect = new LatencyHistogram();
  connect.recordMs(5);
  const { credentialsFile: _c, ...shown } = part;
  return {
    type: 'summary',
    options: { ...shown, credentials: false },
    startedAt: new Date(sendStartMs).toISOString(),
    endedAt: new Date(sendStartMs + 10_000).toISOString(),
    sendStartMs,
    sendEndMs: sendStartMs + 10_000,
    steadyFromMs,
    lastAckMs: sendStartMs + 10_050,
    devices: {
      requested: part.devices,
      peakConnected: part.devices,
      connectedAtEnd: 0,
      connectFailed: 0,
      refusedByCode: { '5': 1 },
      dropped: 0,
      connectMs: connect.summary(),
    },
    messages: {
      sent: values.length,
      acked: values.length,
      failed: 0,
      lostOnDisconnect: 0,
      unackedAtEnd: 0,
      throttled: 1,
      notConnected: 0,
      lagSkipped: 0,
      rejected: 2,
      rejectedByReason: { rate_limited: 2 },
    },
    positions: { perMessage: 1, sent: values.length, acked: values.length, rejected: 2 },
    latency: h.summary(),
    steadyLatency: h.summary(),
    rates: { sentPerS: 100, ackedPerS: 100, steadySentPerS: 99, steadyAckedPerS: 98 },
    generator: {
      cpuUserS: 1,
      cpuSystemS: 0.5,
      cpuCores: 0.4,
      steadyCpuCores: 0.5,
      prebuilt: false,
      pid: 1000 + part.idStart,
      eventLoopDelayP99Ms: part.idStart,
      eventLoopDelayMaxMs: 20,
      peakRssMb: 80,
      openFileLimit: 20_000,
    },
    seconds: [second(1, 100)],
    histograms: { latency: h.toJSON(), steadyLatency: h.toJSON(), connect: connect.toJSON() },
    kinds: { vehicle: part.devices },
    errors: ['x'],
  };
}

describe('summaries', () => {
  it('merge into one of a single generator’s shape, with exact latency percentiles and every process listed', () => {
    const whole = options(['--devices', '20', '--rate', '2000']);
    const [a, b] = splitFleet(whole, 2);
    const fast = Array.from({ length: 900 }, (_, i) => 1 + (i % 10));
    const slow = Array.from({ length: 100 }, (_, i) => 200 + i);
    const merged = mergeSummaries(whole, [summary(a!, fast, 1000, 1500), summary(b!, slow, 1010, 1700)]);
    const all = new LatencyHistogram();
    for (const v of [...fast, ...slow]) all.recordMs(v);
    expect(merged.latency).toEqual(all.summary());
    expect(merged.latency.p99Ms).toBeGreaterThan(200); // a mean of the two p99s would hide the slow process
    expect(merged.messages).toMatchObject({ sent: 1000, acked: 1000, throttled: 2, rejected: 4 });
    expect(merged.messages.rejectedByReason).toEqual({ rate_limited: 4 });
    expect(merged.devices).toMatchObject({ requested: 20, refusedByCode: { '5': 2 } });
    expect(merged.steadyFromMs).toBe(1700);
    expect(merged.sendStartMs).toBe(1000);
    expect(merged.rates).toMatchObject({ sentPerS: 200, steadyAckedPerS: 196 });
    expect(merged.generator).toMatchObject({ cpuCores: 0.8, steadyCpuCores: 1, peakRssMb: 160 });
    expect(merged.generator.eventLoopDelayP99Ms).toBe(11);
    expect(merged.processes.map((p) => p.devices)).toEqual([10, 10]);
    expect(merged.positions).toMatchObject({ sent: 1000, acked: 1000, rejected: 4 });
    expect(merged.kinds).toEqual({ vehicle: 20 });
    expect(merged.errors).toEqual(['x']);
  });
});
