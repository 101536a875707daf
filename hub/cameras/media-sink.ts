// 视频接入 the media server's sink on the hub side: who may publish, and with which publish key version, comes from the
// registry's in-memory cache (the media server asks synchronously), and online/offline land in the registry; a failed
// status write is logged, never thrown into node-media-server's event loop. With several hub processes, which process
// a camera publishes to is recorded too (hub/cluster/camera-publishers.ts), so that if this one dies the elected one
// can mark the camera offline: recorded before the 'online', forgotten after the 'offline'.
import type { MediaServerSink } from '../../ingest/video/media-server.js';
import type { CameraRegistry } from './registry.js';

export interface SinkLog {
  error(obj: object, msg: string): void;
}

/** Where a camera publishes (hub/cluster/camera-publishers.ts); absent with one process. */
export interface PublisherRecord {
  started(cameraId: string): Promise<void>;
  ended(cameraId: string): Promise<void>;
}

export function cameraMediaSink(registry: CameraRegistry, log: SinkLog, publishers?: PublisherRecord): MediaServerSink {
  const status = (cameraId: string, value: 'online' | 'offline') =>
    registry.setStatus(cameraId, value).catch((err: unknown) => {
      log.error({ err, cameraId, status: value }, 'could not store the camera status');
    });
  const recorded = (cameraId: string, what: 'started' | 'ended', step: Promise<void>) =>
    step.catch((err: unknown) => log.error({ err, cameraId }, `could not record that the camera's publishing ${what}`));
  return {
    publishKeyVersion: (cameraId) => registry.publishKeyVersion(cameraId),
    publishStarted: (cameraId) => {
      if (!publishers) return void status(cameraId, 'online');
      void recorded(cameraId, 'started', publishers.started(cameraId)).then(() => status(cameraId, 'online'));
    },
    publishEnded: (cameraId) => {
      if (!publishers) return void status(cameraId, 'offline');
      void status(cameraId, 'offline').then(() => recorded(cameraId, 'ended', publishers.ended(cameraId)));
    },
  };
}
