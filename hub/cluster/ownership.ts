// 设备归属 which hub process handles each device: the one it last connected to. Every process keeps the whole map in
// memory (devices × ~50 bytes), loaded from a Redis hash at start and kept current by `device-arrived` messages. A
// device's arrival is what moves its detection state (hub/rules/service.ts adoptDevice / forgetDevice) and tells the
// command relay where to send its commands. Absences of a device connected to no live process (its process died and
// it did not come back) are judged by the elected process, which also marks such a device offline and then releases
// it here (presence.ts): a second hash keeps when the device connected to its process, which that needs.
import type { Redis } from 'ioredis';
import type { ClusterBus } from './bus.js';
import type { Membership } from './membership.js';

const KEY = 'cityhub:device-owner';
/** deviceId → when it connected to its owner (epoch ms): the time of the 'online' the broker recorded there. */
const SINCE_KEY = 'cityhub:device-owner-since';
const CHANNEL = 'device-arrived';

/** Removes each device (ARGV[2..]) from both hashes if its owner is still ARGV[1]; returns how many were removed. */
const RELEASE = `
local n = 0
for i = 2, #ARGV do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[1] then
    redis.call('HDEL', KEYS[1], ARGV[i])
    redis.call('HDEL', KEYS[2], ARGV[i])
    n = n + 1
  end
end
return n`;

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

  /** The device connected to this process (MQTT or JT/T 808) at `atMs`: claims it, and tells the others. */
  arrived(deviceId: string, atMs = Date.now()): Promise<void> {
    const before = this.owners.get(deviceId);
    this.owners.set(deviceId, this.instanceId);
    if (before !== this.instanceId) for (const e of this.events) e.adopted(deviceId);
    // The hashes are for processes starting later (and for the elected one's sweep); the message for those running now.
    return Promise.all([
      this.redis.hset(KEY, deviceId, this.instanceId),
      this.redis.hset(SINCE_KEY, deviceId, atMs),
      this.bus.publish(CHANNEL, { deviceId }),
    ]).then(() => undefined);
  }

  /** The devices this process takes to belong to a process `gone` says is gone (this one never), by that process. */
  devicesOf(gone: (instanceId: string) => boolean): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const [deviceId, owner] of this.owners) {
      if (owner === this.instanceId || !gone(owner)) continue;
      const list = out.get(owner);
      if (list) list.push(deviceId);
      else out.set(owner, [deviceId]);
    }
    return out;
  }

  /**
   * Of these devices, those whose owner in Redis is still `owner`, with when they connected to it (null when not
   * recorded). Read from Redis, not from this process's map: another process may have claimed one a moment ago.
   */
  async stillOwnedBy(owner: string, deviceIds: string[]): Promise<Map<string, number | null>> {
    const held = new Map<string, number | null>();
    if (deviceIds.length === 0) return held;
    const [owners, since] = (await this.redis
      .multi()
      .hmget(KEY, ...deviceIds)
      .hmget(SINCE_KEY, ...deviceIds)
      .exec()) as [[Error | null, (string | null)[]], [Error | null, (string | null)[]]];
    if (owners[0]) throw owners[0];
    if (since[0]) throw since[0];
    deviceIds.forEach((deviceId, i) => {
      if (owners[1][i] !== owner) return;
      const at = since[1][i];
      held.set(deviceId, at === null || at === undefined || !Number.isFinite(Number(at)) ? null : Number(at));
    });
    return held;
  }

  /**
   * Forgets that these devices belong to `owner` (a process that is gone), in Redis where it still says so and in this
   * process's map; a device another process has claimed meanwhile keeps its new owner. Returns how many Redis released.
   */
  async release(owner: string, deviceIds: string[]): Promise<number> {
    for (const deviceId of deviceIds) if (this.owners.get(deviceId) === owner) this.owners.delete(deviceId);
    if (deviceIds.length === 0) return 0;
    return Number(await this.redis.eval(RELEASE, 2, KEY, SINCE_KEY, owner, ...deviceIds));
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
