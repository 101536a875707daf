// 演示网格 the demo grid generator: codes, numbering order, sizes, and the geocoder's answer for hand-placed points.
import { describe, expect, it } from 'vitest';
import { CellIndex } from './geocoder.js';
import { DEMO_AREA, generateDemoGrid, splitBlocks, type AreaFeature } from './demo-grid.js';

const grid = generateDemoGrid();
const cells = grid.features.filter((f) => f.properties.level === 'cell');
const index = new CellIndex(cells.map((f) => ({ code: f.properties.code, geometry: f.geometry })));

// Independent of the generator: haversine on the mean-radius sphere.
const R = 6371008.8;
const rad = (d: number) => (d * Math.PI) / 180;
function distanceM(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const h =
    Math.sin(rad(lat2 - lat1) / 2) ** 2 +
    Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(rad(lon2 - lon1) / 2) ** 2;
  return 2 * R * Math.asin(Math.sqrt(h));
}
/** The point `eastM` east and `southM` south of the demo area's north-west corner. */
function offset(eastM: number, southM: number): [number, number] {
  const { minLon, maxLat } = DEMO_AREA.bbox;
  const lat = maxLat - southM / ((R * Math.PI) / 180);
  // The generator converts at the middle latitude 36.6675°, cos = 0.802115.
  return [minLon + eastM / (((R * Math.PI) / 180) * 0.802115), lat];
}
const ring = (f: AreaFeature) => f.geometry.coordinates[0]!;
const west = (f: AreaFeature) => ring(f)[0]![0]!;
const south = (f: AreaFeature) => ring(f)[0]![1]!;
const north = (f: AreaFeature) => ring(f)[2]![1]!;

describe('splitBlocks', () => {
  it('cuts into blocks, a remainder of half a block or more stands alone, a smaller one joins the last', () => {
    expect(splitBlocks(20, 10)).toEqual([
      [0, 10],
      [10, 20],
    ]);
    expect(splitBlocks(63, 10)).toEqual([
      [0, 10],
      [10, 20],
      [20, 30],
      [30, 40],
      [40, 50],
      [50, 63],
    ]);
    expect(splitBlocks(13, 5)).toEqual([
      [0, 5],
      [5, 10],
      [10, 13],
    ]);
    expect(splitBlocks(11, 5)).toEqual([
      [0, 5],
      [5, 11],
    ]);
    expect(splitBlocks(3, 10)).toEqual([[0, 3]]);
  });
});

describe('the demo grid over the Jinan old town', () => {
  it('is 63 × 51 cells: 0.07° of longitude is 6,243 m at 36.67° N, 0.045° of latitude 5,004 m, both rounded up', () => {
    expect(cells).toHaveLength(63 * 51);
    // 6 × 5 streets: the 3 leftover columns join the 6th block column, the 1 leftover row the 5th block row.
    expect(grid.features.filter((f) => f.properties.level === 'street')).toHaveLength(30);
    // Every street is 2 communities high (5 + 5 rows, or 5 + 6 in the south row of streets); 25 streets are 2 wide
    // (5 + 5 columns), the 5 in the east column 3 wide (5 + 5 + 3): 25·4 + 5·6 = 130.
    expect(grid.features.filter((f) => f.properties.level === 'community')).toHaveLength(130);
    expect(grid.features.filter((f) => f.properties.level === 'district').map((f) => f.properties.code)).toEqual([
      '370102',
    ]);
  });

  it('every code is unique, has the right length and its parent prefix exists', () => {
    const codes = grid.features.map((f) => f.properties.code);
    expect(new Set(codes).size).toBe(codes.length);
    const present = new Set(codes);
    const length = { district: 6, street: 9, community: 12, cell: 15 };
    for (const f of grid.features) {
      const { code, level } = f.properties;
      expect(code).toMatch(/^\d+$/);
      expect(code.length).toBe(length[level]);
      expect(code.startsWith('370102')).toBe(true);
      if (level !== 'district') expect(present.has(code.slice(0, -3))).toBe(true);
    }
    expect(cells.every((f) => /^\d{15}$/.test(f.properties.code))).toBe(true);
  });

  it('names streets 演示街道N and communities 演示社区N-M', () => {
    const byCode = new Map(grid.features.map((f) => [f.properties.code, f.properties.name]));
    expect(byCode.get('370102001')).toBe('演示街道1');
    expect(byCode.get('370102007002')).toBe('演示社区7-2');
  });

  it('numbers cells west→east, then north→south, within each community', () => {
    const byCommunity = new Map<string, AreaFeature[]>();
    for (const f of cells) {
      const community = f.properties.code.slice(0, 12);
      byCommunity.set(community, [...(byCommunity.get(community) ?? []), f]);
    }
    for (const members of byCommunity.values()) {
      members.sort((a, b) => a.properties.code.localeCompare(b.properties.code));
      expect(members[0]!.properties.code.endsWith('001')).toBe(true);
      for (let i = 1; i < members.length; i++) {
        const [prev, cur] = [members[i - 1]!, members[i]!];
        expect(Number(cur.properties.code.slice(12))).toBe(Number(prev.properties.code.slice(12)) + 1);
        const sameRow = north(cur) === north(prev);
        // Next in the row is further east; a new row starts further south.
        if (sameRow) expect(west(cur)).toBeGreaterThan(west(prev));
        else expect(north(cur)).toBeLessThan(north(prev));
      }
    }
    // An ordinary community: 5 × 5, its cell 006 starts the second row under cell 001.
    const c = byCommunity.get('370102001001')!;
    expect(c).toHaveLength(25);
    expect(west(c[5]!)).toBe(west(c[0]!));
    expect(north(c[5]!)).toBe(south(c[0]!));
  });

  it('cells are 90–110 m on each side and cover the demo bbox', () => {
    for (const f of cells) {
      const [sw, se, ne] = ring(f);
      const width = distanceM(sw![0]!, sw![1]!, se![0]!, se![1]!);
      const height = distanceM(se![0]!, se![1]!, ne![0]!, ne![1]!);
      expect(width).toBeGreaterThan(90);
      expect(width).toBeLessThan(110);
      expect(height).toBeGreaterThan(90);
      expect(height).toBeLessThan(110);
    }
    const { minLon, minLat, maxLon, maxLat } = DEMO_AREA.bbox;
    const district = grid.features[0]!;
    expect(west(district)).toBe(minLon);
    expect(north(district)).toBe(maxLat);
    expect(ring(district)[1]![0]).toBeGreaterThanOrEqual(maxLon);
    expect(south(district)).toBeLessThanOrEqual(minLat);
  });

  it('the geocoder finds the hand-computed cell for points placed by distance from the north-west corner', () => {
    // 150 m east, 250 m south: column 1, row 2 → street 1, community 1 (rows 0–4, columns 0–4), cell 2·5 + 1 + 1 = 12.
    expect(index.locateCell(...offset(150, 250))).toBe('370102001001012');
    // 1,250 m east, 750 m south: column 12, row 7 → street 2 (columns 10–19); inside it row 7, column 2 → community
    // row 1, column 0 → community 1·2 + 0 + 1 = 3; cell row 2, column 2 → 2·5 + 2 + 1 = 13.
    expect(index.locateCell(...offset(1250, 750))).toBe('370102002003013');
    // 6,250 m east, 5,050 m south: column 62, row 50 → street row 4, street column 5 → street 4·6 + 5 + 1 = 30;
    // inside it row 10, column 12 → community row 1 (rows 5–10), column 2 (columns 10–12) of 3 → community
    // 1·3 + 2 + 1 = 6, 3 cells wide and 6 high; cell row 5, column 2 → 5·3 + 2 + 1 = 18.
    expect(index.locateCell(...offset(6250, 5050))).toBe('370102030006018');
    // 3,050 m east, 4,450 m south: column 30, row 44 → street row 4, column 3 → street 4·6 + 3 + 1 = 28; inside it
    // row 4, column 0 → community 1; cell 4·5 + 0 + 1 = 21.
    expect(index.locateCell(...offset(3050, 4450))).toBe('370102028001021');
    // Outside: west of the area, north of it.
    expect(index.locateCell(...offset(-50, 250))).toBeNull();
    expect(index.locateCell(...offset(150, -50))).toBeNull();
  });

  it('a point on the edge between two cells goes to the eastern (or northern) one, a corner to the cell whose south-west corner it is', () => {
    const first = cells.find((f) => f.properties.code === '370102001001001')!;
    const second = cells.find((f) => f.properties.code === '370102001001002')!;
    const below = cells.find((f) => f.properties.code === '370102001001006')!;
    const edgeLon = west(second);
    expect(ring(first)[1]![0]).toBe(edgeLon); // they share the edge exactly
    const midLat = (north(first) + south(first)) / 2;
    expect(index.locateCell(edgeLon, midLat)).toBe('370102001001002');
    // The edge between 001 and the cell below it (006) belongs to the northern cell, 001.
    expect(index.locateCell((west(first) + edgeLon) / 2, north(below))).toBe('370102001001001');
    // The corner shared by 001, 002, 006 and 007 is the south-west corner of 002.
    expect(index.locateCell(edgeLon, south(first))).toBe('370102001001002');
  });

  it('the index agrees with a scan over every cell for random points', () => {
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const { minLon, minLat, maxLon, maxLat } = DEMO_AREA.bbox;
    for (let i = 0; i < 2000; i++) {
      const lon = minLon - 0.002 + (maxLon - minLon + 0.004) * random();
      const lat = minLat - 0.002 + (maxLat - minLat + 0.004) * random();
      expect(index.locateCell(lon, lat)).toBe(index.locateCellByScan(lon, lat));
    }
  });
});
