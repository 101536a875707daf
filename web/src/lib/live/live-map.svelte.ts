// 实时态势 the live map's data: every device's newest position and state, the open cases and the pending candidates,
// from the hub's snapshot and socket.io deltas. Counts are reactive (for the header and the layer panel); the entries
// themselves are not — thousands of per-entry proxies would cost more than they give — so map layers listen for the ids
// that changed and update their GeoJSON sources in batches.
import type { ConnectionState } from './connection';
import { LiveIndex } from './live-index';
import { StatusIndex } from './status-index';
import type { DevicePosition, DeviceStatus, LiveCandidate, LiveCase, LiveSnapshot } from './wire';

/** The map layers of devices, by the device's kind. */
export const DEVICE_LAYERS = ['vehicles', 'collectors', 'sensors'] as const;
export type DeviceLayer = (typeof DEVICE_LAYERS)[number];

/** Which device layer a device is drawn in; cameras are drawn by the cameras layer from the camera registry. */
export function deviceLayerOf(kind: string | null): DeviceLayer | null {
  switch (kind) {
    case 'collector':
      return 'collectors';
    case 'sensor':
      return 'sensors';
    case 'camera':
      return null;
    default:
      // Vehicles, and devices whose kind the hub does not know yet (the hub files those with the vehicles too).
      return 'vehicles';
  }
}

/** The ids that changed, or null for "everything" (a snapshot). */
export type Changed = readonly string[] | null;
type Listener = (changed: Changed) => void;

class Changes {
  #listeners = new Set<Listener>();

  listen(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(changed: Changed): void {
    if (changed !== null && changed.length === 0) return;
    for (const listener of this.#listeners) listener(changed);
  }
}

export class LiveDevices {
  /** Devices held per layer. */
  counts: Record<DeviceLayer, number> = $state({ vehicles: 0, collectors: 0, sensors: 0 });
  /** How many snapshots have been merged so far; 0 means the map shows deltas only (or nothing yet). */
  snapshotsApplied = $state(0);
  readonly changes = new Changes();

  #index = new LiveIndex<DevicePosition>({ id: (p) => p.deviceId, newer: (a, b) => a.timeMs > b.timeMs });
  #statuses = new StatusIndex();
  // Plain on purpose, like the indexes: only the counts derived from it are reactive.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #layerOf = new Map<string, DeviceLayer | null>();

  get(deviceId: string): DevicePosition | undefined {
    return this.#index.get(deviceId);
  }

  values(): IterableIterator<DevicePosition> {
    return this.#index.values();
  }

  isOffline(deviceId: string): boolean {
    return this.#statuses.offline.has(deviceId);
  }

  beginSnapshot(): void {
    this.#index.beginSnapshot();
  }

  applySnapshot(positions: readonly DevicePosition[], statuses: readonly DeviceStatus[]): void {
    this.#index.applySnapshot(positions);
    this.#statuses.apply(statuses);
    this.#layerOf.clear();
    const counts = { vehicles: 0, collectors: 0, sensors: 0 };
    for (const p of this.#index.values()) {
      const layer = deviceLayerOf(p.kind);
      this.#layerOf.set(p.deviceId, layer);
      if (layer) counts[layer] += 1;
    }
    this.counts = counts;
    this.snapshotsApplied += 1;
    this.changes.emit(null);
  }

  applyDeltas(positions: readonly DevicePosition[]): void {
    const changed = this.#index.apply(positions);
    if (changed.length === 0) return;
    let counts: Record<DeviceLayer, number> | null = null;
    for (const id of changed) {
      const before = this.#layerOf.get(id);
      const p = this.#index.get(id);
      const after = p ? deviceLayerOf(p.kind) : null;
      if (before === after && this.#layerOf.has(id)) continue;
      counts ??= { ...this.counts };
      if (before) counts[before] -= 1;
      if (after) counts[after] += 1;
      this.#layerOf.set(id, after);
    }
    if (counts) this.counts = counts;
    this.changes.emit(changed);
  }

  applyStatuses(statuses: readonly DeviceStatus[]): void {
    this.changes.emit(this.#statuses.apply(statuses));
  }
}

export class LiveCases {
  count = $state(0);
  readonly changes = new Changes();
  #index = new LiveIndex<LiveCase>({ id: (c) => c.id, newer: (a, b) => a.version > b.version, alive: (c) => c.open });

  get(id: string): LiveCase | undefined {
    return this.#index.get(id);
  }

  values(): IterableIterator<LiveCase> {
    return this.#index.values();
  }

  beginSnapshot(): void {
    this.#index.beginSnapshot();
  }

  applySnapshot(cases: readonly LiveCase[]): void {
    this.#index.applySnapshot(cases);
    this.count = this.#index.size;
    this.changes.emit(null);
  }

  applyDeltas(cases: readonly LiveCase[]): void {
    const changed = this.#index.apply(cases);
    this.count = this.#index.size;
    this.changes.emit(changed);
  }
}

export class LiveCandidates {
  count = $state(0);
  readonly changes = new Changes();
  #index = new LiveIndex<LiveCandidate>({
    id: (c) => c.id,
    newer: (a, b) => a.seq > b.seq,
    alive: (c) => c.status === 'pending',
  });

  get(id: string): LiveCandidate | undefined {
    return this.#index.get(id);
  }

  values(): IterableIterator<LiveCandidate> {
    return this.#index.values();
  }

  beginSnapshot(): void {
    this.#index.beginSnapshot();
  }

  applySnapshot(candidates: readonly LiveCandidate[]): void {
    this.#index.applySnapshot(candidates);
    this.count = this.#index.size;
    this.changes.emit(null);
  }

  applyDeltas(candidates: readonly LiveCandidate[]): void {
    const changed = this.#index.apply(candidates);
    this.count = this.#index.size;
    this.changes.emit(changed);
  }
}

/** Everything the live feed keeps up to date. */
export class LiveMap {
  /** State of the socket.io link to the hub, for the header indicator. */
  connection: ConnectionState = $state('connecting');
  readonly devices = new LiveDevices();
  readonly cases = new LiveCases();
  readonly candidates = new LiveCandidates();

  beginSnapshot(): void {
    this.devices.beginSnapshot();
    this.cases.beginSnapshot();
    this.candidates.beginSnapshot();
  }

  applySnapshot(snapshot: LiveSnapshot): void {
    this.devices.applySnapshot(snapshot.positions, snapshot.statuses);
    this.cases.applySnapshot(snapshot.cases);
    this.candidates.applySnapshot(snapshot.candidates);
  }
}
