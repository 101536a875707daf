// 自动发现规则接口 the rules API over real HTTP against the real database: zones replaced whole and checked per feature,
// rule configurations validated (unknown zone, bad hours, a situation of another class → 422 listing the problems),
// roles, hot reload of the running engine, replays, and per-rule outcome counts after acceptance and dismissal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseRoutes } from './cases.js';
import { ruleRoutes } from './rules.js';
import { writeObservations } from '../storage/observations.js';
import {
  expectProblem,
  fixedTokenAuthenticator,
  jsonCall,
  startApp,
  type CallOptions,
  type Json,
  type TestApp,
} from '../../test/support/http-app.js';
import {
  ACCEPTOR,
  ADMIN,
  cst,
  muckRule,
  P1,
  P1_NORTH_200M,
  P1_NORTH_20M,
  startRulesWorld,
  stay,
  ZONE,
  zonesCollection,
  type RulesWorld,
} from '../../test/support/rules-world.js';

let w: RulesWorld;
let server: TestApp;

const auth = fixedTokenAuthenticator({
  admin: ADMIN,
  acc: ACCEPTOR,
  boss: { userId: 'boss', name: 'leader', roles: ['leader'], departmentId: null },
  col: { userId: 'col', name: 'collector', roles: ['collector'], departmentId: null },
});

beforeAll(async () => {
  w = await startRulesWorld();
  server = await startApp(async (app) => {
    await app.register(ruleRoutes, { service: w.detection, auth });
    await app.register(caseRoutes, { service: w.cases, candidates: w.candidates, auth });
  });
});

afterAll(async () => {
  await server?.close();
  await w?.close();
});

const call = (token: string | null, method: string, path: string, opts: CallOptions = {}) =>
  jsonCall(server.base, method, path, { ...opts, token });

const square = (id: string, name: string, lon: number, lat: number, sizeDeg = 0.0005) => ({
  type: 'Feature',
  properties: { id, name, speedLimitKmh: 30 },
  geometry: {
    type: 'Polygon',
    coordinates: [
      [
        [lon, lat],
        [lon + sizeDeg, lat],
        [lon + sizeDeg, lat + sizeDeg],
        [lon, lat + sizeDeg],
        [lon, lat],
      ],
    ],
  },
});

describe('zones', () => {
  it('are replaced as a set and read back as GeoJSON with their properties', async () => {
    const put = await call('admin', 'PUT', '/api/rules/zones', {
      body: zonesCollection([square('school', '学校周边', 117.001, 36.652)]),
    });
    expect(put.res.status).toBe(200);
    const { res, body } = await call('boss', 'GET', '/api/rules/zones');
    expect(res.status).toBe(200);
    expect(body.features.map((f: Json) => f.properties.id)).toEqual(['old-town', 'school']);
    expect(body.features[1].properties).toEqual({ id: 'school', name: '学校周边', speedLimitKmh: 30 });
    expect(body.features[0].geometry).toEqual({ type: 'Polygon', coordinates: [ZONE.ring] });
  });

  it('a bad feature refuses the whole set, naming each problem by feature', async () => {
    const open = square('open', 'unclosed', 117.001, 36.652);
    open.geometry.coordinates[0]!.pop();
    const { res, body } = await call('admin', 'PUT', '/api/rules/zones', {
      body: {
        type: 'FeatureCollection',
        features: [
          square('a', 'A', 117.001, 36.652),
          { type: 'Feature', properties: { id: 'b' }, geometry: square('b', 'B', 117.002, 36.652).geometry },
          square('a', 'again', 117.003, 36.652),
          open,
          {
            type: 'Feature',
            properties: { id: 'pt', name: 'point' },
            geometry: { type: 'Point', coordinates: [117, 36] },
          },
        ],
      },
    });
    expectProblem(res, body, 422, 'urn:cityhub:problem:invalid-zones');
    const byFeature = body.errors.map((e: Json) => [e.feature, e.message]);
    expect(byFeature.map((e: Json) => e[0])).toEqual([1, 2, 3, 4]);
    expect(byFeature[0][1]).toMatch(/properties\.name/);
    expect(byFeature[1][1]).toMatch(/"a" is also feature 0/);
    expect(byFeature[2][1]).toMatch(/^geometry: /);
    expect(byFeature[3][1]).toMatch(/Polygon or MultiPolygon/);
    // Nothing was stored: the previous set is still there.
    const { body: zones } = await call('admin', 'GET', '/api/rules/zones');
    expect(zones.features.map((f: Json) => f.properties.id)).toEqual(['old-town', 'school']);
  });

  it('is for admins to change', async () => {
    const none = await call(null, 'PUT', '/api/rules/zones', { body: zonesCollection() });
    expectProblem(none.res, none.body, 401);
    const acc = await call('acc', 'PUT', '/api/rules/zones', { body: zonesCollection() });
    expectProblem(acc.res, acc.body, 403);
    const col = await call('col', 'GET', '/api/rules/zones');
    expectProblem(col.res, col.body, 403);
  });
});

describe('rules', () => {
  it('lists the kinds with their Chinese names and schemas', async () => {
    const { res, body } = await call('admin', 'GET', '/api/rules/kinds');
    expect(res.status).toBe(200);
    const restricted = body.items.find((k: Json) => k.kind === 'restricted-zone');
    expect(restricted.nameZh).toBe('禁入区域');
    expect(Object.keys(restricted.schema.properties)).toEqual(
      expect.arrayContaining(['id', 'kind', 'classRef', 'zoneIds', 'vehicleKinds', 'hours']),
    );
    expect(body.items.length).toBeGreaterThanOrEqual(11);
  });

  it('refuses a configuration naming an unknown zone, bad hours, or a situation of another class (422)', async () => {
    const unknownZone = await call('admin', 'PUT', '/api/rules/muck-no-entry', {
      body: muckRule({ zoneIds: ['old-town', 'atlantis'] }),
    });
    expectProblem(unknownZone.res, unknownZone.body, 422, 'urn:cityhub:problem:invalid-rule');
    expect(unknownZone.body.errors).toEqual([{ ruleId: 'muck-no-entry', message: 'zoneIds: unknown zone "atlantis"' }]);

    const badHours = await call('admin', 'PUT', '/api/rules/muck-no-entry', {
      body: muckRule({ hours: [{ from: '25:00', to: '06:00' }] }),
    });
    expectProblem(badHours.res, badHours.body, 422, 'urn:cityhub:problem:invalid-rule');
    expect(badHours.body.errors.map((e: Json) => e.message).join(' ')).toMatch(/hours\.0\.from/);

    const otherClass = await call('admin', 'PUT', '/api/rules/muck-no-entry', {
      body: muckRule({ standardId: w.otherStandardId }),
    });
    expectProblem(otherClass.res, otherClass.body, 422);
    expect(otherClass.body.errors[0].message).toBe(
      `standardId: situation ${w.otherStandardId} is not one of class event:0120; choose one of ${w.standardId}`,
    );

    const unknownKind = await call('admin', 'PUT', '/api/rules/x', {
      body: { ...muckRule({ id: 'x' }), kind: 'teleport' },
    });
    expectProblem(unknownKind.res, unknownKind.body, 422);
    expect(unknownKind.body.errors[0].message).toMatch(/^kind: "teleport" is not a rule kind; one of restricted-zone/);

    const otherId = await call('admin', 'PUT', '/api/rules/muck-no-entry', {
      body: muckRule({ id: 'something-else' }),
    });
    expectProblem(otherId.res, otherId.body, 422);

    const { body: list } = await call('admin', 'GET', '/api/rules');
    expect(list.items).toEqual([]);
  });

  it('creates (201), replaces (200), lists, deletes (204) and is for admins to change', async () => {
    const forbidden = await call('boss', 'PUT', '/api/rules/muck-no-entry', { body: muckRule() });
    expectProblem(forbidden.res, forbidden.body, 403);

    const { id: _id, ...withoutId } = muckRule({ standardId: w.standardId });
    const created = await call('admin', 'PUT', '/api/rules/muck-no-entry', { body: withoutId });
    expect(created.res.status).toBe(201);
    expect(created.body).toMatchObject({
      id: 'muck-no-entry',
      kind: 'restricted-zone',
      enabled: true,
      updatedBy: 'admin-token',
    });
    expect(created.body.config.id).toBe('muck-no-entry');
    expect(w.detection.stats().rules).toBe(1);

    const replaced = await call('admin', 'PUT', '/api/rules/muck-no-entry', {
      body: muckRule({ standardId: w.standardId, name: '渣土车禁入（白天）', hours: [{ from: '06:00', to: '22:00' }] }),
    });
    expect(replaced.res.status).toBe(200);
    expect(replaced.body.name).toBe('渣土车禁入（白天）');

    const one = await call('boss', 'GET', '/api/rules/muck-no-entry');
    expect(one.body.config.hours).toEqual([{ from: '06:00', to: '22:00' }]);

    const tmp = await call('admin', 'PUT', '/api/rules/tmp', { body: muckRule({ id: 'tmp', enabled: false }) });
    expect(tmp.res.status).toBe(201);
    expect(w.detection.stats().rules).toBe(1); // disabled: stored, not running
    const { body: list } = await call('admin', 'GET', '/api/rules');
    expect(list.items.map((r: Json) => [r.id, r.enabled])).toEqual([
      ['muck-no-entry', true],
      ['tmp', false],
    ]);
    const del = await call('admin', 'DELETE', '/api/rules/tmp');
    expect(del.res.status).toBe(204);
    const again = await call('admin', 'DELETE', '/api/rules/tmp');
    expectProblem(again.res, again.body, 404, 'urn:cityhub:problem:rule-not-found');
  });

  it('refuses a zone set that would leave a rule without its zone', async () => {
    const { res, body } = await call('admin', 'PUT', '/api/rules/zones', {
      body: { type: 'FeatureCollection', features: [square('school', '学校周边', 117.001, 36.652)] },
    });
    expectProblem(res, body, 422, 'urn:cityhub:problem:invalid-zones');
    expect(body.errors).toEqual([
      { ruleId: 'muck-no-entry', message: 'rule muck-no-entry: zoneIds: unknown zone "old-town"' },
    ]);
  });

  it('a change hot-reloads the engine: the running rule sees the new hours at once', async () => {
    // The stored rule closes the zone 06:00–22:00 local; a stay at 23:00 raises nothing ...
    await w.detection.store.putRule(
      'muck-no-entry',
      muckRule({ standardId: w.standardId, hours: [{ from: '06:00', to: '22:00' }] }),
      'x',
    );
    await w.detection.load();
    w.detection.process(stay('muck1', '23:00:00', P1));
    await w.detection.drain();
    expect((await call('acc', 'GET', '/api/candidates?status=pending')).body.total).toBe(0);
    // ... until an admin closes it at night too; the next stay is raised.
    const put = await call('admin', 'PUT', '/api/rules/muck-no-entry', {
      body: muckRule({ standardId: w.standardId, hours: [{ from: '22:00', to: '23:59' }] }),
    });
    expect(put.res.status).toBe(200);
    w.detection.process(stay('muck2', '23:20:00', P1_NORTH_200M));
    await w.detection.drain();
    const { body } = await call('acc', 'GET', '/api/candidates?status=pending');
    expect(body.items.map((c: Json) => [c.ruleId, c.evidenceItems[0].deviceId])).toEqual([['muck-no-entry', 'muck2']]);
    await w.db.pool.query('TRUNCATE candidate_keys, case_evidence, case_candidates');
  });
});

describe('outcomes per rule and acceptance', () => {
  it('counts raised, merged, accepted, dismissed by reason and pending; accepting takes the rule’s situation', async () => {
    await w.detection.store.putRule('muck-no-entry', muckRule({ standardId: w.standardId }), 'x');
    await w.detection.load();
    // Four stays: the first two 20 m apart (one candidate, merged), two more 200 m apart and in another place.
    w.detection.process([
      ...stay('muck1', '10:01:00', P1),
      ...stay('muck2', '10:05:00', P1_NORTH_20M),
      ...stay('muck3', '10:09:00', P1_NORTH_200M),
      ...stay('muck4', '10:13:00', { lon: 117.0032, lat: 36.6526 }),
    ]);
    await w.detection.drain();
    const { body: queue } = await call('acc', 'GET', '/api/candidates?status=pending');
    expect(queue.total).toBe(3);
    const byDevice = new Map<string, Json>(queue.items.map((c: Json) => [c.evidenceItems[0].deviceId, c]));
    const merged = byDevice.get('muck1');
    expect(merged).toMatchObject({
      mergedCount: 2,
      ruleId: 'muck-no-entry',
      ruleKind: 'restricted-zone',
      classKind: 'event',
    });
    expect(merged.startAt).toBe(new Date(cst('2026-11-30T10:01:00')).toISOString());
    expect(merged.endAt).toBe(new Date(cst('2026-11-30T10:06:00')).toISOString());

    const accepted = await call('acc', 'POST', `/api/candidates/${merged.id}/accept`, { body: {} });
    expect(accepted.res.status).toBe(200);
    expect(accepted.body.case).toMatchObject({
      state: 'accepted',
      source: 'detector',
      standardId: w.standardId,
      limit: { value: 2, unit: 'urgentHours' },
    });
    for (const device of ['muck3', 'muck4']) {
      const d = await call('acc', 'POST', `/api/candidates/${byDevice.get(device).id}/dismiss`, {
        body: { reason: 'licensed night transport' },
      });
      expect(d.res.status).toBe(200);
    }
    // One more, pending.
    w.detection.process(stay('muck1', '12:00:00', { lon: 117.0008, lat: 36.6532 }));
    await w.detection.drain();

    const { res, body } = await call('boss', 'GET', '/api/rules/stats');
    expect(res.status).toBe(200);
    expect(body.rules).toEqual([
      {
        ruleId: 'muck-no-entry',
        kind: 'restricted-zone',
        name: '渣土车禁入老城区',
        raised: 4,
        merged: 1,
        attached: 0,
        accepted: 1,
        dismissed: 2,
        pending: 1,
        dismissalReasons: { 'licensed night transport': 2 },
        precision: 1 / 3,
      },
    ]);
    expect(body.live.rules).toBe(1);
    expect(body.live.perRule.map((r: Json) => r.ruleId)).toEqual(['muck-no-entry']);
    expect(body.live.perRule[0].drafts).toBeGreaterThanOrEqual(5);
  });

  it('a stay near the accepted (open) case becomes its evidence, counted as attached', async () => {
    w.detection.process(stay('muck2', '14:00:00', P1));
    await w.detection.drain();
    const { body } = await call('boss', 'GET', '/api/rules/stats');
    expect(body.rules[0]).toMatchObject({ raised: 4, attached: 1 });
  });
});

describe('replay over HTTP', () => {
  it('returns what the rules would have raised and stores nothing', async () => {
    await writeObservations(w.db.pool, stay('muck3', '16:00:00', P1_NORTH_200M));
    const { res, body } = await call('admin', 'POST', '/api/rules/replay', {
      body: { from: '2026-11-30T15:00:00+08:00', to: '2026-11-30T17:00:00+08:00' },
    });
    expect(res.status).toBe(200);
    expect(body.observations).toBe(5);
    expect(body.drafts.map((d: Json) => [d.deviceId, d.startMs, d.endMs])).toEqual([
      ['muck3', cst('2026-11-30T16:00:00'), cst('2026-11-30T16:01:00')],
    ]);
    const { body: stats } = await call('boss', 'GET', '/api/rules/stats');
    expect(stats.rules[0].raised).toBe(4);

    const tooLong = await call('admin', 'POST', '/api/rules/replay', {
      body: { from: '2026-10-01T00:00:00+08:00', to: '2026-11-30T00:00:00+08:00' },
    });
    expectProblem(tooLong.res, tooLong.body, 422);
    const unknown = await call('admin', 'POST', '/api/rules/replay', {
      body: { from: '2026-11-30T15:00:00+08:00', to: '2026-11-30T17:00:00+08:00', ruleIds: ['nope'] },
    });
    expectProblem(unknown.res, unknown.body, 404, 'urn:cityhub:problem:rule-not-found');
    const forbidden = await call('boss', 'POST', '/api/rules/replay', {
      body: { from: '2026-11-30T15:00:00+08:00', to: '2026-11-30T17:00:00+08:00' },
    });
    expectProblem(forbidden.res, forbidden.body, 403);
  });
});

it('documents every rules route in the OpenAPI document', async () => {
  const { body } = await jsonCall(server.base, 'GET', '/openapi.json');
  const paths = Object.keys(body.paths);
  for (const p of [
    '/api/rules/kinds',
    '/api/rules/zones',
    '/api/rules',
    '/api/rules/stats',
    '/api/rules/replay',
    '/api/rules/{id}',
  ]) {
    expect(paths).toContain(p);
  }
});
