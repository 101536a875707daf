// 自动发现规则接口 the detection rules API: the zones rules refer to (a GeoJSON set, replaced whole), each rule's
// configuration (validated against its kind's schema, the zones and the catalogue; 422 with every problem listed), the
// rule kinds with their schemas for the UI, per-rule outcome counts (precision) and replays over stored data. Every
// change hot-reloads the running engine.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Role } from '../cases/ports.js';
import { ruleOutcomes } from '../rules/rule-stats.js';
import type { DetectionService } from '../rules/service.js';
import { RuleError, ruleKinds } from '../rules/store.js';
import { actorOf, requireRoles, type Authenticator } from './guard.js';
import { errorsMember, handleDomainErrors, problemResponses, problemSchema, type ProblemTable } from './problem.js';
import { useStrictValidation } from './validation.js';

export interface RuleRoutesOptions {
  service: DetectionService;
  auth: Authenticator;
}

const tags = ['rules'];

const ADMIN: readonly Role[] = ['admin'];
/** Who may read the configuration (the map shows zones; leaders and auditors judge the rules). */
const READ_ROLES: readonly Role[] = ['admin', 'leader', 'shiftLeader', 'auditor', 'acceptor', 'dispatcher'];
/** A replay reads every device's stored data of the range: at most a month at a time. */
export const MAX_REPLAY_MS = 31 * 86_400_000;

const DateTime = Type.String({ format: 'date-time' });
const RuleIdParam = Type.Object(
  { id: Type.String({ pattern: '^[A-Za-z0-9._:-]{1,100}$', description: 'Rule id' }) },
  { additionalProperties: false },
);

const IssueSchema = Type.Object(
  {
    message: Type.String(),
    feature: Type.Optional(Type.Integer({ description: 'Index of the feature in the submitted collection' })),
    zoneId: Type.Optional(Type.String()),
    ruleId: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
const problems = problemResponses(problemSchema(IssueSchema));

const ZoneFeatureSchema = Type.Object(
  {
    type: Type.Literal('Feature'),
    properties: Type.Object({ id: Type.String(), name: Type.String() }, { additionalProperties: true }),
    geometry: Type.Object({}, { additionalProperties: true }),
  },
  { additionalProperties: false },
);
const ZoneCollectionSchema = Type.Object(
  { type: Type.Literal('FeatureCollection'), features: Type.Array(ZoneFeatureSchema) },
  { additionalProperties: false },
);
const ZoneCollectionBody = Type.Object(
  {
    type: Type.Literal('FeatureCollection'),
    features: Type.Array(Type.Object({}, { additionalProperties: true }), {
      description:
        'One Feature per zone: properties.id (1–64 of A–Z a–z 0–9 . _ : -), properties.name, a Polygon or ' +
        'MultiPolygon (WGS-84); other properties are kept (e.g. speedLimitKmh). Each feature is checked; any problem ' +
        'refuses the whole set',
    }),
  },
  { additionalProperties: true },
);

const ConfigSchema = Type.Object(
  {
    id: Type.String(),
    kind: Type.String(),
    name: Type.String(),
    enabled: Type.Boolean(),
    classRef: Type.String(),
  },
  { additionalProperties: true, description: 'The configuration, as its kind’s schema (GET /api/rules/kinds) says' },
);
const RuleSchema = Type.Object(
  {
    id: Type.String(),
    kind: Type.String(),
    name: Type.String(),
    enabled: Type.Boolean(),
    config: ConfigSchema,
    updatedAt: DateTime,
    updatedBy: Type.String(),
  },
  { additionalProperties: false },
);

const Count = Type.Integer({ minimum: 0 });
const OutcomeSchema = Type.Object(
  {
    ruleId: Type.String(),
    kind: Type.Union([Type.String(), Type.Null()]),
    name: Type.Union([Type.String(), Type.Null()]),
    raised: Count,
    merged: Count,
    attached: Count,
    accepted: Count,
    dismissed: Count,
    pending: Count,
    dismissalReasons: Type.Record(Type.String(), Count),
    precision: Type.Union([Type.Number(), Type.Null()]),
  },
  { additionalProperties: false },
);
const LiveStatsSchema = Type.Object(
  {
    rules: Count,
    zones: Count,
    observations: Count,
    drafts: Count,
    created: Count,
    merged: Count,
    attached: Count,
    repeated: Count,
    raiseFailures: Count,
    ruleErrors: Count,
    queued: Count,
    handovers: Type.Integer({
      minimum: 0,
      description: 'Devices handed over to this hub process whose rule state was rebuilt from their stored history',
    }),
    historyObservations: Type.Integer({ minimum: 0, description: 'Stored observations replayed for those hand-overs' }),
    historyDraftsDropped: Type.Integer({
      minimum: 0,
      description: 'What that history fired again, dropped: the process that saw it live raised it',
    }),
    perRule: Type.Array(
      Type.Object(
        {
          ruleId: Type.String(),
          kind: Type.String(),
          observations: Count,
          drafts: Count,
          errors: Count,
          totalUs: Type.Number({ description: 'Time spent in the rule since it started, microseconds' }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, description: 'The running engine since the hub started' },
);

const ReplayBody = Type.Object(
  {
    from: DateTime,
    to: DateTime,
    ruleIds: Type.Optional(Type.Array(Type.String(), { minItems: 1, maxItems: 100, uniqueItems: true })),
    rules: Type.Optional(
      Type.Array(Type.Object({}, { additionalProperties: true }), {
        minItems: 1,
        maxItems: 100,
        description: 'Configurations to try instead of the stored ones (not stored)',
      }),
    ),
  },
  { additionalProperties: false },
);
const DraftSchema = Type.Object({}, { additionalProperties: true, description: 'A candidate draft (not stored)' });

const RULE_PROBLEMS: ProblemTable<RuleError> = {
  InvalidZones: { status: 422, type: 'urn:cityhub:problem:invalid-zones', title: 'Unprocessable Content' },
  InvalidRule: { status: 422, type: 'urn:cityhub:problem:invalid-rule', title: 'Unprocessable Content' },
  RuleNotFound: { status: 404, type: 'urn:cityhub:problem:rule-not-found', title: 'Not Found' },
};

export async function ruleRoutes(app: FastifyInstance, opts: RuleRoutesOptions): Promise<void> {
  const { service, auth } = opts;
  const { store } = service;
  const admin = requireRoles(auth, ADMIN);
  const readers = requireRoles(auth, READ_ROLES);

  useStrictValidation(app);
  handleDomainErrors(app, [RuleError], RULE_PROBLEMS, (error) => errorsMember(error.errors));

  app.get(
    '/api/rules/kinds',
    {
      onRequest: readers,
      schema: {
        summary: 'The rule kinds: Chinese name and the JSON schema of each kind’s configuration',
        tags,
        response: {
          200: Type.Object(
            {
              items: Type.Array(
                Type.Object(
                  {
                    kind: Type.String(),
                    nameZh: Type.String(),
                    schema: Type.Object({}, { additionalProperties: true }),
                  },
                  { additionalProperties: false },
                ),
              ),
            },
            { additionalProperties: false },
          ),
          ...problems(401, 403),
        },
      },
    },
    async () => ({ items: ruleKinds() }),
  );

  app.get(
    '/api/rules/zones',
    {
      onRequest: readers,
      schema: {
        summary: '区域 the zones rules refer to, as a GeoJSON FeatureCollection',
        tags,
        response: { 200: ZoneCollectionSchema, ...problems(401, 403) },
      },
    },
    async () => zonesDocument(await store.zones()),
  );

  app.put<{ Body: Static<typeof ZoneCollectionBody> }>(
    '/api/rules/zones',
    {
      onRequest: admin,
      schema: {
        summary:
          'Replace the zones (the whole set); refused when a feature is bad or a stored rule would lose its zone',
        tags,
        body: ZoneCollectionBody,
        response: { 200: ZoneCollectionSchema, ...problems(400, 401, 403, 422) },
      },
    },
    async (request) => {
      const zones = await store.replaceZones(request.body);
      await service.load();
      return zonesDocument(zones);
    },
  );

  app.get(
    '/api/rules',
    {
      onRequest: readers,
      schema: {
        summary: 'The configured detection rules',
        tags,
        response: {
          200: Type.Object({ items: Type.Array(RuleSchema) }, { additionalProperties: false }),
          ...problems(401, 403),
        },
      },
    },
    async () => ({ items: await store.rules() }),
  );

  app.get(
    '/api/rules/stats',
    {
      onRequest: readers,
      schema: {
        summary:
          'Per rule: candidates raised, drafts merged or attached to cases, accepted, dismissed (by reason), pending',
        tags,
        response: {
          200: Type.Object(
            { rules: Type.Array(OutcomeSchema), live: LiveStatsSchema },
            { additionalProperties: false },
          ),
          ...problems(401, 403),
        },
      },
    },
    async () => ({ rules: await ruleOutcomes(service.pool), live: service.stats() }),
  );

  app.post<{ Body: Static<typeof ReplayBody> }>(
    '/api/rules/replay',
    {
      onRequest: admin,
      schema: {
        summary:
          'Run rules over stored positions, telemetry and statuses of a range (at most 31 days): what they would ' +
          'have raised. Stores nothing',
        tags,
        body: ReplayBody,
        response: {
          200: Type.Object(
            {
              drafts: Type.Array(DraftSchema),
              observations: Count,
              ruleIds: Type.Array(Type.String()),
              ruleErrors: Count,
            },
            { additionalProperties: false },
          ),
          ...problems(400, 401, 403, 404, 422),
        },
      },
    },
    async (request) => {
      const { from, to, ruleIds, rules } = request.body;
      const fromMs = Date.parse(from);
      const toMs = Date.parse(to);
      if (!(fromMs < toMs) || toMs - fromMs > MAX_REPLAY_MS) {
        throw new RuleError('InvalidRule', 'from must be before to, at most 31 days apart', [
          { message: 'from/to: a range of at most 31 days, from before to' },
        ]);
      }
      return service.replay({ fromMs, toMs, ...(ruleIds ? { ruleIds } : {}), ...(rules ? { rules } : {}) });
    },
  );

  app.get<{ Params: Static<typeof RuleIdParam> }>(
    '/api/rules/:id',
    {
      onRequest: readers,
      schema: {
        summary: 'One rule',
        tags,
        params: RuleIdParam,
        response: { 200: RuleSchema, ...problems(401, 403, 404) },
      },
    },
    async (request) => store.rule(request.params.id),
  );

  app.put<{ Params: Static<typeof RuleIdParam>; Body: Record<string, unknown> }>(
    '/api/rules/:id',
    {
      onRequest: admin,
      schema: {
        summary:
          'Create or replace a rule (201 created, 200 replaced); validated against its kind’s schema, the zones and the ' +
          'catalogue. The running engine picks it up at once; other rules keep their state',
        tags,
        params: RuleIdParam,
        body: Type.Object({}, { additionalProperties: true, description: 'The configuration; `id` may be left out' }),
        response: { 200: RuleSchema, 201: RuleSchema, ...problems(400, 401, 403, 422) },
      },
    },
    async (request, reply) => {
      const { rule, created } = await store.putRule(request.params.id, request.body, actorOf(request).userId);
      await service.load();
      return reply.code(created ? 201 : 200).send(rule);
    },
  );

  app.delete<{ Params: Static<typeof RuleIdParam> }>(
    '/api/rules/:id',
    {
      onRequest: admin,
      schema: {
        summary: 'Delete a rule (its candidates keep their rule id)',
        tags,
        params: RuleIdParam,
        response: { 204: Type.Null(), ...problems(401, 403, 404) },
      },
    },
    async (request, reply) => {
      await store.deleteRule(request.params.id);
      await service.load();
      return reply.code(204).send();
    },
  );
}

function zonesDocument(zones: ReadonlyArray<{ id: string; name: string; geometry: unknown; properties: object }>) {
  return {
    type: 'FeatureCollection' as const,
    features: zones.map((z) => ({
      type: 'Feature' as const,
      properties: { ...z.properties, id: z.id, name: z.name },
      geometry: z.geometry as Record<string, unknown>,
    })),
  };
}
