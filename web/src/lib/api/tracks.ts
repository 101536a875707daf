// 轨迹查询 a device's track from the hypertable (GET /api/devices/:id/track), thinned by the hub to about `maxPoints`
// fixes so a day of 1 Hz fixes arrives at screen resolution. A collector's track is a person's: the hub answers it only
// to the session of a supervision role (or the collector's own), so the request carries the session.
import { session } from '$lib/auth/session.svelte';
import { parseTrack, type Track } from '$lib/map/playback';
import { api } from './http';

export async function fetchTrack(
  deviceId: string,
  fromMs: number,
  toMs: number,
  options: { maxPoints?: number; signal?: AbortSignal } = {},
): Promise<Track> {
  const body = await api<unknown>(session, `/api/devices/${encodeURIComponent(deviceId)}/track`, {
    query: {
      from: new Date(fromMs).toISOString(),
      to: new Date(toMs).toISOString(),
      maxPoints: options.maxPoints ?? 5000,
      limit: 100_000,
    },
    signal: options.signal,
  });
  return parseTrack(body);
}
