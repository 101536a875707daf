// 视频容量基准的计算 the pure parts of the end-to-end video benchmark (bench-video-e2e.ts): reading the hub's /metrics
// text, turning two readings into per-step figures (samples, motion-gate pass rate, drops, detector latency
// quantiles from the histogram buckets) and the verdict whether the box sustains that many cameras.

/** One Prometheus sample: metric name, labels, value. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format (the lines that carry samples; comments and blank lines skipped). */
export function parsePrometheus(text: string): PromSample[] {
  const out: PromSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    const value = m[3] === '+Inf' ? Infinity : Number(m[3]);
    if (!Number.isNaN(value)) out.push({ name: m[1]!, labels, value });
  }
  return out;
}

/** Per camera, the video pipeline's counters (cityhub_video_frames, by stage). */
export type CameraCounters = Record<string, number>;

/** What one /metrics reading holds for the benchmark. */
export interface VideoReading {
  atMs: number;
  /** camera id → stage → frames since the camera's analysis started. */
  cameras: Map<string, CameraCounters>;
  /** Cumulative bucket counts of cityhub_video_detect_seconds, by upper bound (seconds; Infinity last). */
  detectBuckets: Array<{ le: number; count: number }>;
  /** cityhub_video_detector_queue by state (in_flight, queued, dropped). */
  detectorQueue: Record<string, number>;
}

export function videoReading(samples: readonly PromSample[], atMs: number): VideoReading {
  const cameras = new Map<string, CameraCounters>();
  const buckets: Array<{ le: number; count: number }> = [];
  const detectorQueue: Record<string, number> = {};
  for (const s of samples) {
    if (s.name === 'cityhub_video_frames' && s.labels.camera && s.labels.stage) {
      const c = cameras.get(s.labels.camera) ?? {};
      c[s.labels.stage] = s.value;
      cameras.set(s.labels.camera, c);
    } else if (s.name === 'cityhub_video_detect_seconds_bucket' && s.labels.le) {
      buckets.push({ le: s.labels.le === '+Inf' ? Infinity : Number(s.labels.le), count: s.value });
    } else if (s.name === 'cityhub_video_detector_queue' && s.labels.state) {
      detectorQueue[s.labels.state] = s.value;
    }
  }
  buckets.sort((a, b) => a.le - b.le);
  return { atMs, cameras, detectBuckets: buckets, detectorQueue };
}

/**
 * The q-quantile (0–1) of the observations between two cumulative histogram readings, interpolated linearly inside
 * its bucket (as Prometheus's histogram_quantile does); the last finite bound when it falls in +Inf; undefined when
 * nothing was observed.
 */
export function histogramQuantile(
  before: ReadonlyArray<{ le: number; count: number }>,
  after: ReadonlyArray<{ le: number; count: number }>,
  q: number,
): number | undefined {
  const was = new Map(before.map((b) => [b.le, b.count]));
  const delta = after.map((b) => ({ le: b.le, count: b.count - (was.get(b.le) ?? 0) }));
  const total = delta.at(-1)?.count ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const b of delta) {
    if (b.count >= rank) {
      if (!Number.isFinite(b.le)) return lowerBound;
      const inBucket = b.count - lowerCount;
      return inBucket > 0 ? lowerBound + ((b.le - lowerBound) * (rank - lowerCount)) / inBucket : b.le;
    }
    lowerBound = b.le;
    lowerCount = b.count;
  }
  return lowerBound;
}

export interface StepFigures {
  cameras: number;
  windowS: number;
  samplesExpected: number;
  samplesTaken: number;
  /** Frames the sampler dropped because the camera's chain was still busy with the previous one. */
  droppedBusy: number;
  /** Frames the motion gate passed but the detector pool refused (full) or failed on. */
  detectorRefused: number;
  /** (droppedBusy + detectorRefused) / samplesTaken. */
  dropRate: number;
  /** Motion-gate pass rate, by group of cameras (e.g. busy, static) and over all. */
  gatePassRate: Record<string, number | undefined>;
  detectedFrames: number;
  detectP50Ms: number | undefined;
  detectP99Ms: number | undefined;
}

const delta = (after: CameraCounters | undefined, before: CameraCounters | undefined, stage: string): number =>
  (after?.[stage] ?? 0) - (before?.[stage] ?? 0);

/**
 * The figures of one step from the readings at the start and end of its window. `groupOf` names each camera's group
 * (the clip it shows); `intervalMs` is the cameras' sampling interval.
 */
export function stepFigures(
  before: VideoReading,
  after: VideoReading,
  cameraIds: readonly string[],
  groupOf: (cameraId: string) => string,
  intervalMs: number,
): StepFigures {
  const windowS = (after.atMs - before.atMs) / 1000;
  let taken = 0;
  let dropped = 0;
  let refused = 0;
  let detected = 0;
  const gate = new Map<string, { passed: number; skipped: number }>();
  for (const id of cameraIds) {
    const a = after.cameras.get(id);
    const b = before.cameras.get(id);
    taken += delta(a, b, 'sampled');
    dropped += delta(a, b, 'dropped');
    refused += delta(a, b, 'detector_refused');
    detected += delta(a, b, 'detected');
    for (const group of [groupOf(id), 'all']) {
      const g = gate.get(group) ?? { passed: 0, skipped: 0 };
      g.passed += delta(a, b, 'gate_passed');
      g.skipped += delta(a, b, 'gate_skipped');
      gate.set(group, g);
    }
  }
  const gatePassRate: Record<string, number | undefined> = {};
  for (const [group, g] of gate) {
    gatePassRate[group] = g.passed + g.skipped > 0 ? g.passed / (g.passed + g.skipped) : undefined;
  }
  const ms = (s: number | undefined) => (s === undefined ? undefined : s * 1000);
  return {
    cameras: cameraIds.length,
    windowS,
    samplesExpected: (cameraIds.length * windowS * 1000) / intervalMs,
    samplesTaken: taken,
    droppedBusy: dropped,
    detectorRefused: refused,
    dropRate: taken > 0 ? (dropped + refused) / taken : 0,
    gatePassRate,
    detectedFrames: detected,
    detectP50Ms: ms(histogramQuantile(before.detectBuckets, after.detectBuckets, 0.5)),
    detectP99Ms: ms(histogramQuantile(before.detectBuckets, after.detectBuckets, 0.99)),
  };
}

export interface SustainLimits {
  /**
   * Samples taken at least this share of those expected, less one per camera for where the window cuts its sampling
   * phase (0.95 in the benchmark: a decoder that falls behind loses samples).
   */
  minSampleShare: number;
  /** Frames dropped (busy chain or full detector) at most this share of those taken (default 0.01). */
  maxDropRate: number;
  /** The detector's p99 latency below the sampling interval: otherwise each camera's chain backs up. */
  intervalMs: number;
}

export interface Verdict {
  sustained: boolean;
  /** Why not, one reason per failed check (empty when sustained). */
  reasons: string[];
}

/**
 * Whether the detector backlog grew during the window: the mean of frames waiting in (or being processed by) the
 * pool over the last third of the samples exceeds that of the first third by more than one frame.
 */
export function backlogGrowing(backlog: readonly number[]): boolean {
  if (backlog.length < 6) return false;
  const third = Math.floor(backlog.length / 3);
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return mean(backlog.slice(-third)) > mean(backlog.slice(0, third)) + 1;
}

export function verdict(f: StepFigures, backlog: readonly number[], limits: SustainLimits): Verdict {
  const reasons: string[] = [];
  const share = f.samplesExpected > 0 ? f.samplesTaken / f.samplesExpected : 0;
  // Each camera may lose one sample to where the window cuts its sampling phase.
  if (f.samplesTaken < limits.minSampleShare * f.samplesExpected - f.cameras) {
    reasons.push(`samples ${(share * 100).toFixed(1)} % of expected (< ${limits.minSampleShare * 100} %)`);
  }
  if (f.dropRate > limits.maxDropRate) {
    reasons.push(`dropped ${(f.dropRate * 100).toFixed(1)} % (> ${limits.maxDropRate * 100} %)`);
  }
  if (f.detectP99Ms !== undefined && f.detectP99Ms >= limits.intervalMs) {
    reasons.push(`detector p99 ${Math.round(f.detectP99Ms)} ms ≥ the ${limits.intervalMs} ms interval`);
  }
  if (backlogGrowing(backlog)) reasons.push('detector backlog growing');
  return { sustained: reasons.length === 0, reasons };
}
