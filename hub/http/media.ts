// 照片上传 media: handhelds upload photos over HTTP with their device credential (HTTP Basic: device id and
// credential, the same pair as for MQTT) and then reference the returned id from a report; logged-in users (a
// department's handling photos) upload with their session. Any logged-in user may view them.
import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type pg from 'pg';
import type { Device, DeviceRegistry } from '../devices/registry.js';
import { requireRoles, type Authenticator } from './guard.js';
import { sendProblem } from './problem.js';
import { mediaRelativePath, writeDurably } from '../storage/media-files.js';

export interface MediaDeps {
  pool: pg.Pool;
  registry: DeviceRegistry;
  mediaDir: string;
  /** Users' sessions (and the admin token). */
  auth: Authenticator;
  maxBytes: number;
}

/** Accepted image types, recognised by their first bytes, not by what the client claims. */
const SIGNATURES: { type: string; ext: string; test: (b: Buffer) => boolean }[] = [
  { type: 'image/jpeg', ext: 'jpg', test: (b) => b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  {
    type: 'image/png',
    ext: 'png',
    test: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  },
  {
    type: 'image/webp',
    ext: 'webp',
    test: (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP',
  },
];

const unauthorized = (request: FastifyRequest, reply: FastifyReply, detail: string) =>
  sendProblem(reply.header('www-authenticate', 'Basic realm="cityhub-devices"'), {
    type: 'urn:cityhub:problem:unauthorized',
    title: 'Unauthorized',
    status: 401,
    detail,
    instance: request.url,
  });

async function deviceOf(request: FastifyRequest, registry: DeviceRegistry): Promise<Device | null> {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(request.headers.authorization ?? '');
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) return null;
  return registry.verifyCredential(decoded.slice(0, colon), decoded.slice(colon + 1));
}

export async function mediaRoutes(app: FastifyInstance, deps: MediaDeps): Promise<void> {
  for (const { type } of SIGNATURES) {
    app.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: deps.maxBytes }, (_req, body, done) =>
      done(null, body),
    );
  }

  app.post(
    '/api/media',
    {
      bodyLimit: deps.maxBytes,
      schema: {
        summary: 'Upload a photo (device credential as HTTP Basic, or a user session); the body is the image itself',
        tags: ['media'],
        response: {
          201: {
            type: 'object',
            properties: {
              id: { type: 'string', format: 'uuid' },
              contentType: { type: 'string' },
              bytes: { type: 'integer' },
              sha256: { type: 'string' },
            },
          },
        },
      },
    },
    async (request, reply) => {
      const isBearer = /^Bearer\s/i.test(request.headers.authorization ?? '');
      const device = isBearer ? null : await deviceOf(request, deps.registry);
      const user = isBearer ? await deps.auth.actorFor(request.headers.authorization) : null;
      if (!device && !user) {
        return unauthorized(
          request,
          reply,
          'send the device id and credential as HTTP Basic auth, or a user session as `Authorization: Bearer <token>`',
        );
      }
      const body = request.body;
      if (!Buffer.isBuffer(body) || body.length === 0) {
        return sendProblem(reply, {
          type: 'about:blank',
          title: 'Bad Request',
          status: 400,
          detail: 'the body must be the image (Content-Type image/jpeg, image/png or image/webp)',
          instance: request.url,
        });
      }
      const kind = SIGNATURES.find((s) => s.test(body));
      if (!kind || kind.type !== request.headers['content-type']) {
        return sendProblem(reply, {
          type: 'about:blank',
          title: 'Unsupported Media Type',
          status: 415,
          detail: `the body is not a ${request.headers['content-type']} image`,
          instance: request.url,
        });
      }
      const id = randomUUID();
      const now = new Date();
      const relative = mediaRelativePath(id, kind.ext, now);
      const sha256 = createHash('sha256').update(body).digest('hex');
      await writeDurably(path.join(deps.mediaDir, relative), body);
      await deps.pool.query(
        'INSERT INTO media (id, device_id, user_id, content_type, bytes, sha256, path) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [id, device?.id ?? null, user?.userId ?? null, kind.type, body.length, sha256, relative],
      );
      request.log.info({ deviceId: device?.id, userId: user?.userId, mediaId: id, bytes: body.length }, 'media stored');
      return reply.code(201).send({ id, contentType: kind.type, bytes: body.length, sha256 });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/media/:id',
    {
      onRequest: requireRoles(deps.auth),
      schema: {
        summary: 'Download an uploaded photo',
        tags: ['media'],
        params: { type: 'object', properties: { id: { type: 'string', format: 'uuid' } } },
      },
    },
    async (request, reply) => {
      const { rows } = await deps.pool.query<{ content_type: string; path: string }>(
        'SELECT content_type, path FROM media WHERE id = $1',
        [request.params.id],
      );
      const row = rows[0];
      if (!row) {
        return sendProblem(reply, {
          type: 'about:blank',
          title: 'Not Found',
          status: 404,
          detail: `no media ${request.params.id}`,
          instance: request.url,
        });
      }
      return reply
        .type(row.content_type)
        .header('cache-control', 'private, max-age=86400')
        .send(await readFile(path.join(deps.mediaDir, row.path)));
    },
  );
}
