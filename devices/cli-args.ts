// Command-line parsing for devices/cli.ts, kept pure (argv and env in, a command or a UsageError out) so it is testable.
import { parseArgs } from 'node:util';

export const USAGE = `Usage: node dist/devices/cli.js vehicles [options]

Runs simulated city-management vehicles (环卫车, 渣土车, 巡查车 …) driving round the old town of Jinan, each an MQTT
client publishing a GPS fix to devices/{deviceId}/position (QoS 1) every interval. Runs until SIGINT/SIGTERM.

Options:
  -u, --url <url>          MQTT broker URL                    (env MQTT_URL, default mqtt://127.0.0.1:1883)
  -n, --count <n>          number of vehicles, 1–1000         (env SIM_VEHICLES, default 20)
  -i, --interval <ms>      milliseconds between fixes, >= 10  (env SIM_INTERVAL_MS, default 2000)
      --prefix <prefix>    device id prefix: veh-001 …        (default veh-)
      --speed-factor <k>   simulated-time multiplier, > 0; fix times stay wall-clock, so vehicles appear k times
                           faster than the speed they report  (default 1)
      --seed <n>           random seed; same seed, same driving (default 0)
      --log-level <level>  fatal|error|warn|info|debug|trace|silent (env LOG_LEVEL, default info)
  -h, --help               show this help

Environment:
  SIM_DEVICE_PASSWORD      MQTT password sent by every vehicle (username = device id); not a flag, so it stays out
                           of the process list

Exit codes: 0 stopped cleanly, 1 runtime failure, 2 invalid command line or environment.

Example:
  node dist/devices/cli.js vehicles --url mqtt://127.0.0.1:1883 --count 20 --interval 2000
`;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface VehiclesCommand {
  kind: 'vehicles';
  mqttUrl: string;
  count: number;
  intervalMs: number;
  deviceIdPrefix: string;
  speedFactor: number;
  seed: number;
  logLevel: LogLevel;
  password?: string;
}

export type CliCommand = { kind: 'help' } | VehiclesCommand;

/** Bad command line or environment: print the message and exit with code 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
}

type Env = Readonly<Record<string, string | undefined>>;

/** A value and where it came from, for error messages. */
interface Sourced {
  value: string;
  source: string;
}

function pick(
  flagValue: string | undefined,
  flag: string,
  env: Env,
  envName: string | undefined,
  fallback: string,
): Sourced {
  if (flagValue !== undefined) return { value: flagValue, source: flag };
  const fromEnv = envName ? env[envName] : undefined;
  if (fromEnv !== undefined && fromEnv.trim() !== '')
    return { value: fromEnv.trim(), source: `${envName} (environment)` };
  return { value: fallback, source: flag };
}

function integer({ value, source }: Sourced, min: number, max: number): number {
  const n = /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${source} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

function positiveNumber({ value, source }: Sourced, max: number): number {
  const n = /^\d+(\.\d+)?$|^\.\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isFinite(n) || n <= 0 || n > max) {
    throw new UsageError(`${source} must be a number greater than 0 and at most ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

function mqttUrl({ value, source }: Sourced): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${source} must be a URL such as mqtt://127.0.0.1:1883, got ${JSON.stringify(value)}`);
  }
  const protocols = ['mqtt:', 'mqtts:', 'tcp:', 'tls:', 'ws:', 'wss:'];
  if (!protocols.includes(url.protocol)) {
    throw new UsageError(`${source} must use one of ${protocols.join(' ')}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Parses `argv` (without the node and script paths). Throws UsageError on bad input. */
export function parseCliArgs(argv: readonly string[], env: Env): CliCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        url: { type: 'string', short: 'u' },
        count: { type: 'string', short: 'n' },
        interval: { type: 'string', short: 'i' },
        prefix: { type: 'string' },
        'speed-factor': { type: 'string' },
        seed: { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };

  const [command, ...extra] = positionals;
  if (command === undefined) throw new UsageError('missing command; the only command is "vehicles"');
  if (command !== 'vehicles')
    throw new UsageError(`unknown command ${JSON.stringify(command)}; the only one is "vehicles"`);
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);

  const prefix = values.prefix ?? 'veh-';
  if (!/^[A-Za-z0-9._:-]{0,60}$/.test(prefix)) {
    throw new UsageError(`--prefix may only contain A-Z a-z 0-9 . _ : - (at most 60), got ${JSON.stringify(prefix)}`);
  }
  const logLevel = pick(values['log-level'], '--log-level', env, 'LOG_LEVEL', 'info');
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel.value)) {
    throw new UsageError(
      `${logLevel.source} must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevel.value)}`,
    );
  }
  const password = env.SIM_DEVICE_PASSWORD;

  return {
    kind: 'vehicles',
    mqttUrl: mqttUrl(pick(values.url, '--url', env, 'MQTT_URL', 'mqtt://127.0.0.1:1883')),
    count: integer(pick(values.count, '--count', env, 'SIM_VEHICLES', '20'), 1, 1000),
    intervalMs: integer(pick(values.interval, '--interval', env, 'SIM_INTERVAL_MS', '2000'), 10, 3_600_000),
    deviceIdPrefix: prefix,
    speedFactor: positiveNumber(pick(values['speed-factor'], '--speed-factor', env, undefined, '1'), 1000),
    seed: integer(pick(values.seed, '--seed', env, undefined, '0'), 0, 0xffffffff),
    logLevel: logLevel.value as LogLevel,
    ...(password !== undefined && password !== '' ? { password } : {}),
  };
}
