// Child processes and ports for the benchmark runners (压测进程管理): start, watch and stop what a run spawns (the hub,
// brokers, generators), find free loopback ports, start the built hub and wait for it to become healthy.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, realpathSync } from 'node:fs';
import { once } from 'node:events';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const children = new Set<ChildProcess>();
export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The repository root: the nearest folder above this file with a package.json (works from loadtests/ and dist/). */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    dir = path.dirname(dir);
  }
  return process.cwd();
}

/** How to run a sibling file of this folder: through tsx when this file runs as .ts, plain node from dist/. */
export function siblingCommand(name: string): string[] {
  const self = fileURLToPath(import.meta.url);
  const ext = path.extname(self);
  const file = path.join(path.dirname(self), `${name}${ext}`);
  return ext === '.ts' ? ['--import', import.meta.resolve('tsx'), file] : [file];
}

/** Remembers a child so stopAllChildren() can end it when the run is interrupted. */
export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (exited(child)) return;
  const gone = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    if (!exited(child)) child.kill('SIGKILL');
  }, graceMs);
  await gone;
  clearTimeout(timer);
}

export async function stopAllChildren(): Promise<void> {
  await Promise.all([...children].map((c) => stopChild(c, 5000)));
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Polls the hub's /healthz until it answers 200; fails at once if the hub process exits. */
export async function waitForHealth(httpUrl: string, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (child && exited(child)) throw new Error(`the hub exited (status ${child.exitCode}) during start-up`);
    try {
      const response = await fetch(new URL('/healthz', httpUrl), { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
      last = `${response.status} ${(await response.text()).slice(0, 200)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await delay(250);
  }
  throw new Error(`the hub was not healthy within ${timeoutMs / 1000} s (last: ${last})`);
}

/** Whether the module at `moduleUrl` (its import.meta.url) is the script node was started with, not an import. */
export function isMainModule(moduleUrl: string): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(moduleUrl);
  } catch {
    return false;
  }
}

export interface HubSpawnOptions {
  /** The built entry point; default dist/hub/main.js of this checkout. */
  entry?: string;
  databaseUrl: string;
  adminToken: string;
  /** Prefix of the hub's new temporary data directory. */
  dataPrefix: string;
  /** Where the hub's stdout and stderr go (appended); default hub.log in the data directory. */
  logFile?: string;
  /** Settings under the runner's own (ports, database, data directory, token), which always win. */
  env?: Record<string, string>;
  /** Settings over the runner's own (the video servers' ports…). */
  extraEnv?: Record<string, string>;
  /** JT808 on a free port of its own; without it the hub listens for no terminal (JT808_PORT 0 unless `env` says). */
  jt808?: boolean;
  healthTimeoutMs?: number;
  /** Says that the hub is starting, with its log file. */
  say(line: string): void;
  /** What the start line calls it, e.g. "[hub] starting dist/hub/main.js". */
  label: string;
}

export interface SpawnedHub {
  child: ChildProcess;
  pid: number;
  httpUrl: string;
  mqttUrl: string;
  /** 0 unless `jt808` was asked for. */
  jt808Port: number;
  adminToken: string;
  dataDir: string;
  logFile: string;
}

/**
 * Starts the built hub on free loopback ports with LOG_LEVEL warn and waits until /healthz answers; if it does not, the
 * hub is stopped and the error carries the end of its log.
 */
/** Node's options for a hub process, as `npm start` and the Docker image run it: the old generation capped at
 * HUB_HEAP_MB (default 256), so a benchmark measures the memory users get, not V8's lazy growth towards a quarter
 * of the machine's RAM. */
export function hubNodeOptions(env: NodeJS.ProcessEnv = process.env): string[] {
  const mb = env.HUB_HEAP_MB ?? '256';
  if (!/^[1-9][0-9]*$/.test(mb)) throw new Error(`HUB_HEAP_MB must be a whole number of megabytes, not "${mb}"`);
  return [`--max-old-space-size=${mb}`];
}

export async function spawnHub(options: HubSpawnOptions): Promise<SpawnedHub> {
  const entry = options.entry ?? path.join(repoRoot(), 'dist/hub/main.js');
  if (!existsSync(entry)) throw new Error(`${entry} not found: build the hub first (npm run build:server)`);
  const [httpPort, mqttPort] = [await freePort(), await freePort()];
  const jt808Port = options.jt808 ? await freePort() : 0;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), options.dataPrefix));
  const logFile = options.logFile ?? path.join(dataDir, 'hub.log');
  const fd = openSync(logFile, 'a');
  const child = track(
    spawn(process.execPath, [...hubNodeOptions(), entry], {
      cwd: repoRoot(),
      env: {
        ...process.env,
        LOG_LEVEL: 'warn',
        ...(options.jt808 ? {} : { JT808_PORT: '0' }),
        ...options.env,
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(httpPort),
        MQTT_HOST: '127.0.0.1',
        MQTT_PORT: String(mqttPort),
        ...(options.jt808 ? { JT808_HOST: '127.0.0.1', JT808_PORT: String(jt808Port) } : {}),
        DATABASE_URL: options.databaseUrl,
        DATA_DIR: dataDir,
        ADMIN_TOKEN: options.adminToken,
        ...options.extraEnv,
      },
      stdio: ['ignore', fd, fd],
    }),
  );
  closeSync(fd);
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  options.say(`${options.label}, log ${logFile}`);
  try {
    await waitForHealth(httpUrl, options.healthTimeoutMs ?? 120_000, child);
  } catch (err) {
    await stopChild(child, 5000);
    const tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-8).join('\n');
    throw new Error(`${(err as Error).message}; the end of ${logFile}:\n${tail}`, { cause: err });
  }
  return {
    child,
    pid: child.pid!,
    httpUrl,
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    jt808Port,
    adminToken: options.adminToken,
    dataDir,
    logFile,
  };
}
