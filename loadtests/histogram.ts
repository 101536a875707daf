// Latency histogram (延迟直方图), HDR-style: log-linear buckets over integer microseconds, so recording is O(1) and
// memory is fixed however many messages a run sends (a sorted sample of millions of latencies would not be). Every
// recorded value lands in a bucket whose width is at most 1/64 of its value, so a reported percentile is within ~1.6 %
// of the true one; the minimum and maximum are kept exactly.

/** Sub-buckets per power of two: values below 2 × SUB_BUCKETS µs are exact, above that ≤ 1/SUB_BUCKETS relative error. */
const SUB_BUCKETS = 64;
const SUB_BITS = 6; // log2(SUB_BUCKETS)
/** Largest value kept as is: 2^31 − 1 µs ≈ 36 min. Larger values are clamped (and counted in `clamped`). */
const MAX_VALUE_US = 0x7fffffff;
const BUCKET_COUNT = (31 - SUB_BITS) * SUB_BUCKETS + 2 * SUB_BUCKETS;

/** Index of the bucket that holds `us` (an integer from 0 to MAX_VALUE_US). */
export function bucketIndex(us: number): number {
  if (us < 2 * SUB_BUCKETS) return us;
  const magnitude = 31 - Math.clz32(us); // floor(log2(us)), >= SUB_BITS + 1
  const shift = magnitude - SUB_BITS; // us >>> shift lies in [SUB_BUCKETS, 2 × SUB_BUCKETS)
  return shift * SUB_BUCKETS + (us >>> shift);
}

/** The highest value (µs) that falls into bucket `index`. */
export function bucketUpperUs(index: number): number {
  if (index < 2 * SUB_BUCKETS) return index;
  const shift = Math.floor(index / SUB_BUCKETS) - 1;
  const sub = index - shift * SUB_BUCKETS; // in [SUB_BUCKETS, 2 × SUB_BUCKETS)
  return (sub + 1) * 2 ** shift - 1;
}

export interface LatencySummary {
  count: number;
  /** Milliseconds, 3 decimals; undefined when nothing was recorded. */
  minMs?: number;
  meanMs?: number;
  p50Ms?: number;
  p90Ms?: number;
  p99Ms?: number;
  p999Ms?: number;
  maxMs?: number;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/**
 * A histogram as JSON, for a worker process to hand its latencies to the coordinator that merges them: only the
 * non-empty buckets, as [index, count] pairs (a few hundred at most), plus the exact sum, minimum and maximum.
 */
export interface HistogramJson {
  buckets: [index: number, count: number][];
  count: number;
  clamped: number;
  sumUs: number;
  /** null when empty (JSON has no Infinity). */
  minUs: number | null;
  maxUs: number | null;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKET_COUNT);
  count = 0;
  /** Values above the largest bucket, recorded as that bucket. */
  clamped = 0;
  private sumUs = 0;
  private minUs = Infinity;
  private maxUs = -Infinity;

  /** Records one latency in milliseconds (fractions allowed; negatives count as 0). */
  recordMs(ms: number): void {
    let us = Math.round(ms * 1000);
    if (!(us > 0)) us = 0; // also catches NaN
    if (us > MAX_VALUE_US) {
      us = MAX_VALUE_US;
      this.clamped++;
    }
    this.counts[bucketIndex(us)]!++;
    this.count++;
    this.sumUs += us;
    if (us < this.minUs) this.minUs = us;
    if (us > this.maxUs) this.maxUs = us;
  }

  /** Adds every value of `other` to this histogram. */
  merge(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKET_COUNT; i++) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
    this.clamped += other.clamped;
    this.sumUs += other.sumUs;
    this.minUs = Math.min(this.minUs, other.minUs);
    this.maxUs = Math.max(this.maxUs, other.maxUs);
  }

  toJSON(): HistogramJson {
    const buckets: [number, number][] = [];
    for (let i = 0; i < BUCKET_COUNT; i++) if (this.counts[i]! > 0) buckets.push([i, this.counts[i]!]);
    return {
      buckets,
      count: this.count,
      clamped: this.clamped,
      sumUs: this.sumUs,
      minUs: this.count > 0 ? this.minUs : null,
      maxUs: this.count > 0 ? this.maxUs : null,
    };
  }

  /** The histogram `toJSON` described; throws on a malformed one (it crosses a process boundary). */
  static fromJSON(json: HistogramJson): LatencyHistogram {
    const h = new LatencyHistogram();
    let total = 0;
    for (const [index, count] of json.buckets) {
      if (!Number.isInteger(index) || index < 0 || index >= BUCKET_COUNT || !(count >= 0)) {
        throw new Error(`bad histogram bucket [${index}, ${count}]`);
      }
      h.counts[index]! += count;
      total += count;
    }
    if (total !== json.count) throw new Error(`histogram buckets hold ${total} values, count says ${json.count}`);
    h.count = json.count;
    h.clamped = json.clamped;
    h.sumUs = json.sumUs;
    h.minUs = json.minUs ?? Infinity;
    h.maxUs = json.maxUs ?? -Infinity;
    return h;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.clamped = 0;
    this.sumUs = 0;
    this.minUs = Infinity;
    this.maxUs = -Infinity;
  }

  /**
   * The value at percentile `p` (0–100) in ms: the highest value of the bucket holding the ⌈p/100 × count⌉-th
   * smallest recording, never above the recorded maximum. Undefined when empty.
   */
  percentileMs(p: number): number | undefined {
    if (this.count === 0) return undefined;
    const rank = Math.max(1, Math.ceil((Math.min(Math.max(p, 0), 100) / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKET_COUNT; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(bucketUpperUs(i), this.maxUs) / 1000;
    }
    return this.maxUs / 1000;
  }

  summary(): LatencySummary {
    if (this.count === 0) return { count: 0 };
    const pct = (p: number) => round3(this.percentileMs(p)!);
    return {
      count: this.count,
      minMs: round3(this.minUs / 1000),
      meanMs: round3(this.sumUs / this.count / 1000),
      p50Ms: pct(50),
      p90Ms: pct(90),
      p99Ms: pct(99),
      p999Ms: pct(99.9),
      maxMs: round3(this.maxUs / 1000),
    };
  }
}
