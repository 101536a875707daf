// 传感器失联 sensor gone silent: a sensor that has reported and then sends nothing for longer than allowed, measured in
// stream time (the watermark), becomes a component-fault candidate. One per silence; a new report ends it.
import { Type, type Static } from '@sinclair/typebox';
import { attributesMatch, deviceAttributesSchema, draftHead, ruleSchema } from './config-base.js';
import type { Observation } from '../observation.js';
import { sensorPlace, type Point } from './sensor-threshold.js';
import type { CandidateDraft, Rule, RuleContext, RuleModule } from './types.js';

export const KIND = 'sensor-silent';

export const SensorSilentConfigSchema = ruleSchema(KIND, '传感器失联', {
  maxSilenceS: Type.Integer({
    minimum: 1,
    description: 'Fires when nothing came for longer than this, seconds of stream time (a few report intervals).',
  }),
  deviceAttributes: deviceAttributesSchema('Only sensors whose registry attributes equal all of these.'),
});
export type SensorSilentConfig = Static<typeof SensorSilentConfigSchema>;

// Silence may be the sensor or the network in between; a person checks which.
const CONFIDENCE = 0.7;

interface DeviceState {
  lastReportMs: number;
  position: Point | undefined;
  /** The last report a candidate was raised after: one per silence. */
  firedForMs: number | null;
}

/** The live rule; `skippedNoLocation` counts silences that had no place to put the candidate. */
export class SensorSilentRule implements Rule {
  readonly id: string;
  readonly kind = KIND;
  skippedNoLocation = 0;
  private readonly states = new Map<string, DeviceState>();

  constructor(private readonly config: SensorSilentConfig) {
    this.id = config.id;
  }

  onObservation(o: Observation, ctx: RuleContext): CandidateDraft[] {
    // The broker's record of a connection dropping is not the sensor speaking.
    if (o.type === 'status' && o.source === 'broker') return [];
    const device = ctx.device(o.deviceId);
    if (!device || device.kind !== 'sensor') return [];
    if (!attributesMatch(device.attributes, this.config.deviceAttributes)) return [];
    const state = this.states.get(o.deviceId);
    const position = o.type === 'position' || o.type === 'report' ? { lon: o.lon, lat: o.lat } : undefined;
    if (!state) {
      this.states.set(o.deviceId, { lastReportMs: o.timeMs, position, firedForMs: null });
    } else {
      state.lastReportMs = Math.max(state.lastReportMs, o.timeMs);
      if (position) state.position = position;
    }
    return [];
  }

  forgetDevice(deviceId: string): void {
    this.states.delete(deviceId);
  }

  /** The sensor's last report, if recent enough to matter: an older one has made its silence known already. */
  historyMs(): number {
    return this.config.maxSilenceS * 1000;
  }

  onTick(watermarkMs: number, ctx: RuleContext): CandidateDraft[] {
    const drafts: CandidateDraft[] = [];
    const c = this.config;
    for (const [deviceId, state] of this.states) {
      const silentMs = watermarkMs - state.lastReportMs;
      if (silentMs <= c.maxSilenceS * 1000 || state.firedForMs === state.lastReportMs) continue;
      state.firedForMs = state.lastReportMs;
      const device = ctx.device(deviceId);
      if (!device) continue;
      const place = sensorPlace(device, state.position);
      if (!place) {
        this.skippedNoLocation += 1;
        continue;
      }
      const silentS = Math.round(silentMs / 1000);
      drafts.push({
        ...draftHead(c),
        deviceId,
        lon: place.lon,
        lat: place.lat,
        cell: ctx.locate(place.lon, place.lat)?.cell ?? null,
        startMs: state.lastReportMs,
        endMs: watermarkMs,
        confidence: CONFIDENCE,
        description: `传感器 ${deviceId} 已 ${Math.floor(silentS / 60)} 分 ${silentS % 60} 秒未上报（上限 ${c.maxSilenceS} 秒）`,
        evidence: {
          measured: { silentS, maxSilenceS: c.maxSilenceS, lastReportAt: new Date(state.lastReportMs).toISOString() },
        },
        key: `${c.id}:${deviceId}:${state.lastReportMs}`,
      });
    }
    return drafts;
  }
}

export const rule: RuleModule<SensorSilentConfig> = {
  kind: KIND,
  nameZh: '传感器失联',
  schema: SensorSilentConfigSchema,
  create: (config) => new SensorSilentRule(config),
};
