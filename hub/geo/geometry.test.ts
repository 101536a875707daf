// 面状几何 geometry validation, area and the point-in-polygon rule, with hand-made shapes.
import { describe, expect, it } from 'vitest';
import {
  containsPoint,
  geometryAreaM2,
  geometryBBox,
  geometryProblem,
  prepareGeometry,
  type AreaGeometry,
  type Position,
} from './geometry.js';

const square = (w: number, s: number, e: number, n: number): Position[] => [
  [w, s],
  [e, s],
  [e, n],
  [w, n],
  [w, s],
];
const polygon = (...rings: Position[][]): AreaGeometry => ({ type: 'Polygon', coordinates: rings });
const inside = (g: AreaGeometry, lon: number, lat: number) => containsPoint(prepareGeometry(g), lon, lat);

describe('geometryProblem', () => {
  it('accepts a closed polygon with a hole and a MultiPolygon', () => {
    expect(geometryProblem(polygon(square(0, 0, 10, 10), square(2, 2, 4, 4)))).toBeNull();
    expect(
      geometryProblem({ type: 'MultiPolygon', coordinates: [[square(0, 0, 1, 1)], [square(5, 5, 6, 6)]] }),
    ).toBeNull();
  });

  it('names what is wrong', () => {
    expect(geometryProblem(null)).toMatch(/Polygon or MultiPolygon object/);
    expect(geometryProblem({ type: 'Point', coordinates: [1, 2] })).toMatch(/got "Point"/);
    expect(
      geometryProblem(
        polygon([
          [0, 0],
          [1, 0],
          [0, 0],
        ]),
      ),
    ).toMatch(/3 positions; a linear ring needs at least 4/);
    expect(
      geometryProblem(
        polygon([
          [0, 0],
          [1, 0],
          [1, 1],
          [0, 1],
        ]),
      ),
    ).toMatch(/not closed/);
    expect(
      geometryProblem(
        polygon([
          [0, 0],
          [1, 0],
          [NaN, 1],
          [0, 0],
        ]),
      ),
    ).toMatch(/\[2\] is not a finite number/);
    expect(
      geometryProblem(
        polygon([
          [0, 0],
          [1, 0],
          [1, 91],
          [0, 0],
        ]),
      ),
    ).toMatch(/latitude 91 is outside/);
    expect(
      geometryProblem(
        polygon([
          [0, 0],
          [181, 0],
          [1, 1],
          [0, 0],
        ]),
      ),
    ).toMatch(/longitude 181 is outside/);
    expect(
      geometryProblem(
        polygon([
          [0, 0],
          ['1', 0],
          [1, 1],
          [0, 0],
        ] as unknown as Position[]),
      ),
    ).toMatch(/must be \[lon, lat\] numbers/);
    expect(
      geometryProblem(
        polygon([
          [0, 0],
          [1, 1],
          [2, 2],
          [0, 0],
        ]),
      ),
    ).toMatch(/encloses no area/);
    expect(geometryProblem({ type: 'Polygon', coordinates: [] })).toMatch(/non-empty array of linear rings/);
    expect(geometryProblem({ type: 'MultiPolygon', coordinates: [[square(0, 0, 1, 1)], [[[0, 0]]]] })).toMatch(
      /coordinates\[1\]\[0\] has 1 positions/,
    );
  });
});

describe('bbox and area', () => {
  it('bbox of a MultiPolygon spans its parts', () => {
    const g: AreaGeometry = { type: 'MultiPolygon', coordinates: [[square(1, 2, 3, 4)], [square(-1, 5, 0, 6)]] };
    expect(geometryBBox(g)).toEqual({ minLon: -1, minLat: 2, maxLon: 3, maxLat: 6 });
  });

  it('a 100 m square at 36.67° N has ~10,000 m²; a hole is subtracted', () => {
    // 100 m of latitude = 100 / 111195.08 degrees (mean-radius sphere); of longitude, divided by cos 36.67° = 0.80202.
    const dLat = 100 / 111195.08;
    const dLon = dLat / 0.80202;
    const g = polygon(square(117, 36.67, 117 + dLon, 36.67 + dLat));
    expect(geometryAreaM2(g)).toBeGreaterThan(9990);
    expect(geometryAreaM2(g)).toBeLessThan(10010);
    // A hole of a quarter of the area (50 m × 50 m).
    const holed = polygon(
      square(117, 36.67, 117 + dLon, 36.67 + dLat),
      square(117 + dLon / 4, 36.67 + dLat / 4, 117 + (3 * dLon) / 4, 36.67 + (3 * dLat) / 4),
    );
    expect(geometryAreaM2(holed)).toBeGreaterThan(7490);
    expect(geometryAreaM2(holed)).toBeLessThan(7510);
  });
});

describe('containsPoint', () => {
  const donut = polygon(square(0, 0, 10, 10), square(4, 4, 6, 6));

  it('is inside the ring, outside its hole, outside beyond', () => {
    expect(inside(donut, 1, 1)).toBe(true);
    expect(inside(donut, 5, 5)).toBe(false);
    expect(inside(donut, 7, 5)).toBe(true);
    expect(inside(donut, 11, 5)).toBe(false);
    expect(inside(donut, -0.001, 5)).toBe(false);
  });

  it('holds for either ring orientation', () => {
    const clockwise = polygon([...square(0, 0, 10, 10)].reverse());
    expect(inside(clockwise, 5, 5)).toBe(true);
    expect(inside(clockwise, 15, 5)).toBe(false);
  });

  it('any part of a MultiPolygon', () => {
    const g: AreaGeometry = { type: 'MultiPolygon', coordinates: [[square(0, 0, 1, 1)], [square(5, 5, 6, 6)]] };
    expect(inside(g, 0.5, 0.5)).toBe(true);
    expect(inside(g, 5.5, 5.5)).toBe(true);
    expect(inside(g, 3, 3)).toBe(false);
  });

  it('a cell owns its west and south edges and south-west corner, not its east and north edges', () => {
    const cell = polygon(square(0, 0, 1, 1));
    expect(inside(cell, 0, 0.5)).toBe(true); // west edge
    expect(inside(cell, 0.5, 0)).toBe(true); // south edge
    expect(inside(cell, 0, 0)).toBe(true); // south-west corner
    expect(inside(cell, 1, 0.5)).toBe(false); // east edge
    expect(inside(cell, 0.5, 1)).toBe(false); // north edge
    expect(inside(cell, 1, 1)).toBe(false);
    expect(inside(cell, 0, 1)).toBe(false); // north-west corner
    expect(inside(cell, 1, 0)).toBe(false); // south-east corner
  });

  it('a point on a slanted shared edge goes to exactly one of the two areas', () => {
    // Two triangles sharing the diagonal (0.1, 0.3) → (0.7, 0.9), listed in opposite directions; the points along it
    // carry rounding, so which side each lands on may vary, but never both or neither.
    const a = [0.1, 0.3];
    const b = [0.7, 0.9];
    const west = polygon([a, b, [0.1, 0.9], a]);
    const east = polygon([b, a, [0.7, 0.3], b]);
    const owners = new Set<string>();
    for (let i = 1; i < 1000; i++) {
      const lon = a[0]! + (b[0]! - a[0]!) * (i / 1000);
      const lat = a[1]! + (b[1]! - a[1]!) * (i / 1000);
      owners.add(`${inside(west, lon, lat)}/${inside(east, lon, lat)}`);
    }
    expect([...owners].sort()).toEqual(['false/true', 'true/false']);
  });

  it('a point exactly on a slanted shared edge goes to the eastern area', () => {
    // The edge (0, 0) → (0.5, 1): lon = lat / 2 is exact in binary for these points, so they lie on the edge exactly.
    const west = polygon([
      [0, 0],
      [0.5, 1],
      [0, 1],
      [0, 0],
    ]);
    const east = polygon([
      [0.5, 1],
      [0, 0],
      [0.5, 0],
      [0.5, 1],
    ]);
    for (const lat of [0.125, 0.25, 0.5, 0.75, 0.875]) {
      expect([inside(west, lat / 2, lat), inside(east, lat / 2, lat)]).toEqual([false, true]);
    }
  });
});
