// 取证材料 the photos a detector candidate carries: the media ids of its own evidence and of every draft merged into it
// (a camera's snapshot, a handheld's photos), each once, oldest first. Pure.
import type { Candidate } from './types';

function idsIn(evidence: unknown): string[] {
  if (typeof evidence !== 'object' || evidence === null) return [];
  const e = evidence as { mediaIds?: unknown; snapshot?: unknown };
  const out: string[] = [];
  if (Array.isArray(e.mediaIds)) out.push(...e.mediaIds.filter((m): m is string => typeof m === 'string' && m !== ''));
  const snap = e.snapshot as { mediaId?: unknown } | null | undefined;
  if (snap && typeof snap.mediaId === 'string' && snap.mediaId !== '') out.push(snap.mediaId);
  return out;
}

/** Evidence is whatever the detector sent with the draft, so it is read defensively (and typed as unknown here). */
export function candidateMediaIds(c: { evidence: unknown; evidenceItems: readonly { evidence: unknown }[] }): string[] {
  const ids = [...c.evidenceItems.flatMap((item) => idsIn(item.evidence)), ...idsIn(c.evidence)];
  return [...new Set(ids)];
}

/** The candidate's class as kind and bare code: a candidate keeps the class reference it was raised with, which may
 * carry its kind (`component:0101`) or not (`0101`, kind unknown). */
export function candidateClass(c: Pick<Candidate, 'classCode' | 'classKind'>): {
  kind: 'component' | 'event' | null;
  code: string;
} {
  const m = /^(?:(component|event):)?([0-9]{4})$/.exec(c.classCode);
  if (!m) return { kind: c.classKind, code: c.classCode };
  return { kind: (m[1] as 'component' | 'event' | undefined) ?? c.classKind, code: m[2]! };
}
