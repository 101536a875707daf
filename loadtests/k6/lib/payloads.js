// k6 负载内容 what the k6 scenarios send: device ids, the hub's position and telemetry JSON (the same shape the Node
// generator builds, loadtests/generator-core.ts), a case report, the API paths with their query strings, and what
// a map client reads back out of a `positions` delta. Pure, so loadtests/k6/k6.test.ts runs it under Node.

/** 泉城广场, the middle of Jinan's old town. */
export const JINAN_CENTER = { lat: 36.6612, lon: 117.0188 };
const M_PER_DEG_LAT = 111320;

/**
 * `bench-00001` for (`bench-`, 1), as loadtests/provision.ts names provisioned devices.
 * @param {string} prefix
 * @param {number} n
 */
export function deviceId(prefix, n) {
  return `${prefix}${String(n).padStart(5, '0')}`;
}

/**
 * A deterministic pseudo-random source (mulberry32), so a VU's device moves the same way in every run.
 * @param {number} seed
 * @returns {() => number}
 */
export function seeded(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * @typedef {object} Fix
 * @property {number} timeMs
 * @property {number} lat
 * @property {number} lon
 * @property {number} speedKmh
 * @property {number} course
 */

/**
 * A vehicle wandering within ~4 km of the centre at 0–60 km/h; fix times strictly increase (the hub keeps one fix
 * per device and millisecond).
 * @param {number} seed
 */
export function createMover(seed) {
  const random = seeded(seed);
  const r = 3000 * Math.sqrt(random());
  const a = random() * 2 * Math.PI;
  let north = r * Math.cos(a);
  let east = r * Math.sin(a);
  let speedKmh = 10 + random() * 40;
  let course = random() * 360;
  let lastMs = -Infinity;
  /**
   * @param {number} nowMs
   * @returns {Fix}
   */
  return (nowMs) => {
    const timeMs = nowMs > lastMs ? Math.floor(nowMs) : lastMs + 1;
    const dtS = Number.isFinite(lastMs) ? Math.min((timeMs - lastMs) / 1000, 60) : 0;
    lastMs = timeMs;
    speedKmh = Math.min(60, Math.max(0, speedKmh + (random() - 0.5) * 6));
    course = (course + (random() - 0.5) * 20 + 360) % 360;
    if (Math.hypot(north, east) > 4000) course = ((Math.atan2(-east, -north) * 180) / Math.PI + 360) % 360;
    const d = (speedKmh / 3.6) * dtS;
    north += d * Math.cos((course * Math.PI) / 180);
    east += d * Math.sin((course * Math.PI) / 180);
    const lat = JINAN_CENTER.lat + north / M_PER_DEG_LAT;
    const lon = JINAN_CENTER.lon + east / (M_PER_DEG_LAT * Math.cos((lat * Math.PI) / 180));
    return { timeMs, lat, lon, speedKmh, course };
  };
}

/**
 * The hub's position JSON: `{"time","lat","lon","speedKmh","course"}`, course below 360.
 * @param {Fix} fix
 */
export function positionPayload(fix) {
  let course = Math.round(fix.course * 10) / 10;
  if (course >= 360) course = 0;
  return JSON.stringify({
    time: new Date(fix.timeMs).toISOString(),
    lat: Number(fix.lat.toFixed(6)),
    lon: Number(fix.lon.toFixed(6)),
    speedKmh: Math.round(fix.speedKmh * 10) / 10,
    course,
  });
}

/**
 * A sensor's telemetry JSON `{"time","metrics":{…}}` (topic devices/{id}/telemetry).
 * @param {number} timeMs
 * @param {Record<string, number>} metrics
 */
export function telemetryPayload(timeMs, metrics) {
  return JSON.stringify({ time: new Date(timeMs).toISOString(), metrics });
}

/**
 * A hotline report (热线上报) at a random spot of the old town: the body of POST /api/cases.
 * @param {() => number} random
 */
export function caseReport(random) {
  return {
    source: 'hotline',
    classCode: 'component:0101',
    lon: Number((JINAN_CENTER.lon + (random() - 0.5) * 0.05).toFixed(6)),
    lat: Number((JINAN_CENTER.lat + (random() - 0.5) * 0.04).toFixed(6)),
    description: 'k6: 井盖破损',
  };
}

/** The API paths the scenarios load, with their query strings. */
export const API_PATHS = {
  /** The acceptance queue (受理队列): reported cases, newest first. */
  caseQueue: '/api/cases?state=reported&limit=50',
  /** Every device's latest fix (the map's first paint). */
  mapSnapshot: '/api/positions/latest',
  /**
   * One device's track over [fromMs, toMs): all fixes (up to 100,000), or thinned for playback.
   * @param {string} id
   * @param {number} fromMs
   * @param {number} toMs
   * @param {number} [maxPoints]
   */
  track(id, fromMs, toMs, maxPoints) {
    const range = `from=${new Date(fromMs).toISOString()}&to=${new Date(toMs).toISOString()}`;
    const thin = maxPoints ? `&maxPoints=${maxPoints}` : '&limit=100000';
    return `/api/devices/${encodeURIComponent(id)}/track?${range}${thin}`;
  },
};

/**
 * 00:00 Beijing time (UTC+8) of the day before `nowMs`: a whole past day (loadtests/bench-api.ts seeds it).
 * @param {number} nowMs
 */
export function yesterdayBeijingMs(nowMs) {
  return Math.floor((nowMs + 8 * 3600000) / 86400000) * 86400000 - 8 * 3600000 - 86400000;
}

/**
 * Latencies (ms) of the positions of a `positions` delta: arrival − fix time, for the load's devices only.
 * @param {unknown} delta  the event's data: { positions: [{ deviceId, time, … }] }
 * @param {number} nowMs
 * @param {string} [idPrefix]
 * @returns {number[]}
 */
export function deltaLatencies(delta, nowMs, idPrefix) {
  const positions = /** @type {{ positions?: { deviceId?: unknown, time?: unknown }[] }} */ (delta)?.positions;
  if (!Array.isArray(positions)) return [];
  /** @type {number[]} */
  const out = [];
  for (const p of positions) {
    if (typeof p?.deviceId !== 'string' || typeof p.time !== 'string') continue;
    if (idPrefix && !p.deviceId.startsWith(idPrefix)) continue;
    const t = Date.parse(p.time);
    if (Number.isFinite(t)) out.push(nowMs - t);
  }
  return out;
}
