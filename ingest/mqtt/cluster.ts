// 集群消息代理 the broker's shared state when several hub processes run aedes behind one address: subscriptions,
// retained messages, QoS 1/2 in-flight state, offline queues and wills in Redis (aedes-persistence-redis), and every
// publish fanned out through Redis pub/sub (mqemitter-redis), so a device may connect to any process and a command
// published on one reaches a device connected to another; failed logins are counted per address for all of them
// (redis-auth-throttle.ts). Device data is ingested in authorizePublish, which runs only for the publishing client's
// own connection: copies forwarded from other processes go to subscribers, never to the pipeline.
import { createRequire } from 'node:module';
import { Redis } from 'ioredis';
import mqemitter from 'mqemitter';
import mqemitterRedis from 'mqemitter-redis';
import type { LoginBackoff } from './auth-throttle.js';
import { parseDeviceTopic } from './topics.js';

/** The message emitter aedes fans publishes out with (mqemitter's interface, as aedes uses it). */
export interface MessageEmitter {
  on(topic: string, listener: (packet: EmittedPacket, done: () => void) => void, done?: () => void): unknown;
  removeListener(
    topic: string,
    listener: (packet: EmittedPacket, done: () => void) => void,
    done?: () => void,
  ): unknown;
  emit(packet: EmittedPacket, done?: (err?: Error) => void): void;
  close(done: () => void): void;
}

export interface EmittedPacket {
  topic: string;
  payload: unknown;
  [key: string]: unknown;
}

/** aedes' persistence interface: opaque here, handed to aedes as it is. */
export interface BrokerPersistence {
  /** Without a callback: a promise (the callback form waits for a 'ready' that aedes 2's `setup()` never emits). */
  destroy(): Promise<void>;
}

export interface BrokerCluster {
  /** This broker's name among the others (aedes `id`): take-overs and wills are told apart by it. */
  brokerId: string;
  mq: MessageEmitter;
  persistence: BrokerPersistence;
  /**
   * Whether device data (positions, telemetry…) must cross to the other processes: only service accounts may read
   * device topics, so when none is subscribed anywhere, Redis is spared one PUBLISH per message. Default: always.
   */
  forwardDeviceData(): boolean;
  /** Failed logins per address counted for every process (redis-auth-throttle.ts); absent: this process's memory. */
  loginBackoff?: LoginBackoff;
}

const require = createRequire(import.meta.url);
// aedes-persistence-redis ships no type declarations; it takes ioredis options, or a connection as `conn`.
const persistenceRedis = require('aedes-persistence-redis') as (options: {
  conn: Redis;
  maxSessionDelivery?: number;
}) => BrokerPersistence;

export interface RedisBrokerOptions {
  redisUrl: string;
  brokerId: string;
  forwardDeviceData?: () => boolean;
  /** Offline messages handed to a client on CONNECT at most (aedes-persistence-redis `maxSessionDelivery`). */
  maxSessionDelivery?: number;
  loginBackoff?: LoginBackoff;
}

/** The Redis-backed emitter and persistence for one broker process (three Redis connections). */
export function redisBrokerCluster(options: RedisBrokerOptions): BrokerCluster {
  const connect = (name: string) =>
    new Redis(options.redisUrl, { connectionName: `cityhub:${options.brokerId}:${name}`, lazyConnect: false });
  const mq = mqemitterRedis({ pubConn: connect('mq-pub'), subConn: connect('mq-sub') }) as unknown as MessageEmitter;
  return {
    brokerId: options.brokerId,
    mq,
    persistence: persistenceRedis({
      conn: connect('persistence'),
      maxSessionDelivery: options.maxSessionDelivery ?? 1000,
    }),
    forwardDeviceData: options.forwardDeviceData ?? (() => true),
    ...(options.loginBackoff ? { loginBackoff: options.loginBackoff } : {}),
  };
}

/**
 * A device's own subscriptions — its commands and its errors (acl.ts allows a device nothing else) — as aedes registers
 * them: `devices/{id}/commands/#`, `…/commands/+`, `…/commands/{commandId}`, `devices/{id}/errors`.
 */
const DEVICE_OWN_FILTER = /^devices\/[^/#+]+\/(commands\/(#|\+|[^/#+]+)|errors)$/;
/** Every process hears every device-bound message through these two, and hands it to its own devices. */
const DEVICE_BOUND_FILTERS = ['devices/+/commands/+', 'devices/+/errors'];

/**
 * The emitter aedes gets in a cluster: mqemitter-redis, with three things kept off Redis.
 *
 * - Devices' own subscriptions stay in this process (a local mqemitter). Redis matches every PUBLISH against every
 *   pattern subscription (`PSUBSCRIBE`), and each connected device's `devices/{id}/commands/#` would be one: measured on
 *   this box, 10,000 of them bring Redis down to ~1,600 publishes/s, 50,000 to ~120/s. Instead each process listens to
 *   two patterns for all device-bound messages (commands, errors) and passes them to its own devices; a command still
 *   reaches a device on any process, and services' subscriptions go through Redis as before.
 * - Refused messages are not sent at all (aedes still publishes them, as QoS 0, after the refusal was answered; locally
 *   authorizeForward drops them, but a copy decoded on another process is a new object that check cannot recognise).
 * - Device data is not sent while no service account is subscribed anywhere (they alone may read device topics).
 */
export class ClusterEmitter implements MessageEmitter {
  private readonly local: MessageEmitter;
  private readonly ready: Promise<void>;

  constructor(
    private readonly inner: MessageEmitter,
    private readonly refused: (payload: unknown) => boolean,
    private readonly forwardDeviceData: () => boolean,
  ) {
    // As aedes configures its own emitter: '#' also matches the parent level [MQTT-4.7.1-3].
    this.local = mqemitter({ concurrency: 1000, matchEmptyLevels: true }) as unknown as MessageEmitter;
    const toDevicesHere = (packet: EmittedPacket, done: () => void) => this.local.emit(packet, () => done());
    this.ready = Promise.all(
      DEVICE_BOUND_FILTERS.map((f) => new Promise<void>((resolve) => inner.on(f, toDevicesHere, resolve))),
    ).then(() => undefined);
  }

  /** Resolves once the device-bound patterns are subscribed in Redis. */
  whenReady(): Promise<void> {
    return this.ready;
  }

  on(topic: string, listener: (packet: EmittedPacket, done: () => void) => void, done?: () => void): this {
    if (DEVICE_OWN_FILTER.test(topic)) this.local.on(topic, listener, done);
    else this.inner.on(topic, listener, done);
    return this;
  }

  removeListener(topic: string, listener: (packet: EmittedPacket, done: () => void) => void, done?: () => void): this {
    if (DEVICE_OWN_FILTER.test(topic)) this.local.removeListener(topic, listener, done);
    else this.inner.removeListener(topic, listener, done);
    return this;
  }

  emit(packet: EmittedPacket, done?: (err?: Error) => void): void {
    const skip =
      this.refused(packet.payload) ||
      (!packet.topic.startsWith('$') && parseDeviceTopic(packet.topic) !== null && !this.forwardDeviceData());
    if (skip) {
      if (done) process.nextTick(done);
      return;
    }
    // Device-bound messages too go through Redis (services may read them), and come back to every process through
    // DEVICE_BOUND_FILTERS, this one included.
    this.inner.emit(packet, done);
  }

  close(done: () => void): void {
    this.local.close(() => this.inner.close(done));
  }
}
