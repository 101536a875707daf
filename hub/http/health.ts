// Liveness and readiness (健康检查): the database answers and the MQTT broker is listening.
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';

export interface HealthDeps {
  pool: pg.Pool;
  brokerListening(): boolean;
}

const Check = { type: 'string', enum: ['ok', 'fail'] } as const;

export async function healthRoutes(app: FastifyInstance, deps: HealthDeps): Promise<void> {
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Health of the hub: database and MQTT broker',
        response: {
          200: {
            type: 'object',
            properties: {
              status: { type: 'string' },
              checks: { type: 'object', properties: { database: Check, broker: Check } },
            },
          },
          503: { type: 'object', additionalProperties: true },
        },
      },
    },
    async (_request, reply) => {
      const database = await deps.pool
        .query('SELECT 1')
        .then(() => 'ok' as const)
        .catch(() => 'fail' as const);
      const broker = deps.brokerListening() ? ('ok' as const) : ('fail' as const);
      const ok = database === 'ok' && broker === 'ok';
      if (ok) return { status: 'ok', checks: { database, broker } };
      return reply
        .code(503)
        .type('application/problem+json')
        .send({
          type: 'urn:cityhub:problem:unhealthy',
          title: 'Service Unavailable',
          status: 503,
          detail: `database: ${database}, broker: ${broker}`,
          checks: { database, broker },
        });
    },
  );
}
