// 视频监控点 camera API client: the camera list (with online/offline status), a play URL for the HTTP-FLV player and a
// JPEG snapshot, every call with the session's bearer token; and the cameras' live states as the hub's socket.io
// `cameras` events carry them.
import type { CameraDto, CameraStatus } from '../../../../hub/cameras/registry.js';
import type { LiveCameraDto } from '../../../../hub/live/push.js';
import { ApiError, failure } from './http';

export type { CameraStatus };

/** The part of a hub camera (GET /api/cameras) the map and the player use, as `parseCamera` checked it: times are ISO
 * 8601 UTC as the hub sent them, null when never set; `updatedAt` (the last change of the registry entry: name, place,
 * zones…) null when the hub did not send a usable one. */
export type CameraSummary = Pick<
  CameraDto,
  'id' | 'name' | 'lon' | 'lat' | 'status' | 'statusChangedAt' | 'lastFrameAt' | 'enabled'
> & { updatedAt: string | null };

/** One camera of the live feed (socket.io `cameras` event, and `snapshot.cameras`): no name, no place. `updatedAt`
 * newer than the list's copy means the list is out of date. */
export type CameraLiveState = Omit<LiveCameraDto, 'updatedAt'> & { updatedAt: string | null };

// One error type for every API client: a screen's `instanceof ApiError` must hold whichever client failed.
export { ApiError };

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** An ISO time the browser can parse, or null (absent, null or garbage: unknown). */
function isoOrNull(value: unknown): string | null {
  return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? value : null;
}

function parseCamera(value: unknown): CameraSummary | null {
  if (typeof value !== 'object' || value === null) return null;
  const c = value as Record<string, unknown>;
  if (typeof c.id !== 'string' || typeof c.lon !== 'number' || typeof c.lat !== 'number') return null;
  if (!Number.isFinite(c.lon) || !Number.isFinite(c.lat)) return null;
  return {
    id: c.id,
    name: typeof c.name === 'string' ? c.name : c.id,
    lon: c.lon,
    lat: c.lat,
    status: c.status === 'online' ? 'online' : 'offline',
    statusChangedAt: isoOrNull(c.statusChangedAt),
    lastFrameAt: isoOrNull(c.lastFrameAt),
    enabled: c.enabled !== false,
    updatedAt: isoOrNull(c.updatedAt),
  };
}

/** Validates a socket.io `cameras` payload (`{ cameras: [...] }`, also the snapshot's), dropping malformed entries. */
export function parseCameraStates(payload: unknown): CameraLiveState[] {
  if (typeof payload !== 'object' || payload === null) return [];
  const list = (payload as { cameras?: unknown }).cameras;
  if (!Array.isArray(list)) return [];
  const entries: unknown[] = list;
  const states: CameraLiveState[] = [];
  for (const entry of entries) {
    if (typeof entry !== 'object' || entry === null) continue;
    const c = entry as Record<string, unknown>;
    if (typeof c.id !== 'string' || c.id === '' || (c.status !== 'online' && c.status !== 'offline')) continue;
    states.push({
      id: c.id,
      status: c.status,
      statusChangedAt: isoOrNull(c.statusChangedAt),
      lastFrameAt: isoOrNull(c.lastFrameAt),
      enabled: c.enabled !== false,
      updatedAt: isoOrNull(c.updatedAt),
    });
  }
  return states;
}

/** GET /api/cameras; malformed entries are dropped rather than failing the whole list. */
export async function fetchCameras(token: string, signal?: AbortSignal): Promise<CameraSummary[]> {
  const response = await fetch('/api/cameras', {
    signal,
    cache: 'no-store',
    headers: { accept: 'application/json', ...bearer(token) },
  });
  if (!response.ok) throw await failure(response, 'GET /api/cameras');
  const body = (await response.json()) as { items?: unknown };
  if (!Array.isArray(body.items)) throw new ApiError('GET /api/cameras did not return { items: [...] }', 0);
  const items: unknown[] = body.items;
  return items.map(parseCamera).filter((c): c is CameraSummary => c !== null);
}

/** GET /api/cameras/{id}/play: a short-lived HTTP-FLV URL (on the media server's port) and whether it is live now. */
export async function fetchPlayUrl(
  cameraId: string,
  token: string,
  signal?: AbortSignal,
): Promise<{ url: string; live: boolean }> {
  const path = `/api/cameras/${encodeURIComponent(cameraId)}/play`;
  const response = await fetch(path, {
    signal,
    cache: 'no-store',
    headers: { accept: 'application/json', ...bearer(token) },
  });
  if (!response.ok) throw await failure(response, `GET ${path}`);
  const body = (await response.json()) as { url?: unknown; live?: unknown };
  if (typeof body.url !== 'string') throw new ApiError(`GET ${path} returned no url`, 0);
  return { url: body.url, live: body.live === true };
}

/** GET /api/cameras/{id}/snapshot as a Blob (an <img> cannot send the bearer header itself). */
export async function fetchSnapshot(cameraId: string, token: string, signal?: AbortSignal): Promise<Blob> {
  const path = `/api/cameras/${encodeURIComponent(cameraId)}/snapshot`;
  const response = await fetch(path, {
    signal,
    cache: 'no-store',
    headers: { accept: 'image/jpeg', ...bearer(token) },
  });
  if (!response.ok) throw await failure(response, `GET ${path}`);
  return response.blob();
}
