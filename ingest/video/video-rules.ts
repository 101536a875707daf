// 视频规则 video rules: what the tracked objects in a camera's zones mean for the city — a vehicle standing in a
// no-parking zone (禁停), a crowd (人群聚集), someone in a restricted zone in restricted hours (限时禁入) — as candidate
// drafts with the frame that proves them. One draft per episode; the hub deduplicates by key as for every other rule.
import type { CandidateDraft } from '../rules/types.js';
import { inLocalWindow, parseHhmm } from '../rules/local-time.js';
import { boxInImagePolygon, checkImagePolygon } from './zones.js';
import { isStationary, isVehicleClass } from './tracker.js';
import type { Box, CameraSpec, Frame, Track, VideoDraft, VideoZone, VideoZoneKind } from './types.js';

export const VIDEO_RULE_KINDS: Record<VideoZoneKind, string> = {
  noParking: 'video-no-parking',
  crowd: 'video-crowd',
  restricted: 'video-restricted',
};

const DEFAULT_MIN_SCORE = 0.4;
const VEHICLES = ['car', 'truck', 'bus', 'motorcycle'];

export interface VideoRulesOptions {
  /** The city's time zone (IANA), for `restricted` hours. */
  timeZone: string;
  /** A vehicle whose box centre stays within this fraction of its box size is standing (default 0.15). */
  stationaryTolerance?: number;
  /** Grid cell of the camera's place, when the hub knows it (null outside the grid). */
  locate?: (lon: number, lat: number) => string | null;
}

export interface VideoRulesStats {
  evaluations: number;
  drafts: Record<VideoZoneKind, number>;
}

/** Problems with a zone's configuration (empty when fine): its polygon and the thresholds its kind needs. */
export function checkVideoZone(zone: VideoZone): string[] {
  const problems = checkImagePolygon(zone.polygon).map((p) => `zone ${zone.id}: ${p}`);
  const need = (field: 'maxStationaryS' | 'maxPersons' | 'minDurationS'): void => {
    const v = zone[field];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      problems.push(`zone ${zone.id}: a ${zone.kind} zone needs ${field} ≥ 0`);
    }
  };
  if (zone.kind === 'noParking') need('maxStationaryS');
  if (zone.kind === 'crowd') {
    need('maxPersons');
    need('minDurationS');
  }
  if (zone.kind === 'restricted') {
    if (!zone.hours || zone.hours.length === 0) problems.push(`zone ${zone.id}: a restricted zone needs hours`);
    zone.hours?.forEach((h, i) => {
      if (parseHhmm(h.from) === null || parseHhmm(h.to) === null) {
        problems.push(`zone ${zone.id}: hours[${i}] must be { from: "HH:MM", to: "HH:MM" } (00:00–23:59)`);
      }
    });
  }
  if (zone.minScore !== undefined && !(zone.minScore >= 0 && zone.minScore <= 1)) {
    problems.push(`zone ${zone.id}: minScore must be within 0–1`);
  }
  return problems;
}

function checkZones(camera: CameraSpec): void {
  const problems = camera.zones.flatMap(checkVideoZone);
  if (problems.length > 0) throw new RangeError(`camera ${camera.id}: ${problems.join('; ')}`);
}

function zoneClasses(zone: VideoZone): string[] {
  if (zone.classes && zone.classes.length > 0) return zone.classes;
  return zone.kind === 'crowd' ? ['person'] : VEHICLES;
}

function centreShift(a: Box, b: Box): [dx: number, dy: number] {
  return [Math.abs(b.x + b.width / 2 - (a.x + a.width / 2)), Math.abs(b.y + b.height / 2 - (a.y + a.height / 2))];
}

function label(track: Track, extra = ''): string {
  return `${track.className} ${track.score.toFixed(2)}${extra}`;
}

interface Standing {
  /** Where the vehicle stood when this stay began: moving beyond tolerance from it starts a new stay. */
  anchor: Box;
  sinceMs: number;
  fired: boolean;
}

interface CrowdEpisode {
  startMs: number;
  fired: boolean;
  /** When the count last went down to the limit, while a fired episode waits to see whether the crowd is gone. */
  belowSinceMs: number | null;
}

/** The rules of one camera: fed the tracker's live tracks for each frame the detector saw, in time order. */
export class VideoRules {
  private readonly tolerance: number;
  private camera: CameraSpec;
  private readonly standing = new Map<string, Standing>();
  private readonly crowds = new Map<string, CrowdEpisode>();
  private readonly restrictedFired = new Set<string>();
  private readonly counters: VideoRulesStats = {
    evaluations: 0,
    drafts: { noParking: 0, crowd: 0, restricted: 0 },
  };

  constructor(
    camera: CameraSpec,
    private readonly options: VideoRulesOptions,
  ) {
    checkZones(camera);
    this.camera = camera;
    this.tolerance = options.stationaryTolerance ?? 0.15;
  }

  /**
   * The camera's zones, thresholds or place changed while it runs. A zone that keeps its id and kind keeps its
   * episodes (a car standing since 10:02 still stands since 10:02, and one already reported is not reported again),
   * judged by the new polygon and thresholds from the next frame on; the state of removed zones, and of zones that
   * changed kind, is dropped. Bad zones throw a RangeError and change nothing.
   */
  reconfigure(camera: CameraSpec): void {
    checkZones(camera);
    const kept = new Set(
      camera.zones.filter((z) => this.camera.zones.some((o) => o.id === z.id && o.kind === z.kind)).map((z) => z.id),
    );
    const zoneOfKey = (key: string) => key.slice(0, key.indexOf('|'));
    for (const key of this.standing.keys()) if (!kept.has(zoneOfKey(key))) this.standing.delete(key);
    for (const key of this.restrictedFired) if (!kept.has(zoneOfKey(key))) this.restrictedFired.delete(key);
    for (const zoneId of this.crowds.keys()) if (!kept.has(zoneId)) this.crowds.delete(zoneId);
    this.camera = camera;
  }

  /** Judges the frame's live tracks (the tracker's `live` after updating with this frame's detections). */
  evaluate(frame: Frame, tracks: readonly Track[]): VideoDraft[] {
    this.counters.evaluations++;
    const out: VideoDraft[] = [];
    const liveIds = new Set(tracks.map((t) => t.id));
    for (const zone of this.camera.zones) {
      const classes = zoneClasses(zone);
      const minScore = zone.minScore ?? DEFAULT_MIN_SCORE;
      const inZone = tracks.filter(
        (t) =>
          classes.includes(t.className) &&
          t.score >= minScore &&
          boxInImagePolygon(t.box, frame.width, frame.height, zone.polygon),
      );
      const drafts =
        zone.kind === 'noParking'
          ? this.noParking(zone, frame, inZone)
          : zone.kind === 'crowd'
            ? this.crowd(zone, frame, inZone)
            : this.restricted(zone, frame, inZone);
      this.counters.drafts[zone.kind] += drafts.length;
      out.push(...drafts);
    }
    // Forget tracks that ended: their ids never come back.
    for (const key of this.standing.keys())
      if (!liveIds.has(key.slice(key.indexOf('|') + 1))) this.standing.delete(key);
    for (const key of this.restrictedFired)
      if (!liveIds.has(key.slice(key.indexOf('|') + 1))) this.restrictedFired.delete(key);
    return out;
  }

  stats(): VideoRulesStats {
    return { evaluations: this.counters.evaluations, drafts: { ...this.counters.drafts } };
  }

  private noParking(zone: VideoZone, frame: Frame, inZone: Track[]): VideoDraft[] {
    const out: VideoDraft[] = [];
    const present = new Set<string>();
    for (const track of inZone) {
      const key = `${zone.id}|${track.id}`;
      present.add(key);
      let s = this.standing.get(key);
      const [dx, dy] = s ? centreShift(s.anchor, track.box) : [0, 0];
      if (!s || dx > this.tolerance * s.anchor.width || dy > this.tolerance * s.anchor.height) {
        // A vehicle that drives in and parks: its stay starts where it stopped, not where it was first seen. One still
        // where the tracker first saw it has stood there since then (the rules see a track once it is confirmed).
        const sinceFirst = !s && isStationary(track, this.tolerance);
        s = {
          anchor: sinceFirst ? { ...track.firstBox } : { ...track.box },
          sinceMs: sinceFirst ? track.firstSeenMs : track.lastSeenMs,
          fired: false,
        };
        this.standing.set(key, s);
      }
      // Until it was last seen: a live track the detector missed in this frame is not proof it is still standing.
      const stationaryS = (track.lastSeenMs - s.sinceMs) / 1000;
      if (s.fired || stationaryS <= zone.maxStationaryS!) continue;
      s.fired = true;
      const seconds = Math.round(stationaryS);
      out.push(
        this.draft(zone, frame, {
          key: `${track.id}:${s.sinceMs}`,
          startMs: s.sinceMs,
          endMs: track.lastSeenMs,
          confidence: track.score,
          description: `${track.className} standing in no-parking zone ${zone.name} for ${seconds} s (allowed ${zone.maxStationaryS} s)`,
          measured: {
            className: track.className,
            score: track.score,
            stationaryS: seconds,
            maxStationaryS: zone.maxStationaryS,
            trackId: track.id,
            zoneId: zone.id,
            box: track.box,
          },
          boxes: [{ box: track.box, label: label(track, ` ${seconds}S`) }],
        }),
      );
    }
    // Leaving the zone ends the stay; coming back is a new episode.
    for (const key of this.standing.keys())
      if (key.startsWith(`${zone.id}|`) && !present.has(key)) this.standing.delete(key);
    return out;
  }

  private crowd(zone: VideoZone, frame: Frame, inZone: Track[]): VideoDraft[] {
    const count = inZone.length;
    const over = count > zone.maxPersons!;
    const minMs = zone.minDurationS! * 1000;
    let e = this.crowds.get(zone.id);
    if (!e) {
      if (over) this.crowds.set(zone.id, { startMs: frame.timeMs, fired: false, belowSinceMs: null });
      e = this.crowds.get(zone.id);
      if (!e || minMs > 0) return [];
    } else if (!over) {
      // Hysteresis: a crowd that was reported must stay thin for minDurationS before it is over (a detector missing
      // two people for a sample does not make a second episode); one not yet reported simply did not last.
      if (!e.fired) this.crowds.delete(zone.id);
      else if (e.belowSinceMs === null) e.belowSinceMs = frame.timeMs;
      else if (frame.timeMs - e.belowSinceMs >= minMs) this.crowds.delete(zone.id);
      return [];
    }
    e.belowSinceMs = null;
    if (e.fired || frame.timeMs - e.startMs < minMs) return [];
    e.fired = true;
    const durationS = Math.round((frame.timeMs - e.startMs) / 1000);
    const meanScore = inZone.reduce((s, t) => s + t.score, 0) / count;
    return [
      this.draft(zone, frame, {
        key: `crowd:${e.startMs}`,
        startMs: e.startMs,
        confidence: meanScore,
        description: `${count} people in zone ${zone.name} for ${durationS} s (allowed ${zone.maxPersons})`,
        measured: {
          className: 'person',
          score: meanScore,
          count,
          maxPersons: zone.maxPersons,
          durationS,
          trackIds: inZone.map((t) => t.id),
          zoneId: zone.id,
        },
        boxes: inZone.map((t) => ({ box: t.box, label: label(t) })),
      }),
    ];
  }

  private restricted(zone: VideoZone, frame: Frame, inZone: Track[]): VideoDraft[] {
    if (inZone.length === 0 || !inLocalWindow(frame.timeMs, this.options.timeZone, zone.hours ?? [])) return [];
    const out: VideoDraft[] = [];
    for (const track of inZone) {
      const key = `${zone.id}|${track.id}`;
      if (this.restrictedFired.has(key)) continue;
      this.restrictedFired.add(key);
      const what = isVehicleClass(track.className) ? 'vehicle' : track.className;
      const hours = (zone.hours ?? []).map((h) => `${h.from}–${h.to}`).join(', ');
      out.push(
        this.draft(zone, frame, {
          key: track.id,
          startMs: track.firstSeenMs,
          confidence: track.score,
          description: `${what} (${track.className}) in restricted zone ${zone.name} during restricted hours ${hours}`,
          measured: {
            className: track.className,
            score: track.score,
            stationaryS: Math.round((frame.timeMs - track.firstSeenMs) / 1000),
            trackId: track.id,
            zoneId: zone.id,
            box: track.box,
          },
          boxes: [{ box: track.box, label: label(track) }],
        }),
      );
    }
    return out;
  }

  private draft(
    zone: VideoZone,
    frame: Frame,
    d: {
      key: string;
      startMs: number;
      endMs?: number;
      confidence: number;
      description: string;
      measured: Record<string, unknown>;
      boxes: VideoDraft['boxes'];
    },
  ): VideoDraft {
    const cam = this.camera;
    const ruleId = `video:${cam.id}:${zone.id}`;
    const draft: CandidateDraft = {
      ruleId,
      ruleKind: VIDEO_RULE_KINDS[zone.kind],
      classRef: zone.classRef,
      standardId: zone.standardId ?? null,
      deviceId: cam.id,
      lon: cam.lon,
      lat: cam.lat,
      cell: this.options.locate?.(cam.lon, cam.lat) ?? null,
      startMs: d.startMs,
      endMs: d.endMs ?? frame.timeMs,
      confidence: Math.round(d.confidence * 1000) / 1000,
      description: `camera ${cam.name}: ${d.description}`,
      evidence: { measured: d.measured },
      key: `${ruleId}:${d.key}`,
    };
    return { draft, frame, boxes: d.boxes };
  }
}
