// 重复案件 duplicate suggestions: open cases of the same class within a few tens of metres, reported since a few days before it,
// offered to the acceptor for merging. Great-circle distance in SQL (no PostGIS needed), with a bounding box first so
// the lon/lat index narrows the rows.
import type pg from 'pg';
import { OPEN_STATES } from './workflow.js';

export interface DuplicateOptions {
  /** Default 50 m. */
  radiusM?: number;
  /** Default 7 days. */
  days?: number;
  /** Default 10. */
  limit?: number;
}

export interface DuplicateCandidate {
  id: string;
  number: string;
  state: string;
  classKind: string;
  classCode: string;
  description: string;
  reportedAt: Date;
  distanceM: number;
}

const EARTH_RADIUS_M = 6_371_008.8;
const M_PER_DEG_LAT = 111_320;

type Queryable = Pick<pg.Pool, 'query'>;

export async function findDuplicates(
  db: Queryable,
  subject: { id: string | null; classKind: string; classCode: string; lon: number; lat: number; atMs: number },
  opts: DuplicateOptions = {},
): Promise<DuplicateCandidate[]> {
  const radiusM = opts.radiusM ?? 50;
  const days = opts.days ?? 7;
  const dLat = radiusM / M_PER_DEG_LAT;
  const dLon = radiusM / (M_PER_DEG_LAT * Math.max(Math.cos((subject.lat * Math.PI) / 180), 1e-6));
  const { rows } = await db.query(
    `SELECT * FROM (
       SELECT id::text AS id, number, state, class_kind AS "classKind", class_code AS "classCode", description, reported_at AS "reportedAt",
              2 * $9::float8 * asin(sqrt(
                power(sin(radians(lat - $3) / 2), 2) +
                cos(radians($3)) * cos(radians(lat)) * power(sin(radians(lon - $2) / 2), 2))) AS "distanceM"
         FROM cases
        WHERE class_code = $1 AND class_kind = $13 AND state = ANY($4::text[]) AND ($5::bigint IS NULL OR id <> $5)
          AND lon BETWEEN $2 - $6 AND $2 + $6 AND lat BETWEEN $3 - $7 AND $3 + $7
          AND reported_at >= $8::timestamptz - make_interval(days => $10)
     ) d WHERE "distanceM" <= $11 ORDER BY "distanceM", id LIMIT $12`,
    [
      subject.classCode,
      subject.lon,
      subject.lat,
      OPEN_STATES,
      subject.id,
      dLon,
      dLat,
      new Date(subject.atMs),
      EARTH_RADIUS_M,
      days,
      radiusM,
      opts.limit ?? 10,
      subject.classKind,
    ],
  );
  return rows.map((r) => ({ ...r, distanceM: Math.round(Number(r.distanceM) * 10) / 10 })) as DuplicateCandidate[];
}
