// 信息公开 publishing closed cases to the public (art.49): what the city fixed, where (street and community, never
// the point or the address), when it was reported and closed, and whether on time — with no personal data: no names,
// phone numbers, user or device ids, no complainant's words (descriptions only as hub/cases/privacy.ts allows).
import type pg from 'pg';
import { publicDescription } from './privacy.js';

type Queryable = Pick<pg.Pool, 'query'>;

export interface PublicClosedCase {
  /** 案件编号, e.g. 20261201-0001: lets a complainant find their own case. */
  number: string;
  classKind: 'component' | 'event';
  classCode: string;
  classNameZh: string | null;
  classNameEn: string | null;
  /** 街道 and 社区 names (null outside the grid or without names). */
  district: string | null;
  street: string | null;
  community: string | null;
  reportedAt: Date;
  closedAt: Date;
  /** Handled by the deadline (null: no handling clock, e.g. never dispatched). */
  handledOnTime: boolean | null;
  description: string | null;
}

/** The cases closed most recently (closed or since evaluated), newest first. */
export async function recentlyClosed(db: Queryable, limit: number): Promise<PublicClosedCase[]> {
  const { rows } = await db.query<{
    number: string;
    class_kind: 'component' | 'event';
    class_code: string;
    name_zh: string | null;
    name_en: string | null;
    district: string | null;
    street: string | null;
    community: string | null;
    reported_at: Date;
    closed_at: Date;
    on_time: boolean | null;
    source: string;
    description: string;
  }>(
    `SELECT c.number, c.class_kind, c.class_code, k.name_zh, nullif(k.name_en, '') AS name_en,
            d.name AS district, s.name AS street, m.name AS community, c.reported_at, c.closed_at,
            CASE WHEN c.handling_deadline IS NULL OR c.handled_at IS NULL THEN NULL
                 ELSE c.handled_at <= c.handling_deadline END AS on_time,
            c.source, c.description
       FROM cases c
       LEFT JOIN catalogue_classes k ON k.kind = c.class_kind AND k.code = c.class_code
       LEFT JOIN areas d ON d.code = c.district_code
       LEFT JOIN areas s ON s.code = c.street_code
       LEFT JOIN areas m ON m.code = c.community_code
      WHERE c.state IN ('closed', 'evaluated') AND c.closed_at IS NOT NULL
      ORDER BY c.closed_at DESC, c.id DESC
      LIMIT $1`,
    [limit],
  );
  return rows.map((r) => ({
    number: r.number,
    classKind: r.class_kind,
    classCode: r.class_code,
    classNameZh: r.name_zh,
    classNameEn: r.name_en,
    district: r.district,
    street: r.street,
    community: r.community,
    reportedAt: r.reported_at,
    closedAt: r.closed_at,
    handledOnTime: r.on_time,
    description: publicDescription(r.source, r.description),
  }));
}
