// Admin API access (管理接口鉴权): until users and roles exist, the admin routes take one bearer token (ADMIN_TOKEN).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendProblem } from './problem.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** A Fastify onRequest hook that lets a request through only with `Authorization: Bearer <token>`. */
export function requireAdminToken(token: string) {
  // An empty token would let any blank bearer value through.
  if (token.trim().length < 16) throw new Error('the admin token must be at least 16 characters');
  const expected = digest(token);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    // Compare digests so the comparison takes the same time whatever the length of what was sent.
    if (!match || !timingSafeEqual(digest(match[1]!.trim()), expected)) {
      return sendProblem(reply.header('www-authenticate', 'Bearer realm="cityhub-admin"'), {
        type: 'urn:cityhub:problem:unauthorized',
        title: 'Unauthorized',
        status: 401,
        detail: match ? 'the admin token is wrong' : 'send the admin token as `Authorization: Bearer <ADMIN_TOKEN>`',
        instance: request.url,
      });
    }
  };
}
