// 离线上报队列 the collector's send queue: every report goes into the outbox (IndexedDB) first and is sent from there —
// at once when there is signal, else when the phone comes back online, when the app starts, and again and again while
// something waits (after 2 s, 4 s, 8 s, then every 15 s: a phone may think it is online while nothing gets through).
// Photo first (its id is kept, so it is uploaded once), then the report with its phone-made id, so a resend after a
// lost answer returns the same case instead of making a second one.
import { api, ApiError } from '$lib/api/http';
import type { Session } from '$lib/auth/session.svelte';
import { connectivity, isNetworkError } from './online.svelte';
import { deleteReport, reportsOf, saveReport, type OutboxReport } from './outbox-store';

const FIRST_RETRY_MS = 2_000;
const MAX_RETRY_MS = 15_000;

/** What the hub answered for a sent report. */
export interface SentReport {
  reportId: string;
  caseId: string;
  number: string;
}

/** Failures worth trying again by themselves: no connection, the hub or a proxy in trouble, rate limits. */
function transient(err: unknown): boolean {
  if (!(err instanceof ApiError)) return true; // fetch's TypeError: no network
  return err.status >= 500 || err.status === 408 || err.status === 429 || err.status === 401;
}

/** The hub's words without the "POST /api/…: " the client puts in front. */
const reason = (err: unknown) => (err instanceof Error ? err.message.replace(/^[A-Z]+ \S+: /, '') : String(err));

export class Outbox {
  /** The logged-in collector's reports still on the phone, oldest first. */
  items: OutboxReport[] = $state([]);
  sending = $state(false);
  /** The reports sent since the app started, newest first. */
  sent: SentReport[] = $state([]);
  /** Why the last attempt stopped (the hub's words), for the status line; null when it went through. */
  lastProblem: string | null = $state(null);
  /** The last attempt found no network at all (shown as "no signal" rather than the browser's words). */
  noSignal = $state(false);

  #flushing: Promise<void> | null = null;
  #again = false;
  #retry: ReturnType<typeof setTimeout> | null = null;
  /** Transient failures in a row (the retry waits longer after each). */
  #failures = 0;

  constructor(private readonly session: Session) {}

  get waiting(): number {
    return this.items.filter((r) => r.status === 'waiting').length;
  }

  async load(): Promise<void> {
    const userId = this.session.me?.id;
    this.items = userId ? await reportsOf(userId) : [];
  }

  /** Keeps the report on the phone first (durable), then tries to send it. */
  async add(report: OutboxReport): Promise<void> {
    await saveReport(report);
    this.items = [...this.items, report];
    void this.flush();
  }

  async discard(reportId: string): Promise<void> {
    await deleteReport(reportId);
    this.items = this.items.filter((r) => r.reportId !== reportId);
  }

  async retry(reportId: string): Promise<void> {
    const report = this.items.find((r) => r.reportId === reportId);
    if (!report) return;
    await this.replace({ ...report, status: 'waiting', error: null });
    await this.flush();
  }

  /** Sends what waits, oldest first; one run at a time (a call during a run makes it go round once more). */
  flush(): Promise<void> {
    if (this.#flushing) {
      this.#again = true;
      return this.#flushing;
    }
    this.#flushing = this.#flushOnce()
      .catch((err: unknown) => {
        this.lastProblem = reason(err);
      })
      .finally(() => {
        this.#flushing = null;
        if (this.#again) {
          this.#again = false;
          void this.flush();
        }
      });
    return this.#flushing;
  }

  /** Sends on start and whenever the phone comes online (and retries by itself while something waits). */
  start(): () => void {
    const online = () => {
      this.#failures = 0;
      void this.flush();
    };
    window.addEventListener('online', online);
    void this.load().then(() => this.flush());
    return () => {
      window.removeEventListener('online', online);
      if (this.#retry) clearTimeout(this.#retry);
      this.#retry = null;
    };
  }

  /** Tries again later: soon after the first failure, then less often. */
  #scheduleRetry(): void {
    if (this.#retry) clearTimeout(this.#retry);
    const delay = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.min(this.#failures - 1, 10));
    this.#retry = setTimeout(() => {
      this.#retry = null;
      void this.flush();
    }, delay);
  }

  async #flushOnce(): Promise<void> {
    const userId = this.session.me?.id;
    if (!userId || !this.session.token) return;
    // Across tabs of the same phone, one sender at a time (the report id keeps even a race harmless).
    const locks = (navigator as Navigator & { locks?: LockManager }).locks;
    const work = () => this.#sendAll(userId);
    if (locks) await locks.request('cityhub-collector-outbox', work);
    else await work();
  }

  async #sendAll(userId: string): Promise<void> {
    // Another tab may have sent some meanwhile: start from what is stored.
    this.items = await reportsOf(userId);
    for (const report of this.items.filter((r) => r.status === 'waiting')) {
      this.sending = true;
      try {
        await this.#send(report);
        this.lastProblem = null;
        this.noSignal = false;
        this.#failures = 0;
        connectivity.reached();
      } catch (err) {
        if (transient(err)) {
          this.noSignal = isNetworkError(err);
          if (this.noSignal) connectivity.failed();
          await this.replace({ ...report, attempts: report.attempts + 1 });
          this.lastProblem = this.noSignal ? null : reason(err);
          this.#failures++;
          this.#scheduleRetry();
          return; // no signal or the hub is down: the rest would fail the same way
        }
        connectivity.reached();
        await this.replace({ ...report, status: 'failed', error: reason(err) });
      } finally {
        this.sending = false;
      }
    }
  }

  async #send(report: OutboxReport): Promise<void> {
    let current = report;
    if (current.photo && !current.mediaId) {
      const media = await api<{ id: string }>(this.session, '/api/media', { method: 'POST', body: current.photo });
      current = { ...current, mediaId: media.id };
      await this.replace(current);
    }
    const made = await api<{ id: string; number: string }>(this.session, '/api/cases', {
      method: 'POST',
      body: {
        source: 'collector',
        classCode: current.classCode,
        lon: current.lon,
        lat: current.lat,
        description: current.description,
        attachments: current.mediaId ? [current.mediaId] : [],
        reportId: current.reportId,
      },
    });
    await deleteReport(current.reportId);
    this.items = this.items.filter((r) => r.reportId !== current.reportId);
    this.sent = [{ reportId: current.reportId, caseId: made.id, number: made.number }, ...this.sent].slice(0, 20);
  }

  private async replace(report: OutboxReport): Promise<void> {
    await saveReport(report);
    this.items = this.items.map((r) => (r.reportId === report.reportId ? report : r));
  }
}
