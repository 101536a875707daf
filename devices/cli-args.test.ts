import { describe, expect, it } from 'vitest';
import { USAGE, UsageError, parseCliArgs } from './cli-args.js';

const usageError = (argv: string[], env: Record<string, string> = {}): UsageError => {
  try {
    parseCliArgs(argv, env);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error(`expected a UsageError for ${argv.join(' ')}`);
};

describe('parseCliArgs', () => {
  it('has defaults', () => {
    expect(parseCliArgs(['vehicles'], {})).toEqual({
      kind: 'vehicles',
      mqttUrl: 'mqtt://127.0.0.1:1883',
      count: 20,
      intervalMs: 2000,
      deviceIdPrefix: 'veh-',
      speedFactor: 1,
      seed: 0,
      logLevel: 'info',
    });
  });

  it('reads flags, long and short', () => {
    const long = parseCliArgs(
      ['vehicles', '--url', 'mqtt://broker:1884', '--count', '3', '--interval', '500', '--prefix', 'car-'],
      {},
    );
    expect(long).toMatchObject({ mqttUrl: 'mqtt://broker:1884', count: 3, intervalMs: 500, deviceIdPrefix: 'car-' });
    const short = parseCliArgs(['vehicles', '-u', 'ws://h:8883/mqtt', '-n', '7', '-i', '100'], {});
    expect(short).toMatchObject({ mqttUrl: 'ws://h:8883/mqtt', count: 7, intervalMs: 100 });
    expect(
      parseCliArgs(['vehicles', '--speed-factor', '2.5', '--seed', '42', '--log-level', 'debug'], {}),
    ).toMatchObject({ speedFactor: 2.5, seed: 42, logLevel: 'debug' });
  });

  it('takes defaults from the environment, flags winning', () => {
    const env = { MQTT_URL: 'mqtt://env:1883', SIM_VEHICLES: '5', SIM_INTERVAL_MS: '750', LOG_LEVEL: 'warn' };
    expect(parseCliArgs(['vehicles'], env)).toMatchObject({
      mqttUrl: 'mqtt://env:1883',
      count: 5,
      intervalMs: 750,
      logLevel: 'warn',
    });
    expect(parseCliArgs(['vehicles', '--count', '9'], env)).toMatchObject({ count: 9, intervalMs: 750 });
    // Empty variables count as unset.
    expect(parseCliArgs(['vehicles'], { SIM_VEHICLES: '' })).toMatchObject({ count: 20 });
  });

  it('passes SIM_DEVICE_PASSWORD through', () => {
    expect(parseCliArgs(['vehicles'], { SIM_DEVICE_PASSWORD: 's3cret' })).toMatchObject({ password: 's3cret' });
    expect(parseCliArgs(['vehicles'], {})).not.toHaveProperty('password');
  });

  it('returns help for --help and -h, whatever else is there', () => {
    expect(parseCliArgs(['--help'], {})).toEqual({ kind: 'help' });
    expect(parseCliArgs(['vehicles', '-h', '--count', 'x'], {})).toEqual({ kind: 'help' });
    expect(USAGE).toContain('--interval');
    expect(USAGE).toContain('SIM_VEHICLES');
  });

  it.each([
    [['vehicles', '--count', '0'], /--count must be an integer from 1 to 1000, got "0"/],
    [['vehicles', '--count', '2.5'], /--count must be an integer/],
    [['vehicles', '--count', 'many'], /--count must be an integer/],
    [['vehicles', '--interval', '5'], /--interval must be an integer from 10/],
    [['vehicles', '--url', 'localhost:1883'], /--url must use one of mqtt: mqtts:/],
    [['vehicles', '--url', 'not a url'], /--url must be a URL/],
    [['vehicles', '--url', 'http://h:1883'], /--url must use one of/],
    [['vehicles', '--speed-factor', '0'], /--speed-factor must be a number greater than 0/],
    [['vehicles', '--speed-factor=-1'], /--speed-factor must be a number greater than 0/],
    [['vehicles', '--speed-factor', '-1'], /argument is ambiguous/], // node:util parseArgs wants --speed-factor=-1
    [['vehicles', '--prefix', 'a/b'], /--prefix may only contain/],
    [['vehicles', '--prefix', '+'], /--prefix may only contain/],
    [['vehicles', '--log-level', 'loud'], /--log-level must be one of/],
    [['vehicles', '--colour'], /Unknown option '--colour'/],
    [['vehicles', '--count'], /--count/],
    [[], /missing command/],
    [['trucks'], /unknown command "trucks"/],
    [['vehicles', 'extra'], /unexpected argument "extra"/],
  ])('rejects %j', (argv, message) => {
    const err = usageError(argv);
    expect(err.message).toMatch(message);
    expect(err.exitCode).toBe(2);
  });

  it('names the environment variable when the bad value came from there', () => {
    expect(usageError(['vehicles'], { SIM_VEHICLES: 'lots' }).message).toMatch(
      /^SIM_VEHICLES \(environment\) must be an integer from 1 to 1000, got "lots"$/,
    );
    expect(usageError(['vehicles'], { SIM_INTERVAL_MS: '-5' }).message).toMatch(/^SIM_INTERVAL_MS \(environment\)/);
    expect(usageError(['vehicles'], { MQTT_URL: 'broker:1883' }).message).toMatch(/^MQTT_URL \(environment\)/);
  });
});
