// A private Redis (Debian's /usr/bin/redis-server) for the cluster tests and benchmarks: on a free 127.0.0.1 port, in
// memory only (no RDB/AOF files), its own temp directory. Never the system service, never port 6379.
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startServerBinary, type ServerProcess } from './server-binary.js';

export const REDIS_SERVER = process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server';

export interface RedisServer extends ServerProcess {
  url: string;
}

/** Whether the server answers PING with +PONG. */
function pong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let answer = '';
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d: Buffer) => {
      answer += d.toString();
      if (answer.includes('\r\n')) {
        socket.destroy();
        resolve(answer.startsWith('+PONG'));
      }
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts a server and waits until it answers; stop() ends it and removes its directory. */
export async function startRedis(): Promise<RedisServer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cityhub-redis-'));
  const server = await startServerBinary(
    {
      name: 'redis-server',
      wellKnownPort: 6379,
      spawn: async (port) =>
        spawn(
          REDIS_SERVER,
          [
            ...['--port', String(port), '--bind', '127.0.0.1'],
            ...['--save', '', '--appendonly', 'no', '--dir', dir],
            ...['--daemonize', 'no', '--loglevel', 'notice'],
          ],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        ),
      ready: pong,
    },
    dir,
  );
  return { ...server, url: `redis://127.0.0.1:${server.port}` };
}
