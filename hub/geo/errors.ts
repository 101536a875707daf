// 网格与部件的错误 typed errors of the grid, geocoder and component inventory, each with a code the HTTP layer maps to a
// problem type and, for imports, the per-feature or per-row errors.

export type GeoErrorCode = 'InvalidAreaImport' | 'InvalidComponentImport' | 'InvalidQuery' | 'AreaNotFound';

/** One problem of an import: the feature (0-based `index`) or CSV row (1-based `row`, the header being row 1). */
export interface ImportIssue {
  index?: number;
  row?: number;
  /** The area code or component id at fault, when it could be read. */
  code?: string;
  id?: string;
  message: string;
}

export class GeoError extends Error {
  override readonly name = 'GeoError';
  constructor(
    readonly code: GeoErrorCode,
    message: string,
    readonly errors: ImportIssue[] = [],
  ) {
    super(message);
  }
}

/** At most this many errors are listed; the message says how many there were. */
export const MAX_LISTED_ERRORS = 1000;

export function importFailure(code: GeoErrorCode, what: string, errors: ImportIssue[]): GeoError {
  const listed = errors.slice(0, MAX_LISTED_ERRORS);
  const more = errors.length > listed.length ? ` (the first ${listed.length} are listed)` : '';
  return new GeoError(
    code,
    `${what}: ${errors.length} error${errors.length === 1 ? '' : 's'}${more}; nothing was imported. First: ${errors[0]?.message ?? ''}`,
    listed,
  );
}
