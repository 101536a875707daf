// Device commands API (下行指令): send a command to a device and follow what became of it.
import type { FastifyInstance } from 'fastify';
import { COMMAND_KINDS, type CommandKind, type CommandService } from '../commands/commands.js';
import { RegistryError, type DeviceRegistry } from '../devices/registry.js';
import { requireAdminToken } from './admin-auth.js';
import { sendProblem } from './problem.js';

export interface CommandDeps {
  commands: CommandService;
  registry: DeviceRegistry;
  adminToken: string;
}

const commandSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    deviceId: { type: 'string' },
    kind: { type: 'string' },
    params: { type: 'object', additionalProperties: true },
    status: { type: 'string', enum: ['pending', 'sent', 'ok', 'failed', 'unsupported', 'expired'] },
    createdAt: { type: 'string' },
    expiresAt: { type: 'string' },
    sentAt: { type: ['string', 'null'] },
    ackedAt: { type: ['string', 'null'] },
    ackMessage: { type: ['string', 'null'] },
    ackResult: { type: ['object', 'null'], additionalProperties: true },
  },
} as const;

// One request schema per kind, so a wrong parameter is a 400 that names it.
const createBody = {
  oneOf: Object.entries(COMMAND_KINDS).map(([kind, def]) => ({
    type: 'object',
    required: ['kind'],
    additionalProperties: false,
    description: def.description,
    properties: {
      kind: { const: kind },
      params: def.params,
      ttlS: { type: 'integer', minimum: 10, maximum: 7 * 86400, description: 'Default 3600.' },
    },
  })),
};

export async function commandRoutes(app: FastifyInstance, deps: CommandDeps): Promise<void> {
  app.addHook('onRequest', requireAdminToken(deps.adminToken));

  const notFound = (url: string, detail: string) => ({
    type: 'about:blank',
    title: 'Not Found',
    status: 404,
    detail,
    instance: url,
  });

  app.post<{ Params: { id: string }; Body: { kind: CommandKind; params?: Record<string, unknown>; ttlS?: number } }>(
    '/api/devices/:id/commands',
    {
      schema: {
        summary: 'Send a command to a device; delivered now if it is listening, else when it next subscribes',
        tags: ['commands'],
        params: { type: 'object', properties: { id: { type: 'string' } } },
        body: createBody,
        response: { 202: commandSchema },
      },
    },
    async (request, reply) => {
      try {
        await deps.registry.get(request.params.id);
      } catch (err) {
        if (err instanceof RegistryError && err.code === 'DeviceNotFound') {
          return sendProblem(reply, notFound(request.url, `no device ${request.params.id}`));
        }
        throw err;
      }
      const { kind, params = {}, ttlS = 3600 } = request.body;
      const command = await deps.commands.create(request.params.id, kind, params, ttlS);
      return reply.code(202).send(command);
    },
  );

  app.get<{ Params: { id: string }; Querystring: { limit: number } }>(
    '/api/devices/:id/commands',
    {
      schema: {
        summary: "A device's recent commands, newest first",
        tags: ['commands'],
        querystring: {
          type: 'object',
          properties: { limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 } },
        },
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: commandSchema } } } },
      },
    },
    async (request) => ({ items: await deps.commands.list(request.params.id, request.query.limit) }),
  );

  app.get<{ Params: { id: string; commandId: string } }>(
    '/api/devices/:id/commands/:commandId',
    {
      schema: {
        summary: 'One command and its acknowledgement',
        tags: ['commands'],
        params: {
          type: 'object',
          properties: { id: { type: 'string' }, commandId: { type: 'string', format: 'uuid' } },
        },
        response: { 200: commandSchema },
      },
    },
    async (request, reply) => {
      const command = await deps.commands.get(request.params.id, request.params.commandId);
      return command ?? sendProblem(reply, notFound(request.url, `no command ${request.params.commandId}`));
    },
  );
}
