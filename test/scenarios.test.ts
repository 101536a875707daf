// The scenario runner end to end (自动发现验证): every scenario of devices/scenarios — fleets, collectors, sensors and
// JT/T 808 terminals with injected violations of known ground truth — played against one real hub process (the built
// dist/hub/main.js on a fresh test database) over MQTT, JT/T 808 and HTTP. Each injected violation must give exactly one
// candidate of its rule kind and class at its place, and the clean traffic around it none.
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPlan, type ScenarioPlan } from '../devices/scenarios/core.js';
import { SCENARIOS } from '../devices/scenarios/index.js';
import { runScenario, scheduleStarts, type HubEndpoints } from '../devices/scenarios/runner.js';
import { classRefOf, formatScore, scoreRun, type FoundCandidate } from '../devices/scenarios/score.js';
import { generateDemoGrid } from '../hub/geo/demo-grid.js';
import { CellIndex } from '../hub/geo/geocoder.js';
import type { Observation } from '../ingest/observation.js';
import { RuleEngine } from '../ingest/rules/engine.js';
import { createRules, validateRuleConfig } from '../ingest/rules/registry.js';
import type { CandidateDraft, DeviceInfo, Zone } from '../ingest/rules/types.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { spawnHub, waitHealthy, type HubProcess } from './support/hub-process.js';
import { freePort } from './support/wait.js';

const ADMIN_TOKEN = 'scenario-admin-token-0123456789';
const TIME_ZONE = 'Asia/Shanghai';

/** What each scenario injects, counted by hand from its description: rule kind → violations. */
const INJECTED: Record<string, Record<string, number>> = {
  'restricted-zone': { 'restricted-zone': 2 },
  overspeed: { overspeed: 2 },
  'no-stopping': { 'no-stopping': 2 },
  'off-route': { 'off-route': 2 },
  'route-coverage': { 'route-coverage': 2 },
  'terminal-alarm': { 'terminal-alarm': 3 },
  'collector-outside-grid': { 'collector-outside-grid': 1 },
  'collector-idle': { 'collector-idle': 1 },
  'cell-coverage': { 'cell-coverage': 1 },
  'sensor-threshold': { 'sensor-threshold': 3 },
  'sensor-silent': { 'sensor-silent': 1 },
  mixed: { 'restricted-zone': 3, overspeed: 3, 'no-stopping': 3, 'off-route': 3, 'terminal-alarm': 3 },
};

let db: TestDatabase;
let hub: HubProcess;
let endpoints: HubEndpoints;
let dataDir: string;
// Back to back in simulated time, so stream time only moves forward from one scenario to the next.
const starts = scheduleStarts(SCENARIOS, Date.now(), TIME_ZONE);

beforeAll(async () => {
  db = await createTestDatabase();
  const [httpPort, mqttPort, jt808Port] = [await freePort(), await freePort(), await freePort()];
  dataDir = `/tmp/cityhub-scenarios-${httpPort}`;
  hub = spawnHub({
    DATABASE_URL: db.url,
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: String(httpPort),
    MQTT_HOST: '127.0.0.1',
    MQTT_PORT: String(mqttPort),
    JT808_PORT: String(jt808Port),
    ADMIN_TOKEN,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
  });
  await waitHealthy(httpPort, hub, 120_000);
  endpoints = {
    httpUrl: `http://127.0.0.1:${httpPort}`,
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    adminToken: ADMIN_TOKEN,
    jt808: { host: '127.0.0.1', port: jt808Port },
  };
}, 180_000);

afterAll(async () => {
  expect(await hub?.stop()).toBe(0);
  await db?.drop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/**
 * The plan's devices fed straight to the rule modules, in the runner's lockstep order (60 s of simulated time per step,
 * device after device), with the demo grid for cells: what the rules themselves make of the scenario, without the hub.
 */
function draftsInProcess(plan: ScenarioPlan): CandidateDraft[] {
  const cells = new CellIndex(
    generateDemoGrid()
      .features.filter((f) => f.properties.level === 'cell')
      .map((f) => ({ code: f.properties.code, geometry: f.geometry })),
  );
  const zones = new Map<string, Zone>(
    plan.zones.map((z) => [
      z.properties.id,
      { id: z.properties.id, name: z.properties.name, geometry: z.geometry, properties: z.properties },
    ]),
  );
  for (const r of plan.rules) expect(validateRuleConfig(r, zones).errors, r.id).toEqual([]);
  const devices = new Map<string, DeviceInfo>(
    plan.devices.map((d) => [
      d.id,
      {
        id: d.id,
        kind: d.kind,
        attributes: d.attributes,
        gridCodes: [...new Set((d.assignCellsAt ?? []).map((p) => cells.locateCell(p[0], p[1])!))],
      },
    ]),
  );
  const engine = new RuleEngine({
    rules: createRules(plan.rules, zones),
    ctx: {
      device: (id) => devices.get(id) ?? null,
      locate: (lon, lat) => {
        const cell = cells.locateCell(lon, lat);
        return cell
          ? { cell, community: cell.slice(0, 12), street: cell.slice(0, 9), district: cell.slice(0, 6) }
          : null;
      },
      timeZone: TIME_ZONE,
    },
  });
  const observations: Observation[] = [];
  for (const d of plan.devices) {
    for (const f of d.fixes) {
      const attributes = f.alarms ? { alarms: f.alarms } : {};
      observations.push({
        type: 'position',
        deviceId: d.id,
        timeMs: f.timeMs,
        lat: f.lat,
        lon: f.lon,
        speedKmh: f.speedKmh,
        course: f.course,
        altitudeM: null,
        accuracyM: null,
        source: 'mqtt',
        attributes,
      });
    }
    for (const r of d.readings) {
      observations.push({
        type: 'telemetry',
        deviceId: d.id,
        timeMs: r.timeMs,
        metrics: r.metrics,
        attributes: {},
        source: 'mqtt',
      });
    }
  }
  const step = (o: Observation) => Math.floor((o.timeMs - plan.startMs) / 60_000);
  observations.sort((a, b) => step(a) - step(b) || a.deviceId.localeCompare(b.deviceId) || a.timeMs - b.timeMs);
  return engine.process(observations);
}

describe('scenario ground truth against the rule modules, in process', () => {
  for (const scenario of SCENARIOS) {
    it(`${scenario.name}: the rules find exactly the injected violations, at places the hub will not merge`, () => {
      const plan = scenario.build({ runId: 'x', startMs: starts[0]!, timeZone: TIME_ZONE });
      expect(checkPlan(plan)).toEqual([]);
      const drafts = draftsInProcess(plan);
      const found: FoundCandidate[] = drafts.map((d, i) => ({
        id: String(i),
        ruleId: d.ruleId,
        ruleKind: d.ruleKind,
        classKind: null,
        classCode: d.classRef,
        lon: d.lon,
        lat: d.lat,
        startAt: new Date(d.startMs).toISOString(),
        endAt: new Date(d.endMs).toISOString(),
        deviceId: d.deviceId,
      }));
      const score = scoreRun(plan.violations, found);
      expect(score.passed, formatScore(scenario.name, score)).toBe(true);
      // Deduplication merges the same class within 50 m: injected problems must be farther apart than that.
      for (const [i, a] of drafts.entries()) {
        for (const b of drafts.slice(i + 1)) {
          if (a.classRef !== b.classRef) continue;
          const m = Math.hypot((a.lon - b.lon) * 89_959, (a.lat - b.lat) * 111_195);
          expect(m, `${a.deviceId} and ${b.deviceId}`).toBeGreaterThan(100);
        }
      }
    });
  }
});

describe('detection scenarios against the real hub', () => {
  it('ships one scenario per rule kind, and the mixed fleet', () => {
    expect(SCENARIOS.map((s) => s.name).sort()).toEqual(Object.keys(INJECTED).sort());
  });

  for (const [i, scenario] of SCENARIOS.entries()) {
    it(`${scenario.name}: one candidate per injected violation, of its class at its place; none from clean traffic`, async () => {
      const result = await runScenario(scenario, {
        hub: endpoints,
        startMs: starts[i]!,
        timeZone: TIME_ZONE,
        settleTimeoutMs: 20_000,
      });
      const report = `${formatScore(scenario.name, result.score)}\nhub output:\n${hub.output().slice(-2000)}`;
      expect(result.rejections, report).toEqual([]);
      // Everything the hub raised for this run, by kind, against the hand count of what was injected.
      const raised: Record<string, number> = {};
      for (const c of result.candidates) raised[c.ruleKind ?? '?'] = (raised[c.ruleKind ?? '?'] ?? 0) + 1;
      expect(raised, report).toEqual(INJECTED[scenario.name]);
      for (const m of result.score.matches) {
        expect(m.candidate, `missed: ${m.violation.note}\n${report}`).not.toBeNull();
        expect(classRefOf(m.candidate!)).toBe(m.violation.classRef);
        expect(m.candidate!.ruleKind).toBe(m.violation.ruleKind);
        expect(m.distanceM!).toBeLessThanOrEqual(100);
      }
      expect(result.score.unmatched, report).toEqual([]);
      expect(result.passed).toBe(true);
    }, 90_000);
  }
});
