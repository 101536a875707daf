// 巡查覆盖记录 the collectors' patrol coverage, from the live cell-coverage rule to the database: a collector patrols
// part of its cells in a shift, the rule judges the shift, the hub's sink drains the record and stores it once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cst, startRulesWorld, track, type RulesWorld } from '../../test/support/rules-world.js';
import { CoverageSink } from './coverage-store.js';

let w: RulesWorld;
let cells: string[] = [];
const centre = new Map<string, { lon: number; lat: number }>();

beforeAll(async () => {
  w = await startRulesWorld();
  const { rows } = await w.db.pool.query<{
    code: string;
    min_lon: number;
    min_lat: number;
    max_lon: number;
    max_lat: number;
  }>(`SELECT code, min_lon, min_lat, max_lon, max_lat FROM areas WHERE level = 'cell' ORDER BY code LIMIT 4`);
  cells = rows.map((r) => r.code);
  for (const r of rows) centre.set(r.code, { lon: (r.min_lon + r.max_lon) / 2, lat: (r.min_lat + r.max_lat) / 2 });
  w.devices.set('hh-1', { id: 'hh-1', kind: 'collector', attributes: {}, gridCodes: cells });
  await w.detection.store.putRule(
    'patrol',
    {
      id: 'patrol',
      kind: 'cell-coverage',
      name: '网格巡查覆盖',
      enabled: true,
      classRef: 'event:0120',
      shifts: [{ from: '08:30', to: '12:00' }],
      minCoveredPct: 80,
    },
    'admin',
  );
  await w.detection.load();
});

afterAll(async () => {
  await w?.close();
});

describe('patrol coverage records', () => {
  it('are drained from the rule and stored once per rule, collector and shift', async () => {
    const sink = new CoverageSink(w.db.pool, () => w.detection.drainCoverage());
    expect(await sink.flush()).toBe(0);
    // Three of the four cells in the morning shift; the afternoon fix closes the shift.
    w.detection.process(
      track('hh-1', [
        ['2026-11-30T09:00:00', centre.get(cells[0]!)!],
        ['2026-11-30T09:30:00', centre.get(cells[1]!)!],
        ['2026-11-30T10:00:00', centre.get(cells[2]!)!],
        ['2026-11-30T13:00:00', centre.get(cells[2]!)!],
      ]),
    );
    await w.detection.drain();
    expect(await sink.flush()).toBe(1);
    expect(await sink.flush()).toBe(0);
    const { rows } = await w.db.pool.query(
      'SELECT rule_id, device_id, shift_start, shift_end, assigned, visited, pct FROM collector_coverage',
    );
    expect(rows).toEqual([
      {
        rule_id: 'patrol',
        device_id: 'hh-1',
        shift_start: new Date(cst('2026-11-30T08:30:00')),
        shift_end: new Date(cst('2026-11-30T12:00:00')),
        assigned: cells,
        visited: cells.slice(0, 3),
        pct: 75,
      },
    ]);
  });

  it('keeps records it could not store for the next flush', async () => {
    let handed = [
      {
        ruleId: 'patrol',
        record: {
          deviceId: 'hh-1',
          shiftStartMs: cst('2026-12-01T08:30:00'),
          shiftEndMs: cst('2026-12-01T08:00:00'), // ends before it starts: the table refuses it
          assigned: cells,
          visited: [],
          unvisited: cells,
          pct: 0,
        },
      },
    ];
    const sink = new CoverageSink(w.db.pool, () => {
      const out = handed;
      handed = [];
      return out;
    });
    await expect(sink.flush()).rejects.toThrow(/check constraint/);
    await expect(sink.flush()).rejects.toThrow(/check constraint/);
  });
});
