// The life of a map layer component's sources and style layers: added when it mounts, removed when it unmounts (unless
// the whole map is going away), shown or hidden as a group, with click and hover handlers on its clickable layers.
import type { LayerSpecification, Map as MapLibreMap, MapLayerMouseEvent, SourceSpecification } from 'maplibre-gl';

export interface LayerSetup {
  sources: Record<string, SourceSpecification>;
  layers: LayerSpecification[];
  /** Clicks on these layers' features (the first feature under the pointer). */
  onclick?: Record<string, (event: MapLayerMouseEvent) => void>;
}

/** Adds everything; returns the function that removes it again. */
export function addLayers(map: MapLibreMap, setup: LayerSetup): () => void {
  let mapRemoved = false;
  const onMapRemove = (): void => {
    mapRemoved = true;
  };
  const onEnter = (): void => {
    map.getCanvas().style.cursor = 'pointer';
  };
  const onLeave = (): void => {
    map.getCanvas().style.cursor = '';
  };
  map.on('remove', onMapRemove);
  for (const [id, source] of Object.entries(setup.sources)) map.addSource(id, source);
  for (const layer of setup.layers) map.addLayer(layer);
  const clicks = Object.entries(setup.onclick ?? {});
  for (const [layerId, handler] of clicks) {
    map.on('click', layerId, handler);
    map.on('mouseenter', layerId, onEnter);
    map.on('mouseleave', layerId, onLeave);
  }
  return () => {
    map.off('remove', onMapRemove);
    for (const [layerId, handler] of clicks) {
      map.off('click', layerId, handler);
      map.off('mouseenter', layerId, onEnter);
      map.off('mouseleave', layerId, onLeave);
    }
    // When the whole map is being torn down its style is already gone, and there is nothing left to clean up.
    if (mapRemoved) return;
    for (const layer of [...setup.layers].reverse()) if (map.getLayer(layer.id)) map.removeLayer(layer.id);
    for (const id of Object.keys(setup.sources)) if (map.getSource(id)) map.removeSource(id);
  };
}

/** Shows or hides style layers (those that exist: a layer another component owns may not be there yet). */
export function setVisible(map: MapLibreMap, layerIds: readonly string[], visible: boolean): void {
  for (const id of layerIds) {
    if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', visible ? 'visible' : 'none');
  }
}
