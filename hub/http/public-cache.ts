// 公开缓存 the cache in front of the public answers (art.49: the public page, GET /api/public/*): each answer is
// computed at most once per cache period per key whatever the request rate (concurrent misses share one computation),
// and goes out with Cache-Control, Age and an ETag, so a browser, a proxy's cache or a rate limiter in front can absorb
// any crowd and a reload that changed nothing costs a 304.
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface CachedAnswer {
  atMs: number;
  body: string;
  etag: string;
}

/** Answers kept (each a few kB): any past period may be asked for, so only the most recent ones stay. */
const MAX_CACHED = 200;

export class PublicAnswerCache {
  private readonly answers = new Map<string, CachedAnswer>();
  private readonly pending = new Map<string, Promise<CachedAnswer>>();

  /** `periodMs`: how long an answer is reused; `now`: the clock answers age by. */
  constructor(
    readonly periodMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The answer for `key`: the cached one while it is fresh, else `compute()`'s, serialised once. */
  get(key: string, compute: () => Promise<unknown>): Promise<CachedAnswer> {
    const hit = this.answers.get(key);
    // A clock that went back (a test's, or the system's) makes the answer stale rather than fresh for ever.
    if (hit) {
      const age = this.now() - hit.atMs;
      if (age >= 0 && age < this.periodMs) return Promise.resolve(hit);
    }
    const running = this.pending.get(key);
    if (running) return running;
    const atMs = this.now();
    const next = compute()
      .then((value) => {
        const body = JSON.stringify(value);
        const cached = { atMs, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
        this.answers.delete(key);
        this.answers.set(key, cached);
        if (this.answers.size > MAX_CACHED) this.answers.delete(this.answers.keys().next().value!);
        return cached;
      })
      .finally(() => this.pending.delete(key));
    this.pending.set(key, next);
    return next;
  }

  /** Sends `answer` as JSON with its caching headers, or 304 when the client already holds it. */
  send(request: FastifyRequest, reply: FastifyReply, answer: CachedAnswer): FastifyReply {
    const age = Math.max(0, Math.floor((this.now() - answer.atMs) / 1000));
    reply
      .header('cache-control', `public, max-age=${Math.max(0, Math.floor(this.periodMs / 1000) - age)}`)
      .header('etag', answer.etag)
      .header('age', String(age));
    if (request.headers['if-none-match'] === answer.etag) return reply.code(304).send();
    return reply.type('application/json; charset=utf-8').send(answer.body);
  }
}
