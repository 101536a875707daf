// Which devices the hub last reported offline, kept free of Svelte so it can be unit-tested: newest report wins.
import type { DeviceStatusDelta } from '$lib/api/contract';

export class StatusIndex {
  #offline = new Set<string>();
  #stateTimeMs = new Map<string, number>();

  get offline(): ReadonlySet<string> {
    return this.#offline;
  }

  /** Applies status reports and says whether any device went offline or came back; older reports are ignored. */
  apply(statuses: readonly DeviceStatusDelta[]): boolean {
    let changed = false;
    for (const s of statuses) {
      if ((this.#stateTimeMs.get(s.deviceId) ?? -Infinity) > s.timeMs) continue;
      this.#stateTimeMs.set(s.deviceId, s.timeMs);
      const wasOffline = this.#offline.has(s.deviceId);
      if (s.state === 'offline') this.#offline.add(s.deviceId);
      else this.#offline.delete(s.deviceId);
      changed ||= wasOffline !== this.#offline.has(s.deviceId);
    }
    return changed;
  }
}
