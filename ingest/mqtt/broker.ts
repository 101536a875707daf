// The MQTT broker (消息代理) devices connect to: aedes on plain TCP, MQTT 3.1.1 and 5, with our CONNECT, PUBLISH and
// SUBSCRIBE handlers. Declares the sinks it needs; the hub wires them (ingest never imports hub code).
import net from 'node:net';
import { Aedes, type Client, type Subscription } from 'aedes';
import type { Logger } from 'pino';
import { connectionState, type Observation, type Rejection } from '../observation.js';
import type { ValidationLimits } from '../pipeline/validate.js';
import { canSubscribe, type DeviceKind, type Principal } from './acl.js';
import { AuthThrottle, MQTT_LOGIN_BACKOFF } from './auth-throttle.js';
import { ClusterEmitter, type BrokerCluster, type EmittedPacket } from './cluster.js';
import { makeAuthenticate, remoteAddress, type AuthFailure, type AuthResult } from './connect.js';
import { makeAuthorizePublish } from './publish.js';
import { ReadGate } from './read-gate.js';
import { commandTopic } from './topics.js';

export interface MqttIngestSinks {
  authenticate(username: string, password: string): Promise<AuthResult>;
  /** Resolves when the observations are durable; rejects if they could not be made so (the device is then not acked). */
  accept(observations: Observation[], qos: 0 | 1 | 2, options?: { admitted?: boolean }): Promise<void>;
  /** Backpressure before decoding (publish.ts): null when a message may go in now, else when it may. */
  waitForRoom?(): Promise<void> | null;
  /** Tells the broker, from now on, when the pipeline is full (stop reading connections) and when not (read-gate.ts). */
  onPressure?(listener: (full: boolean) => void): void;
  /** A publish was refused; for counting. */
  rejected?(deviceId: string | null, rejection: Rejection): void;
  authFailed?(reason: AuthFailure, address: string): void;
  admit?(deviceId: string, nowMs: number): Rejection | null;
  /** A device subscribed to its commands: whatever is waiting for it can be sent now. */
  listeningForCommands?(deviceId: string): void;
  /**
   * A device's connection is ready (before any of its messages is handled); `atMs` is also the time of the 'online'
   * status the broker records for it.
   */
  deviceConnected?(deviceId: string, atMs: number): void;
}

export interface MqttIngestOptions {
  host: string;
  port: number;
  log: Logger;
  limits: ValidationLimits;
  sinks: MqttIngestSinks;
  now?: () => number;
  /** Several hub processes behind one address: the state they share (cluster.ts). Absent: this process alone. */
  cluster?: BrokerCluster;
}

export interface MqttIngest {
  /** The bound TCP port (useful when 0 was asked for). */
  port: number;
  listening(): boolean;
  /** Connected devices by kind, and services. */
  connections(): Record<DeviceKind | 'service', number>;
  /**
   * Sends a command to a device (QoS 1) if it is connected and subscribed to its commands; resolves to whether it
   * was handed over (the device's answer comes later, on its acks topic).
   */
  sendCommand(deviceId: string, commandId: string, body: unknown): Promise<boolean>;
  /**
   * Records every device connected here online again, as if it had just connected (deviceConnected and an 'online'
   * status): for when the other hub processes took this one for dead and marked its devices offline. Returns how many.
   */
  reannounceDevices(): number;
  close(): Promise<void>;
}

export class PortInUseError extends Error {
  readonly code = 'EADDRINUSE';
  constructor(readonly port: number) {
    super(`port ${port} is already in use`);
  }
}

export async function startMqttIngest(options: MqttIngestOptions): Promise<MqttIngest> {
  const { log, sinks, limits } = options;
  const now = options.now ?? Date.now;
  const principals = new WeakMap<Client, Principal>();
  const dropped = new WeakSet<object>();
  /** Client ids connected here, and those of them that connected to another process of the cluster since. */
  const clientIdsHere = new Set<string>();
  const movedAway = new Set<string>();
  const cluster = options.cluster;
  if (cluster) {
    // Registered before aedes' own listener, which closes the connection here: that close is not the device going
    // offline (the other process has recorded it online).
    cluster.mq.on('$SYS/+/new/clients', (packet: EmittedPacket, done: () => void) => {
      const brokerId = packet.topic.split('/')[1];
      const clientId = Buffer.isBuffer(packet.payload) ? packet.payload.toString('utf8') : String(packet.payload);
      if (brokerId !== cluster.brokerId && clientIdsHere.has(clientId)) movedAway.add(clientId);
      done();
    });
  }
  const mq = cluster
    ? new ClusterEmitter(
        cluster.mq,
        (payload) => typeof payload === 'object' && payload !== null && dropped.has(payload),
        () => cluster.forwardDeviceData(),
      )
    : null;
  await mq?.whenReady();
  // drainTimeout: a subscriber that stops reading is dropped instead of stalling delivery to everyone else.
  const broker = await Aedes.createBroker({
    drainTimeout: 30_000,
    concurrency: 1000,
    ...(cluster && mq ? { id: cluster.brokerId, mq, persistence: cluster.persistence } : {}),
  });
  /** MQTT 5 clients that asked for no Reason Strings (Request Problem Information = 0 in their CONNECT). */
  const noProblemInformation = new WeakSet<Client>();
  const connected = new Map<Client, Principal>();
  /** Devices with a live subscription to their commands, by the client holding it. */
  const commandListeners = new Map<string, Client>();

  broker.preConnect = (client, packet, callback) => {
    if (packet.protocolVersion === 5 && packet.properties?.requestProblemInformation === false) {
      noProblemInformation.add(client);
    }
    callback(null, true);
  };
  broker.authenticate = makeAuthenticate({
    authenticate: (u, p) => sinks.authenticate(u, p),
    // Several processes: counted in Redis for all of them. Alone: in this process's memory.
    throttle: cluster?.loginBackoff ?? new AuthThrottle(MQTT_LOGIN_BACKOFF),
    log,
    now,
    principals,
    onFailure: (reason, address) => sinks.authFailed?.(reason, address),
  });
  broker.authorizePublish = makeAuthorizePublish({
    broker,
    log,
    limits,
    now,
    principals,
    dropped,
    accept: (observations, qos, acceptOptions) => sinks.accept(observations, qos, acceptOptions),
    waitForRoom: sinks.waitForRoom ? () => sinks.waitForRoom!() : undefined,
    rejected: (deviceId, rejection) => sinks.rejected?.(deviceId, rejection),
    admit: sinks.admit ? (deviceId, nowMs) => sinks.admit!(deviceId, nowMs) : undefined,
    wantsReasonStrings: (client) => !noProblemInformation.has(client),
  });
  broker.authorizeSubscribe = (
    client: Client,
    subscription: Subscription,
    callback: (error: Error | null, subscription?: Subscription | null) => void,
  ) => {
    const principal = principals.get(client);
    if (principal && canSubscribe(principal, subscription.topic)) return callback(null, subscription);
    log.warn({ clientId: client.id, filter: subscription.topic }, 'subscription refused');
    // A null subscription refuses it and keeps the connection: SUBACK 0x80 (MQTT 3.1.1), 0x87 Not authorized (MQTT 5).
    callback(null, null);
  };
  broker.authorizeForward = (_client, packet) => (dropped.has(packet.payload as object) ? null : packet);

  const status = (principal: Principal, state: 'online' | 'offline', client: Client, atMs = now()) => {
    if (principal.type !== 'device') return;
    const observation = connectionState(principal.id, state, atMs, { address: remoteAddress(client) });
    sinks
      .accept([observation], 1)
      .catch((err: unknown) => log.warn({ err, deviceId: principal.id }, 'status not stored'));
  };
  const listenIfForCommands = (client: Client, filters: string[]) => {
    const principal = principals.get(client);
    if (principal?.type !== 'device') return;
    if (filters.some((f) => f.startsWith(`devices/${principal.id}/commands/`))) {
      commandListeners.set(principal.id, client);
      sinks.listeningForCommands?.(principal.id);
    }
  };
  broker.on('clientReady', (client) => {
    clientIdsHere.add(client.id);
    movedAway.delete(client.id);
    const principal = principals.get(client);
    if (!principal) return;
    connected.set(client, principal);
    const atMs = now();
    if (principal.type === 'device') sinks.deviceConnected?.(principal.id, atMs);
    status(principal, 'online', client, atMs);
    // A resumed session (MQTT 3.1.1 clean session 0, MQTT 5 session expiry) gets its subscriptions back without a
    // SUBSCRIBE, and aedes emits no 'subscribe' event for them.
    const restored = (client as unknown as { subscriptions?: Record<string, unknown> }).subscriptions;
    if (restored) listenIfForCommands(client, Object.keys(restored));
  });
  broker.on('subscribe', (subscriptions, client) => {
    const filters = subscriptions.map((s) => s.topic);
    if (client) listenIfForCommands(client, filters);
  });
  broker.on('clientDisconnect', (client) => {
    const principal = connected.get(client);
    if (!principal) return;
    connected.delete(client);
    if (principal.type === 'device' && commandListeners.get(principal.id) === client) {
      commandListeners.delete(principal.id);
    }
    // When a device reconnects, aedes drops the old connection after the new one is in: it is not offline then; nor
    // when it reconnected to another process of the cluster.
    const current = (broker as unknown as { clients: Record<string, Client | undefined> }).clients[client.id];
    const elsewhere = movedAway.delete(client.id);
    if (!current || current === client) clientIdsHere.delete(client.id);
    if (!elsewhere && (!current || current === client)) status(principal, 'offline', client);
  });
  broker.on('clientError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'mqtt client error'));
  broker.on('connectionError', (client, err) =>
    log.debug({ clientId: client.id, err: err.message }, 'mqtt connection error'),
  );

  // While the pipeline is full, connections are not read (read-gate.ts).
  const gate = new ReadGate();
  sinks.onPressure?.((full) => {
    if (full === gate.isClosed()) return;
    if (full) gate.close();
    else gate.open();
    log.warn(
      { connections: connected.size, parked: gate.parkedCount() },
      full ? 'ingest full: not reading device connections' : 'ingest has room: reading device connections again',
    );
  });

  // Nagle's algorithm holds small PUBACKs for ~40 ms; devices wait on them.
  const server = net.createServer({ noDelay: true }, (socket) => {
    gate.wrap(socket);
    broker.handle(socket);
  });
  const port = await new Promise<number>((resolve, rejectListen) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      rejectListen(err.code === 'EADDRINUSE' ? new PortInUseError(options.port) : err),
    );
    server.listen(options.port, options.host, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : options.port);
    });
  });
  log.info({ port }, 'MQTT broker listening');

  return {
    port,
    listening: () => server.listening && !broker.closed,
    connections: () => {
      const counts = { vehicle: 0, collector: 0, sensor: 0, camera: 0, service: 0 };
      for (const p of connected.values()) counts[p.type === 'device' ? p.kind : 'service']++;
      return counts;
    },
    sendCommand: (deviceId, commandId, body) =>
      new Promise<boolean>((resolve, reject) => {
        const listener = commandListeners.get(deviceId);
        if (!listener || listener.closed) return resolve(false);
        broker.publish(
          {
            cmd: 'publish',
            topic: commandTopic(deviceId, commandId),
            payload: Buffer.from(JSON.stringify(body)),
            qos: 1,
            retain: false,
            dup: false,
          },
          (err) => (err ? reject(err) : resolve(true)),
        );
      }),
    reannounceDevices: () => {
      let n = 0;
      for (const [client, principal] of connected) {
        if (principal.type !== 'device' || client.closed) continue;
        const atMs = now();
        sinks.deviceConnected?.(principal.id, atMs);
        status(principal, 'online', client, atMs);
        n++;
      }
      return n;
    },
    close: () =>
      new Promise<void>((resolve) => {
        // The broker first: it disconnects the clients, which lets the TCP server finish closing.
        broker.close(() => server.close(() => resolve()));
      }).then(async () => {
        // Its Redis connection; what it holds stays in Redis for the other processes.
        await cluster?.persistence.destroy().catch((err: Error) => log.warn({ err: err.message }, 'mqtt persistence'));
      }),
  };
}
