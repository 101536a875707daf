// HTTP client for the hub's REST API (same origin; proxied to the hub by Vite in development).
import { parseSnapshot, parseSnapshotStatuses, type DeviceStatusDelta, type VehiclePosition } from './contract';

export const LATEST_POSITIONS_URL = '/api/positions/latest';

/**
 * Fetches the latest known position (and state) of every device. Rejects on network/HTTP errors or a malformed
 * envelope.
 */
export async function fetchLatestPositions(
  signal?: AbortSignal,
): Promise<{ positions: VehiclePosition[]; statuses: DeviceStatusDelta[] }> {
  const response = await fetch(LATEST_POSITIONS_URL, {
    signal,
    // A cached snapshot would be older than the deltas already applied, defeating the point of re-fetching on reconnect.
    cache: 'no-store',
    headers: { accept: 'application/geo+json, application/json' },
  });
  if (!response.ok) {
    throw new Error(`GET ${LATEST_POSITIONS_URL} failed: ${response.status} ${response.statusText}`);
  }
  const body: unknown = await response.json();
  return { positions: parseSnapshot(body), statuses: parseSnapshotStatuses(body) };
}
