// 离开责任网格 collector outside its grid: fixes against a hand-made 3×2 grid of 0.01° cells, local Shanghai times.
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import type { Observation } from '../observation.js';
import { rule, type CollectorOutsideGridConfig } from './collector-outside-grid.js';
import { at, CELL, fix, inCell, locate, OUTSIDE_GRID } from './grid-fixtures.js';
import type { DeviceInfo, RuleContext } from './types.js';

function context(devices: DeviceInfo[], timeZone = 'Asia/Shanghai'): RuleContext {
  const byId = new Map(devices.map((d) => [d.id, d]));
  return { device: (id) => byId.get(id) ?? null, locate, timeZone };
}
const collector = (id: string, cells: number[], attributes: Record<string, unknown> = {}): DeviceInfo => ({
  id,
  kind: 'collector',
  attributes,
  gridCodes: cells.map(CELL),
});

const config: CollectorOutsideGridConfig = {
  id: 'outside-1',
  kind: 'collector-outside-grid',
  name: 'Collectors stay in their grid',
  enabled: true,
  classRef: 'event:1901',
  standardId: 7,
  shifts: [{ days: [1, 2, 3, 4, 5], from: '08:00', to: '17:30' }],
  maxOutsideS: 600,
};

function feed(cfg: CollectorOutsideGridConfig, ctx: RuleContext, obs: Observation[]) {
  const r = rule.create(cfg, new Map());
  return obs.flatMap((o) => r.onObservation(o, ctx));
}

describe('collector-outside-grid', () => {
  const ctx = context([collector('c1', [1, 2]), { id: 'v1', kind: 'vehicle', attributes: {}, gridCodes: [CELL(1)] }]);

  it('fires once when outside the assigned cells for longer than maxOutsideS, not at exactly maxOutsideS', () => {
    const drafts = feed(config, ctx, [
      fix('c1', at('09:00:00'), inCell(1)),
      fix('c1', at('09:05:00'), inCell(3)), // a grid cell, but not an assigned one
      fix('c1', at('09:10:00'), OUTSIDE_GRID),
      fix('c1', at('09:15:00'), inCell(3)), // outside exactly 600 s: not yet
      fix('c1', at('09:15:01'), inCell(3)), // 601 s: fires
      fix('c1', at('09:20:00'), OUTSIDE_GRID), // same stay: nothing more
    ]);
    expect(drafts).toHaveLength(1);
    const d = drafts[0]!;
    expect(d).toMatchObject({
      ruleId: 'outside-1',
      ruleKind: 'collector-outside-grid',
      classRef: 'event:1901',
      standardId: 7,
      deviceId: 'c1',
      lon: inCell(3).lon,
      lat: inCell(3).lat,
      cell: CELL(3),
      startMs: at('09:05:00'),
      endMs: at('09:15:01'),
      key: `outside-1:c1:${at('09:05:00')}`,
    });
    expect(d.evidence.measured).toEqual({
      outsideS: 601,
      maxOutsideS: 600,
      assignedCells: [CELL(1), CELL(2)],
      cellsOutside: [CELL(3), 'outside-grid'],
    });
    // The track starts at the last fix inside, so the leaving is visible.
    expect(d.evidence.track?.times).toEqual(
      ['09:00:00', '09:05:00', '09:10:00', '09:15:00', '09:15:01'].map((t) => new Date(at(t)).toISOString()),
    );
    expect(d.evidence.track?.coordinates[0]).toEqual([inCell(1).lon, inCell(1).lat]);
  });

  it('starts a new episode after coming back, with its own key', () => {
    const drafts = feed(config, ctx, [
      fix('c1', at('09:00:00'), OUTSIDE_GRID),
      fix('c1', at('09:10:01'), OUTSIDE_GRID),
      fix('c1', at('09:12:00'), inCell(2)),
      fix('c1', at('09:30:00'), OUTSIDE_GRID),
      fix('c1', at('09:35:00'), OUTSIDE_GRID),
      fix('c1', at('09:40:01'), OUTSIDE_GRID),
    ]);
    expect(drafts.map((d) => [d.startMs, d.endMs, d.cell])).toEqual([
      [at('09:00:00'), at('09:10:01'), null],
      [at('09:30:00'), at('09:40:01'), null],
    ]);
    expect(new Set(drafts.map((d) => d.key)).size).toBe(2);
  });

  it('counts only shift time: leaving at 17:25 and staying out past 17:30 is not a violation', () => {
    expect(
      feed(config, ctx, [
        fix('c1', at('17:25:00'), OUTSIDE_GRID),
        fix('c1', at('17:40:00'), OUTSIDE_GRID),
        fix('c1', at('18:30:00'), OUTSIDE_GRID),
      ]),
    ).toEqual([]);
    // Out since before the shift: the count starts with the first fix in the shift (08:00), so 08:10:00 is not over.
    const drafts = feed(config, ctx, [
      fix('c1', at('07:40:00'), OUTSIDE_GRID),
      fix('c1', at('08:00:00'), OUTSIDE_GRID),
      fix('c1', at('08:10:00'), OUTSIDE_GRID),
      fix('c1', at('08:10:01'), OUTSIDE_GRID),
    ]);
    expect(drafts.map((d) => d.startMs)).toEqual([at('08:00:00')]);
  });

  it('follows a night shift over midnight', () => {
    const night = { ...config, shifts: [{ from: '22:00', to: '06:00' }] };
    const drafts = feed(night, ctx, [
      fix('c1', at('23:50:00'), inCell(2)),
      fix('c1', at('23:55:00'), OUTSIDE_GRID),
      fix('c1', Date.parse('2026-12-02T00:05:00+08:00'), OUTSIDE_GRID),
      fix('c1', Date.parse('2026-12-02T00:05:01+08:00'), OUTSIDE_GRID),
    ]);
    expect(drafts.map((d) => [d.startMs, d.endMs])).toEqual([
      [at('23:55:00'), Date.parse('2026-12-02T00:05:01+08:00')],
    ]);
  });

  it('ignores other device kinds, unknown devices, collectors without cells, other attributes and flagged jumps', () => {
    const ctx2 = context([
      collector('c1', [1], { team: 'A' }),
      collector('c0', []),
      collector('c2', [1], { team: 'B' }),
    ]);
    const teamA = { ...config, deviceAttributes: { team: 'A' } };
    const stay = (id: string) => [fix(id, at('09:00:00'), OUTSIDE_GRID), fix(id, at('09:20:00'), OUTSIDE_GRID)];
    expect(feed(teamA, ctx2, [...stay('v1'), ...stay('nobody'), ...stay('c0'), ...stay('c2')])).toEqual([]);
    expect(feed(teamA, ctx2, stay('c1'))).toHaveLength(1);
    // A jump flagged implausible is not a stay outside.
    expect(
      feed(config, ctx2, [
        fix('c1', at('09:00:00'), OUTSIDE_GRID, ['implausible_jump']),
        fix('c1', at('09:20:00'), OUTSIDE_GRID, ['implausible_jump']),
      ]),
    ).toEqual([]);
  });

  it('ignores a fix older than the newest one of the device', () => {
    const drafts = feed(config, ctx, [
      fix('c1', at('09:00:00'), OUTSIDE_GRID),
      fix('c1', at('09:08:00'), OUTSIDE_GRID),
      fix('c1', at('09:05:00'), inCell(1)), // late, must not end the stay
      fix('c1', at('09:10:01'), OUTSIDE_GRID),
    ]);
    expect(drafts.map((d) => d.startMs)).toEqual([at('09:00:00')]);
  });

  it('checks shift times beyond the schema', () => {
    expect(rule.check!({ ...config, shifts: [{ from: '24:00', to: '06:00' }] }, new Map())).toHaveLength(1);
    expect(rule.check!(config, new Map())).toEqual([]);
  });
});

describe('collector-outside-grid configuration', () => {
  it('accepts the example configuration and rejects an out-of-range one', () => {
    expect(Value.Check(rule.schema, config)).toBe(true);
    expect(Value.Check(rule.schema, { ...config, maxOutsideS: 0 })).toBe(false);
    expect(Value.Check(rule.schema, { ...config, extra: 1 })).toBe(false);
  });
});
