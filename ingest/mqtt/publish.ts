// PUBLISH handling (设备上报): the ACL and rate limit, then — once the pipeline has room; a QoS 1 message beyond it
// waits undecoded — decode and validate, then hand the observations to the pipeline. A QoS 1 message is acknowledged
// only when the pipeline says its data is durable. A refused message is never stored nor forwarded, is counted, and
// the device hears why on its errors topic. An MQTT 5 device also gets a PUBACK with the reason code of the refusal
// (reason-codes.ts). MQTT 3.1.1 has no negative PUBACK: there the refusal is acknowledged all the same, since refusing
// would drop the connection and the device would resend the same bad message for ever.
import type { Aedes, Client, PublishPacket } from 'aedes';
import { writeToStream, type IPubackPacket, type IPubrecPacket } from 'mqtt-packet';
import type { Logger } from 'pino';
import { Rejection, type Observation } from '../observation.js';
import { validateObservation, type ValidationLimits } from '../pipeline/validate.js';
import { canPublish, type Principal } from './acl.js';
import { decodeDevicePayload } from './payloads.js';
import { NOT_DURABLE_DISCONNECT, pubackReasonCode } from './reason-codes.js';
import { deviceIdOfTopic, errorTopic, parseDeviceTopic, type DeviceTopic } from './topics.js';

export interface PublishDeps {
  broker: Aedes;
  log: Logger;
  limits: ValidationLimits;
  now: () => number;
  principals: WeakMap<Client, Principal>;
  /** Payload buffers of refused messages: authorizeForward drops them (it sees a copy of the packet, not the packet). */
  dropped: WeakSet<object>;
  /**
   * Resolves when the observations are durable; rejects if not (the device is then not acked and resends).
   * `admitted`: the message was let through by waitForRoom (at once or after waiting) and does not queue again.
   */
  accept(observations: Observation[], qos: 0 | 1 | 2, options?: { admitted?: boolean }): Promise<void>;
  /**
   * Backpressure before decoding: null when a message may go in now, else a promise resolved (in arrival order)
   * when there is room. A QoS 1/2 message waits undecoded — the cheap form of a held message.
   */
  waitForRoom?(): Promise<void> | null;
  rejected?(deviceId: string | null, rejection: Rejection): void;
  /** Per-device admission (rate limit); a Rejection refuses the message. */
  admit?(deviceId: string, nowMs: number): Rejection | null;
  /** Whether an MQTT 5 client accepts Reason Strings on acknowledgements (its CONNECT's Request Problem Information). */
  wantsReasonStrings(client: Client): boolean;
}

/** Reason Strings are cut here: they tell a person what went wrong, not the whole validation report. */
const MAX_REASON_STRING_CHARS = 256;
/** Fixed header, packet id, reason code, property length, property id and string length: at most 12 bytes. */
const ACK_BYTES_BESIDES_REASON_STRING = 12;

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

  const refuse = (client: Client, principal: Principal, packet: PublishPacket, rejection: Rejection) => {
    deps.dropped.add(packet.payload as object);
    const deviceId = principal.type === 'device' ? principal.id : deviceIdOfTopic(packet.topic);
    deps.rejected?.(deviceId, rejection);
    log.warn(
      { deviceId, clientId: client.id, topic: packet.topic, reason: rejection.reason, err: rejection.message },
      'publish rejected',
    );
    // Only ever to the sender's own errors topic, whatever topic it wrote to.
    if (principal.type === 'device') tellDevice(principal.id, packet.topic, rejection);
  };

  /**
   * Answers a refused message. MQTT 3.1.1: acknowledged like any other (aedes sends the PUBACK). MQTT 5: a PUBACK
   * (PUBREC for QoS 2) with the refusal's own reason code. aedes 2 answers every authorizePublish error with 0x87 Not
   * authorized, so we write the acknowledgement on the client's connection ourselves and give the packet back to aedes
   * as QoS 0: aedes then sends no acknowledgement of its own, and the publish it still makes is dropped by
   * authorizeForward (the payload is in `dropped`), as for every refusal.
   */
  const answerRefusal = (
    client: Client,
    principal: Principal,
    packet: PublishPacket,
    rejection: Rejection,
    callback: (error?: Error | null) => void,
  ) => {
    refuse(client, principal, packet, rejection);
    if (client.version === 5 && packet.qos > 0) {
      // A last will is authorized after its client closed: nobody to answer.
      if (!client.closed) writeRefusalAck(client, packet, rejection);
      packet.qos = 0;
    }
    callback(null);
  };

  const writeRefusalAck = (client: Client, packet: PublishPacket, rejection: Rejection) => {
    const ack: IPubackPacket | IPubrecPacket = {
      cmd: packet.qos === 1 ? 'puback' : 'pubrec',
      messageId: packet.messageId,
      reasonCode: pubackReasonCode(rejection.reason).code,
    };
    if (deps.wantsReasonStrings(client)) {
      const reasonString = `${rejection.reason}: ${rejection.message}`.slice(0, MAX_REASON_STRING_CHARS);
      // A Reason String that would take the PUBACK over the client's Maximum Packet Size is left out [MQTT-3.4.2-2].
      const fits =
        client.maximumPacketSize === undefined ||
        Buffer.byteLength(reasonString) + ACK_BYTES_BESIDES_REASON_STRING <= client.maximumPacketSize;
      if (fits) ack.properties = { reasonString };
    }
    writeToStream(ack, client.conn, { protocolVersion: 5 });
  };

  const authorizePublish = (
    client: Client | null,
    packet: PublishPacket,
    callback: (error?: Error | null) => void,
  ): void => {
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
      return answerRefusal(
        client,
        principal,
        packet,
        new Rejection('unknown_topic', `unknown topic ${packet.topic}`),
        callback,
      );
    }
    if (!canPublish(principal, packet.topic)) {
      return answerRefusal(
        client,
        principal,
        packet,
        new Rejection('not_authorized', `not allowed to publish to ${packet.topic}`),
        callback,
      );
    }
    if (principal.type === 'service') return callback(null); // commands to devices: forwarded as they are

    const topic = parseDeviceTopic(packet.topic);
    if (!topic) {
      return answerRefusal(
        client,
        principal,
        packet,
        new Rejection('unknown_topic', `unknown topic ${packet.topic}`),
        callback,
      );
    }
    const nowMs = deps.now();
    const admission = deps.admit?.(topic.deviceId, nowMs);
    if (admission) return answerRefusal(client, principal, packet, admission, callback);
    // The hub is full: a QoS 1/2 message waits here, undecoded, for its turn (its PUBACK, and so the device's next
    // messages, wait with it). QoS 0 goes on and is shed by the pipeline.
    const room = packet.qos > 0 && deps.waitForRoom ? deps.waitForRoom() : undefined;
    // QoS 0 (or no backpressure before decoding): the pipeline decides. Room now: let through, it does not ask again.
    if (room === undefined) return decodeAndAccept(client, principal, packet, topic, nowMs, false, callback);
    if (room === null) return decodeAndAccept(client, principal, packet, topic, nowMs, true, callback);
    room
      .then(() => decodeAndAccept(client, principal, packet, topic, nowMs, true, callback))
      .catch((err: unknown) => notDurable(client, topic.deviceId, err, callback));
  };

  const decodeAndAccept = (
    client: Client,
    principal: Principal,
    packet: PublishPacket,
    topic: DeviceTopic,
    nowMs: number,
    admitted: boolean,
    callback: (error?: Error | null) => void,
  ): void => {
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
      return answerRefusal(client, principal, packet, err, callback);
    }
    deps.accept(observations, packet.qos, admitted ? { admitted } : undefined).then(
      () => callback(null),
      (err: unknown) => {
        // Shed by the pipeline (overload, QoS 0): counted, not stored.
        if (err instanceof Rejection) return answerRefusal(client, principal, packet, err, callback);
        notDurable(client, topic.deviceId, err, callback);
      },
    );
  };

  const notDurable = (client: Client, deviceId: string, err: unknown, callback: (error?: Error | null) => void) => {
    const error = err instanceof Error ? err : new Error(String(err));
    log.error({ deviceId, err }, 'data not stored; disconnecting the device so it resends');
    // Not durable: no PUBACK, and the connection closes so the client resends on reconnect (QoS 1). aedes does
    // just that with an MQTT 3.1.1 client that gets an error.
    if (client.version !== 5) return callback(error);
    // aedes 2 would answer an MQTT 5 client's error with PUBACK 0x87 and drop the message: the device would never
    // send it again. So: a DISCONNECT saying why, and no acknowledgement. The error is handed to aedes only once
    // the connection is closed, when its 0x87 PUBACK can no longer be written.
    client.disconnect(
      {
        reasonCode: NOT_DURABLE_DISCONNECT.code,
        properties: { reasonString: 'data not stored: the hub cannot make it durable now; send it again' },
      },
      () => callback(error),
    );
  };

  return authorizePublish;
}
