// 请求体类型 request bodies by content type: a request's media type and charset, the 415 answer for a body of the wrong
// type, and the CSV body parser the bulk imports share (UTF-8, or GB18030 as Excel on a Chinese Windows saves it).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { decodeCsvBytes } from '../csv.js';
import { sendProblem } from './problem.js';

/** `text/csv; charset=…` → the media type and the charset, lower-cased. */
export function contentType(request: FastifyRequest): { media: string; charset: string | null } {
  const [media = '', ...params] = (request.headers['content-type'] ?? '').split(';');
  const charset = params.map((p) => /^\s*charset\s*=\s*"?([^";\s]+)"?\s*$/i.exec(p)?.[1]).find(Boolean) ?? null;
  return { media: media.trim().toLowerCase(), charset: charset?.toLowerCase() ?? null };
}

/** A preValidation hook answering 415 with `hint` unless the body is of `media` type. */
export function requireMediaType(media: string, hint: string) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (contentType(request).media !== media) {
      return sendProblem(reply, {
        type: 'about:blank',
        title: 'Unsupported Media Type',
        status: 415,
        detail: hint,
        instance: request.url,
      });
    }
  };
}

/**
 * `text/csv` bodies of the plugin (encapsulation context) given arrive as decoded text (hub/csv.ts `decodeCsvBytes`): a
 * charset Node does not know answers 415, any other failure to decode 400.
 */
export function acceptCsvBodies(app: FastifyInstance, bodyLimit: number): void {
  app.addContentTypeParser('text/csv', { parseAs: 'buffer', bodyLimit }, (request, body, done) => {
    try {
      done(null, decodeCsvBytes(body as Buffer, contentType(request).charset));
    } catch (err) {
      const unsupported = (err as NodeJS.ErrnoException).code === 'ERR_ENCODING_NOT_SUPPORTED';
      done(
        Object.assign(new Error(unsupported ? 'unsupported charset' : 'the file is not valid text'), {
          statusCode: unsupported ? 415 : 400,
        }),
      );
    }
  });
}
