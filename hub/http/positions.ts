// Positions API (定位查询): each device's latest fix for the map, and a device's track over a time range. Vehicles,
// sensors and cameras are public; a collector's positions are a person's (个人位置, hub/positions/access.ts): only for
// a session of a supervision role, or of the collector whose handheld it is.
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { DatabaseFeatures } from '../db/pool.js';
import { maySee, PERSONAL_POSITION_ROLES, type PositionAccess } from '../positions/access.js';
import { deviceTrack, latestPositions } from '../positions/store.js';
import { sendForbidden, sendUnauthorized } from './guard.js';
import { problemResponses, problemSchema, sendProblem } from './problem.js';

export interface PositionsDeps {
  pool: pg.Pool;
  features: DatabaseFeatures;
  access: PositionAccess;
}

const problems = problemResponses(problemSchema());

const nullableNumber = { type: ['number', 'null'] } as const;

const pointFeature = {
  type: 'object',
  required: ['type', 'geometry', 'properties'],
  properties: {
    type: { const: 'Feature' },
    id: { type: 'string' },
    geometry: {
      type: 'object',
      properties: { type: { const: 'Point' }, coordinates: { type: 'array', items: { type: 'number' } } },
    },
    properties: {
      type: 'object',
      properties: {
        deviceId: { type: 'string' },
        time: { type: 'string', format: 'date-time' },
        speedKmh: nullableNumber,
        course: nullableNumber,
        state: { type: ['string', 'null'], description: 'online, offline, sleeping or fault; null: never reported' },
        stateTime: { type: ['string', 'null'], format: 'date-time' },
      },
    },
  },
} as const;

const MAX_TRACK_RANGE_MS = 31 * 24 * 3600 * 1000;

export async function positionRoutes(app: FastifyInstance, deps: PositionsDeps): Promise<void> {
  app.get(
    '/api/positions/latest',
    {
      schema: {
        summary: "Each device's latest position, as a GeoJSON FeatureCollection",
        description:
          "No login needed for vehicles, sensors and cameras. Collectors' handhelds (people) are included only for a " +
          `session of one of the roles ${PERSONAL_POSITION_ROLES.join(', ')}, or a collector's own handheld (linked by ` +
          'staff number); an anonymous request, or one whose token is not a live session, gets the rest.',
        response: {
          200: {
            type: 'object',
            properties: { type: { const: 'FeatureCollection' }, features: { type: 'array', items: pointFeature } },
          },
        },
      },
    },
    async (request, reply) => {
      const [viewer, latest] = await Promise.all([
        deps.access.viewerFor(request.headers.authorization),
        latestPositions(deps.pool),
      ]);
      // The answer depends on who asks: a shared cache must not hand a supervisor's view to the next caller.
      reply.header('vary', 'authorization');
      return {
        type: 'FeatureCollection',
        features: latest
          .filter((p) => maySee(viewer, p.deviceId, p.kind))
          .map((p) => ({
            type: 'Feature',
            id: p.deviceId,
            geometry: { type: 'Point', coordinates: [p.lon, p.lat] },
            properties: {
              deviceId: p.deviceId,
              time: new Date(p.timeMs).toISOString(),
              speedKmh: p.speedKmh,
              course: p.course,
              state: p.state,
              stateTime: p.stateTimeMs === null ? null : new Date(p.stateTimeMs).toISOString(),
            },
          })),
      };
    },
  );

  app.get<{
    Params: { deviceId: string };
    Querystring: { from: string; to: string; bucketS?: number; maxPoints?: number; limit: number };
  }>(
    '/api/devices/:deviceId/track',
    {
      schema: {
        summary:
          "A device's track between two instants as a GeoJSON LineString (flagged fixes left out), optionally one fix " +
          'per time bucket — chosen with bucketS, or by the hub with maxPoints (for playback at screen resolution)',
        description:
          "A collector's track (a person's) needs a session of one of the roles " +
          `${PERSONAL_POSITION_ROLES.join(', ')}, or of the collector whose handheld it is (401 without a session, 403 ` +
          'with another); a device no longer registered counts as a collector. Other devices need no login.',
        params: { type: 'object', properties: { deviceId: { type: 'string', minLength: 1, maxLength: 64 } } },
        querystring: {
          type: 'object',
          required: ['from', 'to'],
          properties: {
            from: { type: 'string', format: 'date-time' },
            to: { type: 'string', format: 'date-time' },
            bucketS: { type: 'integer', minimum: 1, maximum: 86400 },
            maxPoints: {
              type: 'integer',
              minimum: 2,
              maximum: 100000,
              description: 'Without bucketS: thin a range holding more fixes than this to about this many',
            },
            limit: { type: 'integer', minimum: 1, maximum: 100000, default: 10000 },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              type: { const: 'Feature' },
              geometry: {
                type: 'object',
                properties: {
                  type: { const: 'LineString' },
                  coordinates: { type: 'array', items: { type: 'array', items: { type: 'number' } } },
                },
              },
              properties: {
                type: 'object',
                properties: {
                  deviceId: { type: 'string' },
                  times: { type: 'array', items: { type: 'string', format: 'date-time' } },
                  speedsKmh: { type: 'array', items: nullableNumber },
                  courses: { type: 'array', items: nullableNumber },
                  bucketS: { type: ['integer', 'null'], description: 'The bucket the fixes were thinned with' },
                  truncated: { type: 'boolean', description: 'More fixes than `limit`: the track stops early' },
                },
              },
            },
          },
          ...problems(400, 401, 403),
        },
      },
    },
    async (request, reply) => {
      const allowed = await deps.access.track(request.headers.authorization, request.params.deviceId);
      if (allowed === 'unauthenticated') return sendUnauthorized(request, reply);
      if (allowed === 'forbidden') {
        return sendForbidden(request, reply, {
          detail:
            "a collector's track is personal data: it needs one of the roles " +
            `${PERSONAL_POSITION_ROLES.join(', ')}, or the handheld must be your own (your staff number in the registry)`,
          requiredRoles: PERSONAL_POSITION_ROLES,
        });
      }
      const fromMs = Date.parse(request.query.from);
      const toMs = Date.parse(request.query.to);
      if (!(toMs > fromMs) || toMs - fromMs > MAX_TRACK_RANGE_MS) {
        return sendProblem(reply, {
          type: 'urn:cityhub:problem:validation',
          title: 'Bad Request',
          status: 400,
          detail: '`to` must be after `from`, and the range at most 31 days',
          instance: request.url,
        });
      }
      const track = await deviceTrack(deps.pool, deps.features, {
        deviceId: request.params.deviceId,
        fromMs,
        toMs,
        bucketS: request.query.bucketS,
        maxPoints: request.query.maxPoints,
        limit: request.query.limit,
      });
      const points = track.points;
      return {
        type: 'Feature',
        geometry: { type: 'LineString', coordinates: points.map((p) => [p.lon, p.lat]) },
        properties: {
          deviceId: request.params.deviceId,
          times: points.map((p) => new Date(p.timeMs).toISOString()),
          speedsKmh: points.map((p) => p.speedKmh),
          courses: points.map((p) => p.course),
          bucketS: track.bucketS,
          truncated: track.truncated,
        },
      };
    },
  );
}
