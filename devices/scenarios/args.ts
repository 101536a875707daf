// 场景命令行参数 the scenario command line, parsed purely (argv and env in, a command or a UsageError out).
import { parseArgs } from 'node:util';

export const SCENARIO_USAGE = `Usage: npm run scenario -- <name …|all|list> [options]

Plays detection scenarios (fleets, collectors, sensors with injected violations of known ground truth) against a
hub over its real protocols — admin API for set-up, MQTT and JT/T 808 for the devices, HTTP to read the candidates —
then prints precision and recall per rule kind. Exits 1 when an injected violation is missed or a false candidate
appears.

Options:
      --url <url>            hub HTTP base URL          (env HUB_URL, default http://127.0.0.1:8080)
      --mqtt <url>           MQTT broker URL            (env MQTT_URL, default mqtt://<host of --url>:1883)
      --jt808 <host:port>    JT/T 808 gateway           (default <host of --url>:6808)
      --admin-token <token>  admin bearer token         (env ADMIN_TOKEN)
      --embedded             start the built hub (dist/hub/main.js) with a temporary DATA_DIR instead
      --start <iso>          simulated start of the first scenario (default: back to back, ending 2 min ago)
      --time-zone <iana>     the city's time zone       (default Asia/Shanghai)
      --play-seconds <s>     real seconds to play each scenario in (default: the scenario's own)
      --keep                 leave the scenario's rules, zones, devices and candidates as they are afterwards (by
                             default rules and zones are removed, devices disabled, and candidates dismissed by
                             the acceptor account scenario-runner, which the runner creates)
      --json                 print the results as JSON
  -h, --help                 show this help

Exit codes: 0 every scenario passed, 1 a violation was missed or a false candidate appeared, 2 bad command line,
3 the hub could not be set up or reached.

Example:
  npm run scenario -- restricted-zone --url http://127.0.0.1:8080 --admin-token "$ADMIN_TOKEN"
  npm run scenario -- all --embedded
`;

export class UsageError extends Error {
  readonly exitCode = 2;
}

export interface ScenarioCommand {
  kind: 'run';
  names: string[];
  httpUrl: string;
  mqttUrl: string;
  jt808: { host: string; port: number };
  adminToken: string | null;
  embedded: boolean;
  startMs: number | null;
  timeZone: string;
  playSeconds: number | null;
  keep: boolean;
  json: boolean;
}

export type ParsedCommand = { kind: 'help' } | { kind: 'list' } | ScenarioCommand;

export function parseScenarioArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  known: readonly string[],
): ParsedCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        mqtt: { type: 'string' },
        jt808: { type: 'string' },
        'admin-token': { type: 'string' },
        embedded: { type: 'boolean', default: false },
        start: { type: 'string' },
        'time-zone': { type: 'string' },
        'play-seconds': { type: 'string' },
        keep: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values;
  if (v.help) return { kind: 'help' };
  const names = parsed.positionals;
  if (names.length === 0) throw new UsageError(`name a scenario (${known.join(', ')}), all, or list`);
  if (names.includes('list')) return { kind: 'list' };
  const chosen = names.includes('all') ? [...known] : names;
  const unknown = chosen.filter((n) => !known.includes(n));
  if (unknown.length) throw new UsageError(`unknown scenario ${unknown.join(', ')}; known: ${known.join(', ')}`);

  const httpUrl = (v.url ?? env.HUB_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  let host: string;
  try {
    const u = new URL(httpUrl);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
    host = u.hostname;
  } catch {
    throw new UsageError(`--url must be an http(s) URL, got ${JSON.stringify(httpUrl)}`);
  }
  const mqttUrl = v.mqtt ?? env.MQTT_URL ?? `mqtt://${host}:1883`;
  try {
    new URL(mqttUrl);
  } catch {
    throw new UsageError(`--mqtt must be a URL such as mqtt://127.0.0.1:1883, got ${JSON.stringify(mqttUrl)}`);
  }
  const jt = /^(.+):(\d{1,5})$/.exec(v.jt808 ?? `${host}:6808`);
  if (!jt || Number(jt[2]) < 1 || Number(jt[2]) > 65535) {
    throw new UsageError(`--jt808 must be host:port, got ${JSON.stringify(v.jt808)}`);
  }
  let startMs: number | null = null;
  if (v.start !== undefined) {
    startMs = Date.parse(v.start);
    if (!/(Z|[+-]\d{2}:\d{2})$/.test(v.start) || Number.isNaN(startMs)) {
      throw new UsageError(`--start must be an ISO 8601 time with a zone, e.g. 2026-11-20T08:00:00+08:00`);
    }
  }
  const timeZone = v['time-zone'] ?? 'Asia/Shanghai';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    throw new UsageError(`--time-zone must be an IANA zone such as Asia/Shanghai, got ${JSON.stringify(timeZone)}`);
  }
  let playSeconds: number | null = null;
  if (v['play-seconds'] !== undefined) {
    playSeconds = Number(v['play-seconds']);
    if (!(playSeconds > 0 && playSeconds <= 3600))
      throw new UsageError('--play-seconds must be a number of seconds, 0 < s ≤ 3600');
  }
  const adminToken = v['admin-token'] ?? env.ADMIN_TOKEN ?? null;
  if (!v.embedded && !adminToken) {
    throw new UsageError('give the hub admin token (--admin-token or ADMIN_TOKEN), or use --embedded');
  }
  return {
    kind: 'run',
    names: chosen,
    httpUrl,
    mqttUrl,
    jt808: { host: jt[1]!, port: Number(jt[2]) },
    adminToken,
    embedded: v.embedded ?? false,
    startMs,
    timeZone,
    playSeconds,
    keep: v.keep ?? false,
    json: v.json ?? false,
  };
}
