// The web app and its map assets: the built SvelteKit app (single-page, index.html fallback) and the glyph PBFs the
// offline map style needs for labels, from the `tileserver-gl-styles` package — nothing fetched from the internet.
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { sendProblem } from './problem.js';

const require = createRequire(import.meta.url);
const FONTS_DIR = path.join(path.dirname(require.resolve('tileserver-gl-styles/package.json')), 'fonts');
const FONTS = new Set(readdirSync(FONTS_DIR));

/** Paths the SPA fallback must never answer: they are API or asset namespaces with their own 404s. */
const NOT_SPA = /^\/(api|glyphs|healthz|socket\.io|open311)(\/|$|\?)/;

export interface WebDeps {
  /** Folder of the built web app; null or missing: the API still runs, `/` explains how to build the app. */
  webDir: string;
}

export async function webRoutes(app: FastifyInstance, deps: WebDeps): Promise<void> {
  app.get<{ Params: { fontstack: string; range: string } }>(
    '/glyphs/:fontstack/:range',
    {
      schema: {
        summary: 'Glyph ranges (PBF) for map labels',
        params: {
          type: 'object',
          properties: { fontstack: { type: 'string' }, range: { type: 'string', pattern: '^\\d+-\\d+\\.pbf$' } },
        },
      },
    },
    async (request, reply) => {
      // A font stack is a comma-separated list: serve the first font we have. Only names from the folder listing are
      // ever joined into a path.
      const font = request.params.fontstack
        .split(',')
        .map((f) => f.trim())
        .find((f) => FONTS.has(f));
      const file = font && path.join(FONTS_DIR, font, request.params.range);
      if (!file || !existsSync(file)) {
        return sendProblem(reply, {
          type: 'about:blank',
          title: 'Not Found',
          status: 404,
          detail: `no glyphs for "${request.params.fontstack}" ${request.params.range}; available: ${[...FONTS].join(', ')}`,
          instance: request.url,
        });
      }
      return reply
        .type('application/x-protobuf')
        .header('cache-control', 'public, max-age=86400')
        .send(await readFile(file));
    },
  );

  const built = existsSync(path.join(deps.webDir, 'index.html'));
  if (built) {
    await app.register(fastifyStatic, { root: deps.webDir, wildcard: false, index: ['index.html'] });
  } else {
    app.log.warn({ webDir: deps.webDir }, 'web app not built: run `npm run build` (the API and MQTT still work)');
  }

  app.setNotFoundHandler((request, reply) => {
    if (request.method === 'GET' && built && !NOT_SPA.test(request.url)) {
      return reply.type('text/html').sendFile('index.html');
    }
    return sendProblem(reply, {
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail:
        built || NOT_SPA.test(request.url)
          ? `no route ${request.method} ${request.url}`
          : 'web app not built: run `npm run build`',
      instance: request.url,
    });
  });
}
