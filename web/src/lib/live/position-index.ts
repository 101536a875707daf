// Merge rules for live positions, kept free of Svelte so they can be unit-tested: newest fix per device wins.
import type { VehiclePosition } from '$lib/api/contract';

export class PositionIndex {
  #byDevice = new Map<string, VehiclePosition>();
  // Devices that received a delta while a snapshot request was in flight; null when no request is pending.
  #touchedDuringSnapshot: Set<string> | null = null;

  get size(): number {
    return this.#byDevice.size;
  }

  get(deviceId: string): VehiclePosition | undefined {
    return this.#byDevice.get(deviceId);
  }

  values(): IterableIterator<VehiclePosition> {
    return this.#byDevice.values();
  }

  /** Call right before requesting a snapshot, so deltas that race the request are not lost when it lands. */
  beginSnapshot(): void {
    this.#touchedDuringSnapshot = new Set();
  }

  /**
   * Applies deltas and reports whether anything changed. A fix that is not newer than the one already held for its
   * device is ignored, so late or replayed batches can never move a marker backwards.
   */
  applyDeltas(positions: readonly VehiclePosition[]): boolean {
    let changed = false;
    for (const position of positions) {
      const current = this.#byDevice.get(position.deviceId);
      if (current && position.timeMs <= current.timeMs) continue;
      this.#byDevice.set(position.deviceId, position);
      this.#touchedDuringSnapshot?.add(position.deviceId);
      changed = true;
    }
    return changed;
  }

  /**
   * Replaces the device set with a snapshot, keeping anything newer that arrived by delta meanwhile. Devices absent
   * from the snapshot are dropped unless a delta named them after `beginSnapshot()`: the hub's snapshot is the
   * authority on which devices exist, but it may have been taken before a brand-new device's first delta.
   */
  applySnapshot(positions: readonly VehiclePosition[]): void {
    const next = new Map<string, VehiclePosition>();
    for (const position of positions) {
      const seen = next.get(position.deviceId);
      if (!seen || position.timeMs > seen.timeMs) next.set(position.deviceId, position);
    }
    const touched = this.#touchedDuringSnapshot;
    for (const [deviceId, current] of this.#byDevice) {
      const fromSnapshot = next.get(deviceId);
      const keepCurrent = fromSnapshot ? current.timeMs > fromSnapshot.timeMs : (touched?.has(deviceId) ?? false);
      if (keepCurrent) next.set(deviceId, current);
    }
    this.#byDevice = next;
    this.#touchedDuringSnapshot = null;
  }
}
