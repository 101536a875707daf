// The MQTT broker (消息代理) devices connect to: aedes on plain TCP. Each device publish is decoded and validated here
// and handed to the pipeline; the broker acknowledges a QoS 1 position only after the pipeline says it is durable.
// Declares the sinks it needs; the hub wires them (ingest never imports hub code).
import net from 'node:net';
import { Aedes, type Client, type PublishPacket } from 'aedes';
import type { Logger } from 'pino';
import { Rejection, type Position } from '../observation.js';
import { validatePosition, type ValidationLimits } from '../pipeline/validate.js';
import { decodePositionPayload } from './payloads.js';
import { deviceIdOfTopic, errorTopic, parseDeviceTopic } from './topics.js';

export interface MqttIngestSinks {
  /** Resolves when the position is durable; rejects if it could not be made so (the device is then not acked). */
  position(position: Position): Promise<void>;
  /** A publish was refused; for counting. */
  rejected?(deviceId: string | null, rejection: Rejection): void;
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
  broker: Aedes;
  /** The bound TCP port (useful when 0 was asked for). */
  port: number;
  listening(): boolean;
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
  const broker = await Aedes.createBroker();

  const reject = (client: Client | null, topic: string, rejection: Rejection): void => {
    const deviceId = deviceIdOfTopic(topic);
    sinks.rejected?.(deviceId, rejection);
    log.warn(
      { deviceId, clientId: client?.id, topic, reason: rejection.reason, err: rejection.message },
      'publish rejected',
    );
    if (!deviceId) return;
    const body = { topic, reason: rejection.reason, message: rejection.message, time: new Date(now()).toISOString() };
    broker.publish(
      {
        cmd: 'publish',
        topic: errorTopic(deviceId),
        payload: Buffer.from(JSON.stringify(body)),
        qos: 0,
        retain: false,
        dup: false,
      },
      () => undefined,
    );
  };

  broker.authorizePublish = (
    client: Client | null,
    packet: PublishPacket,
    callback: (error?: Error | null) => void,
  ) => {
    if (packet.topic.startsWith('$SYS/')) return callback(new Error('$SYS/ topics are reserved'));
    if (!client || !packet.topic.startsWith('devices/')) return callback(null);
    const topic = parseDeviceTopic(packet.topic);
    if (!topic) {
      reject(client, packet.topic, new Rejection('unknown_topic', `unknown topic ${packet.topic}`));
      return callback(null);
    }
    let position: Position;
    try {
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      position = validatePosition(decodePositionPayload(topic.deviceId, payload), now(), limits);
    } catch (err) {
      if (!(err instanceof Rejection)) throw err;
      // Acknowledged all the same: refusing would make MQTT 3.1.1 clients drop the connection and resend the same bad
      // message for ever. The device learns the reason on its errors topic.
      reject(client, packet.topic, err);
      return callback(null);
    }
    sinks.position(position).then(
      () => callback(null),
      (err: unknown) => {
        // Not durable: no PUBACK, and the connection closes so the client resends on reconnect (QoS 1).
        log.error({ deviceId: topic.deviceId, err }, 'position not stored; disconnecting the device so it resends');
        callback(err instanceof Error ? err : new Error(String(err)));
      },
    );
  };

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
  broker.on('clientError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'mqtt client error'));
  log.info({ port }, 'MQTT broker listening');

  return {
    broker,
    port,
    listening: () => server.listening && !broker.closed,
    close: () =>
      new Promise<void>((resolve) => {
        // The broker first: it disconnects the clients, which lets the TCP server finish closing.
        broker.close(() => server.close(() => resolve()));
      }),
  };
}
