// 传感器阈值 sensor threshold: a telemetry metric (manhole-cover tilt 井盖倾斜, bin fill 满溢, water level 积水) past an
// `on` threshold, held for a minimum duration, with hysteresis (`off` to clear) so a flapping reading raises one
// candidate per episode, never a burst.
import { Type, type Static } from '@sinclair/typebox';
import { attributesMatch, deviceAttributesSchema, draftHead, HISTORY_MARGIN_MS, ruleSchema } from './config-base.js';
import type { Observation } from '../observation.js';
import type { CandidateDraft, DeviceInfo, Rule, RuleContext, RuleModule } from './types.js';

export const KIND = 'sensor-threshold';

export const SensorThresholdConfigSchema = ruleSchema(KIND, '传感器阈值', {
  metric: Type.String({ minLength: 1, description: 'Telemetry metric name, e.g. tiltDeg, fillPct, waterLevelCm.' }),
  direction: Type.Union([Type.Literal('above'), Type.Literal('below')], {
    description: 'above: an episode starts at a reading ≥ on and clears at ≤ off; below: starts ≤ on, clears ≥ off.',
  }),
  on: Type.Number({ description: 'Threshold that starts an episode.' }),
  off: Type.Number({ description: 'Threshold that clears it (hysteresis); equal to `on` for none.' }),
  minDurationS: Type.Integer({
    minimum: 0,
    description: 'The episode must have lasted this long (first reading past `on` → now) before it fires, seconds.',
  }),
  deviceAttributes: deviceAttributesSchema(
    'Only sensors whose registry attributes equal all of these, e.g. { sensorType: "manhole" }.',
  ),
});
export type SensorThresholdConfig = Static<typeof SensorThresholdConfigSchema>;

/** Readings kept from before an episode, to show what led to it. */
const PRE_EPISODE_READINGS = 10;
const MAX_SERIES_POINTS = 200;
// The reading is the sensor's own measurement; a faulty sensor is the remaining doubt.
const CONFIDENCE = 0.9;

interface Reading {
  timeMs: number;
  value: number;
}

interface DeviceState {
  lastTimeMs: number;
  /** Readings before the current episode (or the latest ones while clear). */
  before: Reading[];
  /** Start of the current episode, null while clear. */
  sinceMs: number | null;
  episode: Reading[];
  fired: boolean;
}

/** A place for a device that reports no position itself. */
export interface Point {
  lon: number;
  lat: number;
}

function finiteNumber(v: unknown): number | null {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
}

/**
 * Where a fixed sensor is: its registry attributes `lon`/`lat` (installation point) first, else its last reported
 * position; null when neither is known.
 */
export function sensorPlace(device: DeviceInfo, lastPosition: Point | undefined): Point | null {
  const lon = finiteNumber(device.attributes.lon);
  const lat = finiteNumber(device.attributes.lat);
  if (lon !== null && lat !== null && Math.abs(lon) <= 180 && Math.abs(lat) <= 90) return { lon, lat };
  return lastPosition ?? null;
}

/** The live rule; `skippedNoLocation` counts episodes that would have fired but had no place to put the candidate. */
export class SensorThresholdRule implements Rule {
  readonly id: string;
  readonly kind = KIND;
  skippedNoLocation = 0;
  private readonly states = new Map<string, DeviceState>();
  private readonly positions = new Map<string, Point>();

  constructor(private readonly config: SensorThresholdConfig) {
    this.id = config.id;
  }

  onObservation(o: Observation, ctx: RuleContext): CandidateDraft[] {
    if (o.type === 'position') {
      // Only sensors' positions: vehicles stream thousands a second and are never placed by this rule.
      if (ctx.device(o.deviceId)?.kind === 'sensor') this.positions.set(o.deviceId, { lon: o.lon, lat: o.lat });
      return [];
    }
    if (o.type !== 'telemetry') return [];
    const value = o.metrics[this.config.metric];
    if (value === undefined || !Number.isFinite(value)) return [];
    const device = ctx.device(o.deviceId);
    if (!device || device.kind !== 'sensor') return [];
    if (!attributesMatch(device.attributes, this.config.deviceAttributes)) return [];
    let state = this.states.get(o.deviceId);
    if (!state) {
      state = { lastTimeMs: -Infinity, before: [], sinceMs: null, episode: [], fired: false };
      this.states.set(o.deviceId, state);
    }
    if (o.timeMs <= state.lastTimeMs) return [];
    state.lastTimeMs = o.timeMs;
    const reading: Reading = { timeMs: o.timeMs, value };

    if (state.sinceMs === null) {
      if (!this.starts(value)) {
        if (state.before.length >= PRE_EPISODE_READINGS) state.before.shift();
        state.before.push(reading);
        return [];
      }
      state.sinceMs = o.timeMs;
      state.episode = [];
      state.fired = false;
    } else if (this.clears(value)) {
      state.sinceMs = null;
      state.before = [...state.episode.slice(-(PRE_EPISODE_READINGS - 1)), reading];
      state.episode = [];
      return [];
    }
    if (state.episode.length >= MAX_SERIES_POINTS) state.episode.splice(1, 1);
    state.episode.push(reading);
    return this.maybeFire(o.deviceId, state, o.timeMs, device, ctx);
  }

  forgetDevice(deviceId: string): void {
    this.states.delete(deviceId);
    this.positions.delete(deviceId);
  }

  /** An episode lasting the minimum, with the readings before it; an older one has fired already. */
  historyMs(): number {
    return this.config.minDurationS * 1000 + HISTORY_MARGIN_MS;
  }

  /** Sensors that report on change stay past the threshold between readings: the last reading holds until the next. */
  onTick(watermarkMs: number, ctx: RuleContext): CandidateDraft[] {
    const drafts: CandidateDraft[] = [];
    for (const [deviceId, state] of this.states) {
      if (state.sinceMs === null || state.fired || watermarkMs <= state.lastTimeMs) continue;
      const device = ctx.device(deviceId);
      if (device) drafts.push(...this.maybeFire(deviceId, state, watermarkMs, device, ctx));
    }
    return drafts;
  }

  private starts(value: number): boolean {
    return this.config.direction === 'above' ? value >= this.config.on : value <= this.config.on;
  }

  private clears(value: number): boolean {
    return this.config.direction === 'above' ? value <= this.config.off : value >= this.config.off;
  }

  private maybeFire(
    deviceId: string,
    state: DeviceState,
    nowMs: number,
    device: DeviceInfo,
    ctx: RuleContext,
  ): CandidateDraft[] {
    if (state.fired || state.sinceMs === null || nowMs - state.sinceMs < this.config.minDurationS * 1000) return [];
    state.fired = true;
    const place = sensorPlace(device, this.positions.get(deviceId));
    if (!place) {
      this.skippedNoLocation += 1;
      return [];
    }
    const c = this.config;
    const series = [...state.before, ...state.episode];
    const values = state.episode.map((r) => r.value);
    const peak = c.direction === 'above' ? Math.max(...values) : Math.min(...values);
    const heldS = Math.round((nowMs - state.sinceMs) / 1000);
    return [
      {
        ...draftHead(c),
        deviceId,
        lon: place.lon,
        lat: place.lat,
        cell: ctx.locate(place.lon, place.lat)?.cell ?? null,
        startMs: state.sinceMs,
        endMs: nowMs,
        confidence: CONFIDENCE,
        description:
          `传感器 ${deviceId} ${c.metric} ${c.direction === 'above' ? '≥' : '≤'} ${c.on} 持续 ${heldS} 秒` +
          `（峰值 ${peak}，恢复阈值 ${c.off}）`,
        evidence: {
          series: {
            metric: c.metric,
            points: series.map((r) => ({ time: new Date(r.timeMs).toISOString(), value: r.value })),
          },
          measured: { peak, on: c.on, off: c.off, direction: c.direction, heldS, minDurationS: c.minDurationS },
        },
        key: `${c.id}:${deviceId}:${state.sinceMs}`,
      },
    ];
  }
}

export const rule: RuleModule<SensorThresholdConfig> = {
  kind: KIND,
  nameZh: '传感器阈值',
  schema: SensorThresholdConfigSchema,
  check: (config) => {
    const ok = config.direction === 'above' ? config.off <= config.on : config.off >= config.on;
    return ok
      ? []
      : [
          `off (${config.off}) must be ${config.direction === 'above' ? 'at or below' : 'at or above'} on (${config.on}) ` +
            `for direction "${config.direction}": it is the level at which an episode clears`,
        ];
  },
  create: (config) => new SensorThresholdRule(config),
};
