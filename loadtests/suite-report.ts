// The benchmark suite's report (基准测试报告): each runner's JSON result turned into one figure beside its target, the
// table printed at the end of `npm run bench`, the Markdown report and the plots' data. Pure: bench.ts runs the
// runners and writes the files; suite-report.test.ts covers this with results shaped like the runners' own.
import type { Series } from './svg-plot.js';

/** The targets, each with where it comes from. */
export const SUITE_TARGETS = {
  /** Issue 3: positions/s committed on a 2-core box. */
  committedPerS: 20_000,
  /** Issue 3: hub committed ÷ mosquitto delivered, same load, same run. */
  ratio: 0.33,
  /** Issue 3: 10,000 connected devices reporting every 5 s. */
  rssDevices: 10_000,
  rssMb: 400,
  /** Issue 4: JT/T 808 positions/s committed. */
  jt808PerS: 10_000,
  /** The suite's own: deltas leave every ~150 ms after a ≤ 50 ms batch and its commit; 1 s keeps the map live. */
  fanoutP99Ms: 1000,
  fanoutClients: 50,
  /** The suite's own: a dispatcher opening a vehicle's day waits at most a second. */
  trackDayP99Ms: 1000,
  /** Issue 6: keep up with 20,000 positions/s on one core: at most 50 µs per position. */
  rulesUsPerPosition: 50,
} as const;

export const SUITE_ITEMS = ['ingest', 'devices', 'jt808', 'fanout', 'track', 'rules'] as const;
export type SuiteItem = (typeof SUITE_ITEMS)[number];

export type Verdict = 'met' | 'not met' | 'not measured' | 'not judged';

export interface Figure {
  item: SuiteItem;
  label: string;
  /** The measured value in `unit`, undefined when the run did not measure it. */
  value?: number;
  unit: string;
  /** The value as printed, with context ("16,901/s (database rows)"). */
  measured: string;
  target: string;
  verdict: Verdict;
  note?: string;
}

const n0 = (x: number | undefined, digits = 0) =>
  x === undefined || !Number.isFinite(x)
    ? '–'
    : x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function judge(value: number | undefined, ok: (v: number) => boolean, judged = true): Verdict {
  if (value === undefined || !Number.isFinite(value)) return 'not measured';
  if (!judged) return 'not judged';
  return ok(value) ? 'met' : 'not met';
}

// The parts of the runners' JSON results read here (bench-ingest.ts, bench-jt808.ts, bench-api.ts, bench-rules.ts).
interface LatencyLike {
  count?: number;
  p50Ms?: number;
  p99Ms?: number;
  maxMs?: number;
}
interface SecondLike {
  tS: number;
  sentPerS?: number;
  ackedPerS: number;
  p50Ms?: number;
  p99Ms?: number;
}
interface GeneratorLike {
  devices: { peakConnected: number; requested: number };
  generator: { cpuCores: number; steadyCpuCores?: number };
  seconds?: SecondLike[];
}
export interface IngestResult {
  load?: { devices?: number; rate?: number | 'max'; batch?: number };
  baseline?: { subscriber?: { steadyDeliveredPositionsPerS?: number }; generator?: GeneratorLike };
  hub?: {
    steadyCommittedPerS?: number;
    throughputSource?: string;
    rss?: { peakMb: number; finalMb: number };
    generator?: GeneratorLike;
    endToEnd?: { clients: { connected: number }; latency: LatencyLike; seconds?: { tS: number; p99Ms?: number }[] };
    timeline?: { tS: number; rssMb?: number; committedPerS?: number; ackedPerS: number }[];
    availability?: { hubAliveAtEnd: boolean | null; healthFailed: number; apiFailed: number; probes: number };
  };
  ratio?: number | null;
  failures?: string[];
}
export interface Jt808Result {
  committed?: { steadyPerS?: number; rows?: number };
  rssMb?: { peak?: number };
  load?: { terminals?: { authenticated?: number }; latency?: LatencyLike; seconds?: SecondLike[] };
}
export interface ApiResult {
  endpoints?: { name: string; requestsPerS: number; latencyMs: { p50: number; p99: number } }[];
  seed?: { vehicleDay?: { fixesReturned?: number } };
}
export interface RulesResult {
  full?: { usPerPosition: number; positionsPerS: number };
  baseline?: { usPerPosition: number };
  zones?: number;
  vehicles?: number;
}

export interface SuiteResults {
  ingest?: IngestResult;
  devices?: IngestResult;
  jt808?: Jt808Result;
  fanout?: IngestResult;
  track?: ApiResult;
  rules?: RulesResult;
}

/** One figure per suite item (two for ingest: the rate and the ratio), each beside its target. */
export function suiteFigures(results: SuiteResults, quick: boolean): Figure[] {
  const figures: Figure[] = [];
  const T = SUITE_TARGETS;
  const quickNote = quick ? '--quick: a smoke-sized run, not judged' : undefined;

  const ing = results.ingest;
  const committed = ing?.hub?.steadyCommittedPerS;
  const delivered = ing?.baseline?.subscriber?.steadyDeliveredPositionsPerS;
  figures.push({
    item: 'ingest',
    label: 'hub durable ingest (QoS 1, acked after commit)',
    ...(committed !== undefined ? { value: committed } : {}),
    unit: 'positions/s',
    measured:
      committed !== undefined
        ? `${n0(committed)}/s committed; mosquitto ${delivered !== undefined ? `${n0(delivered)}/s` : '–'}`
        : '–',
    target: `≥ ${n0(T.committedPerS)}/s`,
    verdict: judge(committed, (v) => v >= T.committedPerS, !quick),
    ...(quickNote ? { note: quickNote } : {}),
  });
  const ratio = ing?.ratio ?? undefined;
  figures.push({
    item: 'ingest',
    label: 'hub ÷ Mosquitto raw forwarding, same run',
    ...(ratio !== undefined && ratio !== null ? { value: ratio } : {}),
    unit: '×',
    measured: ratio !== undefined && ratio !== null ? n0(ratio, 2) : '–',
    target: `≥ ${T.ratio}`,
    verdict: judge(ratio ?? undefined, (v) => v >= T.ratio, !quick),
    ...(quickNote ? { note: quickNote } : {}),
  });

  const dev = results.devices?.hub;
  const connected = dev?.generator?.devices.peakConnected;
  const rss = dev?.rss?.peakMb;
  const fullScenario = connected !== undefined && connected >= T.rssDevices;
  figures.push({
    item: 'devices',
    label: `${n0(T.rssDevices)} connected devices every 5 s: hub RSS peak`,
    ...(rss !== undefined ? { value: rss } : {}),
    unit: 'MB',
    measured: rss !== undefined ? `${n0(rss)} MB with ${n0(connected)} devices connected` : '–',
    target: `< ${T.rssMb} MB`,
    verdict: judge(rss, (v) => v < T.rssMb, fullScenario && !quick),
    ...(!fullScenario && rss !== undefined ? { note: `only ${n0(connected)} devices connected` } : {}),
  });

  const jt = results.jt808;
  const jtRate = jt?.committed?.steadyPerS;
  figures.push({
    item: 'jt808',
    label: 'JT/T 808 positions committed (terminals over TCP)',
    ...(jtRate !== undefined ? { value: jtRate } : {}),
    unit: 'positions/s',
    measured:
      jtRate !== undefined
        ? `${n0(jtRate)}/s; 0x8001 p99 ${n0(jt?.load?.latency?.p99Ms)} ms, ${n0(jt?.load?.terminals?.authenticated)} terminals`
        : '–',
    target: `≥ ${n0(T.jt808PerS)}/s`,
    verdict: judge(jtRate, (v) => v >= T.jt808PerS, !quick),
    ...(quickNote ? { note: quickNote } : {}),
  });

  const e2e = results.fanout?.hub?.endToEnd;
  const fanP99 = e2e?.latency.count ? e2e.latency.p99Ms : undefined;
  const clients = e2e?.clients.connected;
  figures.push({
    item: 'fanout',
    label: `map fan-out: publish → delta on ${n0(clients ?? T.fanoutClients)} socket.io clients, p99`,
    ...(fanP99 !== undefined ? { value: fanP99 } : {}),
    unit: 'ms',
    measured: fanP99 !== undefined ? `p50 ${n0(e2e?.latency.p50Ms)} / p99 ${n0(fanP99)} ms` : '–',
    target: `≤ ${n0(T.fanoutP99Ms)} ms with ${T.fanoutClients} clients`,
    verdict: judge(fanP99, (v) => v <= T.fanoutP99Ms, !quick && (clients ?? 0) >= T.fanoutClients),
    ...(quickNote ? { note: quickNote } : {}),
  });

  const day = results.track?.endpoints?.find((e) => e.name === 'track, vehicle-day');
  const fixes = results.track?.seed?.vehicleDay?.fixesReturned;
  figures.push({
    item: 'track',
    label: 'one vehicle-day track query (all fixes), p99',
    ...(day ? { value: day.latencyMs.p99 } : {}),
    unit: 'ms',
    measured: day ? `p50 ${n0(day.latencyMs.p50)} / p99 ${n0(day.latencyMs.p99)} ms, ${n0(fixes)} fixes` : '–',
    target: `≤ ${n0(T.trackDayP99Ms)} ms`,
    verdict: judge(day?.latencyMs.p99, (v) => v <= T.trackDayP99Ms, fixes !== undefined && fixes > 0),
  });

  const us = results.rules?.full?.usPerPosition;
  figures.push({
    item: 'rules',
    label: 'rule engine cost per position (all vehicle rules)',
    ...(us !== undefined ? { value: us } : {}),
    unit: 'µs',
    measured:
      us !== undefined
        ? `${n0(us, 2)} µs (${n0(results.rules?.full?.positionsPerS)} positions/s, ${n0(results.rules?.zones)} zones)`
        : '–',
    target: `≤ ${T.rulesUsPerPosition} µs (20,000/s on one core)`,
    verdict: judge(us, (v) => v <= T.rulesUsPerPosition, !quick),
    ...(quickNote ? { note: quickNote } : {}),
  });
  return figures;
}

/** A plain-text table, columns padded to their widest cell. */
export function textTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The suite's one table: figure, measured, target, verdict. */
export function figuresTable(figures: readonly Figure[]): string {
  return textTable([
    ['figure', 'measured', 'target', 'verdict'],
    ...figures.map((f) => [f.label, f.measured, f.target, f.verdict + (f.note ? ` (${f.note})` : '')]),
  ]);
}

export interface MachineDescription {
  cpus: number;
  cpuModel: string;
  memoryMb: number;
  kernel: string;
  node: string;
  loadAverage: number[];
  commit?: string;
  dirty?: boolean;
}

export interface SuiteReport {
  startedAt: string;
  endedAt: string;
  quick: boolean;
  items: SuiteItem[];
  machine: MachineDescription;
  figures: Figure[];
  /** Per item: how long it ran, its exit status, its result and log files (relative to the report folder). */
  runs: { item: SuiteItem; seconds: number; exitCode: number | null; result?: string; log: string }[];
  plots: { file: string; title: string }[];
}

const mdCell = (s: string) => s.replace(/\|/g, '\\|');

/** The Markdown report: machine, table, plots, runs. */
export function markdownReport(report: SuiteReport): string {
  const m = report.machine;
  const lines = [
    `# City Hub benchmark suite — ${report.startedAt.slice(0, 10)}${report.quick ? ' (--quick smoke run)' : ''}`,
    '',
    `- Machine: ${m.cpus} CPUs (${m.cpuModel}), ${n0(m.memoryMb / 1024, 1)} GiB, Linux ${m.kernel}, Node ${m.node}`,
    `- Load average at the start: ${m.loadAverage.map((x) => x.toFixed(2)).join(' / ')} (1 / 5 / 15 min)`,
    ...(m.commit ? [`- Commit: \`${m.commit}\`${m.dirty ? ' with uncommitted changes' : ''}`] : []),
    `- Ran ${report.startedAt} → ${report.endedAt}: ${report.items.join(', ')}`,
    '',
    '| figure | measured | target | verdict |',
    '|---|---|---|---|',
    ...report.figures.map(
      (f) =>
        `| ${mdCell(f.label)} | ${mdCell(f.measured)} | ${mdCell(f.target)} | ` +
        `${f.verdict === 'met' ? '**met**' : f.verdict}${f.note ? ` (${mdCell(f.note)})` : ''} |`,
    ),
    '',
  ];
  if (report.plots.length) {
    lines.push('## Plots', '');
    for (const p of report.plots) lines.push(`![${p.title}](${p.file})`, '');
  }
  lines.push('## Runs', '', '| item | seconds | exit | result | log |', '|---|---|---|---|---|');
  for (const r of report.runs) {
    lines.push(
      `| ${r.item} | ${n0(r.seconds)} | ${r.exitCode ?? 'killed'} | ${r.result ? `[json](${r.result})` : '–'} | ` +
        `[log](${r.log}) |`,
    );
  }
  return lines.join('\n') + '\n';
}

export interface PlotSpec {
  file: string;
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  reference?: { y: number; label: string };
}

const pointsOf = <T extends { tS: number }>(rows: readonly T[] | undefined, pick: (r: T) => number | undefined) =>
  (rows ?? []).map((r) => [r.tS, pick(r) ?? NaN] as const);

/** The plots of a suite run: rate and latency over time for each item that has per-second samples. */
export function suitePlots(results: SuiteResults): PlotSpec[] {
  const plots: PlotSpec[] = [];
  const ing = results.ingest;
  if (ing?.hub?.generator?.seconds || ing?.baseline?.generator?.seconds) {
    plots.push({
      file: 'ingest-rate.svg',
      title: 'Ingest: messages acknowledged per second',
      xLabel: 'seconds',
      yLabel: 'msgs/s',
      series: [
        { name: '(a) mosquitto acked/s', points: pointsOf(ing.baseline?.generator?.seconds, (s) => s.ackedPerS) },
        { name: '(b) hub acked/s', points: pointsOf(ing.hub?.generator?.seconds, (s) => s.ackedPerS) },
        { name: '(b) hub committed/s', points: pointsOf(ing.hub?.timeline, (s) => s.committedPerS) },
      ],
      reference: { y: SUITE_TARGETS.committedPerS, label: 'target 20,000/s' },
    });
    plots.push({
      file: 'ingest-latency.svg',
      title: 'Ingest: QoS 1 ack latency per second',
      xLabel: 'seconds',
      yLabel: 'ms',
      series: [
        { name: '(a) mosquitto p99', points: pointsOf(ing.baseline?.generator?.seconds, (s) => s.p99Ms) },
        { name: '(b) hub p50', points: pointsOf(ing.hub?.generator?.seconds, (s) => s.p50Ms) },
        { name: '(b) hub p99', points: pointsOf(ing.hub?.generator?.seconds, (s) => s.p99Ms) },
      ],
    });
  }
  const dev = results.devices?.hub;
  if (dev?.timeline?.length) {
    plots.push({
      file: 'devices-rss.svg',
      title: 'Connected devices: hub RSS',
      xLabel: 'seconds',
      yLabel: 'MB',
      series: [{ name: 'hub RSS', points: pointsOf(dev.timeline, (s) => s.rssMb) }],
      reference: { y: SUITE_TARGETS.rssMb, label: 'target 400 MB' },
    });
  }
  const jt = results.jt808?.load?.seconds;
  if (jt?.length) {
    plots.push({
      file: 'jt808-rate.svg',
      title: 'JT/T 808: reports answered per second',
      xLabel: 'seconds',
      yLabel: 'positions/s',
      series: [{ name: '0x8001 replies/s', points: pointsOf(jt, (s) => s.ackedPerS) }],
      reference: { y: SUITE_TARGETS.jt808PerS, label: 'target 10,000/s' },
    });
    plots.push({
      file: 'jt808-latency.svg',
      title: 'JT/T 808: 0x0200 → 0x8001 latency',
      xLabel: 'seconds',
      yLabel: 'ms',
      series: [
        { name: 'p50', points: pointsOf(jt, (s) => s.p50Ms) },
        { name: 'p99', points: pointsOf(jt, (s) => s.p99Ms) },
      ],
    });
  }
  const fan = results.fanout?.hub;
  if (fan?.endToEnd?.seconds?.length) {
    plots.push({
      file: 'fanout-latency.svg',
      title: 'Map fan-out: publish → delta on the socket.io clients, p99 per second',
      xLabel: 'seconds',
      yLabel: 'ms',
      series: [{ name: 'publish → map p99', points: pointsOf(fan.endToEnd.seconds, (s) => s.p99Ms) }],
      reference: { y: SUITE_TARGETS.fanoutP99Ms, label: 'target 1 s' },
    });
  }
  return plots;
}

/** Seconds as m:ss (or h:mm:ss). */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(h ? 2 : 1, '0');
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** Progress: elapsed, and the remaining estimate from the items' expected durations (stretched by an overrun). */
export function eta(
  expectedS: readonly number[],
  currentIndex: number,
  currentElapsedS: number,
): { remainingS: number; totalS: number } {
  const current = expectedS[currentIndex] ?? 0;
  const rest = expectedS.slice(currentIndex + 1).reduce((a, b) => a + b, 0);
  const remainingCurrent = Math.max(0, current - currentElapsedS);
  const done = expectedS.slice(0, currentIndex).reduce((a, b) => a + b, 0);
  return { remainingS: remainingCurrent + rest, totalS: done + Math.max(current, currentElapsedS) + rest };
}
