// Positions API (定位查询): each device's latest fix for the map, and a device's track over a time range.
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { DatabaseFeatures } from '../db/pool.js';
import { deviceTrack, latestPositions } from '../positions/store.js';
import { sendProblem } from './problem.js';

export interface PositionsDeps {
  pool: pg.Pool;
  features: DatabaseFeatures;
}

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
        response: {
          200: {
            type: 'object',
            properties: { type: { const: 'FeatureCollection' }, features: { type: 'array', items: pointFeature } },
          },
        },
      },
    },
    async () => {
      const latest = await latestPositions(deps.pool);
      return {
        type: 'FeatureCollection',
        features: latest.map((p) => ({
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
    Querystring: { from: string; to: string; bucketS?: number; limit: number };
  }>(
    '/api/devices/:deviceId/track',
    {
      schema: {
        summary: "A device's track between two instants as a GeoJSON LineString, optionally one fix per time bucket",
        params: { type: 'object', properties: { deviceId: { type: 'string', minLength: 1, maxLength: 64 } } },
        querystring: {
          type: 'object',
          required: ['from', 'to'],
          properties: {
            from: { type: 'string', format: 'date-time' },
            to: { type: 'string', format: 'date-time' },
            bucketS: { type: 'integer', minimum: 1, maximum: 86400 },
            limit: { type: 'integer', minimum: 1, maximum: 100000, default: 10000 },
          },
        },
      },
    },
    async (request, reply) => {
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
      const points = await deviceTrack(deps.pool, deps.features, {
        deviceId: request.params.deviceId,
        fromMs,
        toMs,
        bucketS: request.query.bucketS,
        limit: request.query.limit,
      });
      return {
        type: 'Feature',
        geometry: { type: 'LineString', coordinates: points.map((p) => [p.lon, p.lat]) },
        properties: {
          deviceId: request.params.deviceId,
          times: points.map((p) => new Date(p.timeMs).toISOString()),
          speedsKmh: points.map((p) => p.speedKmh),
        },
      };
    },
  );
}
