// 压测命令行 what the benchmark runners' command lines share: strict option parsing with -h/--help, usage errors
// told the same way, and `--hub-env NAME=value` (repeatable) for the hub a runner starts, checked against the settings
// the runner makes itself.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './generator-core.js';

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

/**
 * The command line's options (node:util parseArgs, strict: an unknown option or a positional is refused), with
 * -h/--help; a malformed command line is a UsageError.
 */
export function parseOptions(
  argv: readonly string[],
  options: NonNullable<ParseArgsConfig['options']>,
): OptionValues | 'help' {
  let values: OptionValues;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return values.help ? 'help' : values;
}

/** A string option's value; undefined when it was not given. */
export const optionString = (values: OptionValues, name: string): string | undefined =>
  typeof values[name] === 'string' ? values[name] : undefined;

/** The hub settings every runner that starts a hub makes itself (see processes.ts spawnHub). */
export const RUNNER_HUB_ENV = [
  'HTTP_HOST',
  'HTTP_PORT',
  'MQTT_HOST',
  'MQTT_PORT',
  'JT808_HOST',
  'JT808_PORT',
  'DATABASE_URL',
  'DATA_DIR',
  'ADMIN_TOKEN',
];

/**
 * The `--hub-env` entries as settings; an entry that is not NAME=value, or names a setting of `managed` (what the
 * runner sets itself), is a usage error.
 */
export function parseHubEnv(
  entries: readonly string[] | undefined,
  managed: readonly string[],
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of entries ?? []) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/s.exec(entry);
    if (!m) throw new UsageError(`--hub-env takes NAME=value, got ${JSON.stringify(entry)}`);
    if (managed.includes(m[1]!)) {
      throw new UsageError(`--hub-env cannot set ${m[1]}: the runner sets it (${managed.join(', ')})`);
    }
    env[m[1]!] = m[2]!;
  }
  return env;
}

/**
 * Reads the command line with `parse`: `--help` prints `usage` and a usage error prints itself with the way to --help.
 * Returns the arguments, or the exit status to end with then (0 after --help, 2 after a usage error).
 */
export function readCommandLine<A>(parse: () => A | 'help', usage: string): A | number {
  let args: A | 'help';
  try {
    args = parse();
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`error: ${err.message}\nRun with --help for usage.\n`);
    return 2;
  }
  if (args === 'help') {
    process.stdout.write(usage);
    return 0;
  }
  return args;
}

/** A whole-number option from `min` to `max` (digits only); `fallback` when it was not given. */
export function optionInteger(values: OptionValues, name: string, fallback: number, min: number, max: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = /^\d+$/.test(String(raw)) ? Number(raw) : NaN;
  if (!(n >= min && n <= max)) throw new UsageError(`--${name} must be an integer from ${min} to ${max}`);
  return n;
}
