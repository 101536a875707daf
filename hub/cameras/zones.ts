// 视频区域 a camera's image zones (禁停 no-parking, 人群聚集 crowd, 限时禁入 restricted): checked whole before they are
// stored, one message per problem with the path of the bad value, so an admin drawing zones fixes them in one pass.
// Pure: the catalogue check (does the class exist) is the registry's.
import type { VideoZone, VideoZoneKind } from '../../ingest/video/types.js';

export const ZONE_KINDS = ['noParking', 'crowd', 'restricted'] as const satisfies readonly VideoZoneKind[];
export const ZONE_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;
/** `event:0406`, `component:0101`, or a bare 4-digit code (the catalogue resolves which). */
export const CLASS_REF_PATTERN = /^((component|event):)?\d{4}$/;
const HOUR_PATTERN = /^([01]\d|2[0-3]):[0-5]\d$/;

export const ZONE_LIMITS = {
  zones: 32,
  points: 100,
  name: 200,
  /** A day: nothing stands still in a street camera's view longer and still means the same thing. */
  maxStationaryS: 86_400,
  maxPersons: 10_000,
  minDurationS: 86_400,
  hours: 8,
  classes: 20,
} as const;

/** Which thresholds each kind needs (required) and may have (allowed). */
const THRESHOLDS: Record<VideoZoneKind, { required: readonly string[]; allowed: readonly string[] }> = {
  noParking: { required: ['maxStationaryS'], allowed: ['maxStationaryS'] },
  crowd: { required: ['maxPersons'], allowed: ['maxPersons', 'minDurationS'] },
  restricted: { required: ['hours'], allowed: ['hours'] },
};
const ALL_THRESHOLDS = ['maxStationaryS', 'maxPersons', 'minDurationS', 'hours'];
const KNOWN = new Set([
  'id',
  'name',
  'kind',
  'polygon',
  'classRef',
  'standardId',
  'classes',
  'minScore',
  ...ALL_THRESHOLDS,
]);

export interface ZoneIssue {
  /** `zones[2].polygon[1]` */
  field: string;
  message: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** Twice the signed area of the polygon (normalised units): zero when the points are on one line. */
function area2(points: Array<[number, number]>): number {
  let sum = 0;
  for (let i = 0; i < points.length; i++) {
    const [x1, y1] = points[i]!;
    const [x2, y2] = points[(i + 1) % points.length]!;
    sum += x1 * y2 - x2 * y1;
  }
  return sum;
}

/**
 * Every problem with a list of zones: shape, ids unique, polygon points in 0–1 (≥ 3, not all on one line), the kind's
 * thresholds present and no other kind's, hours as HH:MM, COCO classes among `knownClasses` when given.
 */
export function zoneIssues(zones: unknown, knownClasses?: readonly string[]): ZoneIssue[] {
  const issues: ZoneIssue[] = [];
  if (!Array.isArray(zones)) return [{ field: 'zones', message: 'must be an array of zones' }];
  if (zones.length > ZONE_LIMITS.zones) {
    issues.push({ field: 'zones', message: `at most ${ZONE_LIMITS.zones} zones per camera, got ${zones.length}` });
  }
  const seen = new Set<string>();
  zones.forEach((zone, i) => {
    const at = (f?: string) => (f ? `zones[${i}].${f}` : `zones[${i}]`);
    const bad = (f: string | undefined, message: string) => issues.push({ field: at(f), message });
    if (!isObject(zone)) return bad(undefined, 'must be an object');
    for (const key of Object.keys(zone)) if (!KNOWN.has(key)) bad(key, 'is not a zone property');

    if (typeof zone.id !== 'string' || !ZONE_ID_PATTERN.test(zone.id)) {
      bad('id', 'must be 1–64 characters from A–Z a–z 0–9 . _ : -');
    } else if (seen.has(zone.id)) bad('id', `"${zone.id}" is used by another zone of this camera`);
    else seen.add(zone.id);
    if (typeof zone.name !== 'string' || zone.name.trim() === '' || zone.name.length > ZONE_LIMITS.name) {
      bad('name', `must be a non-blank text of at most ${ZONE_LIMITS.name} characters`);
    }
    if (typeof zone.classRef !== 'string' || !CLASS_REF_PATTERN.test(zone.classRef)) {
      bad('classRef', 'must be a catalogue class like event:0406 or component:0101');
    }
    if (zone.standardId !== undefined && zone.standardId !== null && !(isInt(zone.standardId) && zone.standardId > 0)) {
      bad('standardId', 'must be a situation id (a positive integer) or null');
    }
    if (
      zone.minScore !== undefined &&
      !(typeof zone.minScore === 'number' && zone.minScore >= 0 && zone.minScore <= 1)
    ) {
      bad('minScore', 'must be a number from 0 to 1');
    }
    if (zone.classes !== undefined) {
      const classes = zone.classes;
      if (!Array.isArray(classes) || classes.length === 0 || classes.length > ZONE_LIMITS.classes) {
        bad('classes', `must be a list of 1–${ZONE_LIMITS.classes} COCO class names`);
      } else {
        classes.forEach((c, j) => {
          if (typeof c !== 'string' || (knownClasses && !knownClasses.includes(c))) {
            bad(`classes[${j}]`, `${JSON.stringify(c)} is not a class the detector knows (e.g. car, person, truck)`);
          }
        });
      }
    }
    polygonIssues(zone.polygon, at('polygon'), issues);

    if (typeof zone.kind !== 'string' || !(ZONE_KINDS as readonly string[]).includes(zone.kind)) {
      return bad('kind', `must be one of ${ZONE_KINDS.join(', ')}`);
    }
    const rule = THRESHOLDS[zone.kind as VideoZoneKind];
    for (const t of ALL_THRESHOLDS) {
      if (zone[t] === undefined) {
        if (rule.required.includes(t)) bad(t, `is required for a ${zone.kind} zone`);
      } else if (!rule.allowed.includes(t)) {
        bad(t, `does not apply to a ${zone.kind} zone`);
      }
    }
    const positive = (t: 'maxStationaryS' | 'maxPersons' | 'minDurationS', min: number, max: number) => {
      const v = zone[t];
      if (v !== undefined && rule.allowed.includes(t) && !(isInt(v) && v >= min && v <= max)) {
        bad(t, `must be a whole number from ${min} to ${max}`);
      }
    };
    positive('maxStationaryS', 1, ZONE_LIMITS.maxStationaryS);
    positive('maxPersons', 1, ZONE_LIMITS.maxPersons);
    positive('minDurationS', 0, ZONE_LIMITS.minDurationS);
    if (zone.hours !== undefined && rule.allowed.includes('hours')) {
      const hours = zone.hours;
      if (!Array.isArray(hours) || hours.length === 0 || hours.length > ZONE_LIMITS.hours) {
        bad('hours', `must be a list of 1–${ZONE_LIMITS.hours} windows like { "from": "22:00", "to": "06:00" }`);
      } else {
        hours.forEach((h, j) => {
          const ok =
            isObject(h) &&
            Object.keys(h).every((k) => k === 'from' || k === 'to') &&
            typeof h.from === 'string' &&
            typeof h.to === 'string' &&
            HOUR_PATTERN.test(h.from) &&
            HOUR_PATTERN.test(h.to) &&
            h.from !== h.to;
          if (!ok)
            bad(`hours[${j}]`, 'must be { "from": "HH:MM", "to": "HH:MM" } (local time, from ≠ to; may wrap midnight)');
        });
      }
    }
  });
  return issues;
}

function polygonIssues(polygon: unknown, field: string, issues: ZoneIssue[]): void {
  if (!Array.isArray(polygon) || polygon.length < 3 || polygon.length > ZONE_LIMITS.points) {
    issues.push({ field, message: `must be 3–${ZONE_LIMITS.points} points [x, y] in image coordinates 0–1` });
    return;
  }
  let ok = true;
  polygon.forEach((p, j) => {
    const valid =
      Array.isArray(p) &&
      p.length === 2 &&
      p.every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0 && n <= 1);
    if (!valid) {
      ok = false;
      issues.push({ field: `${field}[${j}]`, message: 'must be [x, y] with 0 ≤ x, y ≤ 1 (x right, y down)' });
    }
  });
  if (ok && Math.abs(area2(polygon as Array<[number, number]>)) < 1e-9) {
    issues.push({ field, message: 'encloses no area (its points lie on one line)' });
  }
}

/** The zones as stored: only the known properties, in a stable order. Call after `zoneIssues` found none. */
export function normaliseZones(zones: unknown[]): VideoZone[] {
  return (zones as VideoZone[]).map((z) => ({
    id: z.id,
    name: z.name.trim(),
    kind: z.kind,
    polygon: z.polygon.map(([x, y]) => [x, y] as [number, number]),
    classRef: z.classRef,
    ...(z.standardId !== undefined ? { standardId: z.standardId } : {}),
    ...(z.classes !== undefined ? { classes: [...z.classes] } : {}),
    ...(z.maxStationaryS !== undefined ? { maxStationaryS: z.maxStationaryS } : {}),
    ...(z.maxPersons !== undefined ? { maxPersons: z.maxPersons } : {}),
    ...(z.minDurationS !== undefined ? { minDurationS: z.minDurationS } : {}),
    ...(z.hours !== undefined ? { hours: z.hours.map((h) => ({ from: h.from, to: h.to })) } : {}),
    ...(z.minScore !== undefined ? { minScore: z.minScore } : {}),
  }));
}
