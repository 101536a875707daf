// 视频墙 the operator's wall of cameras: which cameras a page of the grid shows, and which of its tiles get a live
// player. Players are capped: each one is an endless HTTP-FLV download the media server copies the stream into and a
// decoder in the browser, so a 3×3 wall of busy cameras must not mean nine of each. Pure.

export const GRID_SIZES = [2, 3] as const;
export type GridSize = (typeof GRID_SIZES)[number];

/** At most this many players at once, whatever the grid (the hub's media server and the wall PC both pay for each). */
export const MAX_PLAYERS = 4;

export interface WallCamera {
  id: string;
  status: 'online' | 'offline';
  enabled: boolean;
}

export function pageCount(cameras: number, size: GridSize): number {
  return Math.max(1, Math.ceil(cameras / (size * size)));
}

/** The cameras on page `page` (0-based, clamped to the last page). */
export function pageOf<T>(cameras: readonly T[], size: GridSize, page: number): T[] {
  const perPage = size * size;
  const last = pageCount(cameras.length, size) - 1;
  const p = Math.min(Math.max(0, page), last);
  return cameras.slice(p * perPage, (p + 1) * perPage);
}

/**
 * Which tiles of a page play: the cameras the operator asked for (most recent first), then the other live ones in
 * page order, up to `cap`; never an offline or disabled camera nor one the operator stopped.
 */
export function playing(
  tiles: readonly WallCamera[],
  options: { requested?: readonly string[]; stopped?: ReadonlySet<string>; cap?: number } = {},
): Set<string> {
  const cap = options.cap ?? MAX_PLAYERS;
  const live = new Map(
    tiles.filter((t) => t.status === 'online' && t.enabled && !options.stopped?.has(t.id)).map((t) => [t.id, t]),
  );
  const chosen = new Set<string>();
  for (const id of options.requested ?? []) {
    if (chosen.size >= cap) break;
    if (live.has(id)) chosen.add(id);
  }
  for (const id of live.keys()) {
    if (chosen.size >= cap) break;
    chosen.add(id);
  }
  return chosen;
}

/**
 * The new camera list, reusing the previous object of every camera that did not change: a player keyed on its
 * camera object is then not torn down and rebuilt each time the list is re-read.
 */
export function stabilise<T extends { id: string }>(previous: readonly T[], next: readonly T[]): T[] {
  const old = new Map(previous.map((c) => [c.id, c]));
  return next.map((c) => {
    const before = old.get(c.id);
    return before && JSON.stringify(before) === JSON.stringify(c) ? before : c;
  });
}
