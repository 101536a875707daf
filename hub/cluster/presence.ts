// 掉线清扫 the devices and cameras of a hub process that died without a word (kill -9, a machine gone): nobody saw them
// disconnect, so nothing recorded them offline. The elected process (leader.ts) looks every beat for devices whose
// owner (ownership.ts) and cameras whose publisher (camera-publishers.ts) is a process that no longer stamps
// (membership.ts), records them offline the way their own process would have — a device's as the broker records a
// disconnect (a 'status' observation through the ingest pipeline: device_events and device_state, the live map on every
// process, the detection rules), a camera's in the camera registry — and then releases them in Redis.
//
// As of when: the dead process's last stamp, and never before the device's own 'online' there; not the time of the
// sweep. A device that reconnected to another process got its 'online' there after the death, so that later 'online'
// wins wherever states are ordered by time (device_state never moves back, browsers keep the newest), whether the
// sweep's write lands before or after it; and a device another process has claimed in Redis is left alone. A camera
// another process claims while it is being marked offline is marked online again.
import type pg from 'pg';
import type { Logger } from 'pino';
import { connectionState, type Observation } from '../../ingest/observation.js';
import type { CameraPublishers } from './camera-publishers.js';
import type { Stop } from './leader.js';
import { BEAT_MS, LIVE_WITHIN_MS, type Membership } from './membership.js';
import type { DeviceOwnership } from './ownership.js';

/** Devices looked at per round trip. */
const CHUNK = 1000;

/** Where the sweep writes what it finds. */
export interface PresenceTargets {
  pool: pg.Pool;
  /** Stores statuses as the broker's own are stored (the ingest pipeline); resolves once they are durable. */
  record(statuses: Observation[]): Promise<void>;
  /** The camera registry (hub/cameras/registry.ts): only a real change is stored and pushed. */
  cameras?: { setStatus(id: string, status: 'online' | 'offline', atMs?: number): Promise<boolean> };
}

export interface SweepResult {
  /** Processes found gone, whose devices or cameras were looked at. */
  gone: string[];
  devicesOffline: number;
  camerasOffline: number;
}

export interface PresenceSweepOptions {
  membership: Membership;
  ownership: DeviceOwnership;
  publishers: CameraPublishers | null;
  targets: PresenceTargets;
  log: Logger;
}

export class PresenceSweep {
  /** Gone processes whose every device was looked at (by this process while it leads): not looked at again. */
  private readonly swept = new Set<string>();

  constructor(private readonly o: PresenceSweepOptions) {}

  /** Sweeps now and every beat until stopped (a round is not begun while the previous one runs). */
  start(): Stop {
    let running: Promise<unknown> = Promise.resolve();
    let busy = false;
    const round = () => {
      if (busy) return;
      busy = true;
      running = this.sweep()
        .then((r) => {
          if (r.devicesOffline + r.camerasOffline > 0) {
            this.o.log.info(r, 'devices and cameras of hub processes that are gone marked offline');
          }
        })
        .catch((err: Error) => this.o.log.warn({ err: err.message }, 'presence sweep failed; retried next beat'))
        .finally(() => (busy = false));
    };
    round();
    const timer = setInterval(round, BEAT_MS);
    timer.unref();
    return async () => {
      clearInterval(timer);
      await running;
      this.swept.clear();
    };
  }

  /** One round: every gone process's devices and cameras. */
  async sweep(nowMs = Date.now()): Promise<SweepResult> {
    const result: SweepResult = { gone: [], devicesOffline: 0, camerasOffline: 0 };
    const me = this.o.membership.instanceId;
    // Redis's view is trusted only while this process has been stamping steadily for a while: right after Redis came
    // back, the others have not stamped again yet and would all look gone.
    if (this.o.membership.steadyForMs(nowMs) < LIVE_WITHIN_MS) return result;
    const beats = await this.o.membership.lastBeats();
    const own = beats.get(me);
    if (own === undefined || own < nowMs - LIVE_WITHIN_MS) return result;
    const gone = (id: string) => id !== me && !((beats.get(id) ?? -Infinity) >= nowMs - LIVE_WITHIN_MS);
    // A process swept and then seen stamping again (it had stalled) is swept afresh if it dies later.
    for (const id of this.swept) if (!gone(id)) this.swept.delete(id);

    const found = new Set<string>();
    for (const [owner, deviceIds] of this.o.ownership.devicesOf(gone)) {
      if (this.swept.has(owner)) continue;
      found.add(owner);
      const lastBeat = beats.get(owner) ?? null;
      for (let i = 0; i < deviceIds.length; i += CHUNK) {
        result.devicesOffline += await this.devices(owner, deviceIds.slice(i, i + CHUNK), lastBeat, nowMs);
      }
      this.swept.add(owner);
    }
    if (this.o.publishers && this.o.targets.cameras) {
      for (const [cameraId, publisher] of await this.o.publishers.all()) {
        if (!gone(publisher)) continue;
        found.add(publisher);
        if (await this.camera(cameraId, publisher, beats.get(publisher) ?? nowMs)) result.camerasOffline++;
      }
    }
    result.gone = [...found];
    return result;
  }

  /** Records offline those of the devices still held by `owner` that its death left online; then releases them. */
  private async devices(owner: string, deviceIds: string[], lastBeat: number | null, nowMs: number): Promise<number> {
    const held = await this.o.ownership.stillOwnedBy(owner, deviceIds);
    if (held.size === 0) return 0;
    const { rows } = await this.o.targets.pool.query<{ device_id: string; state: string; time: Date }>(
      'SELECT device_id, state, time FROM device_state WHERE device_id = ANY($1)',
      [[...held.keys()]],
    );
    const states = new Map(rows.map((r) => [r.device_id, { state: r.state, timeMs: r.time.getTime() }]));
    const statuses: Observation[] = [];
    for (const [deviceId, sinceMs] of held) {
      const atMs = offlineAt(sinceMs, lastBeat, nowMs);
      const current = states.get(deviceId);
      // Already offline (it disconnected before the process died), or a newer state than the process's death: left.
      if (!current || current.state === 'offline' || current.timeMs > atMs) continue;
      statuses.push(connectionState(deviceId, 'offline', atMs, { hub: owner, reason: 'hub process gone' }));
    }
    // Durable before the release: a sweep cut short here is done again by whichever process leads next.
    if (statuses.length > 0) await this.o.targets.record(statuses);
    await this.o.ownership.release(owner, [...held.keys()]);
    return statuses.length;
  }

  /** Marks a camera that published to a gone process offline; true if that changed its status. */
  private async camera(cameraId: string, publisher: string, atMs: number): Promise<boolean> {
    const publishers = this.o.publishers!;
    const cameras = this.o.targets.cameras!;
    const changed = await cameras.setStatus(cameraId, 'offline', atMs);
    await publishers.release(cameraId, publisher);
    // Claimed by another process meanwhile: its 'online' may have been a no-op on the old status; it stands.
    const now = await publishers.publisherOf(cameraId);
    if (now !== null && now !== publisher) {
      await cameras.setStatus(cameraId, 'online');
      return false;
    }
    return changed;
  }
}

/**
 * When a device of a gone process went offline: its process's last stamp, and at least just after it connected there
 * (it may have connected between the last stamp and the death). The stamp no longer known (the process stopped on
 * purpose, or has been gone for minutes with nobody sweeping): now, when it was noticed.
 */
export function offlineAt(sinceMs: number | null, lastBeatMs: number | null, nowMs: number): number {
  return Math.max(sinceMs === null ? -Infinity : sinceMs + 1, lastBeatMs ?? nowMs);
}
