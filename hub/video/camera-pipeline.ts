// 单路视频分析 one camera's analysis chain: each sampled frame → motion gate → detector (shared pool) → tracker → zones and
// video rules → (detections rows, evidence snapshots, candidates). One frame at a time per camera: the sampler drops
// frames that arrive while the previous one is still in the chain, so a slow detector costs samples, not memory.
// Nothing here throws into the sampler: every failure is counted and logged with the camera. The camera's zones can be
// replaced while it runs (`reconfigure`): the gate, the tracker and the tracks in view carry on.
import type { Logger } from 'pino';
import type { MotionGate, MotionStats } from '../../ingest/video/motion.js';
import type { Tracker, TrackerStats } from '../../ingest/video/tracker.js';
import type {
  CameraSpec,
  Detection,
  DetectionRecord,
  Detector,
  Frame,
  Track,
  VideoDraft,
  VideoZone,
} from '../../ingest/video/types.js';
import { boxInImagePolygon } from '../../ingest/video/zones.js';

/** The video rules of one camera, fed the tracker's view after every frame the detector saw. */
export interface VideoRuleStage {
  evaluate(frame: Frame, live: readonly Track[]): VideoDraft[];
  /** The camera's zones or place changed: judge with them from the next frame on. */
  reconfigure(camera: CameraSpec): void;
}

/** Where the chain's results go (the hub's stores and candidate queue). */
export interface PipelineSinks {
  /** Stores the detections of one frame. */
  detections(records: DetectionRecord[], frame: Frame): Promise<void>;
  /** Stores the snapshot and raises the draft; resolves when both are done. */
  draft(draft: VideoDraft): Promise<void>;
}

export interface CameraPipelineStages {
  gate: MotionGate;
  detector: Detector;
  tracker: Tracker;
  rules: VideoRuleStage;
}

export interface CameraPipelineStats {
  /** Frames that entered the chain. */
  frames: number;
  /** Frames the detector saw (gate passed and the detector answered). */
  detected: number;
  /** Frames the gate passed but the shared detector was full or failed on (counted, not retried). */
  detectorErrors: number;
  detections: number;
  /** Summed detector latency of the frames it answered, ms. */
  detectMsTotal: number;
  drafts: number;
  /** Failures writing detections or storing and raising a draft (logged). */
  sinkErrors: number;
  /** Rule evaluation failures (logged; the next frame is evaluated again). */
  ruleErrors: number;
  motion: MotionStats;
  tracker: TrackerStats;
}

/** The zone an object stands in (by its box's ground point), the first drawn one when zones overlap. */
export function zoneOf(
  box: Detection['box'],
  frame: { width: number; height: number },
  zones: readonly VideoZone[],
): string | null {
  for (const z of zones) if (boxInImagePolygon(box, frame.width, frame.height, z.polygon)) return z.id;
  return null;
}

export class CameraPipeline {
  private readonly counters = {
    frames: 0,
    detected: 0,
    detectorErrors: 0,
    detections: 0,
    detectMsTotal: 0,
    drafts: 0,
    sinkErrors: 0,
    ruleErrors: 0,
  };
  /** Zones the detector saw an object in at its last pass. */
  private lastSeenZones = new Set<string>();
  private spec: CameraSpec;

  constructor(
    camera: CameraSpec,
    private readonly stages: CameraPipelineStages,
    private readonly sinks: PipelineSinks,
    private readonly log: Pick<Logger, 'warn' | 'error'>,
  ) {
    this.spec = camera;
  }

  get camera(): CameraSpec {
    return this.spec;
  }

  /**
   * New zones, thresholds or place for the running camera, from the next frame on. The rules check the zones first (a
   * RangeError leaves everything as it was); the tracker's tracks and the motion gate's background are kept, so an
   * object already standing in view keeps its track and its time.
   */
  reconfigure(camera: CameraSpec): void {
    if (camera.id !== this.spec.id) throw new RangeError(`camera ${this.spec.id} cannot become ${camera.id}`);
    this.stages.rules.reconfigure(camera);
    this.spec = camera;
    const ids = new Set(camera.zones.map((z) => z.id));
    this.lastSeenZones = new Set([...this.lastSeenZones].filter((id) => ids.has(id)));
  }

  /** The sampler's consumer: resolves when this frame has gone through the whole chain (or failed somewhere). */
  async onFrame(frame: Frame): Promise<void> {
    this.counters.frames += 1;
    const { gate, detector, tracker, rules } = this.stages;
    const zones = this.camera.zones;
    // Zones where something stands: the gate re-checks them now and then so a parked car's track stays alive. The
    // detector's last sightings count too, not only confirmed tracks: a car already parked when the camera starts makes
    // no motion after the first frame, and without a re-check its track would never reach confirmation.
    const standing = new Set<string>(this.lastSeenZones);
    for (const t of tracker.live()) {
      const zoneId = zoneOf(t.box, frame, zones);
      if (zoneId) standing.add(zoneId);
    }
    if (!gate.shouldDetect(frame, zones, [...standing]).motion) return;

    let found: Detection[];
    const startMs = performance.now();
    try {
      found = await detector.detect(frame);
    } catch (err) {
      this.counters.detectorErrors += 1;
      this.log.warn({ err, cameraId: this.camera.id }, 'the detector did not take a frame; it is skipped');
      return;
    }
    this.counters.detected += 1;
    this.counters.detectMsTotal += performance.now() - startMs;
    this.counters.detections += found.length;

    const zoneIds = found.map((d) => zoneOf(d.box, frame, zones));
    this.lastSeenZones = new Set(zoneIds.filter((z): z is string => z !== null));
    const update = tracker.update(frame.timeMs, found);
    const records: DetectionRecord[] = found.map((d, i) => ({
      cameraId: this.camera.id,
      timeMs: frame.timeMs,
      className: d.className,
      score: d.score,
      box: d.box,
      zoneId: zoneIds[i] ?? null,
      trackId: update.trackIds[i] ?? null,
    }));
    const written = this.sinks.detections(records, frame).catch((err: unknown) => {
      this.counters.sinkErrors += 1;
      this.log.error({ err, cameraId: this.camera.id, rows: records.length }, 'detections could not be stored');
    });

    let drafts: VideoDraft[] = [];
    try {
      drafts = rules.evaluate(frame, update.live);
    } catch (err) {
      this.counters.ruleErrors += 1;
      this.log.error({ err, cameraId: this.camera.id }, 'a video rule failed on a frame');
    }
    // In order: the candidate queue's deduplication depends on drafts arriving in the order they fired.
    for (const draft of drafts) {
      this.counters.drafts += 1;
      try {
        await this.sinks.draft(draft);
      } catch (err) {
        this.counters.sinkErrors += 1;
        this.log.error(
          { err, cameraId: this.camera.id, ruleId: draft.draft.ruleId, key: draft.draft.key },
          'a video draft could not be stored and raised',
        );
      }
    }
    await written;
  }

  stats(): CameraPipelineStats {
    return { ...this.counters, motion: this.stages.gate.stats(), tracker: this.stages.tracker.stats() };
  }
}
