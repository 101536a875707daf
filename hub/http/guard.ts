// 接口鉴权 route guard: every case-loop route names the roles it admits; the guard finds the actor behind the request
// (a user session, or the admin service token) and answers 401 / 403 as problem+json before the handler runs.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Actor, Role } from '../cases/ports.js';
import { sendProblem } from './problem.js';

/** Turns an Authorization header into an actor; implemented by hub/auth (sessions and the admin token). */
export interface Authenticator {
  actorFor(authorization: string | undefined): Promise<Actor | null>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `requireRoles` before the handler runs. */
    actor?: Actor;
  }
}

/** The actor of a request that passed `requireRoles` (throws if the route forgot the guard: a programming error). */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new Error(`route ${request.routeOptions.url} has no role guard`);
  return request.actor;
}

/** An onRequest hook admitting an authenticated actor holding at least one of `roles` (any role when empty). */
export function requireRoles(auth: Authenticator, roles: readonly Role[] = []) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const actor = await auth.actorFor(request.headers.authorization);
    if (!actor) return sendUnauthorized(request, reply);
    if (roles.length > 0 && !actor.roles.some((r) => roles.includes(r))) {
      return sendForbidden(request, reply, {
        detail: `this needs one of the roles ${roles.join(', ')}; you have ${actor.roles.join(', ') || 'none'}`,
        requiredRoles: [...roles],
      });
    }
    request.actor = actor;
  };
}

/** 401: no session behind the request (none sent, expired or revoked). */
export function sendUnauthorized(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendProblem(reply.header('www-authenticate', 'Bearer realm="cityhub"'), {
    type: 'urn:cityhub:problem:unauthorized',
    title: 'Unauthorized',
    status: 401,
    detail: 'log in (POST /api/auth/login) and send the token as `Authorization: Bearer <token>`',
    instance: request.url,
  });
}

/** 403: a session that may not do this; `detail` says what it would need. */
export function sendForbidden(
  request: FastifyRequest,
  reply: FastifyReply,
  problem: { detail: string; requiredRoles: readonly Role[] },
): FastifyReply {
  return sendProblem(reply, {
    type: 'urn:cityhub:problem:forbidden',
    title: 'Forbidden',
    status: 403,
    detail: problem.detail,
    instance: request.url,
    requiredRoles: [...problem.requiredRoles],
  });
}
