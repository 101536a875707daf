// 演示网格生成 the demo grid generator's command line: writes the GeoJSON FeatureCollection (district, streets,
// communities, ~100 m cells) for POST /api/geo/areas. `npx tsx scripts/generate-grid.ts [options] [--out file]`.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEMO_AREA, generateDemoGrid, type DemoGridOptions } from '../hub/geo/demo-grid.js';

const USAGE = `usage: npx tsx scripts/generate-grid.ts [--out grid.geojson] [--bbox minLon,minLat,maxLon,maxLat]
         [--district 370102] [--district-name 历下区] [--cell-m 100] [--street-cells 10] [--community-cells 5]
Defaults: the Jinan old town demo area (hub/geo/data/demo-area.json). Without --out the GeoJSON goes to stdout.`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function positiveInt(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < 1) fail(`--${name} must be a positive whole number, got "${text}"`);
  return Number(text);
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        out: { type: 'string' },
        bbox: { type: 'string' },
        district: { type: 'string' },
        'district-name': { type: 'string' },
        'cell-m': { type: 'string' },
        'street-cells': { type: 'string' },
        'community-cells': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
  } catch (err) {
    return fail((err as Error).message);
  }
})();
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

let bbox = DEMO_AREA.bbox;
if (values.bbox !== undefined) {
  const parts = values.bbox.split(',').map(Number);
  if (parts.length !== 4 || parts.some((n) => !Number.isFinite(n)))
    fail(`--bbox needs 4 numbers, got "${values.bbox}"`);
  const [minLon, minLat, maxLon, maxLat] = parts as [number, number, number, number];
  bbox = { minLon, minLat, maxLon, maxLat };
}
const options: DemoGridOptions = {
  bbox,
  districtCode: values.district ?? DEMO_AREA.districtCode,
  districtName: values['district-name'] ?? (values.district ? values.district : DEMO_AREA.districtName),
  cellSizeM: positiveInt(values['cell-m'], 'cell-m', DEMO_AREA.cellSizeM),
  streetCells: positiveInt(values['street-cells'], 'street-cells', DEMO_AREA.streetCells),
  communityCells: positiveInt(values['community-cells'], 'community-cells', DEMO_AREA.communityCells),
};

let grid;
try {
  grid = generateDemoGrid(options);
} catch (err) {
  fail((err as Error).message);
}
const json = JSON.stringify(grid);
const counts = grid.features.reduce<Record<string, number>>((c, f) => {
  c[f.properties.level] = (c[f.properties.level] ?? 0) + 1;
  return c;
}, {});
if (values.out) {
  writeFileSync(values.out, json + '\n');
  process.stderr.write(`wrote ${values.out}: ${JSON.stringify(counts)}\n`);
} else {
  process.stdout.write(json + '\n');
}
