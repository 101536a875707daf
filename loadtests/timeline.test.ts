// The per-second timeline of a loaded hub: samples of the database, memory and probes attributed to the generator's
// seconds, availability (failed probes, the longest outage) and thinning a long run for printing.
import { describe, expect, it } from 'vitest';
import { availability, buildTimeline, thin, type Probe } from './timeline.js';

const T = 1_800_000_000_000;
const sec = (tS: number, ackedPerS: number, rejected = 0) => ({
  tS,
  atMs: T + tS * 1000,
  sentPerS: ackedPerS,
  ackedPerS,
  rejected,
  scheduledPerS: 1000,
  p99Ms: 10 * tS,
});

describe('timeline', () => {
  it('attributes rows, RSS and probes to the second they fall in', () => {
    const rows = [0, 1, 2, 3].map((k) => ({ atMs: T + k * 1000, value: k * 900 }));
    const rss = [
      { atMs: T + 1500, value: 100 * 2 ** 20 },
      { atMs: T + 1900, value: 120 * 2 ** 20 },
      { atMs: T + 2500, value: 110 * 2 ** 20 },
    ];
    const probes: Probe[] = [
      { atMs: T + 1200, healthStatus: 200, healthMs: 4, apiStatus: 200, apiMs: 9 },
      { atMs: T + 2200, healthStatus: 0, apiStatus: 503, apiMs: 50 },
    ];
    const timeline = buildTimeline({
      seconds: [sec(1, 1000), sec(2, 950, 3), sec(3, 900, 3)],
      rows,
      rss,
      probes,
      mapP99: [{ atMs: T + 2100, p99Ms: 300 }],
    });
    expect(timeline[1]).toMatchObject({
      tS: 2,
      ackedPerS: 950,
      committedPerS: 900,
      refused: 3,
      rssMb: 120,
      healthOk: true,
      healthMs: 4,
      apiMs: 9,
      ackP99Ms: 20,
    });
    expect(timeline[2]).toMatchObject({ tS: 3, rssMb: 110, healthOk: false, apiOk: false, apiMs: 50, mapP99Ms: 300 });
    expect(timeline[0]!.rssMb).toBeUndefined();
  });

  it('leaves out what was not measured', () => {
    const [row] = buildTimeline({ seconds: [sec(1, 5)] });
    expect(row).toEqual({
      tS: 1,
      atMs: T + 1000,
      sentPerS: 5,
      ackedPerS: 5,
      refused: 0,
      scheduledPerS: 1000,
      ackP99Ms: 10,
    });
  });
});

describe('availability', () => {
  it('counts failed probes and the longest run of failed health checks', () => {
    const p = (k: number, health: number, api = 200): Probe => ({
      atMs: T + k * 1000,
      healthStatus: health,
      ...(health ? { healthMs: k } : {}),
      apiStatus: api,
      ...(api ? { apiMs: 10 * k } : {}),
    });
    const a = availability([p(0, 200), p(1, 0, 0), p(2, 503), p(3, 0), p(4, 200), p(5, 0), p(6, 200)]);
    expect(a).toMatchObject({ probes: 7, healthFailed: 4, apiFailed: 1, longestOutageMs: 3000, apiMaxMs: 60 });
    expect(availability([p(0, 200), p(1, 200)]).longestOutageMs).toBe(0);
    expect(availability([])).toEqual({ probes: 0, healthFailed: 0, apiFailed: 0, longestOutageMs: 0 });
  });
});

describe('thinning', () => {
  it('keeps the first and last rows and at most the number asked', () => {
    const rows = Array.from({ length: 100 }, (_, i) => i);
    const t = thin(rows, 10);
    expect(t).toHaveLength(10);
    expect(t[0]).toBe(0);
    expect(t[9]).toBe(99);
    expect(thin(rows.slice(0, 5), 10)).toEqual([0, 1, 2, 3, 4]);
  });
});
