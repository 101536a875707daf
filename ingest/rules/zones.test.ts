import { describe, expect, it } from 'vitest';
import type { Zone } from './types.js';
import { box } from './vehicle-fixtures.js';
import { ZoneIndex } from './zones.js';

const donut: Zone = {
  id: 'donut',
  name: 'donut',
  // 117.00–117.02 × 36.64–36.66 with a hole 117.005–117.015 × 36.645–36.655
  geometry: {
    type: 'Polygon',
    coordinates: [
      [
        [117.0, 36.64],
        [117.02, 36.64],
        [117.02, 36.66],
        [117.0, 36.66],
        [117.0, 36.64],
      ],
      [
        [117.005, 36.645],
        [117.015, 36.645],
        [117.015, 36.655],
        [117.005, 36.655],
        [117.005, 36.645],
      ],
    ],
  },
  properties: {},
};
const twoParts: Zone = {
  id: 'two',
  name: 'two parts',
  geometry: {
    type: 'MultiPolygon',
    coordinates: [
      [
        [
          [117.03, 36.67],
          [117.031, 36.67],
          [117.031, 36.671],
          [117.03, 36.67],
        ],
      ],
      [
        [
          [117.05, 36.68],
          [117.06, 36.68],
          [117.06, 36.69],
          [117.05, 36.69],
          [117.05, 36.68],
        ],
      ],
    ],
  },
  properties: {},
};

describe('ZoneIndex', () => {
  const index = new ZoneIndex([donut, twoParts, box('b', [117.01, 36.641, 117.03, 36.643])]);
  const ids = (lon: number, lat: number) => index.zonesAt(lon, lat).map((z) => z.id);

  it('finds the zone around a point and honours holes', () => {
    expect(ids(117.002, 36.65)).toEqual(['donut']);
    expect(ids(117.01, 36.65)).toEqual([]); // in the hole
    expect(ids(117.025, 36.65)).toEqual([]); // east of everything
  });

  it('finds the second part of a MultiPolygon, and not the bbox corner outside a triangle', () => {
    expect(ids(117.055, 36.685)).toEqual(['two']);
    // The triangle (117.03,36.67)-(117.031,36.67)-(117.031,36.671) does not contain its bbox's north-west corner.
    expect(ids(117.0302, 36.6709)).toEqual([]);
    expect(ids(117.0309, 36.6701)).toEqual(['two']);
  });

  it('returns every overlapping zone, in the order given', () => {
    expect(ids(117.015, 36.642)).toEqual(['donut', 'b']);
  });

  it('is empty with no zones and for non-finite points', () => {
    expect(new ZoneIndex([]).zonesAt(117.0, 36.65)).toEqual([]);
    expect(ids(Number.NaN, 36.65)).toEqual([]);
  });
});
