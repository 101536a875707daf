// 视频监控装配 the video path's composition: the camera registry (always: cameras are registered and configured even
// while video is off), and with VIDEO_ENABLED the RTMP/HTTP-FLV media server (signed publish keys), RTSP pulls, the
// detector worker pool and the per-camera pipeline whose candidates join the detection rules' queue. Wiring only.
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { Gauge, Histogram, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import { keptSecret } from './kept-secret.js';
import { startMediaServer, type MediaServer } from '../ingest/video/media-server.js';
import { DetectorPool } from '../models/pool.js';
// The manifest only (the loader would pull TensorFlow.js into the main thread even with video off).
import manifest from '../models/manifest.json' with { type: 'json' };
import type { CaseLoop } from './case-loop.js';
import type { Cluster } from './cluster/cluster.js';
import { cameraMediaSink } from './cameras/media-sink.js';
import { CameraPullers } from './cameras/pullers.js';
import { CameraRegistry } from './cameras/registry.js';
import type { HubConfig } from './config.js';
import { cameraRoutes } from './http/cameras.js';
import { localRtmpPlayUrl, registryCameraSource } from './video/cameras.js';
import { VideoService } from './video/service.js';

export interface VideoLoopOptions {
  pool: pg.Pool;
  /** Where the video counters are published (GET /metrics). */
  metrics: Registry;
  http: FastifyInstance;
  config: HubConfig;
  caseLoop: CaseLoop;
  log: Logger;
  /** Several hub processes: a camera changed on one reloads the registry's cache and the pulls in every one. */
  cluster?: Cluster;
}

export interface VideoLoop {
  cameras: CameraRegistry;
  media: MediaServer | null;
  registerRoutes(): Promise<void>;
  close(): Promise<void>;
}

export async function startVideoLoop(options: VideoLoopOptions): Promise<VideoLoop> {
  const { pool, config, caseLoop, log } = options;
  const cameras = new CameraRegistry(pool, { catalogue: caseLoop.catalogue, detectorClasses: manifest.classes });
  // One process alone: nothing publishes before it starts. Several: the others' cameras are publishing to them.
  if (!options.cluster?.clustered) await cameras.markAllOffline();
  await cameras.loadPublishable();
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch((err: Error) => log.warn({ err: err.message }, 'video stop'));
  };

  let media: MediaServer | null = null;
  let pullers: CameraPullers | null = null;
  let video: VideoService | null = null;
  try {
    if (config.videoEnabled) {
      // Several processes: which one each camera publishes to is recorded, for when this one dies (hub/cluster/).
      const sink = cameraMediaSink(cameras, log, options.cluster?.cameraPublishers ?? undefined);
      media = await startMediaServer({
        host: config.videoHost,
        rtmpPort: config.rtmpPort,
        httpPort: config.httpFlvPort,
        secret: await keptSecret(config.videoSecret, config.dataDir, 'video-secret', 'VIDEO_SECRET', log),
        ...(config.videoPublicHost ? { publicHost: config.videoPublicHost } : {}),
        log,
        sink: {
          ...sink,
          publishStarted: (id) => {
            sink.publishStarted(id);
            void video?.streamStarted(id);
          },
        },
      });
      const server = media;
      closers.push(() => server.close());
      // Taken for dead by the others (it stalled): its cameras may have been marked offline; those publishing are not.
      options.cluster?.onRejoin(() => {
        for (const id of server.liveCameras()) sink.publishStarted(id);
      });
      pullers = new CameraPullers({
        publishUrl: (id) => server.localPublishUrl(id, 300).url,
        onStatus: (s) => log.info(s, 'rtsp pull'),
      });
      const pull = pullers;
      closers.push(() => pull.close());
      await pull.sync(await cameras.list());
      const detector = await DetectorPool.start({ size: config.videoDetectorWorkers });
      closers.push(() => detector.close());
      // From a frame handed to the pool to its detections (queue wait included): what a camera's chain waits.
      const detectSeconds = new Histogram({
        name: 'cityhub_video_detect_seconds',
        help: 'Time from a frame handed to the detector pool to its detections (queue wait included)',
        buckets: [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 5, 10],
        registers: [options.metrics],
      });
      video = new VideoService({
        pool,
        candidates: caseLoop.candidates,
        detector: {
          async detect(frame) {
            const end = detectSeconds.startTimer();
            const found = await detector.detect(frame);
            end();
            return found;
          },
          close: () => detector.close(),
        },
        cameras: registryCameraSource(cameras, (id) => localRtmpPlayUrl(server, id)),
        mediaDir: path.resolve(config.dataDir, 'media'),
        timeZone: caseLoop.timeZone,
        locate: (lon, lat) => caseLoop.geocoder.locate(lon, lat)?.cell ?? null,
        log: log.child({ part: 'video' }),
        onRaised: (result) => caseLoop.candidateRaised(result),
      });
      const service = video;
      closers.push(() => service.close());
      await service.sync();
      // Per camera, what each stage did with the frames: sampled, dropped while busy, kept from the detector by the
      // motion gate or let through, refused by a full detector pool, detected; read from the pipeline's own counters
      // when Prometheus scrapes (since the camera's analysis started).
      new Gauge({
        name: 'cityhub_video_frames',
        help:
          'Frames per camera and stage since its analysis started: sampled, dropped (busy), gate_skipped, ' +
          'gate_passed, detector_refused (pool full or failed), detected',
        labelNames: ['camera', 'stage'] as const,
        registers: [options.metrics],
        collect() {
          this.reset();
          for (const c of service.stats().perCamera) {
            this.set({ camera: c.cameraId, stage: 'sampled' }, c.sampler.frames);
            this.set({ camera: c.cameraId, stage: 'dropped' }, c.sampler.dropped);
            this.set({ camera: c.cameraId, stage: 'gate_skipped' }, c.motion.skipped);
            this.set({ camera: c.cameraId, stage: 'gate_passed' }, c.motion.passed);
            this.set({ camera: c.cameraId, stage: 'detector_refused' }, c.detectorErrors);
            this.set({ camera: c.cameraId, stage: 'detected' }, c.detected);
          }
        },
      });
      new Gauge({
        name: 'cityhub_video_detector_queue',
        help: 'Frames in the detector pool: in_flight, queued, dropped (pool full) since start',
        labelNames: ['state'] as const,
        registers: [options.metrics],
        collect() {
          const d = detector.stats();
          this.set({ state: 'in_flight' }, d.inFlight);
          this.set({ state: 'queued' }, d.queued);
          this.set({ state: 'dropped' }, d.dropped);
        },
      });
      log.info(
        { rtmpPort: server.rtmpPort, httpFlvPort: server.httpPort, detector: detector.stats().backend },
        'video ready',
      );
    }
  } catch (err) {
    await close();
    throw err;
  }

  /** A camera was created, edited, enabled or disabled: the pulls, the media server and the analysis follow. */
  const applyChange = async (id: string, enabled: boolean) => {
    await pullers?.sync(await cameras.list());
    if (!enabled) media?.disconnect(id);
    await video?.sync();
  };

  return {
    cameras,
    media,
    async registerRoutes() {
      await options.http.register(cameraRoutes, {
        registry: cameras,
        auth: caseLoop.sessions,
        ...(media ? { media } : {}),
        onChange: async (camera) => {
          await applyChange(camera.id, camera.enabled);
          options.cluster?.caches?.announce('cameras', { id: camera.id, enabled: camera.enabled });
        },
      });
      await options.cluster?.caches?.onChange('cameras', async (m) => {
        await cameras.loadPublishable();
        await applyChange(String(m.id), m.enabled === true);
      });
    },
    close,
  };
}
