// The hub (数字城管集成中心): composition of every part into one running process — database and migrations, the
// MQTT broker and the ingest pipeline, the HTTP API and web app, and the live push. Wiring only; each part lives in
// its own module.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifySwagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import type { Logger } from 'pino';
import { Server as SocketServer } from 'socket.io';
import { PortInUseError, startMqttIngest } from '../ingest/mqtt/broker.js';
import type { Position } from '../ingest/observation.js';
import { Batcher } from '../ingest/pipeline/batcher.js';
import type { HubConfig } from './config.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded.js';
import { migrate } from './db/migrate.js';
import { createPool, detectFeatures, type DatabaseFeatures } from './db/pool.js';
import { startRetention } from './db/retention.js';
import { healthRoutes } from './http/health.js';
import { positionRoutes } from './http/positions.js';
import { registerProblemHandler } from './http/problem.js';
import { webRoutes } from './http/web.js';
import { LIVE_NAMESPACE, LivePositions } from './live/positions.js';
import { writePositions } from './positions/store.js';

export interface RunningHub {
  httpPort: number;
  mqttPort: number;
  databaseUrl: string;
  features: DatabaseFeatures;
  close(): Promise<void>;
}

/** `web/build` of this checkout, whether the hub runs from source (hub/) or compiled (dist/hub/). */
function defaultWebDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'web', 'package.json')) && dir !== path.dirname(dir)) dir = path.dirname(dir);
  return path.join(dir, 'web', 'build');
}

/** Starts everything; on failure, stops whatever had started and rethrows with a message naming the setting to fix. */
export async function startHub(config: HubConfig, log: Logger): Promise<RunningHub> {
  const stops: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const stop of stops.reverse()) await stop();
  };
  try {
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      const embedded: EmbeddedDatabase = await startEmbeddedPostgres(config.dataDir, config.embeddedPgPort, log);
      stops.push(() => embedded.stop());
      databaseUrl = embedded.url;
    }
    const pool = createPool(databaseUrl, log);
    stops.push(() => pool.end());
    const applied = await migrate(pool);
    const features = await detectFeatures(pool);
    log.info({ applied, ...features }, 'database ready');
    const retention = await startRetention(pool, features, config.retentionDays, log);
    stops.push(() => retention.stop());

    const http = Fastify({
      loggerInstance: log.child({ part: 'http' }) as FastifyBaseLogger,
      // Map clients poll; per-request lines would drown the device log. Errors are still logged.
      logController: new LogController({ disableRequestLogging: true }),
    });
    const io = new SocketServer(http.server, { path: '/socket.io', serveClient: false });
    stops.push(() => new Promise<void>((resolve) => io.close(() => resolve())));
    const live = new LivePositions(io.of(LIVE_NAMESPACE), config.livePushIntervalMs);
    stops.push(() => live.stop());

    const batcher = new Batcher<Position>({
      maxRows: config.ingestBatchMaxRows,
      maxWaitMs: config.ingestBatchMaxMs,
      sink: async (batch) => {
        await writePositions(pool, batch);
        live.push(batch);
      },
    });
    stops.push(() => batcher.close());

    const mqtt = await startMqttIngest({
      host: config.mqttHost,
      port: config.mqttPort,
      log: log.child({ part: 'mqtt' }),
      limits: { maxFutureSkewMs: config.maxFutureSkewS * 1000 },
      sinks: { position: (p) => batcher.add(p) },
    }).catch((err: unknown) => {
      throw err instanceof PortInUseError
        ? new Error(`MQTT_PORT ${config.mqttPort} is already in use; set MQTT_PORT to a free port`)
        : err;
    });
    // Stop taking device data before the batcher's last flush.
    stops.splice(stops.length - 1, 0, () => mqtt.close());

    registerProblemHandler(http);
    // Route schemas are the API documentation: OpenAPI generated from them at /openapi.json.
    await http.register(fastifySwagger, {
      openapi: { info: { title: 'City Hub API', version: '0.1.0', description: '数字城管 IoT and video hub' } },
    });
    http.get('/openapi.json', { schema: { hide: true } }, async () => http.swagger());
    await http.register(healthRoutes, { pool, brokerListening: mqtt.listening });
    await http.register(positionRoutes, { pool, features });
    await http.register(webRoutes, { webDir: config.webDir ? path.resolve(config.webDir) : defaultWebDir() });
    await http.listen({ host: config.httpHost, port: config.httpPort }).catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'EADDRINUSE'
        ? new Error(`HTTP_PORT ${config.httpPort} is already in use; set HTTP_PORT to a free port`)
        : err;
    });
    stops.push(() => http.close());
    const address = http.server.address();
    const httpPort = typeof address === 'object' && address ? address.port : config.httpPort;
    log.info({ httpPort, mqttPort: mqtt.port }, `hub ready: map at http://localhost:${httpPort}`);
    return { httpPort, mqttPort: mqtt.port, databaseUrl, features, close };
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
}
