// k6 阈值与场景 the pass/fail thresholds of the k6 scenarios — the same targets the Node suite prints
// (loadtests/suite-report.ts SUITE_TARGETS) — and the scenario (executor) settings built from a HubConfig. Pure;
// loadtests/k6/k6.test.ts checks them under Node, and a test keeps the two target lists in step.

/** Milliseconds and rates the scenarios must stay within. */
export const TARGETS = {
  /** The acceptance queue answers within half a second (p99). */
  caseQueueP99Ms: 500,
  /** The map snapshot, and a vehicle-day's track, within a second (p99). */
  mapSnapshotP99Ms: 1000,
  trackDayP99Ms: 1000,
  /** Publish → delta on the map within a second (p99). */
  mapDeltaP99Ms: 1000,
  /** QoS 1 PUBACKs (the hub acks after commit) within a second (p99). */
  positionAckP99Ms: 1000,
  /** Failed requests / connections: under 1 %. */
  failedRate: 0.01,
};

/** Thresholds of api.js: per endpoint (tagged), and errors overall. */
export function apiThresholds() {
  return {
    http_req_failed: [`rate<${TARGETS.failedRate}`],
    'http_req_duration{endpoint:case-queue}': [`p(99)<${TARGETS.caseQueueP99Ms}`],
    'http_req_duration{endpoint:map-snapshot}': [`p(99)<${TARGETS.mapSnapshotP99Ms}`],
    'http_req_duration{endpoint:track-day}': [`p(99)<${TARGETS.trackDayP99Ms}`],
    checks: [`rate>${1 - TARGETS.failedRate}`],
  };
}

/** Thresholds of live.js: delta latency, and clients that failed to connect or subscribe. */
export function liveThresholds() {
  return {
    map_delta_latency: [`p(99)<${TARGETS.mapDeltaP99Ms}`],
    map_client_failed: [`rate<${TARGETS.failedRate}`],
    map_deltas: ['count>0'],
  };
}

/** Thresholds of mqtt.js: PUBACK latency and failed publishes. */
export function mqttThresholds() {
  return {
    position_ack: [`p(99)<${TARGETS.positionAckP99Ms}`],
    position_failed: [`rate<${TARGETS.failedRate}`],
  };
}

/**
 * A constant-arrival-rate scenario: `rate` iterations per second for `duration`, with VUs pre-allocated (and at most
 * twice as many) so a slow hub shows up as latency and dropped iterations, not as a lower offered rate.
 * @param {string} exec  the exported function to run
 * @param {number} rate
 * @param {string} duration
 * @param {number} vus
 * @param {Record<string, string>} [tags]
 * @returns {import('k6/options').ConstantArrivalRateScenario}
 */
export function constantRate(exec, rate, duration, vus, tags) {
  return {
    executor: 'constant-arrival-rate',
    exec,
    rate: Math.max(1, Math.round(rate)),
    timeUnit: '1s',
    duration,
    preAllocatedVUs: vus,
    maxVUs: vus * 2,
    ...(tags ? { tags } : {}),
  };
}

/**
 * One iteration per VU, each VU holding its connection for the whole run (map clients, MQTT devices); the VUs
 * stagger their own start (see live.js, mqtt.js).
 * @param {string} exec
 * @param {number} vus
 * @param {string} maxDuration
 * @returns {import('k6/options').PerVUIterationsScenario}
 */
export function holdConnections(exec, vus, maxDuration) {
  return { executor: 'per-vu-iterations', exec, vus, iterations: 1, maxDuration };
}
