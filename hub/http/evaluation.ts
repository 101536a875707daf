// 综合评价接口 the evaluation API (art.37–38, 40, 49, 52): indicators with composite scores and grades per area,
// class, department and position over any period; the exceptions ledger by department; daily trends; the composite
// weights (admin changes them); the monthly operations report as HTML and PDF, on demand and as stored; and the
// public figures (no login, counts and rates only, nothing about a person).
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Role } from '../cases/ports.js';
import { EvaluationError } from '../evaluation/errors.js';
import { monthlyReportPage, monthlyReportPdf } from '../evaluation/monthly-report.js';
import { OBJECT_KINDS, type ObjectKind } from '../evaluation/objects.js';
import type { PdfRenderer } from '../evaluation/pdf.js';
import { localMonthOf, type Period } from '../evaluation/period.js';
import { PUBLIC_COUNTS, PUBLIC_RATES, publicFigures } from '../evaluation/public-figures.js';
import { listReports, storedReport } from '../evaluation/report-store.js';
import { definitionsDocument, type EvaluationService } from '../evaluation/service.js';
import { actorOf, requireRoles, type Authenticator } from './guard.js';
import { errorsMember, handleDomainErrors, problemResponses, problemSchema, type ProblemTable } from './problem.js';
import { PublicAnswerCache } from './public-cache.js';
import { useStrictValidation } from './validation.js';

export interface EvaluationRoutesOptions {
  service: EvaluationService;
  pdf: PdfRenderer;
  auth: Authenticator;
  /** How long a public answer is reused (ms); default 60 s. */
  publicCacheMs?: number;
}

/** Who may read the evaluation (everything, with people's names and grades). */
export const EVALUATION_ROLES: readonly Role[] = ['leader', 'admin', 'auditor', 'shiftLeader'];
const WEIGHT_ROLES: readonly Role[] = ['admin'];

const tags = ['evaluation'];
const Issue = Type.Object({ field: Type.String(), message: Type.String() });
const problems = problemResponses(problemSchema(Issue));

const PROBLEMS: ProblemTable<EvaluationError> = {
  InvalidPeriod: { status: 400, type: 'urn:cityhub:problem:invalid-period', title: 'Invalid period' },
  InvalidInput: { status: 400, type: 'urn:cityhub:problem:validation', title: 'Bad Request' },
  UnknownObject: { status: 400, type: 'urn:cityhub:problem:unknown-object', title: 'Unknown evaluation object' },
  InvalidWeights: { status: 400, type: 'urn:cityhub:problem:invalid-weights', title: 'Invalid weights' },
  ReportNotFound: { status: 404, type: 'urn:cityhub:problem:report-not-found', title: 'Report not found' },
  PdfUnavailable: { status: 503, type: 'urn:cityhub:problem:pdf-unavailable', title: 'PDF unavailable' },
};

const PERIOD_DOC =
  'A day (2026-11-05), an ISO week (2026-W45), a month (2026-11) or a range of days (2026-11-01..2026-11-15), in China Standard Time';
const PeriodText = Type.String({ minLength: 7, maxLength: 22, description: PERIOD_DOC });
const KindSchema = Type.Unsafe<ObjectKind>({ type: 'string', enum: [...OBJECT_KINDS] });
const IdText = Type.String({
  minLength: 1,
  maxLength: 80,
  description: 'Area code, department id, class (component:0101) or user id',
});

const Rate = Type.Object(
  {
    numerator: Type.Integer(),
    denominator: Type.Integer(),
    value: Type.Unsafe<number | null>({ type: ['number', 'null'], description: 'numerator ÷ denominator; null: none' }),
  },
  { additionalProperties: false },
);
const Nullable = (type: 'string' | 'number') => Type.Unsafe<string | number | null>({ type: [type, 'null'] });
const ObjectSchema = Type.Object(
  {
    kind: KindSchema,
    id: Type.String(),
    name: Nullable('string'),
    counts: Type.Record(Type.String(), Type.Integer()),
    rates: Type.Record(Type.String(), Rate),
    composite: Type.Union([
      Type.Null(),
      Type.Object(
        {
          score: Nullable('number'),
          grade: Nullable('string'),
          terms: Type.Array(
            Type.Object(
              { item: Type.String(), weight: Type.Number(), score: Nullable('number') },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ]),
  },
  { additionalProperties: false },
);
const PeriodSchema = Type.Object(
  {
    kind: Type.String(),
    label: Type.String(),
    from: Type.String(),
    to: Type.String(),
    days: Type.Integer(),
    start: Type.String({ format: 'date-time' }),
    end: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);
const EvaluationSchema = Type.Object(
  {
    period: PeriodSchema,
    kind: KindSchema,
    timeZone: Type.String(),
    source: Type.String({ description: 'continuous (aggregates), rollup (table) or facts' }),
    generatedAt: Type.String({ format: 'date-time' }),
    objects: Type.Array(ObjectSchema),
  },
  { additionalProperties: false },
);
const LedgerKind = Type.Object(
  {
    kind: Type.String(),
    requested: Type.Integer(),
    approved: Type.Integer(),
    share: Nullable('number'),
  },
  { additionalProperties: false },
);
const LedgerRowSchema = Type.Object(
  {
    departmentId: Nullable('string'),
    name: Nullable('string'),
    cases: Type.Integer(),
    kinds: Type.Array(LedgerKind),
    share: Nullable('number'),
  },
  { additionalProperties: false },
);
const Terms = Type.Array(
  Type.Object(
    { item: Type.String({ maxLength: 64 }), weight: Type.Number({ minimum: 0, maximum: 1000 }) },
    { additionalProperties: false },
  ),
  { maxItems: 20 },
);
const WeightsSchema = Type.Object(
  {
    objectKind: KindSchema,
    terms: Terms,
    origin: Type.String(),
    updatedAt: Nullable('string'),
    updatedBy: Nullable('string'),
  },
  { additionalProperties: false },
);

const PublicFigureFields = {
  id: Type.String({ description: 'Area code, department id or class (component:0101); empty for the city' }),
  name: Nullable('string'),
  counts: Type.Object(Object.fromEntries(PUBLIC_COUNTS.map((c) => [c, Type.Optional(Type.Integer())])), {
    additionalProperties: false,
    description: 'The counts meaningful for the object (counters.ts)',
  }),
  rates: Type.Object(Object.fromEntries(PUBLIC_RATES.map((r) => [r, Type.Optional(Nullable('number'))])), {
    additionalProperties: false,
    description: 'Fractions 0–1 (rates.ts); null when nothing was due',
  }),
};
const PublicFigureSchema = Type.Object(PublicFigureFields, { additionalProperties: false });
const PublicFiguresSchema = Type.Object(
  {
    period: Type.String(),
    from: Type.String({ description: 'First local day, YYYY-MM-DD' }),
    to: Type.String({ description: 'Last local day, included' }),
    timeZone: Type.String(),
    generatedAt: Type.String({ format: 'date-time' }),
    city: PublicFigureSchema,
    districts: Type.Array(PublicFigureSchema),
    streets: Type.Array(PublicFigureSchema),
    departments: Type.Array(PublicFigureSchema),
    classes: Type.Array(
      Type.Object(
        { ...PublicFigureFields, nameEn: Nullable('string') },
        { additionalProperties: false, description: 'Most reported first' },
      ),
    ),
  },
  { additionalProperties: false },
);

const periodJson = (p: Period) => ({
  kind: p.kind,
  label: p.label,
  from: p.from,
  to: p.to,
  days: p.days,
  start: new Date(p.startMs).toISOString(),
  end: new Date(p.endMs).toISOString(),
});

/** The current month when no period is given. */
function periodOf(service: EvaluationService, text: string | undefined): Period {
  return service.period(text ?? localMonthOf(service.now()));
}

export async function evaluationRoutes(app: FastifyInstance, opts: EvaluationRoutesOptions): Promise<void> {
  const { service, pdf, auth } = opts;
  const readers = requireRoles(auth, EVALUATION_ROLES);
  useStrictValidation(app);
  handleDomainErrors(app, [EvaluationError], PROBLEMS, (error) => errorsMember(error.errors));

  app.get(
    '/api/evaluation/definitions',
    {
      onRequest: readers,
      schema: {
        summary: '指标定义 every count, rate, score, composite (default weights) and grade with its source and doubts',
        tags,
        response: { 200: Type.Object({}, { additionalProperties: true }), ...problems(401, 403) },
      },
    },
    async () => definitionsDocument(),
  );

  const EvalQuery = Type.Object(
    {
      period: Type.Optional(PeriodText),
      source: Type.Optional(
        Type.Union([Type.Literal('aggregates'), Type.Literal('facts')], {
          description: 'facts: count straight from the facts (slower; for checking the daily aggregates)',
        }),
      ),
    },
    { additionalProperties: false },
  );

  app.get<{ Params: { kind: ObjectKind }; Querystring: Static<typeof EvalQuery> }>(
    '/api/evaluation/:kind',
    {
      onRequest: readers,
      schema: {
        summary: '综合评价 every object of a kind (city, district … dispatcher) with counts, rates, score and grade',
        description: `Objects with anything in the period. ${PERIOD_DOC}; default the current month.`,
        tags,
        params: Type.Object({ kind: KindSchema }, { additionalProperties: false }),
        querystring: EvalQuery,
        response: { 200: EvaluationSchema, ...problems(400, 401, 403) },
      },
    },
    async (request) => {
      const period = periodOf(service, request.query.period);
      const e = await service.evaluate(request.params.kind, period, { source: request.query.source ?? 'aggregates' });
      return { ...e, period: periodJson(e.period), objects: e.objects };
    },
  );

  app.get<{ Params: { kind: ObjectKind; id: string }; Querystring: Static<typeof EvalQuery> }>(
    '/api/evaluation/:kind/:id',
    {
      onRequest: readers,
      schema: {
        summary: '综合评价 one object (an area code, department id, component:0101, user id) over a period',
        tags,
        params: Type.Object({ kind: KindSchema, id: IdText }, { additionalProperties: false }),
        querystring: EvalQuery,
        response: { 200: EvaluationSchema, ...problems(400, 401, 403) },
      },
    },
    async (request) => {
      const period = periodOf(service, request.query.period);
      const e = await service.evaluate(request.params.kind, period, {
        id: request.params.id,
        source: request.query.source ?? 'aggregates',
      });
      return { ...e, period: periodJson(e.period), objects: e.objects };
    },
  );

  app.get<{ Querystring: Static<typeof EvalQuery> }>(
    '/api/evaluation/exceptions',
    {
      onRequest: readers,
      schema: {
        summary:
          '异常处置台账 returns, voids, extensions, postponements, parking: count and share, by department (art.40)',
        tags,
        querystring: EvalQuery,
        response: {
          200: Type.Object(
            {
              period: Type.String(),
              city: LedgerRowSchema,
              departments: Type.Array(LedgerRowSchema),
              centre: LedgerRowSchema,
            },
            { additionalProperties: false },
          ),
          ...problems(400, 401, 403),
        },
      },
    },
    async (request) =>
      service.exceptions(periodOf(service, request.query.period), request.query.source ?? 'aggregates'),
  );

  const TrendQuery = Type.Object(
    { period: Type.Optional(PeriodText), kind: Type.Optional(KindSchema), id: Type.Optional(IdText) },
    { additionalProperties: false },
  );
  app.get<{ Querystring: Static<typeof TrendQuery> }>(
    '/api/evaluation/trend',
    {
      onRequest: readers,
      schema: {
        summary: 'Every count per day of the period, for one object (the city by default)',
        tags,
        querystring: TrendQuery,
        response: {
          200: Type.Object(
            {
              period: PeriodSchema,
              days: Type.Array(
                Type.Object(
                  { day: Type.String(), counts: Type.Record(Type.String(), Type.Integer()) },
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
    async (request) => {
      const period = periodOf(service, request.query.period);
      const kind = request.query.kind ?? 'city';
      if (kind !== 'city' && request.query.id === undefined) {
        throw new EvaluationError('UnknownObject', `a trend of a ${kind} needs its id`);
      }
      return { period: periodJson(period), days: await service.trend(period, kind, request.query.id) };
    },
  );

  app.get(
    '/api/evaluation/weights',
    {
      onRequest: readers,
      schema: {
        summary: '综合指标权重 the composite weights per object kind (configured or the documented defaults)',
        tags,
        response: {
          200: Type.Object({ items: Type.Array(WeightsSchema) }, { additionalProperties: false }),
          ...problems(401, 403),
        },
      },
    },
    async () => ({
      items: (await service.weights()).map((w) => ({
        ...w,
        updatedAt: w.updatedAt?.toISOString() ?? null,
      })),
    }),
  );

  app.put<{ Params: { kind: ObjectKind }; Body: { terms: Static<typeof Terms> | null } }>(
    '/api/evaluation/weights/:kind',
    {
      onRequest: requireRoles(auth, WEIGHT_ROLES),
      schema: {
        summary: 'Set the composite weights of an object kind (admin); terms null goes back to the defaults',
        tags,
        params: Type.Object({ kind: KindSchema }, { additionalProperties: false }),
        body: Type.Object({ terms: Type.Union([Terms, Type.Null()]) }, { additionalProperties: false }),
        response: { 200: WeightsSchema, ...problems(400, 401, 403) },
      },
    },
    async (request) => {
      const w = await service.setWeights(request.params.kind, request.body.terms, actorOf(request).userId);
      return { ...w, updatedAt: w.updatedAt?.toISOString() ?? null };
    },
  );

  app.get(
    '/api/evaluation/reports/monthly',
    {
      onRequest: readers,
      schema: {
        summary: '月度运行报告 the stored monthly reports (stored on the first day of the next month)',
        tags,
        response: {
          200: Type.Object(
            {
              items: Type.Array(
                Type.Object(
                  {
                    month: Type.String(),
                    generatedAt: Type.String({ format: 'date-time' }),
                    htmlBytes: Type.Integer(),
                    pdfBytes: Type.Union([Type.Integer(), Type.Null()]),
                    pdfError: Nullable('string'),
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
    async () => ({
      items: (await listReports(service.pool)).map((r) => ({ ...r, generatedAt: r.generatedAt.toISOString() })),
    }),
  );

  const FILE = '^[0-9]{4}-(0[1-9]|1[0-2])\\.(html|pdf)$';
  const sendFile = (reply: FastifyReply, format: string, body: string | Buffer, name: string) =>
    format === 'html'
      ? reply.type('text/html; charset=utf-8').header('cache-control', 'private, no-store').send(body)
      : reply
          .type('application/pdf')
          .header('cache-control', 'private, no-store')
          .header('content-disposition', `inline; filename="${name}"`)
          .send(body);

  app.get<{ Params: { file: string } }>(
    '/api/evaluation/reports/monthly/:file',
    {
      onRequest: readers,
      schema: {
        summary: '月度运行报告 the monthly operations report generated now: 2026-11.html or 2026-11.pdf (Chromium)',
        description: 'The PDF answers 503 problem+json when Chromium is not available; the HTML never needs it.',
        tags,
        params: Type.Object({ file: Type.String({ pattern: FILE }) }, { additionalProperties: false }),
        response: { ...problems(400, 401, 403, 503) },
      },
    },
    async (request, reply) => {
      const [month, format] = request.params.file.split('.') as [string, 'html' | 'pdf'];
      const body =
        format === 'html' ? await monthlyReportPage(service, month) : await monthlyReportPdf(service, pdf, month);
      return sendFile(reply, format, body, `cityhub-report-${month}.pdf`);
    },
  );

  app.get<{ Params: { month: string; file: string } }>(
    '/api/evaluation/reports/monthly/:month/:file',
    {
      onRequest: readers,
      schema: {
        summary: 'The monthly report as it was stored: …/2026-11/stored.html or …/2026-11/stored.pdf',
        tags,
        params: Type.Object(
          {
            month: Type.String({ pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$' }),
            file: Type.Union([Type.Literal('stored.html'), Type.Literal('stored.pdf')]),
          },
          { additionalProperties: false },
        ),
        response: { ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const format = request.params.file === 'stored.html' ? 'html' : 'pdf';
      const body = await storedReport(service.pool, request.params.month, format);
      return sendFile(reply, format, body, `cityhub-report-${request.params.month}.pdf`);
    },
  );

  // Public figures: no login; computed at most once per cache period per period asked, with an ETag.
  const publicCache = new PublicAnswerCache(opts.publicCacheMs ?? 60_000, service.now);
  const PublicQuery = Type.Object({ period: Type.Optional(PeriodText) }, { additionalProperties: false });
  app.get<{ Querystring: Static<typeof PublicQuery> }>(
    '/api/public/evaluation',
    {
      schema: {
        summary:
          '公众公开 evaluation figures: counts and rates of the city, districts, streets, departments and classes',
        description: `No login and nothing about any person (art.49); the public page shows these. ${PERIOD_DOC}; default the current month; cached.`,
        tags: ['public'],
        querystring: PublicQuery,
        response: { 200: PublicFiguresSchema, 304: Type.Null(), ...problems(400) },
      },
    },
    async (request, reply) => {
      const period = periodOf(service, request.query.period);
      if (period.startMs > service.now()) {
        throw new EvaluationError('InvalidPeriod', `${period.label} has not begun`);
      }
      const answer = await publicCache.get(period.label, () => publicFigures(service, period));
      return publicCache.send(request, reply, answer);
    },
  );
}
