// 摄像头列表 the cameras a logged-in screen shows (GET /api/cameras) with their status kept live (./cameras-feed.ts):
// for as long as there is a session; none without one, and a 401 (the session expired or was revoked) ends it.
import { untrack } from 'svelte';
import { ApiError, fetchCameras, type CameraSummary } from '$lib/api/cameras';
import type { Session } from '$lib/auth/session.svelte';
import { followCameras } from './cameras-feed';

export interface CameraListOptions {
  /** The list with the newest status, after every change; [] while logged out. */
  onCameras(cameras: CameraSummary[]): void;
  /** The list could not be read (it is tried again), other than a 401; null once it has been. */
  onError(error: unknown): void;
}

/**
 * Call inside an $effect: follows `session`'s cameras until the effect re-runs (a login or logout) or ends; returns the
 * effect's cleanup.
 */
export function followSessionCameras(session: Session, options: CameraListOptions): (() => void) | undefined {
  const token = session.token;
  if (!token) {
    // Not a dependency of the effect: only the session is.
    untrack(() => options.onCameras([]));
    return undefined;
  }
  const follower = followCameras<CameraSummary>({
    list: (signal) => fetchCameras(token, signal),
    onCameras: options.onCameras,
    onError: (error) => {
      if (error instanceof ApiError && error.status === 401) session.clear();
      else options.onError(error);
    },
  });
  return () => follower.stop();
}
