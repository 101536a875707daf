// 部件事件分类 the catalogue's classes on the phone: fetched whole (a few hundred) when there is signal and kept in
// localStorage, so the class picker searches by code and name without a round trip — and without signal at all.
import { api, type TokenHolder } from '$lib/api/http';

export interface ClassEntry {
  kind: 'component' | 'event';
  code: string;
  nameZh: string;
  nameEn: string;
  majorNameZh: string;
  majorNameEn: string;
  altNames: string[];
}

const STORAGE_KEY = 'cityhub.collector.classes';

/** The classes kept from the last fetch (empty before the first). */
export function storedClasses(): ClassEntry[] {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    const value = raw ? (JSON.parse(raw) as { items?: ClassEntry[] }) : null;
    return Array.isArray(value?.items) ? value.items : [];
  } catch {
    return [];
  }
}

/** Every class from the hub, a page at a time, kept for offline use; the kept list when the hub cannot be reached. */
export async function loadClasses(session: TokenHolder): Promise<ClassEntry[]> {
  const items: ClassEntry[] = [];
  try {
    for (;;) {
      const page = await api<{ items: ClassEntry[]; total: number }>(session, '/api/catalogue/classes', {
        query: { limit: 1000, offset: items.length },
      });
      for (const c of page.items) {
        const { kind, code, nameZh, nameEn, majorNameZh, majorNameEn, altNames } = c;
        items.push({ kind, code, nameZh, nameEn, majorNameZh, majorNameEn, altNames: altNames ?? [] });
      }
      if (page.items.length === 0 || items.length >= page.total) break;
    }
  } catch (err) {
    const kept = storedClasses();
    if (kept.length) return kept;
    throw err;
  }
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify({ savedAt: new Date().toISOString(), items }));
  } catch {
    // Storage full or disabled: the picker works while online.
  }
  return items;
}

/** `component:0101` — the reference a report sends (a bare 0101 can be both kinds). */
export const classRef = (c: Pick<ClassEntry, 'kind' | 'code'>) => `${c.kind}:${c.code}`;

/**
 * Classes matching what the collector typed: a code (`01`, `0101`) matches by prefix and ranks first; otherwise the
 * Chinese or English name or an alternative name contains it. Case-insensitive; at most `limit`.
 */
export function searchClasses(classes: readonly ClassEntry[], query: string, limit = 30): ClassEntry[] {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const byCode: ClassEntry[] = [];
  const byName: ClassEntry[] = [];
  for (const c of classes) {
    if (c.code.startsWith(q) || classRef(c).startsWith(q)) byCode.push(c);
    else if (
      c.nameZh.toLowerCase().includes(q) ||
      c.nameEn.toLowerCase().includes(q) ||
      c.altNames.some((n) => n.toLowerCase().includes(q))
    ) {
      byName.push(c);
    }
  }
  return [...byCode, ...byName].slice(0, limit);
}

/** The class's name in the current language, with its code. */
export function classLabel(c: ClassEntry, english: boolean): string {
  const name = english && c.nameEn ? c.nameEn : c.nameZh;
  return `${c.code} ${name}`;
}
