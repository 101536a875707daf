// The fully offline MapLibre style: plain background, the faint old-town reference layer, and glyphs from the hub.
import type { LngLatLike, StyleSpecification } from 'maplibre-gl';
import { OLD_TOWN_REFERENCE } from './reference/old-town';

/** Jinan old town (济南老城), WGS-84. */
export const INITIAL_VIEW: { center: LngLatLike; zoom: number } = { center: [117.02, 36.665], zoom: 14 };

/** The only font stack the hub serves as glyph PBFs; every symbol layer must use exactly this. */
export const TEXT_FONT = ['Noto Sans Regular'];

/**
 * Han characters are drawn from local system fonts instead of PBFs: CJK glyph ranges would be tens of megabytes and
 * Noto Sans Regular has none anyway. The first installed family wins; Linux kiosks typically have Noto Sans CJK.
 */
export const LOCAL_IDEOGRAPH_FONT_FAMILY =
  "'Noto Sans CJK SC', 'Noto Sans SC', 'Microsoft YaHei', 'PingFang SC', sans-serif";

export const BACKGROUND_COLOR = '#eef0f3';

/**
 * Builds the style. `origin` is the page's origin: MapLibre expects an absolute glyph URL template, and building it by
 * concatenation keeps the `{fontstack}`/`{range}` placeholders intact (the URL constructor would percent-encode them).
 */
export function createBaseStyle(origin: string): StyleSpecification {
  return {
    version: 8,
    name: 'cityhub-offline',
    glyphs: `${origin}/glyphs/{fontstack}/{range}.pbf`,
    sources: {
      'old-town': { type: 'geojson', data: OLD_TOWN_REFERENCE },
    },
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': BACKGROUND_COLOR } },
      {
        id: 'old-town-streets',
        type: 'line',
        source: 'old-town',
        filter: ['==', ['geometry-type'], 'LineString'],
        layout: { 'line-cap': 'round' },
        paint: { 'line-color': '#c5cad3', 'line-width': ['interpolate', ['linear'], ['zoom'], 12, 2, 17, 8] },
      },
      {
        id: 'old-town-places',
        type: 'circle',
        source: 'old-town',
        filter: ['all', ['==', ['geometry-type'], 'Point'], ['!=', ['get', 'kind'], 'street']],
        paint: {
          'circle-radius': ['match', ['get', 'kind'], 'water', 10, 4],
          'circle-color': ['match', ['get', 'kind'], ['water', 'spring'], '#a5c8ec', '#c5cad3'],
          'circle-opacity': 0.6,
        },
      },
      {
        id: 'old-town-labels',
        type: 'symbol',
        source: 'old-town',
        filter: ['==', ['geometry-type'], 'Point'],
        layout: {
          'text-field': [
            'format',
            ['get', 'name'],
            { 'font-scale': 1 },
            '\n',
            {},
            ['get', 'nameEn'],
            { 'font-scale': 0.8 },
          ],
          'text-font': TEXT_FONT,
          'text-size': 12,
          // Baotu Spring and Quancheng Square are ~300 m apart, so let labels pick a side rather than hide each other.
          'text-variable-anchor': ['top', 'bottom', 'left', 'right'],
          'text-radial-offset': 0.8,
          'text-justify': 'auto',
        },
        paint: { 'text-color': '#7b8594', 'text-halo-color': BACKGROUND_COLOR, 'text-halo-width': 1.2 },
      },
    ],
  };
}
