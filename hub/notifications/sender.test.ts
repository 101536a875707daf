// 结果告知 the outbox and its sender against the real database and a real HTTP receiver: which audit events tell a
// complainant, exactly-once queueing, the signature, retries with back-off, permanent refusals, the delivery log.
import { createHmac } from 'node:crypto';
import http from 'node:http';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { migratedTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { fillOutbox } from './outbox.js';
import { NotificationSender, retryNotification } from './sender.js';

const SECRET = 'sender-test-secret-0123456789';
let db: TestDatabase;
let server: http.Server;
let url: string;
/** What the receiver answers next (a queue of status codes; 200 when empty)… */
let answers: number[] = [];
/** …or, for a recipient listed here, the next of its own. */
const answersFor = new Map<string, number[]>();
const received: Array<{ body: string; signature: string | undefined; key: string | undefined }> = [];
let caseNo = 0;

async function caseWithEvents(
  source: string,
  phone: string | null,
  events: Array<[from: string | null, to: string, note?: string]>,
) {
  caseNo++;
  const { rows } = await db.pool.query<{ id: string }>(
    `INSERT INTO cases (number, state, source, class_kind, class_code, lon, lat, reported_at, reporter_phone)
     VALUES ($1, $2, $3, 'component', '0101', 117.02, 36.66, now(), $4) RETURNING id::text AS id`,
    [`20261201-${String(caseNo).padStart(4, '0')}`, events.at(-1)![1], source, phone],
  );
  const id = rows[0]!.id;
  for (const [i, [from, to, note]] of events.entries()) {
    await db.pool.query(
      `INSERT INTO case_events (case_id, seq, at, actor_id, actor_name, actor_role, action, from_state, to_state, note)
       VALUES ($1, $2, now(), 'u', 'u', 'acceptor', 'x', $3, $4, $5)`,
      [id, i + 1, from, to, note ?? null],
    );
  }
  return { id, number: `20261201-${String(caseNo).padStart(4, '0')}` };
}

const sender = (opts: Partial<ConstructorParameters<typeof NotificationSender>[0]> = {}) =>
  new NotificationSender({
    pool: db.pool,
    log: pino({ level: 'silent' }),
    webhookUrl: url,
    secret: SECRET,
    retryBaseMs: 0,
    maxAttempts: 3,
    ...opts,
  });

beforeAll(async () => {
  db = await migratedTestDatabase();
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push({
        body,
        signature: req.headers['x-cityhub-signature'] as string | undefined,
        key: req.headers['idempotency-key'] as string | undefined,
      });
      const own = answersFor.get((JSON.parse(body) as { recipient: string }).recipient);
      res.writeHead((own ? own.shift() : answers.shift()) ?? 200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/notify`;
});
afterAll(async () => {
  server?.close();
  await db?.drop();
});
beforeEach(async () => {
  answers = [];
  answersFor.clear();
  received.length = 0;
  // Earlier tests' events are queued and settled, so each test sees only its own notifications.
  await fillOutbox(db.pool);
  await db.pool.query(`UPDATE notifications SET status = 'sent' WHERE status <> 'sent'`);
});

describe('the outbox', () => {
  it('queues one SMS per told event of public and hotline reports with a phone, and only once', async () => {
    const closed = await caseWithEvents('public', '13800000001', [
      [null, 'reported'],
      ['reported', 'accepted'],
      ['handled', 'closed', '已修复'],
    ]);
    const rejected = await caseWithEvents('hotline', '13800000002', [
      [null, 'reported'],
      ['reported', 'rejected', '不属于城管范围'],
    ]);
    await caseWithEvents('collector', '13800000003', [
      [null, 'reported'],
      ['handled', 'closed'],
    ]); // no complainant
    await caseWithEvents('public', null, [
      [null, 'reported'],
      ['handled', 'closed'],
    ]); // no phone
    await caseWithEvents('public', '13800000004', [
      [null, 'reported'],
      ['reported', 'accepted'],
    ]); // not finished

    expect((await fillOutbox(db.pool)).queued).toBe(2);
    expect((await fillOutbox(db.pool)).queued).toBe(0);
    const { rows } = await db.pool.query<{ case_id: string; recipient: string; body: string; event_seq: number }>(
      'SELECT case_id::text, recipient, body, event_seq FROM notifications ORDER BY id',
    );
    expect(rows).toEqual([
      {
        case_id: closed.id,
        recipient: '13800000001',
        event_seq: 3,
        body: `【数字城管】您反映的问题（案件号${closed.number}）已处理完毕并结案。处理结果：已修复感谢您的监督。`,
      },
      {
        case_id: rejected.id,
        recipient: '13800000002',
        event_seq: 2,
        body: `【数字城管】您反映的问题（案件号${rejected.number}）经核实不予立案。原因：不属于城管范围如有疑问请致电12319。`,
      },
    ]);
  });
});

describe('the sender', () => {
  it('posts signed JSON with an idempotency key and records the delivery', async () => {
    const c = await caseWithEvents('public', '13800000011', [
      [null, 'reported'],
      ['handled', 'closed'],
    ]);
    const result = await sender().runOnce();
    expect(result).toEqual({ queued: 1, sent: 1, failed: 0 });
    expect(received).toHaveLength(1);
    const body = JSON.parse(received[0]!.body);
    expect(body).toMatchObject({ channel: 'sms', recipient: '13800000011', caseNumber: c.number });
    expect(received[0]!.signature).toBe(
      'sha256=' + createHmac('sha256', SECRET).update(received[0]!.body).digest('hex'),
    );
    expect(received[0]!.key).toBe(`cityhub-notification-${body.id}`);
    const { rows } = await db.pool.query(
      `SELECT status, attempts, sent_at IS NOT NULL AS sent FROM notifications WHERE recipient = '13800000011'`,
    );
    expect(rows).toEqual([{ status: 'sent', attempts: 1, sent: true }]);
    // Sent is sent: the next round sends nothing.
    expect(await sender().runOnce()).toEqual({ queued: 0, sent: 0, failed: 0 });
  });

  it('retries a gateway error with back-off and logs every attempt', async () => {
    await caseWithEvents('public', '13800000021', [
      [null, 'reported'],
      ['handled', 'closed'],
    ]);
    answers = [503];
    const slow = sender({ retryBaseMs: 60_000 });
    expect(await slow.runOnce()).toMatchObject({ sent: 0, failed: 1 });
    // Not due yet: the retry waits retryBaseMs.
    expect(await slow.runOnce()).toMatchObject({ sent: 0, failed: 0 });
    await db.pool.query(`UPDATE notifications SET next_attempt_at = now() WHERE recipient = '13800000021'`);
    expect(await slow.runOnce()).toMatchObject({ sent: 1, failed: 0 });
    const attempts = await db.pool.query<{ attempt: number; http_status: number; error: string | null }>(
      `SELECT attempt, http_status, error FROM notification_attempts a JOIN notifications n ON n.id = a.notification_id
        WHERE n.recipient = '13800000021' ORDER BY a.id`,
    );
    expect(attempts.rows).toEqual([
      { attempt: 1, http_status: 503, error: 'the gateway answered HTTP 503' },
      { attempt: 2, http_status: 200, error: null },
    ]);
  });

  it('gives up on a permanent refusal at once, and after maxAttempts on repeated errors; an operator retries', async () => {
    await caseWithEvents('public', '13800000031', [
      [null, 'reported'],
      ['handled', 'closed'],
    ]);
    await caseWithEvents('public', '13800000032', [
      [null, 'reported'],
      ['handled', 'closed'],
    ]);
    answersFor.set('13800000031', [400]);
    answersFor.set('13800000032', [500, 500, 500]);
    const s = sender();
    for (let i = 0; i < 3; i++) await s.runOnce();
    const { rows } = await db.pool.query<{ id: string; recipient: string; status: string; attempts: number }>(
      `SELECT id::text, recipient, status, attempts FROM notifications WHERE recipient LIKE '1380000003_' ORDER BY id`,
    );
    expect(rows.map(({ recipient, status, attempts }) => ({ recipient, status, attempts }))).toEqual([
      { recipient: '13800000031', status: 'failed', attempts: 1 },
      { recipient: '13800000032', status: 'failed', attempts: 3 },
    ]);
    expect(await retryNotification(db.pool, rows[0]!.id)).toBe(true);
    expect(await s.runOnce()).toMatchObject({ sent: 1 });
    // Only failed notifications can be retried.
    expect(await retryNotification(db.pool, rows[0]!.id)).toBe(false);
  });

  it('counts an unreachable gateway as a retryable failure', async () => {
    await caseWithEvents('public', '13800000041', [
      [null, 'reported'],
      ['handled', 'closed'],
    ]);
    const dead = sender({ webhookUrl: 'http://127.0.0.1:1/nothing-listens' });
    expect(await dead.runOnce()).toMatchObject({ sent: 0, failed: 1 });
    const { rows } = await db.pool.query(
      `SELECT status, last_error IS NOT NULL AS has_error FROM notifications WHERE recipient = '13800000041'`,
    );
    expect(rows).toEqual([{ status: 'pending', has_error: true }]);
  });
});
