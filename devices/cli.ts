#!/usr/bin/env node
// Device simulator command line (设备模拟器): `node dist/devices/cli.js vehicles --url mqtt://127.0.0.1:1883 --count 20
// --interval 2000`. Runs until SIGINT/SIGTERM, then ends every MQTT connection cleanly. `--help` for the options.
import { pino } from 'pino';
import { USAGE, UsageError, parseCliArgs } from './cli-args.js';
import { startVehicleSimulator } from './simulator.js';

let command;
try {
  command = parseCliArgs(process.argv.slice(2), process.env);
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  process.stderr.write(`error: ${err.message}\nRun with --help for usage.\n`);
  process.exit(err.exitCode);
}

if (command.kind === 'help') {
  process.stdout.write(USAGE);
  process.exit(0);
}

const log = pino({ name: 'device-sim', level: command.logLevel });
const simulator = startVehicleSimulator({
  mqttUrl: command.mqttUrl,
  count: command.count,
  intervalMs: command.intervalMs,
  deviceIdPrefix: command.deviceIdPrefix,
  speedFactor: command.speedFactor,
  seed: command.seed,
  logger: log,
  ...(command.password !== undefined ? { password: command.password } : {}),
});

let stopping = false;
const shutdown = (signal: NodeJS.Signals): void => {
  if (stopping) {
    log.warn({ signal }, 'second signal; exiting without waiting');
    process.exit(130);
  }
  stopping = true;
  log.info({ signal }, 'stopping');
  // Should stop() ever hang, do not hang with it.
  setTimeout(() => {
    log.error('did not stop within 10 s; exiting');
    process.exit(1);
  }, 10_000).unref();
  simulator.stop().then(
    () => {
      // Everything is closed, so the process ends by itself once the log is flushed.
      process.exitCode = 0;
    },
    (err: unknown) => {
      log.error({ err }, 'error while stopping');
      process.exit(1);
    },
  );
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
