// 演示网格 the demo unit grid: ~100 m × 100 m cells (万米单元网格) over the demo area, grouped into rectangular communities
// and streets, coded by the guideline's rule (district + street + community + cell, numbered west→east, north→south).
import type pg from 'pg';
import demoArea from './data/demo-area.json' with { type: 'json' };
import { AreaStore, type AreaImportReport } from './areas.js';
import { codeProblem, type AreaLevel } from './codes.js';
import { METRES_PER_DEGREE, type BBox, type PolygonGeometry } from './geometry.js';

export interface DemoGridOptions {
  /** The area to cover; the grid starts at its north-west corner and covers all of it (so it may reach a little past). */
  bbox: BBox;
  districtCode: string;
  districtName: string;
  cellSizeM: number;
  /** A street is a block of streetCells × streetCells cells (10 → ~1 km²). */
  streetCells: number;
  /** A community is a block of communityCells × communityCells cells inside its street (5 → ~0.25 km²). */
  communityCells: number;
}

/** The Jinan old town demo area, from hub/geo/data/demo-area.json (see its source and uncertainty notes). */
export const DEMO_AREA: DemoGridOptions = {
  bbox: demoArea.bbox,
  districtCode: demoArea.districtCode,
  districtName: demoArea.districtName,
  cellSizeM: demoArea.cellSizeM,
  streetCells: demoArea.streetCells,
  communityCells: demoArea.communityCells,
};

export interface AreaFeature {
  type: 'Feature';
  properties: { code: string; level: AreaLevel; name: string };
  geometry: PolygonGeometry;
}
export interface AreaFeatureCollection {
  type: 'FeatureCollection';
  features: AreaFeature[];
}

/** A half-open range of rows or columns, [start, end). */
type Span = readonly [start: number, end: number];

/**
 * Cuts `n` rows (or columns) into blocks of `size`. A remainder of at least half a block becomes a block of its own;
 * a smaller one joins the last block, so the edge of the area has no sliver streets or communities.
 */
export function splitBlocks(n: number, size: number): Span[] {
  const spans: Span[] = [];
  for (let start = 0; start + size <= n; start += size) spans.push([start, start + size]);
  const covered = spans.length * size;
  if (covered < n) {
    if (spans.length > 0 && (n - covered) * 2 < size) spans[spans.length - 1] = [covered - size, n];
    else spans.push([covered, n]);
  }
  return spans;
}

const seq = (n: number) => String(n).padStart(3, '0');
// 7 decimals is ~1 cm; rounding each edge once (from its index) keeps neighbours' shared edges bit-identical.
const round7 = (x: number) => Math.round(x * 1e7) / 1e7;

/** The demo grid as one FeatureCollection: the district, its streets, communities and cells (parents first). */
export function generateDemoGrid(options: DemoGridOptions = DEMO_AREA): AreaFeatureCollection {
  const { bbox, districtCode, cellSizeM, streetCells, communityCells } = options;
  if (codeProblem(districtCode) || districtCode.length !== 6) {
    throw new RangeError(`districtCode must be a 6-digit county-level code, got "${districtCode}"`);
  }
  if (!(cellSizeM > 0) || !(streetCells >= 1) || !(communityCells >= 1) || communityCells > streetCells) {
    throw new RangeError('cellSizeM must be > 0 and 1 ≤ communityCells ≤ streetCells');
  }
  if (!(bbox.minLon < bbox.maxLon && bbox.minLat < bbox.maxLat)) throw new RangeError('bbox must have min < max');
  // Metres → degrees at the area's middle latitude: over a few km of latitude the cells' width varies by < 0.1 %.
  const midLatRad = (((bbox.minLat + bbox.maxLat) / 2) * Math.PI) / 180;
  const dLat = cellSizeM / METRES_PER_DEGREE;
  const dLon = dLat / Math.cos(midLatRad);
  // The tolerance (a millionth of a cell, 0.1 mm) keeps an exact multiple, given to a few decimals, from growing a
  // row of near-zero-width cells.
  const cols = Math.ceil((bbox.maxLon - bbox.minLon) / dLon - 1e-6);
  const rows = Math.ceil((bbox.maxLat - bbox.minLat) / dLat - 1e-6);
  const lonAt = (col: number) => round7(bbox.minLon + col * dLon);
  const latAt = (row: number) => round7(bbox.maxLat - row * dLat);
  // Rows count from the north edge down, columns from the west edge east: the numbering order of the guideline.
  const rect = (rowSpan: Span, colSpan: Span): PolygonGeometry => {
    const [w, e] = [lonAt(colSpan[0]), lonAt(colSpan[1])];
    const [n, s] = [latAt(rowSpan[0]), latAt(rowSpan[1])];
    return {
      type: 'Polygon',
      coordinates: [
        [
          [w, s],
          [e, s],
          [e, n],
          [w, n],
          [w, s],
        ],
      ],
    };
  };

  const features: AreaFeature[] = [
    {
      type: 'Feature',
      properties: { code: districtCode, level: 'district', name: options.districtName },
      geometry: rect([0, rows], [0, cols]),
    },
  ];
  const communities: AreaFeature[] = [];
  const cells: AreaFeature[] = [];
  const streetRows = splitBlocks(rows, streetCells);
  const streetCols = splitBlocks(cols, streetCells);
  if (streetRows.length * streetCols.length > 999) throw new RangeError('more than 999 streets: use larger streets');
  let streetNo = 0;
  for (const sRows of streetRows) {
    for (const sCols of streetCols) {
      streetNo++;
      const streetCode = districtCode + seq(streetNo);
      features.push({
        type: 'Feature',
        properties: { code: streetCode, level: 'street', name: `演示街道${streetNo}` },
        geometry: rect(sRows, sCols),
      });
      let communityNo = 0;
      for (const cRowsLocal of splitBlocks(sRows[1] - sRows[0], communityCells)) {
        for (const cColsLocal of splitBlocks(sCols[1] - sCols[0], communityCells)) {
          communityNo++;
          const cRows: Span = [sRows[0] + cRowsLocal[0], sRows[0] + cRowsLocal[1]];
          const cCols: Span = [sCols[0] + cColsLocal[0], sCols[0] + cColsLocal[1]];
          const communityCode = streetCode + seq(communityNo);
          communities.push({
            type: 'Feature',
            properties: { code: communityCode, level: 'community', name: `演示社区${streetNo}-${communityNo}` },
            geometry: rect(cRows, cCols),
          });
          let cellNo = 0;
          for (let r = cRows[0]; r < cRows[1]; r++) {
            for (let c = cCols[0]; c < cCols[1]; c++) {
              cellNo++;
              cells.push({
                type: 'Feature',
                properties: {
                  code: communityCode + seq(cellNo),
                  level: 'cell',
                  name: `演示网格${streetNo}-${communityNo}-${cellNo}`,
                },
                geometry: rect([r, r + 1], [c, c + 1]),
              });
            }
          }
        }
      }
    }
  }
  // Parents before children, each level in code order.
  const byCode = (a: AreaFeature, b: AreaFeature) => (a.properties.code < b.properties.code ? -1 : 1);
  return { type: 'FeatureCollection', features: [...features, ...communities.sort(byCode), ...cells.sort(byCode)] };
}

/**
 * Imports the demo grid when no area exists yet (the demo's start-up); null when areas were already there. Call the
 * geocoder's `reload()` afterwards.
 */
export async function seedDemoGrid(pool: pg.Pool): Promise<AreaImportReport | null> {
  const store = new AreaStore(pool);
  if ((await store.count()) > 0) return null;
  return store.importGeoJson(generateDemoGrid());
}
