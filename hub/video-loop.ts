// 视频监控装配 the video path's composition: the camera registry (always: cameras are registered and configured even
// while video is off), and with VIDEO_ENABLED the RTMP/HTTP-FLV media server (signed publish keys), RTSP pulls, the
// detector worker pool and the per-camera pipeline whose candidates join the detection rules' queue. Wiring only.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { Logger } from 'pino';
import { startMediaServer, type MediaServer } from '../ingest/video/media-server.js';
import { DetectorPool } from '../models/pool.js';
// The manifest only (the loader would pull TensorFlow.js into the main thread even with video off).
import manifest from '../models/manifest.json' with { type: 'json' };
import type { CaseLoop } from './case-loop.js';
import { cameraMediaSink } from './cameras/media-sink.js';
import { CameraPullers } from './cameras/pullers.js';
import { CameraRegistry } from './cameras/registry.js';
import type { HubConfig } from './config.js';
import { cameraRoutes } from './http/cameras.js';
import { localRtmpPlayUrl, registryCameraSource } from './video/cameras.js';
import { VideoService } from './video/service.js';

export interface VideoLoopOptions {
  pool: pg.Pool;
  http: FastifyInstance;
  config: HubConfig;
  caseLoop: CaseLoop;
  log: Logger;
}

export interface VideoLoop {
  cameras: CameraRegistry;
  media: MediaServer | null;
  registerRoutes(): Promise<void>;
  close(): Promise<void>;
}

/** VIDEO_SECRET, or one generated on first start and kept (mode 0600), so issued publish keys survive restarts. */
async function videoSecret(config: HubConfig, log: Logger): Promise<string> {
  if (config.videoSecret) return config.videoSecret;
  const file = path.resolve(config.dataDir, 'video-secret');
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  await mkdir(path.dirname(file), { recursive: true });
  const secret = randomBytes(24).toString('base64url');
  await writeFile(file, secret + '\n', { mode: 0o600 });
  log.warn({ file }, 'no VIDEO_SECRET: generated one for camera publish keys and saved it');
  return secret;
}

export async function startVideoLoop(options: VideoLoopOptions): Promise<VideoLoop> {
  const { pool, config, caseLoop, log } = options;
  const cameras = new CameraRegistry(pool, { catalogue: caseLoop.catalogue, detectorClasses: manifest.classes });
  await cameras.markAllOffline();
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
      const sink = cameraMediaSink(cameras, log);
      media = await startMediaServer({
        host: config.videoHost,
        rtmpPort: config.rtmpPort,
        httpPort: config.httpFlvPort,
        secret: await videoSecret(config, log),
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
      pullers = new CameraPullers({
        publishUrl: (id) => server.localPublishUrl(id, 300).url,
        onStatus: (s) => log.info(s, 'rtsp pull'),
      });
      const pull = pullers;
      closers.push(() => pull.close());
      await pull.sync(await cameras.list());
      const detector = await DetectorPool.start({ size: config.videoDetectorWorkers });
      closers.push(() => detector.close());
      video = new VideoService({
        pool,
        candidates: caseLoop.candidates,
        detector,
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
      log.info(
        { rtmpPort: server.rtmpPort, httpFlvPort: server.httpPort, detector: detector.stats().backend },
        'video ready',
      );
    }
  } catch (err) {
    await close();
    throw err;
  }

  return {
    cameras,
    media,
    async registerRoutes() {
      await options.http.register(cameraRoutes, {
        registry: cameras,
        auth: caseLoop.sessions,
        ...(media ? { media } : {}),
        onChange: async (camera) => {
          await pullers?.sync(await cameras.list());
          if (!camera.enabled) media?.disconnect(camera.id);
          await video?.sync();
        },
      });
    },
    close,
  };
}
