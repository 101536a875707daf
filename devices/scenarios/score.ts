// 场景评分 scoring a scenario run: the candidates the hub raised against the violations injected on purpose. A candidate
// matches a violation when it names the same rule kind and class, lies within the distance tolerance of where the
// violation happened, and its time span overlaps the violation's (with a little slack for rules that wait out a
// minimum duration). Each violation takes at most one candidate; a second one for the same violation is a duplicate —
// deduplication failed — and counts against precision like any candidate that matches nothing. Pure.
import { haversineM } from '../geo.js';
import type { LonLat, Violation } from './core.js';

/** A candidate as read back from `GET /api/candidates` (the fields scoring uses). */
export interface FoundCandidate {
  id: string;
  ruleId: string | null;
  ruleKind: string | null;
  classKind: string | null;
  classCode: string;
  lon: number;
  lat: number;
  startAt: string;
  endAt: string;
  deviceId?: string | null;
  status?: string;
  mergedCount?: number;
  /** Each merged draft, oldest first (the first names the device). */
  evidenceItems?: Array<{ deviceId?: string | null }>;
  description?: string;
}

export interface Tolerance {
  /** Default 100 m. */
  distanceM: number;
  /** Slack on each side of the violation's span, default 2 min. */
  slackMs: number;
}

export const DEFAULT_TOLERANCE: Tolerance = { distanceM: 100, slackMs: 120_000 };

export interface KindScore {
  ruleKind: string;
  injected: number;
  found: number;
  missed: number;
  /** Candidates that match no violation (from clean traffic, or at the wrong place or time). */
  falseCandidates: number;
  /** Extra candidates for a violation that already has one. */
  duplicates: number;
  /** found / (found + falseCandidates + duplicates); null when the kind raised nothing. */
  precision: number | null;
  /** found / injected; null when nothing of the kind was injected. */
  recall: number | null;
}

export interface Match {
  violation: Violation;
  candidate: FoundCandidate | null;
  /** Distance from the candidate to the nearest point of the violation, metres. */
  distanceM: number | null;
}

export interface ScenarioScore {
  kinds: KindScore[];
  matches: Match[];
  /** Candidates that matched no violation, and extra ones for an already matched violation. */
  unmatched: Array<{ candidate: FoundCandidate; reason: 'false' | 'duplicate'; nearest: string | null }>;
  /** True when every violation was found exactly once and nothing else was raised. */
  passed: boolean;
}

/** `event:0112` whether the candidate stores the kind apart (classKind + classCode) or in the code. */
export function classRefOf(c: Pick<FoundCandidate, 'classKind' | 'classCode'>): string {
  if (c.classCode.includes(':')) return c.classCode;
  return c.classKind ? `${c.classKind}:${c.classCode}` : c.classCode;
}

function nearestM(p: LonLat, points: readonly LonLat[]): number {
  let best = Infinity;
  for (const q of points) best = Math.min(best, haversineM(p, q));
  return best;
}

function fits(c: FoundCandidate, v: Violation, tol: Tolerance): { ok: boolean; distanceM: number } {
  const distanceM = nearestM([c.lon, c.lat], v.where);
  if (c.ruleKind !== v.ruleKind || classRefOf(c) !== v.classRef) return { ok: false, distanceM };
  const start = Date.parse(c.startAt);
  const end = Date.parse(c.endAt);
  const overlaps = start <= v.endMs + tol.slackMs && end >= v.startMs - tol.slackMs;
  return { ok: overlaps && distanceM <= tol.distanceM, distanceM };
}

/** Scores the candidates of one run against its violations. */
export function scoreRun(
  violations: readonly Violation[],
  candidates: readonly FoundCandidate[],
  tol: Tolerance = DEFAULT_TOLERANCE,
): ScenarioScore {
  // Closest fitting pairs first, so a candidate near two violations goes to the one it is really about.
  const pairs: Array<{ vi: number; ci: number; d: number }> = [];
  violations.forEach((v, vi) =>
    candidates.forEach((c, ci) => {
      const f = fits(c, v, tol);
      if (f.ok) pairs.push({ vi, ci, d: f.distanceM });
    }),
  );
  pairs.sort((a, b) => a.d - b.d || a.vi - b.vi || a.ci - b.ci);
  const byViolation = new Map<number, { ci: number; d: number }>();
  const usedCandidates = new Set<number>();
  for (const p of pairs) {
    if (byViolation.has(p.vi) || usedCandidates.has(p.ci)) continue;
    byViolation.set(p.vi, { ci: p.ci, d: p.d });
    usedCandidates.add(p.ci);
  }
  const unmatched: ScenarioScore['unmatched'] = [];
  candidates.forEach((c, ci) => {
    if (usedCandidates.has(ci)) return;
    // A fitting violation that is already taken: the hub raised the same problem twice.
    const duplicateOf = pairs.find((p) => p.ci === ci);
    let nearest: string | null = null;
    let best = Infinity;
    for (const v of violations) {
      if (v.ruleKind !== c.ruleKind) continue;
      const d = nearestM([c.lon, c.lat], v.where);
      if (d < best) [best, nearest] = [d, `${v.deviceId} (${v.note}) at ${Math.round(d)} m`];
    }
    unmatched.push({ candidate: c, reason: duplicateOf ? 'duplicate' : 'false', nearest });
  });
  const matches: Match[] = violations.map((v, vi) => {
    const m = byViolation.get(vi);
    return { violation: v, candidate: m ? candidates[m.ci]! : null, distanceM: m ? Math.round(m.d) : null };
  });

  const kindNames = [
    ...new Set([...violations.map((v) => v.ruleKind), ...candidates.map((c) => c.ruleKind ?? '(none)')]),
  ].sort();
  const kinds = kindNames.map((ruleKind): KindScore => {
    const injected = violations.filter((v) => v.ruleKind === ruleKind).length;
    const found = matches.filter((m) => m.violation.ruleKind === ruleKind && m.candidate).length;
    const mine = unmatched.filter((u) => (u.candidate.ruleKind ?? '(none)') === ruleKind);
    const falseCandidates = mine.filter((u) => u.reason === 'false').length;
    const duplicates = mine.filter((u) => u.reason === 'duplicate').length;
    const raised = found + falseCandidates + duplicates;
    return {
      ruleKind,
      injected,
      found,
      missed: injected - found,
      falseCandidates,
      duplicates,
      precision: raised === 0 ? null : found / raised,
      recall: injected === 0 ? null : found / injected,
    };
  });
  const passed = kinds.every((k) => k.missed === 0 && k.falseCandidates === 0 && k.duplicates === 0);
  return { kinds, matches, unmatched, passed };
}

const pct = (x: number | null): string => (x === null ? '   –  ' : `${(x * 100).toFixed(1).padStart(5)}%`);

/** The score as a plain-text table plus the misses and false candidates, for the console. */
export function formatScore(name: string, score: ScenarioScore): string {
  const lines = [
    `scenario ${name}: ${score.passed ? 'PASSED' : 'FAILED'}`,
    '  rule kind                 injected  found  missed  false  dup  precision  recall',
  ];
  for (const k of score.kinds) {
    lines.push(
      `  ${k.ruleKind.padEnd(24)} ${String(k.injected).padStart(8)} ${String(k.found).padStart(6)} ` +
        `${String(k.missed).padStart(7)} ${String(k.falseCandidates).padStart(6)} ${String(k.duplicates).padStart(4)}` +
        `     ${pct(k.precision)}  ${pct(k.recall)}`,
    );
  }
  for (const m of score.matches) {
    if (!m.candidate) {
      const v = m.violation;
      lines.push(
        `  MISSED ${v.ruleKind} ${v.classRef} ${v.deviceId}: ${v.note} ` +
          `(${new Date(v.startMs).toISOString()} – ${new Date(v.endMs).toISOString()})`,
      );
    }
  }
  for (const u of score.unmatched) {
    const c = u.candidate;
    lines.push(
      `  ${u.reason === 'duplicate' ? 'DUPLICATE' : 'FALSE'} candidate ${c.id} ${c.ruleKind ?? '?'} ${classRefOf(c)} ` +
        `${c.deviceId ?? c.evidenceItems?.[0]?.deviceId ?? ''} at ${c.lon.toFixed(5)},${c.lat.toFixed(5)} ${c.startAt} – ${c.endAt}` +
        (u.nearest ? `; nearest violation ${u.nearest}` : ''),
    );
  }
  return lines.join('\n');
}
