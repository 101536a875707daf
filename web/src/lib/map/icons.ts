// Map icons drawn on a canvas at start (no sprite sheet to serve or fetch): a heading arrow and a candidate marker, as
// SDF images so each layer tints them with `icon-color`.
import type { Map as MapLibreMap } from 'maplibre-gl';

export const HEADING_ICON = 'cityhub-heading';
export const CANDIDATE_ICON = 'cityhub-candidate';

const SIZE = 48;

function draw(paint: (ctx: CanvasRenderingContext2D) => void): ImageData {
  const canvas = document.createElement('canvas');
  canvas.width = SIZE;
  canvas.height = SIZE;
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#000';
  paint(ctx);
  return ctx.getImageData(0, 0, SIZE, SIZE);
}

/** A chevron pointing up (north at rotation 0), its tip beyond a marker's edge so the heading reads at a glance. */
function headingArrow(ctx: CanvasRenderingContext2D): void {
  ctx.beginPath();
  ctx.moveTo(SIZE / 2, 2);
  ctx.lineTo(SIZE / 2 + 9, 16);
  ctx.lineTo(SIZE / 2, 12);
  ctx.lineTo(SIZE / 2 - 9, 16);
  ctx.closePath();
  ctx.fill();
}

/** A warning triangle: a candidate is a suspicion, not yet a case. */
function candidateTriangle(ctx: CanvasRenderingContext2D): void {
  ctx.beginPath();
  ctx.moveTo(SIZE / 2, 4);
  ctx.lineTo(SIZE - 4, SIZE - 6);
  ctx.lineTo(4, SIZE - 6);
  ctx.closePath();
  ctx.fill();
}

/** Adds the icons once per style (a new style — another basemap — drops them). */
export function ensureIcons(map: MapLibreMap): void {
  const pixelRatio = 2;
  if (!map.hasImage(HEADING_ICON)) map.addImage(HEADING_ICON, draw(headingArrow), { sdf: true, pixelRatio });
  if (!map.hasImage(CANDIDATE_ICON)) map.addImage(CANDIDATE_ICON, draw(candidateTriangle), { sdf: true, pixelRatio });
}
