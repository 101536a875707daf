// 案件接口 the case API: report, list and read cases, their history (audit log) and the exception ledger, one route per
// action of the workflow table (hub/cases/workflow.ts) with that action's roles and input schema, the table itself for
// the UI, and the acceptance queue of detector candidates. Every route is guarded by role.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CandidateQueue } from '../cases/candidates.js';
import {
  CASE_LIMITS,
  CaseError,
  REPORT_ID_PATTERN,
  type ActionInput,
  type CaseService,
} from '../cases/case-service.js';
import { TIME_LIMIT_UNITS, type Role } from '../cases/ports.js';
import {
  APPROVAL_KINDS,
  CASE_SOURCES,
  CASE_STATES,
  REPORT_ROLES,
  TRANSITIONS,
  WorkflowError,
  workflowDocument,
  type ActionField,
  type ApprovalKind,
  type CaseSource,
  type CaseState,
} from '../cases/workflow.js';
import { actorOf, requireRoles, type Authenticator } from './guard.js';
import { handleDomainErrors, problemResponses, problemSchema, type ProblemTable } from './problem.js';
import { useStrictValidation } from './validation.js';

export interface CaseRoutesOptions {
  service: CaseService;
  candidates: CandidateQueue;
  auth: Authenticator;
}

const tags = ['cases'];

/** Who may read the ledger (art.40) and the candidate queue. */
const LEDGER_ROLES: readonly Role[] = ['leader', 'shiftLeader', 'auditor', 'admin'];
const QUEUE_READ_ROLES: readonly Role[] = ['acceptor', 'shiftLeader', 'leader', 'auditor', 'admin'];
/** Detectors outside the hub raise candidates with a service token (admin); the ingest rules call the queue directly. */
const QUEUE_RAISE_ROLES: readonly Role[] = ['admin'];

const Nullable = <T>(type: 'string' | 'integer' | 'number' | 'boolean', extra: Record<string, unknown> = {}) =>
  Type.Unsafe<T | null>({ type: [type, 'null'], ...extra });
const NullableDate = Nullable<string>('string', { format: 'date-time' });
const DateTime = Type.String({ format: 'date-time' });

const CaseIdSchema = Type.String({ pattern: '^[0-9]{1,18}$', description: 'Case id' });
const StateSchema = Type.Unsafe<CaseState>({ type: 'string', enum: [...CASE_STATES] });
const SourceSchema = Type.Unsafe<CaseSource>({
  type: 'string',
  enum: [...CASE_SOURCES],
  description:
    'collector 监督员, hotline 12319 热线, public 公众, leader 领导交办, detector 自动识别 (via a candidate)',
});
const ClassCodeSchema = Type.String({
  pattern: '^((component|event):)?[0-9]{4}$',
  description: 'Class: 2-digit major + 2-digit minor, prefixed component: or event: where the bare code is both',
});
const ClassKindSchema = Type.Unsafe<'component' | 'event'>({ type: 'string', enum: ['component', 'event'] });
const UserIdSchema = Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' });
const MediaIds = Type.Array(Type.String({ minLength: 1, maxLength: CASE_LIMITS.mediaId }), {
  maxItems: CASE_LIMITS.attachments,
  description: 'Media ids (photos, video clips) from the media API',
});
const LimitSchema = Type.Object(
  {
    value: Type.Number({ exclusiveMinimum: 0, maximum: 10_000 }),
    unit: Type.Unsafe<(typeof TIME_LIMIT_UNITS)[number]>({
      type: 'string',
      enum: [...TIME_LIMIT_UNITS],
      description: 'workHours 工作时, workDays 工作日, urgentHours 紧急工作时',
    }),
  },
  { additionalProperties: false },
);
const Lon = Type.Number({ minimum: -180, maximum: 180 });
const Lat = Type.Number({ minimum: -90, maximum: 90 });

const FIELD_SCHEMAS: Record<ActionField, TSchema> = {
  note: Type.String({ maxLength: CASE_LIMITS.note }),
  attachments: MediaIds,
  reason: Type.String({ minLength: 1, maxLength: CASE_LIMITS.note, pattern: '\\S' }),
  collectorId: UserIdSchema,
  standardId: Type.Integer({ minimum: 1, description: 'The situation (情形) of the class’s standard' }),
  classCode: ClassCodeSchema,
  duplicateOf: CaseIdSchema,
  departmentId: Type.String({
    pattern: '^[A-Za-z0-9._-]{1,64}$',
    description: 'Overrides the department the responsibility rules would choose',
  }),
  score: Type.Integer({ minimum: 0, maximum: 100 }),
  supervised: Type.Boolean(),
  limit: LimitSchema,
};

function actionBody(required: readonly ActionField[], optional: readonly ActionField[]) {
  const props: Record<string, TSchema> = {
    version: Type.Optional(
      Type.Integer({ minimum: 1, description: 'Act only if the case is still at this version (or send If-Match)' }),
    ),
  };
  for (const f of ['note', 'attachments', ...optional] as ActionField[]) props[f] = Type.Optional(FIELD_SCHEMAS[f]);
  for (const f of required) props[f] = FIELD_SCHEMAS[f];
  return Type.Object(props, { additionalProperties: false });
}

const AreaSchema = Type.Object(
  { cell: Type.String(), community: Type.String(), street: Type.String(), district: Type.String() },
  { additionalProperties: false },
);

const ApprovalSchema = Type.Object(
  {
    id: Type.String(),
    caseId: Type.String(),
    kind: Type.Unsafe({ type: 'string', enum: [...APPROVAL_KINDS] }),
    status: Type.Unsafe({ type: 'string', enum: ['pending', 'approved', 'denied', 'withdrawn'] }),
    requestedBy: Type.String(),
    requestedByName: Type.String(),
    requestedAt: DateTime,
    reason: Type.String(),
    requestedLimit: Type.Union([LimitSchema, Type.Null()]),
    decidedBy: Nullable<string>('string'),
    decidedByName: Nullable<string>('string'),
    decidedAt: NullableDate,
    decisionNote: Nullable<string>('string'),
  },
  { additionalProperties: false },
);

const CaseSchema = Type.Object(
  {
    id: Type.String(),
    number: Type.String({ description: '案件编号: local day and a sequence, e.g. 20261201-0001' }),
    state: StateSchema,
    version: Type.Integer(),
    source: SourceSchema,
    classKind: ClassKindSchema,
    classCode: Type.String(),
    description: Type.String(),
    address: Nullable<string>('string'),
    lon: Type.Number(),
    lat: Type.Number(),
    area: Type.Union([AreaSchema, Type.Null()]),
    outsideGrid: Type.Boolean({ description: 'The point lies in no unit grid cell' }),
    reporterId: Nullable<string>('string'),
    reporterName: Nullable<string>('string'),
    reporterPhone: Nullable<string>('string', {
      description: 'Shown in full only to acceptors, shift leaders and auditors; masked (138****5678) for others',
    }),
    attachments: Type.Array(Type.String()),
    standardId: Nullable<number>('integer'),
    limit: Type.Union([LimitSchema, Type.Null()]),
    departmentId: Nullable<string>('string'),
    responsibilityFallback: Type.Boolean({ description: 'Dispatched to the district government (art.33)' }),
    verifierId: Nullable<string>('string'),
    reinspectorId: Nullable<string>('string'),
    reportedAt: DateTime,
    acceptedAt: NullableDate,
    filedAt: NullableDate,
    dispatchedAt: NullableDate,
    handledAt: NullableDate,
    reinspectedAt: NullableDate,
    closedAt: NullableDate,
    evaluatedAt: NullableDate,
    handlingDeadline: NullableDate,
    pausedAt: NullableDate,
    pausedFrom: Type.Union([StateSchema, Type.Null()]),
    supervised: Type.Boolean({ description: '督办 leader supervision' }),
    reworkCount: Type.Integer(),
    returnCount: Type.Integer(),
    duplicateOf: Nullable<string>('string'),
    rejectReason: Nullable<string>('string'),
    evaluationScore: Nullable<number>('integer'),
    evaluationComment: Nullable<string>('string'),
    pendingApprovalId: Nullable<string>('string'),
    pendingApprovalKind: Nullable<string>('string'),
    pendingApproval: Type.Union([ApprovalSchema, Type.Null()]),
    updatedAt: DateTime,
    allowedActions: Type.Array(Type.String(), { description: 'What the caller may do now (the workflow table)' }),
    clock: Type.Union([
      Type.Object(
        {
          startedAt: DateTime,
          deadline: DateTime,
          limit: LimitSchema,
          measuredAt: DateTime,
          used: Type.Number({ description: 'Share of the limit used (1 = the deadline)' }),
          light: Type.Unsafe({ type: 'string', enum: ['green', 'yellow', 'red'] }),
        },
        { additionalProperties: false, description: 'The handling clock, from dispatch; null before' },
      ),
      Type.Null(),
    ]),
    steps: Type.Array(
      Type.Object(
        {
          step: Type.String({ description: 'verifyAndFile, dispatch or reinspect (hub/cases/step-limits.ts)' }),
          startedAt: DateTime,
          deadline: DateTime,
          endedAt: NullableDate,
          used: Type.Number(),
          light: Type.Unsafe({ type: 'string', enum: ['green', 'yellow', 'red'] }),
        },
        { additionalProperties: false },
      ),
      { description: '环节时限 the step clocks begun so far' },
    ),
    duplicates: Type.Optional(
      Type.Array(
        Type.Object(
          {
            id: Type.String(),
            number: Type.String(),
            state: Type.String(),
            classKind: Type.String(),
            classCode: Type.String(),
            description: Type.String(),
            reportedAt: DateTime,
            distanceM: Type.Number(),
          },
          { additionalProperties: false },
        ),
        { description: 'For acceptors, on a report: open cases of the same class nearby (merge candidates)' },
      ),
    ),
  },
  { additionalProperties: false },
);

const ReportBody = Type.Object(
  {
    source: SourceSchema,
    classCode: ClassCodeSchema,
    classKind: Type.Optional(ClassKindSchema),
    lon: Lon,
    lat: Lat,
    description: Type.Optional(Type.String({ maxLength: CASE_LIMITS.description })),
    address: Type.Optional(Nullable<string>('string', { maxLength: CASE_LIMITS.address })),
    reporterName: Type.Optional(Nullable<string>('string', { maxLength: CASE_LIMITS.name })),
    reporterPhone: Type.Optional(
      Nullable<string>('string', { maxLength: CASE_LIMITS.phone, pattern: '^[0-9+() -]*$' }),
    ),
    attachments: Type.Optional(MediaIds),
    note: Type.Optional(Type.String({ maxLength: CASE_LIMITS.note })),
    reportId: Type.Optional(
      Type.String({
        pattern: REPORT_ID_PATTERN.source,
        description:
          'The id the client made for this report (e.g. a UUID): sending it again returns the case it became ' +
          '(200) instead of making a second one, so a handheld may resend after a lost answer',
      }),
    ),
  },
  { additionalProperties: false },
);

const ListQuery = Type.Object(
  {
    state: Type.Optional(Type.Array(StateSchema, { description: 'One or more states (repeat the parameter)' })),
    departmentId: Type.Optional(Type.String({ maxLength: 64 })),
    classCode: Type.Optional(Type.String({ pattern: '^[0-9]{4}$' })),
    classKind: Type.Optional(ClassKindSchema),
    source: Type.Optional(SourceSchema),
    supervised: Type.Optional(Type.Boolean()),
    overdue: Type.Optional(Type.Boolean({ description: 'Handling deadline passed while the clock runs' })),
    pendingApproval: Type.Optional(
      Type.Array(Type.Unsafe<ApprovalKind>({ type: 'string', enum: [...APPROVAL_KINDS] }), {
        description: 'Awaiting a decision on an exception of one of these kinds (repeat the parameter)',
      }),
    ),
    bbox: Type.Optional(
      Type.String({
        pattern: '^-?[0-9.]+,-?[0-9.]+,-?[0-9.]+,-?[0-9.]+$',
        description: 'west,south,east,north (WGS-84)',
      }),
    ),
    limit: Type.Integer({ minimum: 1, maximum: CASE_LIMITS.pageSize, default: 50 }),
    offset: Type.Integer({ minimum: 0, maximum: 1_000_000_000, default: 0 }),
  },
  { additionalProperties: false },
);

const AuditSchema = Type.Object(
  {
    caseId: Type.String(),
    seq: Type.Integer(),
    at: DateTime,
    actorId: Type.String(),
    actorName: Type.String(),
    actorRole: Type.String(),
    action: Type.String(),
    fromState: Type.Union([StateSchema, Type.Null()]),
    toState: StateSchema,
    note: Nullable<string>('string'),
    attachments: Type.Array(Type.String()),
    data: Type.Object({}, { additionalProperties: true }),
  },
  { additionalProperties: false },
);

const CandidateSchema = Type.Object(
  {
    id: Type.String(),
    detectorId: Type.String(),
    clientKey: Type.String(),
    classCode: Type.String(),
    lon: Type.Number(),
    lat: Type.Number(),
    observedAt: DateTime,
    confidence: Nullable<number>('number'),
    description: Type.String(),
    evidence: Type.Object({}, { additionalProperties: true }),
    status: Type.Unsafe({ type: 'string', enum: ['pending', 'accepted', 'dismissed'] }),
    dismissalReason: Nullable<string>('string'),
    decidedBy: Nullable<string>('string'),
    decidedAt: NullableDate,
    caseId: Nullable<string>('string'),
    createdAt: DateTime,
    ruleId: Nullable<string>('string', { description: 'The detection rule that raised it' }),
    ruleKind: Nullable<string>('string'),
    classKind: Type.Union([ClassKindSchema, Type.Null()]),
    standardId: Nullable<number>('integer', { description: 'Situation (情形) the rule names; accepting uses it' }),
    cellCode: Nullable<string>('string', { description: 'Unit grid cell (单元网格) at the point' }),
    startAt: DateTime,
    endAt: DateTime,
    mergedCount: Type.Integer({ minimum: 1, description: 'Drafts of the same problem merged into it (去重合并)' }),
    evidenceItems: Type.Array(Type.Object({}, { additionalProperties: true }), {
      description: 'Each merged draft’s evidence, oldest first',
    }),
  },
  { additionalProperties: false },
);

const RaiseCandidateBody = Type.Object(
  {
    detectorId: Type.String({ minLength: 1, maxLength: 128 }),
    clientKey: Type.String({ minLength: 1, maxLength: 200, description: 'Raising the same key again is a no-op' }),
    classCode: ClassCodeSchema,
    lon: Lon,
    lat: Lat,
    observedAt: DateTime,
    confidence: Type.Optional(Nullable<number>('number', { minimum: 0, maximum: 1 })),
    description: Type.Optional(Type.String({ maxLength: CASE_LIMITS.description })),
    evidence: Type.Optional(
      Type.Object({}, { additionalProperties: true, description: 'mediaIds (string[]), track and frame references' }),
    ),
  },
  { additionalProperties: false },
);

const problems = problemResponses(
  problemSchema(undefined, { extensions: { allowedActions: Type.Optional(Type.Array(Type.String())) } }),
);

const CASE_PROBLEMS: ProblemTable<CaseError | WorkflowError> = {
  CaseNotFound: { status: 404, type: 'urn:cityhub:problem:case-not-found', title: 'Not Found' },
  CandidateNotFound: { status: 404, type: 'urn:cityhub:problem:candidate-not-found', title: 'Not Found' },
  UnknownAction: { status: 404, type: 'urn:cityhub:problem:unknown-action', title: 'Not Found' },
  InvalidInput: { status: 400, type: 'urn:cityhub:problem:validation', title: 'Bad Request' },
  MissingInput: { status: 400, type: 'urn:cityhub:problem:validation', title: 'Bad Request' },
  Forbidden: { status: 403, type: 'urn:cityhub:problem:forbidden', title: 'Forbidden' },
  IllegalTransition: { status: 409, type: 'urn:cityhub:problem:illegal-transition', title: 'Conflict' },
  VersionConflict: { status: 409, type: 'urn:cityhub:problem:version-conflict', title: 'Conflict' },
  CandidateDecided: { status: 409, type: 'urn:cityhub:problem:candidate-decided', title: 'Conflict' },
};

/** `If-Match: "3"` or `3` → 3; a weak tag or anything else is refused. */
function ifMatchVersion(request: FastifyRequest): number | undefined | null {
  const h = request.headers['if-match'];
  if (h === undefined) return undefined;
  const m = /^\s*"?([0-9]{1,9})"?\s*$/.exec(h);
  return m ? Number(m[1]) : null;
}

export async function caseRoutes(app: FastifyInstance, opts: CaseRoutesOptions): Promise<void> {
  const { service, candidates, auth } = opts;
  const anyone = requireRoles(auth);

  useStrictValidation(app);
  handleDomainErrors(app, [CaseError, WorkflowError], CASE_PROBLEMS, (error, { status }) => ({
    ...(status === 409 && error.code !== 'CandidateDecided' ? { allowedActions: error.allowedActions } : {}),
    ...(error instanceof WorkflowError && error.fields.length ? { fields: error.fields } : {}),
  }));

  app.get(
    '/api/cases/workflow',
    {
      onRequest: anyone,
      schema: {
        summary: 'The workflow table: states, actions with their roles, guards, inputs and effects',
        tags,
        response: { 200: Type.Object({}, { additionalProperties: true }), ...problems(401) },
      },
    },
    async () => workflowDocument(),
  );

  app.get<{ Querystring: { month: string } }>(
    '/api/cases/ledger',
    {
      onRequest: requireRoles(auth, LEDGER_ROLES),
      schema: {
        summary: '台账 exceptions of a month per kind and their share of the cases filed that month (art.40)',
        tags,
        querystring: Type.Object(
          { month: Type.String({ pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$', description: 'YYYY-MM, the city’s month' }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object(
            {
              month: Type.String(),
              timeZone: Type.String(),
              filedCases: Type.Integer(),
              kinds: Type.Array(
                Type.Object(
                  {
                    kind: Type.String(),
                    requested: Type.Integer(),
                    approved: Type.Integer(),
                    denied: Type.Integer(),
                    share: Nullable<number>('number', { description: 'approved ÷ filed cases' }),
                  },
                  { additionalProperties: false },
                ),
              ),
            },
            { additionalProperties: false },
          ),
          ...problems(400, 401, 403),
        },
      },
    },
    async (request) => service.ledger(request.query.month),
  );

  app.post<{ Body: Static<typeof ReportBody> }>(
    '/api/cases',
    {
      onRequest: requireRoles(auth, REPORT_ROLES),
      schema: {
        summary: '上报 report a problem (collector, hotline or public complaint entered by an acceptor, leader)',
        description:
          'The point is geocoded to its grid cell; outside the grid the report is still taken and flagged. ' +
          'With `reportId`, a resend of the same report by the same user answers 200 with the case it already became.',
        tags,
        body: ReportBody,
        response: { 200: CaseSchema, 201: CaseSchema, ...problems(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const { case: view, created } = await service.submitReport(request.body, actorOf(request));
      return reply.code(created ? 201 : 200).send(view);
    },
  );

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/api/cases',
    {
      onRequest: anyone,
      schema: {
        summary: 'Cases the caller may see, newest first (departments: their own; collectors: their reports and tasks)',
        tags,
        querystring: ListQuery,
        response: {
          200: Type.Object(
            { items: Type.Array(CaseSchema), total: Type.Integer(), limit: Type.Integer(), offset: Type.Integer() },
            { additionalProperties: false },
          ),
          ...problems(400, 401),
        },
      },
    },
    async (request) => {
      const { limit, offset, bbox, state, departmentId, classCode, classKind, source, supervised, overdue } =
        request.query;
      const { pendingApproval } = request.query;
      const box = bbox?.split(',').map(Number) as [number, number, number, number] | undefined;
      if (box && (box[0] > box[2] || box[1] > box[3])) {
        throw new CaseError('InvalidInput', 'bbox must be west,south,east,north with west ≤ east and south ≤ north');
      }
      return service.list(
        {
          state,
          departmentId,
          classCode,
          classKind,
          source,
          supervised,
          overdue,
          pendingApproval,
          ...(box ? { bbox: box } : {}),
        },
        { limit, offset },
        actorOf(request),
      );
    },
  );

  const IdParams = Type.Object({ id: CaseIdSchema }, { additionalProperties: false });

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/cases/:id',
    {
      onRequest: anyone,
      schema: {
        summary: 'One case with the caller’s allowed actions, the handling clock and, for acceptors, duplicates',
        tags,
        params: IdParams,
        response: { 200: CaseSchema, ...problems(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const view = await service.get(request.params.id, actorOf(request));
      return reply.header('etag', `"${view.version}"`).send(view);
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/cases/:id/history',
    {
      onRequest: anyone,
      schema: {
        summary: 'The case’s audit log (every action, append-only) and its exception approvals',
        tags,
        params: IdParams,
        response: {
          200: Type.Object(
            { events: Type.Array(AuditSchema), approvals: Type.Array(ApprovalSchema) },
            { additionalProperties: false },
          ),
          ...problems(400, 401, 404),
        },
      },
    },
    async (request) => service.history(request.params.id, actorOf(request)),
  );

  // One route per row of the table: its roles guard it, its inputs are its body schema (and its OpenAPI entry).
  for (const row of TRANSITIONS) {
    const body = actionBody(row.required, row.optional);
    app.post<{ Params: Static<typeof IdParams>; Body: ActionInput & { version?: number } }>(
      `/api/cases/:id/actions/${row.action}`,
      {
        onRequest: requireRoles(auth, row.roles),
        schema: {
          summary: `${row.nameZh} ${row.action}: ${row.from.join('|')} → ${row.to}`,
          description:
            `Roles: ${row.roles.join(', ')}. ${row.effects.join('. ')}.` +
            (row.guards.length ? ` Needs: ${row.guards.join(', ')}.` : '') +
            ' 409 with `allowedActions` when the case is not in a state (or the caller not in a position) for it.',
          tags,
          params: IdParams,
          body,
          headers: Type.Object({ 'if-match': Type.Optional(Type.String()) }),
          response: { 200: CaseSchema, ...problems(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const { version, ...input } = request.body ?? {};
        const header = ifMatchVersion(request);
        if (header === null) throw new CaseError('InvalidInput', 'If-Match must be the case version, e.g. "3"');
        const view = await service.act(request.params.id, row.action, actorOf(request), input, header ?? version);
        return reply.header('etag', `"${view.version}"`).send(view);
      },
    );
  }

  const candidateTags = ['candidates'];
  const CandidateParams = Type.Object(
    { id: Type.String({ pattern: '^[0-9]{1,18}$' }) },
    { additionalProperties: false },
  );

  app.get<{
    Querystring: { status?: 'pending' | 'accepted' | 'dismissed'; detector?: string; limit: number; offset: number };
  }>(
    '/api/candidates',
    {
      onRequest: requireRoles(auth, QUEUE_READ_ROLES),
      schema: {
        summary: '待受理候选 the acceptance queue of detector candidates',
        tags: candidateTags,
        querystring: Type.Object(
          {
            status: Type.Optional(Type.Unsafe({ type: 'string', enum: ['pending', 'accepted', 'dismissed'] })),
            detector: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: 128,
                description:
                  'Only candidates whose detector id starts with this: `video:` raised by any camera, ' +
                  '`video:<cameraId>:` by one camera',
              }),
            ),
            limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
            offset: Type.Integer({ minimum: 0, maximum: 1_000_000_000, default: 0 }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object(
            {
              items: Type.Array(CandidateSchema),
              total: Type.Integer(),
              limit: Type.Integer(),
              offset: Type.Integer(),
            },
            { additionalProperties: false },
          ),
          ...problems(400, 401, 403),
        },
      },
    },
    async (request) => {
      const { status, detector, limit, offset } = request.query;
      return candidates.list({ ...(status ? { status } : {}), ...(detector ? { detector } : {}) }, { limit, offset });
    },
  );

  app.get<{ Params: Static<typeof CandidateParams> }>(
    '/api/candidates/:id',
    {
      onRequest: requireRoles(auth, QUEUE_READ_ROLES),
      schema: {
        summary: 'One detector candidate with its evidence (the map shows it when clicked)',
        tags: candidateTags,
        params: CandidateParams,
        response: { 200: CandidateSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => candidates.get(request.params.id),
  );

  app.post<{ Body: Static<typeof RaiseCandidateBody> }>(
    '/api/candidates',
    {
      onRequest: requireRoles(auth, QUEUE_RAISE_ROLES),
      schema: {
        summary: 'Raise a candidate from a detector (201 new, 200 when this detector already raised this key)',
        tags: candidateTags,
        body: RaiseCandidateBody,
        response: { 200: CandidateSchema, 201: CandidateSchema, ...problems(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const { candidate, created } = await candidates.raiseCandidate({ ...b, observedAt: new Date(b.observedAt) });
      return reply.code(created ? 201 : 200).send(candidate);
    },
  );

  app.post<{
    Params: Static<typeof CandidateParams>;
    Body: { note?: string; classCode?: string; standardId?: number } | undefined;
  }>(
    '/api/candidates/:id/accept',
    {
      onRequest: requireRoles(auth, ['acceptor']),
      schema: {
        summary:
          'Accept a candidate: it becomes a report (source detector) with its evidence, accepted (受理) at once under ' +
          'the situation the rule named or `standardId`',
        tags: candidateTags,
        params: CandidateParams,
        body: Type.Optional(
          Type.Object(
            {
              note: Type.Optional(FIELD_SCHEMAS.note),
              classCode: Type.Optional(ClassCodeSchema),
              standardId: Type.Optional(FIELD_SCHEMAS.standardId),
            },
            { additionalProperties: false },
          ),
        ),
        response: {
          200: Type.Object({ candidate: CandidateSchema, case: CaseSchema }, { additionalProperties: false }),
          ...problems(400, 401, 403, 404, 409),
        },
      },
    },
    async (request) => candidates.acceptCandidate(request.params.id, actorOf(request), request.body ?? {}),
  );

  app.post<{ Params: Static<typeof CandidateParams>; Body: { reason: string } }>(
    '/api/candidates/:id/dismiss',
    {
      onRequest: requireRoles(auth, ['acceptor']),
      schema: {
        summary: 'Dismiss a candidate with a reason (kept: it measures the detector’s precision)',
        tags: candidateTags,
        params: CandidateParams,
        body: Type.Object({ reason: FIELD_SCHEMAS.reason }, { additionalProperties: false }),
        response: { 200: CandidateSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => candidates.dismissCandidate(request.params.id, actorOf(request), request.body.reason),
  );
}
