// Faint reference geometry for Jinan's old town (济南老城), so the offline base map is not an empty grey sheet.
//
// Positions are approximate (hand-placed, WGS-84, likely off by up to a couple of hundred metres) and are only
// meant for orientation; they are not survey data and must not be used for dispatch or measurement.
import type { FeatureCollection, LineString, Point } from '$lib/geojson';

export interface ReferenceProperties {
  /** Chinese name; rendered with the browser's local CJK font via localIdeographFontFamily. */
  name: string;
  /** English name; rendered with the hub-served Noto Sans glyph PBFs. */
  nameEn: string;
  kind: 'water' | 'spring' | 'square' | 'street';
}

export const OLD_TOWN_REFERENCE: FeatureCollection<Point | LineString, ReferenceProperties> = {
  type: 'FeatureCollection',
  features: [
    {
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [117.023, 36.675] },
      properties: { name: '大明湖', nameEn: 'Daming Lake', kind: 'water' },
    },
    {
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [117.0165, 36.6615] },
      properties: { name: '趵突泉', nameEn: 'Baotu Spring', kind: 'spring' },
    },
    {
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [117.0195, 36.662] },
      properties: { name: '泉城广场', nameEn: 'Quancheng Square', kind: 'square' },
    },
    {
      // Furong Street is a short north–south lane: the line is drawn unlabelled, the label sits on this point instead,
      // because a two-vertex line would get a label per vertex under point placement and is too short for line placement.
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [117.0225, 36.6665] },
      properties: { name: '芙蓉街', nameEn: 'Furong Street', kind: 'street' },
    },
    {
      type: 'Feature',
      geometry: {
        type: 'LineString',
        coordinates: [
          [117.0224, 36.665],
          [117.0226, 36.668],
        ],
      },
      properties: { name: '芙蓉街', nameEn: 'Furong Street', kind: 'street' },
    },
  ],
};
