// The MQTT broker (消息代理) devices connect to: aedes on plain TCP, with our CONNECT, PUBLISH and SUBSCRIBE
// handlers. Declares the sinks it needs; the hub wires them (ingest never imports hub code).
import net from 'node:net';
import { Aedes, type Client, type Subscription } from 'aedes';
import type { Logger } from 'pino';
import type { Observation, Rejection } from '../observation.js';
import type { ValidationLimits } from '../pipeline/validate.js';
import { canSubscribe, type DeviceKind, type Principal } from './acl.js';
import { AuthThrottle } from './auth-throttle.js';
import { makeAuthenticate, remoteAddress, type AuthFailure, type AuthResult } from './connect.js';
import { makeAuthorizePublish } from './publish.js';
import { commandTopic } from './topics.js';

export interface MqttIngestSinks {
  authenticate(username: string, password: string): Promise<AuthResult>;
  /** Resolves when the observations are durable; rejects if they could not be made so (the device is then not acked). */
  accept(observations: Observation[], qos: 0 | 1 | 2): Promise<void>;
  /** A publish was refused; for counting. */
  rejected?(deviceId: string | null, rejection: Rejection): void;
  authFailed?(reason: AuthFailure, address: string): void;
  admit?(deviceId: string, nowMs: number): Rejection | null;
  /** A device subscribed to its commands: whatever is waiting for it can be sent now. */
  listeningForCommands?(deviceId: string): void;
}

export interface MqttIngestOptions {
  host: string;
  port: number;
  log: Logger;
  limits: ValidationLimits;
  sinks: MqttIngestSinks;
  now?: () => number;
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
  // drainTimeout: a subscriber that stops reading is dropped instead of stalling delivery to everyone else.
  const broker = await Aedes.createBroker({ drainTimeout: 30_000, concurrency: 1000 });
  const principals = new WeakMap<Client, Principal>();
  const dropped = new WeakSet<object>();
  const connected = new Map<Client, Principal>();
  /** Devices with a live subscription to their commands, by the client holding it. */
  const commandListeners = new Map<string, Client>();

  broker.authenticate = makeAuthenticate({
    authenticate: (u, p) => sinks.authenticate(u, p),
    throttle: new AuthThrottle({
      freeFailures: 3,
      baseDelayMs: 1000,
      maxDelayMs: 5 * 60_000,
      forgetAfterMs: 30 * 60_000,
      maxEntries: 100_000,
    }),
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
    accept: (observations, qos) => sinks.accept(observations, qos),
    rejected: (deviceId, rejection) => sinks.rejected?.(deviceId, rejection),
    admit: sinks.admit ? (deviceId, nowMs) => sinks.admit!(deviceId, nowMs) : undefined,
  });
  broker.authorizeSubscribe = (
    client: Client,
    subscription: Subscription,
    callback: (error: Error | null, subscription?: Subscription | null) => void,
  ) => {
    const principal = principals.get(client);
    if (principal && canSubscribe(principal, subscription.topic)) return callback(null, subscription);
    log.warn({ clientId: client.id, filter: subscription.topic }, 'subscription refused');
    // A null subscription refuses it with SUBACK 0x80 and keeps the connection.
    callback(null, null);
  };
  broker.authorizeForward = (_client, packet) => (dropped.has(packet.payload as object) ? null : packet);

  const status = (principal: Principal, state: 'online' | 'offline', client: Client) => {
    if (principal.type !== 'device') return;
    const observation: Observation = {
      type: 'status',
      deviceId: principal.id,
      timeMs: now(),
      state,
      batteryPct: null,
      signalDbm: null,
      attributes: { address: remoteAddress(client) },
      source: 'broker',
    };
    sinks
      .accept([observation], 1)
      .catch((err: unknown) => log.warn({ err, deviceId: principal.id }, 'status not stored'));
  };
  broker.on('clientReady', (client) => {
    const principal = principals.get(client);
    if (!principal) return;
    connected.set(client, principal);
    status(principal, 'online', client);
  });
  broker.on('subscribe', (subscriptions, client) => {
    const principal = client && principals.get(client);
    if (principal?.type !== 'device') return;
    if (subscriptions.some((s) => s.topic.startsWith(`devices/${principal.id}/commands/`))) {
      commandListeners.set(principal.id, client);
      sinks.listeningForCommands?.(principal.id);
    }
  });
  broker.on('clientDisconnect', (client) => {
    const principal = connected.get(client);
    if (!principal) return;
    connected.delete(client);
    if (principal.type === 'device' && commandListeners.get(principal.id) === client) {
      commandListeners.delete(principal.id);
    }
    // When a device reconnects, aedes drops the old connection after the new one is in: it is not offline then.
    const current = (broker as unknown as { clients: Record<string, Client | undefined> }).clients[client.id];
    if (!current || current === client) status(principal, 'offline', client);
  });
  broker.on('clientError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'mqtt client error'));
  broker.on('connectionError', (client, err) =>
    log.debug({ clientId: client.id, err: err.message }, 'mqtt connection error'),
  );

  // Nagle's algorithm holds small PUBACKs for ~40 ms; devices wait on them.
  const server = net.createServer({ noDelay: true }, broker.handle);
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
    close: () =>
      new Promise<void>((resolve) => {
        // The broker first: it disconnects the clients, which lets the TCP server finish closing.
        broker.close(() => server.close(() => resolve()));
      }),
  };
}
