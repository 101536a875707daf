// 指标定义 the definitions hold together: every rate and score names counts that exist, every default composite
// weighs scores that mean something for its kind, the aggregate columns are distinct, and the README shows the tables
// the definitions print.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COUNTERS, columnOf } from './counters.js';
import { FACT_KINDS } from './facts.js';
import { evaluationMarkdown } from './markdown.js';
import { OBJECT_KINDS } from './objects.js';
import { RATE_BY_ID, unknownRateInputs } from './rates.js';
import { SCORE_ITEMS, scoreOf } from './scores.js';
import { checkTerms, compositeOf, DEFAULT_WEIGHTS } from './weights.js';

describe('the evaluation definitions', () => {
  it('name counts and facts that exist, with a source and a note each', () => {
    expect(unknownRateInputs()).toEqual([]);
    for (const c of COUNTERS) {
      expect(FACT_KINDS, c.id).toContain(c.filter.kind);
      expect(c.source.length * c.note.length, c.id).toBeGreaterThan(0);
    }
    const columns = COUNTERS.map((c) => columnOf(c.id));
    expect(new Set(columns).size).toBe(columns.length);
    for (const item of SCORE_ITEMS) {
      if (item.scoring.kind !== 'bands') expect(RATE_BY_ID.has(item.scoring.rate), item.id).toBe(true);
    }
  });

  it('have default weights every kind accepts', () => {
    for (const kind of OBJECT_KINDS) {
      const d = DEFAULT_WEIGHTS[kind];
      if (d === null) continue;
      expect(checkTerms(kind, d.terms), kind).toEqual([]);
    }
    expect(checkTerms('class', [{ item: 'closureScore', weight: 1 }])[0]!.message).toMatch(/no composite/);
    expect(checkTerms('city', [{ item: 'closureScore', weight: 0 }])[0]!.message).toMatch(/above 0/);
  });

  it('weigh the scores that have a value and grade nobody on count bands alone', () => {
    const counts = { closureDue: 4, closed: 3, closedOnTime: 2, filed: 0, publicFiled: 0 };
    const input = { counts, monthScale: 1, cells: 2 };
    // closure 3/4 → 75 × 30, 0 filed per cell → 100 × 20, on time 2/4 → 50 × 10; the public report rate has nothing
    // filed and drops out: (2250 + 2000 + 500) / 60 = 79.17.
    expect(compositeOf(DEFAULT_WEIGHTS.city!.terms, input).score).toBe(79.17);
    expect(compositeOf(DEFAULT_WEIGHTS.acceptor!.terms, { counts: {}, monthScale: 1, cells: null }).score).toBeNull();
    const band = SCORE_ITEMS.find((i) => i.id === 'acceptedCountScore')!;
    // Bands are per month: 150 accepted in a 15-day period count as 300 → 40.
    expect(scoreOf(band, { counts: { accepted: 150 }, monthScale: 30 / 15, cells: null })).toBe(40);
    expect(scoreOf(band, { counts: { accepted: 2001 }, monthScale: 1, cells: null })).toBe(100);
  });

  it('are the tables of the README', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(evaluationMarkdown());
  });
});
