// 案件概况接口 the case overview API for the leader's dashboard (领导) and the supervision centre: open, overdue, supervised
// (督办) and closed-this-month counts, in total and by department and district (hub/cases/statistics.ts). Counts
// only; the cases themselves come from GET /api/cases.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { CENTRE_ROLES } from '../cases/case-service.js';
import { caseOverview } from '../cases/statistics.js';
import { requireRoles, type Authenticator } from './guard.js';
import { problemResponses, problemSchema } from './problem.js';

export interface OverviewRoutesOptions {
  pool: pg.Pool;
  auth: Authenticator;
  /** The city's time zone: "this month" on its clock. */
  timeZone: string;
  now?: () => number;
}

const problems = problemResponses(problemSchema());
const NullableString = Type.Unsafe<string | null>({ type: ['string', 'null'] });
const Counts = {
  open: Type.Integer({ description: 'Still needing somebody’s work' }),
  overdue: Type.Integer({ description: 'Dispatched or in handling past the handling deadline' }),
  supervised: Type.Integer({ description: 'Open and flagged 督办' }),
  closed: Type.Integer({ description: 'Closed this month' }),
};
const Group = Type.Object(
  {
    id: Type.Unsafe<string | null>({
      type: ['string', 'null'],
      description: 'Department id or district code; null: not dispatched yet (or outside the grid)',
    }),
    name: NullableString,
    ...Counts,
  },
  { additionalProperties: false },
);

export async function overviewRoutes(app: FastifyInstance, opts: OverviewRoutesOptions): Promise<void> {
  const now = opts.now ?? Date.now;
  app.get(
    '/api/cases/overview',
    {
      onRequest: requireRoles(opts.auth, CENTRE_ROLES),
      schema: {
        summary: '案件概况 open, overdue, supervised and closed-this-month counts by department and district',
        tags: ['cases'],
        response: {
          200: Type.Object(
            {
              at: Type.String({ format: 'date-time' }),
              month: Type.String(),
              timeZone: Type.String(),
              totals: Type.Object(Counts, { additionalProperties: false }),
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
      const overview = await caseOverview(opts.pool, now(), opts.timeZone);
      return { ...overview, at: overview.at.toISOString() };
    },
  );
}
