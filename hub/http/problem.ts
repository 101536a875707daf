// HTTP errors as RFC 9457 problem details (application/problem+json), the same shape on every route: the hub-wide
// handler, the response schema each plugin documents, and the mapping of a plugin's typed domain errors.
import { Type, type TObject, type TProperties, type TSchema } from '@sinclair/typebox';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply.code(problem.status).type('application/problem+json').send(problem);
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  503: 'Service Unavailable',
};

export function registerProblemHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.validation ? 400 : (error.statusCode ?? 500);
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    return sendProblem(reply, {
      type: error.validation ? 'urn:cityhub:problem:validation' : 'about:blank',
      title: TITLES[status] ?? (status >= 500 ? 'Internal Server Error' : 'Error'),
      status,
      // Never leak internals of a server error to the client; the log has them.
      detail: status >= 500 ? 'The server could not complete the request; see the hub log.' : error.message,
      instance: request.url,
    });
  });
}

/**
 * The problem details schema a plugin documents: `errors` (and with `warnings`, `warnings`) list the plugin's own
 * issue schema; `extensions` are further members it sends (e.g. `allowedActions`). Other members still pass.
 */
export function problemSchema(
  issue?: TSchema,
  options: { warnings?: boolean; extensions?: TProperties } = {},
): TObject {
  return Type.Object(
    {
      type: Type.String(),
      title: Type.String(),
      status: Type.Integer(),
      detail: Type.Optional(Type.String()),
      instance: Type.Optional(Type.String()),
      ...(issue ? { errors: Type.Optional(Type.Array(issue)) } : {}),
      ...(issue && options.warnings ? { warnings: Type.Optional(Type.Array(issue)) } : {}),
      ...options.extensions,
    },
    { additionalProperties: true, description: 'RFC 9457 problem details (application/problem+json)' },
  );
}

/** `problems(400, 404)` → `{ 400: schema, 404: schema }`, to spread into a route's `response`. */
export function problemResponses(schema: TSchema): (...statuses: number[]) => Record<number, TSchema> {
  return (...statuses) => Object.fromEntries(statuses.map((s) => [s, schema]));
}

/** What a domain error answers. */
export interface ProblemKind {
  status: number;
  type: string;
  title: string;
}

type ErrorClass = abstract new (...args: never[]) => Error;
type CodeOf<E> = E extends { code: infer K extends string } ? K : never;
/** Every code of the plugin's error classes → its answer: a code added to a domain must be given one. */
export type ProblemTable<E> = Record<CodeOf<E>, ProblemKind>;

/** The `errors` member: the per-row or per-field issues, left out when there are none. */
export const errorsMember = (issues: readonly unknown[]): { errors?: readonly unknown[] } =>
  issues.length ? { errors: issues } : {};

/**
 * A plugin's error handler: its typed domain errors (instances of `classes`) answer as problem details with the
 * status, type and title of `problemOf` (a table by error code, or a function), the error's message as `detail`, and
 * the members `extensions` adds. Any other error goes on to the hub's handler (registerProblemHandler).
 */
export function handleDomainErrors<const C extends readonly ErrorClass[]>(
  app: FastifyInstance,
  classes: C,
  problemOf: ProblemTable<InstanceType<C[number]>> | ((error: InstanceType<C[number]>) => ProblemKind),
  extensions: (error: InstanceType<C[number]>, kind: ProblemKind) => Record<string, unknown> = () => ({}),
): void {
  app.setErrorHandler((error, request, reply) => {
    if (!classes.some((c) => error instanceof c)) throw error;
    const domainError = error as unknown as InstanceType<C[number]>;
    const kind =
      typeof problemOf === 'function'
        ? problemOf(domainError)
        : (problemOf as Record<string, ProblemKind>)[(domainError as { code: string }).code]!;
    return sendProblem(reply, {
      type: kind.type,
      title: kind.title,
      status: kind.status,
      detail: domainError.message,
      instance: request.url,
      ...extensions(domainError, kind),
    });
  });
}
