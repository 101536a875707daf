// Held live deltas (积压的实时增量): what a map viewer whose connection is backed up has not been sent yet, kept as the
// newest state of each unit, case, candidate and camera — so what the hub holds for a viewer that stopped reading is
// bounded by how many things there are, not by how long it has been stuck, and the viewer, once it reads again, gets
// the present instead of minutes of stale positions. Pure: no sockets; hub/live/backlog.ts decides when a viewer is
// backed up and hands over each tick's deltas already filtered for that viewer (layers, bounding box, sight of people).
import type {
  LiveCameraChange,
  LiveCameraDto,
  LiveCandidateDto,
  LiveCaseDto,
  LivePositionDto,
  LiveStatusDto,
} from './push.js';

/** One tick's deltas for one viewer, as they would be emitted to it (one event per kind). */
export interface ViewerDeltas {
  positions: LivePositionDto[];
  statuses: LiveStatusDto[];
  cases: LiveCaseDto[];
  candidates: LiveCandidateDto[];
  cameras: LiveCameraDto[];
}

export const noDeltas = (): ViewerDeltas => ({ positions: [], statuses: [], cases: [], candidates: [], cameras: [] });

/**
 * The newest item per key. `rankOf` orders two items of one key (a fix's time, a case's version); `tieToLater`: on an
 * equal rank the later arrival wins (a status with the same time is a later decision about that instant; candidates and
 * cameras rank everything equal, so their last change wins, as within a tick).
 */
export class Newest<T> {
  private readonly held = new Map<string, { item: T; rank: number }>();

  constructor(
    private readonly keyOf: (item: T) => string,
    private readonly rankOf: (item: T) => number,
    private readonly tieToLater: boolean,
  ) {}

  /** Adds items; returns how many items (held or added) will never be sent because a newer one of their key won. */
  add(items: readonly T[]): number {
    let superseded = 0;
    for (const item of items) {
      const key = this.keyOf(item);
      const rank = this.rankOf(item);
      const before = this.held.get(key);
      if (before === undefined) {
        this.held.set(key, { item, rank });
        continue;
      }
      superseded += 1;
      if (rank > before.rank || (this.tieToLater && rank === before.rank)) this.held.set(key, { item, rank });
    }
    return superseded;
  }

  take(): T[] {
    const items = Array.from(this.held.values(), (h) => h.item);
    this.held.clear();
    return items;
  }

  get size(): number {
    return this.held.size;
  }
}

const timeRank = (x: { time: string }) => Date.parse(x.time);
const versionRank = (c: { version: number }) => c.version;
const arrivalRank = () => 0;

/**
 * The newest-state rules of each kind of delta, shared by whatever merges deltas from several ticks: a viewer's held
 * deltas (below) and the ticks of other hub processes (push.ts). A late fix (a re-send after a coverage gap, or
 * through another hub process) never replaces a newer one.
 */
export const newestOf = {
  positions: () => new Newest<LivePositionDto>((p) => p.deviceId, timeRank, false),
  statuses: () => new Newest<LiveStatusDto>((s) => s.deviceId, timeRank, true),
  cases: () => new Newest<LiveCaseDto>((c) => c.id, versionRank, true),
  candidates: () => new Newest<LiveCandidateDto>((c) => c.id, arrivalRank, true),
  cameras: () => new Newest<LiveCameraDto>((c) => c.id, arrivalRank, true),
  /** A camera's change with its place (bounding-box filtering happens after the merge). */
  cameraChanges: () => new Newest<LiveCameraChange>((c) => c.camera.id, arrivalRank, true),
};

export class HeldDeltas {
  private readonly positions = newestOf.positions();
  private readonly statuses = newestOf.statuses();
  private readonly cases = newestOf.cases();
  private readonly candidates = newestOf.candidates();
  private readonly cameras = newestOf.cameras();

  /** Holds one tick's deltas; returns how many deltas will never be sent because a newer state of the same thing won. */
  hold(tick: ViewerDeltas): number {
    return (
      this.positions.add(tick.positions) +
      this.statuses.add(tick.statuses) +
      this.cases.add(tick.cases) +
      this.candidates.add(tick.candidates) +
      this.cameras.add(tick.cameras)
    );
  }

  /**
   * Everything held merged with this tick's deltas (the newest state per thing), and the store emptied. `superseded`
   * counts the held or new deltas that lost to a newer one in the merge.
   */
  release(tick: ViewerDeltas): { deltas: ViewerDeltas; superseded: number } {
    const superseded = this.hold(tick);
    return {
      deltas: {
        positions: this.positions.take(),
        statuses: this.statuses.take(),
        cases: this.cases.take(),
        candidates: this.candidates.take(),
        cameras: this.cameras.take(),
      },
      superseded,
    };
  }

  /** Forgets everything held (the viewer subscribed again: a snapshot follows). */
  clear(): void {
    this.release(noDeltas());
  }

  /** How many deltas are held: at most one per unit, case, candidate and camera the viewer sees. */
  get size(): number {
    return this.positions.size + this.statuses.size + this.cases.size + this.candidates.size + this.cameras.size;
  }
}
