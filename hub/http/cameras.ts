// 视频监控点接口 camera registry API: admins register cameras (place, view, RTMP push or RTSP pull, sampling, image
// zones), edit them and issue RTMP publish keys that expire (revoking a camera's earlier keys on request, which cuts a
// publisher streaming with one); any logged-in user reads them, gets a short-lived HTTP-FLV play URL for the browser
// player (mpegts.js) and a JPEG snapshot of what a live camera sees now.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Role } from '../cases/ports.js';
import {
  CAMERA_LIMITS,
  CameraError,
  redactRtspUrl,
  type Camera,
  type CameraDto,
  type CameraPatch,
  type CameraRegistry,
  type CameraSource,
  type CameraStatus,
} from '../cameras/registry.js';
import { ZONE_KINDS, ZONE_LIMITS } from '../cameras/zones.js';
import { requireRoles, type Authenticator } from './guard.js';
import {
  errorsMember,
  handleDomainErrors,
  problemResponses,
  problemSchema,
  sendProblem,
  type ProblemTable,
} from './problem.js';
import { useStrictValidation } from './validation.js';

/** What the routes need of the media server (ingest/video/media-server.ts `MediaServer` is one). */
export interface CameraMedia {
  publishUrl(cameraId: string, ttlS: number): { url: string; expiresAt: Date };
  playUrl(cameraId: string, ttlS: number): { url: string; expiresAt: Date };
  isLive(cameraId: string): boolean;
  /** Drops the camera's publisher now; false when it was not publishing. */
  disconnect(cameraId: string): boolean;
  snapshot(cameraId: string): Promise<Uint8Array>;
}

export interface CameraRoutesOptions {
  registry: CameraRegistry;
  auth: Authenticator;
  /** Without it the publish-key, play and snapshot routes answer 503 (video is off). */
  media?: CameraMedia;
  /** Called after a camera is created or changed (e.g. restart its RTSP puller, reload the pipeline). */
  onChange?: (camera: Camera) => void | Promise<void>;
}

const tags = ['cameras'];
const ADMIN: readonly Role[] = ['admin'];
/** Publish keys: 30 days unless asked otherwise, at most a year; a key is checked when the camera connects. */
export const PUBLISH_KEY_TTL_S = { default: 30 * 86_400, min: 60, max: 366 * 86_400 } as const;
/** Play URLs: long enough to start the player; a running stream is not cut when its token expires. */
export const PLAY_URL_TTL_S = 300;

const Nullable = <T>(type: 'string' | 'number', extra: Record<string, unknown> = {}) =>
  Type.Unsafe<T | null>({ type: [type, 'null'], ...extra });

const CameraIdSchema = Type.String({
  pattern: '^[A-Za-z0-9_-]{1,64}$',
  description: 'Camera id, also its stream name (rtmp://…/live/{id}): 1–64 of A–Z a–z 0–9 _ -',
});
const SourceSchema = Type.Unsafe<CameraSource>({
  type: 'string',
  enum: ['rtmp', 'rtsp'],
  description: 'rtmp: the camera pushes to the hub with a signed key; rtsp: the hub pulls rtspUrl',
});
const PolygonSchema = Type.Object(
  {
    type: Type.Literal('Polygon'),
    coordinates: Type.Array(Type.Array(Type.Array(Type.Number(), { minItems: 2, maxItems: 3 }), { minItems: 4 }), {
      minItems: 1,
    }),
  },
  { additionalProperties: false, description: 'GeoJSON Polygon (WGS-84 [lon, lat])' },
);
const ViewSchema = Type.Unsafe<Static<typeof PolygonSchema> | null>({
  anyOf: [PolygonSchema, { type: 'null' }],
  description: 'The field of view on the map, a GeoJSON Polygon; null when not drawn',
});
const ZoneSchema = Type.Object(
  {
    id: Type.String({ description: '1–64 of A–Z a–z 0–9 . _ : -, unique within the camera' }),
    name: Type.String(),
    kind: Type.Unsafe<string>({
      type: 'string',
      enum: [...ZONE_KINDS],
      description:
        'noParking 禁停 (needs maxStationaryS), crowd 人群聚集 (maxPersons, optional minDurationS), ' +
        'restricted 限时禁入 (hours)',
    }),
    polygon: Type.Array(Type.Array(Type.Number(), { minItems: 2, maxItems: 2 }), {
      minItems: 3,
      maxItems: ZONE_LIMITS.points,
      description: 'Image coordinates 0–1, [x right, y down]',
    }),
    classRef: Type.String({ description: 'The candidate class, e.g. event:0406' }),
    standardId: Type.Optional(Type.Unsafe<number | null>({ type: ['integer', 'null'] })),
    classes: Type.Optional(Type.Array(Type.String(), { description: 'COCO classes that count (default by kind)' })),
    maxStationaryS: Type.Optional(Type.Integer()),
    maxPersons: Type.Optional(Type.Integer()),
    minDurationS: Type.Optional(Type.Integer()),
    hours: Type.Optional(
      Type.Array(Type.Object({ from: Type.String(), to: Type.String() }, { additionalProperties: false }), {
        description: 'Local windows, e.g. [{ "from": "22:00", "to": "06:00" }]',
      }),
    ),
    minScore: Type.Optional(Type.Number({ description: 'Minimum detector score, 0–1 (default 0.4)' })),
  },
  { additionalProperties: false },
);
const ZonesSchema = Type.Array(ZoneSchema, { maxItems: ZONE_LIMITS.zones });

const editable = {
  name: Type.String({ minLength: 1, maxLength: CAMERA_LIMITS.name }),
  lon: Type.Number({ minimum: -180, maximum: 180, description: 'WGS-84 longitude of the camera' }),
  lat: Type.Number({ minimum: -90, maximum: 90, description: 'WGS-84 latitude of the camera' }),
  headingDeg: Nullable<number>('number', {
    minimum: 0,
    exclusiveMaximum: 360,
    description: 'Direction it looks, degrees clockwise from north',
  }),
  view: ViewSchema,
  source: SourceSchema,
  rtspUrl: Nullable<string>('string', {
    maxLength: CAMERA_LIMITS.rtspUrl,
    description: 'rtsp://[user:password@]host[:port]/path, rtsp cameras only (pulled over TCP)',
  }),
  sampleIntervalMs: Type.Integer({
    minimum: CAMERA_LIMITS.minSampleIntervalMs,
    maximum: CAMERA_LIMITS.maxSampleIntervalMs,
    description: 'The detector looks at one frame per this many ms',
  }),
  zones: ZonesSchema,
  enabled: Type.Boolean({ description: 'A disabled camera may not publish and is not sampled' }),
};

const CreateBody = Type.Object(
  {
    id: CameraIdSchema,
    name: editable.name,
    lon: editable.lon,
    lat: editable.lat,
    headingDeg: Type.Optional(editable.headingDeg),
    view: Type.Optional(editable.view),
    source: editable.source,
    rtspUrl: Type.Optional(editable.rtspUrl),
    sampleIntervalMs: Type.Optional(editable.sampleIntervalMs),
    zones: Type.Optional(editable.zones),
    enabled: Type.Optional(editable.enabled),
  },
  { additionalProperties: false },
);
const PatchBody = Type.Partial(Type.Object(editable, { additionalProperties: false }), { minProperties: 1 });

const DateTime = Type.String({ format: 'date-time' });
const NullableDateTime = Type.Unsafe<string | null>({ type: ['string', 'null'], format: 'date-time' });
const CameraSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    lon: Type.Number(),
    lat: Type.Number(),
    headingDeg: Nullable<number>('number'),
    view: Type.Unsafe<object | null>({ type: ['object', 'null'], additionalProperties: true }),
    source: SourceSchema,
    rtspUrl: Nullable<string>('string', { description: 'Without its password' }),
    sampleIntervalMs: Type.Integer(),
    zones: Type.Array(Type.Object({}, { additionalProperties: true })),
    enabled: Type.Boolean(),
    status: Type.Unsafe<CameraStatus>({ type: 'string', enum: ['online', 'offline'] }),
    statusChangedAt: NullableDateTime,
    lastFrameAt: NullableDateTime,
    publishKeyVersion: Type.Integer({
      description:
        'Publish keys of this version only are accepted (POST …/publish-key {"revokePrevious": true} raises it)',
    }),
    createdAt: DateTime,
    updatedAt: DateTime,
    playPath: Type.String({ description: 'HTTP-FLV path on the media server; GET …/play for a URL with a token' }),
  },
  { additionalProperties: false },
);

const IdParams = Type.Object({ id: CameraIdSchema }, { additionalProperties: false });
const ListQuery = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean()),
    status: Type.Optional(Type.Unsafe<CameraStatus>({ type: 'string', enum: ['online', 'offline'] })),
    source: Type.Optional(SourceSchema),
  },
  { additionalProperties: false },
);
const KeyBody = Type.Object(
  {
    ttlS: Type.Optional(
      Type.Integer({
        minimum: PUBLISH_KEY_TTL_S.min,
        maximum: PUBLISH_KEY_TTL_S.max,
        description: `How long the key works, seconds (default ${PUBLISH_KEY_TTL_S.default}: 30 days)`,
      }),
    ),
    revokePrevious: Type.Optional(
      Type.Boolean({
        description:
          'Refuse every key issued for this camera before this one (a leaked or stolen key), and cut a publisher ' +
          'streaming with one; the camera then needs the new key',
      }),
    ),
  },
  { additionalProperties: false },
);
const PublishKeySchema = Type.Object(
  {
    url: Type.String(),
    expiresAt: DateTime,
    keyVersion: Type.Integer({ description: 'The camera’s publish key version this key carries' }),
    disconnected: Type.Optional(
      Type.Boolean({ description: 'With revokePrevious: a publisher streaming with an older key was cut off' }),
    ),
  },
  { additionalProperties: false },
);
const IssueSchema = Type.Object({ field: Type.String(), message: Type.String() }, { additionalProperties: false });
const problems = problemResponses(problemSchema(IssueSchema));

const CAMERA_PROBLEMS: ProblemTable<CameraError> = {
  CameraNotFound: { status: 404, type: 'urn:cityhub:problem:camera-not-found', title: 'Not Found' },
  CameraExists: { status: 409, type: 'urn:cityhub:problem:camera-exists', title: 'Conflict' },
  InvalidCamera: { status: 422, type: 'urn:cityhub:problem:invalid-camera', title: 'Unprocessable Content' },
};

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const toBody = (c: Camera): CameraDto => ({
  id: c.id,
  name: c.name,
  lon: c.lon,
  lat: c.lat,
  headingDeg: c.headingDeg,
  view: c.view,
  source: c.source,
  rtspUrl: c.rtspUrl === null ? null : redactRtspUrl(c.rtspUrl),
  sampleIntervalMs: c.sampleIntervalMs,
  zones: c.zones,
  enabled: c.enabled,
  status: c.status,
  statusChangedAt: iso(c.statusChangedAt),
  lastFrameAt: iso(c.lastFrameAt),
  publishKeyVersion: c.publishKeyVersion,
  createdAt: c.createdAt.toISOString(),
  updatedAt: c.updatedAt.toISOString(),
  playPath: `/live/${c.id}.flv`,
});

export async function cameraRoutes(app: FastifyInstance, opts: CameraRoutesOptions): Promise<void> {
  const { registry, media } = opts;
  const admin = requireRoles(opts.auth, ADMIN);
  const anyone = requireRoles(opts.auth);

  useStrictValidation(app);
  handleDomainErrors(app, [CameraError], CAMERA_PROBLEMS, (error) => errorsMember(error.issues));

  const changed = async (camera: Camera) => {
    await opts.onChange?.(camera);
    return toBody(camera);
  };
  const noVideo = (reply: import('fastify').FastifyReply, url: string) =>
    sendProblem(reply, {
      type: 'urn:cityhub:problem:video-disabled',
      title: 'Service Unavailable',
      status: 503,
      detail: 'the media server is not running on this hub (video is switched off in the configuration)',
      instance: url,
    });

  app.post<{ Body: Static<typeof CreateBody> }>(
    '/api/cameras',
    {
      onRequest: admin,
      schema: {
        summary: 'Register a camera (422 lists every problem, zones included)',
        tags,
        body: CreateBody,
        response: { 201: CameraSchema, ...problems(400, 401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      const { zones, ...rest } = request.body;
      const camera = await registry.create({ ...rest, ...(zones ? { zones } : {}) });
      return reply.code(201).send(await changed(camera));
    },
  );

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/api/cameras',
    {
      onRequest: anyone,
      schema: {
        summary: 'The cameras, with live status (RTSP URLs without passwords)',
        tags,
        querystring: ListQuery,
        response: {
          200: Type.Object({ items: Type.Array(CameraSchema) }, { additionalProperties: false }),
          ...problems(400, 401),
        },
      },
    },
    async (request) => ({ items: (await registry.list(request.query)).map(toBody) }),
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/cameras/:id',
    {
      onRequest: anyone,
      schema: { summary: 'One camera', tags, params: IdParams, response: { 200: CameraSchema, ...problems(401, 404) } },
    },
    async (request) => toBody(await registry.get(request.params.id)),
  );

  app.patch<{ Params: Static<typeof IdParams>; Body: Static<typeof PatchBody> }>(
    '/api/cameras/:id',
    {
      onRequest: admin,
      schema: {
        summary:
          'Change a camera: fields left out are kept, null clears; zones are replaced whole. Switching to rtmp drops ' +
          'the RTSP URL; disabling stops new publishes',
        tags,
        params: IdParams,
        body: PatchBody,
        response: { 200: CameraSchema, ...problems(400, 401, 403, 404, 422) },
      },
    },
    async (request) => changed(await registry.update(request.params.id, request.body as CameraPatch)),
  );

  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof KeyBody> | undefined }>(
    '/api/cameras/:id/publish-key',
    {
      onRequest: admin,
      schema: {
        summary:
          'The RTMP URL an rtmp camera publishes to, with a signed key that expires (checked when the camera ' +
          'connects). {"revokePrevious": true} refuses every earlier key of this camera and cuts a publisher using one',
        tags,
        params: IdParams,
        body: Type.Optional(KeyBody),
        response: { 200: PublishKeySchema, ...problems(400, 401, 403, 404, 409, 503) },
      },
    },
    async (request, reply) => {
      let camera = await registry.get(request.params.id);
      if (!media) return noVideo(reply, request.url);
      if (camera.source !== 'rtmp' || !camera.enabled) {
        return sendProblem(reply, {
          type: 'urn:cityhub:problem:camera-not-publishable',
          title: 'Conflict',
          status: 409,
          detail: !camera.enabled
            ? `camera ${camera.id} is disabled; enable it first (PATCH {"enabled": true})`
            : `camera ${camera.id} is an rtsp camera: the hub pulls it, it does not publish`,
          instance: request.url,
        });
      }
      let disconnected: boolean | undefined;
      if (request.body?.revokePrevious) {
        // The version first: a publisher cut off below and reconnecting at once is already refused.
        camera = await registry.revokePublishKeys(camera.id);
        disconnected = media.disconnect(camera.id);
        request.log.warn(
          { cameraId: camera.id, keyVersion: camera.publishKeyVersion, disconnected },
          'publish keys revoked',
        );
      }
      const { url, expiresAt } = media.publishUrl(camera.id, request.body?.ttlS ?? PUBLISH_KEY_TTL_S.default);
      request.log.info({ cameraId: camera.id, expiresAt, keyVersion: camera.publishKeyVersion }, 'publish key issued');
      return {
        url,
        expiresAt: expiresAt.toISOString(),
        keyVersion: camera.publishKeyVersion,
        ...(disconnected === undefined ? {} : { disconnected }),
      };
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/cameras/:id/play',
    {
      onRequest: anyone,
      schema: {
        summary: `An HTTP-FLV URL for the browser player (mpegts.js), with a token valid ${PLAY_URL_TTL_S} s`,
        tags,
        params: IdParams,
        response: {
          200: Type.Object(
            { url: Type.String(), expiresAt: DateTime, live: Type.Boolean() },
            { additionalProperties: false },
          ),
          ...problems(401, 404, 503),
        },
      },
    },
    async (request, reply) => {
      const camera = await registry.get(request.params.id);
      if (!media) return noVideo(reply, request.url);
      const { url, expiresAt } = media.playUrl(camera.id, PLAY_URL_TTL_S);
      return { url, expiresAt: expiresAt.toISOString(), live: media.isLive(camera.id) };
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/cameras/:id/snapshot',
    {
      onRequest: anyone,
      schema: {
        summary: 'What the camera sees now, a JPEG (409 when it is not live)',
        tags,
        params: IdParams,
        response: {
          200: { description: 'image/jpeg', type: 'string', format: 'binary' },
          ...problems(401, 404, 409, 503),
        },
      },
    },
    async (request, reply) => {
      const camera = await registry.get(request.params.id);
      if (!media) return noVideo(reply, request.url);
      if (!media.isLive(camera.id)) {
        return sendProblem(reply, {
          type: 'urn:cityhub:problem:camera-offline',
          title: 'Conflict',
          status: 409,
          detail: `camera ${camera.id} is not sending video now (status ${camera.status}); try again when it is online`,
          instance: request.url,
        });
      }
      let jpeg: Uint8Array;
      try {
        jpeg = await media.snapshot(camera.id);
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code !== 'NotLive' && code !== 'SnapshotFailed') throw err;
        return sendProblem(reply, {
          type: code === 'NotLive' ? 'urn:cityhub:problem:camera-offline' : 'urn:cityhub:problem:snapshot-failed',
          title: code === 'NotLive' ? 'Conflict' : 'Service Unavailable',
          status: code === 'NotLive' ? 409 : 503,
          detail: (err as Error).message,
          instance: request.url,
        });
      }
      return reply.type('image/jpeg').header('cache-control', 'no-store').send(Buffer.from(jpeg));
    },
  );
}
