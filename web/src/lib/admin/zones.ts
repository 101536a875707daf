// 视频区域绘制 drawing a camera's image zones (禁停 no-parking, 人群聚集 crowd, 限时禁入 restricted): the zone as the
// camera API stores it, a mouse position turned into normalised image coordinates, and the thresholds each kind needs
// (the same table as hub/cameras/zones.ts, which checks every zone again when it is saved). Pure.
import type { ImagePolygon, VideoZone, VideoZoneKind } from '../../../../ingest/video/types.js';

/** One zone as `PATCH /api/cameras/{id}` takes it (`zones` is replaced whole): the video pipeline's own zone type. */
export type { VideoZone };
export type ZoneKind = VideoZoneKind;
/** The kinds the editor offers, checked against the pipeline's both ways. */
const KINDS: Record<ZoneKind, true> = { noParking: true, crowd: true, restricted: true };
export const ZONE_KINDS = Object.keys(KINDS) as ZoneKind[];

/** A point in image coordinates: x to the right, y down, both 0–1 of the frame. */
export type ImagePoint = ImagePolygon[number];
/** A local time window of a `restricted` zone, HH:MM to HH:MM. */
export type ZoneHours = NonNullable<VideoZone['hours']>[number];

/** Decimal places kept: 1/10,000 of the frame is well under a pixel of any camera. */
const PRECISION = 10_000;

/** Where a pointer at (clientX, clientY) falls on an image drawn in `box`, clamped to the frame. */
export function imagePoint(
  box: { left: number; top: number; width: number; height: number },
  clientX: number,
  clientY: number,
): ImagePoint {
  const clamp = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * PRECISION) / PRECISION;
  return [clamp((clientX - box.left) / box.width), clamp((clientY - box.top) / box.height)];
}

/** Thresholds each kind needs (with the value a new zone starts with) and may have. */
const THRESHOLDS: Record<ZoneKind, { required: Partial<VideoZone>; allowed: readonly (keyof VideoZone)[] }> = {
  noParking: { required: { maxStationaryS: 300 }, allowed: ['maxStationaryS'] },
  crowd: { required: { maxPersons: 20 }, allowed: ['maxPersons', 'minDurationS'] },
  restricted: { required: { hours: [{ from: '22:00', to: '06:00' }] }, allowed: ['hours'] },
};
const ALL_THRESHOLDS = ['maxStationaryS', 'maxPersons', 'minDurationS', 'hours'] as const;

/** The zone with another kind: the old kind's thresholds dropped, the new kind's required ones filled in. */
export function withKind(zone: VideoZone, kind: ZoneKind): VideoZone {
  const next: VideoZone = { ...zone, kind };
  for (const t of ALL_THRESHOLDS) if (!THRESHOLDS[kind].allowed.includes(t)) delete next[t];
  for (const [key, value] of Object.entries(THRESHOLDS[kind].required)) {
    const k = key as keyof VideoZone;
    if (next[k] === undefined) (next as unknown as Record<string, unknown>)[k] = structuredClone(value);
  }
  return next;
}

/** An id not used by another zone of the camera: zone-1, zone-2, … */
export function nextZoneId(zones: readonly { id: string }[]): string {
  const taken = new Set(zones.map((z) => z.id));
  let n = 1;
  while (taken.has(`zone-${n}`)) n++;
  return `zone-${n}`;
}

/**
 * Names of the class a zone of each kind usually raises (机动车乱停放 for no-parking, 群发性事件 or a gathering for
 * crowds), looked up by name because a city's catalogue numbering decides the code (0505 in CJ/T 214, 0409 in the
 * GB/T 30428.2 lineage).
 */
const CLASS_HINTS: Record<ZoneKind, readonly string[]> = {
  noParking: ['机动车乱停放', '乱停放', '违章停车'],
  crowd: ['群发性事件', '聚集'],
  restricted: [],
};

/** The catalogue class to start a zone of this kind with, or '' when none fits (the admin picks one). */
export function suggestClass(kind: ZoneKind, classes: readonly { ref: string; nameZh: string }[]): string {
  for (const hint of CLASS_HINTS[kind]) {
    const hit = classes.find((c) => c.ref.startsWith('event:') && c.nameZh.includes(hint));
    if (hit) return hit.ref;
  }
  return '';
}

/** A new zone around a drawn polygon, with the kind's starting thresholds. */
export function newZone(zones: readonly VideoZone[], polygon: ImagePoint[], kind: ZoneKind, classRef = ''): VideoZone {
  const id = nextZoneId(zones);
  return withKind({ id, name: id, kind, polygon, classRef }, kind);
}

/** Twice the signed area (normalised units): zero when every point is on one line. */
function area2(points: readonly ImagePoint[]): number {
  let sum = 0;
  for (let i = 0; i < points.length; i++) {
    const [x1, y1] = points[i]!;
    const [x2, y2] = points[(i + 1) % points.length]!;
    sum += x1 * y2 - x2 * y1;
  }
  return sum;
}

/** Whether the points drawn so far make a zone: at least three, enclosing some area. */
export function closable(points: readonly ImagePoint[]): boolean {
  return points.length >= 3 && Math.abs(area2(points)) > 1e-6;
}

/** The points as an SVG `points` attribute in a 0–1 viewBox. */
export function svgPoints(points: readonly ImagePoint[]): string {
  return points.map(([x, y]) => `${x},${y}`).join(' ');
}

/** The zone as the API takes it: optional fields left out when empty, so the hub applies its defaults. */
export function toApiZone(zone: VideoZone): VideoZone {
  const out: VideoZone = {
    id: zone.id.trim(),
    name: zone.name.trim(),
    kind: zone.kind,
    polygon: zone.polygon.map(([x, y]) => [x, y] as ImagePoint),
    classRef: zone.classRef.trim(),
  };
  if (zone.standardId !== undefined && zone.standardId !== null) out.standardId = zone.standardId;
  const classes = (zone.classes ?? []).map((c) => c.trim()).filter(Boolean);
  if (classes.length) out.classes = classes;
  for (const t of THRESHOLDS[zone.kind].allowed) {
    const v = zone[t];
    if (v !== undefined && v !== null && !(typeof v === 'number' && Number.isNaN(v))) {
      (out as unknown as Record<string, unknown>)[t] = structuredClone(v);
    }
  }
  // A cleared number input binds null.
  if (typeof zone.minScore === 'number' && !Number.isNaN(zone.minScore)) out.minScore = zone.minScore;
  return out;
}
