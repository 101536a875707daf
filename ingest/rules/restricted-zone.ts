// 禁入区域 restricted zone: vehicles of listed kinds (e.g. muck trucks 渣土车) inside a no-entry zone, optionally only in
// local hours (06:00–22:00 closed to muck trucks), for at least minDwellS → one candidate per stay.
import { Type, type Static } from '@sinclair/typebox';
import { isVehicleOfKinds, LocalWindowSchema, ruleSchema, unknownZones, ZoneIdsSchema } from './config-base.js';
import { episodeDraft, episodeHandover, EpisodeTracker } from './episode.js';
import { TrackBuffer, usableFix } from './track.js';
import type { CandidateDraft, Rule, RuleModule } from './types.js';
import { inLocalWindow, parseHhmm } from './local-time.js';
import { pickZones, ZoneIndex } from './zones.js';

const KIND = 'restricted-zone';
const DEFAULT_MIN_DWELL_S = 60;
const DEFAULT_MIN_GAP_S = 120;

export const RestrictedZoneSchema = ruleSchema(KIND, '禁入区域', {
  zoneIds: ZoneIdsSchema,
  vehicleKinds: Type.Array(Type.String({ minLength: 1 }), {
    minItems: 1,
    description: "Registry attribute vehicleKind values the zones are closed to, e.g. ['muck']",
  }),
  hours: Type.Optional(
    Type.Array(LocalWindowSchema, {
      minItems: 1,
      description: 'Local windows in which the zones are closed; absent: always closed',
    }),
  ),
  minDwellS: Type.Optional(Type.Number({ minimum: 0, default: DEFAULT_MIN_DWELL_S })),
  minGapS: Type.Optional(
    Type.Number({ minimum: 0, default: DEFAULT_MIN_GAP_S, description: 'Out for less than this: the same stay' }),
  ),
});
export type RestrictedZoneConfig = Static<typeof RestrictedZoneSchema>;

export const rule: RuleModule<RestrictedZoneConfig> = {
  kind: KIND,
  nameZh: '禁入区域',
  schema: RestrictedZoneSchema,
  check(config, zones) {
    const problems = unknownZones(config.zoneIds, zones);
    for (const [i, w] of (config.hours ?? []).entries()) {
      if (parseHhmm(w.from) === null || parseHhmm(w.to) === null) problems.push(`hours[${i}]: not HH:MM`);
      else if (w.from === w.to) problems.push(`hours[${i}]: from equals to (an empty window)`);
    }
    return problems;
  },
  create(config, zones): Rule {
    const index = new ZoneIndex(pickZones(zones, config.zoneIds));
    const kinds = new Set(config.vehicleKinds);
    const episodes = new EpisodeTracker(
      (config.minDwellS ?? DEFAULT_MIN_DWELL_S) * 1000,
      (config.minGapS ?? DEFAULT_MIN_GAP_S) * 1000,
    );
    const tracks = new TrackBuffer();
    return {
      id: config.id,
      kind: KIND,
      ...episodeHandover(episodes, tracks),
      onObservation(o, ctx) {
        if (!usableFix(o)) return [];
        const device = ctx.device(o.deviceId);
        if (!device || !isVehicleOfKinds(device, kinds)) return [];
        tracks.push(o.deviceId, o.timeMs, o.lon, o.lat);
        const closed = config.hours === undefined || inLocalWindow(o.timeMs, ctx.timeZone, config.hours);
        const judged = closed ? index.zonesAt(o.lon, o.lat) : [];
        const drafts: CandidateDraft[] = [];
        for (const zone of judged) {
          const e = episodes.update(o.deviceId, zone.id, o.timeMs, true, o.lon, o.lat);
          if (!e) continue;
          const dwellS = Math.round((o.timeMs - e.startMs) / 1000);
          drafts.push(
            episodeDraft(config, o, e, ctx, tracks, {
              subject: zone.id,
              confidence: 0.9,
              description: `${String(device.attributes.vehicleKind)} vehicle ${o.deviceId} in restricted zone ${zone.name} for ${dwellS} s`,
              leadMs: 120_000,
              measured: { zoneId: zone.id, zoneName: zone.name, dwellS },
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
