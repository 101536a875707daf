// 规则评估基准 rule evaluation benchmark: positions per second through the rule engine with every vehicle rule kind
// configured — 500 zones (random polygons over the Jinan old town, 116.99–117.06 E × 36.64–36.69 N), 2,000 vehicles —
// against the same engine with no rules (the baseline: observation loop, watermark and ticks only), in one run.
// Like bench-geocode.ts this one runs in-process and imports pure modules (ingest/rules: no database, no network): a
// rule costs microseconds per position, far below what a round trip through the hub could measure.
// `npx tsx loadtests/bench-rules.ts [--positions 1000000] [--vehicles 2000] [--zones 500] [--batch 1000] [--seed 1]
// [--json <file>]` — with --json, the figures also go to that file (the benchmark suite, bench.ts, reads it).
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Observation } from '../ingest/observation.js';
import { RuleEngine } from '../ingest/rules/engine.js';
import { rule as noStopping } from '../ingest/rules/no-stopping.js';
import { rule as offRoute } from '../ingest/rules/off-route.js';
import { rule as overspeed } from '../ingest/rules/overspeed.js';
import { createEngineRules } from '../ingest/rules/registry.js';
import { rule as restrictedZone } from '../ingest/rules/restricted-zone.js';
import { rule as routeCoverage } from '../ingest/rules/route-coverage.js';
import { rule as terminalAlarm } from '../ingest/rules/terminal-alarm.js';
import type { DeviceInfo, RuleContext, RuleModule, Zone } from '../ingest/rules/types.js';

const { values } = parseArgs({
  options: {
    positions: { type: 'string', default: '1000000' },
    vehicles: { type: 'string', default: '2000' },
    zones: { type: 'string', default: '500' },
    batch: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
    json: { type: 'string' },
  },
});
const positions = Number(values.positions);
const vehicleCount = Number(values.vehicles);
const zoneCount = Number(values.zones);
const batchSize = Number(values.batch);
if (!(positions >= 10_000 && vehicleCount >= 10 && zoneCount >= 10 && batchSize >= 1)) {
  throw new Error('--positions ≥ 10000, --vehicles ≥ 10, --zones ≥ 10, --batch ≥ 1');
}

let s = Number(values.seed) >>> 0;
/** mulberry32: deterministic, so two runs measure the same traffic. */
function random(): number {
  s = (s + 0x6d2b79f5) >>> 0;
  let t = s;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const BBOX = { minLon: 116.99, minLat: 36.64, maxLon: 117.06, maxLat: 36.69 };
const M_PER_DEG_LAT = 111_195;
const M_PER_DEG_LON = M_PER_DEG_LAT * Math.cos((36.665 * Math.PI) / 180);
const randomLon = () => BBOX.minLon + (BBOX.maxLon - BBOX.minLon) * random();
const randomLat = () => BBOX.minLat + (BBOX.maxLat - BBOX.minLat) * random();

// Zones: star-shaped polygons of 5–10 vertices, 50–300 m across, the first 30 % no-entry, the next 40 % speed-limited,
// the rest no-stopping; many overlap, as real zones do.
const zones: Zone[] = [];
for (let i = 0; i < zoneCount; i++) {
  const [cLon, cLat] = [randomLon(), randomLat()];
  const n = 5 + Math.floor(random() * 6);
  const ring: number[][] = [];
  for (let k = 0; k < n; k++) {
    const angle = (2 * Math.PI * (k + random() * 0.8)) / n;
    const r = 25 + random() * 125;
    ring.push([cLon + (r * Math.cos(angle)) / M_PER_DEG_LON, cLat + (r * Math.sin(angle)) / M_PER_DEG_LAT]);
  }
  ring.push([...ring[0]!]);
  zones.push({
    id: `z${i}`,
    name: `zone ${i}`,
    geometry: { type: 'Polygon', coordinates: [ring] },
    properties: { speedLimitKmh: [30, 40, 50][i % 3] },
  });
}
const zoneMap = new Map(zones.map((z) => [z.id, z]));
const ids = (from: number, to: number) => zones.slice(from, to).map((z) => z.id);
const [noEntryEnd, speedEnd] = [Math.floor(zoneCount * 0.3), Math.floor(zoneCount * 0.7)];

// Vehicles: 40 % muck trucks, 20 % sweepers, the rest other vehicles.
const devices = new Map<string, DeviceInfo>();
const kindOf = (i: number) => (i % 5 < 2 ? 'muck' : i % 5 === 2 ? 'sweeper' : 'car');
for (let i = 0; i < vehicleCount; i++) {
  const id = `v${i}`;
  devices.set(id, { id, kind: 'vehicle', attributes: { vehicleKind: kindOf(i) }, gridCodes: [] });
}

const randomLine = (vertices: number) => {
  const coordinates: number[][] = [[randomLon(), randomLat()]];
  for (let k = 1; k < vertices; k++) {
    const [lon, lat] = coordinates[k - 1]!;
    coordinates.push([lon! + (random() - 0.5) * 0.01, lat! + (random() - 0.5) * 0.008]);
  }
  return { type: 'LineString' as const, coordinates };
};
const base = (id: string, kind: string) => ({ id, kind, name: id, enabled: true, classRef: 'event:0101' });
const sweepers = [...devices.values()].filter((d) => d.attributes.vehicleKind === 'sweeper');
const configs = [
  {
    ...base('rz', 'restricted-zone'),
    zoneIds: ids(0, noEntryEnd),
    vehicleKinds: ['muck'],
    hours: [{ from: '06:00', to: '22:00' }],
  },
  { ...base('os', 'overspeed'), zoneIds: ids(noEntryEnd, speedEnd) },
  { ...base('ns', 'no-stopping'), zoneIds: ids(speedEnd, zoneCount), maxStopS: 300 },
  {
    ...base('or', 'off-route'),
    // A fleet corridor for the muck trucks, and an own 40-vertex route for every tenth vehicle.
    routes: [
      { vehicleKind: 'muck', line: randomLine(60) },
      ...[...devices.keys()].filter((_, i) => i % 10 === 0).map((deviceId) => ({ deviceId, line: randomLine(40) })),
    ],
  },
  {
    ...base('rc', 'route-coverage'),
    assignments: sweepers.map((d) => ({
      deviceId: d.id,
      // Inside the simulated span (08:00 to ~09:23 for the defaults), so the deadline check runs too.
      deadline: '09:00',
      segments: Array.from({ length: 10 }, (_, k) => ({ id: `s${k}`, line: randomLine(4) })),
    })),
  },
  { ...base('ta', 'terminal-alarm'), alarms: ['sos', 'powerCut'] },
];
const modules = [restrictedZone, overspeed, noStopping, offRoute, routeCoverage, terminalAlarm] as RuleModule[];
const buildStart = performance.now();
const rules = createEngineRules(configs, zoneMap, modules);
const buildMs = performance.now() - buildStart;

// Traffic: every vehicle reports every 10 s, random-walking at 0–60 km/h (some parked), from 08:00 local; one fix in
// 5,000 carries an SOS bit, as JT/T 808 terminals report it.
const NO_ALARMS = { sos: false, powerCut: false };
const SOS = { sos: true, powerCut: false };
const startMs = Date.parse('2026-06-01T08:00:00+08:00');
const state = [...devices.keys()].map((id) => ({ id, lon: randomLon(), lat: randomLat(), heading: random() * 6.283 }));
const observations: Observation[] = new Array(positions);
for (let i = 0; i < positions; i++) {
  const v = state[i % vehicleCount]!;
  const step = Math.floor(i / vehicleCount);
  const parked = (i % vehicleCount) % 7 === 0;
  const speedKmh = parked ? 0 : Math.round(random() * 60);
  const metres = (speedKmh / 3.6) * 10;
  v.heading += (random() - 0.5) * 0.6;
  v.lon = Math.min(BBOX.maxLon, Math.max(BBOX.minLon, v.lon + (metres * Math.cos(v.heading)) / M_PER_DEG_LON));
  v.lat = Math.min(BBOX.maxLat, Math.max(BBOX.minLat, v.lat + (metres * Math.sin(v.heading)) / M_PER_DEG_LAT));
  observations[i] = {
    type: 'position',
    deviceId: v.id,
    timeMs: startMs + step * 10_000 + (i % vehicleCount) * 4,
    lon: v.lon,
    lat: v.lat,
    speedKmh,
    course: null,
    altitudeM: null,
    accuracyM: null,
    source: 'jt808',
    attributes: { alarms: random() < 0.0002 ? SOS : NO_ALARMS },
  };
}

const ctx: RuleContext = {
  device: (id) => devices.get(id) ?? null,
  locate: () => ({ cell: '370102001001001', community: '370102001001', street: '370102001', district: '370102' }),
  timeZone: 'Asia/Shanghai',
};

function run(label: string, engine: RuleEngine, warmRules: () => ReturnType<typeof createEngineRules>) {
  // Warm-up on the first slice with a separate engine and fresh rules, so the JIT settles before the clock runs without
  // leaving state in the measured rules.
  const warm = new RuleEngine({ rules: warmRules(), ctx });
  for (let i = 0; i < 50_000; i += batchSize) warm.process(observations.slice(i, i + batchSize));
  let drafts = 0;
  const t0 = performance.now();
  for (let i = 0; i < positions; i += batchSize) drafts += engine.process(observations.slice(i, i + batchSize)).length;
  const ms = performance.now() - t0;
  const usPerPosition = (ms * 1000) / positions;
  console.log(
    `${label.padEnd(26)} ${positions.toLocaleString('en')} positions in ${(ms / 1000).toFixed(2)} s: ` +
      `${Math.round(positions / (ms / 1000)).toLocaleString('en')} positions/s, ` +
      `${usPerPosition.toFixed(2)} µs/position, ${drafts} drafts`,
  );
  return { usPerPosition, positionsPerS: positions / (ms / 1000), engine };
}

console.log(
  `${zones.length} zones, ${vehicleCount.toLocaleString('en')} vehicles, ${rules.length} rules ` +
    `(${rules.map((r) => r.rule.kind).join(', ')}), built in ${buildMs.toFixed(0)} ms; node ${process.version}`,
);
const baseline = run('baseline (no rules)', new RuleEngine({ rules: [], ctx }), () => []);
const full = run('all vehicle rules', new RuleEngine({ rules, ctx }), () =>
  createEngineRules(configs, zoneMap, modules),
);
for (const st of full.engine.stats()) {
  console.log(
    `  ${st.kind.padEnd(16)} ${(st.totalUs / positions).toFixed(2).padStart(6)} µs/position  ` +
      `${String(st.drafts).padStart(6)} drafts  ${st.errors} errors`,
  );
}
console.log(
  `ratio: rules cost ${(full.usPerPosition / baseline.usPerPosition).toFixed(1)}× the bare engine; ` +
    `${(full.usPerPosition - baseline.usPerPosition).toFixed(2)} µs/position for the rules themselves`,
);
if (values.json) {
  writeFileSync(
    values.json,
    JSON.stringify(
      {
        tool: 'loadtests/bench-rules.ts',
        zones: zones.length,
        vehicles: vehicleCount,
        positions,
        rules: rules.map((r) => r.rule.kind),
        baseline: { usPerPosition: baseline.usPerPosition, positionsPerS: Math.round(baseline.positionsPerS) },
        full: { usPerPosition: full.usPerPosition, positionsPerS: Math.round(full.positionsPerS) },
        perRule: full.engine.stats().map((st) => ({
          kind: st.kind,
          usPerPosition: st.totalUs / positions,
          drafts: st.drafts,
          errors: st.errors,
        })),
      },
      null,
      1,
    ) + '\n',
  );
}
if (full.engine.stats().some((st) => st.errors > 0)) process.exitCode = 1;
