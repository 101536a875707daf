// 禁停区域 no-stopping zone: a vehicle in the zone below stoppedBelowKmh for longer than maxStopS → one candidate per
// stop; creeping forward for less than minGapS does not end the stop.
import { Type, type Static } from '@sinclair/typebox';
import { isVehicleOfKinds, ruleSchema, unknownZones, VehicleKindsFilterSchema, ZoneIdsSchema } from './config-base.js';
import { episodeDraft, episodeHandover, EpisodeTracker } from './episode.js';
import { TrackBuffer, usableFix } from './track.js';
import type { CandidateDraft, Rule, RuleModule } from './types.js';
import { pickZones, ZoneIndex } from './zones.js';

const KIND = 'no-stopping';
const DEFAULT_STOPPED_BELOW_KMH = 3;
const DEFAULT_MIN_GAP_S = 60;

export const NoStoppingSchema = ruleSchema(KIND, '禁停区域', {
  zoneIds: ZoneIdsSchema,
  maxStopS: Type.Number({ minimum: 0, description: 'A stop longer than this is a violation' }),
  stoppedBelowKmh: Type.Optional(Type.Number({ exclusiveMinimum: 0, default: DEFAULT_STOPPED_BELOW_KMH })),
  minGapS: Type.Optional(
    Type.Number({ minimum: 0, default: DEFAULT_MIN_GAP_S, description: 'Moving for less than this: the same stop' }),
  ),
  vehicleKinds: VehicleKindsFilterSchema,
});
export type NoStoppingConfig = Static<typeof NoStoppingSchema>;

export const rule: RuleModule<NoStoppingConfig> = {
  kind: KIND,
  nameZh: '禁停区域',
  schema: NoStoppingSchema,
  check(config, zones) {
    return unknownZones(config.zoneIds, zones);
  },
  create(config, zones): Rule {
    const index = new ZoneIndex(pickZones(zones, config.zoneIds));
    const kinds = config.vehicleKinds ? new Set(config.vehicleKinds) : null;
    const belowKmh = config.stoppedBelowKmh ?? DEFAULT_STOPPED_BELOW_KMH;
    const maxStopMs = config.maxStopS * 1000;
    // "Longer than maxStopS": the tracker fires at ≥ its minimum, so ask for one millisecond more.
    const episodes = new EpisodeTracker(maxStopMs + 1, (config.minGapS ?? DEFAULT_MIN_GAP_S) * 1000);
    const tracks = new TrackBuffer();
    return {
      id: config.id,
      kind: KIND,
      ...episodeHandover(episodes, tracks),
      onObservation(o, ctx) {
        if (!usableFix(o) || o.speedKmh === null || !Number.isFinite(o.speedKmh)) return [];
        const device = ctx.device(o.deviceId);
        if (!device || !isVehicleOfKinds(device, kinds)) return [];
        tracks.push(o.deviceId, o.timeMs, o.lon, o.lat);
        const stopped = o.speedKmh < belowKmh;
        const drafts: CandidateDraft[] = [];
        const judged = stopped ? index.zonesAt(o.lon, o.lat) : [];
        for (const zone of judged) {
          const e = episodes.update(o.deviceId, zone.id, o.timeMs, true, o.lon, o.lat);
          if (!e) continue;
          const stoppedS = Math.round((o.timeMs - e.startMs) / 1000);
          drafts.push(
            episodeDraft(config, o, e, ctx, tracks, {
              subject: zone.id,
              confidence: 0.85,
              description: `vehicle ${o.deviceId} stopped in no-stopping zone ${zone.name} for ${stoppedS} s (allowed ${config.maxStopS} s)`,
              leadMs: 60_000,
              measured: { stoppedS, maxStopS: config.maxStopS, stoppedBelowKmh: belowKmh, zoneId: zone.id },
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
