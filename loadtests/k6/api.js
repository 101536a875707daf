/* global __ENV */
// k6 HTTP API 场景 the hub's HTTP API under k6: the acceptance queue (受理队列), the map snapshot and one vehicle's
// day of track, each at its own constant arrival rate, with per-endpoint thresholds (lib/thresholds.js).
//
//   k6 run -e HUB_URL=http://127.0.0.1:8080 -e TOKEN=<admin token or a session token> \
//       -e TRACK_DEVICE=<a vehicle with yesterday's fixes> -e RATE=20 -e DURATION=60s loadtests/k6/api.js
//   docker compose --profile loadtest run --rm k6 run -e TOKEN=… /scripts/api.js
//
// RATE is the case-queue requests/s; the map snapshot gets RATE/2 and the track query RATE/10 (a dispatcher opens a
// track now and then). Without TRACK_DEVICE the track scenario is left out. loadtests/bench-api.ts seeds such a device.
import { check } from 'k6';
import http from 'k6/http';
import { hubConfig } from './lib/config.js';
import { API_PATHS, yesterdayBeijingMs } from './lib/payloads.js';
import { apiThresholds, constantRate } from './lib/thresholds.js';

const config = hubConfig(__ENV, { rate: 20, vus: 20, duration: '30s' });
const trackDevice = __ENV.TRACK_DEVICE;

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: {
    caseQueue: constantRate('caseQueue', config.rate, config.duration, config.vus),
    mapSnapshot: constantRate('mapSnapshot', config.rate / 2, config.duration, config.vus),
    ...(trackDevice ? { trackDay: constantRate('trackDay', Math.max(1, config.rate / 10), config.duration, 4) } : {}),
  },
  thresholds: apiThresholds(),
  summaryTrendStats: ['avg', 'p(50)', 'p(90)', 'p(99)', 'max'],
};

const auth = config.token ? { authorization: `Bearer ${config.token}` } : undefined;

export function caseQueue() {
  const res = http.get(`${config.httpUrl}${API_PATHS.caseQueue}`, {
    headers: auth,
    tags: { endpoint: 'case-queue' },
  });
  check(res, { 'case queue 200': (r) => r.status === 200 });
}

export function mapSnapshot() {
  const res = http.get(`${config.httpUrl}${API_PATHS.mapSnapshot}`, { tags: { endpoint: 'map-snapshot' } });
  check(res, {
    'map snapshot 200': (r) => r.status === 200,
    'map snapshot is a FeatureCollection': (r) => typeof r.body === 'string' && r.body.includes('FeatureCollection'),
  });
}

export function trackDay() {
  const from = yesterdayBeijingMs(Date.now());
  const res = http.get(`${config.httpUrl}${API_PATHS.track(trackDevice ?? '', from, from + 86400000)}`, {
    tags: { endpoint: 'track-day' },
  });
  check(res, { 'track 200': (r) => r.status === 200 });
}
