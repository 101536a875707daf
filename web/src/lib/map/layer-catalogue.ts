// 图层目录 the map's toggleable layers: which are shown at first, and the choice kept per browser (a wall display keeps
// its layers across reloads).

export const LAYER_KEYS = [
  'vehicles',
  'collectors',
  'sensors',
  'cameras',
  'cases',
  'candidates',
  'streets',
  'communities',
  'cells',
] as const;
export type LayerKey = (typeof LAYER_KEYS)[number];

export type AreaLevel = 'street' | 'community' | 'cell';
export const AREA_LAYER: Record<AreaLevel, LayerKey> = { street: 'streets', community: 'communities', cell: 'cells' };

/** The cameras layer belongs to CamerasLayer.svelte; the panel shows and hides it by its style layer ids. */
export const CAMERA_STYLE_LAYERS = ['cameras', 'cameras-label'];

const DEFAULTS: Record<LayerKey, boolean> = {
  vehicles: true,
  collectors: true,
  sensors: true,
  cameras: true,
  cases: true,
  candidates: true,
  streets: false,
  communities: false,
  cells: false,
};

const STORAGE_KEY = 'cityhub.map.layers';

export function loadVisibleLayers(): Record<LayerKey, boolean> {
  const visible = { ...DEFAULTS };
  try {
    const stored = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '{}') as Record<string, unknown>;
    for (const key of LAYER_KEYS) if (typeof stored[key] === 'boolean') visible[key] = stored[key];
  } catch {
    // Storage disabled or a damaged entry: the defaults.
  }
  return visible;
}

export function saveVisibleLayers(visible: Record<LayerKey, boolean>): void {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(visible));
  } catch {
    // Storage disabled: the choice lasts for this page only.
  }
}
