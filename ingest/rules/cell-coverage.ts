// 网格巡查覆盖 grid-cell patrol coverage: per collector (监督员) per shift, which assigned unit grid cells had at least
// one fix inside; at the shift end a draft when too few were visited. The coverage records also feed evaluation (考评).
import { Type, type Static } from '@sinclair/typebox';
import { attributesMatch, deviceAttributesSchema, draftHead, ruleSchema } from './config-base.js';
import type { Observation } from '../observation.js';
import { checkShifts, ShiftCalendar, ShiftsSchema, type ShiftOccurrence } from './local-time.js';
import { trackOf } from './track.js';
import type { CandidateDraft, Rule, RuleContext, RuleModule } from './types.js';

export const KIND = 'cell-coverage';

export const CellCoverageConfigSchema = ruleSchema(KIND, '网格巡查覆盖', {
  shifts: ShiftsSchema,
  minCoveredPct: Type.Number({
    minimum: 0,
    maximum: 100,
    description: 'Fires when fewer than this share of the assigned cells were visited in a shift, percent.',
  }),
  graceS: Type.Optional(
    Type.Integer({
      minimum: 0,
      description: 'Wait this long after the shift end before judging, so late fixes still count; seconds, default 0.',
    }),
  ),
  deviceAttributes: deviceAttributesSchema('Only collectors whose registry attributes equal all of these.'),
});
export type CellCoverageConfig = Static<typeof CellCoverageConfigSchema>;

/** Coverage of one collector in one shift occurrence. */
export interface CoverageRecord {
  deviceId: string;
  shiftStartMs: number;
  shiftEndMs: number;
  /** Assigned cells, in registry order. */
  assigned: string[];
  /** Assigned cells with at least one fix inside, in registry order. */
  visited: string[];
  unvisited: string[];
  /** visited / assigned × 100, unrounded. */
  pct: number;
}

/** Coverage of a set of assigned cells by the cells seen; pure, for evaluation and replays. */
export function coverageReport(
  assigned: readonly string[],
  seenCells: Iterable<string>,
): Pick<CoverageRecord, 'assigned' | 'visited' | 'unvisited' | 'pct'> {
  const seen = new Set(seenCells);
  const unique = [...new Set(assigned)];
  const visited = unique.filter((c) => seen.has(c));
  const unvisited = unique.filter((c) => !seen.has(c));
  const pct = unique.length === 0 ? 100 : (visited.length / unique.length) * 100;
  return { assigned: unique, visited, unvisited, pct };
}

// Counting cells is exact; a cell crossed between two sparse fixes can still be missed, hence not 1.
const CONFIDENCE = 0.9;
/** The evidence track is thinned to one fix per this interval (a shift of fixes every 5 s is ~6,000 points). */
const TRACK_STEP_MS = 60_000;
const MAX_TRACK_POINTS = 600;
/** Records kept for `coverage()` until drained, so a hub that never drains does not grow without bound. */
const MAX_RECORDS = 10_000;

interface Fix {
  timeMs: number;
  lon: number;
  lat: number;
}

interface ShiftState {
  occ: ShiftOccurrence;
  assigned: string[];
  seen: Set<string>;
  track: Fix[];
  lastFix: Fix;
}

interface DeviceState {
  lastTimeMs: number;
  shift: ShiftState | null;
  /** Start of the newest shift already judged: late fixes of it are ignored rather than reopening it. */
  judgedStartMs: number;
}

/** The live rule; besides drafts it keeps the coverage record of every judged shift. */
export class CellCoverageRule implements Rule {
  readonly id: string;
  readonly kind = KIND;
  private readonly states = new Map<string, DeviceState>();
  private readonly calendar: ShiftCalendar;
  private records: CoverageRecord[] = [];

  constructor(private readonly config: CellCoverageConfig) {
    this.id = config.id;
    this.calendar = new ShiftCalendar(config.shifts);
  }

  forgetDevice(deviceId: string): void {
    this.states.delete(deviceId);
  }

  /** The shift the collector is in (or in the grace after, not judged yet): its fixes since the shift began. */
  historyMs(deviceId: string, atMs: number, ctx: RuleContext): number {
    const device = ctx.device(deviceId);
    if (!device || device.kind !== 'collector' || device.gridCodes.length === 0) return 0;
    const occ =
      this.calendar.at(atMs, ctx.timeZone) ?? this.calendar.at(atMs - (this.config.graceS ?? 0) * 1000, ctx.timeZone);
    return occ ? atMs - occ.startMs : 0;
  }

  /** Coverage records of the shifts judged so far (oldest first), without removing them. */
  coverage(): CoverageRecord[] {
    return [...this.records];
  }

  /** Coverage records judged since the last drain, removed from the rule (for a sink that stores them). */
  drainCoverage(): CoverageRecord[] {
    const out = this.records;
    this.records = [];
    return out;
  }

  onObservation(o: Observation, ctx: RuleContext): CandidateDraft[] {
    if (o.type !== 'position' || o.flags?.includes('implausible_jump')) return [];
    const device = ctx.device(o.deviceId);
    if (!device || device.kind !== 'collector' || device.gridCodes.length === 0) return [];
    if (!attributesMatch(device.attributes, this.config.deviceAttributes)) return [];
    let state = this.states.get(o.deviceId);
    if (!state) {
      state = { lastTimeMs: -Infinity, shift: null, judgedStartMs: -Infinity };
      this.states.set(o.deviceId, state);
    }
    if (o.timeMs <= state.lastTimeMs) return [];
    state.lastTimeMs = o.timeMs;

    const occ = this.calendar.at(o.timeMs, ctx.timeZone);
    const drafts: CandidateDraft[] = [];
    // A fix in a later shift (or off shift after one) closes the shift the device was in, even before a tick does.
    if (state.shift && (!occ || occ.startMs !== state.shift.occ.startMs)) {
      drafts.push(...this.judge(o.deviceId, state, ctx));
    }
    if (!occ || occ.startMs <= state.judgedStartMs) return drafts;

    const fix: Fix = { timeMs: o.timeMs, lon: o.lon, lat: o.lat };
    if (!state.shift) {
      state.shift = { occ, assigned: [...device.gridCodes], seen: new Set(), track: [fix], lastFix: fix };
    } else {
      const track = state.shift.track;
      if (fix.timeMs - (track.at(-1)?.timeMs ?? -Infinity) >= TRACK_STEP_MS && track.length < MAX_TRACK_POINTS) {
        track.push(fix);
      }
      state.shift.lastFix = fix;
    }
    const cell = ctx.locate(o.lon, o.lat)?.cell;
    if (cell) state.shift.seen.add(cell);
    return drafts;
  }

  onTick(watermarkMs: number, ctx: RuleContext): CandidateDraft[] {
    const graceMs = (this.config.graceS ?? 0) * 1000;
    const drafts: CandidateDraft[] = [];
    for (const [deviceId, state] of this.states) {
      if (state.shift && watermarkMs >= state.shift.occ.endMs + graceMs)
        drafts.push(...this.judge(deviceId, state, ctx));
    }
    return drafts;
  }

  private judge(deviceId: string, state: DeviceState, ctx: RuleContext): CandidateDraft[] {
    const shift = state.shift;
    if (!shift) return [];
    state.shift = null;
    state.judgedStartMs = shift.occ.startMs;
    const report = coverageReport(shift.assigned, shift.seen);
    const record: CoverageRecord = {
      deviceId,
      shiftStartMs: shift.occ.startMs,
      shiftEndMs: shift.occ.endMs,
      ...report,
    };
    if (this.records.length >= MAX_RECORDS) this.records.shift();
    this.records.push(record);
    if (report.pct >= this.config.minCoveredPct) return [];

    const c = this.config;
    const last = shift.lastFix;
    const track = shift.track.at(-1) === last ? shift.track : [...shift.track, last];
    const pctText = Math.round(report.pct * 10) / 10;
    return [
      {
        ...draftHead(c),
        deviceId,
        // Only cell codes are known here (no geometry), so the candidate sits at the collector's last fix of the shift.
        lon: last.lon,
        lat: last.lat,
        cell: ctx.locate(last.lon, last.lat)?.cell ?? null,
        startMs: shift.occ.startMs,
        endMs: shift.occ.endMs,
        confidence: CONFIDENCE,
        description:
          `监督员 ${deviceId} 本班次巡查覆盖 ${report.visited.length}/${report.assigned.length} 个责任网格` +
          `（${pctText}%，要求 ≥ ${c.minCoveredPct}%），未到：${report.unvisited.join('、')}`,
        evidence: {
          track: trackOf(track),
          measured: {
            coveredPct: pctText,
            minCoveredPct: c.minCoveredPct,
            assignedCells: report.assigned,
            visitedCells: report.visited,
            unvisitedCells: report.unvisited,
            shiftStart: new Date(shift.occ.startMs).toISOString(),
            shiftEnd: new Date(shift.occ.endMs).toISOString(),
            placedAt: 'last fix of the collector in the shift',
          },
        },
        key: `${c.id}:${deviceId}:${shift.occ.startMs}`,
      },
    ];
  }
}

export const rule: RuleModule<CellCoverageConfig> = {
  kind: KIND,
  nameZh: '网格巡查覆盖',
  schema: CellCoverageConfigSchema,
  check: (config) => checkShifts(config.shifts),
  create: (config) => new CellCoverageRule(config),
};
