// The pure parts of the MQTT load generator (负载生成器): simulated movement and position payloads, rate scheduling,
// command-line parsing. No sockets or timers here, so all of it is unit-tested (loadtests/generator.test.ts).
import { parseArgs } from 'node:util';
import { hashString, seededRandom } from '../devices/vehicle.js';

// ───────────────────────────── payloads ─────────────────────────────

/** 泉城广场, the middle of Jinan's old town; simulated devices wander within a few km of it. */
export const JINAN_CENTER = { lat: 36.6612, lon: 117.0188 } as const;
const M_PER_DEG_LAT = 111_320;
/** Beyond this distance from the centre a device turns back towards it. */
const WANDER_RADIUS_M = 4000;

// The same seeded randomness as the simulators (devices/ is a client library loadtests may share).
export { hashString, seededRandom };

export interface Fix {
  timeMs: number;
  lat: number;
  lon: number;
  speedKmh: number;
  course: number;
}

/**
 * One simulated device's movement: a random walk of speed and heading around Jinan. Fix times are strictly increasing
 * at millisecond resolution even when asked twice in the same millisecond (or when the clock steps back), because the
 * hub stores one fix per (device, time) and would silently drop a repeat.
 */
export class DeviceTrack {
  lat: number;
  lon: number;
  speedKmh: number;
  course: number;
  private lastTimeMs = -Infinity;
  private readonly random: () => number;

  constructor(deviceId: string, seed = 0) {
    this.random = seededRandom(hashString(deviceId) ^ seed);
    const r = WANDER_RADIUS_M * 0.75 * Math.sqrt(this.random());
    const bearing = this.random() * 2 * Math.PI;
    this.lat = JINAN_CENTER.lat + (r * Math.cos(bearing)) / M_PER_DEG_LAT;
    this.lon = JINAN_CENTER.lon + (r * Math.sin(bearing)) / (M_PER_DEG_LAT * Math.cos((this.lat * Math.PI) / 180));
    this.speedKmh = 10 + this.random() * 40;
    this.course = this.random() * 360;
  }

  /** Advances to `nowMs` (or 1 ms past the previous fix, whichever is later) and returns the new fix. */
  next(nowMs: number): Fix {
    const timeMs = nowMs > this.lastTimeMs ? Math.floor(nowMs) : this.lastTimeMs + 1;
    // The first fix has no previous time to move from.
    const dtS = Number.isFinite(this.lastTimeMs) ? Math.min((timeMs - this.lastTimeMs) / 1000, 60) : 0;
    this.lastTimeMs = timeMs;

    this.speedKmh = Math.min(60, Math.max(0, this.speedKmh + (this.random() - 0.5) * 6));
    this.course = (this.course + (this.random() - 0.5) * 20 + 360) % 360;
    const northM = (this.lat - JINAN_CENTER.lat) * M_PER_DEG_LAT;
    const cosLat = Math.cos((this.lat * Math.PI) / 180);
    const eastM = (this.lon - JINAN_CENTER.lon) * M_PER_DEG_LAT * cosLat;
    if (Math.hypot(northM, eastM) > WANDER_RADIUS_M) {
      // Head back towards the centre (bearing of the vector pointing home).
      this.course = ((Math.atan2(-eastM, -northM) * 180) / Math.PI + 360) % 360;
    }
    const distM = (this.speedKmh / 3.6) * dtS;
    const rad = (this.course * Math.PI) / 180;
    this.lat += (distM * Math.cos(rad)) / M_PER_DEG_LAT;
    this.lon += (distM * Math.sin(rad)) / (M_PER_DEG_LAT * cosLat);
    return { timeMs, lat: this.lat, lon: this.lon, speedKmh: this.speedKmh, course: this.course };
  }
}

/**
 * The hub's position JSON for a fix: `{"time","lat","lon","speedKmh","course"}`. Built as a string, which costs a
 * fraction of JSON.stringify on an object (this runs for every message of the load).
 */
export function positionPayload(fix: Fix): string {
  let course = Math.round(fix.course * 10) / 10;
  if (course >= 360) course = 0; // 359.96 rounds to 360.0, which the hub refuses (course < 360)
  const speed = Math.round(fix.speedKmh * 10) / 10;
  return (
    `{"time":"${new Date(fix.timeMs).toISOString()}","lat":${fix.lat.toFixed(6)},"lon":${fix.lon.toFixed(6)},` +
    `"speedKmh":${speed},"course":${course}}`
  );
}

/**
 * The hub's batch JSON `{"positions":[fix, …]}` (topic devices/{id}/positions): `count` fixes of one device ending at
 * `nowMs`, a millisecond apart — what a tracker sends when it forwards what it stored during a coverage gap.
 */
export function positionBatchPayload(track: DeviceTrack, nowMs: number, count: number): string {
  const parts: string[] = [];
  for (let j = count - 1; j >= 0; j--) parts.push(positionPayload(track.next(nowMs - j)));
  return `{"positions":[${parts.join(',')}]}`;
}

/**
 * What the simulated devices are (payload-profiles.ts builds their messages):
 * - `wander`: the original random walk around 泉城广场 (every device a vehicle); the default, so figures stay comparable;
 * - `vehicles`: vehicles driving closed loops of streets, stopping at junctions;
 * - `collectors`: collectors walking their beat (3–6 km/h, pauses);
 * - `sensors`: fixed sensors sending metrics on devices/{id}/telemetry;
 * - `mixed`: a city's mix by device number: 6 in 10 vehicles, 2 collectors, 2 sensors.
 */
export const PROFILES = ['wander', 'vehicles', 'collectors', 'sensors', 'mixed'] as const;
export type Profile = (typeof PROFILES)[number];

// ───────────────────────────── device ids and topics ─────────────────────────────

/** `bench-00001` for (`bench-`, 1): the ids `--provision` creates. */
export function deviceId(prefix: string, n: number): string {
  return `${prefix}${String(n).padStart(5, '0')}`;
}

export const DEVICE_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;

export function topicFor(template: string, id: string): string {
  return template.replaceAll('{id}', id);
}

/** The subscription that matches every device's topic: `{id}` levels become `+` (or `#` if {id} is part of a level). */
export function subscriptionFor(template: string): string {
  const levels = template.split('/');
  if (levels.every((level) => level === '{id}' || !level.includes('{id}'))) {
    return levels.map((level) => (level === '{id}' ? '+' : level)).join('/');
  }
  return '#';
}

// ───────────────────────────── scheduling ─────────────────────────────

/** Milliseconds between two messages of one device when `totalPerS` messages/s are spread over `devices`. */
export function perDeviceIntervalMs(totalPerS: number, devices: number): number {
  return (devices * 1000) / totalPerS;
}

/** Total messages/s when each of `devices` sends every `intervalMs`. */
export function totalRateFromInterval(intervalMs: number, devices: number): number {
  return (devices * 1000) / intervalMs;
}

/**
 * The global send schedule: message k (0-based) is due `k × 1000 / rate` ms after the start and belongs to device
 * `k mod devices`, so every device sends every `devices × 1000 / rate` ms and consecutive devices are staggered evenly
 * (the broker sees a steady stream, not a burst per interval). Returns how many messages are due by `elapsedMs`.
 */
export function dueMessages(elapsedMs: number, ratePerS: number): number {
  if (elapsedMs < 0) return 0;
  // The epsilon keeps exact multiples (e.g. 1000 ms × 10/s) from losing a message to floating-point rounding.
  return Math.floor((elapsedMs * ratePerS) / 1000 + 1e-9) + 1;
}

/**
 * Like dueMessages, for a rate rising (or falling) linearly from `fromPerS` to `toPerS` over `overMs`, then staying
 * at `toPerS`: the messages due are the integral of the rate.
 */
export function dueMessagesRamp(elapsedMs: number, fromPerS: number, toPerS: number, overMs: number): number {
  if (elapsedMs < 0) return 0;
  const t = Math.min(elapsedMs, overMs);
  let n = (fromPerS * t + (overMs > 0 ? ((toPerS - fromPerS) * t * t) / (2 * overMs) : 0)) / 1000;
  if (elapsedMs > overMs) n += (toPerS * (elapsedMs - overMs)) / 1000;
  return Math.floor(n + 1e-9) + 1;
}

/** The scheduled rate (msgs/s) at `elapsedMs` of a ramp from `fromPerS` to `toPerS` over `overMs`. */
export function rampRateAt(elapsedMs: number, fromPerS: number, toPerS: number, overMs: number): number {
  if (overMs <= 0 || elapsedMs >= overMs) return toPerS;
  return fromPerS + ((toPerS - fromPerS) * Math.max(0, elapsedMs)) / overMs;
}

export interface TickPlan {
  /** First message index to send in this tick. */
  from: number;
  /** One past the last index to send. */
  to: number;
  /** Messages given up because the generator fell behind by more than the backlog cap. */
  skipped: number;
}

/**
 * What one scheduler tick sends: everything due, but at most `maxBacklog` messages. A generator that fell further
 * behind (its own CPU is saturated) skips the excess and counts it, rather than bursting to catch up, which would
 * distort the latency it measures.
 */
export function planTick(nextIndex: number, due: number, maxBacklog: number): TickPlan {
  if (due <= nextIndex) return { from: nextIndex, to: nextIndex, skipped: 0 };
  const skipped = Math.max(0, due - nextIndex - maxBacklog);
  return { from: nextIndex + skipped, to: due, skipped };
}

/** When device `i` (0-based) of `devices` starts connecting, with connections spread evenly over `rampUpMs`. */
export function connectDelayMs(i: number, devices: number, rampUpMs: number): number {
  return devices <= 1 ? 0 : Math.floor((i * rampUpMs) / devices);
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * The order in which devices connect during the ramp-up: a golden-ratio stride through the device indexes, so the
 * devices connected so far are spread evenly over the send schedule (device i's slot is i/rate into each cycle).
 * Connecting 0, 1, 2 … instead would put all early devices' slots at the start of the cycle: bursts, then silence.
 */
export function rampOrder(devices: number): number[] {
  if (devices <= 2) return Array.from({ length: devices }, (_, i) => i);
  let stride = Math.round(devices * 0.6180339887);
  while (gcd(stride, devices) !== 1) stride++;
  return Array.from({ length: devices }, (_, j) => (j * stride) % devices);
}

export interface Sample {
  /** Wall-clock time (epoch ms). */
  atMs: number;
  /** A cumulative count at that time. */
  value: number;
}

/** The cumulative count at `t`, interpolated linearly between samples (clamped to the first/last one). */
export function valueAt(samples: readonly Sample[], t: number): number | undefined {
  if (samples.length === 0) return undefined;
  if (t <= samples[0]!.atMs) return samples[0]!.value;
  for (let i = 1; i < samples.length; i++) {
    const b = samples[i]!;
    if (t <= b.atMs) {
      const a = samples[i - 1]!;
      return b.atMs === a.atMs ? b.value : a.value + ((b.value - a.value) * (t - a.atMs)) / (b.atMs - a.atMs);
    }
  }
  return samples[samples.length - 1]!.value;
}

/**
 * Average rate (per second) of a cumulative count between `fromMs` and `toMs`, the window clamped to the samples'
 * span. Undefined if fewer than two samples or the clamped window is shorter than `minWindowMs`.
 */
export function rateBetween(
  samples: readonly Sample[],
  fromMs: number,
  toMs: number,
  minWindowMs = 500,
): number | undefined {
  if (samples.length < 2) return undefined;
  const t1 = Math.max(fromMs, samples[0]!.atMs);
  const t2 = Math.min(toMs, samples[samples.length - 1]!.atMs);
  if (t2 - t1 < minWindowMs) return undefined;
  return ((valueAt(samples, t2)! - valueAt(samples, t1)!) * 1000) / (t2 - t1);
}

export interface AckLead {
  /** Most acknowledged positions not yet in the database at a row count (0 when acks never ran ahead). */
  rows: number;
  /** When (epoch ms) that was. */
  atMs?: number;
}

/**
 * How far acknowledgements ran ahead of committed rows. A hub that acknowledges only after commit never has a row
 * count below what was acknowledged before the count's snapshot; `slackMs` absorbs the 1-second granularity of the
 * generator's ack counts. `acked` and `rows` are cumulative samples counted from the same start.
 */
export function ackLead(acked: readonly Sample[], rows: readonly Sample[], slackMs = 1000): AckLead {
  let worst: AckLead = { rows: 0 };
  if (acked.length === 0) return worst;
  for (const r of rows) {
    const t = r.atMs - slackMs;
    if (t < acked[0]!.atMs) continue;
    const lead = Math.floor(valueAt(acked, t)!) - r.value;
    if (lead > worst.rows) worst = { rows: lead, atMs: r.atMs };
  }
  return worst;
}

// ───────────────────────────── environment checks ─────────────────────────────

/** The soft "Max open files" limit from the text of /proc/self/limits; Infinity for unlimited, undefined if absent. */
export function parseOpenFileLimit(procLimits: string): number | undefined {
  const line = procLimits.split('\n').find((l) => l.startsWith('Max open files'));
  if (!line) return undefined;
  const soft = line.slice('Max open files'.length).trim().split(/\s+/)[0];
  if (soft === 'unlimited') return Infinity;
  const n = Number(soft);
  return Number.isFinite(n) ? n : undefined;
}

/** Throws unless `raw` is a URL whose host is the loopback interface: this tooling never sends load elsewhere. */
export function assertLoopbackUrl(raw: string, what: string, protocols: readonly string[]): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${what} is not a valid URL: ${JSON.stringify(raw)}`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new UsageError(`${what} must use ${protocols.join(' or ')}, got ${JSON.stringify(raw)}`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!(/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host === 'localhost' || host === '::1')) {
    throw new UsageError(`${what} must point at the loopback interface (127.0.0.1), got host ${JSON.stringify(host)}`);
  }
  return url;
}

// ───────────────────────────── options ─────────────────────────────

/** A bad command line: print the message, exit with status 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
}

export interface GeneratorOptions {
  /** Broker URL; loopback only. */
  url: string;
  devices: number;
  /** Total messages/s over all devices, or 'max': every device keeps `maxInflight` QoS 1 publishes in flight. */
  rate: number | 'max';
  qos: 0 | 1;
  durationS: number;
  rampUpS: number;
  topicTemplate: string;
  idPrefix: string;
  idStart: number;
  /** Path of a JSON file `{ "<deviceId>": "<password>" }`; every device needs an entry. */
  credentialsFile?: string;
  /** Unacknowledged QoS 1 publishes per device; a message due while the window is full is skipped ("throttled"). */
  maxInflight: number;
  keepaliveS: number;
  /** Connections waiting for their CONNACK at once. */
  connectConcurrency: number;
  /** After the send phase, how long to wait for outstanding PUBACKs. */
  drainTimeoutS: number;
  seed: number;
  /** TCP_NODELAY on the device sockets (default): acks are timed without Nagle's delay on the client side. */
  noDelay: boolean;
  /** Subscribe each device to devices/{id}/errors and count the hub's refusals (default on). */
  watchErrors: boolean;
  /** Positions per message: 1 = one fix per message; more = the batch payload {"positions": […]}. */
  batch: number;
  /** What the devices are and send (payload-profiles.ts). */
  profile: Profile;
  /** With a numeric rate: the rate rises (or falls) linearly from `rate` to this over ramp-up + duration. */
  rampTo?: number;
  /** Wall-clock time (epoch ms) to start at: the coordinator of several generator processes starts them together. */
  startAtMs?: number;
  /** Pre-built payload buffers (payload-profiles.ts PrebuiltPayloads): on by default above 50,000 msgs/s. */
  prebuilt: boolean;
}

export const MAX_DEVICES = 20_000;
/** Above this total rate, payloads are pre-built unless --no-prebuilt (payload-profiles.ts PREBUILT_ABOVE_PER_S). */
export const PREBUILT_DEFAULT_ABOVE_PER_S = 50_000;
/** The hub takes at most this many fixes in one batch message. */
export const MAX_BATCH = 1000;
export const MAX_DURATION_S = 3600;
const MQTT_PROTOCOLS = ['mqtt:', 'tcp:'];

/** Options shared by the generator CLI and the benchmark runner, for node:util parseArgs. */
export const GENERATOR_ARG_SPEC = {
  devices: { type: 'string', short: 'n' },
  rate: { type: 'string', short: 'r' },
  interval: { type: 'string', short: 'i' },
  qos: { type: 'string', short: 'q' },
  duration: { type: 'string', short: 'd' },
  'ramp-up': { type: 'string' },
  topic: { type: 'string' },
  'id-prefix': { type: 'string' },
  'id-start': { type: 'string' },
  credentials: { type: 'string' },
  'max-inflight': { type: 'string' },
  keepalive: { type: 'string' },
  'connect-concurrency': { type: 'string' },
  'drain-timeout': { type: 'string' },
  seed: { type: 'string' },
  nagle: { type: 'boolean' },
  'no-errors-topic': { type: 'boolean' },
  batch: { type: 'string' },
  profile: { type: 'string' },
  'ramp-to': { type: 'string' },
  'start-at': { type: 'string' },
  prebuilt: { type: 'boolean' },
  'no-prebuilt': { type: 'boolean' },
} as const;

export const GENERATOR_OPTIONS_HELP = `  -n, --devices <n>             simulated devices, one MQTT connection each, 1–${MAX_DEVICES}  (default 100)
  -r, --rate <msgs/s|max>       total messages per second, spread evenly over the devices; "max": each device
                                keeps --max-inflight QoS 1 publishes in flight (closed loop)  (default 1000)
  -i, --interval <ms>           instead of --rate: milliseconds between two messages of one device
  -q, --qos <0|1>               publish QoS  (default 1)
  -d, --duration <s>            send phase after the ramp-up, 1–${MAX_DURATION_S}  (default 30)
      --ramp-up <s>             connect the devices evenly over this many seconds; each starts sending once
                                connected  (default 0)
      --batch <n>               positions per message, 1–${MAX_BATCH}: above 1, the batch payload {"positions": [...]}
                                on devices/{id}/positions; rates count messages, summaries positions too  (default 1)
      --profile <name>          what the devices are: wander (random walk, all vehicles), vehicles (driving
                                street loops, stopping at junctions), collectors (walking their beat), sensors
                                (metrics on devices/{id}/telemetry), mixed (6 vehicles, 2 collectors, 2 sensors
                                in 10)  (default wander)
      --ramp-to <msgs/s>        the rate moves linearly from --rate to this over ramp-up + duration
      --start-at <epoch ms>     start at this wall-clock time (several generator processes start together)
      --prebuilt / --no-prebuilt  pre-built payload buffers, time patched in place (default: on above
                                ${PREBUILT_DEFAULT_ABOVE_PER_S.toLocaleString('en-US')} msgs/s with one fix per message)
      --topic <template>        publish topic of positions, {id} is the device id
                                (default devices/{id}/position, with --batch devices/{id}/positions)
      --id-prefix <prefix>      device ids are <prefix>00001, <prefix>00002 …  (default bench-)
      --id-start <n>            number of the first device  (default 1)
      --credentials <file>      JSON {"<deviceId>": "<password>"}; username = clientId = device id
      --max-inflight <n>        unacknowledged QoS 1 publishes per device; beyond it a due message is skipped
                                and counted as throttled  (default 16)
      --keepalive <s>           MQTT keepalive  (default 60)
      --connect-concurrency <n> connections awaiting CONNACK at once  (default 200)
      --drain-timeout <s>       after the send phase, wait this long for outstanding PUBACKs  (default 10)
      --seed <n>                movement seed  (default 0)
      --nagle                   keep Nagle's algorithm on the device sockets (default: TCP_NODELAY)
      --no-errors-topic         do not subscribe to devices/{id}/errors (refusals are then not counted)
`;

type Values = Partial<Record<keyof typeof GENERATOR_ARG_SPEC, string | boolean | undefined>> & Record<string, unknown>;

function intArg(values: Values, name: string, fallback: number, min: number, max: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const s = String(raw).trim();
  const n = /^\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

function numArg(values: Values, name: string, fallback: number, min: number, max: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const s = String(raw).trim();
  const n = /^\d+(\.\d+)?$|^\.\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/** Builds and checks generator options from parsed flags (`url` comes from the caller). */
export function generatorOptionsFromValues(values: Values, url: string): GeneratorOptions {
  assertLoopbackUrl(url, 'the MQTT URL', MQTT_PROTOCOLS);
  const devices = intArg(values, 'devices', 100, 1, MAX_DEVICES);
  if (values.rate !== undefined && values.interval !== undefined) {
    throw new UsageError('give --rate or --interval, not both');
  }
  let rate: number | 'max';
  if (values.interval !== undefined) {
    rate = totalRateFromInterval(numArg(values, 'interval', 0, 1, 86_400_000), devices);
  } else if (String(values.rate ?? '').trim() === 'max') {
    rate = 'max';
  } else {
    rate = numArg(values, 'rate', 1000, 0.001, 1_000_000);
  }
  const qos = intArg(values, 'qos', 1, 0, 1) as 0 | 1;
  if (rate === 'max' && qos === 0) {
    throw new UsageError('--rate max paces on PUBACKs, so it needs --qos 1; give a number for QoS 0');
  }
  const batch = intArg(values, 'batch', 1, 1, MAX_BATCH);
  const profileRaw = typeof values.profile === 'string' ? values.profile : 'wander';
  if (!(PROFILES as readonly string[]).includes(profileRaw)) {
    throw new UsageError(`--profile must be one of ${PROFILES.join(', ')}, got ${JSON.stringify(profileRaw)}`);
  }
  const profile = profileRaw as Profile;
  if (profile === 'sensors' && batch > 1) throw new UsageError('--batch sends positions; sensors send telemetry');
  let rampTo: number | undefined;
  if (values['ramp-to'] !== undefined) {
    if (rate === 'max') throw new UsageError('--ramp-to needs a numeric --rate (or --interval) to start from');
    rampTo = numArg(values, 'ramp-to', 0, 0.001, 1_000_000);
  }
  let startAtMs: number | undefined;
  if (values['start-at'] !== undefined) {
    startAtMs = intArg(values, 'start-at', 0, 0, 8_640_000_000_000);
    if (Math.abs(startAtMs - Date.now()) > 3_600_000) throw new UsageError('--start-at must be within the hour');
  }
  if (values.prebuilt === true && values['no-prebuilt'] === true) {
    throw new UsageError('give --prebuilt or --no-prebuilt, not both');
  }
  if (values.prebuilt === true && batch > 1) throw new UsageError('--prebuilt builds single messages, not batches');
  const peakRate = rate === 'max' ? 0 : Math.max(rate, rampTo ?? 0);
  const prebuilt =
    values.prebuilt === true ||
    (values['no-prebuilt'] !== true && batch === 1 && peakRate > PREBUILT_DEFAULT_ABOVE_PER_S);
  const topicTemplate =
    typeof values.topic === 'string' ? values.topic : batch > 1 ? 'devices/{id}/positions' : 'devices/{id}/position';
  if (!topicTemplate.includes('{id}') || /[#+]/.test(topicTemplate) || topicTemplate.startsWith('$')) {
    throw new UsageError(`--topic must contain {id} and no wildcards, got ${JSON.stringify(topicTemplate)}`);
  }
  const idPrefix = typeof values['id-prefix'] === 'string' ? values['id-prefix'] : 'bench-';
  const idStart = intArg(values, 'id-start', 1, 0, 10_000_000);
  const lastId = deviceId(idPrefix, idStart + devices - 1);
  if (!DEVICE_ID_PATTERN.test(lastId)) {
    throw new UsageError(`--id-prefix gives ids like ${JSON.stringify(lastId)}; ids are 1–64 of A-Z a-z 0-9 . _ : -`);
  }
  return {
    url,
    devices,
    rate,
    qos,
    durationS: numArg(values, 'duration', 30, 1, MAX_DURATION_S),
    rampUpS: numArg(values, 'ramp-up', 0, 0, MAX_DURATION_S),
    topicTemplate,
    idPrefix,
    idStart,
    ...(typeof values.credentials === 'string' ? { credentialsFile: values.credentials } : {}),
    maxInflight: intArg(values, 'max-inflight', 16, 1, 60_000),
    keepaliveS: intArg(values, 'keepalive', 60, 5, 3600),
    connectConcurrency: intArg(values, 'connect-concurrency', 200, 1, MAX_DEVICES),
    drainTimeoutS: numArg(values, 'drain-timeout', 10, 0, 600),
    seed: intArg(values, 'seed', 0, 0, 0xffffffff),
    noDelay: values.nagle !== true,
    watchErrors: values['no-errors-topic'] !== true,
    batch,
    profile,
    ...(rampTo !== undefined ? { rampTo } : {}),
    ...(startAtMs !== undefined ? { startAtMs } : {}),
    prebuilt,
  };
}

/** The generator command line that reproduces `options` (the runner starts the generator as a child process). */
export function generatorArgv(options: GeneratorOptions): string[] {
  const argv = [
    '--url',
    options.url,
    '--devices',
    String(options.devices),
    '--rate',
    String(options.rate),
    '--qos',
    String(options.qos),
    '--duration',
    String(options.durationS),
    '--ramp-up',
    String(options.rampUpS),
    '--topic',
    options.topicTemplate,
    '--id-prefix',
    options.idPrefix,
    '--id-start',
    String(options.idStart),
    '--max-inflight',
    String(options.maxInflight),
    '--keepalive',
    String(options.keepaliveS),
    '--connect-concurrency',
    String(options.connectConcurrency),
    '--drain-timeout',
    String(options.drainTimeoutS),
    '--seed',
    String(options.seed),
    '--batch',
    String(options.batch),
    '--profile',
    options.profile,
    options.prebuilt ? '--prebuilt' : '--no-prebuilt',
  ];
  if (options.rampTo !== undefined) argv.push('--ramp-to', String(options.rampTo));
  if (options.startAtMs !== undefined) argv.push('--start-at', String(options.startAtMs));
  if (options.credentialsFile !== undefined) argv.push('--credentials', options.credentialsFile);
  if (!options.noDelay) argv.push('--nagle');
  if (!options.watchErrors) argv.push('--no-errors-topic');
  return argv;
}

export type OutputFormat = 'text' | 'jsonl';

export type GeneratorCommand = { kind: 'help' } | { kind: 'run'; options: GeneratorOptions; output: OutputFormat };

/** Parses the generator's command line (without node and script paths). Throws UsageError. */
export function parseGeneratorArgs(argv: readonly string[]): GeneratorCommand {
  let values: Values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        ...GENERATOR_ARG_SPEC,
        url: { type: 'string', short: 'u' },
        output: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return { kind: 'help' };
  const output = (values.output ?? 'text') as string;
  if (output !== 'text' && output !== 'jsonl') {
    throw new UsageError(`--output must be text or jsonl, got ${JSON.stringify(output)}`);
  }
  const url = typeof values.url === 'string' ? values.url : 'mqtt://127.0.0.1:1883';
  return { kind: 'run', options: generatorOptionsFromValues(values, url), output };
}

/** Reads and checks a credentials file's text: a JSON object of device id → password (strings). */
export function parseCredentials(text: string, source: string): Map<string, string> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${source} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new UsageError(`${source} must be a JSON object {"<deviceId>": "<password>"}`);
  }
  const map = new Map<string, string>();
  for (const [id, password] of Object.entries(json)) {
    if (typeof password !== 'string') throw new UsageError(`${source}: the password of ${id} is not a string`);
    map.set(id, password);
  }
  return map;
}
