// 分类与标准导入 the catalogue of component/event classes and the city standard (立案/处置/结案标准) as the admin screen
// imports them (hub/http/catalogue.ts): a standard CSV is tried first (dry run, nothing stored) and imported only after.
import { api, type TokenHolder } from '$lib/api/http';
import type { Page } from './devices';

export type ClassKind = 'component' | 'event';
export const NUMBERINGS = ['cjt214_2007', 'gbt30428_2_2013', 'gbt47678_5_2026'] as const;
export type Numbering = (typeof NUMBERINGS)[number];

export interface CatalogueClass {
  kind: ClassKind;
  code: string;
  nameZh: string;
  nameEn: string;
  majorCode: string;
  majorNameZh: string;
  majorNameEn: string;
  uncertain: boolean;
  origin: string;
}

export interface ImportIssue {
  row?: number;
  path?: string;
  field?: string;
  code?: string;
  text?: string;
  message: string;
}

export interface StandardsReport {
  kind: ClassKind;
  classes: number;
  situations: number;
  created: { row: number; kind: ClassKind; code: string; nameZh: string; majorCreated: boolean }[];
  warnings: ImportIssue[];
  errors: ImportIssue[];
  dryRun: boolean;
  stored: boolean;
}

export function listClasses(
  session: TokenHolder,
  filter: { kind?: ClassKind | ''; q?: string },
  page: { limit: number; offset: number },
  signal?: AbortSignal,
): Promise<Page<CatalogueClass>> {
  return api(session, '/api/catalogue/classes', {
    signal,
    query: { kind: filter.kind, q: filter.q?.trim(), ...page },
  });
}

/** Dry run: the whole report, nothing stored. Otherwise all or nothing (a file with errors is refused with them). */
export function importStandards(
  session: TokenHolder,
  file: Blob,
  kind: ClassKind,
  dryRun: boolean,
): Promise<StandardsReport> {
  return api(session, '/api/catalogue/standards/import', {
    method: 'POST',
    query: { kind, dryRun },
    body: new Blob([file], { type: 'text/csv' }),
  });
}

export function importCatalogue(
  session: TokenHolder,
  file: Blob,
  numbering: Numbering,
): Promise<{ numbering: string; majors: number; classes: number }> {
  return api(session, '/api/catalogue/import', {
    method: 'POST',
    query: { numbering },
    body: new Blob([file], { type: 'application/json' }),
  });
}
