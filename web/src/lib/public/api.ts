// 公众公开接口 what the public page reads from the hub (GET /api/public/*, no login): the evaluation's public figures
// for a month (counts and rates of the city, districts, streets, departments and classes — the indicators of
// hub/evaluation, the same ones the leaders read) and the recently closed cases — classes, streets and communities,
// times; nothing about people.
import { api } from '$lib/api/http';
import type { Serialized } from '../../../../hub/serialized.js';
import type { PublicClosedCase as HubPublicClosedCase } from '../../../../hub/cases/publicity.js';
import type {
  PublicCount,
  PublicFigure,
  PublicFigures,
  PublicRate,
} from '../../../../hub/evaluation/public-figures.js';

/** The public counts (hub/evaluation/counters.ts), the public rates (hub/evaluation/rates.ts, fractions 0–1, null when
 * nothing was due), one object's figures and the whole month's (GET /api/public/evaluation). */
export type { PublicCount, PublicFigure, PublicFigures, PublicRate };
/** A recently closed case (GET /api/public/closed-cases). */
export type PublicClosedCase = Serialized<HubPublicClosedCase>;

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
