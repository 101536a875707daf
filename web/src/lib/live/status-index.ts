// Which devices the hub last reported offline, kept free of Svelte so it can be unit-tested: newest report wins.
import type { DeviceStatus } from './wire';

export class StatusIndex {
  #offline = new Set<string>();
  #stateTimeMs = new Map<string, number>();

  get offline(): ReadonlySet<string> {
    return this.#offline;
  }

  /** Applies status reports; returns the devices that went offline or came back. Older reports are ignored. */
  apply(statuses: readonly DeviceStatus[]): string[] {
    const changed: string[] = [];
    for (const s of statuses) {
      if ((this.#stateTimeMs.get(s.deviceId) ?? -Infinity) > s.timeMs) continue;
      this.#stateTimeMs.set(s.deviceId, s.timeMs);
      const wasOffline = this.#offline.has(s.deviceId);
      if (s.state === 'offline') this.#offline.add(s.deviceId);
      else this.#offline.delete(s.deviceId);
      if (wasOffline !== this.#offline.has(s.deviceId)) changed.push(s.deviceId);
    }
    return changed;
  }
}
