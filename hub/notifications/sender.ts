// 告知发送 notification sender: delivers queued complainant notifications to the city's message gateway (an SMS
// platform or any service) through a signed webhook, with retries and a delivery log. Several hubs may run it: a
// sender claims rows by moving their next attempt past a lease, so each attempt is made by one hub.
import { createHmac } from 'node:crypto';
import type pg from 'pg';
import type { Logger } from 'pino';
import { fillOutbox } from './outbox.js';

export interface SenderOptions {
  pool: pg.Pool;
  log: Logger;
  /** Where each notification is POSTed as JSON. */
  webhookUrl: string;
  /** HMAC-SHA256 key for the `x-cityhub-signature` header; null sends unsigned. */
  secret: string | null;
  /** How often the outbox is filled and due rows are sent. */
  intervalMs?: number;
  /** One attempt may take this long before it counts as failed. */
  timeoutMs?: number;
  /** After this many attempts a notification is marked failed. */
  maxAttempts?: number;
  /** First retry delay; doubled after every failure. */
  retryBaseMs?: number;
  batchSize?: number;
}

export interface DeliveryPayload {
  id: string;
  channel: string;
  recipient: string;
  body: string;
  caseNumber: string;
}

/** `sha256=<hex>` of the exact body bytes, as GitHub-style receivers check it. */
export function signBody(secret: string, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
}

/** Status codes worth retrying: the gateway may accept later. Any other 4xx is a permanent refusal. */
const retryable = (status: number) => status >= 500 || status === 408 || status === 429;

export class NotificationSender {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly batchSize: number;

  constructor(private readonly options: SenderOptions) {
    this.intervalMs = options.intervalMs ?? 2000;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxAttempts = options.maxAttempts ?? 8;
    this.retryBaseMs = options.retryBaseMs ?? 30_000;
    this.batchSize = options.batchSize ?? 20;
  }

  start(): void {
    const tick = () => {
      this.running = this.runOnce()
        .then(() => undefined)
        .catch((err: Error) => this.options.log.warn({ err: err.message }, 'notification sender round failed'))
        .finally(() => {
          this.running = null;
          if (this.timer) this.timer = setTimeout(tick, this.intervalMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Fills the outbox, then makes one attempt at every due notification; returns how many were sent. */
  async runOnce(): Promise<{ queued: number; sent: number; failed: number }> {
    const { queued } = await fillOutbox(this.options.pool);
    let sent = 0;
    let failed = 0;
    for (;;) {
      const due = await this.claim();
      if (due.length === 0) break;
      for (const row of due) {
        const ok = await this.deliver(row);
        if (ok) sent++;
        else failed++;
      }
      if (due.length < this.batchSize) break;
    }
    return { queued, sent, failed };
  }

  /** Claims due rows: their next attempt moves past the attempt's timeout, which is also the lease. */
  private async claim(): Promise<Array<DeliveryPayload & { attempt: number }>> {
    const leaseMs = this.timeoutMs * 2;
    const { rows } = await this.options.pool.query<{
      id: string;
      channel: string;
      recipient: string;
      body: string;
      number: string;
      attempts: number;
    }>(
      `UPDATE notifications n SET attempts = n.attempts + 1,
              next_attempt_at = now() + make_interval(secs => $2::double precision / 1000)
         FROM cases c
        WHERE c.id = n.case_id AND n.id IN (
              SELECT id FROM notifications WHERE status = 'pending' AND next_attempt_at <= now()
               ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING n.id, n.channel, n.recipient, n.body, n.attempts, c.number`,
      [this.batchSize, leaseMs],
    );
    return rows.map((r) => ({
      id: r.id,
      channel: r.channel,
      recipient: r.recipient,
      body: r.body,
      caseNumber: r.number,
      attempt: r.attempts,
    }));
  }

  private async deliver(row: DeliveryPayload & { attempt: number }): Promise<boolean> {
    const { attempt, ...payload } = row;
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      // The receiver can drop a repeat: a retry after a lost response carries the same key.
      'idempotency-key': `cityhub-notification-${row.id}`,
    };
    if (this.options.secret) headers['x-cityhub-signature'] = signBody(this.options.secret, body);
    const startedAt = Date.now();
    let status: number | null = null;
    let error: string | null = null;
    try {
      const res = await fetch(this.options.webhookUrl, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = res.status;
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) error = `the gateway answered HTTP ${res.status}`;
    } catch (err) {
      error = (err as Error).name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : (err as Error).message;
    }
    const durationMs = Date.now() - startedAt;
    const ok = error === null;
    const permanent = !ok && status !== null && !retryable(status);
    const giveUp = !ok && (permanent || attempt >= this.maxAttempts);
    const retryInMs = this.retryBaseMs * 2 ** (attempt - 1);
    await this.options.pool.query(
      `WITH log AS (
         INSERT INTO notification_attempts (notification_id, attempt, at, duration_ms, http_status, error)
         VALUES ($1, $2, now(), $3, $4, $5))
       UPDATE notifications SET
         status = CASE WHEN $6 THEN 'sent' WHEN $7 THEN 'failed' ELSE 'pending' END,
         sent_at = CASE WHEN $6 THEN now() ELSE sent_at END,
         last_error = $5,
         next_attempt_at = now() + make_interval(secs => $8::double precision / 1000)
       WHERE id = $1`,
      [row.id, attempt, durationMs, status, error, ok, giveUp, retryInMs],
    );
    if (!ok) {
      this.options.log.warn(
        { notification: row.id, case: row.caseNumber, attempt, status, err: error, gaveUp: giveUp },
        'notification not delivered',
      );
    }
    return ok;
  }
}

/** An operator sends a failed notification again (a fresh set of attempts). */
export async function retryNotification(pool: pg.Pool, id: string): Promise<boolean> {
  const { rowCount } = await pool.query(
    `UPDATE notifications SET status = 'pending', attempts = 0, next_attempt_at = now(), last_error = NULL
      WHERE id = $1 AND status = 'failed'`,
    [id],
  );
  return (rowCount ?? 0) > 0;
}
