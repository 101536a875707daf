// 部件事件分类、标准、部门与责任划分接口 catalogue API: component/event classes with their city standard's situations,
// departments and responsibility rules. Reads for any logged-in actor; imports and changes for admins only.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { TIME_LIMIT_UNITS, type ClassKind } from '../cases/ports.js';
import { CatalogueError, CatalogueStore, type CatalogueClassInfo, type Situation } from '../catalogue/catalogue.js';
import { CLASS_KINDS, DEFAULT_NUMBERING, NUMBERINGS, type Numbering } from '../catalogue/classes.js';
import {
  DEPARTMENT_ID_PATTERN,
  DEPARTMENT_KINDS,
  DEPARTMENT_LIMITS,
  DepartmentError,
  DepartmentStore,
  type Department,
} from '../catalogue/departments.js';
import {
  AREA_LEVELS,
  ResponsibilityError,
  ResponsibilityRules,
  type ResponsibilityRule,
} from '../catalogue/responsibility.js';
import { importStandards } from '../catalogue/standards.js';
import { requireRoles, type Authenticator } from './guard.js';
import { acceptCsvBodies, requireMediaType } from './content-type.js';
import {
  errorsMember,
  handleDomainErrors,
  problemResponses,
  problemSchema,
  sendProblem,
  type ProblemTable,
} from './problem.js';
import { useStrictValidation } from './validation.js';

export interface CatalogueRoutesOptions {
  pool: pg.Pool;
  auth: Authenticator;
  /** Share these with the case workflow so a rule changed here is what the next dispatch resolves with. */
  catalogue?: CatalogueStore;
  departments?: DepartmentStore;
  responsibility?: ResponsibilityRules;
}

/** Standards of a large city with long legal texts stay well under this. */
export const STANDARDS_BODY_LIMIT = 20 * 1024 * 1024;
const CATALOGUE_BODY_LIMIT = 10 * 1024 * 1024;

const Nullable = <T>(type: 'string' | 'integer' | 'number', extra: Record<string, unknown> = {}) =>
  Type.Unsafe<T | null>({ type: [type, 'null'], ...extra });
const DateTime = Type.String({ format: 'date-time' });
const KindSchema = Type.Unsafe<ClassKind>({
  type: 'string',
  enum: [...CLASS_KINDS],
  description: 'component (部件) or event (事件); numbered independently',
});
const ClassCodeSchema = Type.String({ pattern: '^[0-9]{4}$', description: '2-digit major + 2-digit minor, e.g. 0101' });

const ClassSchema = Type.Object(
  {
    kind: KindSchema,
    code: ClassCodeSchema,
    nameZh: Type.String(),
    nameEn: Type.String(),
    majorCode: Type.String(),
    majorNameZh: Type.String(),
    majorNameEn: Type.String(),
    altNames: Type.Array(Type.String()),
    note: Nullable<string>('string'),
    uncertain: Type.Boolean({ description: 'Single-source or conflicting entry of the draft catalogue' }),
    sources: Type.Array(Type.String()),
    origin: Type.String({ description: '`catalogue:<numbering>` or `standard` (added by a city standard import)' }),
  },
  { additionalProperties: false },
);

const LimitSchema = Type.Object(
  { value: Type.Number(), unit: Type.Unsafe<string>({ type: 'string', enum: [...TIME_LIMIT_UNITS] }) },
  { additionalProperties: false },
);
const SituationSchema = Type.Object(
  {
    id: Type.Integer(),
    kind: KindSchema,
    classCode: ClassCodeSchema,
    position: Type.Integer(),
    filingCondition: Type.String({ description: '立案条件' }),
    limit: Type.Union([LimitSchema, Type.Null()], { description: '处置时限; null when the text could not be read' }),
    limitText: Type.String({ description: 'The limit as the standard writes it' }),
    closingCondition: Type.String({ description: '结案条件' }),
    supervisingBody: Nullable<string>('string'),
    responsibleBody: Nullable<string>('string'),
    legalBasis: Nullable<string>('string'),
    legalClauses: Nullable<string>('string'),
    collectionRequirements: Nullable<string>('string'),
    sourceLine: Nullable<number>('integer'),
    importedAt: DateTime,
    retiredAt: Nullable<string>('string', { format: 'date-time' }),
  },
  { additionalProperties: false },
);

const DepartmentSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    kind: Type.Unsafe<string>({ type: 'string', enum: [...DEPARTMENT_KINDS] }),
    districtCode: Nullable<string>('string'),
    contactPhone: Nullable<string>('string'),
    enabled: Type.Boolean(),
    createdAt: DateTime,
    updatedAt: DateTime,
  },
  { additionalProperties: false },
);

const RuleSchema = Type.Object(
  {
    id: Type.Integer(),
    classPattern: Type.String(),
    classKind: Nullable<string>('string'),
    areaLevel: Type.String(),
    areaCode: Type.String(),
    departmentId: Type.String(),
    priority: Type.Integer(),
    note: Nullable<string>('string'),
    createdAt: DateTime,
  },
  { additionalProperties: false },
);

const IssueSchema = Type.Object(
  {
    row: Type.Optional(Type.Integer({ description: 'Physical line of the file where the record starts (header: 1)' })),
    path: Type.Optional(Type.String({ description: 'JSON path, for catalogue files' })),
    field: Type.Optional(Type.String()),
    code: Type.Optional(Type.String()),
    text: Type.Optional(Type.String()),
    message: Type.String(),
  },
  { additionalProperties: false },
);

const problems = problemResponses(problemSchema(IssueSchema, { warnings: true }));

const CreatedClassSchema = Type.Object(
  { row: Type.Integer(), kind: KindSchema, code: Type.String(), nameZh: Type.String(), majorCreated: Type.Boolean() },
  { additionalProperties: false },
);
const StandardsResultSchema = Type.Object(
  {
    kind: KindSchema,
    classes: Type.Integer(),
    situations: Type.Integer(),
    created: Type.Array(CreatedClassSchema),
    warnings: Type.Array(IssueSchema),
    errors: Type.Array(IssueSchema),
    dryRun: Type.Boolean(),
    stored: Type.Boolean(),
  },
  { additionalProperties: false },
);

const ClassListQuery = Type.Object(
  {
    kind: Type.Optional(KindSchema),
    major: Type.Optional(Type.String({ pattern: '^[0-9]{2}$' })),
    q: Type.Optional(Type.String({ maxLength: 100 })),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    offset: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 }),
  },
  { additionalProperties: false },
);
const ClassParams = Type.Object({
  code: Type.String({ pattern: '^((component|event):)?[0-9]{4}$', description: '0101, component:0101 or event:0101' }),
});
const ClassQuery = Type.Object({ kind: Type.Optional(KindSchema) }, { additionalProperties: false });

const NumberingQuery = Type.Object(
  {
    numbering: Type.Unsafe<Numbering>({
      type: 'string',
      enum: [...NUMBERINGS],
      default: DEFAULT_NUMBERING,
      description:
        'cjt214_2007: the top level of components-events.json; gbt30428_2_2013: its gbt30428_2_2013_lineage key; ' +
        'gbt47678_5_2026: its gbt47678_5_2026 key (5-digit codes read as major + last two digits)',
    }),
  },
  { additionalProperties: false },
);
const StandardsQuery = Type.Object(
  { kind: KindSchema, dryRun: Type.Boolean({ default: false }) },
  { additionalProperties: false },
);

const DepartmentIdSchema = Type.String({ pattern: DEPARTMENT_ID_PATTERN.source });
const departmentEditable = {
  name: Type.String({ minLength: 1, maxLength: DEPARTMENT_LIMITS.name }),
  kind: Type.Unsafe<(typeof DEPARTMENT_KINDS)[number]>({
    type: 'string',
    enum: [...DEPARTMENT_KINDS],
    description: 'department (专业部门) or districtGovernment (区政府, coordinates unclear responsibility, art.33)',
  }),
  districtCode: Nullable<string>('string', {
    pattern: '^[0-9]{6}$',
    description: 'Required for a district government',
  }),
  contactPhone: Nullable<string>('string', { maxLength: DEPARTMENT_LIMITS.contactPhone }),
  enabled: Type.Boolean(),
};
const DepartmentBody = Type.Object(
  {
    id: DepartmentIdSchema,
    name: departmentEditable.name,
    kind: departmentEditable.kind,
    districtCode: Type.Optional(departmentEditable.districtCode),
    contactPhone: Type.Optional(departmentEditable.contactPhone),
    enabled: Type.Optional(departmentEditable.enabled),
  },
  { additionalProperties: false },
);
const DepartmentPatch = Type.Partial(Type.Object(departmentEditable, { additionalProperties: false }));
const DepartmentParams = Type.Object({ id: DepartmentIdSchema });
const DepartmentQuery = Type.Object(
  {
    kind: Type.Optional(departmentEditable.kind),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const RuleBody = Type.Object(
  {
    classPattern: Type.String({
      pattern: '^([0-9]{2}|[0-9]{4}|\\*)$',
      description: '4-digit class, 2-digit major or *',
    }),
    classKind: Type.Optional(Nullable<ClassKind>('string', { enum: [...CLASS_KINDS, null] })),
    areaLevel: Type.Unsafe<(typeof AREA_LEVELS)[number]>({ type: 'string', enum: [...AREA_LEVELS] }),
    areaCode: Type.String({
      pattern: '^[0-9]{6,15}$',
      description: 'city and district 6 digits, street 9, community 12, cell 15',
    }),
    departmentId: DepartmentIdSchema,
    priority: Type.Optional(Type.Integer({ minimum: -1_000_000, maximum: 1_000_000, default: 0 })),
    note: Type.Optional(Nullable<string>('string', { maxLength: 500 })),
  },
  { additionalProperties: false },
);
const RuleParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });
const ResolveQuery = Type.Object(
  {
    class: Type.String({ pattern: '^((component|event):)?[0-9]{4}$' }),
    kind: Type.Optional(KindSchema),
    cell: Type.String({ pattern: '^[0-9]{15}$' }),
    community: Type.String({ pattern: '^[0-9]{12}$' }),
    street: Type.String({ pattern: '^[0-9]{9}$' }),
    district: Type.String({ pattern: '^[0-9]{6}$' }),
  },
  { additionalProperties: false },
);
const ResolutionSchema = Type.Object(
  {
    resolution: Type.Union([
      Type.Object(
        {
          departmentId: Type.String(),
          fallback: Type.Boolean({ description: 'Only the district government matched (art.33)' }),
          ruleId: Nullable<number>('integer'),
        },
        { additionalProperties: false },
      ),
      Type.Null(),
    ]),
  },
  { additionalProperties: false },
);

const classDto = (c: CatalogueClassInfo) => c;
const situationDto = (s: Situation) => ({
  ...s,
  importedAt: s.importedAt.toISOString(),
  retiredAt: s.retiredAt?.toISOString() ?? null,
});
const departmentDto = (d: Department) => ({
  ...d,
  createdAt: d.createdAt.toISOString(),
  updatedAt: d.updatedAt.toISOString(),
});
const ruleDto = (r: ResponsibilityRule) => ({ ...r, createdAt: r.createdAt.toISOString() });

const PROBLEM_OF: ProblemTable<CatalogueError | DepartmentError | ResponsibilityError> = {
  ClassNotFound: { status: 404, type: 'urn:cityhub:problem:class-not-found', title: 'Not Found' },
  AmbiguousClass: { status: 400, type: 'urn:cityhub:problem:ambiguous-class', title: 'Bad Request' },
  InvalidClassRef: { status: 400, type: 'urn:cityhub:problem:validation', title: 'Bad Request' },
  InvalidQuery: { status: 400, type: 'urn:cityhub:problem:validation', title: 'Bad Request' },
  InvalidCatalogue: { status: 422, type: 'urn:cityhub:problem:invalid-catalogue', title: 'Unprocessable Content' },
  DepartmentNotFound: { status: 404, type: 'urn:cityhub:problem:department-not-found', title: 'Not Found' },
  DepartmentExists: { status: 409, type: 'urn:cityhub:problem:department-exists', title: 'Conflict' },
  DistrictGovernmentExists: {
    status: 409,
    type: 'urn:cityhub:problem:district-government-exists',
    title: 'Conflict',
  },
  InvalidDepartment: { status: 400, type: 'urn:cityhub:problem:validation', title: 'Bad Request' },
  InvalidRule: { status: 400, type: 'urn:cityhub:problem:validation', title: 'Bad Request' },
  UnknownDepartment: { status: 422, type: 'urn:cityhub:problem:unknown-department', title: 'Unprocessable Content' },
  RuleNotFound: { status: 404, type: 'urn:cityhub:problem:rule-not-found', title: 'Not Found' },
};

const tags = ['catalogue'];

export async function catalogueRoutes(app: FastifyInstance, opts: CatalogueRoutesOptions): Promise<void> {
  const catalogue = opts.catalogue ?? new CatalogueStore(opts.pool);
  const departments = opts.departments ?? new DepartmentStore(opts.pool);
  const responsibility = opts.responsibility ?? new ResponsibilityRules(opts.pool);
  const anyone = { onRequest: requireRoles(opts.auth) };
  const admin = { onRequest: requireRoles(opts.auth, ['admin']) };

  useStrictValidation(app);
  handleDomainErrors(app, [CatalogueError, DepartmentError, ResponsibilityError], PROBLEM_OF, (error) =>
    errorsMember(error.issues),
  );
  acceptCsvBodies(app, STANDARDS_BODY_LIMIT);

  // ---- classes and standards

  app.get<{ Querystring: Static<typeof ClassListQuery> }>(
    '/api/catalogue/classes',
    {
      ...anyone,
      schema: {
        summary: 'List component and event classes (部件/事件分类), filtered and paged, ordered by kind and code',
        tags,
        querystring: ClassListQuery,
        response: {
          200: Type.Object(
            { items: Type.Array(ClassSchema), total: Type.Integer(), limit: Type.Integer(), offset: Type.Integer() },
            { additionalProperties: false },
          ),
          ...problems(400, 401),
        },
      },
    },
    async (request) => {
      const { limit, offset, ...filter } = request.query;
      const page = await catalogue.listClasses(filter, { limit, offset });
      return { ...page, items: page.items.map(classDto) };
    },
  );

  app.get<{ Params: Static<typeof ClassParams>; Querystring: Static<typeof ClassQuery> }>(
    '/api/catalogue/classes/:code',
    {
      ...anyone,
      schema: {
        summary: 'One class with the current situations (情形) of the city standard: filing condition, limit, closing',
        description: 'A bare code both kinds use needs `?kind=` (or `component:0101` / `event:0101`).',
        tags,
        params: ClassParams,
        querystring: ClassQuery,
        response: {
          200: Type.Object(
            { class: ClassSchema, situations: Type.Array(SituationSchema) },
            { additionalProperties: false },
          ),
          ...problems(400, 401, 404),
        },
      },
    },
    async (request) => {
      const code = request.params.code;
      const ref = request.query.kind && !code.includes(':') ? `${request.query.kind}:${code}` : code;
      const found = await catalogue.classByCode(ref);
      if (!found) throw new CatalogueError('ClassNotFound', `no class ${ref} in the catalogue`);
      const situations = await catalogue.standardsFor(`${found.kind}:${found.code}`);
      return { class: classDto(found), situations: situations.map(situationDto) };
    },
  );

  app.post<{ Querystring: Static<typeof NumberingQuery>; Body: unknown }>(
    '/api/catalogue/import',
    {
      ...admin,
      bodyLimit: CATALOGUE_BODY_LIMIT,
      preValidation: requireMediaType(
        'application/json',
        'send the catalogue file with `Content-Type: application/json`',
      ),
      schema: {
        summary: 'Import a catalogue JSON (components-events.json shape) in one of its numberings; idempotent',
        tags,
        querystring: NumberingQuery,
        body: Type.Object({}, { additionalProperties: true, description: 'The catalogue file' }),
        response: {
          200: Type.Object(
            { numbering: Type.String(), majors: Type.Integer(), classes: Type.Integer() },
            { additionalProperties: false },
          ),
          ...problems(400, 401, 403, 415, 422),
        },
      },
    },
    async (request) => catalogue.importCatalogue(request.body, request.query.numbering),
  );

  app.post<{ Querystring: Static<typeof StandardsQuery>; Body: string }>(
    '/api/catalogue/standards/import',
    {
      ...admin,
      bodyLimit: STANDARDS_BODY_LIMIT,
      preValidation: requireMediaType('text/csv', 'send the standard table with `Content-Type: text/csv`'),
      schema: {
        summary:
          'Import a city standard (立案/处置/结案标准) from CSV; all-or-nothing; replaces the situations of its classes',
        description:
          'Columns 大类代码,大类名称,小类代码,小类名称,立案条件,处置时限,结案条件 (required) and 监管主体,责任主体,' +
          '法律法规依据,法律法规具体条款,采集要求. Rows with empty class codes are further situations of the class above. ' +
          'Classes missing from the catalogue are created (listed in `created`); unreadable time limits are stored ' +
          'without a parsed limit and listed in `warnings`. Any error rejects the whole file (422) unless `dryRun`. ' +
          'Rows are physical lines of the file (the header is line 1). UTF-8 or GB18030.',
        tags,
        consumes: ['text/csv'],
        querystring: StandardsQuery,
        body: Type.String({ description: 'The CSV file' }),
        response: { 200: StandardsResultSchema, ...problems(400, 401, 403, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      const result = await importStandards(opts.pool, request.body, request.query.kind, {
        dryRun: request.query.dryRun,
      });
      if (result.errors.length && !result.dryRun) {
        return sendProblem(reply, {
          type: 'urn:cityhub:problem:invalid-standard',
          title: 'Unprocessable Content',
          status: 422,
          detail: `the file has ${result.errors.length} error${result.errors.length > 1 ? 's' : ''}; nothing was stored`,
          instance: request.url,
          errors: result.errors,
          warnings: result.warnings,
        });
      }
      return result;
    },
  );

  // ---- departments

  app.get<{ Querystring: Static<typeof DepartmentQuery> }>(
    '/api/departments',
    {
      ...anyone,
      schema: {
        summary: 'List departments (部门) and district governments, ordered by id',
        tags,
        querystring: DepartmentQuery,
        response: { 200: Type.Array(DepartmentSchema), ...problems(400, 401) },
      },
    },
    async (request) => (await departments.list(request.query)).map(departmentDto),
  );

  app.post<{ Body: Static<typeof DepartmentBody> }>(
    '/api/departments',
    {
      ...admin,
      schema: {
        summary: 'Create a department or a district government',
        tags,
        body: DepartmentBody,
        response: { 201: DepartmentSchema, ...problems(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const created = await departments.create(request.body);
      await responsibility.reload();
      return reply.code(201).send(departmentDto(created));
    },
  );

  app.patch<{ Params: Static<typeof DepartmentParams>; Body: Static<typeof DepartmentPatch> }>(
    '/api/departments/:id',
    {
      ...admin,
      schema: {
        summary: 'Change a department (anything but its id); disabling one stops its responsibility rules',
        tags,
        params: DepartmentParams,
        body: DepartmentPatch,
        response: { 200: DepartmentSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const updated = await departments.update(request.params.id, request.body);
      await responsibility.reload();
      return departmentDto(updated);
    },
  );

  // ---- responsibility rules

  app.get(
    '/api/responsibility/rules',
    {
      ...anyone,
      schema: {
        summary: 'List responsibility rules (责任划分)',
        tags,
        response: { 200: Type.Array(RuleSchema), ...problems(401) },
      },
    },
    async () => (await responsibility.list()).map(ruleDto),
  );

  app.post<{ Body: Static<typeof RuleBody> }>(
    '/api/responsibility/rules',
    {
      ...admin,
      schema: {
        summary: 'Add a responsibility rule: classes (4-digit, 2-digit major or *) in an area → a department',
        tags,
        body: RuleBody,
        response: { 201: RuleSchema, ...problems(400, 401, 403, 422) },
      },
    },
    async (request, reply) => reply.code(201).send(ruleDto(await responsibility.create(request.body))),
  );

  app.delete<{ Params: Static<typeof RuleParams> }>(
    '/api/responsibility/rules/:id',
    {
      ...admin,
      schema: {
        summary: 'Delete a responsibility rule',
        tags,
        params: RuleParams,
        response: { 204: Type.Null(), ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await responsibility.delete(request.params.id);
      return reply.code(204).send();
    },
  );

  app.get<{ Querystring: Static<typeof ResolveQuery> }>(
    '/api/responsibility/resolve',
    {
      ...anyone,
      schema: {
        summary: 'The department responsible for a class at an area; the district government when no rule matches',
        description:
          'Most specific area level first (cell > community > street > district > city), then the most specific class ' +
          'pattern, then priority. `resolution` is null when neither a rule nor a district government matches.',
        tags,
        querystring: ResolveQuery,
        response: { 200: ResolutionSchema, ...problems(400, 401) },
      },
    },
    async (request) => {
      const { class: classCode, kind, ...area } = request.query;
      return { resolution: await responsibility.resolve(classCode, area, kind) };
    },
  );
}
