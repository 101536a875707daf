// HTTP client for the hub's REST API (same origin; proxied to the hub by Vite in development).
import { parseSnapshot, type VehiclePosition } from './contract';

export const LATEST_POSITIONS_URL = '/api/positions/latest';

/** Fetches the latest known position of every device. Rejects on network/HTTP errors or a malformed envelope. */
export async function fetchLatestPositions(signal?: AbortSignal): Promise<VehiclePosition[]> {
  const response = await fetch(LATEST_POSITIONS_URL, {
    signal,
    // A cached snapshot would be older than the deltas already applied, defeating the point of re-fetching on reconnect.
    cache: 'no-store',
    headers: { accept: 'application/geo+json, application/json' },
  });
  if (!response.ok) {
    throw new Error(`GET ${LATEST_POSITIONS_URL} failed: ${response.status} ${response.statusText}`);
  }
  return parseSnapshot(await response.json());
}
