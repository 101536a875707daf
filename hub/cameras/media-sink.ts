// 视频接入 the media server's sink on the hub side: who may publish, and with which publish key version, comes from the
// registry's in-memory cache (the media server asks synchronously), and online/offline land in the registry; a failed
// status write is logged, never thrown into node-media-server's event loop.
import type { MediaServerSink } from '../../ingest/video/media-server.js';
import type { CameraRegistry } from './registry.js';

export interface SinkLog {
  error(obj: object, msg: string): void;
}

export function cameraMediaSink(registry: CameraRegistry, log: SinkLog): MediaServerSink {
  const status = (cameraId: string, value: 'online' | 'offline') => {
    registry.setStatus(cameraId, value).catch((err: unknown) => {
      log.error({ err, cameraId, status: value }, 'could not store the camera status');
    });
  };
  return {
    publishKeyVersion: (cameraId) => registry.publishKeyVersion(cameraId),
    publishStarted: (cameraId) => status(cameraId, 'online'),
    publishEnded: (cameraId) => status(cameraId, 'offline'),
  };
}
