// 设备管理接口 device registry API: register, list, edit, enable/disable devices, rotate their MQTT credentials, import a
// CSV of devices, and create service accounts. Admins only on every route: a user with the role admin (the admin
// screens) or the admin token (scripts, the demo), both as the session authenticator knows them.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { DEVICE_ID_PATTERN } from '../../ingest/mqtt/topics.js';
import {
  CSV_COLUMNS,
  DEVICE_KINDS,
  LIMITS,
  RegistryError,
  type Device,
  type DeviceKind,
  type DeviceRegistry,
} from '../devices/registry.js';
import { acceptCsvBodies, requireMediaType } from './content-type.js';
import { requireRoles, type Authenticator } from './guard.js';
import { errorsMember, handleDomainErrors, problemResponses, problemSchema, type ProblemTable } from './problem.js';
import { useStrictValidation } from './validation.js';

export interface DeviceRoutesOptions {
  registry: DeviceRegistry;
  /** Admits actors with the role admin (hub/auth's sessions also map the ADMIN_TOKEN to one). */
  auth: Authenticator;
}

/** 10 MiB holds 20,000 rows with room for attributes. */
export const CSV_BODY_LIMIT = 10 * 1024 * 1024;

const tags = ['devices'];

// `type: [x, 'null']` like the other routes (OpenAPI 3.0 tooling renders it better than anyOf with a null schema).
const Nullable = <T>(type: 'string' | 'integer', extra: Record<string, unknown> = {}) =>
  Type.Unsafe<T | null>({ type: [type, 'null'], ...extra });

const DeviceIdSchema = Type.String({
  pattern: DEVICE_ID_PATTERN.source,
  description: 'Device id, also its MQTT username: 1–64 characters from A–Z a–z 0–9 . _ : -',
});
const KindSchema = Type.Unsafe<DeviceKind>({
  type: 'string',
  enum: [...DEVICE_KINDS],
  description: 'vehicle (车辆), collector (采集员终端), sensor (传感器) or camera (摄像头)',
});
const GridCodeSchema = Type.String({ pattern: '^[0-9]{15}$', description: 'Unit grid code (单元网格), 15 digits' });
const AttributesSchema = Type.Record(Type.String(), Type.Unknown(), {
  description: `Free-form properties (stored as jsonb), at most ${LIMITS.attributesBytes} bytes`,
});

const editable = {
  kind: KindSchema,
  name: Type.String({ minLength: 1, maxLength: LIMITS.name, description: 'Display name' }),
  plate: Nullable<string>('string', { maxLength: LIMITS.plate, description: 'Licence plate (车牌), vehicles' }),
  staffId: Nullable<string>('string', { maxLength: LIMITS.staffId, description: 'Staff number (工号), collectors' }),
  department: Nullable<string>('string', { maxLength: LIMITS.department, description: 'Owning department' }),
  gridCodes: Type.Array(GridCodeSchema, { maxItems: LIMITS.gridCodes, description: 'Assigned unit grid cells' }),
  attributes: AttributesSchema,
  expectedIntervalS: Nullable<number>('integer', {
    minimum: 1,
    maximum: LIMITS.expectedIntervalS,
    description: 'A device silent for longer than this many seconds is stale; null: never stale',
  }),
  enabled: Type.Boolean({ description: 'A disabled device cannot log in to the MQTT broker' }),
};

const CreateBody = Type.Object(
  {
    id: DeviceIdSchema,
    kind: editable.kind,
    name: editable.name,
    plate: Type.Optional(editable.plate),
    staffId: Type.Optional(editable.staffId),
    department: Type.Optional(editable.department),
    gridCodes: Type.Optional(editable.gridCodes),
    attributes: Type.Optional(editable.attributes),
    expectedIntervalS: Type.Optional(editable.expectedIntervalS),
    enabled: Type.Optional(editable.enabled),
  },
  { additionalProperties: false },
);

const PatchBody = Type.Partial(Type.Object(editable, { additionalProperties: false }));

const DateTime = Type.String({ format: 'date-time' });
const DeviceSchema = Type.Object(
  {
    id: Type.String(),
    kind: KindSchema,
    name: Type.String(),
    plate: Nullable<string>('string'),
    staffId: Nullable<string>('string'),
    department: Nullable<string>('string'),
    gridCodes: Type.Array(Type.String()),
    attributes: Type.Object({}, { additionalProperties: true }),
    expectedIntervalS: Nullable<number>('integer'),
    enabled: Type.Boolean(),
    credentialRotatedAt: Nullable<string>('string', { format: 'date-time' }),
    createdAt: DateTime,
    updatedAt: DateTime,
    lastSeenAt: Nullable<string>('string', { format: 'date-time' }),
    stale: Type.Boolean({ description: 'Has an expected interval and was never seen or not within it' }),
  },
  { additionalProperties: false },
);

const CredentialSchema = Type.String({
  description: 'The MQTT password. Shown this once: only its hash is stored.',
});

const ListQuery = Type.Object(
  {
    kind: Type.Optional(KindSchema),
    enabled: Type.Optional(Type.Boolean()),
    department: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.department })),
    grid: Type.Optional(GridCodeSchema),
    q: Type.Optional(
      Type.String({ maxLength: 100, description: 'Substring of id, name, plate or staff id, case-insensitive' }),
    ),
    stale: Type.Optional(Type.Boolean()),
    limit: Type.Integer({ minimum: 1, maximum: LIMITS.pageSize, default: 100 }),
    offset: Type.Integer({ minimum: 0, maximum: 1_000_000_000, default: 0 }),
  },
  { additionalProperties: false },
);

const IdParams = Type.Object({ deviceId: DeviceIdSchema });

const problems = problemResponses(
  problemSchema(
    Type.Object(
      {
        row: Type.Optional(Type.Integer()),
        id: Type.Optional(Type.String()),
        field: Type.Optional(Type.String()),
        message: Type.String(),
      },
      { additionalProperties: false },
    ),
  ),
);

const ImportRowError = Type.Object(
  {
    row: Type.Integer({ description: 'Row of the file, the header being row 1' }),
    id: Type.Optional(Type.String()),
    field: Type.Optional(Type.String({ description: 'The CSV column at fault' })),
    message: Type.String(),
  },
  { additionalProperties: false },
);
const ImportReportSchema = Type.Object(
  {
    created: Type.Array(
      Type.Object(
        { row: Type.Integer(), id: Type.String(), credential: CredentialSchema },
        { additionalProperties: false },
      ),
    ),
    errors: Type.Array(ImportRowError),
  },
  { additionalProperties: false },
);

const ServiceAccountBody = Type.Object(
  {
    name: Type.String({ pattern: DEVICE_ID_PATTERN.source, description: 'Logs in to MQTT as `svc:{name}`' }),
    description: Type.Optional(Type.String({ maxLength: LIMITS.serviceDescription })),
  },
  { additionalProperties: false },
);

function deviceDto(d: Device) {
  return {
    ...d,
    credentialRotatedAt: d.credentialRotatedAt?.toISOString() ?? null,
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
    lastSeenAt: d.lastSeenAt?.toISOString() ?? null,
  };
}

const PROBLEM_OF: ProblemTable<RegistryError> = {
  DeviceNotFound: { status: 404, type: 'urn:cityhub:problem:device-not-found', title: 'Not Found' },
  DeviceExists: { status: 409, type: 'urn:cityhub:problem:device-exists', title: 'Conflict' },
  ServiceAccountExists: { status: 409, type: 'urn:cityhub:problem:service-account-exists', title: 'Conflict' },
  InvalidDevice: { status: 400, type: 'urn:cityhub:problem:validation', title: 'Bad Request' },
  InvalidQuery: { status: 400, type: 'urn:cityhub:problem:validation', title: 'Bad Request' },
  InvalidServiceAccount: { status: 400, type: 'urn:cityhub:problem:validation', title: 'Bad Request' },
  InvalidCsv: { status: 400, type: 'urn:cityhub:problem:invalid-csv', title: 'Bad Request' },
};

export async function deviceRoutes(app: FastifyInstance, opts: DeviceRoutesOptions): Promise<void> {
  const { registry } = opts;
  // Every route of this plugin (and only these: the hook is encapsulated) needs an admin.
  app.addHook('onRequest', requireRoles(opts.auth, ['admin']));
  useStrictValidation(app);
  handleDomainErrors(app, [RegistryError], PROBLEM_OF, (error) =>
    errorsMember(error.issues.length ? error.issues : error.csvErrors),
  );
  acceptCsvBodies(app, CSV_BODY_LIMIT);

  // Credentials are in these answers: no cache may keep them.
  const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store');

  app.post<{ Body: Static<typeof CreateBody> }>(
    '/api/devices',
    {
      schema: {
        summary: 'Register a device; the answer holds its MQTT credential, shown this once',
        tags,
        body: CreateBody,
        response: {
          201: Type.Object({ device: DeviceSchema, credential: CredentialSchema }, { additionalProperties: false }),
          ...problems(400, 401, 403, 409),
        },
      },
    },
    async (request, reply) => {
      const { device, credential } = await registry.create(request.body);
      return noStore(reply.code(201)).send({ device: deviceDto(device), credential });
    },
  );

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/api/devices',
    {
      schema: {
        summary: 'List devices, filtered and paged, ordered by id',
        tags,
        querystring: ListQuery,
        response: {
          200: Type.Object(
            {
              items: Type.Array(DeviceSchema),
              total: Type.Integer({ description: 'Devices matching the filters, on all pages' }),
              limit: Type.Integer(),
              offset: Type.Integer(),
            },
            { additionalProperties: false },
          ),
          ...problems(400, 401, 403),
        },
      },
    },
    async (request) => {
      const { limit, offset, ...filter } = request.query;
      const page = await registry.list(filter, { limit, offset });
      return { ...page, items: page.items.map(deviceDto) };
    },
  );

  // The POST routes below carry no body: the action is in the path.
  const deviceRoute = (summary: string, response: TSchema, extra: Record<string, unknown> = {}) => ({
    schema: {
      summary,
      tags,
      params: IdParams,
      ...extra,
      response: { 200: response, ...problems(400, 401, 403, 404) },
    },
  });

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/devices/:deviceId',
    deviceRoute('One device', DeviceSchema),
    async (request) => deviceDto(await registry.get(request.params.deviceId)),
  );

  app.patch<{ Params: Static<typeof IdParams>; Body: Static<typeof PatchBody> }>(
    '/api/devices/:deviceId',
    deviceRoute('Change a device (anything but its id and credential); null clears a field', DeviceSchema, {
      body: PatchBody,
    }),
    async (request) => deviceDto(await registry.update(request.params.deviceId, request.body)),
  );

  app.post<{ Params: Static<typeof IdParams> }>(
    '/api/devices/:deviceId/disable',
    deviceRoute('Disable a device: it can no longer log in to the MQTT broker', DeviceSchema),
    async (request) => deviceDto(await registry.setEnabled(request.params.deviceId, false)),
  );

  app.post<{ Params: Static<typeof IdParams> }>(
    '/api/devices/:deviceId/enable',
    deviceRoute('Enable a device again', DeviceSchema),
    async (request) => deviceDto(await registry.setEnabled(request.params.deviceId, true)),
  );

  app.post<{ Params: Static<typeof IdParams> }>(
    '/api/devices/:deviceId/credential',
    deviceRoute(
      'Rotate the MQTT credential: the old one stops working at once; the new one is shown this once',
      Type.Object({ credential: CredentialSchema }, { additionalProperties: false }),
    ),
    async (request, reply) => {
      const credential = await registry.rotateCredential(request.params.deviceId);
      return noStore(reply).send({ credential });
    },
  );

  app.post<{ Body: string }>(
    '/api/devices/import',
    {
      bodyLimit: CSV_BODY_LIMIT,
      schema: {
        summary: `Register devices from a CSV file (at most ${LIMITS.csvRows} rows); valid rows are created even when others fail`,
        description:
          `Header row with the columns ${CSV_COLUMNS.join(',')} (id, kind and name required, any order). ` +
          'grid_codes separated by `;`, attributes as JSON text. UTF-8 (with or without a byte order mark) or ' +
          'GB18030/GBK as Excel writes it; a charset parameter in the content type is honoured. Rows are numbered ' +
          'from the header (row 1). The answer holds each new device’s credential, shown this once.',
        tags,
        consumes: ['text/csv'],
        body: Type.String({ description: 'The CSV file' }),
        response: { 200: ImportReportSchema, ...problems(400, 401, 403, 413, 415) },
      },
      preValidation: requireMediaType('text/csv', 'send the file with `Content-Type: text/csv`'),
    },
    async (request, reply) => noStore(reply).send(await registry.importCsv(request.body)),
  );

  app.post<{ Body: Static<typeof ServiceAccountBody> }>(
    '/api/service-accounts',
    {
      schema: {
        summary: 'Create a service account for an internal MQTT service; its credential is shown this once',
        tags,
        body: ServiceAccountBody,
        response: {
          201: Type.Object({ name: Type.String(), credential: CredentialSchema }, { additionalProperties: false }),
          ...problems(400, 401, 403, 409),
        },
      },
    },
    async (request, reply) => {
      const credential = await registry.createServiceAccount(request.body.name, request.body.description);
      return noStore(reply.code(201)).send({ name: request.body.name, credential });
    },
  );
}
