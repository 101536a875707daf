// MQTT payload schemas (报文格式): the JSON each device topic carries, as JSON Schema (TypeBox) — one definition used
// to validate, to type the code and to document the protocol. Pure: bytes in, a Position or a Rejection out.
import { Type, type Static } from '@sinclair/typebox';
import { Ajv, type ErrorObject } from 'ajv';
import { Rejection, type Position } from '../observation.js';

export const MAX_POSITION_PAYLOAD_BYTES = 16 * 1024;

export const PositionPayload = Type.Object(
  {
    time: Type.Union([Type.String({ format: 'date-time' }), Type.Integer({ minimum: 0 })], {
      description: 'Fix time: ISO 8601 with a zone (e.g. 2026-11-25T08:00:00Z) or epoch milliseconds.',
    }),
    lat: Type.Number({ minimum: -90, maximum: 90, description: 'Latitude, WGS-84 degrees.' }),
    lon: Type.Number({ minimum: -180, maximum: 180, description: 'Longitude, WGS-84 degrees.' }),
    speedKmh: Type.Optional(Type.Number({ minimum: 0, maximum: 1000, description: 'Ground speed, km/h.' })),
    course: Type.Optional(
      Type.Number({ minimum: 0, exclusiveMaximum: 360, description: 'Heading, degrees clockwise from north.' }),
    ),
    altitudeM: Type.Optional(Type.Number({ minimum: -1000, maximum: 20000, description: 'Altitude, metres.' })),
    accuracyM: Type.Optional(Type.Number({ minimum: 0, description: 'Horizontal accuracy, metres.' })),
    attributes: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), { description: 'Anything else the device reports (kept as jsonb).' }),
    ),
  },
  { additionalProperties: false, $id: 'PositionPayload' },
);
export type PositionPayload = Static<typeof PositionPayload>;

const ajv = new Ajv({ allErrors: false, strict: true });
// The one format we use, checked strictly: RFC 3339 date-time with a zone, so a device never gets its local time
// silently read as UTC.
ajv.addFormat('date-time', {
  type: 'string',
  validate: (s: string) =>
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(s) && !Number.isNaN(Date.parse(s)),
});
const checkPosition = ajv.compile<PositionPayload>(PositionPayload);

function describe(error: ErrorObject | undefined): string {
  if (!error) return 'invalid payload';
  const where = error.instancePath ? error.instancePath.slice(1).replaceAll('/', '.') : 'payload';
  if (error.keyword === 'additionalProperties') {
    return `unknown field "${String(error.params.additionalProperty)}"`;
  }
  if (error.keyword === 'required') return `missing field "${String(error.params.missingProperty)}"`;
  return `${where} ${error.message ?? 'is invalid'}`;
}

function isRange(error: ErrorObject | undefined): boolean {
  return !!error && ['minimum', 'maximum', 'exclusiveMaximum', 'exclusiveMinimum'].includes(error.keyword);
}

function parseJson(payload: Buffer, maxBytes: number): unknown {
  if (payload.length > maxBytes) {
    throw new Rejection('payload_too_large', `payload is ${payload.length} bytes; the limit is ${maxBytes}`);
  }
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch (err) {
    throw new Rejection('malformed_json', `payload is not valid JSON: ${(err as Error).message}`);
  }
}

/** Decodes one position payload of `deviceId`; throws a Rejection saying what is wrong. */
export function decodePositionPayload(deviceId: string, payload: Buffer): Position {
  const json = parseJson(payload, MAX_POSITION_PAYLOAD_BYTES);
  if (!checkPosition(json)) {
    // Time union errors are reported by ajv as the union's members failing; say it plainly.
    const error = checkPosition.errors?.find((e) => !e.instancePath.startsWith('/time')) ?? checkPosition.errors?.[0];
    if (error?.instancePath.startsWith('/time')) {
      throw new Rejection('schema', 'time must be an ISO 8601 date-time with a zone or epoch milliseconds');
    }
    throw new Rejection(isRange(error) ? 'out_of_range' : 'schema', describe(error));
  }
  return {
    deviceId,
    timeMs: typeof json.time === 'number' ? json.time : Date.parse(json.time),
    lat: json.lat,
    lon: json.lon,
    speedKmh: json.speedKmh ?? null,
    course: json.course ?? null,
    altitudeM: json.altitudeM ?? null,
    accuracyM: json.accuracyM ?? null,
    source: 'mqtt',
    attributes: json.attributes ?? {},
  };
}
