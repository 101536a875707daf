// 上报幂等 a report resent with the client's report id (a handheld that lost the answer, or queued the report offline)
// becomes exactly one case: over real HTTP against the real database, sequential and concurrent resends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CandidateQueue } from '../cases/candidates.js';
import { createCaseCity, CITY_SPOT, type CaseCity } from '../../test/support/case-city.js';
import { expectProblem, jsonCall, startApp, type TestApp } from '../../test/support/http-app.js';
import { caseRoutes } from './cases.js';

let city: CaseCity;
let server: TestApp;

beforeAll(async () => {
  city = await createCaseCity(Date.now());
  server = await startApp((app) =>
    app.register(caseRoutes, {
      service: city.service,
      candidates: new CandidateQueue(city.db.pool, city.service),
      auth: city.auth,
    }),
  );
});

afterAll(async () => {
  await server?.close();
  await city?.drop();
});

const body = (reportId?: string) => ({
  source: 'collector',
  classCode: 'component:0101',
  ...CITY_SPOT,
  description: '上水井盖缺失',
  ...(reportId === undefined ? {} : { reportId }),
});
const post = (token: string, payload: unknown) => jsonCall(server.base, 'POST', '/api/cases', { token, body: payload });
const casesWith = async (reportId: string) =>
  (
    await city.db.pool.query<{ id: string }>(
      `SELECT case_id::text AS id FROM case_events WHERE action = 'report' AND data ->> 'reportId' = $1`,
      [reportId],
    )
  ).rows.map((r) => r.id);

describe('a report with a client report id', () => {
  it('makes a case the first time (201) and returns the same case on a resend (200)', async () => {
    const reportId = 'c7a1f0d2-3b4e-4c5d-8e9f-0a1b2c3d4e5f';
    const first = await post('col1', body(reportId));
    expect(first.res.status).toBe(201);
    const again = await post('col1', body(reportId));
    expect(again.res.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect(again.body.number).toBe(first.body.number);
    expect(await casesWith(reportId)).toEqual([first.body.id]);
  });

  it('makes one case of many concurrent sends', async () => {
    const reportId = 'offline-queue-0001';
    const answers = await Promise.all(Array.from({ length: 6 }, () => post('col1', body(reportId))));
    expect(answers.map((a) => a.res.status).sort()).toEqual([200, 200, 200, 200, 200, 201]);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(await casesWith(reportId)).toHaveLength(1);
  });

  it('is the reporter’s own: another user with the same id makes another case', async () => {
    const reportId = 'shared-id-0001';
    const mine = await post('col1', body(reportId));
    const theirs = await post('col2', body(reportId));
    expect([mine.res.status, theirs.res.status]).toEqual([201, 201]);
    expect(theirs.body.id).not.toBe(mine.body.id);
  });

  it('keeps reports without an id as they were: each send a new case', async () => {
    const a = await post('col1', body());
    const b = await post('col1', body());
    expect([a.res.status, b.res.status]).toEqual([201, 201]);
    expect(a.body.id).not.toBe(b.body.id);
  });

  it('refuses a malformed id, and a refused report claims nothing', async () => {
    for (const bad of ['short', 'has space in it', 'x'.repeat(101)]) {
      const r = await post('col1', body(bad));
      expectProblem(r.res, r.body, 400, 'urn:cityhub:problem:validation');
    }
    const unknownClass = await post('col1', { ...body('refused-0001'), classCode: 'component:9999' });
    expectProblem(unknownClass.res, unknownClass.body, 400, 'urn:cityhub:problem:validation');
    const { rows } = await city.db.pool.query(`SELECT 1 FROM case_report_ids WHERE report_id = 'refused-0001'`);
    expect(rows).toHaveLength(0);
    expect((await post('col1', body('refused-0001'))).res.status).toBe(201);
  });
});
