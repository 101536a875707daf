// 偏离路线 off route: a vehicle with an assigned route (by device, or by vehicle kind for a whole fleet, e.g. muck
// transport corridors) farther than corridorM from every line assigned to it for at least minDurationS → one candidate
// per excursion. Distances are point-to-polyline in metres in a local equirectangular projection (see line.ts).
import { Type, type Static } from '@sinclair/typebox';
import { LineStringSchema, lineProblems, ruleSchema } from './config-base.js';
import { episodeDraft, episodeHandover, EpisodeTracker } from './episode.js';
import { ProjectedLine } from './line.js';
import { TrackBuffer, usableFix } from './track.js';
import type { Rule, RuleModule } from './types.js';

const KIND = 'off-route';
const DEFAULT_CORRIDOR_M = 50;
const DEFAULT_MIN_DURATION_S = 60;
const DEFAULT_MIN_GAP_S = 60;

export const OffRouteSchema = ruleSchema(KIND, '偏离路线', {
  routes: Type.Array(
    Type.Object(
      {
        id: Type.Optional(Type.String({ minLength: 1 })),
        deviceId: Type.Optional(Type.String({ minLength: 1, description: 'The route of this device' })),
        vehicleKind: Type.Optional(
          Type.String({ minLength: 1, description: 'The route of every vehicle of this kind without its own route' }),
        ),
        line: LineStringSchema,
      },
      { additionalProperties: false },
    ),
    { minItems: 1 },
  ),
  corridorM: Type.Optional(Type.Number({ exclusiveMinimum: 0, default: DEFAULT_CORRIDOR_M })),
  minDurationS: Type.Optional(Type.Number({ minimum: 0, default: DEFAULT_MIN_DURATION_S })),
  minGapS: Type.Optional(
    Type.Number({
      minimum: 0,
      default: DEFAULT_MIN_GAP_S,
      description: 'Back on route for less than this: same excursion',
    }),
  ),
});
export type OffRouteConfig = Static<typeof OffRouteSchema>;

export const rule: RuleModule<OffRouteConfig> = {
  kind: KIND,
  nameZh: '偏离路线',
  schema: OffRouteSchema,
  check(config) {
    const problems: string[] = [];
    for (const [i, r] of config.routes.entries()) {
      if ((r.deviceId === undefined) === (r.vehicleKind === undefined)) {
        problems.push(`routes[${i}]: give exactly one of deviceId or vehicleKind`);
      }
      problems.push(...lineProblems(`routes[${i}].line`, r.line.coordinates));
    }
    return problems;
  },
  create(config): Rule {
    const byDevice = new Map<string, ProjectedLine[]>();
    const byKind = new Map<string, ProjectedLine[]>();
    for (const r of config.routes) {
      const line = new ProjectedLine(r.line.coordinates);
      const [map, key] = r.deviceId !== undefined ? [byDevice, r.deviceId] : [byKind, r.vehicleKind!];
      map.set(key, [...(map.get(key) ?? []), line]);
    }
    const corridorM = config.corridorM ?? DEFAULT_CORRIDOR_M;
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
        if (!usableFix(o)) return [];
        let lines = byDevice.get(o.deviceId);
        if (!lines) {
          const device = ctx.device(o.deviceId);
          if (!device || device.kind !== 'vehicle') return [];
          lines = byKind.get(String(device.attributes.vehicleKind));
          if (!lines) return [];
        }
        tracks.push(o.deviceId, o.timeMs, o.lon, o.lat);
        let distanceM = Infinity;
        for (const line of lines) {
          distanceM = Math.min(distanceM, line.distanceM(o.lon, o.lat, corridorM));
          if (distanceM <= corridorM) break;
        }
        const off = distanceM > corridorM;
        // The early exits above give a lower bound when off the route; the evidence wants the real distance.
        if (off) distanceM = Math.min(...lines.map((l) => l.distanceM(o.lon, o.lat)));
        const e = episodes.update(o.deviceId, '', o.timeMs, off, o.lon, o.lat, off ? distanceM : 0);
        if (!e) return [];
        const durationS = Math.round((o.timeMs - e.startMs) / 1000);
        const maxDistanceM = Math.round(e.peak);
        return [
          episodeDraft(config, o, e, ctx, tracks, {
            confidence: 0.8,
            description: `vehicle ${o.deviceId} off its route for ${durationS} s, up to ${maxDistanceM} m away (corridor ${corridorM} m)`,
            leadMs: 120_000,
            measured: { maxDistanceM, corridorM, durationS },
          }),
        ];
      },
      onTick() {
        return [];
      },
    };
  },
};
