// Splitting one load over several generator processes and merging what they measured (多进程负载合并): the pure half
// of fleet.ts. A single Node process tops out at ~20–23k msgs/s on this box; N processes each run mqtt-generator.ts
// on a slice of the devices with the matching share of the rate, and their counters, per-second samples and latency
// histograms add up to one summary of the same shape as a single generator's. Unit-tested in fleet.test.ts.
import { LatencyHistogram, type HistogramJson } from './histogram.js';
import type { GeneratorOptions } from './generator-core.js';
import type { GeneratorSummary, SecondReport } from './mqtt-generator.js';

/**
 * The options of each of `processes` generator processes: consecutive slices of the devices (the first slices one
 * larger when they do not divide evenly), each with the rate share of its devices, so every device keeps the period it
 * would have in one process. A closed loop (`max`) stays a closed loop in every slice.
 */
export function splitFleet(options: GeneratorOptions, processes: number): GeneratorOptions[] {
  if (!Number.isInteger(processes) || processes < 1) throw new Error('processes must be a positive integer');
  const n = Math.min(processes, options.devices);
  const base = Math.floor(options.devices / n);
  const extra = options.devices % n;
  const parts: GeneratorOptions[] = [];
  let start = options.idStart;
  for (let k = 0; k < n; k++) {
    const devices = base + (k < extra ? 1 : 0);
    const share = devices / options.devices;
    parts.push({
      ...options,
      devices,
      idStart: start,
      rate: options.rate === 'max' ? 'max' : options.rate * share,
      ...(options.rampTo !== undefined ? { rampTo: options.rampTo * share } : {}),
      connectConcurrency: Math.max(1, Math.ceil(options.connectConcurrency / n)),
    });
    start += devices;
  }
  return parts;
}

function addCounts(into: Record<string, number>, from: Record<string, number>): Record<string, number> {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
  return into;
}

function mergeHistograms(list: HistogramJson[]): LatencyHistogram {
  const merged = new LatencyHistogram();
  for (const h of list) merged.merge(LatencyHistogram.fromJSON(h));
  return merged;
}

/**
 * Per-second samples of several processes started together (fleet.ts gives them one --start-at), matched by their
 * second number. Counters add up (a process that has not reported a second yet counts with its latest sample);
 * per-second latency percentiles cannot be merged exactly from percentiles: p50 is the ack-weighted mean of the
 * processes' p50s and p99 their maximum (the summary's percentiles come from the merged histograms and are exact).
 */
export function mergeSeconds(perProcess: readonly (readonly SecondReport[])[]): SecondReport[] {
  const last = Math.max(0, ...perProcess.map((s) => s.length));
  const out: SecondReport[] = [];
  for (let i = 0; i < last; i++) {
    const merged: SecondReport = {
      type: 'second',
      tS: i + 1,
      atMs: 0,
      connected: 0,
      sent: 0,
      acked: 0,
      failed: 0,
      throttled: 0,
      rejected: 0,
      sentPerS: 0,
      ackedPerS: 0,
      inflight: 0,
      lagSkipped: 0,
      notConnected: 0,
      positionsAcked: 0,
      positionsRejected: 0,
    };
    let weighted = 0;
    let weight = 0;
    let p99: number | undefined;
    let scheduled: number | undefined;
    for (const seconds of perProcess) {
      const own = seconds[i];
      const latest = own ?? seconds[seconds.length - 1];
      if (!latest) continue;
      merged.atMs = Math.max(merged.atMs, latest.atMs);
      for (const k of ['connected', 'sent', 'acked', 'failed', 'throttled', 'rejected', 'inflight'] as const) {
        merged[k] += latest[k];
      }
      merged.lagSkipped += latest.lagSkipped ?? 0;
      merged.notConnected += latest.notConnected ?? 0;
      merged.positionsAcked += latest.positionsAcked ?? 0;
      merged.positionsRejected += latest.positionsRejected ?? 0;
      if (!own) continue;
      merged.sentPerS += own.sentPerS;
      merged.ackedPerS += own.ackedPerS;
      if (own.scheduledPerS !== undefined) scheduled = (scheduled ?? 0) + own.scheduledPerS;
      if (own.p50Ms !== undefined) {
        const w = Math.max(1, own.ackedPerS);
        weighted += own.p50Ms * w;
        weight += w;
      }
      if (own.p99Ms !== undefined) p99 = Math.max(p99 ?? 0, own.p99Ms);
    }
    if (weight > 0) merged.p50Ms = Math.round((weighted / weight) * 100) / 100;
    if (p99 !== undefined) merged.p99Ms = p99;
    if (scheduled !== undefined) merged.scheduledPerS = Math.round(scheduled);
    out.push(merged);
  }
  return out;
}

/** One process's share of a fleet run, as reported beside the merged summary. */
export interface ProcessShare {
  pid: number;
  devices: number;
  ratePerS: number | 'max';
  sent: number;
  acked: number;
  cpuCores: number;
  steadyCpuCores?: number;
  eventLoopDelayP99Ms: number;
}

export interface FleetSummary extends GeneratorSummary {
  processes: ProcessShare[];
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** The summaries of the processes of one fleet run, as one summary of the whole load (`options`). */
export function mergeSummaries(options: GeneratorOptions, parts: readonly GeneratorSummary[]): FleetSummary {
  if (parts.length === 0) throw new Error('no generator summaries to merge');
  const sum = (pick: (s: GeneratorSummary) => number) => parts.reduce((a, s) => a + pick(s), 0);
  const all = <T>(pick: (s: GeneratorSummary) => T | undefined): T[] | undefined => {
    const values = parts.map(pick);
    return values.every((v) => v !== undefined) ? (values as T[]) : undefined;
  };
  const latency = mergeHistograms(parts.map((p) => p.histograms.latency));
  const steadyLatency = mergeHistograms(parts.map((p) => p.histograms.steadyLatency));
  const connect = mergeHistograms(parts.map((p) => p.histograms.connect));
  const steadySent = all((s) => s.rates.steadySentPerS);
  const steadyAcked = all((s) => s.rates.steadyAckedPerS);
  const steadyCpu = all((s) => s.generator.steadyCpuCores);
  const fdLimits = parts.map((p) => p.generator.openFileLimit).filter((x): x is number => x !== null);
  const { credentialsFile, ...shownOptions } = options;
  const messages = {
    sent: sum((s) => s.messages.sent),
    acked: sum((s) => s.messages.acked),
    failed: sum((s) => s.messages.failed),
    lostOnDisconnect: sum((s) => s.messages.lostOnDisconnect),
    unackedAtEnd: sum((s) => s.messages.unackedAtEnd),
    throttled: sum((s) => s.messages.throttled),
    notConnected: sum((s) => s.messages.notConnected),
    lagSkipped: sum((s) => s.messages.lagSkipped),
    rejected: sum((s) => s.messages.rejected),
    rejectedByReason: parts.reduce<Record<string, number>>((acc, s) => addCounts(acc, s.messages.rejectedByReason), {}),
  };
  return {
    type: 'summary',
    options: { ...shownOptions, credentials: credentialsFile !== undefined },
    startedAt: parts.map((p) => p.startedAt).sort()[0]!,
    endedAt: parts
      .map((p) => p.endedAt)
      .sort()
      .at(-1)!,
    sendStartMs: Math.min(...parts.map((p) => p.sendStartMs)),
    sendEndMs: Math.max(...parts.map((p) => p.sendEndMs)),
    // The whole fleet is steady only once every process is.
    steadyFromMs: Math.max(...parts.map((p) => p.steadyFromMs)),
    lastAckMs: Math.max(...parts.map((p) => p.lastAckMs)),
    devices: {
      requested: sum((s) => s.devices.requested),
      peakConnected: sum((s) => s.devices.peakConnected),
      connectedAtEnd: sum((s) => s.devices.connectedAtEnd),
      connectFailed: sum((s) => s.devices.connectFailed),
      refusedByCode: parts.reduce<Record<string, number>>((acc, s) => addCounts(acc, s.devices.refusedByCode), {}),
      dropped: sum((s) => s.devices.dropped),
      connectMs: connect.summary(),
    },
    messages,
    positions: {
      perMessage: options.batch,
      sent: sum((s) => s.positions.sent),
      acked: sum((s) => s.positions.acked),
      rejected: sum((s) => s.positions.rejected ?? 0),
    },
    latency: latency.summary(),
    steadyLatency: steadyLatency.summary(),
    rates: {
      sentPerS: round1(sum((s) => s.rates.sentPerS)),
      ackedPerS: round1(sum((s) => s.rates.ackedPerS)),
      ...(steadySent ? { steadySentPerS: round1(steadySent.reduce((a, b) => a + b, 0)) } : {}),
      ...(steadyAcked ? { steadyAckedPerS: round1(steadyAcked.reduce((a, b) => a + b, 0)) } : {}),
    },
    generator: {
      cpuUserS: round1(sum((s) => s.generator.cpuUserS)),
      cpuSystemS: round1(sum((s) => s.generator.cpuSystemS)),
      cpuCores: Math.round(sum((s) => s.generator.cpuCores) * 100) / 100,
      ...(steadyCpu ? { steadyCpuCores: Math.round(steadyCpu.reduce((a, b) => a + b, 0) * 100) / 100 } : {}),
      prebuilt: parts.some((p) => p.generator.prebuilt),
      pid: parts[0]!.generator.pid,
      eventLoopDelayP99Ms: Math.max(...parts.map((p) => p.generator.eventLoopDelayP99Ms)),
      eventLoopDelayMaxMs: Math.max(...parts.map((p) => p.generator.eventLoopDelayMaxMs)),
      peakRssMb: sum((s) => s.generator.peakRssMb),
      openFileLimit: fdLimits.length ? Math.min(...fdLimits) : null,
    },
    seconds: mergeSeconds(parts.map((p) => p.seconds)),
    histograms: { latency: latency.toJSON(), steadyLatency: steadyLatency.toJSON(), connect: connect.toJSON() },
    kinds: parts.reduce<Record<string, number>>((acc, s) => addCounts(acc, s.kinds as Record<string, number>), {}),
    errors: [...new Set(parts.flatMap((p) => p.errors))].slice(0, 10),
    processes: parts.map((p) => ({
      pid: p.generator.pid,
      devices: p.devices.requested,
      ratePerS: p.options.rate,
      sent: p.messages.sent,
      acked: p.messages.acked,
      cpuCores: p.generator.cpuCores,
      ...(p.generator.steadyCpuCores !== undefined ? { steadyCpuCores: p.generator.steadyCpuCores } : {}),
      eventLoopDelayP99Ms: p.generator.eventLoopDelayP99Ms,
    })),
  };
}
