// A private Mosquitto (Debian's /usr/sbin/mosquitto) for external-broker tests: its own temp config on a free
// 127.0.0.1 port, password file and ACL, no persistence. Never the system service, never port 1883.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitFor } from './wait.js';

export const MOSQUITTO = process.env.MOSQUITTO_BIN ?? '/usr/sbin/mosquitto';
export const MOSQUITTO_PASSWD = process.env.MOSQUITTO_PASSWD_BIN ?? 'mosquitto_passwd';

export interface MosquittoOptions {
  /** username → password; the first one is created with `-c`. */
  users: Record<string, string>;
  /** The acl_file's text. */
  acl: string;
  /** More lines for mosquitto.conf. */
  extraConfig?: string[];
}

export interface Mosquitto {
  port: number;
  url: string;
  dir: string;
  proc: ChildProcess;
  /** Everything the broker logged so far. */
  output(): string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
// Last resort if the test process goes away without its afterAll: never leave a broker behind.
process.once('exit', () => {
  for (const proc of running) proc.kill('SIGKILL');
});

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function startOnce(dir: string, port: number, options: MosquittoOptions): Promise<Mosquitto> {
  const conf = path.join(dir, 'mosquitto.conf');
  await writeFile(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous false',
      `password_file ${path.join(dir, 'passwd')}`,
      `acl_file ${path.join(dir, 'acl')}`,
      'persistence false',
      // stderr: mosquitto's stdout is block-buffered into a pipe, so its log would arrive only at exit.
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'log_type notice',
      'log_type information',
      'connection_messages true',
      ...(options.extraConfig ?? []),
      '',
    ].join('\n'),
  );
  let output = '';
  const proc = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(proc);
  proc.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) =>
    proc.once('exit', () => {
      running.delete(proc);
      resolve();
    }),
  );
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
  };
  try {
    await waitFor(
      `mosquitto to accept connections on 127.0.0.1:${port}`,
      async () => {
        if (proc.exitCode !== null || proc.signalCode !== null)
          throw new Error(`mosquitto exited (${proc.exitCode ?? proc.signalCode}):\n${output}`);
        return accepts(port);
      },
      10_000,
      50,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, url: `mqtt://127.0.0.1:${port}`, dir, proc, output: () => output, stop };
}

/** Starts a broker and waits until it accepts TCP connections; stop() kills it and removes its files. */
export async function startMosquitto(options: MosquittoOptions): Promise<Mosquitto> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cityhub-mosquitto-'));
  // Run as root, mosquitto drops to its own user before it reads the password and ACL files.
  await chmod(dir, 0o755);
  const passwd = path.join(dir, 'passwd');
  Object.entries(options.users).forEach(([user, password], i) =>
    execFileSync(MOSQUITTO_PASSWD, i === 0 ? ['-b', '-c', passwd, user, password] : ['-b', passwd, user, password]),
  );
  await chmod(passwd, 0o644);
  await writeFile(path.join(dir, 'acl'), options.acl, { mode: 0o644 });
  let lastError: unknown;
  // A free port can be taken between the probe and mosquitto's bind: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    if (port === 1883) continue;
    try {
      const broker = await startOnce(dir, port, options);
      return {
        ...broker,
        stop: async () => {
          await broker.stop();
          await rm(dir, { recursive: true, force: true });
        },
      };
    } catch (err) {
      lastError = err;
    }
  }
  await rm(dir, { recursive: true, force: true });
  throw lastError instanceof Error ? lastError : new Error('mosquitto did not start');
}
