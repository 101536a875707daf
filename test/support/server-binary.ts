// 测试用服务进程 a server binary run privately for a test (Debian's redis-server, mosquitto): on a free 127.0.0.1 port,
// never the well-known one of the system service, in a directory of its own that goes with it; started again on
// another port if the free one was taken meanwhile, waited for until it serves, and killed if the test process goes away
// without stopping it.
import type { ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import net from 'node:net';
import { freePort, waitFor } from './wait.js';

export interface ServerBinary {
  /** The binary's name, for messages. */
  name: string;
  /** The system service's port: never used. */
  wellKnownPort: number;
  /** Starts the server listening on 127.0.0.1:`port`, with stdout and stderr piped. */
  spawn(port: number): Promise<ChildProcess>;
  /** Whether it serves on the port yet. */
  ready(port: number): Promise<boolean>;
}

export interface ServerProcess {
  port: number;
  dir: string;
  proc: ChildProcess;
  /** Everything the server logged so far. */
  output(): string;
  /** Ends the server (SIGTERM, then SIGKILL after 5 s) and removes its directory. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
// Last resort if the test process goes away without its afterAll: never leave a server behind.
process.once('exit', () => {
  for (const proc of running) proc.kill('SIGKILL');
});

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
export function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function startOnce(binary: ServerBinary, port: number): Promise<Omit<ServerProcess, 'dir'>> {
  let output = '';
  const proc = await binary.spawn(port);
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
      `${binary.name} to serve on 127.0.0.1:${port}`,
      async () => {
        if (proc.exitCode !== null || proc.signalCode !== null)
          throw new Error(`${binary.name} exited (${proc.exitCode ?? proc.signalCode}):\n${output}`);
        return binary.ready(port);
      },
      10_000,
      50,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, proc, output: () => output, stop };
}

/** Starts the server in `dir` (which it owns from now on) and waits until it serves. */
export async function startServerBinary(binary: ServerBinary, dir: string): Promise<ServerProcess> {
  let lastError: unknown;
  // A free port can be taken between the probe and the server's bind: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    if (port === binary.wellKnownPort) continue;
    try {
      const server = await startOnce(binary, port);
      return {
        ...server,
        dir,
        stop: async () => {
          await server.stop();
          await rm(dir, { recursive: true, force: true });
        },
      };
    } catch (err) {
      lastError = err;
    }
  }
  await rm(dir, { recursive: true, force: true });
  throw lastError instanceof Error ? lastError : new Error(`${binary.name} did not start`);
}
