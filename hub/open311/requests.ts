// Open311 GeoReport v2 service requests (公众诉求数据交换, art.18/art.49): the public view of our cases — what a
// complainant or a city portal may see. Never the complainant's name or phone, never internal notes beyond the result.
import type pg from 'pg';
import type { ClassKind } from '../cases/ports.js';
import { OPEN_STATES } from '../cases/workflow.js';

/** Open311 service_code for a class: components and events are numbered independently, so the kind is part of it. */
export function serviceCode(kind: ClassKind, code: string): string {
  return `${kind}-${code}`;
}

export function parseServiceCode(serviceCode: string): { kind: ClassKind; code: string } | null {
  const m = /^(component|event)-(\d{4})$/.exec(serviceCode);
  return m ? { kind: m[1] as ClassKind, code: m[2]! } : null;
}

export interface ServiceRequest {
  service_request_id: string;
  status: 'open' | 'closed';
  status_notes: string | null;
  service_name: string | null;
  service_code: string;
  description: string;
  agency_responsible: string | null;
  service_notice: string | null;
  requested_datetime: string;
  updated_datetime: string;
  expected_datetime: string | null;
  address: string | null;
  address_id: string | null;
  zipcode: string | null;
  lat: number;
  long: number;
  media_url: string | null;
}

export interface RequestQuery {
  ids?: string[];
  serviceCodes?: Array<{ kind: ClassKind; code: string }>;
  startMs?: number;
  endMs?: number;
  status?: Array<'open' | 'closed'>;
  limit: number;
}

interface Row {
  number: string;
  state: string;
  class_kind: ClassKind;
  class_code: string;
  description: string;
  address: string | null;
  lon: number;
  lat: number;
  attachments: string[];
  reported_at: Date;
  updated_at: Date;
  handling_deadline: Date | null;
  reject_reason: string | null;
  class_name: string | null;
  department_name: string | null;
  last_note: string | null;
}

// The latest note that tells the public something: the closing or refusal note, else the last state change's note.
const SELECT = `
  SELECT c.number, c.state, c.class_kind, c.class_code, c.description, c.address, c.lon, c.lat, c.attachments,
         c.reported_at, c.updated_at, c.handling_deadline, c.reject_reason,
         k.name_zh AS class_name, d.name AS department_name,
         (SELECT e.note FROM case_events e
           WHERE e.case_id = c.id AND e.note IS NOT NULL AND e.from_state IS DISTINCT FROM e.to_state
           ORDER BY e.seq DESC LIMIT 1) AS last_note
    FROM cases c
    LEFT JOIN catalogue_classes k ON k.kind = c.class_kind AND k.code = c.class_code
    LEFT JOIN departments d ON d.id = c.department_id`;

// Open311 has two statuses: open while somebody still has work on it; closed once resolved, refused or voided.
const isClosed = (state: string) => !(OPEN_STATES as readonly string[]).includes(state);

function toRequest(r: Row): ServiceRequest {
  const closed = isClosed(r.state);
  const media = r.attachments.find((a) => /^https?:\/\//.test(a)) ?? null;
  return {
    service_request_id: r.number,
    status: closed ? 'closed' : 'open',
    status_notes: r.state === 'rejected' ? (r.reject_reason ?? r.last_note) : closed ? r.last_note : null,
    service_name: r.class_name,
    service_code: serviceCode(r.class_kind, r.class_code),
    description: r.description,
    agency_responsible: r.department_name,
    service_notice: null,
    requested_datetime: r.reported_at.toISOString(),
    updated_datetime: r.updated_at.toISOString(),
    expected_datetime: closed ? null : (r.handling_deadline?.toISOString() ?? null),
    address: r.address,
    address_id: null,
    zipcode: null,
    lat: r.lat,
    long: r.lon,
    media_url: media,
  };
}

export async function findRequests(pool: pg.Pool, q: RequestQuery): Promise<ServiceRequest[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (q.ids) where.push(`c.number = ANY($${params.push(q.ids)})`);
  if (q.serviceCodes) {
    const pairs = q.serviceCodes.map((s) => `${s.kind}:${s.code}`);
    where.push(`(c.class_kind || ':' || c.class_code) = ANY($${params.push(pairs)})`);
  }
  if (q.startMs !== undefined) where.push(`c.reported_at >= $${params.push(new Date(q.startMs))}`);
  if (q.endMs !== undefined) where.push(`c.reported_at <= $${params.push(new Date(q.endMs))}`);
  if (q.status && q.status.length === 1) {
    where.push(`${q.status[0] === 'closed' ? 'NOT ' : ''}(c.state = ANY($${params.push(OPEN_STATES)}))`);
  }
  const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const { rows } = await pool.query<Row>(
    `${SELECT} ${clause} ORDER BY c.reported_at DESC, c.id DESC LIMIT $${params.push(q.limit)}`,
    params,
  );
  return rows.map(toRequest);
}
