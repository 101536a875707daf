// 告知记录接口 notification outbox API: what complainants were told, each delivery attempt, and a retry for the failed.
// Recipients are phone numbers: only the roles that talk to complainants see this.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { retryNotification } from '../notifications/sender.js';
import { requireRoles, type Authenticator } from './guard.js';
import { sendProblem } from './problem.js';

export interface NotificationRoutesOptions {
  pool: pg.Pool;
  auth: Authenticator;
}

const tags = ['notifications'];
const STATUSES = ['pending', 'sent', 'failed'] as const;

const NotificationSchema = Type.Object({
  id: Type.String(),
  caseId: Type.String(),
  caseNumber: Type.String(),
  eventSeq: Type.Integer(),
  channel: Type.String(),
  recipient: Type.String(),
  body: Type.String(),
  status: Type.Unsafe<(typeof STATUSES)[number]>({ type: 'string', enum: [...STATUSES] }),
  attempts: Type.Integer(),
  nextAttemptAt: Type.String({ format: 'date-time' }),
  lastError: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  sentAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

const AttemptSchema = Type.Object({
  attempt: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  durationMs: Type.Integer(),
  httpStatus: Type.Union([Type.Integer(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
});

const ListQuery = Type.Object(
  {
    status: Type.Optional(Type.Unsafe<(typeof STATUSES)[number]>({ type: 'string', enum: [...STATUSES] })),
    case: Type.Optional(Type.String({ maxLength: 40, description: 'Case number, e.g. 20261201-0001' })),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    offset: Type.Integer({ minimum: 0, maximum: 1_000_000_000, default: 0 }),
  },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: Type.String({ pattern: '^[0-9]{1,18}$' }) });

const SELECT = `SELECT n.id, n.case_id, c.number, n.event_seq, n.channel, n.recipient, n.body, n.status, n.attempts,
                       n.next_attempt_at, n.last_error, n.created_at, n.sent_at
                  FROM notifications n JOIN cases c ON c.id = n.case_id`;

interface Row {
  id: string;
  case_id: string;
  number: string;
  event_seq: number;
  channel: string;
  recipient: string;
  body: string;
  status: (typeof STATUSES)[number];
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  created_at: Date;
  sent_at: Date | null;
}

const toDto = (r: Row): Static<typeof NotificationSchema> => ({
  id: r.id,
  caseId: r.case_id,
  caseNumber: r.number,
  eventSeq: r.event_seq,
  channel: r.channel,
  recipient: r.recipient,
  body: r.body,
  status: r.status,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at.toISOString(),
  lastError: r.last_error,
  createdAt: r.created_at.toISOString(),
  sentAt: r.sent_at?.toISOString() ?? null,
});

export async function notificationRoutes(app: FastifyInstance, options: NotificationRoutesOptions): Promise<void> {
  const { pool, auth } = options;
  const readers = requireRoles(auth, ['acceptor', 'shiftLeader', 'auditor', 'admin']);

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/api/notifications',
    {
      onRequest: readers,
      schema: {
        tags,
        summary: 'Notifications to complainants (结果告知, art.49), newest first',
        querystring: ListQuery,
        response: { 200: Type.Object({ items: Type.Array(NotificationSchema), total: Type.Integer() }) },
      },
    },
    async (request) => {
      const { status, case: number, limit, offset } = request.query;
      const where: string[] = [];
      const params: unknown[] = [];
      if (status) where.push(`n.status = $${params.push(status)}`);
      if (number) where.push(`c.number = $${params.push(number)}`);
      const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
      const total = await pool.query<{ n: string }>(
        `SELECT count(*) AS n FROM notifications n JOIN cases c ON c.id = n.case_id ${clause}`,
        params,
      );
      const { rows } = await pool.query<Row>(
        `${SELECT} ${clause} ORDER BY n.id DESC LIMIT $${params.push(limit)} OFFSET $${params.push(offset)}`,
        params,
      );
      return { items: rows.map(toDto), total: Number(total.rows[0]!.n) };
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/notifications/:id',
    {
      onRequest: readers,
      schema: {
        tags,
        summary: 'One notification with its delivery log',
        params: IdParams,
        response: { 200: Type.Intersect([NotificationSchema, Type.Object({ deliveries: Type.Array(AttemptSchema) })]) },
      },
    },
    async (request, reply) => {
      const { rows } = await pool.query<Row>(`${SELECT} WHERE n.id = $1`, [request.params.id]);
      if (!rows[0]) return notFound(reply, request.url);
      const attempts = await pool.query<{
        attempt: number;
        at: Date;
        duration_ms: number;
        http_status: number | null;
        error: string | null;
      }>(
        `SELECT attempt, at, duration_ms, http_status, error FROM notification_attempts
          WHERE notification_id = $1 ORDER BY id`,
        [request.params.id],
      );
      return {
        ...toDto(rows[0]),
        deliveries: attempts.rows.map((a) => ({
          attempt: a.attempt,
          at: a.at.toISOString(),
          durationMs: a.duration_ms,
          httpStatus: a.http_status,
          error: a.error,
        })),
      };
    },
  );

  app.post<{ Params: Static<typeof IdParams> }>(
    '/api/notifications/:id/retry',
    {
      onRequest: requireRoles(auth, ['acceptor', 'admin']),
      schema: { tags, summary: 'Send a failed notification again', params: IdParams, response: { 202: Type.Null() } },
    },
    async (request, reply) => {
      if (await retryNotification(pool, request.params.id)) return reply.code(202).send();
      const { rowCount } = await pool.query('SELECT 1 FROM notifications WHERE id = $1', [request.params.id]);
      if (!rowCount) return notFound(reply, request.url);
      return sendProblem(reply, {
        type: 'urn:cityhub:problem:notification-not-failed',
        title: 'Conflict',
        status: 409,
        detail: 'only a failed notification can be retried; this one is pending or sent',
        instance: request.url,
      });
    },
  );
}

function notFound(reply: Parameters<typeof sendProblem>[0], instance: string) {
  return sendProblem(reply, {
    type: 'urn:cityhub:problem:not-found',
    title: 'Not Found',
    status: 404,
    detail: 'no notification with this id',
    instance,
  });
}
