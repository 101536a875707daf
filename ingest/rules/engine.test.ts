import { describe, expect, it } from 'vitest';
import type { Observation } from '../observation.js';
import { RuleEngine, type RuleFailure } from './engine.js';
import type { CandidateDraft, Rule } from './types.js';
import { context, fix } from './vehicle-fixtures.js';

const ctx = context([]);

function draft(ruleId: string, deviceId: string, timeMs: number): CandidateDraft {
  return {
    ruleId,
    ruleKind: 'test',
    classRef: 'event:0101',
    standardId: null,
    deviceId,
    lon: 117,
    lat: 36.6,
    cell: null,
    startMs: timeMs,
    endMs: timeMs,
    confidence: 1,
    description: '',
    evidence: {},
    key: `${ruleId}:${deviceId}:${timeMs}`,
  };
}

/** A rule that records what it saw and fires on every `fireEvery`-th observation of its own count. */
function recorder(id: string, fireEvery = 0) {
  const seen: number[] = [];
  const ticks: number[] = [];
  const rule: Rule = {
    id,
    kind: 'test',
    onObservation(o) {
      seen.push(o.timeMs);
      return fireEvery > 0 && seen.length % fireEvery === 0 ? [draft(id, o.deviceId, o.timeMs)] : [];
    },
    onTick(w) {
      ticks.push(w);
      return [];
    },
  };
  return { rule, seen, ticks };
}

const at = (ms: number, deviceId = 'd1'): Observation => fix(deviceId, ms, 117, 36.6);

describe('RuleEngine', () => {
  it('feeds every rule in order, keeps the watermark as the max time and ticks at most once per stream second', () => {
    const a = recorder('a');
    const e = new RuleEngine({ rules: [a.rule], ctx });
    e.process([at(10_000), at(10_200), at(10_999), at(11_000), at(10_500), at(11_500), at(12_600)]);
    expect(a.seen).toEqual([10_000, 10_200, 10_999, 11_000, 10_500, 11_500, 12_600]);
    // 10 000 (first), 11 000 (≥ 1 s later), 12 600; the late 10 500 does not move time back.
    expect(a.ticks).toEqual([10_000, 11_000, 12_600]);
    expect(e.watermarkMs).toBe(12_600);
    expect(e.tick(13_000)).toEqual([]);
    expect(a.ticks).toEqual([10_000, 11_000, 12_600]);
    e.tick(13_600);
    expect(a.ticks).toEqual([10_000, 11_000, 12_600, 13_600]);
  });

  it('ticks before the observation that moves time on, so a deadline is judged on what came before', () => {
    const order: string[] = [];
    const rule: Rule = {
      id: 'o',
      kind: 'test',
      onObservation: (o) => (order.push(`obs ${o.timeMs}`), []),
      onTick: (w) => (order.push(`tick ${w}`), []),
    };
    new RuleEngine({ rules: [rule], ctx }).process([at(1000), at(1500), at(3000)]);
    expect(order).toEqual(['tick 1000', 'obs 1000', 'obs 1500', 'tick 3000', 'obs 3000']);
  });

  it("does not let the broker's connect/disconnect statuses (hub clock) move stream time; devices' own statuses do", () => {
    const a = recorder('a');
    const e = new RuleEngine({ rules: [a.rule], ctx });
    const status = (timeMs: number, source: 'broker' | 'mqtt'): Observation => ({
      type: 'status',
      deviceId: 'd1',
      timeMs,
      state: 'online',
      batteryPct: null,
      signalDbm: null,
      attributes: {},
      source,
    });
    // A device replaying yesterday connects now: the broker's 'online' is stamped with today's clock.
    e.process([status(90_000_000, 'broker'), at(1_000), at(5_000)]);
    expect(e.watermarkMs).toBe(5_000);
    expect(a.ticks).toEqual([1_000, 5_000]);
    // The rules still see the broker status (a rule may care that a device connected).
    expect(a.seen).toEqual([90_000_000, 1_000, 5_000]);
    e.process([status(7_000, 'mqtt')]);
    expect(e.watermarkMs).toBe(7_000);
  });

  it('returns drafts in firing order and counts observations and drafts per rule; acks are not fed', () => {
    const a = recorder('a', 2);
    const b = recorder('b', 3);
    const e = new RuleEngine({ rules: [a.rule, b.rule], ctx });
    const ack: Observation = {
      type: 'ack',
      deviceId: 'd1',
      commandId: 'c',
      timeMs: 1,
      status: 'ok',
      message: null,
      result: {},
    };
    const drafts = e.process([at(1000), at(2000), at(3000), ack, at(4000)]);
    expect(drafts.map((d) => d.key)).toEqual(['a:d1:2000', 'b:d1:3000', 'a:d1:4000']);
    expect(e.stats().map(({ totalUs, ...s }) => (expect(totalUs).toBeGreaterThanOrEqual(0), s))).toEqual([
      { ruleId: 'a', kind: 'test', observations: 4, drafts: 2, errors: 0 },
      { ruleId: 'b', kind: 'test', observations: 4, drafts: 1, errors: 0 },
    ]);
  });

  it('isolates a throwing rule: counted, reported with rule and device, the others carry on', () => {
    const failures: Array<[unknown, RuleFailure]> = [];
    const bad: Rule = {
      id: 'bad',
      kind: 'broken',
      onObservation(o) {
        if (o.deviceId === 'd2') throw new Error('boom');
        return [];
      },
      onTick() {
        throw new Error('tick boom');
      },
    };
    const good = recorder('good', 1);
    const e = new RuleEngine({ rules: [bad, good.rule], ctx, onError: (err, f) => failures.push([err, f]) });
    const drafts = e.process([at(1000, 'd1'), at(1000, 'd2'), at(1000, 'd3')]);
    expect(drafts.map((d) => d.deviceId)).toEqual(['d1', 'd2', 'd3']);
    expect(failures.map(([err, f]) => [(err as Error).message, f])).toEqual([
      ['tick boom', { ruleId: 'bad', kind: 'broken', deviceId: null }],
      ['boom', { ruleId: 'bad', kind: 'broken', deviceId: 'd2' }],
    ]);
    expect(e.stats()[0]).toMatchObject({ ruleId: 'bad', errors: 2, observations: 3 });
  });

  it('replaceRules keeps a running rule whose id and hash are unchanged, and replaces a changed one', () => {
    const a1 = recorder('a', 2);
    const b1 = recorder('b');
    const e = new RuleEngine({
      rules: [
        { rule: a1.rule, hash: 'h1' },
        { rule: b1.rule, hash: 'x' },
      ],
      ctx,
    });
    e.process([at(1000)]);
    const a2 = recorder('a', 2);
    const c = recorder('c');
    e.replaceRules([
      { rule: a2.rule, hash: 'h1' },
      { rule: c.rule, hash: 'y' },
    ]);
    // a1 kept its state: this is its second observation, so it fires; a2 is never used.
    expect(e.process([at(2000)]).map((d) => d.key)).toEqual(['a:d1:2000']);
    expect(a2.seen).toEqual([]);
    expect(e.ruleIds).toEqual(['a', 'c']);
    expect(e.stats().map((s) => [s.ruleId, s.observations])).toEqual([
      ['a', 2],
      ['c', 1],
    ]);
    const a3 = recorder('a', 2);
    e.replaceRules([{ rule: a3.rule, hash: 'h2' }]);
    expect(e.process([at(3000)])).toEqual([]);
    expect(a3.seen).toEqual([3000]);
    expect(e.stats()).toMatchObject([{ ruleId: 'a', observations: 1 }]);
  });

  it('refuses two rules with one id', () => {
    const a = recorder('a');
    expect(() => new RuleEngine({ rules: [a.rule, recorder('a').rule], ctx })).toThrow(/two rules with the id "a"/);
  });
});
