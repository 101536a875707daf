// 网格管理 the unit grid as the admin screen imports and lists it (hub/http/geo.ts): districts, streets, communities and
// cells from a GeoJSON file (all or nothing, every bad feature listed), and the areas of one level.
import { api, type TokenHolder } from '$lib/api/http';
import type { Serialized } from '../../../../hub/serialized.js';
import type { Area, AreaImportReport as HubAreaImportReport } from '../../../../hub/geo/areas.js';
import type { AreaLevel } from '../../../../hub/geo/codes.js';

export type { AreaLevel };
/** The levels the screen offers, checked against the hub's (hub/geo/codes.ts AREA_LEVELS) both ways, top down. */
const LEVELS: Record<AreaLevel, true> = { district: true, street: true, community: true, cell: true };
export const AREA_LEVELS = Object.keys(LEVELS) as AreaLevel[];

/** One area as GET /api/geo/areas lists it (a feature's properties): the hub's area without its geometry. */
export type AreaRow = Serialized<Omit<Area, 'geometry' | 'bbox'>>;

/** POST /api/geo/areas: what was stored, and what the geocoder and the component inventory made of the new grid. */
export type AreaImportReport = HubAreaImportReport & { cellsLoaded: number; componentsRelocated: number };

export async function listAreas(
  session: TokenHolder,
  level: AreaLevel,
  limit: number,
  signal?: AbortSignal,
): Promise<{ areas: AreaRow[]; truncated: boolean }> {
  const body = await api<{ features: { properties: AreaRow }[]; truncated: boolean }>(session, '/api/geo/areas', {
    signal,
    query: { level, limit },
  });
  return { areas: body.features.map((f) => f.properties), truncated: body.truncated };
}

export function importAreas(session: TokenHolder, file: Blob): Promise<AreaImportReport> {
  return api(session, '/api/geo/areas', {
    method: 'POST',
    body: new Blob([file], { type: 'application/geo+json' }),
  });
}

export function importDemoGrid(session: TokenHolder): Promise<AreaImportReport> {
  return api(session, '/api/geo/demo-grid', { method: 'POST' });
}
