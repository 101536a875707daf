// 网格巡查覆盖 patrol coverage per collector per shift against a hand-made 3×2 grid, judged when the watermark passes
// the local shift end.
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { RuleEngine } from './engine.js';
import { CellCoverageRule, coverageReport, rule, type CellCoverageConfig } from './cell-coverage.js';
import { at, CELL, fix, inCell, locate, OUTSIDE_GRID } from './grid-fixtures.js';
import type { DeviceInfo, RuleContext } from './types.js';

const devices = new Map<string, DeviceInfo>(
  [
    { id: 'c1', kind: 'collector', attributes: {}, gridCodes: [1, 2, 3, 4].map(CELL) },
    { id: 'c2', kind: 'collector', attributes: {}, gridCodes: [1, 2, 3, 4].map(CELL) },
    { id: 'c3', kind: 'collector', attributes: {}, gridCodes: [] },
    { id: 'v1', kind: 'vehicle', attributes: {}, gridCodes: [CELL(1)] },
  ].map((d) => [d.id, d]),
);
const ctx: RuleContext = { device: (id) => devices.get(id) ?? null, locate, timeZone: 'Asia/Shanghai' };

const config: CellCoverageConfig = {
  id: 'cover-1',
  kind: 'cell-coverage',
  name: 'Patrol all cells',
  enabled: true,
  classRef: 'event:1903',
  shifts: [{ from: '08:00', to: '17:30' }],
  minCoveredPct: 75,
};
function create(cfg: CellCoverageConfig = config): CellCoverageRule {
  const r = rule.create(cfg, new Map());
  if (!(r instanceof CellCoverageRule)) throw new Error('cell-coverage must create a CellCoverageRule');
  return r;
}

describe('coverageReport', () => {
  it('counts assigned cells seen, ignoring others and duplicates', () => {
    const r = coverageReport(['a', 'b', 'c', 'b'], ['b', 'x', 'b']);
    expect(r.assigned).toEqual(['a', 'b', 'c']);
    expect(r.visited).toEqual(['b']);
    expect(r.unvisited).toEqual(['a', 'c']);
    expect(r.pct).toBeCloseTo(100 / 3, 10);
    expect(coverageReport([], ['x']).pct).toBe(100);
  });
});

describe('cell-coverage', () => {
  it('judges the shift when the watermark reaches its local end: 2 of 4 cells → a draft at the last fix', () => {
    const r = create();
    const obs = [
      fix('c1', at('08:10:00'), inCell(1)),
      fix('c1', at('09:00:00'), inCell(2)),
      fix('c1', at('10:00:00'), OUTSIDE_GRID),
      fix('c1', at('11:00:00'), inCell(5)), // a grid cell not assigned to c1
      fix('c1', at('17:00:00'), inCell(2)),
      // c2 visits 3 of 4: exactly 75 %, enough.
      fix('c2', at('08:30:00'), inCell(1)),
      fix('c2', at('09:30:00'), inCell(3)),
      fix('c2', at('10:30:00'), inCell(4)),
    ];
    expect(obs.flatMap((o) => r.onObservation(o, ctx))).toEqual([]);
    expect(r.onTick(at('17:29:59'), ctx)).toEqual([]);
    expect(r.coverage()).toEqual([]);

    const drafts = r.onTick(at('17:30:00'), ctx);
    expect(drafts).toHaveLength(1);
    expect(drafts[0]).toMatchObject({
      ruleId: 'cover-1',
      ruleKind: 'cell-coverage',
      classRef: 'event:1903',
      deviceId: 'c1',
      lon: inCell(2).lon,
      lat: inCell(2).lat,
      cell: CELL(2),
      startMs: at('08:00:00'),
      endMs: at('17:30:00'),
      key: `cover-1:c1:${at('08:00:00')}`,
    });
    expect(drafts[0]!.evidence.measured).toMatchObject({
      coveredPct: 50,
      minCoveredPct: 75,
      visitedCells: [CELL(1), CELL(2)],
      unvisitedCells: [CELL(3), CELL(4)],
    });
    expect(drafts[0]!.description).toContain(`${CELL(3)}、${CELL(4)}`);
    // The track is thinned to one fix a minute and ends at the last fix.
    expect(drafts[0]!.evidence.track?.times.at(-1)).toBe(new Date(at('17:00:00')).toISOString());

    expect(r.coverage()).toEqual([
      {
        deviceId: 'c1',
        shiftStartMs: at('08:00:00'),
        shiftEndMs: at('17:30:00'),
        assigned: [1, 2, 3, 4].map(CELL),
        visited: [CELL(1), CELL(2)],
        unvisited: [CELL(3), CELL(4)],
        pct: 50,
      },
      {
        deviceId: 'c2',
        shiftStartMs: at('08:00:00'),
        shiftEndMs: at('17:30:00'),
        assigned: [1, 2, 3, 4].map(CELL),
        visited: [CELL(1), CELL(3), CELL(4)],
        unvisited: [CELL(2)],
        pct: 75,
      },
    ]);
    // Judged once: later ticks and late fixes of the judged shift change nothing.
    expect(r.onTick(at('17:31:00'), ctx)).toEqual([]);
    expect(r.onObservation(fix('c1', at('17:29:00'), inCell(3)), ctx)).toEqual([]);
    expect(r.onTick(at('18:00:00'), ctx)).toEqual([]);
    expect(r.drainCoverage()).toHaveLength(2);
    expect(r.coverage()).toEqual([]);
  });

  it('through the engine: the first observation at or after the shift end judges the shift', () => {
    const r = create();
    const engine = new RuleEngine({ rules: [r], ctx });
    expect(engine.process([fix('c1', at('09:00:00'), inCell(1)), fix('c2', at('17:29:59'), inCell(1))])).toEqual([]);
    const drafts = engine.process([fix('v1', at('17:30:00'), inCell(1))]);
    expect(drafts.map((d) => [d.deviceId, d.startMs])).toEqual([
      ['c1', at('08:00:00')],
      ['c2', at('08:00:00')],
    ]);
    expect(r.coverage().map((c) => [c.deviceId, c.pct])).toEqual([
      ['c1', 25],
      ['c2', 25],
    ]);
  });

  it('closes a shift on the first fix of the next one even before a tick', () => {
    const r = create();
    r.onObservation(fix('c1', at('09:00:00'), inCell(1)), ctx);
    const drafts = r.onObservation(fix('c1', at('08:30:00', '2026-12-02'), inCell(1)), ctx);
    expect(drafts.map((d) => [d.startMs, d.endMs])).toEqual([[at('08:00:00'), at('17:30:00')]]);
    expect(r.coverage().map((c) => c.pct)).toEqual([25]);
  });

  it('waits graceS after the shift end so late fixes still count', () => {
    const r = create({ ...config, graceS: 300 });
    for (const n of [1, 2]) r.onObservation(fix('c1', at(`0${n + 7}:00:00`), inCell(n)), ctx);
    r.onObservation(fix('c2', at('09:00:00'), inCell(1)), ctx);
    expect(r.onTick(at('17:32:00'), ctx)).toEqual([]);
    r.onObservation(fix('c1', at('17:29:30'), inCell(3)), ctx); // arrives late, still inside the shift
    expect(r.onTick(at('17:34:59'), ctx)).toEqual([]);
    const drafts = r.onTick(at('17:35:00'), ctx);
    // c1: 3 of 4 = 75 %, no draft; c2: 1 of 4 = 25 %.
    expect(drafts.map((d) => d.deviceId)).toEqual(['c2']);
    expect(r.coverage().map((c) => [c.deviceId, c.pct])).toEqual([
      ['c1', 75],
      ['c2', 25],
    ]);
  });

  it('covers a night shift over midnight as one shift', () => {
    const r = create({ ...config, shifts: [{ from: '22:00', to: '06:00' }] });
    r.onObservation(fix('c1', at('23:00:00'), inCell(1)), ctx);
    r.onObservation(fix('c1', at('02:00:00', '2026-12-02'), inCell(3)), ctx);
    expect(r.onTick(at('05:59:59', '2026-12-02'), ctx)).toEqual([]);
    const drafts = r.onTick(at('06:00:00', '2026-12-02'), ctx);
    expect(drafts.map((d) => [d.startMs, d.endMs, d.lon])).toEqual([
      [at('22:00:00'), at('06:00:00', '2026-12-02'), inCell(3).lon],
    ]);
    expect(r.coverage()[0]).toMatchObject({ visited: [CELL(1), CELL(3)], pct: 50 });
  });

  it('keeps no record for fixes off shift, collectors without cells, or other devices', () => {
    const r = create();
    r.onObservation(fix('c1', at('07:00:00'), inCell(1)), ctx);
    r.onObservation(fix('c1', at('18:00:00'), inCell(1)), ctx);
    r.onObservation(fix('c3', at('09:00:00'), inCell(1)), ctx);
    r.onObservation(fix('v1', at('09:00:00'), inCell(1)), ctx);
    expect(r.onTick(at('23:00:00'), ctx)).toEqual([]);
    expect(r.coverage()).toEqual([]);
  });
});

describe('cell-coverage configuration', () => {
  it('accepts the example configuration and rejects an out-of-range one', () => {
    expect(Value.Check(rule.schema, config)).toBe(true);
    expect(Value.Check(rule.schema, { ...config, minCoveredPct: 120 })).toBe(false);
    expect(Value.Check(rule.schema, { ...config, extra: 1 })).toBe(false);
  });
});
