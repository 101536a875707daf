// 连接池 report intake under a burst on a small pool, against the real database: more reports at once than the pool
// has connections — collector reports stored from MQTT taken up by several scans at once, and detector candidates
// accepted at once — must all become cases. A transaction that holds a connection while it waits for another (the
// catalogue class looked up through the pool) would starve the pool here and hang until the test's own timeout.
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatalogueStore } from '../catalogue/catalogue.js';
import { ResponsibilityRules } from '../catalogue/responsibility.js';
import { survivesLostConnections } from '../db/pool.js';
import { GridGeocoder } from '../geo/geocoder.js';
import { writeObservations } from '../storage/observations.js';
import { createCaseCity, CITY_SPOT, type CaseCity } from '../../test/support/case-city.js';
import { DEFAULT_SETTINGS, WorkingCalendar } from './calendar.js';
import { CandidateQueue } from './candidates.js';
import { CaseService } from './case-service.js';
import { ReportIntake } from './report-intake.js';

const BURST = 10;
/** Fewer connections than concurrent reports. */
const POOL_MAX = 2;
const cst = (iso: string) => Date.parse(`${iso}+08:00`);

let city: CaseCity;
let pool: pg.Pool;
let service: CaseService;

beforeAll(async () => {
  city = await createCaseCity(cst('2026-12-01T09:00:00'));
  pool = new pg.Pool({ connectionString: city.db.url, max: POOL_MAX });
  survivesLostConnections(pool, () => undefined);
  const geocoder = new GridGeocoder(pool);
  await geocoder.reload();
  const responsibility = new ResponsibilityRules(pool);
  await responsibility.reload();
  service = new CaseService({
    pool,
    catalogue: new CatalogueStore(pool),
    geocoder,
    responsibility,
    calendar: new WorkingCalendar({ settings: DEFAULT_SETTINGS, days: [] }),
    now: () => city.clock.nowMs,
  });
});

afterAll(async () => {
  await pool?.end();
  await city?.drop();
});

describe(`a burst of ${BURST} reports on a pool of ${POOL_MAX} connections`, () => {
  it('turns collector reports from MQTT into one case each, with several scans at once', async () => {
    const at = city.clock.nowMs;
    const reports = Array.from({ length: BURST }, (_, i) => ({
      type: 'report' as const,
      deviceId: 'hh-burst',
      reportId: `burst-${i}`,
      timeMs: at - 60_000 + i,
      lat: CITY_SPOT.lat,
      lon: CITY_SPOT.lon + i * 0.00001,
      categoryCode: '010101',
      description: `井盖破损 ${i}`,
      address: null,
      photoIds: [],
      source: 'mqtt' as const,
    }));
    // And one the catalogue cannot take: refused with its reason, like before.
    reports.push({ ...reports[0]!, reportId: 'burst-unknown', categoryCode: '9999' });
    await writeObservations(city.db.pool, reports);

    const log = pino({ level: 'silent' });
    const scans = Array.from({ length: BURST }, () => new ReportIntake(pool, service, log).runOnce());
    const results = await Promise.all(scans);
    expect(results.reduce((n, r) => n + r.created, 0)).toBe(BURST);

    const { rows } = await city.db.pool.query<{ report_id: string; case_id: string | null; error: string | null }>(
      `SELECT report_id, case_id::text AS case_id, error FROM collector_report_cases WHERE device_id = 'hh-burst'
        ORDER BY report_id`,
    );
    expect(rows).toHaveLength(BURST + 1);
    const made = rows.filter((r) => r.case_id !== null);
    expect(made).toHaveLength(BURST);
    expect(new Set(made.map((r) => r.case_id)).size).toBe(BURST);
    expect(rows.find((r) => r.report_id === 'burst-unknown')).toMatchObject({ case_id: null });
    expect(rows.find((r) => r.report_id === 'burst-unknown')!.error).toMatch(/9999/);
    const cases = await city.db.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM case_events WHERE action = 'report' AND data ->> 'deviceId' = 'hh-burst'`,
    );
    expect(Number(cases.rows[0]!.n)).toBe(BURST);
  }, 30_000);

  it('accepts detector candidates at once, each a case accepted under the rule’s situation', async () => {
    const raising = new CandidateQueue(city.db.pool, city.service);
    const ids: string[] = [];
    for (let i = 0; i < BURST; i++) {
      const { candidate } = await raising.raiseCandidate({
        detectorId: 'rule-burst',
        clientKey: `burst-${i}`,
        classCode: 'component:0101',
        lon: CITY_SPOT.lon + i * 0.0001,
        lat: CITY_SPOT.lat,
        observedAt: new Date(city.clock.nowMs - 60_000),
        description: `井盖缺失 ${i}`,
        standardId: city.standardId,
      });
      ids.push(candidate.id);
    }

    const queue = new CandidateQueue(pool, service);
    const accepted = await Promise.all(ids.map((id) => queue.acceptCandidate(id, city.actors.acc!)));
    expect(accepted.map((a) => a.candidate.status)).toEqual(ids.map(() => 'accepted'));
    expect(new Set(accepted.map((a) => a.case.id)).size).toBe(BURST);
    for (const a of accepted) {
      expect(a.case).toMatchObject({ state: 'accepted', source: 'detector', classCode: '0101' });
      expect(a.candidate.caseId).toBe(a.case.id);
    }
  }, 30_000);
});
