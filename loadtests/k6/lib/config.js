// k6 压测配置 the scenarios' settings from k6's environment (`-e NAME=value` or the process environment): where the
// hub is, how hard to push, for how long. Pure (an env object in, a config out), so loadtests/k6/k6.test.ts runs it
// under Node. Like the Node generators, the scenarios only ever target the loopback interface.

/**
 * @typedef {object} HubConfig
 * @property {string} httpUrl   the hub's HTTP API and socket.io, http://127.0.0.1:8080
 * @property {string} mqttUrl   its broker, mqtt://127.0.0.1:1883
 * @property {string} wsUrl     socket.io over WebSocket (Engine.IO 4), ws://127.0.0.1:8080/socket.io/?EIO=4&transport=websocket
 * @property {string | undefined} token  a bearer token: ADMIN_TOKEN, or a user's session token
 * @property {number} rate      requests (or messages) per second the scenario offers
 * @property {string} duration  how long, as k6 durations ("30s", "5m")
 * @property {number} vus       virtual users (devices, map clients, or pre-allocated HTTP VUs)
 * @property {string} idPrefix  device ids are <prefix>00001 … (as loadtests/provision.ts creates them)
 */

/** @param {string} host */
function isLoopback(host) {
  const h = host.replace(/^\[|\]$/g, '');
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === 'localhost' || h === '::1';
}

/**
 * Throws unless `raw` is a URL of one of `schemes` on the loopback interface.
 * @param {string} raw
 * @param {string} name
 * @param {string[]} schemes
 * @returns {string}
 */
export function loopbackUrl(raw, name, schemes) {
  const m = /^([a-z]+):\/\/(\[[^\]]+\]|[^/:?#]+)(?::(\d+))?(\/[^?#]*)?$/i.exec(raw.trim());
  if (!m) throw new Error(`${name} is not a URL: ${JSON.stringify(raw)}`);
  const scheme = (m[1] ?? '').toLowerCase();
  const host = m[2] ?? '';
  if (!schemes.includes(scheme)) throw new Error(`${name} must be ${schemes.join(' or ')}://…, got ${raw}`);
  if (!isLoopback(host)) throw new Error(`${name} must point at the loopback interface (127.0.0.1), got ${host}`);
  return raw.trim().replace(/\/$/, '');
}

/**
 * @param {string | undefined} raw
 * @param {number} fallback
 * @param {string} name
 * @param {number} min
 * @param {number} max
 */
function numberOf(raw, fallback, name, min, max) {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) throw new Error(`${name} must be a number from ${min} to ${max}`);
  return n;
}

/**
 * The scenario's settings from `env`: HUB_URL, MQTT_URL, TOKEN (or ADMIN_TOKEN), RATE, DURATION, VUS, ID_PREFIX.
 * @param {Record<string, string | undefined>} env
 * @param {{ rate: number, vus: number, duration?: string }} defaults
 * @returns {HubConfig}
 */
export function hubConfig(env, defaults) {
  const httpUrl = loopbackUrl(env.HUB_URL || 'http://127.0.0.1:8080', 'HUB_URL', ['http']);
  const mqttUrl = loopbackUrl(env.MQTT_URL || 'mqtt://127.0.0.1:1883', 'MQTT_URL', ['mqtt', 'tcp']);
  const duration = env.DURATION || defaults.duration || '30s';
  if (!/^\d+(\.\d+)?(ms|s|m|h)$/.test(duration)) throw new Error(`DURATION must be like 30s or 5m, got ${duration}`);
  return {
    httpUrl,
    mqttUrl,
    wsUrl: `${httpUrl.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`,
    token: env.TOKEN || env.ADMIN_TOKEN || undefined,
    rate: numberOf(env.RATE, defaults.rate, 'RATE', 0.1, 1_000_000),
    duration,
    vus: Math.round(numberOf(env.VUS, defaults.vus, 'VUS', 1, 100_000)),
    idPrefix: env.ID_PREFIX || 'bench-',
  };
}

/**
 * Seconds in a k6 duration ("90s", "5m", "1.5h", "500ms").
 * @param {string} duration
 */
export function durationSeconds(duration) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(duration);
  if (!m) throw new Error(`not a duration: ${duration}`);
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600 }[/** @type {'ms' | 's' | 'm' | 'h'} */ (m[2])];
  return Number(m[1]) * unit;
}
