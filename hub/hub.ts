// The hub (数字城管集成中心): composition of every part into one running process — database and migrations, the
// device registry, the ingest pipeline with its durable writer and spool, the MQTT broker (or an external broker's
// shared subscription), the HTTP API and web app, and the live push. Wiring only; each part lives in its own module.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import type { Logger } from 'pino';
import { Server as SocketServer } from 'socket.io';
import type { AuthResult } from '../ingest/mqtt/connect.js';
import { SERVICE_PREFIX } from '../ingest/mqtt/connect.js';
import { PortInUseError, startMqttIngest } from '../ingest/mqtt/broker.js';
import { startExternalConsumer } from '../ingest/mqtt/external.js';
import { startJt808Gateway } from '../ingest/jt808/gateway.js';
import { TerminalRegistry } from './jt808/terminals.js';
import type { Observation } from '../ingest/observation.js';
import { DeviceRateLimiter } from '../ingest/pipeline/admission.js';
import { Batcher } from '../ingest/pipeline/batcher.js';
import { IngestPipeline } from '../ingest/pipeline/pipeline.js';
import { JumpDetector } from '../ingest/pipeline/plausibility.js';
import { Spool } from '../ingest/pipeline/spool.js';
import { startCaseLoop } from './case-loop.js';
import { startVideoLoop } from './video-loop.js';
import { oneProcess, startCluster } from './cluster/cluster.js';
import { keptSecret } from './kept-secret.js';
import { CommandService, type CommandTransport } from './commands/commands.js';
import type { HubConfig } from './config.js';
import { startEmbeddedPostgres } from './db/embedded.js';
import { migrate } from './db/migrate.js';
import { describeDatabase, waitForDatabase } from './db/wait.js';
import { createPool, detectFeatures, type DatabaseFeatures } from './db/pool.js';
import { startRetention } from './db/retention.js';
import { DeviceKinds } from './devices/kinds.js';
import { LastSeen } from './devices/last-seen.js';
import { DeviceRegistry } from './devices/registry.js';
import { commandRoutes } from './http/commands.js';
import { deviceRoutes } from './http/devices.js';
import { healthRoutes } from './http/health.js';
import { mapRoutes } from './http/map.js';
import { mediaRoutes } from './http/media.js';
import { positionRoutes } from './http/positions.js';
import { registerProblemHandler } from './http/problem.js';
import { webRoutes } from './http/web.js';
import { loadMapConfig } from './map/basemap.js';
import { LIVE_NAMESPACE, LivePush, toLiveCamera, type LiveStatusDto } from './live/push.js';
import { countByType, createMetrics } from './metrics.js';
import { PositionAccess } from './positions/access.js';
import { latestPositions } from './positions/store.js';
import { DurableWriter, deadLetterPath } from './storage/durable-writer.js';

export interface RunningHub {
  httpPort: number;
  jt808Port: number;
  /** The built-in broker's port; null in external broker mode. */
  mqttPort: number | null;
  databaseUrl: string;
  adminToken: string;
  features: DatabaseFeatures;
  close(): Promise<void>;
}

/** `web/build` of this checkout, whether the hub runs from source (hub/) or compiled (dist/hub/). */
function defaultWebDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'web', 'package.json')) && dir !== path.dirname(dir)) dir = path.dirname(dir);
  return path.join(dir, 'web', 'build');
}

async function listen(port: number, start: () => Promise<unknown>, variable: string): Promise<void> {
  await start().catch((err: NodeJS.ErrnoException) => {
    throw err instanceof PortInUseError || err.code === 'EADDRINUSE'
      ? new Error(`${variable} ${port} is already in use; set ${variable} to a free port`)
      : err;
  });
}

/** Starts everything; on failure, stops whatever had started and rethrows with a message naming the setting to fix. */
/** `signal`: a stop asked for while starting (only the wait for the database listens to it; the rest is quick). */
export async function startHub(config: HubConfig, log: Logger, signal?: AbortSignal): Promise<RunningHub> {
  const stops: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const stop of stops.reverse()) await stop();
  };
  try {
    const metrics = createMetrics();
    const token = await keptSecret(config.adminToken, config.dataDir, 'admin-token', 'ADMIN_TOKEN', log);

    // Storage
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      const embedded = await startEmbeddedPostgres(config.dataDir, config.embeddedPgPort, log);
      stops.push(() => embedded.stop());
      databaseUrl = embedded.url;
    }
    const pool = createPool(databaseUrl, log);
    stops.push(() => pool.end());
    await waitForDatabase(pool, {
      waitMs: config.databaseWaitS * 1000,
      log,
      target: describeDatabase(databaseUrl),
      signal,
    });
    const applied = await migrate(pool);
    const features = await detectFeatures(pool);
    log.info({ applied, ...features }, 'database ready');
    // Several processes (REDIS_URL): the work that must run once runs on the elected one (hub/cluster/).
    const cluster = config.redisUrl
      ? await startCluster({
          redisUrl: config.redisUrl,
          databaseUrl,
          hubId: config.hubId,
          log: log.child({ part: 'cluster' }),
          registry: metrics.registry,
          waitMs: config.databaseWaitS * 1000,
          ...(signal ? { signal } : {}),
        })
      : oneProcess(config.hubId, log, metrics.registry);
    stops.push(() => cluster.close());
    cluster.singletons.run('retention', async () => {
      const retention = await startRetention(pool, features, config.retentionDays, log);
      return () => retention.stop();
    });

    const registry = new DeviceRegistry(pool);
    const kinds = new DeviceKinds(registry);
    log.info({ devices: await kinds.preload() }, 'device registry loaded');
    const lastSeen = new LastSeen(registry, log);
    stops.push(() => lastSeen.close());

    // Live push (needs the HTTP server, which listens last)
    const http = Fastify({
      loggerInstance: log.child({ part: 'http' }) as FastifyBaseLogger,
      trustProxy: config.trustProxy,
      // Map clients poll; per-request lines would drown the device log. Errors are still logged.
      logController: new LogController({ disableRequestLogging: true }),
    });
    const io = new SocketServer(http.server, {
      path: '/socket.io',
      serveClient: false,
      ...(cluster.socketAdapter ? { adapter: cluster.socketAdapter } : {}),
    });
    stops.push(() => new Promise<void>((resolve) => io.close(() => resolve())));

    // The case loop: catalogue, grid, calendar, users, cases, notifications (its routes are registered below)
    const caseLoop = await startCaseLoop({
      pool,
      http,
      config,
      adminToken: token,
      log: log.child({ part: 'cases' }),
      deviceInfo: (id) => kinds.info(id),
      cluster,
    });
    stops.push(() => caseLoop.close());
    // Cameras (the registry always; the media server, RTSP pulls and the detector with VIDEO_ENABLED)
    const videoLoop = await startVideoLoop({
      pool,
      metrics: metrics.registry,
      http,
      config,
      caseLoop,
      log: log.child({ part: 'video' }),
      cluster,
    });
    stops.push(() => videoLoop.close());

    // Collectors' positions are people's: only for sessions that may see them (HTTP and live alike).
    const positionAccess = new PositionAccess(caseLoop.sessions, pool);
    const live = new LivePush(io.of(LIVE_NAMESPACE), config.livePushIntervalMs, {
      kindOf: (id) => kinds.get(id),
      access: positionAccess,
      backlogMetrics: { coalesced: metrics.liveCoalesced, backedUp: metrics.liveBackedUp },
      log: log.child({ part: 'live' }),
      caseSnapshot: () => caseLoop.openCases(),
      candidateSnapshot: () => caseLoop.pendingCandidates(),
      vehicleKindOf: (id) => {
        const kind = kinds.info(id)?.attributes.vehicleKind;
        return typeof kind === 'string' ? kind : null;
      },
      cameraSnapshot: async () => (await videoLoop.cameras.liveStates()).map(toLiveCamera),
      acrossProcesses: cluster.clustered,
      snapshot: async () => {
        const latest = await latestPositions(pool);
        return {
          positions: latest.map((p) => ({
            deviceId: p.deviceId,
            kind: p.kind,
            time: new Date(p.timeMs).toISOString(),
            lat: p.lat,
            lon: p.lon,
            speedKmh: p.speedKmh,
            course: p.course,
          })),
          statuses: latest.flatMap((p) =>
            p.state === null || p.stateTimeMs === null
              ? []
              : [
                  {
                    deviceId: p.deviceId,
                    kind: p.kind,
                    state: p.state as LiveStatusDto['state'],
                    time: new Date(p.stateTimeMs).toISOString(),
                  },
                ],
          ),
        };
      },
    });
    stops.push(() => live.stop());
    caseLoop.service.onChange((change) => live.pushCase(caseLoop.liveCase(change)));
    caseLoop.onCandidate((candidate) => live.pushCandidate(candidate));
    videoLoop.cameras.onLiveChange((camera) => live.pushCamera(toLiveCamera(camera)));

    // Ingest pipeline: plausibility → batch → durable write (database, or the spool while it is away)
    const spoolDir = path.resolve(config.dataDir, 'spool');
    const spool = await Spool.open<Observation[]>({
      dir: spoolDir,
      maxBytes: config.spoolMaxMb * 1024 * 1024,
      log: log.child({ part: 'spool' }),
    });
    stops.push(() => spool.close());
    const writer = new DurableWriter({
      pool,
      spool,
      log: log.child({ part: 'writer' }),
      metrics,
      deadLetterFile: deadLetterPath(spoolDir),
      committed: (batch) => {
        live.push(batch);
        // Detection runs on what is durable, so a replay of the same stored range finds the same candidates.
        caseLoop.detection.process(batch);
        if (batch.some((o) => o.type === 'report')) caseLoop.reportsStored();
      },
    });
    stops.push(() => writer.close());
    void writer.replay(); // whatever a previous run left in the spool
    /** Sources that stop reading their connections while the pipeline is full (the built-in broker). */
    const pressureListeners: ((full: boolean) => void)[] = [];
    const batcher = new Batcher<Observation>({
      maxRows: config.ingestBatchMaxRows,
      maxWaitMs: config.ingestBatchMaxMs,
      writers: config.ingestWriters,
      sink: (batch) => writer.write(batch),
    });
    stops.push(() => batcher.close());
    const pipeline = new IngestPipeline({
      batcher,
      jumps: new JumpDetector(),
      maxQueued: config.ingestMaxQueued,
      onShed: (n) => metrics.shed.inc(n),
      onPressure: (full) => {
        for (const listener of pressureListeners) listener(full);
      },
    });
    metrics.observeIngest({
      queued: () => batcher.queued(),
      held: () => pipeline.held(),
      readingPaused: () => pipeline.isFull() && pressureListeners.length > 0,
    });
    const rateLimiter = new DeviceRateLimiter(config.deviceRatePerS, config.deviceRateBurst);
    // 掉线清扫 several processes: while this one leads, the devices and cameras of a process that died are marked offline.
    cluster.sweepPresence({
      pool,
      record: async (statuses) => {
        // Devices this process has not met yet: their kind, which the live map files them under, is looked up first.
        await Promise.all(statuses.map((s) => kinds.ensure(s.deviceId)));
        await pipeline.accept(statuses, 1);
      },
      cameras: videoLoop.cameras,
    });
    // 集群交接 a device that connected here: claimed, and its detection state rebuilt if it was handled elsewhere; one
    // that connected to another process: forgotten here.
    const ownership = cluster.ownership;
    ownership?.onChange({
      adopted: (deviceId) => void caseLoop.detection.adoptDevice(deviceId, () => kinds.ensure(deviceId)),
      left: (deviceId) => caseLoop.detection.forgetDevice(deviceId),
    });
    const arrived = (deviceId: string, atMs?: number) =>
      void ownership
        ?.arrived(deviceId, atMs)
        .catch((err: unknown) => log.warn({ err, deviceId }, 'device arrival not told to the other hub processes'));
    const accept = (observations: Observation[], qos: 0 | 1 | 2, options?: { admitted?: boolean }) => {
      countByType(metrics.messagesIn, observations);
      for (const o of observations) lastSeen.note(o.deviceId);
      return pipeline.accept(observations, qos, options);
    };

    const authenticate = async (username: string, password: string): Promise<AuthResult> => {
      if (username.startsWith(SERVICE_PREFIX)) {
        const result = await registry.authenticateServiceAccount(username.slice(SERVICE_PREFIX.length), password);
        return result.ok
          ? { ok: true, principal: { type: 'service', name: result.principal.name } }
          : { ok: false, reason: result.reason === 'disabled' ? 'disabled' : 'bad_credentials' };
      }
      const result = await registry.authenticateDevice(username, password);
      if (!result.ok) return { ok: false, reason: result.reason === 'disabled' ? 'disabled' : 'bad_credentials' };
      kinds.set(result.principal.id, result.principal.kind);
      return { ok: true, principal: { type: 'device', id: result.principal.id, kind: result.principal.kind } };
    };

    // Device connections: the built-in broker, or an external broker's shared subscription
    let mqttPort: number | null = null;
    let transport: CommandTransport;
    let commands: CommandService | undefined = undefined;
    let brokerListening: () => boolean;
    const sinks = {
      accept,
      rejected: (_deviceId: string | null, rejection: { reason: string }) =>
        metrics.rejected.inc({ reason: rejection.reason }),
    };
    if (config.mqttUrl) {
      const consumer = await startExternalConsumer({
        url: config.mqttUrl,
        clientId: `svc:${config.hubId}`,
        log: log.child({ part: 'mqtt-external' }),
        limits: {
          maxFutureSkewMs: config.maxFutureSkewS * 1000,
          maxAgeMs: config.retentionDays * 86_400_000,
        },
        sinks,
      });
      stops.push(() => consumer.close());
      transport = {
        deliver: async (deviceId, message) => {
          await consumer.sendCommand(deviceId, message.commandId, message);
          return true;
        },
      };
      brokerListening = consumer.connected;
    } else {
      const mqtt = await startMqttIngest({
        host: config.mqttHost,
        port: config.mqttPort,
        log: log.child({ part: 'mqtt' }),
        limits: {
          maxFutureSkewMs: config.maxFutureSkewS * 1000,
          maxAgeMs: config.retentionDays * 86_400_000,
        },
        ...(cluster.clustered ? { cluster: cluster.brokerCluster()! } : {}),
        sinks: {
          ...sinks,
          authenticate,
          deviceConnected: arrived,
          authFailed: (reason) => metrics.authFailures.inc({ reason }),
          admit: (deviceId, nowMs) => rateLimiter.admit(deviceId, nowMs),
          waitForRoom: () => pipeline.waitForRoom(),
          onPressure: (listener) => pressureListeners.push(listener),
          listeningForCommands: (deviceId) =>
            void commands
              ?.deliverPending(deviceId)
              .catch((err: unknown) => log.warn({ err, deviceId }, 'pending commands not delivered')),
        },
      }).catch((err: unknown) => {
        throw err instanceof PortInUseError
          ? new Error(`MQTT_PORT ${config.mqttPort} is already in use; set MQTT_PORT to a free port`)
          : err;
      });
      // Stop taking device data before the pipeline's last flush (stops run in reverse).
      stops.push(() => mqtt.close());
      mqttPort = mqtt.port;
      transport = { deliver: (deviceId, message) => mqtt.sendCommand(deviceId, message.commandId, message) };
      cluster.reportServiceClients(() => mqtt.connections().service);
      // Taken for dead by the others (it stalled, or lost Redis): its devices may have been marked offline meanwhile.
      cluster.onRejoin(() => log.info({ devices: mqtt.reannounceDevices() }, 'connected devices announced again'));
      brokerListening = mqtt.listening;
      metrics.devicesConnected.reset();
      const connectedGauge = setInterval(() => {
        for (const [kind, n] of Object.entries(mqtt.connections())) metrics.devicesConnected.set({ kind }, n);
      }, 1000);
      connectedGauge.unref();
      stops.push(() => clearInterval(connectedGauge));
    }
    // BeiDou/GPS vehicle terminals over JT/T 808: the same pipeline as MQTT positions.
    const terminals = new TerminalRegistry(pool, { autoProvision: config.jt808AutoProvision });
    const limits = { maxFutureSkewMs: config.maxFutureSkewS * 1000, maxAgeMs: config.retentionDays * 86_400_000 };
    const jt808 = await startJt808Gateway({
      host: config.jt808Host,
      port: config.jt808Port,
      log: log.child({ part: 'jt808' }),
      limits,
      sinks: {
        register: async (phone, info) => {
          const result = await terminals.register(phone, info);
          return result.ok ? { ok: true, authCode: result.authCode } : result;
        },
        authenticate: async (phone, authCode) => {
          const device = await terminals.authenticate(phone, authCode);
          if (!device) return null;
          kinds.set(device.deviceId, device.kind);
          arrived(device.deviceId);
          void commands
            ?.deliverPending(device.deviceId)
            .catch((err: unknown) => log.warn({ err, deviceId: device.deviceId }, 'pending commands not delivered'));
          return device.deviceId;
        },
        accept: (observations) => accept(observations, 1),
        ack: (deviceId, _serial, _msgId, result, extra) => {
          if (!extra.commandId) return;
          const status = result === 0 ? 'ok' : result === 3 ? 'unsupported' : 'failed';
          void accept(
            [
              {
                type: 'ack',
                deviceId,
                commandId: extra.commandId,
                timeMs: Date.now(),
                status,
                message: `JT/T 808 result ${result}`,
                result: {},
              },
            ],
            1,
          ).catch((err: unknown) => log.warn({ err, deviceId }, 'command acknowledgement not stored'));
        },
        rejected: (_deviceId, reason) => metrics.rejected.inc({ reason }),
        badFrame: (reason) => metrics.jt808BadFrames.inc({ reason }),
      },
    }).catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'EADDRINUSE'
        ? new Error(`JT808_PORT ${config.jt808Port} is already in use; set JT808_PORT to a free port`)
        : err;
    });
    stops.splice(stops.length - 1, 0, () => jt808.close());
    const jt808Gauge = setInterval(() => {
      const c = jt808.connections();
      metrics.jt808Connections.set({ state: 'open' }, c.total);
      metrics.jt808Connections.set({ state: 'authenticated' }, c.authenticated);
    }, 1000);
    jt808Gauge.unref();
    stops.push(() => clearInterval(jt808Gauge));
    // A command goes to a terminal over JT/T 808 when it is connected there and the protocol has the command.
    const mqttTransport = transport;
    // Several processes: a device connected to another one gets its command through that process (hub/cluster/).
    const commandTransport = await cluster.commandTransport({
      deliver: async (deviceId, message) => {
        if (message.kind === 'set_report_interval') {
          const seconds = Number(message.params.intervalS);
          if (await jt808.sendSetReportInterval(deviceId, seconds, message.commandId)) return true;
        }
        return mqttTransport.deliver(deviceId, message);
      },
    });
    commands = new CommandService(pool, commandTransport);

    // HTTP
    registerProblemHandler(http);
    // Route schemas are the API documentation: OpenAPI generated from them at /openapi.json.
    await http.register(fastifySwagger, {
      openapi: {
        info: { title: 'City Hub API', version: '0.1.0', description: '数字城管 IoT and video hub' },
        components: { securitySchemes: { admin: { type: 'http', scheme: 'bearer' } } },
      },
    });
    http.get('/openapi.json', { schema: { hide: true } }, async () => http.swagger());
    // Browsable API documentation, served from the package's own assets (no CDN: city networks are often closed).
    await http.register(fastifySwaggerUi, { routePrefix: '/docs' });
    http.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
      reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
    );
    await http.register(healthRoutes, { pool, brokerListening: () => brokerListening() });
    await http.register(positionRoutes, { pool, features, access: positionAccess });
    await http.register(mapRoutes, {
      map: await loadMapConfig(config),
      pmtilesFile: config.mapBasemap === 'pmtiles' ? config.mapPmtilesFile : undefined,
    });
    await http.register(deviceRoutes, { registry, auth: caseLoop.sessions });
    await http.register(commandRoutes, { commands, registry, adminToken: token });
    await http.register(mediaRoutes, {
      pool,
      registry,
      auth: caseLoop.sessions,
      mediaDir: path.resolve(config.dataDir, 'media'),
      maxBytes: config.mediaMaxMb * 1024 * 1024,
    });
    await caseLoop.registerRoutes();
    await videoLoop.registerRoutes();
    await http.register(webRoutes, { webDir: config.webDir ? path.resolve(config.webDir) : defaultWebDir() });
    await listen(config.httpPort, () => http.listen({ host: config.httpHost, port: config.httpPort }), 'HTTP_PORT');
    stops.push(() => http.close());
    const address = http.server.address();
    const httpPort = typeof address === 'object' && address ? address.port : config.httpPort;
    log.info({ httpPort, mqttPort }, `hub ready: map at http://localhost:${httpPort}`);
    return { httpPort, jt808Port: jt808.port, mqttPort, databaseUrl, adminToken: token, features, close };
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
}
