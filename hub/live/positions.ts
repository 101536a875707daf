// Live map push (实时推送): committed positions go to browsers over socket.io as batched deltas — one message per tick
// carrying each device's newest fix — instead of one message per position.
import type { Namespace } from 'socket.io';
import type { Position } from '../../ingest/observation.js';

export interface LivePositionDto {
  deviceId: string;
  time: string;
  lat: number;
  lon: number;
  speedKmh: number | null;
  course: number | null;
}

export const LIVE_NAMESPACE = '/live';
export const POSITIONS_EVENT = 'positions';

export class LivePositions {
  private pending = new Map<string, Position>();
  /** Newest time sent per device: an older fix arriving late (a re-send after a coverage gap) never moves a marker back. */
  private sentTimeMs = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly namespace: Namespace,
    intervalMs: number,
  ) {
    this.timer = setInterval(() => this.flush(), intervalMs);
    this.timer.unref();
  }

  /** Positions that are now durable. */
  push(positions: readonly Position[]): void {
    for (const p of positions) {
      const sent = this.sentTimeMs.get(p.deviceId);
      if (sent !== undefined && p.timeMs <= sent) continue;
      const queued = this.pending.get(p.deviceId);
      if (!queued || p.timeMs > queued.timeMs) this.pending.set(p.deviceId, p);
    }
  }

  flush(): void {
    if (this.pending.size === 0) return;
    const positions: LivePositionDto[] = [];
    for (const p of this.pending.values()) {
      this.sentTimeMs.set(p.deviceId, p.timeMs);
      positions.push({
        deviceId: p.deviceId,
        time: new Date(p.timeMs).toISOString(),
        lat: p.lat,
        lon: p.lon,
        speedKmh: p.speedKmh,
        course: p.course,
      });
    }
    this.pending.clear();
    this.namespace.emit(POSITIONS_EVENT, { positions });
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
