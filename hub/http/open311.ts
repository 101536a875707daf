// Open311 GeoReport v2 (公众诉求接口, data exchange art.18, publicity art.49): the public web, city portals and the 12319
// hotline system submit and follow requests with the open standard's field names. Errors use the spec's format (a list
// of {code, description}) rather than problem+json, because Open311 clients parse that. JSON and XML, as the spec says.
import querystring from 'node:querystring';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { DeviceRateLimiter } from '../../ingest/pipeline/admission.js';
import type { CatalogueStore } from '../catalogue/catalogue.js';
import { findRequests, parseServiceCode, serviceCode, type ServiceRequest } from '../open311/requests.js';
import { toXml, toXmlDocument } from '../open311/xml.js';

/** What Open311 needs from the case loop: take a public report (a case in state reported, source public/hotline). */
export interface PublicIntake {
  reportPublic(
    input: {
      classKind: 'component' | 'event';
      classCode: string;
      lon: number;
      lat: number;
      description: string;
      address: string | null;
      reporterName: string | null;
      reporterPhone: string | null;
      attachments: string[];
    },
    channel: string,
  ): Promise<{ number: string }>;
}

export interface Open311Options {
  pool: pg.Pool;
  catalogue: CatalogueStore;
  intake: PublicIntake;
  /** api_key → channel name (e.g. `hotline-12319`); a request with a key not listed is refused. */
  apiKeys: ReadonlyMap<string, string>;
  /** Refuse requests without an api_key (a city without a public web form). */
  requireApiKey: boolean;
  /** New requests per client address and minute without a key (keys are not limited). */
  publicPerMinute?: number;
  now?: () => number;
}

const FORMATS = ['json', 'xml'] as const;
type Format = (typeof FORMATS)[number];
const BASE = '/open311/v2';
const tags = ['open311'];
/** The spec lets servers cap results; a default window keeps a bare GET cheap. */
const MAX_RESULTS = 1000;
const DEFAULT_WINDOW_MS = 90 * 24 * 3600_000;

class Open311Error extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(reply: FastifyReply, format: Format, root: string, item: string, records: object[], status = 200) {
  reply.code(status);
  if (format === 'xml') {
    return reply.type('text/xml; charset=utf-8').send(toXml(root, item, records as Array<Record<string, unknown>>));
  }
  return reply.type('application/json; charset=utf-8').send(JSON.stringify(records));
}

function sendError(reply: FastifyReply, format: Format, err: Open311Error) {
  return send(reply, format, 'errors', 'error', [{ code: err.status, description: err.message }], err.status);
}

const w3cDate = (value: string | undefined, name: string): number | undefined => {
  if (value === undefined || value === '') return undefined;
  // W3C datetime with an explicit zone, as the spec requires: a date without zone would be read in server time.
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/.test(value)) {
    throw new Open311Error(400, `${name} must be a W3C date-time such as 2026-12-01T08:00:00+08:00`);
  }
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new Open311Error(400, `${name} is not a valid date: ${value}`);
  return ms;
};

const str = (v: unknown): string | undefined =>
  typeof v === 'string' ? v.trim() || undefined : Array.isArray(v) ? str(v[0]) : undefined;

const ServiceCodeList = Type.String({ maxLength: 2000 });
const ListQuery = Type.Object({
  jurisdiction_id: Type.Optional(Type.String({ maxLength: 100 })),
  service_request_id: Type.Optional(Type.String({ maxLength: 4000, description: 'Comma-separated ids' })),
  service_code: Type.Optional(ServiceCodeList),
  start_date: Type.Optional(Type.String({ maxLength: 40 })),
  end_date: Type.Optional(Type.String({ maxLength: 40 })),
  status: Type.Optional(Type.String({ maxLength: 20, description: 'open, closed or open,closed' })),
});

export async function open311Routes(app: FastifyInstance, options: Open311Options): Promise<void> {
  const { pool, catalogue, intake, apiKeys } = options;
  const now = options.now ?? Date.now;
  const limiter = new DeviceRateLimiter((options.publicPerMinute ?? 10) / 60, options.publicPerMinute ?? 10);

  // The spec posts application/x-www-form-urlencoded; this parser lives in this plugin only.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 64 * 1024 },
    (_r, body, done) => {
      done(null, querystring.parse(body as string));
    },
  );

  const wrap =
    <R extends FastifyRequest>(format: Format, handler: (request: R, reply: FastifyReply) => Promise<unknown>) =>
    async (request: R, reply: FastifyReply) => {
      try {
        return await handler(request, reply);
      } catch (err) {
        if (err instanceof Open311Error) return sendError(reply, format, err);
        throw err;
      }
    };

  const serviceOf = async (kind: 'component' | 'event', majors: Map<string, string>) => {
    const page = await catalogue.listClasses({ kind }, { limit: 1000 });
    return page.items.map((c) => ({
      service_code: serviceCode(c.kind, c.code),
      service_name: c.nameZh,
      description: c.nameEn || c.nameZh,
      metadata: false,
      type: 'realtime',
      keywords: [c.nameZh, c.nameEn, ...c.altNames].filter(Boolean).join(','),
      group: majors.get(`${c.kind}:${c.majorCode}`) ?? c.majorNameZh,
    }));
  };

  for (const format of FORMATS) {
    app.get(
      `${BASE}/services.${format}`,
      {
        schema: {
          tags,
          summary: `Service list (${format}): every component (部件) and event (事件) class`,
          querystring: Type.Object({ jurisdiction_id: Type.Optional(Type.String({ maxLength: 100 })) }),
        },
      },
      wrap(format, async (_request, reply) => {
        const majors = new Map((await catalogue.majorClasses()).map((m) => [`${m.kind}:${m.code}`, m.nameZh]));
        const services = [...(await serviceOf('component', majors)), ...(await serviceOf('event', majors))];
        return send(reply, format, 'services', 'service', services);
      }),
    );

    app.get<{ Params: { code: string } }>(
      `${BASE}/services/:code.${format}`,
      {
        schema: {
          tags,
          summary: `Service definition (${format}); our services need no extra attributes`,
          params: Type.Object({ code: Type.String({ maxLength: 40 }) }),
        },
      },
      wrap(format, async (request: FastifyRequest<{ Params: { code: string } }>, reply) => {
        const ref = parseServiceCode(request.params.code);
        const found = ref && (await catalogue.classByCode(`${ref.kind}:${ref.code}`));
        if (!found) throw new Open311Error(404, `no service with service_code ${request.params.code}`);
        const definition = { service_code: request.params.code, attributes: [] };
        if (format === 'xml') {
          return reply.type('text/xml; charset=utf-8').send(toXmlDocument('service_definition', definition));
        }
        return reply.type('application/json; charset=utf-8').send(JSON.stringify(definition));
      }),
    );

    app.get<{ Querystring: Static<typeof ListQuery> }>(
      `${BASE}/requests.${format}`,
      {
        schema: {
          tags,
          summary: `Service requests (${format}), newest first, at most ${MAX_RESULTS}`,
          querystring: ListQuery,
        },
      },
      wrap(format, async (request: FastifyRequest<{ Querystring: Static<typeof ListQuery> }>, reply) => {
        const q = request.query;
        const ids = q.service_request_id
          ?.split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        let serviceCodes: Array<{ kind: 'component' | 'event'; code: string }> | undefined;
        if (q.service_code) {
          serviceCodes = q.service_code.split(',').map((s) => {
            const parsed = parseServiceCode(s.trim());
            if (!parsed) throw new Open311Error(400, `service_code ${s.trim()} is not ours (like component-0101)`);
            return parsed;
          });
        }
        const status = q.status?.split(',').map((s) => s.trim());
        if (status?.some((s) => s !== 'open' && s !== 'closed')) {
          throw new Open311Error(400, 'status must be open, closed or open,closed');
        }
        let startMs = w3cDate(q.start_date, 'start_date');
        const endMs = w3cDate(q.end_date, 'end_date');
        if (startMs !== undefined && endMs !== undefined && startMs > endMs) {
          throw new Open311Error(400, 'start_date is after end_date');
        }
        // Without ids or dates the spec suggests the last 90 days.
        if (!ids && startMs === undefined && endMs === undefined) startMs = now() - DEFAULT_WINDOW_MS;
        const found = await findRequests(pool, {
          ids,
          serviceCodes,
          startMs,
          endMs,
          status: status as Array<'open' | 'closed'> | undefined,
          limit: MAX_RESULTS,
        });
        return send(reply, format, 'service_requests', 'request', found);
      }),
    );

    app.get<{ Params: { id: string } }>(
      `${BASE}/requests/:id.${format}`,
      {
        schema: {
          tags,
          summary: `One service request (${format}), as a list of one`,
          params: Type.Object({ id: Type.String({ maxLength: 40 }) }),
        },
      },
      wrap(format, async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
        const found: ServiceRequest[] = await findRequests(pool, { ids: [request.params.id], limit: 1 });
        if (found.length === 0) throw new Open311Error(404, `no service request ${request.params.id}`);
        return send(reply, format, 'service_requests', 'request', found);
      }),
    );

    app.post(
      `${BASE}/requests.${format}`,
      {
        schema: {
          tags,
          summary: `Submit a service request (${format}); form-encoded as in the spec, or JSON`,
          consumes: ['application/x-www-form-urlencoded', 'application/json'],
        },
      },
      wrap(format, async (request, reply) => {
        const body = (request.body ?? {}) as Record<string, unknown>;
        const apiKey = str(body.api_key);
        let channel = 'open311';
        if (apiKey !== undefined) {
          const named = apiKeys.get(apiKey);
          if (!named) throw new Open311Error(403, 'invalid api_key; ask the city for a key or send none');
          channel = `open311:${named}`;
        } else {
          if (options.requireApiKey) throw new Open311Error(403, 'an api_key is required to submit requests');
          if (limiter.admit(request.ip, now())) {
            reply.header('retry-after', '60');
            throw new Open311Error(429, 'too many requests from this address; try again in a minute');
          }
        }
        const code = str(body.service_code);
        if (!code) throw new Open311Error(400, 'service_code is required (GET services.json lists them)');
        const ref = parseServiceCode(code);
        if (!ref || !(await catalogue.classByCode(`${ref.kind}:${ref.code}`))) {
          throw new Open311Error(404, `no service with service_code ${code}`);
        }
        const lat = Number(str(body.lat));
        const lon = Number(str(body.long));
        if (str(body.lat) === undefined || str(body.long) === undefined) {
          throw new Open311Error(
            400,
            str(body.address_string) || str(body.address_id)
              ? 'lat and long are required: this city does not geocode addresses for Open311 requests'
              : 'lat and long are required',
          );
        }
        if (!(Number.isFinite(lat) && lat >= -90 && lat <= 90 && Number.isFinite(lon) && lon >= -180 && lon <= 180)) {
          throw new Open311Error(400, 'lat must be −90…90 and long −180…180 (WGS-84 degrees)');
        }
        const description = str(body.description) ?? '';
        if (description.length > 2000) throw new Open311Error(400, 'description is longer than 2000 characters');
        const mediaUrl = str(body.media_url);
        if (mediaUrl !== undefined && (!/^https?:\/\//.test(mediaUrl) || mediaUrl.length > 200)) {
          throw new Open311Error(400, 'media_url must be an http(s) URL of at most 200 characters');
        }
        const phone = str(body.phone);
        if (phone !== undefined && !/^[0-9+\-() ]{3,32}$/.test(phone)) {
          throw new Open311Error(400, 'phone must be 3–32 digits (with + - ( ) or spaces)');
        }
        const name = [str(body.last_name), str(body.first_name)].filter(Boolean).join('') || null;
        if (name && name.length > 100)
          throw new Open311Error(400, 'first_name + last_name is longer than 100 characters');
        const address = str(body.address_string) ?? null;
        if (address && address.length > 500)
          throw new Open311Error(400, 'address_string is longer than 500 characters');
        const created = await intake.reportPublic(
          {
            classKind: ref.kind,
            classCode: ref.code,
            lon,
            lat,
            description,
            address,
            reporterName: name,
            reporterPhone: phone ?? null,
            attachments: mediaUrl ? [mediaUrl] : [],
          },
          channel,
        );
        const receipt = {
          service_request_id: created.number,
          service_notice: `已受理登记，案件号 ${created.number}；处理结果将告知您。`,
          account_id: null,
        };
        return send(reply, format, 'service_requests', 'request', [receipt], 201);
      }),
    );
  }
}
