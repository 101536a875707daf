// 视频监控点管理 cameras as the admin screen edits them (hub/http/cameras.ts): the whole camera with its zones, create,
// change (zones replaced whole) and a publish key. Playback and snapshots go through $lib/api/cameras like everywhere.
import { api, type TokenHolder } from '$lib/api/http';
import type { CameraDto, CameraSource } from '../../../../hub/cameras/registry.js';
import type { VideoZone } from './zones';

export type { CameraSource };

/** A camera as GET /api/cameras answers it, with its zones. */
export type AdminCamera = CameraDto;

/** The field of view: a GeoJSON Polygon, WGS-84 [lon, lat]. */
export type ViewPolygon = NonNullable<AdminCamera['view']>;

/** What the camera form edits. */
export type CameraFields = Pick<
  AdminCamera,
  'name' | 'lon' | 'lat' | 'headingDeg' | 'view' | 'source' | 'rtspUrl' | 'sampleIntervalMs' | 'enabled'
>;

export interface PublishKey {
  url: string;
  expiresAt: string;
  /** The camera's key version this key carries. */
  keyVersion: number;
  /** Only when earlier keys were revoked: whether a publisher streaming with one was cut off. */
  disconnected?: boolean;
}

const path = (id: string, action = '') => `/api/cameras/${encodeURIComponent(id)}${action}`;

export async function listAdminCameras(session: TokenHolder, signal?: AbortSignal): Promise<AdminCamera[]> {
  return (await api<{ items: AdminCamera[] }>(session, '/api/cameras', { signal })).items;
}

export function getCamera(session: TokenHolder, id: string, signal?: AbortSignal): Promise<AdminCamera> {
  return api(session, path(id), { signal });
}

export function createCamera(session: TokenHolder, id: string, fields: CameraFields): Promise<AdminCamera> {
  // An rtmp camera has no URL to pull: leave it out rather than send null.
  const { rtspUrl, ...rest } = fields;
  return api(session, '/api/cameras', {
    method: 'POST',
    body: { id, ...rest, ...(fields.source === 'rtsp' ? { rtspUrl } : {}), zones: [] },
  });
}

export function updateCamera(
  session: TokenHolder,
  id: string,
  patch: Partial<CameraFields> & { zones?: VideoZone[] },
): Promise<AdminCamera> {
  return api(session, path(id), { method: 'PATCH', body: patch });
}

/** `revokePrevious`: every earlier key of the camera stops working and a publisher using one is cut off. */
export function issuePublishKey(
  session: TokenHolder,
  id: string,
  options: { ttlS?: number; revokePrevious?: boolean } = {},
): Promise<PublishKey> {
  return api(session, path(id, '/publish-key'), {
    method: 'POST',
    body: {
      ...(options.ttlS ? { ttlS: options.ttlS } : {}),
      ...(options.revokePrevious ? { revokePrevious: true } : {}),
    },
  });
}
