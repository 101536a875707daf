// The live positions store: latest position per device from hub snapshots and socket.io deltas, exposed via runes.
import type { DeviceStatusDelta, VehiclePosition } from '$lib/api/contract';
import { PositionIndex } from './position-index';
import { StatusIndex } from './status-index';

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'offline';

export class LivePositions {
  /** State of the socket.io link to the hub, for the header indicator. */
  connection: ConnectionState = $state('connecting');
  /**
   * Incremented on every change. The index itself is deliberately not reactive: thousands of per-device proxies would
   * cost more than rebuilding the whole source, which is what the map does on each frame anyway.
   */
  version = $state(0);
  /** Number of devices currently held. */
  count = $state(0);
  /** How many snapshots have been merged so far; 0 means the map shows deltas only (or nothing yet). */
  snapshotsApplied = $state(0);

  #index = new PositionIndex();
  #statuses = new StatusIndex();

  /** Device ids the hub last reported offline. */
  offlineDevices(): ReadonlySet<string> {
    return this.#statuses.offline;
  }

  /** Applies status deltas; an older report never overrides a newer one. */
  applyStatuses(statuses: readonly DeviceStatusDelta[]): void {
    if (this.#statuses.apply(statuses)) this.#commit();
  }

  get(deviceId: string): VehiclePosition | undefined {
    return this.#index.get(deviceId);
  }

  values(): IterableIterator<VehiclePosition> {
    return this.#index.values();
  }

  /** Call right before requesting a snapshot (see PositionIndex.beginSnapshot). */
  beginSnapshot(): void {
    this.#index.beginSnapshot();
  }

  /** Applies socket.io deltas; stale fixes are ignored (see PositionIndex.applyDeltas). */
  applyDeltas(positions: readonly VehiclePosition[]): void {
    if (this.#index.applyDeltas(positions)) this.#commit();
  }

  /** Merges a `GET /api/positions/latest` snapshot (see PositionIndex.applySnapshot). */
  applySnapshot(positions: readonly VehiclePosition[]): void {
    this.#index.applySnapshot(positions);
    this.snapshotsApplied += 1;
    this.#commit();
  }

  #commit(): void {
    this.count = this.#index.size;
    this.version += 1;
  }
}
