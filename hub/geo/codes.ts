// 区划与网格编码 area codes: a district's GB/T 2260 code (6 digits) + street (3) + community (3) + unit grid cell (3), so
// a code's length is its level and its parent is the code without its last three digits.
import type { AreaCodes } from '../cases/ports.js';

export const AREA_LEVELS = ['district', 'street', 'community', 'cell'] as const;
export type AreaLevel = (typeof AREA_LEVELS)[number];

export const CODE_LENGTH: Readonly<Record<AreaLevel, number>> = { district: 6, street: 9, community: 12, cell: 15 };

/** The level a code's length says, or null for a length that is no level. */
export function levelOfLength(length: number): AreaLevel | null {
  return AREA_LEVELS.find((level) => CODE_LENGTH[level] === length) ?? null;
}

/** The code's parent (the code without its last 3 digits); null for a district. */
export function parentCodeOf(code: string): string | null {
  return code.length > CODE_LENGTH.district ? code.slice(0, -3) : null;
}

/**
 * Why `code` is not a valid area code, or null when it is. A county-level GB/T 2260 code never ends in 00 (that is a
 * prefecture or province), and street, community and cell sequences start at 001.
 */
export function codeProblem(code: string): string | null {
  if (!/^\d+$/.test(code)) return `code "${code}" must be digits only`;
  const level = levelOfLength(code.length);
  if (!level) {
    return `code "${code}" has ${code.length} digits; a district has 6, a street 9, a community 12, a grid cell 15`;
  }
  if (code.slice(4, 6) === '00') {
    return `code "${code}" starts with ${code.slice(0, 6)}, which is a province or city code, not a district (GB/T 2260)`;
  }
  for (let end = 9; end <= code.length; end += 3) {
    if (code.slice(end - 3, end) === '000') {
      const part = end === 9 ? 'street' : end === 12 ? 'community' : 'cell';
      return `code "${code}": the ${part} sequence (digits ${end - 2}–${end}) must be 001–999`;
    }
  }
  return null;
}

/** A 15-digit cell code with its community, street and district. */
export function areaCodesOfCell(cell: string): AreaCodes {
  return {
    cell,
    community: cell.slice(0, CODE_LENGTH.community),
    street: cell.slice(0, CODE_LENGTH.street),
    district: cell.slice(0, CODE_LENGTH.district),
  };
}
