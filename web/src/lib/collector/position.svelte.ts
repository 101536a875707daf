// 当前位置 where the phone is: one watch of the browser's geolocation (GPS on a phone) shared by the report form (the
// problem's point) and the task list (distance to each task). Works without signal: GPS needs none.

export interface Fix {
  lon: number;
  lat: number;
  accuracyM: number;
  atMs: number;
}

export type PositionProblem = 'denied' | 'unavailable' | 'timeout' | 'unsupported';

class PhonePosition {
  fix: Fix | null = $state(null);
  problem: PositionProblem | null = $state(null);
  #watch: number | null = null;
  #users = 0;

  /** Starts watching (shared: the watch stops when the last user stops). */
  start(): () => void {
    this.#users++;
    if (this.#watch === null) this.#begin();
    return () => {
      this.#users--;
      if (this.#users === 0 && this.#watch !== null) {
        navigator.geolocation.clearWatch(this.#watch);
        this.#watch = null;
      }
    };
  }

  /** Asks again after a refusal or a timeout (e.g. the collector switched location on). */
  retry(): void {
    if (this.#watch !== null) navigator.geolocation.clearWatch(this.#watch);
    this.#watch = null;
    this.problem = null;
    this.#begin();
  }

  #begin(): void {
    if (!('geolocation' in navigator)) {
      this.problem = 'unsupported';
      return;
    }
    this.#watch = navigator.geolocation.watchPosition(
      (p) => {
        this.fix = {
          lon: p.coords.longitude,
          lat: p.coords.latitude,
          accuracyM: p.coords.accuracy,
          atMs: p.timestamp,
        };
        this.problem = null;
      },
      (err) => {
        this.problem =
          err.code === err.PERMISSION_DENIED ? 'denied' : err.code === err.TIMEOUT ? 'timeout' : 'unavailable';
      },
      { enableHighAccuracy: true, maximumAge: 10_000, timeout: 30_000 },
    );
  }
}

export const phonePosition = new PhonePosition();
