// 视频监控点 the camera registry as the video service sees it: enabled cameras with their pipeline spec and the local
// stream the sampler reads; the sampler's last frame time written back to the registry (online/offline itself comes
// from the media server's publish events, hub/cameras/media-sink.ts).
import { toSpec, type CameraRegistry } from '../cameras/registry.js';
import type { MediaServer } from '../../ingest/video/media-server.js';
import type { VideoCameraSource } from './service.js';

/** Ten years: the sampler reconnects with the same URL for as long as the camera is analysed. */
export const SAMPLER_URL_TTL_S = 10 * 365 * 86_400;

/**
 * The camera's stream over RTMP on 127.0.0.1, with the viewer token the media server signs for HTTP-FLV (its play
 * check reads the same token on both protocols). RTMP rather than HTTP-FLV because ffmpeg probes node-media-server's
 * HTTP-FLV, which announces a data stream that never carries a packet, until its probe limits run out (many seconds).
 */
export function localRtmpPlayUrl(media: Pick<MediaServer, 'localPlayUrl' | 'rtmpPort'>, cameraId: string): string {
  const token = new URL(media.localPlayUrl(cameraId, SAMPLER_URL_TTL_S).url).searchParams.get('token') ?? '';
  return `rtmp://127.0.0.1:${media.rtmpPort}/live/${encodeURIComponent(cameraId)}?token=${encodeURIComponent(token)}`;
}

/**
 * `streamUrl(cameraId)`: the camera's stream in the local media server, signed for long (the sampler reconnects with
 * it), e.g. `(id) => localRtmpPlayUrl(media, id)`.
 */
export function registryCameraSource(
  registry: CameraRegistry,
  streamUrl: (cameraId: string) => string,
): VideoCameraSource {
  return {
    async cameras() {
      return (await registry.list()).map((c) => ({ spec: toSpec(c), enabled: c.enabled, streamUrl: streamUrl(c.id) }));
    },
    async reportStatus(cameraId, status) {
      if (status.lastFrameMs !== null) await registry.recordFrame(cameraId, status.lastFrameMs);
    },
  };
}
