// PUBLISH handling (设备上报): the ACL, then decode and validate, then hand the observations to the pipeline. A QoS 1
// message is acknowledged only when the pipeline says its data is durable. A refused message is acknowledged all the
// same (MQTT 3.1.1 has no negative PUBACK: refusing would drop the connection and the device would resend the same bad
// message for ever), is never forwarded, and the device hears why on its errors topic.
import type { Aedes, Client, PublishPacket } from 'aedes';
import type { Logger } from 'pino';
import { Rejection, type Observation } from '../observation.js';
import { validateObservation, type ValidationLimits } from '../pipeline/validate.js';
import { canPublish, type Principal } from './acl.js';
import { decodeDevicePayload } from './payloads.js';
import { deviceIdOfTopic, errorTopic, parseDeviceTopic } from './topics.js';

export interface PublishDeps {
  broker: Aedes;
  log: Logger;
  limits: ValidationLimits;
  now: () => number;
  principals: WeakMap<Client, Principal>;
  /** Payload buffers of refused messages: authorizeForward drops them (it sees a copy of the packet, not the packet). */
  dropped: WeakSet<object>;
  /** Resolves when the observations are durable; rejects if not (the device is then not acked and resends). */
  accept(observations: Observation[], qos: 0 | 1 | 2): Promise<void>;
  rejected?(deviceId: string | null, rejection: Rejection): void;
  /** Per-device admission (rate limit); a Rejection refuses the message. */
  admit?(deviceId: string, nowMs: number): Rejection | null;
}

export function makeAuthorizePublish(deps: PublishDeps) {
  const { broker, log } = deps;

  const tellDevice = (deviceId: string, topic: string, rejection: Rejection) => {
    const body = {
      topic,
      reason: rejection.reason,
      message: rejection.message,
      time: new Date(deps.now()).toISOString(),
    };
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

  const refuse = (client: Client, principal: Principal | undefined, packet: PublishPacket, rejection: Rejection) => {
    deps.dropped.add(packet.payload as object);
    const deviceId = principal?.type === 'device' ? principal.id : deviceIdOfTopic(packet.topic);
    deps.rejected?.(deviceId, rejection);
    log.warn(
      { deviceId, clientId: client.id, topic: packet.topic, reason: rejection.reason, err: rejection.message },
      'publish rejected',
    );
    // Only ever to the sender's own errors topic, whatever topic it wrote to.
    if (principal?.type === 'device') tellDevice(principal.id, packet.topic, rejection);
  };

  return (client: Client | null, packet: PublishPacket, callback: (error?: Error | null) => void): void => {
    if (packet.topic.startsWith('$SYS/')) return callback(new Error('$SYS/ topics are reserved'));
    // A last will published after its client is gone (never with in-memory sessions): nobody to attribute it to.
    if (!client) return callback(new Error('publish without a client'));
    const principal = deps.principals.get(client);
    if (!principal) return callback(new Error('not authenticated'));
    // Device data goes to the pipeline, not into the broker's retained store.
    packet.retain = false;
    const ownUnknownKind =
      principal.type === 'device' &&
      deviceIdOfTopic(packet.topic) === principal.id &&
      parseDeviceTopic(packet.topic) === null;
    if (ownUnknownKind) {
      refuse(client, principal, packet, new Rejection('unknown_topic', `unknown topic ${packet.topic}`));
      return callback(null);
    }
    if (!canPublish(principal, packet.topic)) {
      refuse(client, principal, packet, new Rejection('not_authorized', `not allowed to publish to ${packet.topic}`));
      return callback(null);
    }
    if (principal.type === 'service') return callback(null); // commands to devices: forwarded as they are

    const topic = parseDeviceTopic(packet.topic);
    if (!topic) {
      refuse(client, principal, packet, new Rejection('unknown_topic', `unknown topic ${packet.topic}`));
      return callback(null);
    }
    const nowMs = deps.now();
    const admission = deps.admit?.(topic.deviceId, nowMs);
    if (admission) {
      refuse(client, principal, packet, admission);
      return callback(null);
    }
    let observations: Observation[];
    try {
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      observations = decodeDevicePayload(topic.deviceId, topic.kind, payload, nowMs);
      for (const [i, o] of observations.entries()) {
        try {
          validateObservation(o, nowMs, deps.limits);
        } catch (err) {
          // In a batch, say which entry; nothing of the batch is stored.
          if (err instanceof Rejection && observations.length > 1) {
            throw new Rejection(err.reason, `positions[${i}]: ${err.message}`);
          }
          throw err;
        }
      }
    } catch (err) {
      if (!(err instanceof Rejection)) throw err;
      refuse(client, principal, packet, err);
      return callback(null);
    }
    deps.accept(observations, packet.qos).then(
      () => callback(null),
      (err: unknown) => {
        if (err instanceof Rejection) {
          // Shed by the pipeline (overload, QoS 0): acknowledged and counted, not stored.
          refuse(client, principal, packet, err);
          return callback(null);
        }
        // Not durable: no PUBACK, and the connection closes so the client resends on reconnect (QoS 1).
        log.error({ deviceId: topic.deviceId, err }, 'data not stored; disconnecting the device so it resends');
        callback(err instanceof Error ? err : new Error(String(err)));
      },
    );
  };
}
