// Runs the built hub (`node dist/hub/main.js`, what `npm start` runs) as a child process, as a user would.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait.js';

export const HUB_MAIN = fileURLToPath(new URL('../../dist/hub/main.js', import.meta.url));
export const DEMO_MAIN = fileURLToPath(new URL('../../dist/devices/demo.js', import.meta.url));

export interface HubProcess {
  proc: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

export function spawnHub(env: Record<string, string>): HubProcess {
  return spawnProcess(HUB_MAIN, env);
}

/** Runs a built entry point (the hub, the demo) with only the given environment (and PATH). */
export function spawnProcess(main: string, env: Record<string, string>): HubProcess {
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` before the tests`);
  let output = '';
  const proc = spawn(process.execPath, [main], {
    // JT808_PORT 0 unless a test chooses one: several hubs may run at once and 6808 may be taken.
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', JT808_PORT: '0', ...env },
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
  // Fail at once, with the hub's output, if it exits instead of becoming healthy.
  const exited = hub.exited.then((code) => {
    throw new Error(`hub exited with ${code}:\n${hub.output()}`);
  });
  exited.catch(() => undefined); // a later, normal exit is not an error here
  await Promise.race([
    exited,
    waitFor(
      `the hub to be healthy on port ${httpPort}`,
      async () => {
        const res = await fetch(`http://127.0.0.1:${httpPort}/healthz`).catch(() => null);
        return res?.ok ?? false;
      },
      timeoutMs,
      200,
    ),
  ]);
}
