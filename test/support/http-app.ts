// An API plugin under test over real HTTP: a Fastify app on a free port with the hub's problem handler and the OpenAPI
// document (the tests check every route is documented), a fetch helper that reads JSON answers, and fixed bearer tokens
// for plugins guarded by an Authenticator when the test is not about logging in.
import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { expect } from 'vitest';
import type { Actor } from '../../hub/cases/ports.js';
import type { Authenticator } from '../../hub/http/guard.js';
import { registerProblemHandler } from '../../hub/http/problem.js';

export interface TestApp {
  app: FastifyInstance;
  /** `http://127.0.0.1:<port>` */
  base: string;
  close(): Promise<void>;
}

/** Registers the plugins (`register`) on an app with the problem handler and `/openapi.json`, listening on port 0. */
export async function startApp(
  register: (app: FastifyInstance) => PromiseLike<unknown>,
  options: FastifyServerOptions = {},
): Promise<TestApp> {
  const app = Fastify(options);
  registerProblemHandler(app);
  await app.register(fastifySwagger, { openapi: { info: { title: 'test', version: '0' } } });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await register(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return { app, base, close: () => app.close() };
}

export interface CallOptions {
  /** Sent as JSON, except text and bytes, which are sent as they are (a CSV file, a body that is not JSON). */
  body?: unknown;
  /** `Authorization: Bearer <token>`; none when null or left out. An empty token is sent (a blank bearer). */
  token?: string | null;
  /** The body's content type; default `text/csv` for text and bytes, `application/json` otherwise. */
  contentType?: string;
  headers?: Record<string, string>;
}

// The answers are whatever JSON the route sends; the tests say what they expect of it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

/** One request; the answer's text, and its JSON (null for an empty answer). */
export async function jsonCall(
  base: string,
  method: string,
  path: string,
  opts: CallOptions = {},
): Promise<{ res: Response; body: Json; text: string }> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token !== undefined && opts.token !== null) headers.authorization = `Bearer ${opts.token}`;
  let body: string | Uint8Array | undefined;
  if (opts.body !== undefined) {
    const raw = typeof opts.body === 'string' || opts.body instanceof Uint8Array;
    headers['content-type'] = opts.contentType ?? (raw ? 'text/csv' : 'application/json');
    body = raw ? (opts.body as string | Uint8Array) : JSON.stringify(opts.body);
  }
  const res = await fetch(`${base}${path}`, { method, headers, body });
  const text = await res.text();
  return { res, body: text ? JSON.parse(text) : null, text };
}

/** An answer is problem+json with this status (and, when given, this problem type). */
export function expectProblem(
  res: Response,
  body: { status: number; type?: string },
  status: number,
  type?: string,
): void {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(body.status).toBe(status);
  if (type) expect(body.type).toBe(type);
}

/** `Authorization: Bearer <token>` → the actor given for that token; anything else is nobody. */
export function fixedTokenAuthenticator(actors: Record<string, Actor>): Authenticator {
  const byToken = new Map(Object.entries(actors));
  return {
    async actorFor(authorization) {
      const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
      return (token && byToken.get(token)) || null;
    },
  };
}
