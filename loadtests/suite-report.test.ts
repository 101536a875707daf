// The suite's report: figures from the runners' results beside their targets (and when a figure is not judged),
// the table, the Markdown report, the plots' series, progress arithmetic, and the suite's command line.
import { describe, expect, it } from 'vitest';
import { parseSuiteArgs, suiteSteps } from './bench.js';
import {
  SUITE_TARGETS,
  clock,
  eta,
  figuresTable,
  markdownReport,
  suiteFigures,
  suitePlots,
  type SuiteResults,
} from './suite-report.js';

const seconds = [1, 2, 3].map((tS) => ({ tS, ackedPerS: 1000 * tS, p50Ms: 5, p99Ms: 20 * tS }));

const full: SuiteResults = {
  ingest: {
    baseline: {
      subscriber: { steadyDeliveredPositionsPerS: 25_000 },
      generator: { devices: { peakConnected: 200, requested: 200 }, generator: { cpuCores: 0.9 }, seconds },
    },
    hub: {
      steadyCommittedPerS: 18_198,
      generator: { devices: { peakConnected: 200, requested: 200 }, generator: { cpuCores: 0.8 }, seconds },
      timeline: seconds.map((s) => ({ tS: s.tS, ackedPerS: s.ackedPerS, committedPerS: s.ackedPerS - 10 })),
    },
    ratio: 0.728,
  },
  devices: {
    hub: {
      rss: { peakMb: 392, finalMb: 380 },
      generator: { devices: { peakConnected: 10_000, requested: 10_000 }, generator: { cpuCores: 0.2 } },
      timeline: [{ tS: 1, ackedPerS: 2000, rssMb: 390 }],
    },
  },
  jt808: {
    committed: { steadyPerS: 12_599 },
    load: { terminals: { authenticated: 500 }, latency: { p99Ms: 512 }, seconds },
  },
  fanout: {
    hub: {
      endToEnd: {
        clients: { connected: 50 },
        latency: { count: 9000, p50Ms: 210, p99Ms: 640 },
        seconds: [{ tS: 1, p99Ms: 600 }],
      },
    },
  },
  track: {
    endpoints: [{ name: 'track, vehicle-day', requestsPerS: 3, latencyMs: { p50: 300, p99: 1400 } }],
    seed: { vehicleDay: { fixesReturned: 17_280 } },
  },
  rules: { full: { usPerPosition: 3.7, positionsPerS: 270_577 }, zones: 500 },
};

describe('suite figures', () => {
  it('put every figure beside its target, with the verdict', () => {
    const f = suiteFigures(full, false);
    const byItem = (item: string, i = 0) => f.filter((x) => x.item === item)[i]!;
    expect(f).toHaveLength(7);
    expect(byItem('ingest')).toMatchObject({ value: 18_198, verdict: 'not met', target: '≥ 20,000/s' });
    expect(byItem('ingest').measured).toContain('mosquitto 25,000/s');
    expect(byItem('ingest', 1)).toMatchObject({ value: 0.728, measured: '0.73', verdict: 'met' });
    expect(byItem('devices')).toMatchObject({ value: 392, verdict: 'met' });
    expect(byItem('jt808')).toMatchObject({ value: 12_599, verdict: 'met' });
    expect(byItem('fanout')).toMatchObject({ value: 640, verdict: 'met' });
    expect(byItem('track')).toMatchObject({ value: 1400, verdict: 'not met' });
    expect(byItem('rules')).toMatchObject({ value: 3.7, verdict: 'met' });
  });

  it('do not judge smoke runs, memory with fewer devices connected, or fan-out to fewer clients', () => {
    const quick = suiteFigures(full, true);
    expect(quick.find((x) => x.item === 'ingest')!.verdict).toBe('not judged');
    expect(quick.find((x) => x.item === 'rules')!.verdict).toBe('not judged');
    // The track query is the same vehicle-day in a quick run, so it is judged.
    expect(quick.find((x) => x.item === 'track')!.verdict).toBe('not met');
    const small = suiteFigures(
      {
        devices: {
          hub: {
            rss: { peakMb: 150, finalMb: 150 },
            generator: { devices: { peakConnected: 137, requested: 200 }, generator: { cpuCores: 0.1 } },
          },
        },
        fanout: { hub: { endToEnd: { clients: { connected: 10 }, latency: { count: 5, p50Ms: 1, p99Ms: 2 } } } },
      },
      false,
    );
    expect(small.find((x) => x.item === 'devices')).toMatchObject({ verdict: 'not judged' });
    expect(small.find((x) => x.item === 'devices')!.note).toMatch(/137/);
    expect(small.find((x) => x.item === 'fanout')!.verdict).toBe('not judged');
  });

  it('say "not measured" for what did not run', () => {
    const none = suiteFigures({}, false);
    expect(none.every((x) => x.verdict === 'not measured' && x.measured === '–')).toBe(true);
  });

  it('agree with the k6 scenarios’ thresholds', async () => {
    // The k6 scenarios are plain JavaScript (type-checked on their own, loadtests/k6/tsconfig.json).
    const thresholds = new URL('./k6/lib/thresholds.js', import.meta.url).href;
    const { TARGETS } = (await import(thresholds)) as { TARGETS: Record<string, number> };
    expect(TARGETS.mapDeltaP99Ms).toBe(SUITE_TARGETS.fanoutP99Ms);
    expect(TARGETS.trackDayP99Ms).toBe(SUITE_TARGETS.trackDayP99Ms);
  });
});

describe('the table and the Markdown report', () => {
  it('print one row per figure, columns aligned', () => {
    const lines = figuresTable(suiteFigures(full, false)).split('\n');
    expect(lines).toHaveLength(8);
    expect(lines[0]).toMatch(/^figure\s+measured\s+target\s+verdict$/);
    const col = lines[0]!.indexOf('target');
    for (const line of lines.slice(1))
      expect(
        line.slice(col).startsWith('≥') || line.slice(col).startsWith('<') || line.slice(col).startsWith('≤'),
      ).toBe(true);
  });

  it('describe the machine, the figures, the plots and each run', () => {
    const md = markdownReport({
      startedAt: '2026-12-01T10:00:00.000Z',
      endedAt: '2026-12-01T10:20:00.000Z',
      quick: false,
      items: ['ingest', 'rules'],
      machine: {
        cpus: 2,
        cpuModel: 'AMD EPYC',
        memoryMb: 24_000,
        kernel: '6.18',
        node: 'v20.20.2',
        loadAverage: [0.1, 0.2, 0.3],
        commit: 'abc123',
        dirty: true,
      },
      figures: suiteFigures(full, false),
      runs: [{ item: 'ingest', seconds: 61, exitCode: 0, result: 'ingest.json', log: 'ingest.log' }],
      plots: [{ file: 'ingest-rate.svg', title: 'Ingest | rate' }],
    });
    expect(md).toContain('2 CPUs (AMD EPYC)');
    expect(md).toContain('`abc123` with uncommitted changes');
    expect(md).toContain('| hub ÷ Mosquitto raw forwarding, same run | 0.73 | ≥ 0.33 | **met** |');
    expect(md).toContain('![Ingest | rate](ingest-rate.svg)');
    expect(md).toContain('| ingest | 61 | 0 | [json](ingest.json) | [log](ingest.log) |');
  });
});

describe('plots', () => {
  it('draw rate and latency over time for each item with per-second samples', () => {
    const plots = suitePlots(full);
    expect(plots.map((p) => p.file)).toEqual([
      'ingest-rate.svg',
      'ingest-latency.svg',
      'devices-rss.svg',
      'jt808-rate.svg',
      'jt808-latency.svg',
      'fanout-latency.svg',
    ]);
    const rate = plots[0]!;
    expect(rate.series.map((s) => s.name)).toEqual(['(a) mosquitto acked/s', '(b) hub acked/s', '(b) hub committed/s']);
    expect(rate.series[2]!.points).toEqual([
      [1, 990],
      [2, 1990],
      [3, 2990],
    ]);
    expect(suitePlots({})).toEqual([]);
  });
});

describe('progress', () => {
  it('estimates what is left from the items’ expected durations', () => {
    expect(eta([60, 30, 10], 0, 20)).toEqual({ remainingS: 80, totalS: 100 });
    // An item running over its estimate adds to the total; it is not "negative time left".
    expect(eta([60, 30, 10], 1, 50)).toEqual({ remainingS: 10, totalS: 120 });
    expect(clock(65)).toBe('1:05');
    expect(clock(3725)).toBe('1:02:05');
  });
});

describe('the suite command line', () => {
  it('runs every item by default, a subset with --only/--skip, and refuses unknown items', () => {
    const all = parseSuiteArgs([]);
    if (all === 'help') throw new Error('expected args');
    expect(all.items).toEqual(['ingest', 'devices', 'jt808', 'fanout', 'track', 'rules']);
    const some = parseSuiteArgs(['--only', 'rules,ingest', '--quick']);
    if (some === 'help') throw new Error('expected args');
    expect(some).toMatchObject({ items: ['ingest', 'rules'], quick: true });
    const less = parseSuiteArgs(['--skip', 'devices']);
    if (less === 'help') throw new Error('expected args');
    expect(less.items).not.toContain('devices');
    expect(() => parseSuiteArgs(['--only', 'video'])).toThrow(/unknown item/);
    expect(() => parseSuiteArgs(['--database-url', 'postgres://10.1.1.1/x'])).toThrow(/loopback/);
  });

  it('sizes quick runs in seconds and full runs at the targets’ scenarios', () => {
    const quick = parseSuiteArgs(['--quick']);
    const fullArgs = parseSuiteArgs([]);
    if (quick === 'help' || fullArgs === 'help') throw new Error('expected args');
    const q = suiteSteps(quick, 'postgres://127.0.0.1/db', '123456');
    const f = suiteSteps(fullArgs, 'postgres://127.0.0.1/db', '123456');
    const arg = (steps: typeof q, item: string, flag: string) => {
      const a = steps.find((s) => s.item === item)!.args;
      return a[a.indexOf(flag) + 1];
    };
    expect(arg(f, 'devices', '--devices')).toBe('10000');
    expect(arg(f, 'devices', '--interval')).toBe('5000');
    expect(arg(f, 'fanout', '--live-clients')).toBe('50');
    expect(Number(arg(q, 'ingest', '--duration'))).toBeLessThanOrEqual(5);
    expect(q.reduce((a, s) => a + s.expectedS, 0)).toBeLessThan(300);
    // Fresh device ids per run: devices that exist keep their credentials.
    expect(arg(f, 'ingest', '--id-prefix')).toBe('s123456i-');
  });
});
