// 测试用中枢 the built hub as the integration and browser tests run it (`node dist/hub/main.js`, see hub-process.ts):
// its own TimescaleDB database, free HTTP and MQTT ports on 127.0.0.1, a fresh data directory, an admin token, video
// on where a test needs it (RTMP and HTTP-FLV on free ports, a signing secret, one detector worker), and a JSON client
// of its API.
import { cp, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from './database.js';
import { spawnHub, waitHealthy, type HubProcess } from './hub-process.js';
import { jsonCall, type Json } from './http-app.js';
import { freePort } from './wait.js';

export type { Json } from './http-app.js';

/** A request to the hub's API: JSON in and out (a Uint8Array body goes as a PNG upload); throws on a non-2xx answer. */
export type ApiCall = (method: string, route: string, body?: unknown, token?: string) => Promise<Json>;

/** A client of the hub at `base`, acting with `defaultToken` unless a call names another ('' for none). */
export function apiClient(base: string, defaultToken: string): ApiCall {
  return async (method, route, body, token = defaultToken) => {
    const {
      res,
      text,
      body: answer,
    } = await jsonCall(base, method, route, {
      token: token || null,
      body: typeof body === 'string' ? JSON.stringify(body) : body,
      contentType: body instanceof Uint8Array ? 'image/png' : 'application/json',
    });
    if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text}`);
    return answer;
  };
}

export interface TestHubOptions {
  /** Names the data directory (and the video secret). */
  name: string;
  adminToken: string;
  /** A database the test prepared itself (the hub's stop drops it); default: a fresh one. */
  db?: TestDatabase;
  /** VIDEO_ENABLED with its media servers on free ports. */
  video?: boolean;
  /**
   * Serve a copy of the web app as built now (WEB_DIR in the data directory): a rebuild while the test runs must not
   * pull the pages' files from under them.
   */
  webSnapshot?: boolean;
  /** More (or other) settings; they win over the defaults. */
  env?: Record<string, string>;
}

export interface TestHub {
  db: TestDatabase;
  /** The hub's child process (its output, its exit). */
  process: HubProcess;
  httpPort: number;
  /** http://127.0.0.1:<port> */
  base: string;
  /** mqtt://127.0.0.1:<port> */
  mqttUrl: string;
  /** A client of the API as the admin token. */
  call: ApiCall;
  /** Stops the hub and drops its database; the hub's exit code (0 after a clean shutdown). */
  stop(): Promise<number | null>;
}

/** Starts the built hub and waits until it is healthy; on failure nothing is left running. */
export async function startTestHub(options: TestHubOptions): Promise<TestHub> {
  const { name, adminToken } = options;
  const db = options.db ?? (await createTestDatabase());
  const httpPort = await freePort();
  const mqttPort = await freePort();
  const base = `http://127.0.0.1:${httpPort}`;
  const video: Record<string, string> = options.video
    ? {
        VIDEO_ENABLED: 'true',
        VIDEO_HOST: '127.0.0.1',
        RTMP_PORT: String(await freePort()),
        HTTP_FLV_PORT: String(await freePort()),
        VIDEO_SECRET: `e2e-${name}-video-secret-0123456789`,
        VIDEO_DETECTOR_WORKERS: '1',
      }
    : {};
  const dataDir = await mkdtemp(path.join(os.tmpdir(), `cityhub-${name}-`));
  const web: Record<string, string> = {};
  if (options.webSnapshot) {
    web.WEB_DIR = path.join(dataDir, 'web');
    await cp(new URL('../../web/build/', import.meta.url), web.WEB_DIR, { recursive: true });
  }
  const hub = spawnHub({
    DATABASE_URL: db.url,
    HTTP_PORT: String(httpPort),
    HTTP_HOST: '127.0.0.1',
    MQTT_PORT: String(mqttPort),
    MQTT_HOST: '127.0.0.1',
    ADMIN_TOKEN: adminToken,
    DATA_DIR: dataDir,
    ...video,
    ...web,
    ...options.env,
  });
  const stop = async (): Promise<number | null> => {
    const code = await hub.stop();
    await db.drop();
    return code;
  };
  try {
    await waitHealthy(httpPort, hub, 120_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    db,
    process: hub,
    httpPort,
    base,
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    call: apiClient(base, adminToken),
    stop,
  };
}
