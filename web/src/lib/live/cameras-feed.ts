// 视频监控点实时状态 the live feed of camera status, and the camera list a screen keeps live with it. The feed rides the
// page's one `/live` connection (./connection.ts) on the `cameras` layer: a snapshot of every camera's state on each
// (re)subscription, then batched `cameras` deltas; deltas sent while disconnected are gone, so the snapshot fills the
// gap. `followCameras` fetches a screen's camera list once and follows status from the feed, fetching the list again
// only when the feed shows a camera the list does not know or whose registry entry changed since: never polled.
import { parseCameraStates, type CameraLiveState } from '$lib/api/cameras';
import { CameraStates, type LiveCamera } from './camera-states';
import { watchLive } from './connection';

export type CameraFeed = (onStates: (states: CameraLiveState[]) => void) => () => void;

/** Streams camera states to `onStates` until the returned function is called. */
export const startCameraFeed: CameraFeed = (onStates) =>
  watchLive({
    layers: ['cameras'],
    snapshot: (payload) => onStates(parseCameraStates(payload)),
    delta: (event, payload) => {
      if (event !== 'cameras') return;
      const states = parseCameraStates(payload);
      if (states.length > 0) onStates(states);
    },
  });

/** A failed list fetch is tried again after this long (a live change that makes the list stale also refetches it). */
const LIST_RETRY_MS = 10_000;

export interface CameraFollowOptions<T extends LiveCamera> {
  /** Reads the screen's camera list (GET /api/cameras in the shape the screen uses). */
  list(signal: AbortSignal): Promise<T[]>;
  /** The listed cameras with their newest state, after every change. */
  onCameras(cameras: T[]): void;
  /** The list could not be read (it is tried again); null once it has been. A 401 is the caller's to act on. */
  onError?(error: unknown): void;
  retryMs?: number;
  /** The live feed (tests give their own). */
  feed?: CameraFeed;
}

export interface CameraFollower<T> {
  /** A camera the screen itself just stored (the hub's answer to an edit): shown at once, without a list fetch. */
  put(camera: T): void;
  /** Stops the feed and any fetch under way. */
  stop(): void;
}

export function followCameras<T extends LiveCamera>(options: CameraFollowOptions<T>): CameraFollower<T> {
  const { list, onCameras, onError, retryMs = LIST_RETRY_MS, feed = startCameraFeed } = options;
  const states = new CameraStates<T>();
  const controller = new AbortController();
  let retry: ReturnType<typeof setTimeout> | undefined;
  let loading = false;
  let again = false;
  // Live states that arrive before the first list are not a reason to fetch it twice.
  let listed = false;

  const load = async (): Promise<void> => {
    if (loading) {
      again = true;
      return;
    }
    loading = true;
    clearTimeout(retry);
    try {
      states.setList(await list(controller.signal));
      listed = true;
      onError?.(null);
      onCameras(states.cameras());
    } catch (error) {
      if (controller.signal.aborted) return;
      onError?.(error);
      retry = setTimeout(() => void load(), retryMs);
    } finally {
      loading = false;
      if (again && !controller.signal.aborted) {
        again = false;
        void load();
      }
    }
  };

  void load();
  const stopFeed = feed((live) => {
    if (states.apply(live) && listed) void load();
    if (listed) onCameras(states.cameras());
  });

  return {
    put(camera) {
      states.put(camera);
      onCameras(states.cameras());
    },
    stop() {
      stopFeed();
      controller.abort();
      clearTimeout(retry);
    },
  };
}
