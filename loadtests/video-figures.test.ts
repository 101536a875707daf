import { describe, expect, it } from 'vitest';
import {
  backlogGrowing,
  histogramQuantile,
  parsePrometheus,
  stepFigures,
  verdict,
  videoReading,
} from './video-figures.js';

const metrics = (sampled: number, dropped: number, passed: number, skipped: number, buckets: number[]) => `
# HELP cityhub_video_frames Frames per camera and stage
# TYPE cityhub_video_frames gauge
cityhub_video_frames{camera="busy-1",stage="sampled"} ${sampled}
cityhub_video_frames{camera="busy-1",stage="dropped"} ${dropped}
cityhub_video_frames{camera="busy-1",stage="gate_passed"} ${passed}
cityhub_video_frames{camera="busy-1",stage="gate_skipped"} ${skipped}
cityhub_video_frames{camera="busy-1",stage="detector_refused"} 0
cityhub_video_frames{camera="busy-1",stage="detected"} ${passed}
cityhub_video_frames{camera="still-1",stage="sampled"} ${sampled}
cityhub_video_frames{camera="still-1",stage="gate_passed"} 1
cityhub_video_frames{camera="still-1",stage="gate_skipped"} ${sampled - 1}
cityhub_video_detect_seconds_bucket{le="0.1"} ${buckets[0]}
cityhub_video_detect_seconds_bucket{le="0.2"} ${buckets[1]}
cityhub_video_detect_seconds_bucket{le="0.5"} ${buckets[2]}
cityhub_video_detect_seconds_bucket{le="+Inf"} ${buckets[3]}
cityhub_video_detect_seconds_sum 12.5
cityhub_video_detector_queue{state="queued"} 1
`;

describe('reading /metrics', () => {
  it('parses samples with labels, escapes and +Inf', () => {
    expect(parsePrometheus('a_total{x="q\\"uote",le="+Inf"} 3\n# c\nb 1.5e3\nc{le="+Inf"} +Inf')).toEqual([
      { name: 'a_total', labels: { x: 'q"uote', le: '+Inf' }, value: 3 },
      { name: 'b', labels: {}, value: 1500 },
      { name: 'c', labels: { le: '+Inf' }, value: Infinity },
    ]);
  });

  it('interpolates quantiles within the window’s buckets, as histogram_quantile does', () => {
    const before = [
      { le: 0.1, count: 10 },
      { le: 0.2, count: 10 },
      { le: Infinity, count: 10 },
    ];
    // 100 new observations: 50 up to 0.1 s, 40 in 0.1–0.2 s, 10 above.
    const after = [
      { le: 0.1, count: 60 },
      { le: 0.2, count: 100 },
      { le: Infinity, count: 110 },
    ];
    expect(histogramQuantile(before, after, 0.5)).toBeCloseTo(0.1);
    expect(histogramQuantile(before, after, 0.7)).toBeCloseTo(0.15);
    expect(histogramQuantile(before, after, 0.99)).toBe(0.2); // in +Inf: the last finite bound
    expect(histogramQuantile(after, after, 0.5)).toBeUndefined();
  });
});

describe('a step’s figures and verdict', () => {
  const before = videoReading(parsePrometheus(metrics(10, 0, 4, 6, [0, 0, 0, 0])), 0);
  const after = videoReading(parsePrometheus(metrics(40, 1, 14, 25, [5, 15, 20, 20])), 60_000);
  const groupOf = (id: string) => (id.startsWith('busy') ? 'busy' : 'static');
  const f = stepFigures(before, after, ['busy-1', 'still-1'], groupOf, 2000);

  it('counts samples, drops and the gate’s pass rate per group over the window', () => {
    expect(f).toMatchObject({
      cameras: 2,
      windowS: 60,
      samplesExpected: 60,
      samplesTaken: 60,
      droppedBusy: 1,
      detectorRefused: 0,
      detectedFrames: 10,
    });
    expect(f.dropRate).toBeCloseTo(1 / 60);
    expect(f.gatePassRate.busy).toBeCloseTo(10 / 29);
    expect(f.gatePassRate.static).toBe(0);
    expect(f.gatePassRate.all).toBeCloseTo(10 / 59);
    expect(f.detectP50Ms).toBeCloseTo(150);
    expect(f.detectP99Ms).toBeCloseTo(488);
  });

  it('is sustained only with the samples, few drops, a detector faster than the interval and no growing backlog', () => {
    const limits = { minSampleShare: 0.95, maxDropRate: 0.01, intervalMs: 2000 };
    expect(verdict({ ...f, droppedBusy: 0, dropRate: 0 }, [1, 1, 1, 1, 1, 1], limits)).toEqual({
      sustained: true,
      reasons: [],
    });
    expect(verdict(f, [], limits).reasons).toEqual(['dropped 1.7 % (> 1 %)']);
    // One sample short per camera is where the window cut the sampling; more is a sampler falling behind.
    expect(verdict({ ...f, dropRate: 0, samplesTaken: 55 }, [], limits).sustained).toBe(true);
    const slow = { ...f, dropRate: 0, samplesTaken: 50, detectP99Ms: 2400 };
    expect(verdict(slow, [0, 0, 1, 2, 3, 4, 4, 4, 4], limits).reasons).toEqual([
      'samples 83.3 % of expected (< 95 %)',
      'detector p99 2400 ms ≥ the 2000 ms interval',
      'detector backlog growing',
    ]);
    expect(backlogGrowing([3, 4, 3, 4, 3, 4])).toBe(false);
  });
});
