// 案件概况接口 the case overview API for the leader's dashboard (领导) and the supervision centre, in two kinds of figure
// that are never mixed (hub/evaluation/leader-figures.ts): `now`, the cases open, overdue and supervised (督办) at this
// instant, and `month`, the evaluation's indicators of the current month in China Standard Time — equal to what
// GET /api/evaluation answers for that month. In total and by department and district; counts only, the cases come
// from GET /api/cases.
import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { CENTRE_ROLES } from '../cases/case-service.js';
import { LEADER_COUNTS, LEADER_RATES, leaderOverview } from '../evaluation/leader-figures.js';
import type { EvaluationService } from '../evaluation/service.js';
import { requireRoles, type Authenticator } from './guard.js';
import { problemResponses, problemSchema } from './problem.js';

export interface OverviewRoutesOptions {
  auth: Authenticator;
  /** The month's figures, the database of the live ones, and the clock of both. */
  evaluation: EvaluationService;
}

const problems = problemResponses(problemSchema());
const NullableString = Type.Unsafe<string | null>({ type: ['string', 'null'] });
const Now = Type.Object(
  {
    open: Type.Integer({ description: 'Open now: still needing somebody’s work' }),
    overdue: Type.Integer({ description: 'Overdue now: dispatched or in handling past the handling deadline' }),
    supervised: Type.Integer({ description: 'Supervised now: open and flagged 督办' }),
  },
  { additionalProperties: false, description: 'Live states at `at`, not counts of a period' },
);
const optional = (ids: readonly string[], schema: () => TSchema) =>
  Object.fromEntries(ids.map((id) => [id, Type.Optional(schema())]));
const Month = Type.Object(
  {
    counts: Type.Object(
      optional(LEADER_COUNTS, () => Type.Integer()),
      {
        additionalProperties: false,
        description: 'The evaluation’s counts of the month meaningful for the object (hub/evaluation/counters.ts)',
      },
    ),
    rates: Type.Object(
      optional(LEADER_RATES, () => Type.Unsafe<number | null>({ type: ['number', 'null'] })),
      {
        additionalProperties: false,
        description: 'Fractions 0–1 (hub/evaluation/rates.ts); null when nothing was due',
      },
    ),
  },
  { additionalProperties: false },
);
const Group = Type.Object(
  {
    id: Type.Unsafe<string | null>({
      type: ['string', 'null'],
      description: 'Department id or district code; null: not dispatched yet (or outside the grid)',
    }),
    name: NullableString,
    now: Now,
    month: Type.Union([Month, Type.Null()], {
      description: 'null for the group without an id: the evaluation has no such object',
    }),
  },
  { additionalProperties: false },
);

export async function overviewRoutes(app: FastifyInstance, opts: OverviewRoutesOptions): Promise<void> {
  const { evaluation } = opts;
  app.get(
    '/api/cases/overview',
    {
      onRequest: requireRoles(opts.auth, CENTRE_ROLES),
      schema: {
        summary: '案件概况 cases open, overdue and supervised now, and the evaluation’s figures of the current month',
        description:
          '`now`: live states at `at`. `month`: the evaluation’s counts and rates of the current month (China ' +
          'Standard Time), equal to GET /api/evaluation/{city,district,department} for that month.',
        tags: ['cases'],
        response: {
          200: Type.Object(
            {
              at: Type.String({ format: 'date-time' }),
              month: Type.Object(
                {
                  period: Type.String({ description: 'YYYY-MM' }),
                  from: Type.String({ description: 'First local day, YYYY-MM-DD' }),
                  to: Type.String({ description: 'Last local day, included' }),
                  timeZone: Type.String(),
                },
                { additionalProperties: false },
              ),
              totals: Type.Object({ now: Now, month: Month }, { additionalProperties: false }),
              byDepartment: Type.Array(Group),
              byDistrict: Type.Array(Group),
            },
            { additionalProperties: false },
          ),
          ...problems(401, 403),
        },
      },
    },
    async () => {
      const overview = await leaderOverview(evaluation);
      return { ...overview, at: overview.at.toISOString() };
    },
  );
}
