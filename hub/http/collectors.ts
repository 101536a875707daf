// 监督员名录接口 the collector directory API: whom an acceptor can send to verify a report on site and whom a shift leader
// or dispatcher can send to re-inspect (the collector pickers of the workflow screens). The full user records stay
// with the admin API; this answers names, staff numbers and open tasks to the supervision centre only.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { listCollectors } from '../cases/collectors.js';
import type { Role } from '../cases/ports.js';
import { requireRoles, type Authenticator } from './guard.js';
import { problemResponses, problemSchema } from './problem.js';
import { useStrictValidation } from './validation.js';

export interface CollectorRoutesOptions {
  pool: pg.Pool;
  auth: Authenticator;
}

/** The roles that assign verification and re-inspection tasks (the workflow table's requestVerify and assignReinspect),
 * and those who oversee them. */
export const COLLECTOR_DIRECTORY_ROLES: readonly Role[] = ['acceptor', 'shiftLeader', 'dispatcher', 'leader', 'admin'];

const problems = problemResponses(problemSchema());

const Query = Type.Object(
  { q: Type.Optional(Type.String({ maxLength: 100, description: 'Part of the name, username or staff number' })) },
  { additionalProperties: false },
);

const CollectorSchema = Type.Object(
  {
    id: Type.String({ description: 'User id: the collectorId of requestVerify and assignReinspect' }),
    name: Type.String(),
    staffId: Type.Union([Type.String(), Type.Null()], { description: '工号' }),
    openTasks: Type.Integer({ description: 'Verifications and re-inspections assigned to them and still open' }),
  },
  { additionalProperties: false },
);

export async function collectorRoutes(app: FastifyInstance, opts: CollectorRoutesOptions): Promise<void> {
  useStrictValidation(app);
  app.get<{ Querystring: Static<typeof Query> }>(
    '/api/collectors',
    {
      onRequest: requireRoles(opts.auth, COLLECTOR_DIRECTORY_ROLES),
      schema: {
        summary: '监督员名录 enabled collectors with their open verification and re-inspection tasks, by name',
        tags: ['cases'],
        querystring: Query,
        response: {
          200: Type.Object({ items: Type.Array(CollectorSchema) }, { additionalProperties: false }),
          ...problems(400, 401, 403),
        },
      },
    },
    async (request) => ({ items: await listCollectors(opts.pool, request.query.q) }),
  );
}
