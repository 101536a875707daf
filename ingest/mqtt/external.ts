// External broker mode (外部消息代理): when a city runs its own broker (Mosquitto, EMQX…), the hub runs none and
// consumes device topics from it as an MQTT 5 client through a shared subscription, so several hub processes split
// the stream and each message is stored by exactly one of them. The broker authenticates devices and enforces its own
// ACL (see README); the hub decodes and validates exactly as the built-in broker does, and acknowledges each message
// to the broker only once it is durable, so a hub that dies leaves its unacknowledged messages in its session for
// redelivery when it comes back with the same HUB_ID (Mosquitto keeps them there; it does not hand them to the other
// hubs of the group).
import os from 'node:os';
import mqtt, { type IPublishPacket, type MqttClient, type Packet } from 'mqtt';
import type { Logger } from 'pino';
import { Rejection, type Observation } from '../observation.js';
import { validateObservation, type ValidationLimits } from '../pipeline/validate.js';
import { decodeDevicePayload } from './payloads.js';
import { commandTopic, deviceIdOfTopic, errorTopic, parseDeviceTopic } from './topics.js';

export const SHARE_GROUP = 'cityhub';
export const SHARED_FILTER = `$share/${SHARE_GROUP}/devices/+/+`;

export interface ExternalConsumerOptions {
  /** mqtt://user:password@host:port — the hub's own service account on that broker. */
  url: string;
  log: Logger;
  limits: ValidationLimits;
  sinks: {
    accept(observations: Observation[], qos: 0 | 1 | 2): Promise<void>;
    rejected?(deviceId: string | null, rejection: Rejection): void;
  };
  /** Stable per hub process, so a restarted hub resumes its session and gets its unacknowledged messages. */
  clientId?: string;
  now?: () => number;
}

export interface ExternalConsumer {
  connected(): boolean;
  sendCommand(deviceId: string, commandId: string, body: unknown): Promise<void>;
  close(): Promise<void>;
}

type SendPacket = (packet: Packet, cb?: (err?: Error) => void, cbStorePut?: () => void, noStore?: boolean) => void;

export async function startExternalConsumer(options: ExternalConsumerOptions): Promise<ExternalConsumer> {
  const { log, sinks } = options;
  const now = options.now ?? Date.now;
  /** PUBACKs to hold until the message is durable, by message id. */
  const held = new Map<number, Promise<unknown>>();

  // Connected by hand (below) once the PUBACK hold and the handlers are in place: a resumed session's backlog arrives
  // right behind the CONNACK and mqtt.js handles the first of it before connectAsync() would have resolved, which
  // acknowledged those messages before they were stored, and crashed the hub on a refusal among them (`client` was
  // not assigned yet when tell() used it).
  const client: MqttClient = mqtt.connect(options.url, {
    manualConnect: true,
    protocolVersion: 5,
    clientId: options.clientId ?? `cityhub-${os.hostname()}`,
    clean: false,
    properties: { sessionExpiryInterval: 3600, receiveMaximum: 1000 },
    reconnectPeriod: 2000,
    // mqtt.js handles one incoming message at a time and sends its PUBACK before taking the next, so holding the
    // acknowledgement in its own callback would serialize the whole stream behind each database commit. Instead every
    // message is passed on at once and its PUBACK is delayed at the point where it is sent (below), which keeps
    // messages flowing into the batcher while each acknowledgement still waits for durability.
    customHandleAcks: (topic: string, message: Buffer, packet: IPublishPacket, done: (code: number) => void) => {
      if (packet.messageId !== undefined) held.set(packet.messageId, handle(topic, message, packet.qos));
      done(0);
    },
  });
  const internal = client as unknown as { _sendPacket: SendPacket };
  const sendPacket = internal._sendPacket.bind(client);
  internal._sendPacket = (packet, cb, cbStorePut, noStore) => {
    const wait = packet.cmd === 'puback' && packet.messageId !== undefined ? held.get(packet.messageId) : undefined;
    if (!wait) return sendPacket(packet, cb, cbStorePut, noStore);
    held.delete(packet.messageId!);
    // `cb` is mqtt.js's "take the next incoming packet" (handlePublish passes its `done` here): call it now. Passed on
    // with the delayed PUBACK it would make mqtt.js wait for this message's commit before reading the next one — one
    // message per batch, the whole stream serialized behind the database. The broker's window of unacknowledged
    // messages (receiveMaximum) still bounds how many are held at once.
    cb?.();
    wait.then(
      () => sendPacket(packet, undefined, cbStorePut, noStore),
      // Not durable: no PUBACK; dropping the connection makes the broker redeliver it when we reconnect.
      (err: unknown) => {
        log.error({ err }, 'message not stored; reconnecting so the broker redelivers it');
        client.stream.destroy();
      },
    );
  };
  // QoS 0 messages never reach customHandleAcks.
  client.on('message', (topic, message, packet) => {
    if (packet.qos === 0) void handle(topic, message, 0).catch(() => undefined);
  });

  function tell(deviceId: string, topic: string, rejection: Rejection): void {
    const body = { topic, reason: rejection.reason, message: rejection.message, time: new Date(now()).toISOString() };
    client.publish(errorTopic(deviceId), JSON.stringify(body), { qos: 0 });
  }

  /** Resolves when the message's data is durable, or when it was refused (refusals are acknowledged). */
  async function handle(topicName: string, payload: Buffer, qos: 0 | 1 | 2): Promise<void> {
    const topic = parseDeviceTopic(topicName);
    const nowMs = now();
    if (!topic) {
      // Our own error messages come back through the wildcard: not device data.
      const deviceId = deviceIdOfTopic(topicName);
      if (topicName.endsWith('/errors') || !deviceId) return;
      const rejection = new Rejection('unknown_topic', `unknown topic ${topicName}`);
      sinks.rejected?.(deviceId, rejection);
      tell(deviceId, topicName, rejection);
      return;
    }
    try {
      const observations = decodeDevicePayload(topic.deviceId, topic.kind, payload, nowMs);
      for (const o of observations) validateObservation(o, nowMs, options.limits);
      await sinks.accept(observations, qos);
    } catch (err) {
      if (!(err instanceof Rejection)) throw err;
      sinks.rejected?.(topic.deviceId, err);
      log.warn(
        { deviceId: topic.deviceId, topic: topicName, reason: err.reason, err: err.message },
        'publish rejected',
      );
      tell(topic.deviceId, topicName, err);
    }
  }

  client.on('error', (err) => log.warn({ err: err.message }, 'external broker error'));
  client.on('offline', () => log.warn('external broker unreachable; reconnecting'));
  // As connectAsync(): the first connection succeeds, or its first error fails the start-up.
  await new Promise<void>((resolve, reject) => {
    const connected = () => {
      client.off('error', failed);
      resolve();
    };
    const failed = (err: Error) => {
      client.off('connect', connected);
      client.end(true);
      reject(err);
    };
    client.once('connect', connected);
    client.once('error', failed);
    client.connect();
  });
  await client.subscribeAsync(SHARED_FILTER, { qos: 1 });
  log.info({ filter: SHARED_FILTER }, 'consuming device topics from the external broker');

  return {
    connected: () => client.connected,
    sendCommand: async (deviceId, commandId, body) => {
      await client.publishAsync(commandTopic(deviceId, commandId), JSON.stringify(body), { qos: 1 });
    },
    close: async () => {
      await client.endAsync();
    },
  };
}
