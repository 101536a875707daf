// Runs the built hub (`node dist/hub/main.js`, what `npm start` runs) as a child process, as a user would.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait.js';

export const HUB_MAIN = fileURLToPath(new URL('../../dist/hub/main.js', import.meta.url));

export interface HubProcess {
  proc: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

export function spawnHub(env: Record<string, string>): HubProcess {
  if (!existsSync(HUB_MAIN)) throw new Error(`${HUB_MAIN} is missing: run \`npm run build\` before the tests`);
  let output = '';
  const proc = spawn(process.execPath, [HUB_MAIN], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return {
    proc,
    output: () => output,
    exited,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return exited;
    },
  };
}

export async function waitHealthy(httpPort: number, hub: HubProcess, timeoutMs = 90_000): Promise<void> {
  await waitFor(
    `the hub to be healthy on port ${httpPort}`,
    async () => {
      if (hub.proc.exitCode !== null) throw new Error(`hub exited with ${hub.proc.exitCode}:\n${hub.output()}`);
      const res = await fetch(`http://127.0.0.1:${httpPort}/healthz`).catch(() => null);
      return res?.ok ?? false;
    },
    timeoutMs,
    200,
  );
}
