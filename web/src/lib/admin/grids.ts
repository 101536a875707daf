// 网格管理 the unit grid as the admin screen imports and lists it (hub/http/geo.ts): districts, streets, communities and
// cells from a GeoJSON file (all or nothing, every bad feature listed), and the areas of one level.
import { api, type TokenHolder } from '$lib/api/http';

export const AREA_LEVELS = ['district', 'street', 'community', 'cell'] as const;
export type AreaLevel = (typeof AREA_LEVELS)[number];

export interface AreaRow {
  code: string;
  level: AreaLevel;
  name: string;
  parentCode: string | null;
  areaM2: number;
  updatedAt: string;
}

export interface AreaImportReport {
  created: number;
  updated: number;
  byLevel: Record<AreaLevel, number>;
  cellsLoaded: number;
  componentsRelocated: number;
}

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
