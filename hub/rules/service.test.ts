// 自动发现 the detection service against the real database: live processing raises deduplicated candidates (merged
// within 50 m, separate at 200 m, attached to an open case as evidence), the same key twice changes nothing, a reload
// keeps the state of unchanged rules and resets changed ones, a replay over stored data finds what live processing
// found and stores nothing, and a failing rule or device never reaches the ingest path.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Observation } from '../../ingest/observation.js';
import { writeObservations } from '../storage/observations.js';
import { DetectionService } from './service.js';
import {
  ACCEPTOR,
  ADMIN,
  CLASS_REF,
  cst,
  muckRule,
  OUTSIDE_ZONE,
  P1,
  P1_NORTH_200M,
  P1_NORTH_20M,
  P2,
  startRulesWorld,
  stay,
  track,
  zonesCollection,
  type RulesWorld,
} from '../../test/support/rules-world.js';

let w: RulesWorld;

beforeAll(async () => {
  w = await startRulesWorld();
  await w.detection.store.replaceZones(zonesCollection());
});

afterAll(async () => {
  await w?.close();
});

async function reset(): Promise<void> {
  const { pool } = w.db;
  await pool.query('TRUNCATE candidate_keys, case_evidence, case_candidates');
  // The audit log is append-only, so cases stay; voided, they are no longer open to attach to.
  await pool.query(`UPDATE cases SET state = 'voided'`);
  await pool.query('TRUNCATE positions, telemetry, device_events');
  await pool.query('DELETE FROM detection_rules');
  await w.detection.load();
}

type Counters = Omit<ReturnType<RulesWorld['detection']['stats']>, 'perRule'>;

/** How the live counters moved since `before`. */
function counted(before: Counters): Counters {
  const { perRule: _perRule, ...now } = w.detection.stats();
  return Object.fromEntries(
    Object.entries(now).map(([k, v]) => [k, v - before[k as keyof Counters]]),
  ) as unknown as Counters;
}

async function candidates() {
  const { rows } = await w.db.pool.query(
    `SELECT id::text, rule_id, class_code, class_kind, lon, lat, cell_code, start_at, end_at, merged_count,
            evidence_items, status, standard_id FROM case_candidates ORDER BY id`,
  );
  return rows;
}

describe('live processing raises deduplicated candidates', () => {
  beforeEach(async () => {
    await reset();
    await w.detection.store.putRule('muck-no-entry', muckRule({ standardId: w.standardId }), 'admin');
    await w.detection.load();
  });

  it('two trucks 20 m apart → one candidate counting both, its span covering both stays', async () => {
    const before = w.detection.stats();
    // muck1 in at 10:01:00, 60 s dwell reached at 10:02:00; muck2 in at 10:05:00, fires at 10:06:00.
    w.detection.process([...stay('muck1', '10:01:00', P1), ...stay('muck2', '10:05:00', P1_NORTH_20M)]);
    await w.detection.drain();
    const rows = await candidates();
    expect(rows).toHaveLength(1);
    const c = rows[0];
    expect(c.rule_id).toBe('muck-no-entry');
    expect(c.class_code).toBe(CLASS_REF);
    expect(c.class_kind).toBe('event');
    expect(c.standard_id).toBe(w.standardId);
    expect(c.merged_count).toBe(2);
    expect(c.start_at.getTime()).toBe(cst('2026-11-30T10:01:00'));
    expect(c.end_at.getTime()).toBe(cst('2026-11-30T10:06:00'));
    expect(c.evidence_items.map((e: { deviceId: string }) => e.deviceId)).toEqual(['muck1', 'muck2']);
    expect(c.evidence_items[0].evidence.track.type).toBe('LineString');
    // The first stay is where the candidate is.
    expect([c.lon, c.lat]).toEqual([P1.lon, P1.lat]);
    expect(c.cell_code).toMatch(/^[0-9]{15}$/);
    // Different cells: the 50 m radius merged them, not the cell.
    const cells = c.evidence_items.map((e: { cellCode: string }) => e.cellCode);
    expect(cells[0]).not.toBe(cells[1]);
    expect(counted(before)).toMatchObject({ drafts: 2, created: 1, merged: 1, attached: 0, raiseFailures: 0 });
  });

  it('two trucks 200 m apart → two candidates', async () => {
    w.detection.process([...stay('muck1', '10:01:00', P1), ...stay('muck2', '10:05:00', P1_NORTH_200M)]);
    await w.detection.drain();
    const rows = await candidates();
    expect(rows.map((r) => [r.lat, r.merged_count])).toEqual([
      [P1.lat, 1],
      [P1_NORTH_200M.lat, 1],
    ]);
  });

  it('a bus in the zone raises nothing (the rule is about muck trucks)', async () => {
    w.detection.process(stay('bus1', '10:01:00', P1));
    await w.detection.drain();
    expect(await candidates()).toHaveLength(0);
  });

  it('near an open case of the same class → evidence on the case, no candidate', async () => {
    const before = w.detection.stats();
    const report = await w.cases.report(
      { source: 'hotline', classCode: CLASS_REF, lon: P2.lon, lat: P2.lat },
      ACCEPTOR,
    );
    // muck4 stays 20 m north of the case's point; muck1 107 m west of it makes a candidate of its own.
    w.detection.process([
      ...stay('muck4', '10:01:00', { lon: P2.lon, lat: P2.lat + 0.00018 }),
      ...stay('muck1', '10:01:00', P1),
    ]);
    await w.detection.drain();
    const rows = await candidates();
    expect(rows.map((r) => r.lon)).toEqual([P1.lon]);
    const { rows: evidence } = await w.db.pool.query(
      `SELECT case_id::text AS "caseId", rule_id AS "ruleId", draft_key AS key, draft, at FROM case_evidence`,
    );
    expect(evidence).toHaveLength(1);
    expect(evidence[0]).toMatchObject({ caseId: report.id, ruleId: 'muck-no-entry' });
    expect(evidence[0].draft.deviceId).toBe('muck4');
    expect(evidence[0].at.getTime()).toBe(cst('2026-11-30T10:02:00'));
    // The audit log of the case is untouched: only its report.
    const history = await w.cases.history(report.id, ADMIN);
    expect(history.events.map((e) => e.action)).toEqual(['report']);
    expect(counted(before)).toMatchObject({ created: 1, attached: 1 });
  });

  it('the same observations processed twice raise nothing new (same keys)', async () => {
    const batch = stay('muck1', '10:01:00', P1);
    const before = w.detection.stats();
    w.detection.process(batch);
    await w.detection.drain();
    const first = await candidates();
    // A fresh engine (as after a restart) sees the same stay again: same draft key.
    await w.detection.store.putRule('muck-no-entry', muckRule({ standardId: w.standardId, name: 'renamed' }), 'admin');
    await w.detection.load();
    w.detection.process(batch);
    await w.detection.drain();
    const second = await candidates();
    expect(second).toHaveLength(1);
    expect(second[0].merged_count).toBe(first[0].merged_count);
    expect(counted(before)).toMatchObject({ drafts: 2, created: 1, repeated: 1 });
  });
});

describe('the candidate queue on its own', () => {
  beforeEach(reset);

  const base = {
    detectorId: 'r1',
    classCode: CLASS_REF,
    observedAt: new Date(cst('2026-11-30T10:00:00')),
    cellCode: null,
  };

  it('merges only within the window: a draft a day and more later is a new candidate', async () => {
    const merge = { radiusM: 50, windowS: 3600 };
    await w.candidates.raise({ ...base, clientKey: 'a', ...P1 }, merge);
    const later = new Date(cst('2026-11-30T11:30:00'));
    const r = await w.candidates.raise({ ...base, clientKey: 'b', ...P1, observedAt: later }, merge);
    expect(r.outcome).toBe('created');
    const within = new Date(cst('2026-11-30T10:59:00'));
    const m = await w.candidates.raise({ ...base, clientKey: 'c', ...P1_NORTH_20M, observedAt: within }, merge);
    expect(m.outcome).toBe('merged');
  });

  it('merges in the same grid cell even beyond the radius', async () => {
    // 60 m apart (0.00054° of latitude = 60.0 m), beyond the 50 m radius; the cell codes decide.
    const a = { lon: 117.00205, lat: 36.65102 };
    const b = { lon: 117.00205, lat: 36.65156 };
    const r1 = await w.candidates.raise({ ...base, clientKey: 'a', ...a, cellCode: '370102000000001' }, {});
    const r2 = await w.candidates.raise({ ...base, clientKey: 'b', ...b, cellCode: '370102000000001' }, {});
    const r3 = await w.candidates.raise({ ...base, clientKey: 'c', ...b, cellCode: '370102000000002' }, {});
    expect([r1.outcome, r2.outcome, r3.outcome]).toEqual(['created', 'merged', 'created']);
  });

  it('the same key twice → repeated, pointing at where it went', async () => {
    const r1 = await w.candidates.raise({ ...base, clientKey: 'k', ...P1 }, {});
    const r2 = await w.candidates.raise({ ...base, clientKey: 'k', ...P1_NORTH_200M }, {});
    expect(r2.outcome).toBe('repeated');
    expect(r2.candidate?.id).toBe(r1.candidate?.id);
    expect((await candidates())[0].merged_count).toBe(1);
  });

  it('a different class at the same place is a different candidate', async () => {
    await w.candidates.raise({ ...base, clientKey: 'a', ...P1 }, {});
    const r = await w.candidates.raise({ ...base, clientKey: 'b', ...P1, classCode: 'component:0101' }, {});
    expect(r.outcome).toBe('created');
  });

  it('a decided candidate is not merged into', async () => {
    const r1 = await w.candidates.raise({ ...base, clientKey: 'a', ...P1 }, {});
    await w.candidates.dismissCandidate(r1.candidate!.id, ACCEPTOR, 'false alarm');
    const r2 = await w.candidates.raise({ ...base, clientKey: 'b', ...P1 }, {});
    expect(r2.outcome).toBe('created');
  });

  it('accepting a candidate with a situation accepts the case under it (its time limit)', async () => {
    const { candidate } = await w.candidates.raise({ ...base, clientKey: 'a', ...P1, standardId: w.standardId }, {});
    const accepted = await w.candidates.acceptCandidate(candidate!.id, ACCEPTOR);
    expect(accepted.candidate.status).toBe('accepted');
    expect(accepted.case.state).toBe('accepted');
    expect(accepted.case.source).toBe('detector');
    expect(accepted.case.standardId).toBe(w.standardId);
    expect(accepted.case.limit).toEqual({ value: 2, unit: 'urgentHours' });
  });

  it('a situation of another class leaves the case reported for the acceptor to choose', async () => {
    const { candidate } = await w.candidates.raise(
      { ...base, clientKey: 'a', ...P1, standardId: w.otherStandardId },
      {},
    );
    const accepted = await w.candidates.acceptCandidate(candidate!.id, ACCEPTOR);
    expect(accepted.case.state).toBe('reported');
    expect(accepted.case.standardId).toBeNull();
  });
});

describe('hot reload', () => {
  beforeEach(reset);

  it('keeps the state of unchanged rules and resets changed ones', async () => {
    await w.detection.store.putRule('muck-no-entry', muckRule(), 'admin');
    await w.detection.store.putRule('muck-2', muckRule({ id: 'muck-2', classRef: 'component:0101' }), 'admin');
    await w.detection.load();
    const kept = w.detection.liveRule('muck-no-entry');
    // muck1 enters at 10:01:00 (both rules start an episode) ...
    w.detection.process(
      track('muck1', [
        ['2026-11-30T10:00:00', OUTSIDE_ZONE],
        ['2026-11-30T10:01:00', P1],
      ]),
    );
    // ... muck-2 is edited (its episode is forgotten), muck-no-entry is not ...
    await w.detection.store.putRule(
      'muck-2',
      muckRule({ id: 'muck-2', classRef: 'component:0101', minDwellS: 30 }),
      'a',
    );
    await w.detection.load();
    expect(w.detection.liveRule('muck-no-entry')).toBe(kept);
    // ... so at 10:02:00 only muck-no-entry has seen 60 s inside; muck-2 starts counting at 10:02:00.
    w.detection.process(track('muck1', [['2026-11-30T10:02:00', P1]]));
    await w.detection.drain();
    expect((await candidates()).map((c) => [c.rule_id, c.start_at.getTime()])).toEqual([
      ['muck-no-entry', cst('2026-11-30T10:01:00')],
    ]);
    w.detection.process(track('muck1', [['2026-11-30T10:02:30', P1]]));
    await w.detection.drain();
    expect((await candidates()).map((c) => [c.rule_id, c.start_at.getTime()])).toEqual([
      ['muck-no-entry', cst('2026-11-30T10:01:00')],
      ['muck-2', cst('2026-11-30T10:02:00')],
    ]);
  });

  it('a disabled rule stops, a deleted rule is gone', async () => {
    await w.detection.store.putRule('muck-no-entry', muckRule({ enabled: false }), 'admin');
    await w.detection.load();
    expect(w.detection.stats().rules).toBe(0);
    w.detection.process(stay('muck1', '10:01:00', P1));
    await w.detection.drain();
    expect(await candidates()).toHaveLength(0);
  });
});

describe('replay', () => {
  beforeEach(reset);

  it('finds over stored positions the drafts live processing found, and stores nothing', async () => {
    await w.detection.store.putRule('muck-no-entry', muckRule(), 'admin');
    await w.detection.load();
    // Interleaved as they would arrive: two batches, devices mixed.
    const batch1 = [...stay('muck1', '10:01:00', P1), ...stay('muck3', '10:03:00', P1_NORTH_200M)].sort(
      (a, b) => a.timeMs - b.timeMs,
    );
    const batch2 = [...stay('muck2', '10:20:00', P2), ...stay('bus1', '10:20:00', P1)].sort(
      (a, b) => a.timeMs - b.timeMs,
    );
    for (const batch of [batch1, batch2]) {
      await writeObservations(w.db.pool, batch);
      w.detection.process(batch);
    }
    await w.detection.drain();
    const { rows: liveKeys } = await w.db.pool.query<{ key: string }>(
      `SELECT client_key AS key FROM candidate_keys ORDER BY client_key`,
    );
    expect(liveKeys).toHaveLength(3);
    const before = await candidates();

    const replay = await w.detection.replay({ fromMs: cst('2026-11-30T09:00:00'), toMs: cst('2026-11-30T11:00:00') });
    expect(replay.drafts.map((d) => d.key).sort()).toEqual(liveKeys.map((k) => k.key));
    expect(replay.drafts.map((d) => [d.deviceId, d.startMs])).toEqual([
      ['muck1', cst('2026-11-30T10:01:00')],
      ['muck3', cst('2026-11-30T10:03:00')],
      ['muck2', cst('2026-11-30T10:20:00')],
    ]);
    expect(replay.observations).toBe(20);
    expect(await candidates()).toEqual(before);
  });

  it('tries an unsaved configuration over the same data', async () => {
    await writeObservations(w.db.pool, stay('muck1', '10:01:00', P1));
    // Three fixes inside, a minute apart: 120 s at most, so a 150 s dwell never fires; 100 s fires at 10:03:00.
    const long = await w.detection.replay({
      fromMs: cst('2026-11-30T10:00:00'),
      toMs: cst('2026-11-30T10:10:00'),
      rules: [muckRule({ minDwellS: 150 })],
    });
    expect(long.drafts).toHaveLength(0);
    const short = await w.detection.replay({
      fromMs: cst('2026-11-30T10:00:00'),
      toMs: cst('2026-11-30T10:10:00'),
      rules: [muckRule({ minDwellS: 100 })],
    });
    expect(short.drafts.map((d) => d.endMs)).toEqual([cst('2026-11-30T10:03:00')]);
    await expect(
      w.detection.replay({ fromMs: 0, toMs: 1, rules: [muckRule({ zoneIds: ['nowhere'] })] }),
    ).rejects.toMatchObject({ code: 'InvalidRule' });
    expect(await candidates()).toHaveLength(0);
  });
});

describe('rules about absence', () => {
  beforeEach(reset);

  it('a silent sensor fires on a tick live, and a replay of its stored telemetry finds the same draft', async () => {
    const raised: string[] = [];
    const detection = new DetectionService({
      pool: w.db.pool,
      candidates: w.candidates,
      deviceInfo: (id) => w.devices.get(id) ?? null,
      locate: () => null,
      timeZone: 'Asia/Shanghai',
      log: { info: () => undefined, warn: () => undefined, error: () => undefined } as never,
      onRaised: (result, draft) => raised.push(`${result.outcome}:${draft.deviceId}`),
    });
    w.devices.set('bin1', { id: 'bin1', kind: 'sensor', attributes: { lon: P2.lon, lat: P2.lat }, gridCodes: [] });
    try {
      await detection.store.putRule(
        'bin-silent',
        {
          id: 'bin-silent',
          kind: 'sensor-silent',
          name: '垃圾桶传感器失联',
          enabled: true,
          classRef: 'component:0101',
          maxSilenceS: 600,
        },
        'admin',
      );
      await detection.load();
      const readings: Observation[] = [
        {
          type: 'status',
          deviceId: 'bin1',
          timeMs: cst('2026-11-30T09:59:00'),
          state: 'online',
          batteryPct: 80,
          signalDbm: null,
          attributes: {},
          source: 'mqtt',
        },
        {
          type: 'telemetry',
          deviceId: 'bin1',
          timeMs: cst('2026-11-30T10:00:00'),
          metrics: { fillPct: 40, tempC: 3 },
          attributes: {},
          source: 'mqtt',
        },
      ];
      await writeObservations(w.db.pool, readings);
      detection.process(readings);
      // 10 minutes of silence is allowed; at 10:10:00 it is exactly 600 s, at 10:10:01 more.
      detection.tick(cst('2026-11-30T10:10:00'));
      await detection.drain();
      expect(raised).toEqual([]);
      detection.tick(cst('2026-11-30T10:10:01'));
      await detection.drain();
      expect(raised).toEqual(['created:bin1']);
      const [c] = await candidates();
      expect(c.rule_id).toBe('bin-silent');
      expect([c.lon, c.lat]).toEqual([P2.lon, P2.lat]);
      expect(c.start_at.getTime()).toBe(cst('2026-11-30T10:00:00'));

      const replay = await detection.replay({ fromMs: cst('2026-11-30T09:00:00'), toMs: cst('2026-11-30T10:30:00') });
      // The two metrics stored as two rows are one telemetry message again.
      expect(replay.observations).toBe(2);
      expect(replay.drafts.map((d) => d.key)).toEqual([`bin-silent:bin1:${cst('2026-11-30T10:00:00')}`]);
      expect((await candidates())[0].evidence_items[0].key).toBe(replay.drafts[0]!.key);
    } finally {
      w.devices.delete('bin1');
    }
  });
});

describe('never throws into the ingest path', () => {
  beforeEach(reset);

  it('a rule failing on one device is logged with rule and device; others carry on', async () => {
    await w.detection.store.putRule('muck-no-entry', muckRule(), 'admin');
    await w.detection.load();
    w.devices.set('broken', {
      id: 'broken',
      kind: 'vehicle',
      get attributes(): Record<string, unknown> {
        throw new Error('registry entry unreadable');
      },
      gridCodes: [],
    });
    try {
      expect(() =>
        w.detection.process([...stay('broken', '10:01:00', P1), ...stay('muck1', '10:01:00', P1)]),
      ).not.toThrow();
      await w.detection.drain();
    } finally {
      w.devices.delete('broken');
    }
    expect(await candidates()).toHaveLength(1);
    const failure = w.logged.find((l) => l.obj.deviceId === 'broken');
    expect(failure?.obj).toMatchObject({ ruleId: 'muck-no-entry', deviceId: 'broken' });
    expect(w.detection.stats().ruleErrors).toBeGreaterThanOrEqual(1);
  });

  it('a draft the queue refuses is logged and counted', async () => {
    // A class code the database refuses at raise time cannot come from a validated rule; simulate a broken store.
    const before = w.detection.stats();
    const raise = w.candidates.raise.bind(w.candidates);
    w.candidates.raise = async () => {
      throw new Error('database gone');
    };
    try {
      await w.detection.store.putRule('muck-no-entry', muckRule(), 'admin');
      await w.detection.load();
      w.detection.process(stay('muck1', '10:01:00', P1));
      await w.detection.drain();
    } finally {
      w.candidates.raise = raise;
    }
    expect(counted(before).raiseFailures).toBe(1);
    expect(w.logged.some((l) => l.obj.ruleId === 'muck-no-entry' && l.obj.deviceId === 'muck1')).toBe(true);
  });
});
