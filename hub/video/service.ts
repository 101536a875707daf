// 视频分析服务 video analysis on the hub: for every enabled camera, a sampler on the camera's stream in the local media
// server feeds that camera's chain (motion gate → shared detector pool → tracker → video rules); detections go into the
// `detections` hypertable, each draft's snapshot is stored as media and the draft is raised as a deduplicated candidate
// (待受理候选) like the detection rules' drafts, and the camera's online status and last frame time are reported back.
// Cameras added, changed, disabled or removed in the registry are picked up by `sync()` without touching the others;
// a running camera whose zones, thresholds or place change keeps its sampler and its tracks (only a new sampling
// interval restarts its ffmpeg, and even then the tracks in view are kept).
import type pg from 'pg';
import type { Logger } from 'pino';
import { MotionGate, type MotionOptions } from '../../ingest/video/motion.js';
import { FrameSampler, type SamplerEvent, type SamplerStats } from '../../ingest/video/sampler.js';
import { snapshotJpeg } from '../../ingest/video/snapshot.js';
import { Tracker, type TrackerOptions } from '../../ingest/video/tracker.js';
import type { CameraSpec, DetectionRecord, Detector, Frame, VideoDraft } from '../../ingest/video/types.js';
import { VideoRules, type VideoRulesStats } from '../../ingest/video/video-rules.js';
import type { CandidateDraft } from '../../ingest/rules/types.js';
import { newCandidateOf, type CandidateQueue, type MergePolicy, type RaiseResult } from '../cases/candidates.js';
import { CameraPipeline, type CameraPipelineStats } from './camera-pipeline.js';
import { DetectionStore } from './detections-store.js';
import { SnapshotStore } from './snapshots.js';

/** A camera as the video service needs it: what to analyse and where its stream is. */
export interface VideoCamera {
  spec: CameraSpec;
  enabled: boolean;
  /**
   * The stream in the local media server the sampler reads (RTMP or HTTP-FLV) with its play signature: the sampler
   * reconnects with it for as long as the camera runs, so sign it for long (e.g. `localPlayUrl(id, 10 years)`). A new
   * signature alone does not restart a running camera.
   */
  streamUrl: string;
  /** A recorded clip played as a camera (demos, tests): read at its native rate instead of as fast as it decodes. */
  realtime?: boolean;
}

/** What the video service knows of the camera registry (hub/cameras binds it). */
export interface VideoCameraSource {
  /** Every camera, enabled or not. */
  cameras(): Promise<VideoCamera[]>;
  /** Online (frames arrive) or offline (the stream ended or stalled), with the newest frame's time. */
  reportStatus(cameraId: string, status: { online: boolean; lastFrameMs: number | null }): Promise<void>;
}

export interface VideoServiceOptions {
  pool: pg.Pool;
  candidates: CandidateQueue;
  cameras: VideoCameraSource;
  /** The shared detector (models/ DetectorPool): every camera's frames go through it. */
  detector: Detector;
  /** DATA_DIR/media: the directory the media routes serve. */
  mediaDir: string;
  /** The city's IANA time zone (restricted hours). */
  timeZone: string;
  /** Grid cell of the camera's place, null outside the grid. */
  locate?: (lon: number, lat: number) => string | null;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Width of sampled frames (the height keeps the stream's aspect ratio); default 640. */
  frameWidth?: number;
  motion?: MotionOptions;
  tracker?: TrackerOptions;
  /** Stationary tolerance of the no-parking rule (share of the box size); default 0.15. */
  stationaryTolerance?: number;
  /** Deduplication of video candidates; default 50 m, 1 day, as the detection rules. */
  merge?: MergePolicy;
  /** Status reports about a camera that keeps delivering frames are written at most this often (default 10 000 ms). */
  statusEveryMs?: number;
  /** Sampler restart back-off and stall timeout (defaults of the sampler: 1 s doubling to 30 s; 20 s). */
  backoffMs?: number;
  maxBackoffMs?: number;
  stallTimeoutMs?: number;
  /** After each stored candidate (new, merged or attached): for the live queue and map. */
  onRaised?: (result: RaiseResult, draft: CandidateDraft) => void;
}

export interface VideoCameraStats extends CameraPipelineStats {
  cameraId: string;
  online: boolean;
  sampler: SamplerStats;
  rules: VideoRulesStats;
}

export interface VideoStats {
  cameras: number;
  /** Frames the gate kept from the detector, all cameras. */
  skippedByGate: number;
  detected: number;
  detectionsStored: number;
  snapshots: number;
  created: number;
  merged: number;
  attached: number;
  repeated: number;
  /** Drafts whose snapshot or raise failed (logged). */
  draftFailures: number;
  perCamera: VideoCameraStats[];
}

interface Running {
  /** `specKey` and `samplerKey` of what runs now. */
  specKey: string;
  samplerKey: string;
  camera: VideoCamera;
  sampler: FrameSampler;
  pipeline: CameraPipeline;
  rules: VideoRules;
  online: boolean;
  lastFrameMs: number | null;
  lastReportMs: number;
  /** The chain of status writes of this camera, in order. */
  reporting: Promise<void>;
  /** The frame the chain is working on (a replaced sampler's last one must finish before the new sampler delivers). */
  inFlight: Promise<void>;
}

/** What the chain judges with: zones, thresholds, place, name. A change is applied to the running chain in place. */
const specKey = (c: VideoCamera): string => JSON.stringify(c.spec);
/**
 * What the sampler's ffmpeg is started with (the stream URL aside: only its signature changes, never the stream). A
 * change restarts the sampler, not the chain.
 */
const samplerKey = (c: VideoCamera): string => JSON.stringify([c.realtime ?? false, c.spec.sampleIntervalMs]);

export class VideoService {
  readonly detections: DetectionStore;
  readonly snapshots: SnapshotStore;
  private readonly running = new Map<string, Running>();
  private syncing: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly counters = {
    detectionsStored: 0,
    snapshots: 0,
    created: 0,
    merged: 0,
    attached: 0,
    repeated: 0,
    draftFailures: 0,
  };

  constructor(private readonly options: VideoServiceOptions) {
    this.detections = new DetectionStore(options.pool);
    this.snapshots = new SnapshotStore(options.pool, options.mediaDir);
  }

  /**
   * Brings the running cameras in line with the registry: starts enabled cameras not running, stops removed or
   * disabled ones, and applies changes to running ones in place — new zones, thresholds or place go to the running
   * chain (sampler, motion background and tracks kept), a new sampling interval restarts only the sampler. Unchanged
   * cameras are not touched. Call at start and after every registry change. Calls are serialized. Resolves to the ids
   * running afterwards.
   */
  sync(): Promise<string[]> {
    const run = this.syncing.then(async () => {
      if (this.closed) return [];
      const wanted = new Map<string, VideoCamera>();
      for (const c of await this.options.cameras.cameras()) if (c.enabled) wanted.set(c.spec.id, c);
      for (const [id, r] of this.running) {
        const next = wanted.get(id);
        if (!next) await this.stopCamera(id, 'removed or disabled');
        else await this.applyChange(r, next);
      }
      for (const [id, camera] of wanted) {
        if (this.running.has(id)) continue;
        try {
          this.startCamera(camera);
        } catch (err) {
          // One badly configured camera (a zone the rules refuse) must not keep the others from running.
          this.options.log.error({ err, cameraId: id }, 'a camera could not be started; it is skipped');
        }
      }
      return [...this.running.keys()];
    });
    this.syncing = run.catch(() => undefined);
    return run;
  }

  /**
   * The camera started publishing (the media server's sink): a sampler waiting out its reconnect back-off (up to 30 s)
   * reads the stream now instead. Nothing happens for a camera that is not analysed or already delivering frames.
   */
  async streamStarted(cameraId: string): Promise<void> {
    const r = this.running.get(cameraId);
    if (!r || r.online) return;
    await r.sampler.stop();
    if (this.running.get(cameraId) === r) r.sampler.start();
  }

  /** The ids of the cameras being analysed. */
  runningCameras(): string[] {
    return [...this.running.keys()];
  }

  /** A running camera's registry entry changed (or not): its chain and sampler follow without a restart of both. */
  private async applyChange(r: Running, next: VideoCamera): Promise<void> {
    const id = next.spec.id;
    if (specKey(next) !== r.specKey) {
      try {
        r.pipeline.reconfigure(next.spec);
      } catch (err) {
        // The registry validates zones, so this is a camera whose zones the rules refuse after all: as at start, it is
        // not analysed rather than analysed with stale zones.
        this.options.log.error({ err, cameraId: id }, 'new zones could not be applied; the camera is stopped');
        await this.stopCamera(id, 'zones refused');
        return;
      }
      r.specKey = specKey(next);
      this.options.log.info({ cameraId: id, zones: next.spec.zones.length }, 'camera analysis reconfigured');
    }
    if (samplerKey(next) !== r.samplerKey) {
      await r.sampler.stop();
      // One frame at a time through the chain, across the two samplers too.
      await r.inFlight;
      if (this.running.get(id) !== r) return;
      r.sampler = this.newSampler(next);
      r.samplerKey = samplerKey(next);
      r.sampler.start();
      this.options.log.info(
        { cameraId: id, sampleIntervalMs: next.spec.sampleIntervalMs },
        'camera sampler restarted with a new interval',
      );
    }
    r.camera = next;
  }

  private newSampler(camera: VideoCamera): FrameSampler {
    const o = this.options;
    const id = camera.spec.id;
    const sampler: FrameSampler = new FrameSampler(
      {
        cameraId: id,
        source: camera.streamUrl,
        sampleIntervalMs: camera.spec.sampleIntervalMs,
        width: o.frameWidth ?? 640,
        realtime: camera.realtime ?? false,
        ...(o.backoffMs !== undefined ? { backoffMs: o.backoffMs } : {}),
        ...(o.maxBackoffMs !== undefined ? { maxBackoffMs: o.maxBackoffMs } : {}),
        ...(o.stallTimeoutMs !== undefined ? { stallTimeoutMs: o.stallTimeoutMs } : {}),
        // A replaced sampler's last events (its exit after stop) are not about the camera any more.
        onEvent: (event) => {
          if (this.running.get(id)?.sampler === sampler) this.samplerEvent(id, event);
        },
      },
      (frame) => this.onFrame(id, frame),
    );
    return sampler;
  }

  private startCamera(camera: VideoCamera): void {
    const o = this.options;
    const spec = camera.spec;
    const rules = new VideoRules(spec, {
      timeZone: o.timeZone,
      ...(o.stationaryTolerance !== undefined ? { stationaryTolerance: o.stationaryTolerance } : {}),
      ...(o.locate ? { locate: o.locate } : {}),
    });
    const pipeline = new CameraPipeline(
      spec,
      { gate: new MotionGate(o.motion), detector: o.detector, tracker: new Tracker(spec.id, o.tracker), rules },
      {
        detections: (records, frame) => this.storeDetections(records, frame),
        draft: (draft) => this.raiseDraft(draft),
      },
      o.log,
    );
    const sampler = this.newSampler(camera);
    const running: Running = {
      specKey: specKey(camera),
      samplerKey: samplerKey(camera),
      camera,
      sampler,
      pipeline,
      rules,
      online: false,
      lastFrameMs: null,
      lastReportMs: Number.NEGATIVE_INFINITY,
      reporting: Promise.resolve(),
      inFlight: Promise.resolve(),
    };
    this.running.set(spec.id, running);
    sampler.start();
    o.log.info(
      { cameraId: spec.id, zones: spec.zones.length, sampleIntervalMs: spec.sampleIntervalMs },
      'camera analysis started',
    );
  }

  private async stopCamera(id: string, why: string): Promise<void> {
    const r = this.running.get(id);
    if (!r) return;
    this.running.delete(id);
    await r.sampler.stop();
    // The frame still in the chain finishes (its detections and candidate are stored) before the camera counts as
    // stopped: at shutdown the database goes away next.
    await r.inFlight;
    if (r.online) this.report(r, false);
    await r.reporting;
    this.options.log.info({ cameraId: id, why }, 'camera analysis stopped');
  }

  private onFrame(cameraId: string, frame: Frame): Promise<void> {
    const r = this.running.get(cameraId);
    if (!r) return Promise.resolve();
    r.lastFrameMs = frame.timeMs;
    const statusEveryMs = this.options.statusEveryMs ?? 10_000;
    if (!r.online || frame.timeMs - r.lastReportMs >= statusEveryMs) this.report(r, true);
    r.inFlight = r.pipeline.onFrame(frame);
    return r.inFlight;
  }

  private samplerEvent(cameraId: string, event: SamplerEvent): void {
    const r = this.running.get(cameraId);
    if (!r) return;
    if (event.type === 'exit' || event.type === 'stall') {
      if (r.online) this.report(r, false);
      // A camera that is simply not publishing yet exits ffmpeg at once: worth a debug line, not an error per back-off.
      if (event.type === 'stall') this.options.log.warn({ cameraId }, 'camera stream stalled; restarting its sampler');
    } else if (event.type === 'error') {
      this.options.log.warn({ cameraId, message: event.message }, 'camera sampler error');
    }
  }

  /** Queues a status write behind the camera's previous one, so online/offline never arrive out of order. */
  private report(r: Running, online: boolean): void {
    r.online = online;
    r.lastReportMs = r.lastFrameMs ?? r.lastReportMs;
    const status = { online, lastFrameMs: r.lastFrameMs };
    const id = r.camera.spec.id;
    r.reporting = r.reporting.then(() =>
      this.options.cameras.reportStatus(id, status).catch((err: unknown) => {
        this.options.log.error({ err, cameraId: id }, 'camera status could not be stored');
      }),
    );
  }

  private async storeDetections(records: DetectionRecord[], frame: Frame): Promise<void> {
    this.counters.detectionsStored += await this.detections.write(records, frame);
  }

  /** The snapshot first (its media id is part of the evidence), then the raise with the detection rules' policy. */
  private async raiseDraft(vd: VideoDraft): Promise<void> {
    const d = vd.draft;
    try {
      const jpeg = await snapshotJpeg(vd.frame, vd.boxes);
      const snapshot = await this.snapshots.store(vd.frame.cameraId, jpeg, vd.frame.timeMs);
      this.counters.snapshots += 1;
      const draft: CandidateDraft = {
        ...d,
        evidence: {
          ...d.evidence,
          mediaIds: [snapshot.id],
          snapshot: { mediaId: snapshot.id, cameraId: vd.frame.cameraId, at: new Date(vd.frame.timeMs).toISOString() },
        } as CandidateDraft['evidence'],
      };
      const result = await this.options.candidates.raise(newCandidateOf(draft), this.options.merge ?? {});
      this.counters[result.outcome] += 1;
      if (result.outcome !== 'repeated') {
        try {
          this.options.onRaised?.(result, draft);
        } catch (err) {
          this.options.log.error({ err, ruleId: d.ruleId }, 'a candidate listener failed');
        }
      }
    } catch (err) {
      this.counters.draftFailures += 1;
      throw err;
    }
  }

  stats(): VideoStats {
    const perCamera = [...this.running.values()].map((r) => ({
      cameraId: r.camera.spec.id,
      online: r.online,
      sampler: r.sampler.stats(),
      rules: r.rules.stats(),
      ...r.pipeline.stats(),
    }));
    return {
      cameras: this.running.size,
      skippedByGate: perCamera.reduce((n, c) => n + c.motion.skipped, 0),
      detected: perCamera.reduce((n, c) => n + c.detected, 0),
      ...this.counters,
      perCamera,
    };
  }

  /** Stops every sampler (the detector belongs to the caller) and reports the cameras offline. */
  async close(): Promise<void> {
    await this.syncing;
    this.closed = true;
    for (const id of [...this.running.keys()]) await this.stopCamera(id, 'hub stopping');
  }
}
