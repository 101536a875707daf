// MQTT payload schemas (报文格式): the JSON each device topic carries, as JSON Schema (TypeBox) — one definition used
// to validate, to type the code and to document the protocol (README and OpenAPI). Pure: bytes in, Observations or a
// Rejection out.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Rejection, type Observation } from '../observation.js';
import type { DeviceTopicKind } from './topics.js';

const Time = Type.Union([Type.String({ format: 'date-time' }), Type.Integer({ minimum: 0 })], {
  description: 'ISO 8601 with a zone (e.g. 2026-11-25T08:00:00Z) or epoch milliseconds.',
});
const Attributes = Type.Record(Type.String(), Type.Unknown(), {
  description: 'Anything else the device reports (kept as jsonb).',
});
const Lat = Type.Number({ minimum: -90, maximum: 90, description: 'Latitude, WGS-84 degrees.' });
const Lon = Type.Number({ minimum: -180, maximum: 180, description: 'Longitude, WGS-84 degrees.' });

export const PositionPayload = Type.Object(
  {
    time: Time,
    lat: Lat,
    lon: Lon,
    speedKmh: Type.Optional(Type.Number({ minimum: 0, maximum: 1000, description: 'Ground speed, km/h.' })),
    course: Type.Optional(
      Type.Number({ minimum: 0, exclusiveMaximum: 360, description: 'Heading, degrees clockwise from north.' }),
    ),
    altitudeM: Type.Optional(Type.Number({ minimum: -1000, maximum: 20000, description: 'Altitude, metres.' })),
    accuracyM: Type.Optional(Type.Number({ minimum: 0, description: 'Horizontal accuracy, metres.' })),
    attributes: Type.Optional(Attributes),
  },
  { additionalProperties: false, $id: 'PositionPayload', description: 'One position fix (定位).' },
);

export const MAX_BATCH_POSITIONS = 1000;
export const PositionBatchPayload = Type.Object(
  { positions: Type.Array(PositionPayload, { minItems: 1, maxItems: MAX_BATCH_POSITIONS }) },
  {
    additionalProperties: false,
    $id: 'PositionBatchPayload',
    description: 'Fixes buffered during a coverage gap, sent together (store and forward); oldest first is best.',
  },
);

export const TelemetryPayload = Type.Object(
  {
    time: Time,
    metrics: Type.Record(Type.String(), Type.Number(), {
      propertyNames: { pattern: '^[a-z][A-Za-z0-9_]{0,63}$' },
      minProperties: 1,
      maxProperties: 100,
      description: 'Metric name (camelCase, unit in the name: fillPct, tiltDeg, noiseDb) → value.',
    }),
    attributes: Type.Optional(Attributes),
  },
  { additionalProperties: false, $id: 'TelemetryPayload', description: 'Sensor or vehicle metrics (遥测).' },
);

export const StatusPayload = Type.Object(
  {
    time: Time,
    state: Type.Union([
      Type.Literal('online'),
      Type.Literal('offline'),
      Type.Literal('sleeping'),
      Type.Literal('fault'),
    ]),
    batteryPct: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
    signalDbm: Type.Optional(Type.Number({ minimum: -150, maximum: 0 })),
    attributes: Type.Optional(Attributes),
  },
  { additionalProperties: false, $id: 'StatusPayload', description: 'Device state (设备状态); also the last will.' },
);

export const ReportPayload = Type.Object(
  {
    reportId: Type.String({
      pattern: '^[A-Za-z0-9._:-]{8,64}$',
      description: 'Made by the handheld (a UUID is best), so a re-sent report is stored once.',
    }),
    time: Time,
    lat: Lat,
    lon: Lon,
    categoryCode: Type.String({
      pattern: '^((component|event):)?\\d{4}(\\d{2})?$',
      description:
        'Class code (部件/事件小类), e.g. component:0101 or event:0110; components and events are numbered separately, so a ' +
        'bare 0101 only works where one kind has it. 6 digits (010101): the first 4 are the class.',
    }),
    description: Type.String({ minLength: 1, maxLength: 2000 }),
    address: Type.Optional(Type.String({ maxLength: 200 })),
    photoIds: Type.Optional(
      Type.Array(Type.String({ pattern: '^[0-9a-f-]{36}$' }), {
        maxItems: 9,
        description: 'Ids returned by POST /api/media.',
      }),
    ),
  },
  { additionalProperties: false, $id: 'ReportPayload', description: "A collector's problem report (监督员上报)." },
);

export const AckPayload = Type.Object(
  {
    commandId: Type.String({ pattern: '^[0-9a-f-]{36}$' }),
    status: Type.Union([Type.Literal('ok'), Type.Literal('failed'), Type.Literal('unsupported')]),
    time: Type.Optional(Time),
    message: Type.Optional(Type.String({ maxLength: 500 })),
    result: Type.Optional(Attributes),
  },
  { additionalProperties: false, $id: 'AckPayload', description: 'Answer to a downlink command (指令应答).' },
);

/** The schema of each device topic kind, for validation and for the documentation. */
export const TOPIC_SCHEMAS = {
  position: PositionPayload,
  positions: PositionBatchPayload,
  telemetry: TelemetryPayload,
  status: StatusPayload,
  reports: ReportPayload,
  acks: AckPayload,
} as const satisfies Record<DeviceTopicKind, TSchema>;

/** Per-kind payload size limits: a batch may be big, a status message never is. */
export const MAX_PAYLOAD_BYTES: Record<DeviceTopicKind, number> = {
  position: 16 * 1024,
  positions: 512 * 1024,
  telemetry: 32 * 1024,
  status: 16 * 1024,
  reports: 32 * 1024,
  acks: 16 * 1024,
};

const ajv = new Ajv({ allErrors: false, strict: true });
// RFC 3339 date-time with a zone, checked strictly, so a device never gets its local time silently read as UTC.
ajv.addFormat('date-time', {
  type: 'string',
  validate: (s: string) =>
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(s) && !Number.isNaN(Date.parse(s)),
});
const validators = Object.fromEntries(
  Object.entries(TOPIC_SCHEMAS).map(([kind, schema]) => [kind, ajv.compile(schema)]),
) as Record<DeviceTopicKind, ValidateFunction>;

function describe(error: ErrorObject): string {
  const where = error.instancePath ? error.instancePath.slice(1).replaceAll('/', '.') : 'payload';
  if (error.keyword === 'additionalProperties') {
    const field = String(error.params.additionalProperty);
    return where === 'payload' ? `unknown field "${field}"` : `${where}: unknown field "${field}"`;
  }
  if (error.keyword === 'required') {
    const field = String(error.params.missingProperty);
    return where === 'payload' ? `missing field "${field}"` : `${where}: missing field "${field}"`;
  }
  if (error.keyword === 'propertyNames' || (error.keyword === 'pattern' && error.propertyName)) {
    const name = error.propertyName ?? String(error.params.propertyName ?? '');
    return `${where}: "${name}" is not a valid name (camelCase letters, digits, _)`;
  }
  return `${where} ${error.message ?? 'is invalid'}`;
}

const RANGE_KEYWORDS = new Set(['minimum', 'maximum', 'exclusiveMaximum', 'exclusiveMinimum']);

function firstProblem(errors: ErrorObject[] | null | undefined): Rejection {
  const list = errors ?? [];
  // A bad `time` fails every member of its union; report it plainly instead of as anyOf noise.
  const timeError = list.find((e) => /(^|\/)time$/.test(e.instancePath));
  if (timeError) {
    const where = timeError.instancePath.slice(1).replaceAll('/', '.');
    return new Rejection('schema', `${where} must be an ISO 8601 date-time with a zone or epoch milliseconds`);
  }
  const error = list[0];
  if (!error) return new Rejection('schema', 'invalid payload');
  return new Rejection(RANGE_KEYWORDS.has(error.keyword) ? 'out_of_range' : 'schema', describe(error));
}

const toMs = (time: string | number): number => (typeof time === 'number' ? time : Date.parse(time));

type PositionJson = Static<typeof PositionPayload>;

function position(deviceId: string, p: PositionJson): Observation {
  return {
    type: 'position',
    deviceId,
    timeMs: toMs(p.time),
    lat: p.lat,
    lon: p.lon,
    speedKmh: p.speedKmh ?? null,
    course: p.course ?? null,
    altitudeM: p.altitudeM ?? null,
    accuracyM: p.accuracyM ?? null,
    source: 'mqtt',
    attributes: p.attributes ?? {},
  };
}

/**
 * Decodes one device message into the observations it carries (several for a batch); throws a Rejection saying what
 * is wrong. `nowMs` stamps messages that carry no time of their own (acks).
 */
export function decodeDevicePayload(
  deviceId: string,
  kind: DeviceTopicKind,
  payload: Buffer,
  nowMs: number,
): Observation[] {
  const limit = MAX_PAYLOAD_BYTES[kind];
  if (payload.length > limit) {
    throw new Rejection('payload_too_large', `payload is ${payload.length} bytes; the limit for ${kind} is ${limit}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    throw new Rejection('malformed_json', `payload is not valid JSON: ${(err as Error).message}`);
  }
  const validate = validators[kind];
  if (!validate(json)) throw firstProblem(validate.errors);

  switch (kind) {
    case 'position':
      return [position(deviceId, json as PositionJson)];
    case 'positions':
      return (json as Static<typeof PositionBatchPayload>).positions.map((p) => position(deviceId, p));
    case 'telemetry': {
      const t = json as Static<typeof TelemetryPayload>;
      return [
        {
          type: 'telemetry',
          deviceId,
          timeMs: toMs(t.time),
          metrics: t.metrics,
          attributes: t.attributes ?? {},
          source: 'mqtt',
        },
      ];
    }
    case 'status': {
      const s = json as Static<typeof StatusPayload>;
      return [
        {
          type: 'status',
          deviceId,
          timeMs: toMs(s.time),
          state: s.state,
          batteryPct: s.batteryPct ?? null,
          signalDbm: s.signalDbm ?? null,
          attributes: s.attributes ?? {},
          source: 'mqtt',
        },
      ];
    }
    case 'reports': {
      const r = json as Static<typeof ReportPayload>;
      return [
        {
          type: 'report',
          deviceId,
          reportId: r.reportId,
          timeMs: toMs(r.time),
          lat: r.lat,
          lon: r.lon,
          categoryCode: r.categoryCode,
          description: r.description,
          address: r.address ?? null,
          photoIds: r.photoIds ?? [],
          source: 'mqtt',
        },
      ];
    }
    case 'acks': {
      const a = json as Static<typeof AckPayload>;
      return [
        {
          type: 'ack',
          deviceId,
          commandId: a.commandId,
          timeMs: a.time === undefined ? nowMs : toMs(a.time),
          status: a.status,
          message: a.message ?? null,
          result: a.result ?? {},
        },
      ];
    }
  }
}
