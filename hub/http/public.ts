// 公众公开接口 the public case information API (art.49): the recently closed cases, without login and without any
// personal data (hub/cases/publicity.ts). The public page's figures — counts and rates, by district, street,
// department and class — are the evaluation's, GET /api/public/evaluation (hub/http/evaluation.ts); a list of cases is
// no indicator, so it lives here. Every answer is computed at most once per cache period whatever the request rate
// and carries Cache-Control and an ETag (public-cache.ts).
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { recentlyClosed } from '../cases/publicity.js';
import { problemResponses, problemSchema } from './problem.js';
import { PublicAnswerCache } from './public-cache.js';
import { useStrictValidation } from './validation.js';

export interface PublicRoutesOptions {
  pool: pg.Pool;
  /** How long an answer is reused (ms); default 60 s. */
  cacheMs?: number;
  now?: () => number;
}

const tags = ['public'];
const problems = problemResponses(problemSchema());
const NullableString = Type.Unsafe<string | null>({ type: ['string', 'null'] });
const DateTime = Type.String({ format: 'date-time' });
const MAX_CLOSED = 50;

const ClosedCaseSchema = Type.Object(
  {
    number: Type.String({ description: '案件编号' }),
    classKind: Type.Unsafe<'component' | 'event'>({ type: 'string', enum: ['component', 'event'] }),
    classCode: Type.String(),
    classNameZh: NullableString,
    classNameEn: NullableString,
    district: NullableString,
    street: Type.Unsafe<string | null>({ type: ['string', 'null'], description: '街道' }),
    community: Type.Unsafe<string | null>({ type: ['string', 'null'], description: '社区' }),
    reportedAt: DateTime,
    closedAt: DateTime,
    handledOnTime: Type.Unsafe<boolean | null>({ type: ['boolean', 'null'] }),
    description: Type.Unsafe<string | null>({
      type: ['string', 'null'],
      description: 'Only a staff-written description with nothing that looks like personal data',
    }),
  },
  { additionalProperties: false },
);

const ClosedQuery = Type.Object(
  { limit: Type.Integer({ minimum: 1, maximum: MAX_CLOSED, default: 20 }) },
  { additionalProperties: false },
);

export async function publicRoutes(app: FastifyInstance, opts: PublicRoutesOptions): Promise<void> {
  const { pool } = opts;
  const now = opts.now ?? Date.now;
  const cache = new PublicAnswerCache(opts.cacheMs ?? 60_000, now);

  useStrictValidation(app);

  app.get<{ Querystring: Static<typeof ClosedQuery> }>(
    '/api/public/closed-cases',
    {
      schema: {
        summary:
          '公众公开 the most recently closed cases: class, street and community, times (no personal data; cached)',
        tags,
        querystring: ClosedQuery,
        response: {
          200: Type.Object(
            { generatedAt: DateTime, items: Type.Array(ClosedCaseSchema) },
            { additionalProperties: false },
          ),
          304: Type.Null(),
          ...problems(400),
        },
      },
    },
    async (request, reply) => {
      const { limit } = request.query;
      const answer = await cache.get(`closed:${limit}`, async () => ({
        generatedAt: new Date(now()).toISOString(),
        items: (await recentlyClosed(pool, limit)).map((c) => ({
          ...c,
          reportedAt: c.reportedAt.toISOString(),
          closedAt: c.closedAt.toISOString(),
        })),
      }));
      return cache.send(request, reply, answer);
    },
  );
}
