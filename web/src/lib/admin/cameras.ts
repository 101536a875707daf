// 视频监控点管理 cameras as the admin screen edits them (hub/http/cameras.ts): the whole camera with its zones, create,
// change (zones replaced whole) and a publish key. Playback and snapshots go through $lib/api/cameras like everywhere.
import { api, type TokenHolder } from '$lib/api/http';
import type { VideoZone } from './zones';

export type CameraSource = 'rtmp' | 'rtsp';

/** A GeoJSON Polygon, WGS-84 [lon, lat]. */
export interface ViewPolygon {
  type: 'Polygon';
  coordinates: [number, number][][];
}

export interface AdminCamera {
  id: string;
  name: string;
  lon: number;
  lat: number;
  headingDeg: number | null;
  view: ViewPolygon | null;
  source: CameraSource;
  rtspUrl: string | null;
  sampleIntervalMs: number;
  zones: VideoZone[];
  enabled: boolean;
  status: 'online' | 'offline';
  statusChangedAt: string | null;
  lastFrameAt: string | null;
  /** Publish keys of this version only are accepted; issuing a key with `revokePrevious` raises it. */
  publishKeyVersion: number;
  createdAt: string;
  updatedAt: string;
}

/** What the camera form edits. */
export interface CameraFields {
  name: string;
  lon: number;
  lat: number;
  headingDeg: number | null;
  view: ViewPolygon | null;
  source: CameraSource;
  rtspUrl: string | null;
  sampleIntervalMs: number;
  enabled: boolean;
}

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
