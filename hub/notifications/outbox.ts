// 结果告知 outbox (art.49: complainants are told the result): finds the audit events a complainant must hear about —
// their report rejected, closed or voided — and queues one message per event and channel. It reads the append-only
// case log instead of being called by the workflow, so a crash between an action and its notification loses nothing:
// the next scan finds the event again, and the unique (case, event, channel) key makes queueing it twice harmless.
import type pg from 'pg';

/** Case states a complainant is told about, and the message for each (the body is a short SMS in Chinese). */
const TEMPLATES: Record<string, (e: ToldEvent) => string> = {
  closed: (e) =>
    `【数字城管】您反映的问题（案件号${e.number}）已处理完毕并结案。${e.note ? `处理结果：${e.note}` : ''}感谢您的监督。`,
  rejected: (e) =>
    `【数字城管】您反映的问题（案件号${e.number}）经核实不予立案。${e.reason ? `原因：${e.reason}` : ''}如有疑问请致电12319。`,
  voided: (e) =>
    `【数字城管】您反映的问题（案件号${e.number}）已作废。${e.reason ? `原因：${e.reason}` : ''}如有疑问请致电12319。`,
};
export const TOLD_STATES = Object.keys(TEMPLATES);

/** Complainants exist for reports from the public and the hotline; collectors and detectors are not told. */
const TOLD_SOURCES = ['public', 'hotline'];

/** Events committed out of order by at most this much (a slow transaction) are still found by the next scan. */
const SCAN_OVERLAP_MS = 5 * 60_000;

interface ToldEvent {
  number: string;
  note: string | null;
  reason: string | null;
}

export interface OutboxScan {
  queued: number;
}

/** Queues the notifications owed for audit events since the last scan; safe to run concurrently from several hubs. */
export async function fillOutbox(pool: pg.Pool): Promise<OutboxScan> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // The scan row's lock serialises scanners: two hubs do not both read the same window.
    const scan = await client.query<{ last_at: Date | null }>('SELECT last_at FROM notification_scan FOR UPDATE');
    const since = scan.rows[0]!.last_at;
    const from = since ? new Date(since.getTime() - SCAN_OVERLAP_MS) : null;
    const { rows } = await client.query<{
      case_id: string;
      seq: number;
      to_state: string;
      at: Date;
      note: string | null;
      number: string;
      reporter_phone: string;
      reject_reason: string | null;
      data: Record<string, unknown>;
    }>(
      `SELECT e.case_id, e.seq, e.to_state, e.at, e.note, e.data, c.number, c.reporter_phone, c.reject_reason
         FROM case_events e JOIN cases c ON c.id = e.case_id
        WHERE ($1::timestamptz IS NULL OR e.at > $1) AND e.to_state = ANY($2) AND e.from_state IS DISTINCT FROM e.to_state
          AND c.source = ANY($3) AND c.reporter_phone IS NOT NULL AND btrim(c.reporter_phone) <> ''
        ORDER BY e.at, e.case_id, e.seq`,
      [from, TOLD_STATES, TOLD_SOURCES],
    );
    let queued = 0;
    let lastAt = since;
    for (const row of rows) {
      if (!lastAt || row.at > lastAt) lastAt = row.at;
      const reason = typeof row.data?.reason === 'string' ? row.data.reason : (row.note ?? row.reject_reason);
      const body = TEMPLATES[row.to_state]!({ number: row.number, note: row.note, reason });
      const inserted = await client.query(
        `INSERT INTO notifications (case_id, event_seq, channel, recipient, body)
         VALUES ($1, $2, 'sms', $3, $4) ON CONFLICT (case_id, event_seq, channel) DO NOTHING`,
        [row.case_id, row.seq, row.reporter_phone.trim(), body],
      );
      queued += inserted.rowCount ?? 0;
    }
    await client.query('UPDATE notification_scan SET last_at = $1', [lastAt]);
    await client.query('COMMIT');
    return { queued };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
