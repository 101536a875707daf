import { describe, expect, it } from 'vitest';
import { boxInImagePolygon, checkImagePolygon, groundPoint, pointInImagePolygon, polygonArea } from './zones.js';
import type { ImagePolygon } from './types.js';

// The lower-left quarter of the picture: x 0–0.5, y 0.5–1.
const lowerLeft: ImagePolygon = [
  [0, 0.5],
  [0.5, 0.5],
  [0.5, 1],
  [0, 1],
];
// An L shape (concave): the square 0.1–0.9 without its upper-right quarter (x > 0.5, y < 0.5).
const ell: ImagePolygon = [
  [0.1, 0.1],
  [0.5, 0.1],
  [0.5, 0.5],
  [0.9, 0.5],
  [0.9, 0.9],
  [0.1, 0.9],
];

describe('pointInImagePolygon', () => {
  it('tells inside from outside, also in a concave polygon', () => {
    expect(pointInImagePolygon(0.25, 0.75, lowerLeft)).toBe(true);
    expect(pointInImagePolygon(0.75, 0.75, lowerLeft)).toBe(false);
    expect(pointInImagePolygon(0.25, 0.25, lowerLeft)).toBe(false);
    expect(pointInImagePolygon(0.3, 0.3, ell)).toBe(true);
    expect(pointInImagePolygon(0.7, 0.3, ell)).toBe(false); // the missing quarter
    expect(pointInImagePolygon(0.7, 0.7, ell)).toBe(true);
  });
});

describe('boxes stand where their bottom centre is', () => {
  it('uses the bottom centre in normalised coordinates', () => {
    // 640×480 frame, box x 100–200, y 100–300: ground point (150/640, 300/480) = (0.234375, 0.625).
    expect(groundPoint({ x: 100, y: 100, width: 100, height: 200 }, 640, 480)).toEqual([0.234375, 0.625]);
  });

  it('counts a tall box reaching into the zone from above only when its feet are in', () => {
    // Box y 100–300 (centre y 200/480 = 0.42, outside), feet at 300/480 = 0.625 (inside the lower half).
    expect(boxInImagePolygon({ x: 100, y: 100, width: 100, height: 200 }, 640, 480, lowerLeft)).toBe(true);
    // Feet at y 200/480 = 0.42: above the zone although the box overlaps it? It does not: box y 0–200.
    expect(boxInImagePolygon({ x: 100, y: 0, width: 100, height: 200 }, 640, 480, lowerLeft)).toBe(false);
    // Feet at x (400+50)/640 = 0.70: right of the zone.
    expect(boxInImagePolygon({ x: 400, y: 300, width: 100, height: 100 }, 640, 480, lowerLeft)).toBe(false);
  });
});

describe('checkImagePolygon', () => {
  it('accepts a plain polygon', () => {
    expect(checkImagePolygon(lowerLeft)).toEqual([]);
    expect(checkImagePolygon(ell)).toEqual([]);
    expect(Math.abs(polygonArea(lowerLeft))).toBeCloseTo(0.25, 12);
    // L = 0.8×0.8 − 0.4×0.4 = 0.64 − 0.16 = 0.48
    expect(Math.abs(polygonArea(ell))).toBeCloseTo(0.48, 12);
  });

  it('explains what is wrong', () => {
    expect(checkImagePolygon('x')).toEqual(['polygon must be an array of [x, y] points']);
    expect(
      checkImagePolygon([
        [0, 0],
        [1, 1],
      ]),
    ).toEqual(['polygon needs at least 3 points, has 2']);
    expect(
      checkImagePolygon([
        [0, 0],
        [1.5, 0],
        [0, 1],
      ])[0],
    ).toMatch(/polygon\[1\].*outside the picture.*0–1/);
    expect(
      checkImagePolygon([
        [0, 0],
        [Number.NaN, 0],
        [0, 1],
      ])[0],
    ).toMatch(/polygon\[1\] must be \[x, y\]/);
    expect(
      checkImagePolygon([
        [0, 0],
        [0.5, 0.5],
        [1, 1],
      ]),
    ).toEqual(['polygon has no area (its points are on one line)']);
    // Bow-tie: (0,0) → (1,1) → (1,0) → (0,1): edges 0 and 2 cross.
    expect(
      checkImagePolygon([
        [0, 0],
        [1, 1],
        [1, 0],
        [0, 1],
      ]),
    ).toEqual(['polygon edges 0 and 2 cross: draw the points in order around the zone']);
  });
});
