// 长时间静止 collector idle: during a shift, a collector's (监督员) fixes stay within a small radius for longer than
// allowed (not patrolling). One draft per stay, anchored at the stay's first fix.
import { Type, type Static } from '@sinclair/typebox';
import { attributesMatch, deviceAttributesSchema, draftHead, HISTORY_MARGIN_MS, ruleSchema } from './config-base.js';
import type { Observation } from '../observation.js';
import { checkShifts, ShiftCalendar, ShiftsSchema } from './local-time.js';
import { trackOf } from './track.js';
import type { CandidateDraft, Rule, RuleContext, RuleModule } from './types.js';

export const KIND = 'collector-idle';

export const CollectorIdleConfigSchema = ruleSchema(KIND, '长时间静止', {
  shifts: ShiftsSchema,
  radiusM: Type.Number({
    exclusiveMinimum: 0,
    description: 'A stay: every fix within this distance of its first fix, metres (cover GPS wander, ~30–50 m).',
  }),
  maxIdleS: Type.Integer({ minimum: 1, description: 'Fires when a stay lasts longer than this, seconds.' }),
  deviceAttributes: deviceAttributesSchema('Only collectors whose registry attributes equal all of these.'),
});
export type CollectorIdleConfig = Static<typeof CollectorIdleConfigSchema>;

const MAX_TRACK_POINTS = 300;
// A phone left on a desk and a collector standing still look alike; the radius and duration carry the judgement.
const CONFIDENCE = 0.7;
const EARTH_RADIUS_M = 6_371_008.8;

interface Fix {
  timeMs: number;
  lon: number;
  lat: number;
}

interface DeviceState {
  lastTimeMs: number;
  /** First fix of the current stay, null off shift. */
  anchor: Fix | null;
  fixes: Fix[];
  maxDistanceM: number;
  fired: boolean;
}

/** Great-circle distance, metres. */
export function distanceM(a: { lon: number; lat: number }, b: { lon: number; lat: number }): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

class CollectorIdleRule implements Rule {
  readonly id: string;
  readonly kind = KIND;
  private readonly states = new Map<string, DeviceState>();
  private readonly calendar: ShiftCalendar;

  constructor(private readonly config: CollectorIdleConfig) {
    this.id = config.id;
    this.calendar = new ShiftCalendar(config.shifts);
  }

  onObservation(o: Observation, ctx: RuleContext): CandidateDraft[] {
    if (o.type !== 'position' || o.flags?.includes('implausible_jump')) return [];
    const device = ctx.device(o.deviceId);
    if (!device || device.kind !== 'collector') return [];
    if (!attributesMatch(device.attributes, this.config.deviceAttributes)) return [];
    let state = this.states.get(o.deviceId);
    if (!state) {
      state = { lastTimeMs: -Infinity, anchor: null, fixes: [], maxDistanceM: 0, fired: false };
      this.states.set(o.deviceId, state);
    }
    if (o.timeMs <= state.lastTimeMs) return [];
    state.lastTimeMs = o.timeMs;

    const fix: Fix = { timeMs: o.timeMs, lon: o.lon, lat: o.lat };
    if (!this.calendar.at(o.timeMs, ctx.timeZone)) {
      state.anchor = null;
      state.fixes = [];
      return [];
    }
    const distance = state.anchor ? distanceM(state.anchor, fix) : 0;
    if (!state.anchor || distance > this.config.radiusM) {
      state.anchor = fix;
      state.fixes = [fix];
      state.maxDistanceM = 0;
      state.fired = false;
      return [];
    }
    if (state.fixes.length >= MAX_TRACK_POINTS) state.fixes.splice(1, 1);
    state.fixes.push(fix);
    state.maxDistanceM = Math.max(state.maxDistanceM, distance);
    const idleMs = o.timeMs - state.anchor.timeMs;
    if (state.fired || idleMs <= this.config.maxIdleS * 1000) return [];
    state.fired = true;
    return [this.draft(o.deviceId, state.anchor, o.timeMs, state, ctx)];
  }

  forgetDevice(deviceId: string): void {
    this.states.delete(deviceId);
  }

  /** A stay longer than the limit has fired already (and fires again on the history, where drafts are dropped). */
  historyMs(): number {
    return this.config.maxIdleS * 1000 + HISTORY_MARGIN_MS;
  }

  onTick(): CandidateDraft[] {
    // Judged on fixes only: silence is the sensor-silent kind of problem, not idleness.
    return [];
  }

  private draft(deviceId: string, anchor: Fix, nowMs: number, state: DeviceState, ctx: RuleContext): CandidateDraft {
    const c = this.config;
    const idleS = Math.round((nowMs - anchor.timeMs) / 1000);
    return {
      ...draftHead(c),
      deviceId,
      lon: anchor.lon,
      lat: anchor.lat,
      cell: ctx.locate(anchor.lon, anchor.lat)?.cell ?? null,
      startMs: anchor.timeMs,
      endMs: nowMs,
      confidence: CONFIDENCE,
      description:
        `监督员 ${deviceId} 班次内在 ${c.radiusM} 米范围内静止 ${Math.floor(idleS / 60)} 分 ${idleS % 60} 秒` +
        `（上限 ${c.maxIdleS} 秒）`,
      evidence: {
        track: trackOf(state.fixes),
        measured: {
          idleS,
          maxIdleS: c.maxIdleS,
          radiusM: c.radiusM,
          maxDistanceM: Math.round(state.maxDistanceM * 10) / 10,
        },
      },
      key: `${c.id}:${deviceId}:${anchor.timeMs}`,
    };
  }
}

export const rule: RuleModule<CollectorIdleConfig> = {
  kind: KIND,
  nameZh: '长时间静止',
  schema: CollectorIdleConfigSchema,
  check: (config) => checkShifts(config.shifts),
  create: (config) => new CollectorIdleRule(config),
};
