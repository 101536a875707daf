// Device kinds at hand (设备类型缓存): the live map files each device under a layer by its kind, on every tick, so the
// kind must be known without a query. Learned at login, or loaded from the registry on first sight.
import type { DeviceRegistry } from './registry.js';

export class DeviceKinds {
  private readonly kinds = new Map<string, string>();
  private readonly loading = new Set<string>();

  constructor(private readonly registry: DeviceRegistry) {}

  set(deviceId: string, kind: string): void {
    this.kinds.set(deviceId, kind);
  }

  /** The kind if known now; otherwise null, and it is looked up for next time. */
  get(deviceId: string): string | null {
    const kind = this.kinds.get(deviceId);
    if (kind !== undefined) return kind;
    if (!this.loading.has(deviceId)) {
      this.loading.add(deviceId);
      this.registry
        .get(deviceId)
        .then(
          (device) => this.kinds.set(deviceId, device.kind),
          () => undefined,
        )
        .finally(() => this.loading.delete(deviceId));
    }
    return null;
  }
}
