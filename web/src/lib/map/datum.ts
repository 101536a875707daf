// 坐标系 the datum between our data and the basemap: positions, cases and grids are WGS-84 (GPS, BeiDou in CGCS2000 —
// the same to a few centimetres); a GCJ-02 basemap (高德, 腾讯 tiles) is drawn offset by up to several hundred metres,
// so on such a basemap everything we draw is shifted onto it, and every click is shifted back before it means a place.
import gcoord from 'gcoord';
import type { MapCrs } from '../../../../hub/config.js';

/** The basemap's datum as the hub is configured with it (MAP_BASEMAP_CRS). */
export type { MapCrs };

export type LonLat = [lon: number, lat: number];

export interface Datum {
  readonly crs: MapCrs;
  /** A WGS-84 point → where it is drawn on this basemap. */
  toMap(lon: number, lat: number): LonLat;
  /** A point on this basemap (a click, the view centre) → WGS-84. */
  fromMap(lon: number, lat: number): LonLat;
}

const WGS84: Datum = {
  crs: 'wgs84',
  toMap: (lon, lat) => [lon, lat],
  fromMap: (lon, lat) => [lon, lat],
};

// gcoord leaves points outside China untouched (GCJ-02 is defined only inside), and inverts GCJ-02 iteratively, so a
// round trip returns the same WGS-84 point to well under a metre.
const GCJ02: Datum = {
  crs: 'gcj02',
  toMap: (lon, lat) => gcoord.transform([lon, lat], gcoord.WGS84, gcoord.GCJ02) as LonLat,
  fromMap: (lon, lat) => gcoord.transform([lon, lat], gcoord.GCJ02, gcoord.WGS84) as LonLat,
};

export function datumOf(crs: MapCrs): Datum {
  return crs === 'gcj02' ? GCJ02 : WGS84;
}

/** Geometries we draw besides points: tracks (LineString) and areas (Polygon, MultiPolygon). */
export type Geometry =
  | { type: 'Point'; coordinates: LonLat }
  | { type: 'LineString'; coordinates: LonLat[] }
  | { type: 'Polygon'; coordinates: LonLat[][] }
  | { type: 'MultiPolygon'; coordinates: LonLat[][][] };

/** The geometry as drawn on the basemap (a new object; the WGS-84 one is left as it is). */
export function geometryToMap<G extends Geometry>(geometry: G, datum: Datum): G {
  if (datum.crs === 'wgs84') return geometry;
  const point = (p: LonLat) => datum.toMap(p[0], p[1]);
  switch (geometry.type) {
    case 'Point':
      return { ...geometry, coordinates: point(geometry.coordinates) } as G;
    case 'LineString':
      return { ...geometry, coordinates: geometry.coordinates.map(point) } as G;
    case 'Polygon':
      return { ...geometry, coordinates: geometry.coordinates.map((ring) => ring.map(point)) } as G;
    case 'MultiPolygon':
      return {
        ...geometry,
        coordinates: geometry.coordinates.map((polygon) => polygon.map((ring) => ring.map(point))),
      } as G;
  }
}
