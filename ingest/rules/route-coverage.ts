// 路线覆盖 route coverage: a sweeper (sanitation vehicle) must cover its assigned street segments by a local deadline
// each day. A segment counts as covered when the vehicle's path passed within corridorM of at least minCoveredPct % of
// its length, sampled every ~10 m; at the deadline (stream time crossing it) one candidate per assignment lists the
// segments left uncovered. Coverage restarts each local day.
import { Type, type Static } from '@sinclair/typebox';
import { draftHead, HHMM_PATTERN, LineStringSchema, lineProblems, ruleSchema } from './config-base.js';
import { ProjectedLine, segmentDistance2 } from './line.js';
import { TrackBuffer, usableFix } from './track.js';
import type { CandidateDraft, Rule, RuleContext, RuleModule } from './types.js';
import { localDayKey, localInstant, nextDayKey, parseHhmm } from './local-time.js';

const KIND = 'route-coverage';
const DEFAULT_CORRIDOR_M = 30;
const DEFAULT_MIN_COVERED_PCT = 90;
const SAMPLE_STEP_M = 10;
/**
 * Consecutive fixes closer in time than this are joined: the vehicle drove the stretch in between, so samples between
 * two fixes 60 m apart count. Farther apart (a data gap) only the fixes themselves count.
 */
const MAX_JOIN_GAP_MS = 120_000;

export const RouteCoverageSchema = ruleSchema(KIND, '路线覆盖', {
  assignments: Type.Array(
    Type.Object(
      {
        deviceId: Type.String({ minLength: 1 }),
        segments: Type.Array(
          Type.Object({ id: Type.String({ minLength: 1 }), line: LineStringSchema }, { additionalProperties: false }),
          { minItems: 1 },
        ),
        deadline: Type.String({
          pattern: HHMM_PATTERN,
          description: 'Local HH:MM by which the segments must be covered',
        }),
        minCoveredPct: Type.Optional(Type.Number({ minimum: 0, maximum: 100, default: DEFAULT_MIN_COVERED_PCT })),
      },
      { additionalProperties: false },
    ),
    { minItems: 1 },
  ),
  corridorM: Type.Optional(Type.Number({ exclusiveMinimum: 0, default: DEFAULT_CORRIDOR_M })),
});
export type RouteCoverageConfig = Static<typeof RouteCoverageSchema>;

interface Segment {
  id: string;
  line: ProjectedLine;
  /** Sample points, flat [x, y, …] metres in the segment's own projection. */
  samples: Float64Array;
  covered: Uint8Array;
  coveredCount: number;
}

interface Assignment {
  index: number;
  deviceId: string;
  deadlineMinute: number;
  minCoveredPct: number;
  segments: Segment[];
  /** The local day being tracked, its deadline instant, and whether that day is settled (fired or skipped). */
  dayKey: string | null;
  dayStartMs: number;
  deadlineMs: number;
  nextDayStartMs: number;
  settled: boolean;
  /** The previous fix, to join consecutive fixes into a path. */
  lastTimeMs: number;
  lastLon: number;
  lastLat: number;
}

function coveredPct(s: Segment): number {
  return (100 * s.coveredCount) / (s.samples.length / 2);
}

/** Marks the samples within corridorM of the path from (lon0, lat0) to (lon1, lat1). */
function cover(s: Segment, lon0: number, lat0: number, lon1: number, lat1: number, corridorM: number): void {
  const l = s.line;
  const ax = l.x(lon0);
  const ay = l.y(lat0);
  const bx = l.x(lon1);
  const by = l.y(lat1);
  // Skip segments whose bbox is farther than the corridor from the path's bbox.
  if (
    Math.min(ax, bx) - corridorM > l.maxX ||
    Math.max(ax, bx) + corridorM < l.minX ||
    Math.min(ay, by) - corridorM > l.maxY ||
    Math.max(ay, by) + corridorM < l.minY
  ) {
    return;
  }
  const c2 = corridorM * corridorM;
  for (let i = 0; i < s.covered.length; i++) {
    if (s.covered[i]) continue;
    if (segmentDistance2(s.samples[2 * i]!, s.samples[2 * i + 1]!, ax, ay, bx, by) <= c2) {
      s.covered[i] = 1;
      s.coveredCount++;
    }
  }
}

export const rule: RuleModule<RouteCoverageConfig> = {
  kind: KIND,
  nameZh: '路线覆盖',
  schema: RouteCoverageSchema,
  check(config) {
    const problems: string[] = [];
    for (const [i, a] of config.assignments.entries()) {
      if (parseHhmm(a.deadline) === null) problems.push(`assignments[${i}].deadline: not HH:MM`);
      const ids = new Set<string>();
      for (const [j, s] of a.segments.entries()) {
        if (ids.has(s.id)) problems.push(`assignments[${i}].segments[${j}]: duplicate segment id "${s.id}"`);
        ids.add(s.id);
        problems.push(...lineProblems(`assignments[${i}].segments[${j}].line`, s.line.coordinates));
      }
    }
    return problems;
  },
  create(config): Rule {
    const corridorM = config.corridorM ?? DEFAULT_CORRIDOR_M;
    const assignments: Assignment[] = config.assignments.map((a, index) => ({
      index,
      deviceId: a.deviceId,
      deadlineMinute: parseHhmm(a.deadline) ?? 0,
      minCoveredPct: a.minCoveredPct ?? DEFAULT_MIN_COVERED_PCT,
      segments: a.segments.map((s) => {
        const line = new ProjectedLine(s.line.coordinates);
        const samples = line.samples(SAMPLE_STEP_M);
        return { id: s.id, line, samples, covered: new Uint8Array(samples.length / 2), coveredCount: 0 };
      }),
      dayKey: null,
      dayStartMs: 0,
      deadlineMs: 0,
      nextDayStartMs: 0,
      settled: false,
      lastTimeMs: -Infinity,
      lastLon: 0,
      lastLat: 0,
    }));
    const byDevice = new Map<string, Assignment[]>();
    for (const a of assignments) byDevice.set(a.deviceId, [...(byDevice.get(a.deviceId) ?? []), a]);
    const tracks = new TrackBuffer(360);

    function startDay(a: Assignment, dayKey: string, timeZone: string): void {
      a.dayKey = dayKey;
      a.dayStartMs = localInstant(dayKey, 0, timeZone);
      a.deadlineMs = localInstant(dayKey, a.deadlineMinute, timeZone);
      a.nextDayStartMs = localInstant(nextDayKey(dayKey), 0, timeZone);
      a.settled = false;
      a.lastTimeMs = -Infinity;
      for (const s of a.segments) {
        s.covered.fill(0);
        s.coveredCount = 0;
      }
    }

    function settle(a: Assignment, ctx: RuleContext): CandidateDraft[] {
      a.settled = true;
      const measured = a.segments.map((s) => ({ id: s.id, coveredPct: Math.round(coveredPct(s) * 10) / 10 }));
      const uncovered = a.segments.filter((s) => coveredPct(s) < a.minCoveredPct);
      if (uncovered.length === 0) return [];
      const [lon, lat] = uncovered[0]!.line.midpoint();
      const dayStartMs = a.dayStartMs;
      const ids = uncovered.map((s) => s.id);
      return [
        {
          ...draftHead(config),
          deviceId: a.deviceId,
          lon,
          lat,
          cell: ctx.locate(lon, lat)?.cell ?? null,
          startMs: dayStartMs,
          endMs: a.deadlineMs,
          confidence: 0.9,
          description:
            `${a.deviceId} left ${ids.length} of ${a.segments.length} assigned segment(s) uncovered by ` +
            `${config.assignments[a.index]!.deadline} on ${a.dayKey}: ${ids.join(', ')}`,
          evidence: {
            track: tracks.snippet(a.deviceId, dayStartMs, a.deadlineMs),
            measured: { day: a.dayKey, uncovered: ids, segments: measured, minCoveredPct: a.minCoveredPct, corridorM },
          },
          key: `${config.id}:${a.deviceId}:${a.index}:${a.dayKey}`,
        },
      ];
    }

    return {
      id: config.id,
      kind: KIND,
      forgetDevice(deviceId) {
        tracks.forget(deviceId);
        // Judged afresh from the day's history if the vehicle comes back; meanwhile its process judges it.
        for (const a of byDevice.get(deviceId) ?? []) a.dayKey = null;
      },
      historyMs(deviceId, atMs, ctx) {
        if (!byDevice.has(deviceId)) return 0;
        return atMs - localInstant(localDayKey(atMs, ctx.timeZone), 0, ctx.timeZone);
      },
      onObservation(o, ctx) {
        if (!usableFix(o)) return [];
        const mine = byDevice.get(o.deviceId);
        if (!mine) return [];
        tracks.push(o.deviceId, o.timeMs, o.lon, o.lat);
        for (const a of mine) {
          // The first thing seen: that day starts now; a deadline already past is not judged (we saw none of it).
          if (a.dayKey === null) {
            startDay(a, localDayKey(o.timeMs, ctx.timeZone), ctx.timeZone);
            a.settled = o.timeMs >= a.deadlineMs;
          }
          // Fixes after the deadline or from another day than the one being judged do not count.
          if (a.settled || o.timeMs >= a.deadlineMs || o.timeMs < a.dayStartMs) continue;
          const join = o.timeMs >= a.lastTimeMs && o.timeMs - a.lastTimeMs <= MAX_JOIN_GAP_MS;
          const [lon0, lat0] = join ? [a.lastLon, a.lastLat] : [o.lon, o.lat];
          for (const s of a.segments) cover(s, lon0, lat0, o.lon, o.lat, corridorM);
          if (o.timeMs >= a.lastTimeMs) {
            a.lastTimeMs = o.timeMs;
            a.lastLon = o.lon;
            a.lastLat = o.lat;
          }
        }
        return [];
      },
      onTick(watermarkMs, ctx) {
        const drafts: CandidateDraft[] = [];
        for (const a of assignments) {
          // Another hub process has the vehicle: it judges the day, on the fixes it has.
          if (ctx.handles && !ctx.handles(a.deviceId)) continue;
          if (a.dayKey === null) {
            startDay(a, localDayKey(watermarkMs, ctx.timeZone), ctx.timeZone);
            a.settled = watermarkMs >= a.deadlineMs;
            continue;
          }
          if (!a.settled && watermarkMs >= a.deadlineMs) drafts.push(...settle(a, ctx));
          if (watermarkMs >= a.nextDayStartMs) {
            startDay(a, localDayKey(watermarkMs, ctx.timeZone), ctx.timeZone);
            // Stream time jumped over this day's deadline too: the vehicle was never seen before it, judge it.
            if (watermarkMs >= a.deadlineMs) drafts.push(...settle(a, ctx));
          }
        }
        return drafts;
      },
    };
  },
};
