// Resolves once a source's latest data has been tiled and drawn, i.e. when queryRenderedFeatures can see it.
import type { Map as MapLibreMap } from 'maplibre-gl';

/** How often to look whether the source is loaded but no frame has come to show it. */
const NUDGE_EVERY_MS = 50;

/**
 * Call right after `setData` or `updateData`. GeoJSON sources report "not loaded" until the worker has re-tiled the
 * data and the tiles have reloaded, so the first render with the source loaded is the first frame showing the data.
 * Reloaded tiles ask for that frame themselves; a repaint is requested only once the source is loaded, for a source
 * that had no tile to reload (its layers hidden or out of their zoom range) — never straight away, which would draw a
 * whole frame (hundreds of ms in software GL) of data not yet tiled. Resolves early (without waiting) if the map is
 * removed meanwhile, so callers never hang on teardown.
 */
export function whenSourceRendered(map: MapLibreMap, sourceId: string): Promise<void> {
  return new Promise((resolve) => {
    const loaded = (): boolean => map.getSource(sourceId) === undefined || map.isSourceLoaded(sourceId);
    const finish = (): void => {
      clearInterval(nudge);
      map.off('render', check);
      map.off('remove', finish);
      resolve();
    };
    const check = (): void => {
      if (loaded()) finish();
    };
    // Idempotent: when a frame is already on its way (the usual case), this adds none.
    const nudge = setInterval(() => {
      if (loaded()) map.triggerRepaint();
    }, NUDGE_EVERY_MS);
    map.on('render', check);
    map.on('remove', finish);
  });
}
