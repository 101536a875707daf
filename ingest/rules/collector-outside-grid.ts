// 离开责任网格 collector outside the assigned grid: during a shift, a collector's (监督员) fixes stay outside the unit
// grid cells assigned to them for longer than allowed. One draft per stay outside.
import { Type, type Static } from '@sinclair/typebox';
import { attributesMatch, deviceAttributesSchema, draftHead, HISTORY_MARGIN_MS, ruleSchema } from './config-base.js';
import type { Observation, Position } from '../observation.js';
import { checkShifts, ShiftCalendar, ShiftsSchema } from './local-time.js';
import { trackOf } from './track.js';
import type { CandidateDraft, Rule, RuleContext, RuleModule } from './types.js';

export const KIND = 'collector-outside-grid';

export const CollectorOutsideGridConfigSchema = ruleSchema(KIND, '离开责任网格', {
  shifts: ShiftsSchema,
  maxOutsideS: Type.Integer({ minimum: 1, description: 'Fires when outside for longer than this, seconds.' }),
  deviceAttributes: deviceAttributesSchema('Only collectors whose registry attributes equal all of these.'),
});
export type CollectorOutsideGridConfig = Static<typeof CollectorOutsideGridConfigSchema>;

/** Evidence tracks stay small: the fixes of one stay outside, the first ones and the latest ones. */
const MAX_TRACK_POINTS = 300;
// A cell boundary is crisp, but a phone fix wanders 10–30 m; the duration already filters that jitter.
const CONFIDENCE = 0.8;

interface Fix {
  timeMs: number;
  lon: number;
  lat: number;
  cell: string | null;
}

interface DeviceState {
  lastTimeMs: number;
  lastInside: Fix | null;
  /** Start of the current stay outside, null while inside or off shift. */
  outsideSinceMs: number | null;
  fixes: Fix[];
  fired: boolean;
}

function pushBounded(fixes: Fix[], fix: Fix): void {
  // Keep the leaving moment and the most recent fixes; the middle of a long stay adds nothing to judge it.
  if (fixes.length >= MAX_TRACK_POINTS) fixes.splice(MAX_TRACK_POINTS / 2, 1);
  fixes.push(fix);
}

class CollectorOutsideGridRule implements Rule {
  readonly id: string;
  readonly kind = KIND;
  private readonly states = new Map<string, DeviceState>();
  private readonly calendar: ShiftCalendar;

  constructor(private readonly config: CollectorOutsideGridConfig) {
    this.id = config.id;
    this.calendar = new ShiftCalendar(config.shifts);
  }

  onObservation(o: Observation, ctx: RuleContext): CandidateDraft[] {
    if (o.type !== 'position' || o.flags?.includes('implausible_jump')) return [];
    const device = ctx.device(o.deviceId);
    if (!device || device.kind !== 'collector' || device.gridCodes.length === 0) return [];
    if (!attributesMatch(device.attributes, this.config.deviceAttributes)) return [];
    let state = this.states.get(o.deviceId);
    if (!state) {
      state = { lastTimeMs: -Infinity, lastInside: null, outsideSinceMs: null, fixes: [], fired: false };
      this.states.set(o.deviceId, state);
    }
    if (o.timeMs <= state.lastTimeMs) return [];
    state.lastTimeMs = o.timeMs;

    const cell = ctx.locate(o.lon, o.lat)?.cell ?? null;
    const fix: Fix = { timeMs: o.timeMs, lon: o.lon, lat: o.lat, cell };
    if (!this.calendar.at(o.timeMs, ctx.timeZone)) {
      this.endStay(state);
      state.lastInside = null;
      return [];
    }
    if (cell !== null && device.gridCodes.includes(cell)) {
      this.endStay(state);
      state.lastInside = fix;
      return [];
    }
    if (state.outsideSinceMs === null) {
      state.outsideSinceMs = o.timeMs;
      state.fired = false;
      state.fixes = state.lastInside ? [state.lastInside] : [];
    }
    pushBounded(state.fixes, fix);
    const outsideMs = o.timeMs - state.outsideSinceMs;
    if (state.fired || outsideMs <= this.config.maxOutsideS * 1000) return [];
    state.fired = true;
    return [this.draft(o, device.gridCodes, state, state.outsideSinceMs, outsideMs)];
  }

  forgetDevice(deviceId: string): void {
    this.states.delete(deviceId);
  }

  /** A stay outside longer than the limit has fired already (and fires again on the history, where it is dropped). */
  historyMs(): number {
    return this.config.maxOutsideS * 1000 + HISTORY_MARGIN_MS;
  }

  onTick(): CandidateDraft[] {
    // Judged on fixes only: a handheld that goes quiet outside is not evidence of still being outside.
    return [];
  }

  private endStay(state: DeviceState): void {
    state.outsideSinceMs = null;
    state.fixes = [];
    state.fired = false;
  }

  private draft(
    o: Position,
    assigned: string[],
    state: DeviceState,
    sinceMs: number,
    outsideMs: number,
  ): CandidateDraft {
    const c = this.config;
    const outsideS = Math.round(outsideMs / 1000);
    const cellsOutside = [
      ...new Set(state.fixes.filter((f) => f.timeMs >= sinceMs).map((f) => f.cell ?? 'outside-grid')),
    ];
    return {
      ...draftHead(c),
      deviceId: o.deviceId,
      lon: o.lon,
      lat: o.lat,
      cell: state.fixes.at(-1)?.cell ?? null,
      startMs: sinceMs,
      endMs: o.timeMs,
      confidence: CONFIDENCE,
      description:
        `监督员 ${o.deviceId} 班次内离开责任网格 ${Math.floor(outsideS / 60)} 分 ${outsideS % 60} 秒` +
        `（上限 ${c.maxOutsideS} 秒）`,
      evidence: {
        track: trackOf(state.fixes),
        measured: { outsideS, maxOutsideS: c.maxOutsideS, assignedCells: assigned, cellsOutside },
      },
      key: `${c.id}:${o.deviceId}:${sinceMs}`,
    };
  }
}

export const rule: RuleModule<CollectorOutsideGridConfig> = {
  kind: KIND,
  nameZh: '离开责任网格',
  schema: CollectorOutsideGridConfigSchema,
  check: (config) => checkShifts(config.shifts),
  create: (config) => new CollectorOutsideGridRule(config),
};
