// Device facts at hand (设备信息缓存): the live map files each device under a layer by its kind on every tick, and the
// detection rules need a device's kind, attributes (e.g. vehicleKind) and assigned grid cells for every observation — so
// these are kept in memory: all devices loaded at start, a device first seen later looked up once, and every entry
// refreshed in the background after a while, so an edit in the registry reaches the rules within `refreshMs`.
import type { DeviceInfo } from '../../ingest/rules/types.js';
import type { DeviceRegistry } from './registry.js';

interface Entry {
  info: DeviceInfo;
  loadedAtMs: number;
}

export class DeviceKinds {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Set<string>();

  constructor(
    private readonly registry: DeviceRegistry,
    private readonly refreshMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Loads every registered device (one query; call at start). */
  async preload(): Promise<number> {
    const all = await this.registry.facts();
    const at = this.now();
    for (const d of all) this.entries.set(d.id, { info: { ...d }, loadedAtMs: at });
    return all.length;
  }

  /** The kind learned at login (the registry said so just now). */
  set(deviceId: string, kind: string): void {
    const entry = this.entries.get(deviceId);
    if (entry) entry.info.kind = kind;
    else this.load(deviceId);
  }

  /** The kind if known now; otherwise null, and it is looked up for next time. */
  get(deviceId: string): string | null {
    return this.info(deviceId)?.kind ?? null;
  }

  /** Kind, attributes and assigned cells if known now; otherwise null, and they are looked up for next time. */
  info(deviceId: string): DeviceInfo | null {
    const entry = this.entries.get(deviceId);
    if (!entry || this.now() - entry.loadedAtMs > this.refreshMs) this.load(deviceId);
    return entry?.info ?? null;
  }

  /** Kind, attributes and assigned cells, looked up now if not known (e.g. before a device's history is replayed). */
  async ensure(deviceId: string): Promise<DeviceInfo | null> {
    const known = this.entries.get(deviceId);
    if (known) return known.info;
    await this.fetch(deviceId);
    return this.entries.get(deviceId)?.info ?? null;
  }

  private load(deviceId: string): void {
    if (this.loading.has(deviceId)) return;
    this.loading.add(deviceId);
    void this.fetch(deviceId).finally(() => this.loading.delete(deviceId));
  }

  private fetch(deviceId: string): Promise<unknown> {
    return this.registry.get(deviceId).then(
      (d) =>
        this.entries.set(deviceId, {
          info: { id: d.id, kind: d.kind, attributes: d.attributes, gridCodes: d.gridCodes },
          loadedAtMs: this.now(),
        }),
      // Gone from the registry: forget it (a stale entry would keep a deleted device's rules running).
      () => this.entries.delete(deviceId),
    );
  }
}
