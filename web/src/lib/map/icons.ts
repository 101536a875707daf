// Map icons drawn on a canvas at start (no sprite sheet to serve or fetch): a heading arrow and a candidate marker, as
// SDF images so each layer tints them with `icon-color`.
import type { Map as MapLibreMap, SymbolLayerSpecification } from 'maplibre-gl';

export const HEADING_ICON = 'cityhub-heading';
export const CANDIDATE_ICON = 'cityhub-candidate';

/** Icons are drawn at twice their CSS size, so they stay sharp on high-density screens. */
const PIXEL_RATIO = 2;
const CANDIDATE_SIZE = 48;

/**
 * The heading arrow is just the chevron, placed ahead of the marker's centre by the layer (`icon-anchor` and
 * `icon-offset` below; the offset turns with `icon-rotate`), not a square around the marker with the chevron in one
 * corner: with thousands of moving units, every transparent pixel of an icon's quad is still shaded, and in software GL
 * the square cost four times what the chevron does.
 */
const HEADING_WIDTH = 22;
const HEADING_HEIGHT = 18;

/** Where the heading arrow sits: its bottom edge 3 CSS px (× icon-size) ahead of the marker's centre. */
export const HEADING_ICON_PLACEMENT: Pick<
  NonNullable<SymbolLayerSpecification['layout']>,
  'icon-image' | 'icon-anchor' | 'icon-offset'
> = {
  'icon-image': HEADING_ICON,
  'icon-anchor': 'bottom',
  'icon-offset': [0, -3],
};

function draw(width: number, height: number, paint: (ctx: CanvasRenderingContext2D) => void): ImageData {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#000';
  paint(ctx);
  return ctx.getImageData(0, 0, width, height);
}

/** A chevron pointing up (north at rotation 0); with the placement above, its tip reaches beyond a marker's edge. */
function headingArrow(ctx: CanvasRenderingContext2D): void {
  const mid = HEADING_WIDTH / 2;
  ctx.beginPath();
  ctx.moveTo(mid, 2);
  ctx.lineTo(mid + 9, 16);
  ctx.lineTo(mid, 12);
  ctx.lineTo(mid - 9, 16);
  ctx.closePath();
  ctx.fill();
}

/** A warning triangle: a candidate is a suspicion, not yet a case. */
function candidateTriangle(ctx: CanvasRenderingContext2D): void {
  const size = CANDIDATE_SIZE;
  ctx.beginPath();
  ctx.moveTo(size / 2, 4);
  ctx.lineTo(size - 4, size - 6);
  ctx.lineTo(4, size - 6);
  ctx.closePath();
  ctx.fill();
}

/** Adds the icons once per style (a new style — another basemap — drops them). */
export function ensureIcons(map: MapLibreMap): void {
  const pixelRatio = PIXEL_RATIO;
  if (!map.hasImage(HEADING_ICON)) {
    map.addImage(HEADING_ICON, draw(HEADING_WIDTH, HEADING_HEIGHT, headingArrow), { sdf: true, pixelRatio });
  }
  if (!map.hasImage(CANDIDATE_ICON)) {
    const image = draw(CANDIDATE_SIZE, CANDIDATE_SIZE, candidateTriangle);
    map.addImage(CANDIDATE_ICON, image, { sdf: true, pixelRatio });
  }
}
