// Resolves once a source's latest data has been tiled and drawn, i.e. when queryRenderedFeatures can see it.
import type { Map as MapLibreMap } from 'maplibre-gl';

/**
 * Call right after `setData`. GeoJSON sources report "not loaded" from `setData` until the worker has re-tiled the
 * data and the tiles have reloaded, so the first render with the source loaded is the first frame showing the data.
 * Resolves early (without waiting) if the map is removed meanwhile, so callers never hang on teardown.
 */
export function whenSourceRendered(map: MapLibreMap, sourceId: string): Promise<void> {
  return new Promise((resolve) => {
    const finish = (): void => {
      map.off('render', check);
      map.off('remove', finish);
      resolve();
    };
    const check = (): void => {
      if (map.getSource(sourceId) === undefined || map.isSourceLoaded(sourceId)) finish();
    };
    map.on('render', check);
    map.on('remove', finish);
    map.triggerRepaint();
  });
}
