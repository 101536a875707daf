// A benchmark run second by second (逐秒时间线): offered and acknowledged messages, committed rows, hub memory, and
// whether the hub and its API kept answering — what an overload run must show (throughput plateaus, RSS bounded, no
// crash, the API still serving). Pure: bench-ingest.ts collects the samples, this lines them up; timeline.test.ts.
import { rateBetween, type Sample } from './generator-core.js';

/** One probe of the hub while the load runs: /healthz and one API call, each with its status and time. */
export interface Probe {
  atMs: number;
  /** HTTP status, or 0 when the request failed or timed out. */
  healthStatus: number;
  healthMs?: number;
  apiStatus: number;
  apiMs?: number;
}

export interface TimelineInput {
  /** The generator's per-second reports (cumulative counts and the per-second rates). */
  seconds: readonly {
    tS: number;
    atMs: number;
    sentPerS: number;
    ackedPerS: number;
    scheduledPerS?: number;
    rejected: number;
    p99Ms?: number;
  }[];
  /** Rows committed so far (cumulative, this run's). */
  rows?: readonly Sample[];
  /** Hub RSS in bytes. */
  rss?: readonly Sample[];
  probes?: readonly Probe[];
  /** The map observer's per-second publish → delta p99. */
  mapP99?: readonly { atMs: number; p99Ms?: number }[];
}

export interface TimelineRow {
  tS: number;
  atMs: number;
  scheduledPerS?: number;
  sentPerS: number;
  ackedPerS: number;
  committedPerS?: number;
  /** Publishes refused so far (the hub's error reports: rate limits, shed…). */
  refused: number;
  ackP99Ms?: number;
  rssMb?: number;
  /** The worst probe of the second: false if any failed. */
  healthOk?: boolean;
  healthMs?: number;
  apiOk?: boolean;
  apiMs?: number;
  mapP99Ms?: number;
}

const ok = (status: number) => status >= 200 && status < 300;

/** One row per generator second; database, memory and probe samples are attributed to the second they fall in. */
export function buildTimeline(input: TimelineInput): TimelineRow[] {
  return input.seconds.map((s) => {
    const from = s.atMs - 1000;
    const row: TimelineRow = {
      tS: s.tS,
      atMs: s.atMs,
      sentPerS: s.sentPerS,
      ackedPerS: s.ackedPerS,
      refused: s.rejected,
    };
    if (s.scheduledPerS !== undefined) row.scheduledPerS = s.scheduledPerS;
    if (s.p99Ms !== undefined) row.ackP99Ms = s.p99Ms;
    if (input.rows?.length) {
      const committed = rateBetween(input.rows, from, s.atMs, 500);
      if (committed !== undefined) row.committedPerS = Math.round(committed);
    }
    const rss = input.rss?.filter((r) => r.atMs > from && r.atMs <= s.atMs) ?? [];
    if (rss.length) row.rssMb = Math.round(Math.max(...rss.map((r) => r.value)) / 2 ** 20);
    const probes = input.probes?.filter((p) => p.atMs > from && p.atMs <= s.atMs) ?? [];
    if (probes.length) {
      row.healthOk = probes.every((p) => ok(p.healthStatus));
      row.apiOk = probes.every((p) => ok(p.apiStatus));
      const h = probes.map((p) => p.healthMs).filter((x): x is number => x !== undefined);
      const a = probes.map((p) => p.apiMs).filter((x): x is number => x !== undefined);
      if (h.length) row.healthMs = Math.max(...h);
      if (a.length) row.apiMs = Math.max(...a);
    }
    const map = input.mapP99?.filter((m) => m.atMs > from && m.atMs <= s.atMs && m.p99Ms !== undefined) ?? [];
    if (map.length) row.mapP99Ms = Math.max(...map.map((m) => m.p99Ms!));
    return row;
  });
}

export interface Availability {
  probes: number;
  healthFailed: number;
  apiFailed: number;
  /** The longest run of consecutive failed health probes, in ms (0 if none failed). */
  longestOutageMs: number;
  healthP99Ms?: number;
  apiP99Ms?: number;
  apiMaxMs?: number;
}

function p99(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)];
}

/** How the hub answered while loaded: failed probes, the longest outage, probe latencies. */
export function availability(probes: readonly Probe[]): Availability {
  let outageStart: number | undefined;
  let longest = 0;
  for (const p of probes) {
    if (!ok(p.healthStatus)) {
      outageStart ??= p.atMs;
      longest = Math.max(longest, p.atMs - outageStart + 1000);
    } else {
      outageStart = undefined;
    }
  }
  const api = probes.map((p) => p.apiMs).filter((x): x is number => x !== undefined);
  const health = probes.map((p) => p.healthMs).filter((x): x is number => x !== undefined);
  const result: Availability = {
    probes: probes.length,
    healthFailed: probes.filter((p) => !ok(p.healthStatus)).length,
    apiFailed: probes.filter((p) => !ok(p.apiStatus)).length,
    longestOutageMs: longest,
  };
  const hp = p99(health);
  const ap = p99(api);
  if (hp !== undefined) result.healthP99Ms = Math.round(hp);
  if (ap !== undefined) {
    result.apiP99Ms = Math.round(ap);
    result.apiMaxMs = Math.round(Math.max(...api));
  }
  return result;
}

/** At most `maxRows` rows, evenly spaced, always keeping the first and the last (a long run printed readably). */
export function thin<T>(rows: readonly T[], maxRows: number): T[] {
  if (rows.length <= maxRows || maxRows < 2) return [...rows];
  const out: T[] = [];
  for (let i = 0; i < maxRows; i++) out.push(rows[Math.round((i * (rows.length - 1)) / (maxRows - 1))]!);
  return out;
}
