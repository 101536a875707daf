// 场景评分 matching candidates to injected violations: hand-placed candidates at hand-computed distances.
import { describe, expect, it } from 'vitest';
import type { Violation } from './core.js';
import { formatScore, scoreRun, type FoundCandidate } from './score.js';

const iso = (ms: number) => new Date(ms).toISOString();
const V1: Violation = {
  ruleKind: 'a',
  classRef: 'event:0112',
  deviceId: 'd1',
  where: [[117, 36]],
  startMs: 0,
  endMs: 600_000,
  note: 'v1',
};
const V2: Violation = { ...V1, ruleKind: 'b', deviceId: 'd2', where: [[117.01, 36]], note: 'v2' };
// 1° of longitude at 36° N is 89 958.6 m: 0.0005° = 45 m, 0.0008° = 72 m, 0.0034° = 306 m.
const candidate = (id: string, lon: number, over: Partial<FoundCandidate> = {}): FoundCandidate => ({
  id,
  ruleId: 'run-rule',
  ruleKind: 'a',
  classKind: 'event',
  classCode: '0112',
  lon,
  lat: 36,
  startAt: iso(60_000),
  endAt: iso(120_000),
  ...over,
});

describe('scoring a run', () => {
  it('matches one candidate per violation and counts the rest as false or duplicates', () => {
    const score = scoreRun(
      [V1, V2],
      [
        candidate('c1', 117.0005),
        candidate('c2', 117.0008),
        candidate('c3', 117.0005, { classCode: '0505' }),
        candidate('c4', 117.0034),
        // Starts 3 minutes after the violation ended: outside the 2-minute slack.
        candidate('c5', 117, { startAt: iso(780_000), endAt: iso(800_000) }),
      ],
    );
    expect(score.matches.map((m) => [m.violation.note, m.candidate?.id ?? null, m.distanceM])).toEqual([
      ['v1', 'c1', 45],
      ['v2', null, null],
    ]);
    expect(score.unmatched.map((u) => [u.candidate.id, u.reason])).toEqual([
      ['c2', 'duplicate'],
      ['c3', 'false'],
      ['c4', 'false'],
      ['c5', 'false'],
    ]);
    expect(score.kinds).toEqual([
      { ruleKind: 'a', injected: 1, found: 1, missed: 0, falseCandidates: 3, duplicates: 1, precision: 0.2, recall: 1 },
      {
        ruleKind: 'b',
        injected: 1,
        found: 0,
        missed: 1,
        falseCandidates: 0,
        duplicates: 0,
        precision: null,
        recall: 0,
      },
    ]);
    expect(score.passed).toBe(false);
    expect(formatScore('x', score)).toContain('MISSED b event:0112 d2: v2');
  });

  it('passes when every violation has exactly one candidate and nothing else was raised', () => {
    const score = scoreRun([V1], [candidate('c1', 117.0005, { classKind: null, classCode: 'event:0112' })]);
    expect(score.passed).toBe(true);
    expect(score.kinds[0]).toMatchObject({ precision: 1, recall: 1 });
  });
});
