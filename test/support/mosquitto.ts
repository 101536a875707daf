// A private Mosquitto (Debian's /usr/sbin/mosquitto) for external-broker tests: its own temp config on a free
// 127.0.0.1 port, password file and ACL, no persistence. Never the system service, never port 1883.
import { execFileSync, spawn } from 'node:child_process';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { acceptsConnections, startServerBinary, type ServerProcess } from './server-binary.js';

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

export interface Mosquitto extends ServerProcess {
  url: string;
}

/** mosquitto.conf for a listener on `port`, with the password file and ACL in `dir`. */
function config(dir: string, port: number, options: MosquittoOptions): string {
  return [
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
  ].join('\n');
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
  const broker = await startServerBinary(
    {
      name: 'mosquitto',
      wellKnownPort: 1883,
      async spawn(port) {
        const conf = path.join(dir, 'mosquitto.conf');
        await writeFile(conf, config(dir, port, options));
        return spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
      },
      ready: acceptsConnections,
    },
    dir,
  );
  return { ...broker, url: `mqtt://127.0.0.1:${broker.port}` };
}
