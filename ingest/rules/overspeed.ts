// 超速 overspeed: a vehicle faster than a zone's speed limit (the rule's limitKmh, else the zone's speedLimitKmh) plus a
// tolerance for at least minDurationS → one candidate per episode, with the measured top speed and the limit.
import { Type, type Static } from '@sinclair/typebox';
import { isVehicleOfKinds, ruleSchema, unknownZones, VehicleKindsFilterSchema, ZoneIdsSchema } from './config-base.js';
import { episodeDraft, episodeHandover, EpisodeTracker } from './episode.js';
import { TrackBuffer, usableFix } from './track.js';
import type { CandidateDraft, Rule, RuleModule, Zone } from './types.js';
import { pickZones, ZoneIndex } from './zones.js';

const KIND = 'overspeed';
const DEFAULT_TOLERANCE_KMH = 5;
const DEFAULT_MIN_DURATION_S = 10;
const DEFAULT_MIN_GAP_S = 30;

export const OverspeedSchema = ruleSchema(KIND, '超速', {
  zoneIds: ZoneIdsSchema,
  limitKmh: Type.Optional(
    Type.Number({ exclusiveMinimum: 0, description: "Limit in every zone; absent: each zone's speedLimitKmh" }),
  ),
  toleranceKmh: Type.Optional(Type.Number({ minimum: 0, default: DEFAULT_TOLERANCE_KMH })),
  minDurationS: Type.Optional(Type.Number({ minimum: 0, default: DEFAULT_MIN_DURATION_S })),
  minGapS: Type.Optional(Type.Number({ minimum: 0, default: DEFAULT_MIN_GAP_S })),
  vehicleKinds: VehicleKindsFilterSchema,
});
export type OverspeedConfig = Static<typeof OverspeedSchema>;

function zoneLimit(zone: Zone): number | null {
  const v = zone.properties.speedLimitKmh;
  return typeof v === 'number' && v > 0 ? v : null;
}

export const rule: RuleModule<OverspeedConfig> = {
  kind: KIND,
  nameZh: '超速',
  schema: OverspeedSchema,
  check(config, zones) {
    const problems = unknownZones(config.zoneIds, zones);
    if (config.limitKmh === undefined) {
      for (const z of pickZones(zones, config.zoneIds)) {
        if (zoneLimit(z) === null) problems.push(`zone "${z.id}" has no speedLimitKmh and the rule sets no limitKmh`);
      }
    }
    return problems;
  },
  create(config, zones): Rule {
    const index = new ZoneIndex(pickZones(zones, config.zoneIds));
    const kinds = config.vehicleKinds ? new Set(config.vehicleKinds) : null;
    const toleranceKmh = config.toleranceKmh ?? DEFAULT_TOLERANCE_KMH;
    const episodes = new EpisodeTracker(
      (config.minDurationS ?? DEFAULT_MIN_DURATION_S) * 1000,
      (config.minGapS ?? DEFAULT_MIN_GAP_S) * 1000,
    );
    const tracks = new TrackBuffer();
    return {
      id: config.id,
      kind: KIND,
      ...episodeHandover(episodes, tracks),
      onObservation(o, ctx) {
        // Without a speed the fix says nothing about speeding either way: it neither starts nor ends an episode.
        if (!usableFix(o) || o.speedKmh === null || !Number.isFinite(o.speedKmh)) return [];
        const device = ctx.device(o.deviceId);
        if (!device || !isVehicleOfKinds(device, kinds)) return [];
        tracks.push(o.deviceId, o.timeMs, o.lon, o.lat);
        const drafts: CandidateDraft[] = [];
        const judged = index.zonesAt(o.lon, o.lat);
        for (const zone of judged) {
          const limitKmh = config.limitKmh ?? zoneLimit(zone);
          if (limitKmh === null) continue;
          const over = o.speedKmh > limitKmh + toleranceKmh;
          const e = episodes.update(o.deviceId, zone.id, o.timeMs, over, o.lon, o.lat, o.speedKmh);
          if (!e) continue;
          const durationS = Math.round((o.timeMs - e.startMs) / 1000);
          drafts.push(
            episodeDraft(config, o, e, ctx, tracks, {
              subject: zone.id,
              confidence: 0.85,
              description: `vehicle ${o.deviceId} at up to ${e.peak} km/h in ${zone.name} (limit ${limitKmh} km/h) for ${durationS} s`,
              leadMs: 60_000,
              measured: { maxSpeedKmh: e.peak, limitKmh, toleranceKmh, durationS, zoneId: zone.id },
            }),
          );
        }
        episodes.falseExcept(o.deviceId, judged, o.timeMs, o.lon, o.lat);
        return drafts;
      },
      onTick() {
        return [];
      },
    };
  },
};
