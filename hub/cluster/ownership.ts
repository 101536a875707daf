// 设备归属 which hub process handles each device: the one it last connected to. Every process keeps the whole map in
// memory (devices × ~50 bytes), loaded from a Redis hash at start and kept current by `device-arrived` messages. A
// device's arrival is what moves its detection state (hub/rules/service.ts adoptDevice / forgetDevice) and tells the
// command relay where to send its commands. Absences of a device connected to no live process (its process died and
// it did not come back) are judged by the elected process.
import type { Redis } from 'ioredis';
import type { ClusterBus } from './bus.js';
import type { Membership } from './membership.js';

const KEY = 'cityhub:device-owner';
const CHANNEL = 'device-arrived';

export interface OwnershipEvents {
  /** The device connected here and was handled elsewhere before (or not since this process started). */
  adopted(deviceId: string): void;
  /** The device, handled here until now, connected to another process. */
  left(deviceId: string): void;
}

export class DeviceOwnership {
  private readonly owners = new Map<string, string>();
  private readonly events: OwnershipEvents[] = [];

  constructor(
    private readonly redis: Redis,
    private readonly bus: ClusterBus,
    private readonly membership: Membership,
    private readonly isLeader: () => boolean,
  ) {}

  get instanceId(): string {
    return this.bus.instanceId;
  }

  async start(): Promise<number> {
    const all = await this.redis.hgetall(KEY);
    for (const [deviceId, owner] of Object.entries(all)) this.owners.set(deviceId, owner);
    await this.bus.on(CHANNEL, (m) => {
      const deviceId = String(m.deviceId);
      const before = this.owners.get(deviceId);
      this.owners.set(deviceId, m.from);
      if (before === this.instanceId) for (const e of this.events) e.left(deviceId);
    });
    return this.owners.size;
  }

  onChange(events: OwnershipEvents): void {
    this.events.push(events);
  }

  /** The device connected to this process (MQTT or JT/T 808): claims it, and tells the others. */
  arrived(deviceId: string): Promise<void> {
    const before = this.owners.get(deviceId);
    this.owners.set(deviceId, this.instanceId);
    if (before !== this.instanceId) for (const e of this.events) e.adopted(deviceId);
    // The hash is for processes starting later; the message for those running now.
    return Promise.all([this.redis.hset(KEY, deviceId, this.instanceId), this.bus.publish(CHANNEL, { deviceId })]).then(
      () => undefined,
    );
  }

  /** The process the device last connected to, if known. */
  ownerOf(deviceId: string): string | null {
    return this.owners.get(deviceId) ?? null;
  }

  /** Whether this process judges the device (RuleContext.handles). */
  handles(deviceId: string): boolean {
    const owner = this.owners.get(deviceId);
    if (owner === this.instanceId) return true;
    return (owner === undefined || !this.membership.isLive(owner)) && this.isLeader();
  }
}
