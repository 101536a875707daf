// 内置中枢 the built hub (`node dist/hub/main.js`, what `npm start` runs) started as a child process for a scenario run:
// a temporary DATA_DIR (its embedded PostgreSQL lives there), free ports, a fresh admin token — or a given database
// (DATABASE_URL) instead of the embedded one. Configured by environment variables only, as a user would.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HubEndpoints } from './runner.js';

export const HUB_MAIN = fileURLToPath(new URL('../../dist/hub/main.js', import.meta.url));

export interface EmbeddedHub {
  hub: HubEndpoints;
  /** Everything the hub wrote so far. */
  output(): string;
  /** Stops the hub (SIGTERM, as on Ctrl-C) and removes the temporary DATA_DIR; resolves with its exit code. */
  stop(): Promise<number | null>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface EmbeddedOptions {
  /** The hub's entry point; default dist/hub/main.js of this checkout. */
  main?: string;
  /** A database to use instead of the embedded PostgreSQL. */
  databaseUrl?: string;
  /** Extra environment for the hub (e.g. LOG_LEVEL). */
  env?: Record<string, string>;
  /** How long to wait for /healthz. Default 120 s (the first start of the embedded PostgreSQL runs initdb). */
  timeoutMs?: number;
}

/** Starts the built hub and waits until it is healthy; throws with the hub's output when it exits or times out. */
export async function startEmbeddedHub(options: EmbeddedOptions = {}): Promise<EmbeddedHub> {
  const main = options.main ?? HUB_MAIN;
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build:server\` first`);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cityhub-scenario-'));
  const [httpPort, mqttPort, jt808Port, pgPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const adminToken = `scenario-${randomBytes(16).toString('hex')}`;
  let output = '';
  const proc: ChildProcess = spawn(process.execPath, [main], {
    env: {
      PATH: process.env.PATH ?? '',
      LOG_LEVEL: 'warn',
      DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: String(pgPort),
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(httpPort),
      MQTT_HOST: '127.0.0.1',
      MQTT_PORT: String(mqttPort),
      JT808_PORT: String(jt808Port),
      ADMIN_TOKEN: adminToken,
      ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    const code = await exited;
    await rm(dataDir, { recursive: true, force: true });
    return code;
  };

  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (;;) {
    if (proc.exitCode !== null) {
      await stop();
      throw new Error(`the hub exited with ${proc.exitCode} while starting:\n${output}`);
    }
    const res = await fetch(`http://127.0.0.1:${httpPort}/healthz`).catch(() => null);
    if (res?.ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the hub was not healthy within ${options.timeoutMs ?? 120_000} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    hub: {
      httpUrl: `http://127.0.0.1:${httpPort}`,
      mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
      adminToken,
      jt808: { host: '127.0.0.1', port: jt808Port },
    },
    output: () => output,
    stop,
  };
}
