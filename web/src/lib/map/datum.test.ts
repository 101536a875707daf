import { describe, expect, it } from 'vitest';
import { datumOf, geometryToMap, type LonLat } from './datum';

/** Great-circle distance in metres, enough to tell a datum shift (hundreds of m) from a rounding error (cm). */
function metres(a: LonLat, b: LonLat): number {
  const rad = Math.PI / 180;
  const dLat = (b[1] - a[1]) * rad;
  const dLon = (b[0] - a[0]) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a[1] * rad) * Math.cos(b[1] * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6_371_008.8 * Math.asin(Math.sqrt(h));
}

// Baotu Spring (趵突泉), Jinan, WGS-84.
const SPRING: LonLat = [117.0126, 36.6617];

describe('the datum between our WGS-84 data and the basemap', () => {
  it('draws WGS-84 data unchanged on a WGS-84 (or CGCS2000, 天地图) basemap', () => {
    const wgs = datumOf('wgs84');
    expect(wgs.toMap(...SPRING)).toEqual(SPRING);
    expect(wgs.fromMap(...SPRING)).toEqual(SPRING);
  });

  it('shifts a point in Jinan onto a GCJ-02 basemap by the few hundred metres of the official offset', () => {
    const gcj = datumOf('gcj02');
    const drawn = gcj.toMap(...SPRING);
    // GCJ-02 moves Jinan east and north; the size of the shift there is about 500–600 m.
    expect(drawn[0]).toBeGreaterThan(SPRING[0]);
    expect(drawn[1]).toBeGreaterThan(SPRING[1]);
    expect(metres(SPRING, drawn)).toBeGreaterThan(300);
    expect(metres(SPRING, drawn)).toBeLessThan(800);
  });

  it('turns a click on a GCJ-02 basemap back into the WGS-84 point, to well under a metre', () => {
    const gcj = datumOf('gcj02');
    const clicked = gcj.toMap(...SPRING);
    expect(metres(gcj.fromMap(...clicked), SPRING)).toBeLessThan(0.5);
  });

  it('leaves points outside China alone, where GCJ-02 is not defined', () => {
    const paris: LonLat = [2.3522, 48.8566];
    expect(datumOf('gcj02').toMap(...paris)).toEqual(paris);
  });

  it('shifts every vertex of a track and an area, without touching the WGS-84 original', () => {
    const gcj = datumOf('gcj02');
    const line = { type: 'LineString' as const, coordinates: [SPRING, [117.02, 36.665] as LonLat] };
    const drawn = geometryToMap(line, gcj);
    expect(drawn.coordinates).toEqual([gcj.toMap(...SPRING), gcj.toMap(117.02, 36.665)]);
    expect(line.coordinates[0]).toEqual(SPRING);
    const ring: LonLat[] = [SPRING, [117.02, 36.6617], [117.02, 36.665], SPRING];
    const area = geometryToMap({ type: 'MultiPolygon', coordinates: [[ring]] }, gcj);
    expect(area.coordinates[0]![0]).toHaveLength(4);
    expect(area.coordinates[0]![0]![0]).toEqual(gcj.toMap(...SPRING));
    expect(area.coordinates[0]![0]![2]).toEqual(gcj.toMap(117.02, 36.665));
    expect(geometryToMap(line, datumOf('wgs84'))).toBe(line);
  });
});
