// 视频监控点状态 the cameras a screen shows (the map, the video wall, the camera admin): names, places and the rest from
// the camera list (GET /api/cameras, needs a login), online/offline and the newest frame from the live feed. Kept free
// of Svelte so it can be unit-tested. Whatever arrives first, the newer status wins (by the hub's status change time),
// a last frame time never goes back, and a camera the list does not know, or whose registry entry changed since the
// list was fetched, makes the list stale.
import type { CameraLiveState, CameraSummary } from '$lib/api/cameras';

/** What a listed camera must carry to be kept live: the fields the live feed sends (each screen's list has more). */
export type LiveCamera = CameraLiveState;

const timeOf = (iso: string | null): number => (iso === null ? Number.NEGATIVE_INFINITY : Date.parse(iso));

/** The later of two times (null: unknown). */
function later(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return timeOf(b) > timeOf(a) ? b : a;
}

export class CameraStates<T extends LiveCamera = CameraSummary> {
  #list: T[] = [];
  #live = new Map<string, CameraLiveState>();

  /** The camera list as fetched (names, places, and the status at the time of the fetch). */
  setList(list: readonly T[]): void {
    this.#list = [...list];
  }

  /** One camera as the screen itself just stored it (an admin's edit): replaces the listed one, or joins the list. */
  put(camera: T): void {
    const i = this.#list.findIndex((c) => c.id === camera.id);
    this.#list = i >= 0 ? this.#list.with(i, camera) : [...this.#list, camera].sort((a, b) => a.id.localeCompare(b.id));
  }

  /**
   * Live states (a snapshot or a delta). Returns true when the list is out of date — a camera registered, renamed or
   * moved after it was fetched — so the caller fetches it again.
   */
  apply(states: readonly CameraLiveState[]): boolean {
    for (const s of states) {
      const held = this.#live.get(s.id);
      if (!held) {
        this.#live.set(s.id, s);
        continue;
      }
      // An equal time is a later message about the same change (enabled toggled): take it.
      const newer = timeOf(s.statusChangedAt) >= timeOf(held.statusChangedAt);
      this.#live.set(s.id, {
        ...(newer ? s : { ...held, enabled: s.enabled }),
        lastFrameAt: later(held.lastFrameAt, s.lastFrameAt),
        updatedAt: later(held.updatedAt, s.updatedAt),
      });
    }
    const listed = new Map(this.#list.map((c) => [c.id, c]));
    return states.some((s) => {
      const c = listed.get(s.id);
      return !c || timeOf(s.updatedAt) > timeOf(c.updatedAt);
    });
  }

  /** Forgets everything (logged out). */
  clear(): void {
    this.#list = [];
    this.#live.clear();
  }

  /** The listed cameras with the newest state known for each. */
  cameras(): T[] {
    return this.#list.map((c) => {
      const live = this.#live.get(c.id);
      if (!live) return c;
      const liveIsNewer = timeOf(live.statusChangedAt) >= timeOf(c.statusChangedAt);
      return {
        ...c,
        status: liveIsNewer ? live.status : c.status,
        statusChangedAt: liveIsNewer ? live.statusChangedAt : c.statusChangedAt,
        lastFrameAt: later(c.lastFrameAt, live.lastFrameAt),
        enabled: live.enabled,
      };
    });
  }
}
