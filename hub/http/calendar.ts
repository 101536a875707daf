// 工作日历接口 working calendar API: the city's working hours, holidays and adjusted working days (调休) per year, the
// per-step limits (环节时限), and a deadline calculator for the UI. Reading needs any logged-in user; changing needs admin.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import {
  CalendarError,
  clockStatus,
  type CalendarSettings,
  type SpecialDay,
  type WorkingCalendar,
} from '../cases/calendar.js';
import { getYear, listYears, loadCalendar, putSettings, putYear } from '../cases/calendar-store.js';
import { TIME_LIMIT_UNITS, type TimeLimitUnit } from '../cases/ports.js';
import { STEP_LIMITS_SOURCE, StepLimitError, loadStepLimits, putStepLimits } from '../cases/step-limits.js';
import { requireRoles, type Authenticator } from './guard.js';
import { handleDomainErrors, problemResponses, problemSchema, sendProblem, type ProblemKind } from './problem.js';
import { useStrictValidation } from './validation.js';

export interface CalendarRoutesOptions {
  pool: pg.Pool;
  auth: Authenticator;
  /** Called with the new calendar after every successful change, so the case service can swap it in. */
  onChange?: (calendar: WorkingCalendar) => void;
}

const tags = ['calendar'];

const HhMm = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'Local time HH:MM' });
const Period = Type.Object({ start: HhMm, end: HhMm }, { additionalProperties: false });
const Periods = Type.Array(Period, { maxItems: 12, description: 'Ordered, non-overlapping working periods of a day' });
const UnitSchema = Type.Unsafe<TimeLimitUnit>({
  type: 'string',
  enum: [...TIME_LIMIT_UNITS],
  description:
    'workHours (工作时), workDays (工作日, × a standard day’s working time) or urgentHours (紧急工作时, continuous)',
});

const SettingsSchema = Type.Object(
  {
    timeZone: Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone, e.g. Asia/Shanghai' }),
    workingPeriods: Periods,
    weekendDays: Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), {
      maxItems: 7,
      description: 'ISO weekdays that are not worked: 1 Monday … 7 Sunday',
    }),
  },
  { additionalProperties: false },
);

const DaySchema = Type.Object(
  {
    date: Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description: 'Local date YYYY-MM-DD' }),
    kind: Type.Union([Type.Literal('holiday'), Type.Literal('workday')], {
      description:
        'holiday (放假) or workday (调休上班: a weekend day that is worked, or a weekday with its own hours)',
    }),
    name: Type.String({ minLength: 1, maxLength: 100, description: 'e.g. 国庆节' }),
    workingPeriods: Type.Optional(Type.Union([Periods, Type.Null()], { description: 'A workday’s own hours' })),
  },
  { additionalProperties: false },
);

const YearBody = Type.Object(
  {
    source: Type.Optional(Type.String({ maxLength: 1000, description: 'Where the dates come from' })),
    note: Type.Optional(Type.String({ maxLength: 2000, description: 'What is uncertain about them' })),
    days: Type.Array(DaySchema, { maxItems: 366 }),
  },
  { additionalProperties: false },
);
const YearSchema = Type.Object({
  year: Type.Integer(),
  source: Type.String(),
  note: Type.String(),
  days: Type.Array(DaySchema),
});
const YearParams = Type.Object({ year: Type.Integer({ minimum: 1970, maximum: 2200 }) });

const OverviewSchema = Type.Object({
  settings: SettingsSchema,
  workDayHours: Type.Number({ description: 'Working hours of a standard day: the length of one 工作日' }),
  years: Type.Array(
    Type.Object({
      year: Type.Integer(),
      source: Type.String(),
      note: Type.String(),
      holidays: Type.Integer(),
      workdays: Type.Integer(),
      updatedAt: Type.String({ format: 'date-time' }),
    }),
  ),
});

const DeadlineQuery = Type.Object(
  {
    start: Type.String({ format: 'date-time', description: 'Start instant (ISO 8601 with offset)' }),
    value: Type.Number({ minimum: 0, maximum: 1000, description: 'The limit in its unit' }),
    unit: UnitSchema,
    now: Type.Optional(
      Type.String({ format: 'date-time', description: 'Evaluate the clock at this instant (default: now)' }),
    ),
  },
  { additionalProperties: false },
);
const DeadlineSchema = Type.Object({
  start: Type.String({ format: 'date-time' }),
  deadline: Type.String({ format: 'date-time' }),
  deadlineLocal: Type.String({ description: 'The deadline in the city’s local time, YYYY-MM-DDTHH:MM' }),
  now: Type.String({ format: 'date-time' }),
  unit: UnitSchema,
  limit: Type.Number(),
  elapsed: Type.Number({ description: 'Elapsed at `now`, in the unit' }),
  light: Type.Union([Type.Literal('green'), Type.Literal('yellow'), Type.Literal('red')]),
  missingYears: Type.Array(Type.Integer(), {
    description: 'Years between start and deadline with no holiday data: only weekends were skipped there',
  }),
});

const StepLimitSchema = Type.Object({
  step: Type.String(),
  nameZh: Type.String(),
  description: Type.String(),
  limit: Type.Object({ value: Type.Number(), unit: UnitSchema }),
  origin: Type.Union([Type.Literal('default'), Type.Literal('configured')]),
});
const StepLimitsSchema = Type.Object({
  source: Type.String(),
  uncertain: Type.String(),
  steps: Type.Array(StepLimitSchema),
});
const StepLimitsBody = Type.Array(
  Type.Object(
    { step: Type.String({ maxLength: 40 }), value: Type.Number({ minimum: 0, maximum: 1000 }), unit: UnitSchema },
    { additionalProperties: false },
  ),
  { minItems: 1, maxItems: 50 },
);

const problems = problemResponses(
  problemSchema(
    Type.Object({
      row: Type.Optional(Type.Integer()),
      field: Type.Optional(Type.String()),
      message: Type.String(),
    }),
  ),
);

const INVALID_CALENDAR: ProblemKind = {
  status: 400,
  type: 'urn:cityhub:problem:invalid-calendar',
  title: 'Bad Request',
};
const INVALID_STEP_LIMITS: ProblemKind = {
  status: 400,
  type: 'urn:cityhub:problem:invalid-step-limits',
  title: 'Bad Request',
};

export async function calendarRoutes(app: FastifyInstance, opts: CalendarRoutesOptions): Promise<void> {
  const { pool, auth } = opts;
  const anyone = requireRoles(auth);
  const admin = requireRoles(auth, ['admin']);

  useStrictValidation(app);
  handleDomainErrors(
    app,
    [CalendarError, StepLimitError],
    (error) => (error instanceof CalendarError ? INVALID_CALENDAR : INVALID_STEP_LIMITS),
    (error) => ({ errors: error.errors }),
  );

  const changed = async () => {
    if (opts.onChange) opts.onChange(await loadCalendar(pool));
  };

  app.get(
    '/api/calendar',
    {
      onRequest: anyone,
      schema: {
        tags,
        summary: 'Working calendar settings and the years with holiday data',
        response: { 200: OverviewSchema, ...problems(401) },
      },
    },
    async () => {
      const [calendar, years] = await Promise.all([loadCalendar(pool), listYears(pool)]);
      return {
        settings: calendar.settings,
        workDayHours: calendar.workDayMs / 3_600_000,
        years: years.map((y) => ({ ...y, updatedAt: y.updatedAt.toISOString() })),
      };
    },
  );

  app.get(
    '/api/calendar/deadline',
    {
      onRequest: anyone,
      schema: {
        tags,
        summary: 'Deadline of a limit from a start, and its elapsed time and traffic light (红绿灯) now',
        querystring: DeadlineQuery,
        response: { 200: DeadlineSchema, ...problems(400, 401) },
      },
    },
    async (request) => {
      const q = request.query as Static<typeof DeadlineQuery>;
      const calendar = await loadCalendar(pool);
      const startMs = Date.parse(q.start);
      const nowMs = q.now ? Date.parse(q.now) : Date.now();
      const deadlineMs = calendar.deadline(startMs, { value: q.value, unit: q.unit });
      const status = clockStatus(startMs, deadlineMs, nowMs, q.unit, calendar);
      const known = new Set(calendar.years);
      const missingYears: number[] = [];
      if (q.unit !== 'urgentHours') {
        const [from, to] = [calendar.formatLocal(startMs), calendar.formatLocal(deadlineMs)].map((s) =>
          Number(s.slice(0, 4)),
        );
        for (let y = from!; y <= to!; y++) if (!known.has(y)) missingYears.push(y);
      }
      return {
        start: new Date(startMs).toISOString(),
        deadline: new Date(deadlineMs).toISOString(),
        deadlineLocal: calendar.formatLocal(deadlineMs),
        now: new Date(nowMs).toISOString(),
        unit: q.unit,
        limit: q.value,
        elapsed: status.elapsed,
        light: status.light,
        missingYears,
      };
    },
  );

  app.get(
    '/api/calendar/step-limits',
    {
      onRequest: anyone,
      schema: {
        tags,
        summary: 'Per-step time limits (环节时限): verify and file, dispatch, re-inspect',
        response: { 200: StepLimitsSchema, ...problems(401) },
      },
    },
    async () => ({ ...STEP_LIMITS_SOURCE, steps: await loadStepLimits(pool) }),
  );

  app.put(
    '/api/calendar/step-limits',
    {
      onRequest: admin,
      schema: {
        tags,
        summary: 'Set some steps’ limits (admin); the other steps keep theirs',
        body: StepLimitsBody,
        response: { 200: StepLimitsSchema, ...problems(400, 401, 403) },
      },
    },
    async (request) => ({
      ...STEP_LIMITS_SOURCE,
      steps: await putStepLimits(pool, request.body as Static<typeof StepLimitsBody>),
    }),
  );

  app.put(
    '/api/calendar/settings',
    {
      onRequest: admin,
      schema: {
        tags,
        summary: 'Replace the time zone, working periods and weekend days (admin)',
        body: SettingsSchema,
        response: { 200: SettingsSchema, ...problems(400, 401, 403) },
      },
    },
    async (request) => {
      const settings = await putSettings(pool, request.body as CalendarSettings);
      await changed();
      return settings;
    },
  );

  app.get(
    '/api/calendar/:year',
    {
      onRequest: anyone,
      schema: {
        tags,
        summary: 'One year’s holidays and adjusted working days (调休)',
        params: YearParams,
        response: { 200: YearSchema, ...problems(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const { year } = request.params as Static<typeof YearParams>;
      const data = await getYear(pool, year);
      if (!data)
        return sendProblem(reply, {
          type: 'urn:cityhub:problem:calendar-year-not-found',
          title: 'Not Found',
          status: 404,
          detail: `no holiday data for ${year}; an admin adds it with PUT /api/calendar/${year}`,
          instance: request.url,
        });
      return data;
    },
  );

  app.put(
    '/api/calendar/:year',
    {
      onRequest: admin,
      schema: {
        tags,
        summary: 'Replace one year’s holidays and adjusted working days (admin); all or nothing',
        params: YearParams,
        body: YearBody,
        response: { 200: YearSchema, ...problems(400, 401, 403) },
      },
    },
    async (request) => {
      const { year } = request.params as Static<typeof YearParams>;
      const body = request.body as Static<typeof YearBody>;
      const saved = await putYear(pool, year, { ...body, days: body.days as SpecialDay[] });
      await changed();
      return saved;
    },
  );
}
