// 部件事件分类 catalogue JSON → rows: the three numberings of components-events.json (and a city's own file of the same
// shape) read into major classes and 2+2-digit classes, checked, before anything touches the database.
import type { ClassKind } from '../cases/ports.js';

export const CLASS_KINDS = ['component', 'event'] as const satisfies readonly ClassKind[];

/**
 * - `cjt214_2007`: the top level of components-events.json, the CJ/T 214-2007 (Beijing-derived) lineage. Our default:
 *   it is the draft's primary numbering, and most cities' systems still descend from it.
 * - `gbt30428_2_2013`: the `gbt30428_2_2013_lineage` key, GB/T 30428.2-2013 as 运城 and China Mobile number classes.
 * - `gbt47678_5_2026`: the `gbt47678_5_2026` key, 2-digit major + 3-digit minor; read as major + the minor's last two
 *   digits (the minor numbers are the same as in the 2013 lineage), events under its `matters` key.
 */
export const NUMBERINGS = ['cjt214_2007', 'gbt30428_2_2013', 'gbt47678_5_2026'] as const;
export type Numbering = (typeof NUMBERINGS)[number];
export const DEFAULT_NUMBERING: Numbering = 'cjt214_2007';

export interface MajorClassRow {
  kind: ClassKind;
  code: string;
  nameZh: string;
  nameEn: string;
  uncertain: boolean;
  sources: string[];
}

export interface ClassRow {
  kind: ClassKind;
  code: string;
  nameZh: string;
  nameEn: string;
  altNames: string[];
  note: string | null;
  uncertain: boolean;
  sources: string[];
}

export interface CatalogueIssue {
  /** JSON path of the entry at fault, e.g. `components[0].children[3].code`. */
  path: string;
  message: string;
}

export interface CatalogueRows {
  majors: MajorClassRow[];
  classes: ClassRow[];
  issues: CatalogueIssue[];
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
const strings = (v: unknown) => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []);

/** The part of the file holding `numbering`, with the key of each kind's list. */
function sectionOf(json: Json, numbering: Numbering): { section: unknown; lists: Record<ClassKind, string> } {
  switch (numbering) {
    case 'cjt214_2007':
      return { section: json, lists: { component: 'components', event: 'events' } };
    case 'gbt30428_2_2013':
      return { section: json.gbt30428_2_2013_lineage, lists: { component: 'components', event: 'events' } };
    case 'gbt47678_5_2026':
      return { section: json.gbt47678_5_2026, lists: { component: 'components', event: 'matters' } };
  }
}

export function catalogueRows(json: unknown, numbering: Numbering): CatalogueRows {
  const rows: CatalogueRows = { majors: [], classes: [], issues: [] };
  const bad = (path: string, message: string) => rows.issues.push({ path, message });
  const root = sectionOf(isObject(json) ? json : {}, numbering);
  const prefix =
    numbering === 'cjt214_2007'
      ? ''
      : `${numbering === 'gbt47678_5_2026' ? 'gbt47678_5_2026' : 'gbt30428_2_2013_lineage'}.`;
  if (!isObject(root.section)) {
    bad(prefix || '$', `the file has no ${numbering} numbering (expected an object with a components list)`);
    return rows;
  }
  const section = root.section;
  const fiveDigit = numbering === 'gbt47678_5_2026';
  const seen = new Set<string>();
  let lists = 0;
  for (const kind of CLASS_KINDS) {
    const key = root.lists[kind];
    const majors = section[key];
    if (majors === undefined) continue;
    lists++;
    if (!Array.isArray(majors)) {
      bad(`${prefix}${key}`, `${key} must be a list of major classes`);
      continue;
    }
    majors.forEach((major: unknown, i) => {
      const at = `${prefix}${key}[${i}]`;
      if (!isObject(major)) return bad(at, 'a major class must be an object');
      const code = text(major.code);
      const nameZh = text(major.name_zh);
      if (!/^\d{2}$/.test(code)) return bad(`${at}.code`, `major class code must be 2 digits, got "${code}"`);
      if (!nameZh) return bad(`${at}.name_zh`, `major class ${code} has no name_zh`);
      if (seen.has(`${kind}:${code}`)) return bad(`${at}.code`, `major class ${kind} ${code} appears twice`);
      seen.add(`${kind}:${code}`);
      rows.majors.push({
        kind,
        code,
        nameZh,
        nameEn: text(major.name_en),
        uncertain: major.uncertain === true,
        sources: strings(major.sources),
      });
      const children = major.children ?? [];
      if (!Array.isArray(children)) return bad(`${at}.children`, 'children must be a list of classes');
      children.forEach((child: unknown, j) => {
        const cat = `${at}.children[${j}]`;
        if (!isObject(child)) return bad(cat, 'a class must be an object');
        const raw = text(child.code);
        let classCode: string;
        if (fiveDigit) {
          // 01001 → 0101: only minors up to 99 fit the 2+2-digit code our cases carry.
          const m = /^(\d{2})(\d{3})$/.exec(raw);
          if (!m || m[1] !== code) return bad(`${cat}.code`, `class code must be ${code} + 3 digits, got "${raw}"`);
          if (Number(m[2]) > 99) return bad(`${cat}.code`, `minor ${m[2]} of ${raw} does not fit a 2-digit minor code`);
          classCode = code + m[2]!.slice(1);
        } else {
          if (!/^\d{4}$/.test(raw) || !raw.startsWith(code)) {
            return bad(`${cat}.code`, `class code must be ${code} + 2 digits, got "${raw}"`);
          }
          classCode = raw;
        }
        const name = text(child.name_zh);
        if (!name) return bad(`${cat}.name_zh`, `class ${raw} has no name_zh`);
        const key2 = `${kind}:${classCode}`;
        if (seen.has(key2)) return bad(`${cat}.code`, `class ${kind} ${classCode} appears twice`);
        seen.add(key2);
        rows.classes.push({
          kind,
          code: classCode,
          nameZh: name,
          nameEn: text(child.name_en),
          altNames: strings(child.alt_names),
          note: text(child.note) || null,
          uncertain: child.uncertain === true,
          sources: strings(child.sources),
        });
      });
    });
  }
  if (lists === 0)
    bad(prefix || '$', `the ${numbering} numbering has neither ${root.lists.component} nor ${root.lists.event}`);
  return rows;
}
