// HTTP errors as RFC 9457 problem details (application/problem+json), the same shape on every route.
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
