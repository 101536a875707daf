// 视频候选 candidates raised by the cameras' zones (video rules are named `video:<camera>:<zone>`), their evidence
// snapshot, and the acceptor's decision on them (hub/http/cases.ts /api/candidates).
import { ApiError, api, type TokenHolder } from '$lib/api/http';
import type { Candidate } from '$lib/cases/types';

/** A candidate as GET /api/candidates answers it (the same type as the acceptance queue's). */
export type { Candidate };
export type CandidateStatus = Candidate['status'];

/** The prefix every video rule's detector id has. */
export const VIDEO_DETECTOR_PREFIX = 'video:';

export function listVideoCandidates(
  session: TokenHolder,
  status: CandidateStatus | '',
  limit: number,
  signal?: AbortSignal,
): Promise<{ items: Candidate[]; total: number }> {
  return api(session, '/api/candidates', {
    signal,
    query: { detector: VIDEO_DETECTOR_PREFIX, status, limit },
  });
}

/** Camera and zone of a video candidate (`video:<camera>:<zone>`); the camera id has no colon, the zone id may. */
export function cameraAndZone(c: Pick<Candidate, 'detectorId' | 'evidence'>): { cameraId: string; zoneId: string } {
  const snapshot = c.evidence.snapshot as { cameraId?: unknown } | undefined;
  const rest = c.detectorId.startsWith(VIDEO_DETECTOR_PREFIX) ? c.detectorId.slice(VIDEO_DETECTOR_PREFIX.length) : '';
  const cut = rest.indexOf(':');
  const cameraId = typeof snapshot?.cameraId === 'string' ? snapshot.cameraId : cut >= 0 ? rest.slice(0, cut) : rest;
  return { cameraId, zoneId: cut >= 0 ? rest.slice(cut + 1) : '' };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The media id of the candidate's snapshot (the camera frame with the boxes drawn), when it has one. */
export function snapshotId(c: Pick<Candidate, 'evidence'>): string | null {
  const snapshot = c.evidence.snapshot as { mediaId?: unknown } | undefined;
  const ids = [snapshot?.mediaId, ...(Array.isArray(c.evidence.mediaIds) ? c.evidence.mediaIds : [])];
  return (ids.find((id): id is string => typeof id === 'string' && UUID.test(id)) ?? null) as string | null;
}

/** GET /api/media/{id} as a Blob (an <img> cannot send the bearer header itself). */
export async function fetchMedia(session: TokenHolder, id: string, signal?: AbortSignal): Promise<Blob> {
  const path = `/api/media/${encodeURIComponent(id)}`;
  const token = session.token;
  const response = await fetch(path, {
    signal,
    headers: { accept: 'image/*', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
  if (!response.ok) {
    if (response.status === 401) session.clear();
    const body = (await response.json().catch(() => null)) as { detail?: unknown } | null;
    const detail = typeof body?.detail === 'string' ? body.detail : `${response.status} ${response.statusText}`;
    throw new ApiError(`GET ${path}: ${detail}`, response.status);
  }
  return response.blob();
}

export function acceptCandidate(session: TokenHolder, id: string, note?: string): Promise<unknown> {
  return api(session, `/api/candidates/${encodeURIComponent(id)}/accept`, {
    method: 'POST',
    body: note?.trim() ? { note: note.trim() } : {},
  });
}

export function dismissCandidate(session: TokenHolder, id: string, reason: string): Promise<Candidate> {
  return api(session, `/api/candidates/${encodeURIComponent(id)}/dismiss`, { method: 'POST', body: { reason } });
}
