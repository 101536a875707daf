// Plausibility check (轨迹合理性): a fix that implies moving faster than any city vehicle can (a GPS multipath jump,
// a wrong fix after a tunnel) is flagged, never dropped — the raw data stays available and the map and detectors can
// choose to ignore it.

export const IMPLAUSIBLE_JUMP = 'implausible_jump';

const EARTH_RADIUS_M = 6_371_008.8;

export function haversineM(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(a)));
}

interface Fix {
  timeMs: number;
  lat: number;
  lon: number;
}

interface DeviceTrack {
  reference: Fix;
  /** Flagged fixes in a row: when the device really is elsewhere (the reference was the bad one), stop flagging. */
  flaggedInRow: number;
}

export class JumpDetector {
  private readonly tracks = new Map<string, DeviceTrack>();

  constructor(
    private readonly maxSpeedKmh = 250,
    private readonly acceptAfterFlagged = 3,
  ) {}

  /**
   * Returns the flags for this fix, judged against the newest earlier fix of the same device that was not itself
   * flagged (so one bad fix does not condemn the good ones after it). Late fixes (older than the newest) are not judged.
   */
  check(deviceId: string, fix: Fix): string[] {
    const track = this.tracks.get(deviceId);
    const reference = { timeMs: fix.timeMs, lat: fix.lat, lon: fix.lon };
    if (!track) {
      this.tracks.set(deviceId, { reference, flaggedInRow: 0 });
      return [];
    }
    if (fix.timeMs <= track.reference.timeMs) return [];
    const hours = (fix.timeMs - track.reference.timeMs) / 3_600_000;
    const km = haversineM(track.reference.lat, track.reference.lon, fix.lat, fix.lon) / 1000;
    if (km / hours > this.maxSpeedKmh) {
      track.flaggedInRow++;
      // Several "impossible" fixes in a row mean the reference was the odd one out (a bad first fix, a device moved
      // while off): take the new place as the reference from here on.
      if (track.flaggedInRow >= this.acceptAfterFlagged) this.tracks.set(deviceId, { reference, flaggedInRow: 0 });
      return [IMPLAUSIBLE_JUMP];
    }
    this.tracks.set(deviceId, { reference, flaggedInRow: 0 });
    return [];
  }
}
