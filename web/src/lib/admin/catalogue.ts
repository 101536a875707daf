// 分类与标准导入 the catalogue of component/event classes and the city standard (立案/处置/结案标准) as the admin screen
// imports them (hub/http/catalogue.ts): a standard CSV is tried first (dry run, nothing stored) and imported only after.
import { api, type TokenHolder } from '$lib/api/http';
import type { Serialized } from '../../../../hub/serialized.js';
import type { ClassKind } from '../../../../hub/cases/ports.js';
import type { CatalogueClassInfo } from '../../../../hub/catalogue/catalogue.js';
import type { Numbering } from '../../../../hub/catalogue/classes.js';
import type { StandardsImportResult } from '../../../../hub/catalogue/standards.js';
import type { Page } from './devices';

export type { ClassKind, Numbering };
/** The catalogue numberings the screen offers, checked against the hub's (hub/catalogue/classes.ts) both ways. */
const NUMBERING_SET: Record<Numbering, true> = { cjt214_2007: true, gbt30428_2_2013: true, gbt47678_5_2026: true };
export const NUMBERINGS = Object.keys(NUMBERING_SET) as Numbering[];

/** A class of the catalogue (GET /api/catalogue/classes); the same as the workflow screens'. */
export type CatalogueClass = Serialized<CatalogueClassInfo>;

/** POST /api/catalogue/standards: the standard file checked (dry run) or imported. */
export type StandardsReport = StandardsImportResult;

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
