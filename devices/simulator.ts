// Vehicle simulator (车辆模拟器): N simulated vehicles, each a real MQTT client of the hub with its own connection
// (clientId = username = device id), publishing a GPS fix to `devices/{deviceId}/position` (QoS 1) every interval.
// It only speaks the hub's wire protocol — it never imports hub or ingest code — so every run is also a protocol test.
//
// Protocol behaviour worth knowing:
// - mqtt.js reconnects after a broker restart; fixes taken while offline are kept (QoS 1, up to maxOfflineFixes per
//   vehicle) and delivered on reconnect, like a tracker's store-and-forward (盲区补传). Beyond that, fixes are dropped.
// - Each vehicle also subscribes to `devices/{deviceId}/errors`, where the hub explains publishes it refused, and logs
//   them, so a protocol mismatch is loud rather than silent.
// - `speedFactor` speeds up simulated time for demos, but fix times stay wall-clock (the hub refuses future times):
//   with a factor k the vehicles cover k times the distance per real second while reporting their simulated speed,
//   so displacement/time between fixes is k × speedKmh. Keep it at 1 for anything that checks plausibility.
import { connect, type ErrorWithReasonCode, type MqttClient } from 'mqtt';
import { pino, type Logger } from 'pino';
import { polylineLengthM } from './geo.js';
import { JINAN_OLD_TOWN_ROUTES, type VehicleRoute } from './routes/jinan-old-town.js';
import { SimulatedVehicle, hashString, seededRandom, toPositionPayload, type PositionFix } from './vehicle.js';

export interface VehicleSimulatorOptions {
  /** Broker URL, e.g. `mqtt://127.0.0.1:1883` (mqtt:, mqtts:, tcp:, tls:, ws:, wss:). */
  mqttUrl: string;
  /** Number of vehicles (and MQTT connections), 1–1000. */
  count: number;
  /** Milliseconds between two fixes of one vehicle, >= 10. */
  intervalMs: number;
  /** Device ids are `${deviceIdPrefix}${n}`, n zero-padded to 3 digits: `veh-001`. Default `veh-`. */
  deviceIdPrefix?: string;
  /** Simulated-time multiplier for demos (see the note at the top of the file). Default 1. */
  speedFactor?: number;
  /** MQTT password for every vehicle, for when the hub requires device credentials. Default: none sent. */
  password?: string;
  /** Per-device MQTT passwords (device id → credential), as the hub's admin API issues them; wins over `password`. */
  credentials?: Readonly<Record<string, string>>;
  /** Default: a pino logger at info level on stdout. */
  logger?: Logger;
  /** Routes the vehicles are assigned round-robin. Default JINAN_OLD_TOWN_ROUTES. */
  routes?: readonly VehicleRoute[];
  /** Mixed into every vehicle's random seed; same seed → same driving. Default 0. */
  seed?: number;
  /** Milliseconds between reconnect attempts. Default 2000. */
  reconnectPeriodMs?: number;
  /** Fixes kept per vehicle while it is offline, delivered on reconnect. Default 100. */
  maxOfflineFixes?: number;
}

export interface VehicleSimulatorStats {
  /** Vehicles currently connected. */
  connected: number;
  /** Fixes handed to the MQTT client. */
  published: number;
  /** Fixes the broker acknowledged (PUBACK). */
  acknowledged: number;
  /** Publishes that failed. */
  failed: number;
  /** Fixes dropped because the vehicle was offline with a full buffer. */
  dropped: number;
  /** Error reports received from the hub on `devices/{id}/errors`. */
  rejected: number;
}

export interface VehicleSimulator {
  readonly deviceIds: readonly string[];
  stats(): VehicleSimulatorStats;
  /** Stops publishing, waits briefly for in-flight publishes to be acknowledged, then ends every connection. */
  stop(): Promise<void>;
}

/** The topic a device publishes its position on. */
export const positionTopic = (deviceId: string): string => `devices/${deviceId}/position`;
/** The topic the hub reports a device's refused publishes on. */
export const errorsTopic = (deviceId: string): string => `devices/${deviceId}/errors`;

/** Same character set the hub accepts for device ids. */
const DEVICE_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;
const SUPPORTED_PROTOCOLS = ['mqtt:', 'mqtts:', 'tcp:', 'tls:', 'ws:', 'wss:'];
/** How long stop() waits for outstanding PUBACKs, then for each connection to close. */
const DRAIN_TIMEOUT_MS = 3000;
const END_TIMEOUT_MS = 2000;
/** A stalled event loop should not teleport vehicles: at most this much real time is simulated per tick. */
const MAX_TICK_GAP_MS = 60_000;

/** The `n`-th (0-based) device id: `veh-001`, `veh-002`, … */
export function vehicleDeviceId(prefix: string, n: number): string {
  return `${prefix}${String(n + 1).padStart(3, '0')}`;
}

/** Throws a RangeError describing the first invalid option. */
export function validateSimulatorOptions(options: VehicleSimulatorOptions): void {
  let url: URL;
  try {
    url = new URL(options.mqttUrl);
  } catch {
    throw new RangeError(`mqttUrl is not a valid URL: ${JSON.stringify(options.mqttUrl)}`);
  }
  if (!SUPPORTED_PROTOCOLS.includes(url.protocol)) {
    throw new RangeError(`mqttUrl must use one of ${SUPPORTED_PROTOCOLS.join(' ')}, got ${url.protocol}`);
  }
  if (!Number.isInteger(options.count) || options.count < 1 || options.count > 1000) {
    throw new RangeError(`count must be an integer from 1 to 1000, got ${options.count}`);
  }
  if (!Number.isFinite(options.intervalMs) || options.intervalMs < 10) {
    throw new RangeError(`intervalMs must be a number >= 10, got ${options.intervalMs}`);
  }
  const speedFactor = options.speedFactor ?? 1;
  if (!Number.isFinite(speedFactor) || speedFactor <= 0 || speedFactor > 1000) {
    throw new RangeError(`speedFactor must be a number > 0 and <= 1000, got ${speedFactor}`);
  }
  const prefix = options.deviceIdPrefix ?? 'veh-';
  const lastId = vehicleDeviceId(prefix, options.count - 1);
  if (!DEVICE_ID_PATTERN.test(lastId)) {
    throw new RangeError(
      `deviceIdPrefix ${JSON.stringify(prefix)} gives device ids like ${JSON.stringify(lastId)}; ids must be 1–64 of A-Z a-z 0-9 . _ : -`,
    );
  }
  if (options.routes && options.routes.length === 0) throw new RangeError('routes must not be empty');
}

/** The URL with any password replaced, for logs. */
function redactUrl(mqttUrl: string): string {
  const url = new URL(mqttUrl);
  if (url.password) url.password = '***';
  return url.toString();
}

interface RunningVehicle {
  vehicle: SimulatedVehicle;
  client: MqttClient;
  log: Logger;
  topic: string;
  /** Publishes not yet acknowledged or failed. */
  pending: number;
  /** Fixes taken while offline since the last connect (delivered on reconnect). */
  offlineFixes: number;
  lastTickAt: number;
  everConnected: boolean;
  /** Whether the current outage has been logged at warn level already. */
  outageLogged: boolean;
  /** Whether a refused connection (CONNACK error) has been logged since the last successful connect. */
  refusalLogged: boolean;
  startTimer?: NodeJS.Timeout;
  tickTimer?: NodeJS.Timeout;
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Connects `count` vehicles to the broker and starts publishing. Returns at once (connections are made in the
 * background, and fixes taken before a vehicle connects are delivered when it does). Throws a RangeError on invalid
 * options.
 */
export function startVehicleSimulator(options: VehicleSimulatorOptions): VehicleSimulator {
  validateSimulatorOptions(options);
  const {
    mqttUrl,
    count,
    intervalMs,
    password,
    credentials,
    deviceIdPrefix = 'veh-',
    speedFactor = 1,
    routes = JINAN_OLD_TOWN_ROUTES,
    seed = 0,
    reconnectPeriodMs = 2000,
    maxOfflineFixes = 100,
  } = options;
  const log = (options.logger ?? pino({ name: 'vehicle-sim' })).child({ component: 'vehicle-sim' });
  const totals = { published: 0, acknowledged: 0, failed: 0, dropped: 0, rejected: 0 };
  let stopping: Promise<void> | undefined;

  // Round-robin over the routes; vehicles sharing a route start evenly spaced round it.
  const perRoute = routes.map((_, r) => Math.floor(count / routes.length) + (r < count % routes.length ? 1 : 0));
  const vehicles: RunningVehicle[] = [];
  for (let i = 0; i < count; i++) {
    const deviceId = vehicleDeviceId(deviceIdPrefix, i);
    const r = i % routes.length;
    const route = routes[r]!;
    const k = Math.floor(i / routes.length);
    const vehicle = new SimulatedVehicle({
      deviceId,
      route,
      random: seededRandom(hashString(deviceId) ^ seed),
      startOffsetM: (k / perRoute[r]!) * polylineLengthM(route.points),
    });
    const devicePassword = credentials?.[deviceId] ?? password;
    const client = connect(mqttUrl, {
      clientId: deviceId,
      username: deviceId,
      ...(devicePassword !== undefined ? { password: devicePassword } : {}),
      clean: true,
      keepalive: 30,
      connectTimeout: 10_000,
      reconnectPeriod: reconnectPeriodMs,
      // A refused CONNECT (e.g. the hub not ready to check credentials) is retried like a lost connection.
      reconnectOnConnackError: true,
      // The errors topic is subscribed on every connect (clean sessions), so mqtt.js need not resubscribe too.
      resubscribe: false,
    });
    vehicles.push({
      vehicle,
      client,
      log: log.child({ deviceId, route: route.id }),
      topic: positionTopic(deviceId),
      pending: 0,
      offlineFixes: 0,
      lastTickAt: performance.now(),
      everConnected: false,
      outageLogged: false,
      refusalLogged: false,
    });
  }

  for (const v of vehicles) wireClient(v);

  function wireClient(v: RunningVehicle): void {
    const { client, vehicle } = v;
    const deviceId = vehicle.deviceId;
    client.on('connect', () => {
      if (!v.everConnected) {
        v.log.info('connected');
      } else {
        v.log.info({ offlineFixes: v.offlineFixes }, 'reconnected');
      }
      v.everConnected = true;
      v.offlineFixes = 0;
      v.outageLogged = false;
      v.refusalLogged = false;
      client.subscribe(errorsTopic(deviceId), { qos: 0 }, (err) => {
        if (err) v.log.debug({ err: err.message }, 'could not subscribe to the errors topic');
      });
      client.subscribe(`devices/${deviceId}/commands/+`, { qos: 1 }, (err) => {
        if (err) v.log.debug({ err: err.message }, 'could not subscribe to the commands topic');
      });
    });
    client.on('offline', () => {
      if (stopping || v.outageLogged) return;
      v.outageLogged = true;
      v.log.warn({ keeping: maxOfflineFixes }, 'offline; keeping fixes until reconnected');
    });
    client.on('reconnect', () => v.log.debug('reconnecting'));
    client.on('error', (err: Error | ErrorWithReasonCode) => {
      const refused = 'code' in err && typeof err.code === 'number';
      if (refused && !v.refusalLogged && !stopping) {
        // CONNACK with a failure code: wrong credentials, not authorised, server unavailable …
        v.refusalLogged = true;
        v.log.error({ err: err.message, code: err.code }, 'broker refused the connection; retrying');
      } else if (!refused && !v.outageLogged && !stopping) {
        v.outageLogged = true;
        v.log.warn({ err: err.message }, 'mqtt connection error; retrying');
      } else {
        v.log.debug({ err: err.message }, 'mqtt connection error');
      }
    });
    client.on('message', (topic, payload) => {
      if (topic.startsWith(`devices/${deviceId}/commands/`)) return handleCommand(v, payload);
      if (topic !== errorsTopic(deviceId)) return;
      totals.rejected++;
      let report: unknown = payload.toString('utf8');
      try {
        report = JSON.parse(report as string);
      } catch {
        // Not JSON: log the text.
      }
      v.log.warn({ report }, 'the hub refused a publish');
    });
  }

  /** Downlink commands, as a real terminal answers them: do it, then acknowledge on the acks topic. */
  function handleCommand(v: RunningVehicle, payload: Buffer): void {
    let command: { commandId?: unknown; kind?: unknown; params?: { intervalS?: unknown } };
    try {
      command = JSON.parse(payload.toString('utf8')) as typeof command;
    } catch {
      v.log.warn('unreadable command');
      return;
    }
    if (typeof command.commandId !== 'string') return;
    const ack = (status: 'ok' | 'failed' | 'unsupported', message: string) =>
      v.client.publish(
        `devices/${v.vehicle.deviceId}/acks`,
        JSON.stringify({ commandId: command.commandId, status, message, time: new Date().toISOString() }),
        { qos: 1 },
      );
    if (command.kind === 'set_report_interval' && typeof command.params?.intervalS === 'number') {
      const everyMs = command.params.intervalS * 1000;
      clearTimeout(v.startTimer);
      clearInterval(v.tickTimer);
      v.tickTimer = setInterval(() => tick(v), everyMs);
      v.log.info({ intervalS: command.params.intervalS }, 'report interval changed by command');
      ack('ok', `reporting every ${command.params.intervalS} s`);
    } else if (command.kind === 'request_position') {
      tick(v);
      ack('ok', 'position sent');
    } else {
      ack('unsupported', `command ${String(command.kind)} is not supported by this simulator`);
    }
  }

  function publish(v: RunningVehicle, fix: PositionFix): void {
    if (!v.client.connected && v.pending >= maxOfflineFixes) {
      totals.dropped++;
      return;
    }
    if (!v.client.connected) v.offlineFixes++;
    v.pending++;
    totals.published++;
    v.client.publish(v.topic, JSON.stringify(toPositionPayload(fix)), { qos: 1 }, (err) => {
      v.pending--;
      if (err) {
        totals.failed++;
        if (!stopping) v.log.warn({ err: err.message }, 'publish failed');
      } else {
        totals.acknowledged++;
      }
    });
  }

  function tick(v: RunningVehicle): void {
    const now = performance.now();
    const realDtMs = Math.min(now - v.lastTickAt, MAX_TICK_GAP_MS);
    v.lastTickAt = now;
    const fix = v.vehicle.advance(realDtMs * speedFactor, new Date());
    publish(v, fix);
  }

  // Stagger the vehicles across one interval so the broker sees a steady stream rather than bursts.
  vehicles.forEach((v, i) => {
    v.startTimer = setTimeout(
      () => {
        v.startTimer = undefined;
        tick(v);
        v.tickTimer = setInterval(() => tick(v), intervalMs);
      },
      Math.round((i * intervalMs) / count),
    );
  });

  log.info(
    {
      url: redactUrl(mqttUrl),
      count,
      intervalMs,
      speedFactor,
      routes: routes.length,
      firstDevice: vehicles[0]?.vehicle.deviceId,
    },
    'vehicle simulator started',
  );

  async function endClient(v: RunningVehicle): Promise<void> {
    // A clean DISCONNECT when connected and nothing is in flight; otherwise drop the connection.
    const force = !v.client.connected || v.pending > 0;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), END_TIMEOUT_MS);
    });
    try {
      const result = await Promise.race([v.client.endAsync(force), timedOut]);
      if (result === 'timeout') {
        v.log.warn('connection did not close in time; destroying it');
        v.client.stream.destroy();
      }
    } catch (err) {
      v.log.debug({ err: (err as Error).message }, 'error while closing the connection');
    } finally {
      clearTimeout(timer);
    }
  }

  async function stop(): Promise<void> {
    for (const v of vehicles) {
      clearTimeout(v.startTimer);
      clearInterval(v.tickTimer);
    }
    const deadline = performance.now() + DRAIN_TIMEOUT_MS;
    while (vehicles.some((v) => v.client.connected && v.pending > 0) && performance.now() < deadline) {
      await delay(20);
    }
    await Promise.all(vehicles.map(endClient));
    log.info({ ...stats(), connected: undefined }, 'vehicle simulator stopped');
  }

  function stats(): VehicleSimulatorStats {
    return { connected: vehicles.filter((v) => v.client.connected).length, ...totals };
  }

  return {
    deviceIds: vehicles.map((v) => v.vehicle.deviceId),
    stats,
    stop: () => (stopping ??= stop()),
  };
}
