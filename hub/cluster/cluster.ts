// 多进程集群 several hub processes behind one address, on Redis and the shared TimescaleDB: this process's place among
// them — its instance id and liveness (membership.ts), the election of the one that runs the work that must run once
// (leader.ts), which process handles each device (ownership.ts), commands relayed to a device's process
// (command-relay.ts), caches reloaded everywhere when one process changes their data (shared-caches.ts), login
// throttling counted in Redis (login-attempts.ts; the broker's: ingest/mqtt/redis-auth-throttle.ts), the devices and
// cameras of a process that died marked offline by the elected one (presence.ts, camera-publishers.ts), and the Redis
// connections the broker (ingest/mqtt/cluster.ts) and socket.io's Redis adapter use. Without REDIS_URL the hub is one
// process and `oneProcess()` stands in: it runs everything itself, and nothing here touches Redis.
import { randomBytes } from 'node:crypto';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { MQTT_LOGIN_BACKOFF } from '../../ingest/mqtt/auth-throttle.js';
import { redisBrokerCluster, type BrokerCluster } from '../../ingest/mqtt/cluster.js';
import { RedisAuthThrottle } from '../../ingest/mqtt/redis-auth-throttle.js';
import type { LoginAttempts } from '../auth/login-throttle.js';
import type { CommandTransport } from '../commands/commands.js';
import { ClusterBus } from './bus.js';
import { CameraPublishers } from './camera-publishers.js';
import { CommandRelay } from './command-relay.js';
import { AdvisoryLockElection, OneProcess, type Singletons } from './leader.js';
import { RedisLoginAttempts } from './login-attempts.js';
import { BEAT_MS, Membership } from './membership.js';
import { DeviceOwnership } from './ownership.js';
import { PresenceSweep, type PresenceTargets } from './presence.js';
import { connectRedis } from './redis.js';
import { SharedCaches } from './shared-caches.js';

export interface Cluster {
  /** Several processes (REDIS_URL set). */
  readonly clustered: boolean;
  /** This process among the others: HUB_ID and a random suffix (two processes may share a HUB_ID by mistake). */
  readonly instanceId: string;
  readonly singletons: Singletons;
  /** Null with one process. */
  readonly caches: SharedCaches | null;
  readonly ownership: DeviceOwnership | null;
  /** Which process each publishing camera streams to; null alone. */
  readonly cameraPublishers: CameraPublishers | null;
  /** Failed logins counted in Redis; undefined with one process (each counts in memory). */
  readonly loginAttempts: LoginAttempts | undefined;
  /** socket.io's adapter: browsers on any process see every process's updates. Undefined alone. */
  readonly socketAdapter: ReturnType<typeof createAdapter> | undefined;
  /** The built-in broker's shared state; null alone. */
  brokerCluster(): BrokerCluster | null;
  /** Commands: to a device connected here, or relayed to the process it is connected to. */
  commandTransport(local: CommandTransport): Promise<CommandTransport>;
  /** This process's connected service accounts (they alone may read device topics), for forwarding decisions. */
  reportServiceClients(count: () => number): void;
  /**
   * While this process leads: marks offline the devices and cameras of processes that died without a word (presence.ts).
   * Nothing alone (a process that dies takes everything with it, as before).
   */
  sweepPresence(targets: PresenceTargets): void;
  /** `listener` runs when this process finds the others took it for dead (its devices may have been marked offline). */
  onRejoin(listener: () => void): void;
  close(): Promise<void>;
}

/** One hub process, as before clustering: it leads, owns every device and shares nothing. */
export function oneProcess(hubId: string, log: Logger, registry?: Registry): Cluster {
  const singletons = new OneProcess(log, registry);
  return {
    clustered: false,
    instanceId: hubId,
    singletons,
    caches: null,
    ownership: null,
    cameraPublishers: null,
    loginAttempts: undefined,
    socketAdapter: undefined,
    brokerCluster: () => null,
    commandTransport: async (local) => local,
    reportServiceClients: () => undefined,
    sweepPresence: () => undefined,
    onRejoin: () => undefined,
    close: () => singletons.close(),
  };
}

export interface ClusterOptions {
  redisUrl: string;
  databaseUrl: string;
  hubId: string;
  log: Logger;
  registry?: Registry;
  /** How long to wait for Redis at start. */
  waitMs: number;
  signal?: AbortSignal;
}

const SERVICE_CLIENTS_KEY = 'cityhub:mqtt:service-clients';

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const { log } = options;
  const instanceId = `${options.hubId}-${randomBytes(3).toString('hex')}`;
  const connections: Redis[] = [];
  const connect = async (use: string) => {
    const redis = await connectRedis(options.redisUrl, `cityhub:${instanceId}:${use}`, log, {
      waitMs: options.waitMs,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    connections.push(redis);
    return redis;
  };
  const stops: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const stop of stops.reverse())
      await stop().catch((err: Error) => log.warn({ err: err.message }, 'cluster stop'));
    stops.length = 0;
    for (const redis of connections) await redis.quit().catch(() => redis.disconnect());
  };
  try {
    const redis = await connect('commands');
    const bus = new ClusterBus(redis, await connect('bus'), instanceId, log);
    const adapterSub = await connect('socket.io');
    const membership = new Membership(redis, instanceId, log);
    await membership.start();
    stops.push(() => membership.stop());
    const election = new AdvisoryLockElection({
      databaseUrl: options.databaseUrl,
      instanceId,
      log,
      ...(options.registry ? { registry: options.registry } : {}),
    });
    await election.start();
    stops.push(() => election.close());
    const ownership = new DeviceOwnership(redis, bus, membership, () => election.isLeader());
    const known = await ownership.start();
    const cameraPublishers = new CameraPublishers(redis, instanceId);

    // Whether any service account is connected anywhere: only they may read device topics (ingest/mqtt/acl.ts).
    let serviceClients: () => number = () => 0;
    let anyServiceClient = true;
    const countServices = async () => {
      await redis.hset(SERVICE_CLIENTS_KEY, instanceId, serviceClients());
      const counts = await redis.hgetall(SERVICE_CLIENTS_KEY);
      const live = membership.liveInstances();
      anyServiceClient = Object.entries(counts).some(([id, n]) => live.has(id) && Number(n) > 0);
    };
    const servicesTimer = setInterval(() => {
      countServices().catch((err: Error) => log.warn({ err: err.message }, 'service client count not shared'));
    }, BEAT_MS);
    servicesTimer.unref();
    stops.push(async () => {
      clearInterval(servicesTimer);
      await redis.hdel(SERVICE_CLIENTS_KEY, instanceId);
    });

    log.info(
      { instance: instanceId, live: [...membership.liveInstances()], devicesKnown: known },
      'joined the hub cluster',
    );
    return {
      clustered: true,
      instanceId,
      singletons: election,
      caches: new SharedCaches(bus, log),
      ownership,
      cameraPublishers,
      loginAttempts: new RedisLoginAttempts(redis),
      socketAdapter: createAdapter(redis, adapterSub, { key: 'cityhub:socket.io' }),
      brokerCluster: () =>
        redisBrokerCluster({
          redisUrl: options.redisUrl,
          brokerId: instanceId,
          forwardDeviceData: () => anyServiceClient,
          loginBackoff: new RedisAuthThrottle(redis, log.child({ part: 'mqtt-login' }), {
            backoff: MQTT_LOGIN_BACKOFF,
          }),
        }),
      async commandTransport(local) {
        const relay = new CommandRelay(bus, ownership, local, log.child({ part: 'command-relay' }));
        await relay.start();
        return relay;
      },
      reportServiceClients(count) {
        serviceClients = count;
        void countServices().catch(() => undefined);
      },
      sweepPresence(targets) {
        const sweep = new PresenceSweep({
          membership,
          ownership,
          publishers: cameraPublishers,
          targets,
          log: log.child({ part: 'presence' }),
        });
        election.run('presence-sweep', () => sweep.start());
      },
      onRejoin(listener) {
        membership.onRejoin(() => listener());
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
