// 地理编码基准 geocoder micro-benchmark: point → unit grid cell lookups per second over the demo grid (3,213 cells of
// ~100 m), the flatbush index + exact point-in-polygon against a brute-force scan of every cell, in one run.
// Unlike the other load tests this one runs in-process and imports the pure grid modules (hub/geo/geometry, geocoder
// and demo-grid, no database): a lookup costs microseconds, far below what an HTTP round trip could measure.
// `npx tsx loadtests/bench-geocode.ts [--points 1000000] [--scan-points 20000] [--seed 1]`
import { parseArgs } from 'node:util';
import { generateDemoGrid, DEMO_AREA } from '../hub/geo/demo-grid.js';
import { CellIndex } from '../hub/geo/geocoder.js';

const { values } = parseArgs({
  options: {
    points: { type: 'string', default: '1000000' },
    'scan-points': { type: 'string', default: '20000' },
    seed: { type: 'string', default: '1' },
  },
});
const points = Number(values.points);
const scanPoints = Number(values['scan-points']);
if (!(points >= 1000 && scanPoints >= 100)) throw new Error('--points ≥ 1000 and --scan-points ≥ 100');

// Deterministic points (mulberry32) over the demo bbox widened by ~10 % each side, so some fall outside the grid.
function randomPoints(n: number, seed: number): Float64Array {
  let s = seed >>> 0;
  const random = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const { minLon, minLat, maxLon, maxLat } = DEMO_AREA.bbox;
  const [w, h] = [maxLon - minLon, maxLat - minLat];
  const out = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    out[2 * i] = minLon - 0.1 * w + 1.2 * w * random();
    out[2 * i + 1] = minLat - 0.1 * h + 1.2 * h * random();
  }
  return out;
}

function run(label: string, coords: Float64Array, lookup: (lon: number, lat: number) => string | null) {
  const n = coords.length / 2;
  // Warm-up: let the JIT optimise the path before the clock runs.
  for (let i = 0; i < Math.min(n, 20_000); i++) lookup(coords[2 * i]!, coords[2 * i + 1]!);
  let found = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) if (lookup(coords[2 * i]!, coords[2 * i + 1]!) !== null) found++;
  const ns = Number(process.hrtime.bigint() - start);
  const nsPerLookup = ns / n;
  console.log(
    `${label.padEnd(28)} ${n.toLocaleString('en').padStart(10)} lookups  ` +
      `${Math.round(1e9 / nsPerLookup)
        .toLocaleString('en')
        .padStart(12)} lookups/s  ` +
      `${nsPerLookup.toFixed(0).padStart(8)} ns/lookup  (${((100 * found) / n).toFixed(1)} % inside the grid)`,
  );
  return nsPerLookup;
}

const grid = generateDemoGrid();
const cells = grid.features
  .filter((f) => f.properties.level === 'cell')
  .map((f) => ({ code: f.properties.code, geometry: f.geometry }));
const buildStart = process.hrtime.bigint();
const index = new CellIndex(cells);
const buildMs = Number(process.hrtime.bigint() - buildStart) / 1e6;
console.log(`demo grid: ${index.size} cells; index built in ${buildMs.toFixed(1)} ms; node ${process.version}`);

const seed = Number(values.seed);
const indexed = run('flatbush + point-in-polygon', randomPoints(points, seed), (lon, lat) =>
  index.locateCell(lon, lat),
);
const scanCoords = randomPoints(scanPoints, seed + 1);
const scanned = run('linear scan (baseline)', scanCoords, (lon, lat) => index.locateCellByScan(lon, lat));

// Same answers on the scan's points, so the speed is not bought with wrong cells.
let disagreements = 0;
for (let i = 0; i < scanPoints; i++) {
  const [lon, lat] = [scanCoords[2 * i]!, scanCoords[2 * i + 1]!];
  if (index.locateCell(lon, lat) !== index.locateCellByScan(lon, lat)) disagreements++;
}
console.log(
  `ratio: the index is ${(scanned / indexed).toFixed(0)}× faster than the scan; disagreements: ${disagreements}`,
);
if (disagreements > 0) process.exitCode = 1;
