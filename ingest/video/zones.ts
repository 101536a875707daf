// 视频区域 image zones: which objects stand inside a zone drawn on the camera picture. Polygons are normalised (0–1) so a
// zone survives a change of stream resolution; an object's ground point is its box's bottom centre (where a car's
// wheels or a person's feet touch the street), not its box centre, which for a tall object leans into the zone behind.
import type { Box, ImagePolygon } from './types.js';

/** Whether the normalised point lies inside the polygon (ray casting; points on an edge may fall either way). */
export function pointInImagePolygon(x: number, y: number, polygon: ImagePolygon): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i]!;
    const [xj, yj] = polygon[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** The box's ground point (bottom centre), normalised to the frame. */
export function groundPoint(box: Box, frameWidth: number, frameHeight: number): [x: number, y: number] {
  return [(box.x + box.width / 2) / frameWidth, (box.y + box.height) / frameHeight];
}

/** Whether the box (in pixels of a frame of that size) stands in the polygon, judged by its ground point. */
export function boxInImagePolygon(box: Box, frameWidth: number, frameHeight: number, polygon: ImagePolygon): boolean {
  const [x, y] = groundPoint(box, frameWidth, frameHeight);
  return pointInImagePolygon(x, y, polygon);
}

/** Signed area in normalised units (shoelace); its absolute value is the share of the picture the polygon covers. */
export function polygonArea(polygon: ImagePolygon): number {
  let twice = 0;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i]!;
    const [xj, yj] = polygon[j]!;
    twice += xj * yi - xi * yj;
  }
  return twice / 2;
}

function segmentsCross(a: [number, number], b: [number, number], c: [number, number], d: [number, number]): boolean {
  const orient = (p: [number, number], q: [number, number], r: [number, number]): number =>
    Math.sign((q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]));
  // Proper crossings only: adjacent edges share a vertex, and collinear overlaps are caught by the zero-area check.
  return orient(a, b, c) * orient(a, b, d) < 0 && orient(c, d, a) * orient(c, d, b) < 0;
}

/**
 * Problems with a drawn polygon (empty when fine): at least 3 vertices, finite coordinates within 0–1, a non-zero
 * area and no crossing edges (a bow-tie makes "inside" ambiguous to the operator who drew it).
 */
export function checkImagePolygon(polygon: unknown): string[] {
  if (!Array.isArray(polygon)) return ['polygon must be an array of [x, y] points'];
  const problems: string[] = [];
  if (polygon.length < 3) problems.push(`polygon needs at least 3 points, has ${polygon.length}`);
  polygon.forEach((p: unknown, i) => {
    if (!Array.isArray(p) || p.length !== 2 || !p.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      problems.push(`polygon[${i}] must be [x, y] with finite numbers`);
    } else if (p.some((v: number) => v < 0 || v > 1)) {
      problems.push(`polygon[${i}] = [${p.join(', ')}] is outside the picture: coordinates are normalised to 0–1`);
    }
  });
  if (problems.length > 0) return problems;
  const poly = polygon as ImagePolygon;
  const n = poly.length;
  for (let i = 0; i < n; i++) {
    for (let j = i + 2; j < n; j++) {
      if (i === 0 && j === n - 1) continue; // the first and last edges share vertex 0
      if (segmentsCross(poly[i]!, poly[(i + 1) % n]!, poly[j]!, poly[(j + 1) % n]!)) {
        problems.push(`polygon edges ${i} and ${j} cross: draw the points in order around the zone`);
      }
    }
  }
  if (problems.length === 0 && Math.abs(polygonArea(poly)) < 1e-9) {
    problems.push('polygon has no area (its points are on one line)');
  }
  return problems;
}
