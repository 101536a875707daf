// 网络状态 whether the phone can reach the hub: the browser's own view (navigator.onLine and its online/offline events)
// and what the app's last requests found — a phone on a Wi-Fi without internet, or in a lift, says it is online while
// nothing gets through. The header shows it; the outbox retries sooner or later by it.
class Connectivity {
  /** The browser's view. */
  browserOnline = $state(typeof navigator === 'undefined' ? true : navigator.onLine);
  /** False after a request failed for want of a network, until one gets through (or the browser reports online). */
  reachable = $state(true);

  get online(): boolean {
    return this.browserOnline && this.reachable;
  }

  /** A request could not reach the hub (fetch's network error). */
  failed(): void {
    this.reachable = false;
  }

  /** A request reached the hub. */
  reached(): void {
    this.reachable = true;
  }

  /** Follows the browser's events; returns the function that stops following. */
  start(): () => void {
    const update = () => {
      this.browserOnline = navigator.onLine;
      if (this.browserOnline) this.reachable = true;
    };
    window.addEventListener('online', update);
    window.addEventListener('offline', update);
    update();
    return () => {
      window.removeEventListener('online', update);
      window.removeEventListener('offline', update);
    };
  }
}

export const connectivity = new Connectivity();

/** Whether an error is fetch's own: the request never reached the hub (no answer at all). */
export function isNetworkError(err: unknown): boolean {
  return err instanceof TypeError;
}
