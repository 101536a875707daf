// 目标跟踪 object tracking: associates the detector's boxes across samples by overlap (IoU), so "the same car has stood in
// the zone for ten minutes" is a fact about one track rather than a guess from separate detections. Pure, per camera.
import type { Box, Detection, Track } from './types.js';

/** COCO classes a detector confuses with each other for the same object: a parked van is a car in one sample, a truck in the next. */
const VEHICLES = new Set(['car', 'truck', 'bus', 'motorcycle']);

/** The family a class associates within: vehicles match each other, every other class only itself. */
export function classFamily(className: string): string {
  return VEHICLES.has(className) ? 'vehicle' : className;
}

export function isVehicleClass(className: string): boolean {
  return VEHICLES.has(className);
}

/** Intersection over union of two boxes, 0–1. */
export function iou(a: Box, b: Box): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

export function boxCentre(box: Box): [x: number, y: number] {
  return [box.x + box.width / 2, box.y + box.height / 2];
}

/**
 * Whether the object has stayed where it was: its centre moved from `from` (default the first box) by less than
 * `toleranceFraction` of that box's width horizontally and of its height vertically. Box size, not pixels, so the same
 * tolerance holds for a car near the camera and one far away; a box jitters a few percent between samples.
 */
export function isStationary(track: Track, toleranceFraction: number, from: Box = track.firstBox): boolean {
  const [x0, y0] = boxCentre(from);
  const [x1, y1] = boxCentre(track.box);
  return Math.abs(x1 - x0) <= toleranceFraction * from.width && Math.abs(y1 - y0) <= toleranceFraction * from.height;
}

export interface TrackerOptions {
  /** Minimum IoU to continue a track (default 0.3). */
  minIou?: number;
  /** Samples a track must be seen in before it counts (default 2): one stray detection is not an object. */
  minHits?: number;
  /**
   * A track not seen for longer than this ends (default 30 000). The detector only runs on motion or re-confirmation,
   * so this must exceed the motion gate's `recheckEveryMs`, or standing objects die between re-checks.
   */
  maxMissedMs?: number;
}

export interface TrackerUpdate {
  /** Confirmed tracks alive after this sample (seen now or missed for less than `maxMissedMs`). */
  live: Track[];
  /** Confirmed tracks that ended at this sample. */
  ended: Track[];
  /** For each detection given, in order: the id of the confirmed track it belongs to, null while tentative. */
  trackIds: Array<string | null>;
}

export interface TrackerStats {
  samples: number;
  /** Tracks that reached `minHits`. */
  born: number;
  /** Confirmed tracks that ended. */
  died: number;
  /** Tentative tracks dropped before confirmation (stray detections). */
  discarded: number;
  live: number;
}

export class Tracker {
  private readonly minIou: number;
  private readonly minHits: number;
  private readonly maxMissedMs: number;
  private readonly tracks: Track[] = [];
  /** The best score seen per track: its class is taken from its most confident detection. */
  private readonly bestScore = new Map<string, number>();
  private seq = 0;
  private readonly counters = { samples: 0, born: 0, died: 0, discarded: 0 };

  constructor(
    private readonly cameraId: string,
    options: TrackerOptions = {},
  ) {
    this.minIou = options.minIou ?? 0.3;
    this.minHits = options.minHits ?? 2;
    this.maxMissedMs = options.maxMissedMs ?? 30_000;
  }

  /** Feeds the detections of one sample (samples in time order). */
  update(timeMs: number, detections: readonly Detection[]): TrackerUpdate {
    this.counters.samples++;
    const ended: Track[] = [];
    for (let i = this.tracks.length - 1; i >= 0; i--) {
      const t = this.tracks[i]!;
      if (timeMs - t.lastSeenMs > this.maxMissedMs) {
        this.tracks.splice(i, 1);
        this.bestScore.delete(t.id);
        if (this.confirmed(t)) {
          this.counters.died++;
          ended.push(t);
        } else {
          this.counters.discarded++;
        }
      }
    }

    // Greedy by best overlap: simpler than the Hungarian method and the same answer when objects do not overlap much,
    // which at one sample per second or two is the usual street scene.
    const pairs: Array<{ t: number; d: number; overlap: number }> = [];
    this.tracks.forEach((track, t) => {
      const family = classFamily(track.className);
      detections.forEach((det, d) => {
        if (classFamily(det.className) !== family) return;
        const overlap = iou(track.box, det.box);
        if (overlap >= this.minIou) pairs.push({ t, d, overlap });
      });
    });
    pairs.sort((a, b) => b.overlap - a.overlap);
    const trackTaken = new Set<number>();
    const owner: Array<Track | null> = detections.map(() => null);
    for (const p of pairs) {
      if (trackTaken.has(p.t) || owner[p.d]) continue;
      trackTaken.add(p.t);
      const track = this.tracks[p.t]!;
      const det = detections[p.d]!;
      const wasConfirmed = this.confirmed(track);
      track.box = { ...det.box };
      track.score = det.score;
      track.lastSeenMs = timeMs;
      track.hits++;
      if (det.score > (this.bestScore.get(track.id) ?? 0)) {
        this.bestScore.set(track.id, det.score);
        track.className = det.className;
      }
      if (!wasConfirmed && this.confirmed(track)) this.counters.born++;
      owner[p.d] = track;
    }
    detections.forEach((det, d) => {
      if (owner[d]) return;
      const track: Track = {
        id: `${this.cameraId}:${timeMs}:${++this.seq}`,
        cameraId: this.cameraId,
        className: det.className,
        box: { ...det.box },
        score: det.score,
        firstSeenMs: timeMs,
        lastSeenMs: timeMs,
        firstBox: { ...det.box },
        hits: 1,
      };
      this.tracks.push(track);
      this.bestScore.set(track.id, det.score);
      if (this.confirmed(track)) this.counters.born++;
      owner[d] = track;
    });

    return {
      live: this.live(),
      ended,
      trackIds: owner.map((t) => (t && this.confirmed(t) ? t.id : null)),
    };
  }

  /** Confirmed tracks currently alive. */
  live(): Track[] {
    return this.tracks.filter((t) => this.confirmed(t));
  }

  stats(): TrackerStats {
    return { ...this.counters, live: this.live().length };
  }

  private confirmed(track: Track): boolean {
    return track.hits >= this.minHits;
  }
}
