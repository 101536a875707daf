// 公众公开接口 what the public page reads from the hub (GET /api/public/*, no login): the evaluation's public figures
// for a month (counts and rates of the city, districts, streets, departments and classes — the indicators of
// hub/evaluation, the same ones the leaders read) and the recently closed cases — classes, streets and communities,
// times; nothing about people.
import { api } from '$lib/api/http';

/** The public counts (hub/evaluation/counters.ts); an object carries those meaningful for it. */
export type PublicCount =
  | 'reported'
  | 'publicReported'
  | 'filed'
  | 'handlingDue'
  | 'handledOnTime'
  | 'overdueUnhandled'
  | 'closureDue'
  | 'closed'
  | 'closedOnTime';
/** The public rates (hub/evaluation/rates.ts), fractions 0–1; null when nothing was due. */
export type PublicRate = 'closureRate' | 'onTimeClosureRate' | 'onTimeHandlingRate';

export interface PublicFigure {
  /** Area code, department id or `component:0101`; '' for the city. */
  id: string;
  name: string | null;
  counts: Partial<Record<PublicCount, number>>;
  rates: Partial<Record<PublicRate, number | null>>;
}

export interface PublicFigures {
  /** As asked: `2026-11`. */
  period: string;
  from: string;
  to: string;
  timeZone: string;
  generatedAt: string;
  city: PublicFigure;
  districts: PublicFigure[];
  streets: PublicFigure[];
  departments: PublicFigure[];
  /** Most reported first. */
  classes: (PublicFigure & { nameEn: string | null })[];
}

export interface PublicClosedCase {
  number: string;
  classKind: 'component' | 'event';
  classCode: string;
  classNameZh: string | null;
  classNameEn: string | null;
  district: string | null;
  street: string | null;
  community: string | null;
  reportedAt: string;
  closedAt: string;
  handledOnTime: boolean | null;
  description: string | null;
}

/** The month's figures (`2026-11`; default this month on the city's clock). */
export const getFigures = (month?: string, signal?: AbortSignal) =>
  api<PublicFigures>(null, '/api/public/evaluation', { query: { period: month }, signal });

export const getClosedCases = (limit = 20, signal?: AbortSignal) =>
  api<{ generatedAt: string; items: PublicClosedCase[] }>(null, '/api/public/closed-cases', {
    query: { limit },
    signal,
  });

/** The month before `month` (YYYY-MM). */
export function previousMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}

/** `month` and the `count - 1` months before it, newest first. */
export function recentMonths(month: string, count: number): string[] {
  const out = [month];
  while (out.length < count) out.push(previousMonth(out[out.length - 1]!));
  return out;
}
