// 场景命令行参数 the scenario command line: defaults derived from the hub URL, and refusals that say why.
import { describe, expect, it } from 'vitest';
import { parseScenarioArgs, UsageError } from './args.js';

const KNOWN = ['restricted-zone', 'overspeed', 'mixed'];

describe('the scenario command line', () => {
  it('derives the MQTT and JT/T 808 addresses from the hub URL', () => {
    const c = parseScenarioArgs(['overspeed', '--url', 'http://10.0.0.5:8080/'], { ADMIN_TOKEN: 't' }, KNOWN);
    expect(c).toMatchObject({
      kind: 'run',
      names: ['overspeed'],
      httpUrl: 'http://10.0.0.5:8080',
      mqttUrl: 'mqtt://10.0.0.5:1883',
      jt808: { host: '10.0.0.5', port: 6808 },
      adminToken: 't',
      embedded: false,
    });
  });

  it('runs every scenario for `all`, and needs no token with --embedded', () => {
    expect(parseScenarioArgs(['all', '--embedded'], {}, KNOWN)).toMatchObject({ names: KNOWN, adminToken: null });
  });

  it('refuses what it cannot run, saying why', () => {
    expect(() => parseScenarioArgs(['speeding'], { ADMIN_TOKEN: 't' }, KNOWN)).toThrow(
      'unknown scenario speeding; known: restricted-zone, overspeed, mixed',
    );
    expect(() => parseScenarioArgs(['mixed'], {}, KNOWN)).toThrow(/--admin-token or ADMIN_TOKEN/);
    expect(() => parseScenarioArgs(['mixed', '--embedded', '--start', '2026-11-20T08:00'], {}, KNOWN)).toThrow(
      /time with a zone/,
    );
    expect(() => parseScenarioArgs([], {}, KNOWN)).toThrow(UsageError);
  });
});
