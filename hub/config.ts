// Hub configuration (配置): every setting, read from the environment, validated once at start-up.
// The same table documents the settings: `npm run docs:config` prints the README table from it, and a test keeps the
// README in step with it.
import { accessSync, constants, statSync } from 'node:fs';

export interface HubConfig {
  httpHost: string;
  httpPort: number;
  mqttHost: string;
  mqttPort: number;
  jt808Host: string;
  jt808Port: number;
  jt808AutoProvision: boolean;
  databaseUrl: string | undefined;
  databaseWaitS: number;
  dataDir: string;
  embeddedPgPort: number;
  logLevel: string;
  retentionDays: number;
  ingestBatchMaxRows: number;
  ingestBatchMaxMs: number;
  maxFutureSkewS: number;
  livePushIntervalMs: number;
  webDir: string | undefined;
  adminToken: string | undefined;
  mqttUrl: string | undefined;
  hubId: string;
  redisUrl: string | undefined;
  spoolMaxMb: number;
  mediaMaxMb: number;
  deviceRatePerS: number;
  deviceRateBurst: number;
  ingestMaxQueued: number;
  ingestWriters: number;
  notifyWebhookUrl: string | undefined;
  notifyWebhookSecret: string | undefined;
  open311ApiKeys: ReadonlyMap<string, string>;
  open311RequireKey: boolean;
  sessionIdleHours: number;
  sessionMaxDays: number;
  trustProxy: boolean;
  videoEnabled: boolean;
  videoHost: string;
  rtmpPort: number;
  httpFlvPort: number;
  videoPublicHost: string | undefined;
  videoSecret: string | undefined;
  videoDetectorWorkers: number;
  chromiumPath: string;
  mapBasemap: MapBasemapKind;
  mapBasemapCrs: MapCrs;
  mapPmtilesFile: string | undefined;
  mapPmtilesStyle: string | undefined;
  mapXyzUrls: readonly string[];
  mapXyzSubdomains: readonly string[];
  mapXyzMaxZoom: number;
  mapAttribution: string | undefined;
  mapCenter: readonly [lon: number, lat: number];
  mapZoom: number;
}

/** The map's base layer (底图): the offline style (nothing leaves the server), a self-hosted PMTiles file, or XYZ tiles. */
export const MAP_BASEMAP_KINDS = ['offline', 'pmtiles', 'xyz'] as const;
export type MapBasemapKind = (typeof MAP_BASEMAP_KINDS)[number];
/** Datum of the basemap's tiles: WGS-84 (and CGCS2000, e.g. 天地图), or GCJ-02 (高德, 腾讯 tiles). */
export const MAP_CRS = ['wgs84', 'gcj02'] as const;
export type MapCrs = (typeof MAP_CRS)[number];

type Parser<T> = (raw: string, name: string) => T;

interface Setting<K extends keyof HubConfig> {
  key: K;
  env: string;
  /** The default as written in the environment; undefined means "not set" is a valid state. */
  default: string | undefined;
  parse: Parser<HubConfig[K]>;
  doc: string;
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

function integer(min: number, max: number): Parser<number> {
  return (raw, name) => {
    if (!/^\d+$/.test(raw.trim()))
      throw new Error(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
    const n = Number(raw);
    if (n < min || n > max) throw new Error(`${name} must be from ${min} to ${max}, got ${n}`);
    return n;
  };
}

const port = integer(0, 65535);

function text(raw: string): string {
  return raw;
}

function oneOf(values: readonly string[]): Parser<string> {
  return (raw, name) => {
    if (!values.includes(raw)) throw new Error(`${name} must be one of ${values.join(', ')}, got "${raw}"`);
    return raw;
  };
}

function postgresUrl(raw: string, name: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`${name} must be a URL like postgres://user:password@host:5432/database, got "${redact(raw)}"`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new Error(`${name} must start with postgres:// or postgresql://, got "${url.protocol}//…"`);
  }
  return raw;
}

function redisUrl(raw: string, name: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`${name} must be a URL like redis://:password@redis:6379/0, got "${redact(raw)}"`);
  }
  if (!['redis:', 'rediss:'].includes(url.protocol)) throw new Error(`${name} must start with redis:// or rediss://`);
  return raw;
}

function mqttUrl(raw: string, name: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`${name} must be a URL like mqtt://user:password@broker:1883, got "${redact(raw)}"`);
  }
  if (!['mqtt:', 'mqtts:'].includes(url.protocol)) throw new Error(`${name} must start with mqtt:// or mqtts://`);
  if (!url.username || !url.password) {
    throw new Error(`${name} must carry the hub's service credentials (mqtt://user:password@host:port)`);
  }
  return raw;
}

function secret(minLength: number): Parser<string> {
  return (raw, name) => {
    if (raw.length < minLength) throw new Error(`${name} must be at least ${minLength} characters`);
    return raw;
  };
}

function httpUrl(raw: string, name: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`${name} must be a URL like https://sms-gateway.example.gov.cn/notify, got "${redact(raw)}"`);
  }
  if (!['http:', 'https:'].includes(url.protocol)) throw new Error(`${name} must start with http:// or https://`);
  return raw;
}

function boolean(raw: string, name: string): boolean {
  if (['true', '1', 'yes'].includes(raw)) return true;
  if (['false', '0', 'no'].includes(raw)) return false;
  throw new Error(`${name} must be true or false, got "${raw}"`);
}

/** `name:key,name:key` → key → name; keys of at least 16 characters, names unique. */
function apiKeys(raw: string, name: string): ReadonlyMap<string, string> {
  const map = new Map<string, string>();
  for (const entry of raw
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const m = /^([A-Za-z0-9_-]{1,40}):(\S{16,})$/.exec(entry);
    if (!m)
      throw new Error(
        `${name} must be a list like hotline-12319:<key of 16+ characters>, got "${entry.split(':')[0]}:…"`,
      );
    if ([...map.values()].includes(m[1]!)) throw new Error(`${name} names ${m[1]} twice`);
    map.set(m[2]!, m[1]!);
  }
  return map;
}

/** Tile URL templates separated by spaces, each http(s) with {z}, {x} and {y} (and {s} if subdomains are set). */
function tileUrls(raw: string, name: string): readonly string[] {
  const urls = raw.split(/\s+/).filter(Boolean);
  for (const template of urls) {
    let url: URL;
    try {
      // The placeholders are not valid in every part of a URL (e.g. t{s}.example.cn); check the shape with stand-ins.
      url = new URL(template.replace(/\{[xyzs]\}/g, '0'));
    } catch {
      throw new Error(
        `${name} must be tile URL templates like https://tiles.example.cn/{z}/{x}/{y}.png, got "${template}"`,
      );
    }
    if (!['http:', 'https:'].includes(url.protocol)) throw new Error(`${name} must start with http:// or https://`);
    const missing = ['{z}', '{x}', '{y}'].filter((p) => !template.includes(p));
    if (missing.length) throw new Error(`${name}: "${template}" lacks ${missing.join(', ')}`);
  }
  return urls;
}

function list(raw: string): readonly string[] {
  return raw
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
}

function lonLat(raw: string, name: string): readonly [number, number] {
  const parts = raw.split(',').map((p) => p.trim());
  const [lon, lat] = parts.map(Number);
  const ok =
    parts.length === 2 &&
    parts.every((p) => /^-?\d+(\.\d+)?$/.test(p)) &&
    Math.abs(lon!) <= 180 &&
    Math.abs(lat!) <= 85;
  if (!ok) throw new Error(`${name} must be longitude,latitude in degrees (WGS-84), e.g. 117.02,36.665, got "${raw}"`);
  return [lon!, lat!];
}

function zoom(raw: string, name: string): number {
  const n = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw.trim()) || n > 22)
    throw new Error(`${name} must be a zoom level from 0 to 22, got "${raw}"`);
  return n;
}

function redact(raw: string): string {
  return raw.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

// Order here is the order of the README table.
const settings = [
  {
    key: 'httpPort',
    env: 'HTTP_PORT',
    default: '8080',
    parse: port,
    doc: 'Port of the HTTP API, the web app and socket.io.',
  },
  { key: 'httpHost', env: 'HTTP_HOST', default: '0.0.0.0', parse: text, doc: 'Address the HTTP server listens on.' },
  { key: 'mqttPort', env: 'MQTT_PORT', default: '1883', parse: port, doc: 'Port of the built-in MQTT broker (TCP).' },
  { key: 'mqttHost', env: 'MQTT_HOST', default: '0.0.0.0', parse: text, doc: 'Address the MQTT broker listens on.' },
  {
    key: 'jt808Port',
    env: 'JT808_PORT',
    default: '6808',
    parse: port,
    doc: 'Port of the JT/T 808 gateway for BeiDou/GPS vehicle terminals (TCP).',
  },
  {
    key: 'jt808AutoProvision',
    env: 'JT808_AUTO_PROVISION',
    default: 'false',
    parse: (raw, name) => {
      if (raw !== 'true' && raw !== 'false') throw new Error(`${name} must be true or false, got "${raw}"`);
      return raw === 'true';
    },
    doc: 'Register unknown JT/T 808 terminals as new vehicles (`jt808-<phone>`) instead of refusing them.',
  },
  {
    key: 'jt808Host',
    env: 'JT808_HOST',
    default: '0.0.0.0',
    parse: text,
    doc: 'Address the JT/T 808 gateway listens on.',
  },
  {
    key: 'databaseUrl',
    env: 'DATABASE_URL',
    default: undefined,
    parse: postgresUrl,
    doc: 'PostgreSQL/TimescaleDB to use. Unset: the hub starts an embedded PostgreSQL with its data under `DATA_DIR`.',
  },
  {
    key: 'databaseWaitS',
    env: 'DATABASE_WAIT_S',
    default: '300',
    parse: integer(0, 86_400),
    doc: 'At start, how long to keep retrying a database that does not answer yet (refused, timed out, starting up) before giving up; 0: do not wait. Wrong credentials or a missing database fail at once.',
  },
  {
    key: 'dataDir',
    env: 'DATA_DIR',
    default: './data',
    parse: text,
    doc: 'Local state: the embedded database (`DATA_DIR/postgres`). Kept across restarts.',
  },
  {
    key: 'embeddedPgPort',
    env: 'EMBEDDED_PG_PORT',
    default: '5433',
    parse: integer(1, 65535),
    doc: 'Port of the embedded PostgreSQL (127.0.0.1 only); ignored when `DATABASE_URL` is set.',
  },
  {
    key: 'logLevel',
    env: 'LOG_LEVEL',
    default: 'info',
    parse: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    doc: 'pino log level.',
  },
  {
    key: 'retentionDays',
    env: 'RETENTION_DAYS',
    default: '400',
    parse: integer(400, 36500),
    doc: 'How long positions are kept; at least 400 days (guideline art.41 asks for one year or more).',
  },
  {
    key: 'ingestBatchMaxRows',
    env: 'INGEST_BATCH_MAX_ROWS',
    default: '1000',
    parse: integer(1, 10000),
    doc: 'A write batch is flushed when it holds this many positions…',
  },
  {
    key: 'ingestBatchMaxMs',
    env: 'INGEST_BATCH_MAX_MS',
    default: '50',
    parse: integer(1, 5000),
    doc: '…or when its oldest position has waited this long (ms).',
  },
  {
    key: 'ingestWriters',
    env: 'INGEST_WRITERS',
    default: '2',
    parse: integer(1, 8),
    doc: 'Batches written to the database at the same time (one fills while another commits).',
  },
  {
    key: 'maxFutureSkewS',
    env: 'MAX_FUTURE_SKEW_S',
    default: '300',
    parse: integer(0, 86400),
    doc: 'A position stamped more than this many seconds in the future is rejected.',
  },
  {
    key: 'livePushIntervalMs',
    env: 'LIVE_PUSH_INTERVAL_MS',
    default: '150',
    parse: integer(20, 10000),
    doc: 'How often batched position deltas are pushed to browsers over socket.io (ms).',
  },
  {
    key: 'webDir',
    env: 'WEB_DIR',
    default: undefined,
    parse: text,
    doc: 'Folder of the built web app. Unset: `web/build` of this checkout.',
  },
  {
    key: 'mapBasemap',
    env: 'MAP_BASEMAP',
    default: 'offline',
    parse: oneOf(MAP_BASEMAP_KINDS) as Parser<MapBasemapKind>,
    doc: "The map's base layer: `offline` (the built-in plain style: no request leaves the hub), `pmtiles` (the file `MAP_PMTILES_FILE`, served by the hub) or `xyz` (raster tiles from `MAP_XYZ_URLS`, e.g. 天地图).",
  },
  {
    key: 'mapBasemapCrs',
    env: 'MAP_BASEMAP_CRS',
    default: 'wgs84',
    parse: oneOf(MAP_CRS) as Parser<MapCrs>,
    doc: 'Datum of the basemap: `wgs84` (also CGCS2000, e.g. 天地图) or `gcj02` (e.g. 高德 tiles): the map then shifts what it draws, and clicks back, since positions are WGS-84.',
  },
  {
    key: 'mapPmtilesFile',
    env: 'MAP_PMTILES_FILE',
    default: undefined,
    parse: text,
    doc: 'With `MAP_BASEMAP=pmtiles`: the PMTiles file (raster, or vector in the OpenMapTiles schema) the hub serves to the map at `/api/map/basemap.pmtiles`.',
  },
  {
    key: 'mapPmtilesStyle',
    env: 'MAP_PMTILES_STYLE',
    default: undefined,
    parse: text,
    doc: 'For a vector PMTiles file: a MapLibre style JSON whose layers draw it (their vector source is replaced by the file). Unset: the OpenMapTiles "basic" style of `tileserver-gl-styles`.',
  },
  {
    key: 'mapXyzUrls',
    env: 'MAP_XYZ_URLS',
    default: '',
    parse: tileUrls,
    doc: 'With `MAP_BASEMAP=xyz`: raster tile URL templates with `{z}` `{x}` `{y}` (and `{s}`), separated by spaces, drawn bottom to top (e.g. 天地图 `vec_w` then `cva_w`, with `tk=<key>`).',
  },
  {
    key: 'mapXyzSubdomains',
    env: 'MAP_XYZ_SUBDOMAINS',
    default: '',
    parse: list,
    doc: 'Values of `{s}` in `MAP_XYZ_URLS`, comma-separated (e.g. `0,1,2,3,4,5,6,7` for 天地图 t0…t7).',
  },
  {
    key: 'mapXyzMaxZoom',
    env: 'MAP_XYZ_MAX_ZOOM',
    default: '18',
    parse: integer(1, 22),
    doc: 'Highest zoom level the XYZ tiles exist for (the map zooms further by scaling them).',
  },
  {
    key: 'mapAttribution',
    env: 'MAP_ATTRIBUTION',
    default: undefined,
    parse: text,
    doc: 'Attribution shown on the map for the basemap (e.g. `© 天地图 GS(2024)0568号`).',
  },
  {
    key: 'mapCenter',
    env: 'MAP_CENTER',
    default: '117.02,36.665',
    parse: lonLat,
    doc: 'Where the map opens: longitude,latitude (WGS-84). Default: the old town of Jinan.',
  },
  {
    key: 'mapZoom',
    env: 'MAP_ZOOM',
    default: '14',
    parse: zoom,
    doc: 'Zoom level the map opens at.',
  },
  {
    key: 'adminToken',
    env: 'ADMIN_TOKEN',
    default: undefined,
    parse: secret(16),
    doc: 'Bearer token of the admin API (devices, commands). Unset: one is generated and kept in `DATA_DIR/admin-token`.',
  },
  {
    key: 'mqttUrl',
    env: 'MQTT_URL',
    default: undefined,
    parse: mqttUrl,
    doc: 'External broker mode: consume device topics from this MQTT 5 broker with shared subscriptions (several hubs split the load) instead of running the built-in broker.',
  },
  {
    key: 'hubId',
    env: 'HUB_ID',
    default: 'cityhub-1',
    parse: (raw, name) => {
      if (!/^[A-Za-z0-9._-]{1,40}$/.test(raw)) throw new Error(`${name} must be 1–40 letters, digits, . _ -`);
      return raw;
    },
    doc: 'Name of this hub process, unique among hubs sharing an external broker (its MQTT session there).',
  },
  {
    key: 'redisUrl',
    env: 'REDIS_URL',
    default: undefined,
    parse: redisUrl,
    doc: "Several hub processes behind one address (needs `DATABASE_URL`): the brokers share sessions and subscriptions, browsers see every process's updates, one process runs the timers, caches and login throttling are shared — all through this Redis. Unset: one process.",
  },
  {
    key: 'spoolMaxMb',
    env: 'SPOOL_MAX_MB',
    default: '1024',
    parse: integer(1, 1_000_000),
    doc: 'While the database is unreachable, data goes to a local spool (`DATA_DIR/spool`) of at most this size.',
  },
  {
    key: 'mediaMaxMb',
    env: 'MEDIA_MAX_MB',
    default: '10',
    parse: integer(1, 100),
    doc: 'Largest photo a device may upload to `/api/media` (stored under `DATA_DIR/media`).',
  },
  {
    key: 'deviceRatePerS',
    env: 'DEVICE_RATE_PER_S',
    default: '20',
    parse: integer(1, 10000),
    doc: 'Messages per second one device may send (token bucket)…',
  },
  {
    key: 'deviceRateBurst',
    env: 'DEVICE_RATE_BURST',
    default: '200',
    parse: integer(1, 100000),
    doc: '…with bursts up to this many (a store-and-forward catch-up should use the batch topic).',
  },
  {
    key: 'ingestMaxQueued',
    env: 'INGEST_MAX_QUEUED',
    default: '10000',
    parse: integer(100, 10_000_000),
    doc:
      'Observations waiting to be durable beyond which QoS 0 is shed and QoS 1 messages are held undecoded (their ' +
      'PUBACK waits); with as many held, device connections are not read until half of them are through. Memory: ' +
      '~2.4 KB per queued observation, ~1.4 KB per held message.',
  },
  {
    key: 'notifyWebhookUrl',
    env: 'NOTIFY_WEBHOOK_URL',
    default: undefined,
    parse: httpUrl,
    doc: "Message gateway (e.g. the city's SMS platform) to which complainant notifications (art.49) are POSTed as JSON; unset: they wait in the outbox (`GET /api/notifications`).",
  },
  {
    key: 'notifyWebhookSecret',
    env: 'NOTIFY_WEBHOOK_SECRET',
    default: undefined,
    parse: secret(16),
    doc: 'Key for the `x-cityhub-signature: sha256=<HMAC of the body>` header on notification webhooks.',
  },
  {
    key: 'open311ApiKeys',
    env: 'OPEN311_API_KEYS',
    default: '',
    parse: apiKeys,
    doc: 'Open311 api_keys as `name:key,…` (e.g. `hotline-12319:…`); a request with a key is recorded under its name.',
  },
  {
    key: 'open311RequireKey',
    env: 'OPEN311_REQUIRE_KEY',
    default: 'false',
    parse: boolean,
    doc: 'Refuse Open311 requests without an api_key (no anonymous public reports; those are rate-limited per address).',
  },
  {
    key: 'sessionIdleHours',
    env: 'SESSION_IDLE_HOURS',
    default: '12',
    parse: integer(1, 720),
    doc: 'A login session unused this long expires…',
  },
  {
    key: 'sessionMaxDays',
    env: 'SESSION_MAX_DAYS',
    default: '7',
    parse: integer(1, 365),
    doc: '…and every session expires this long after login.',
  },
  {
    key: 'trustProxy',
    env: 'TRUST_PROXY',
    default: 'false',
    parse: boolean,
    doc: 'Behind a reverse proxy: take the client address from `X-Forwarded-For` (login and Open311 rate limits are per address).',
  },
  {
    key: 'videoEnabled',
    env: 'VIDEO_ENABLED',
    default: 'false',
    parse: boolean,
    doc: 'Run the video path: the RTMP/HTTP-FLV media server, RTSP pulls and the detector (needs `ffmpeg` on PATH).',
  },
  {
    key: 'videoHost',
    env: 'VIDEO_HOST',
    default: '0.0.0.0',
    parse: text,
    doc: 'Address the RTMP and HTTP-FLV servers listen on.',
  },
  {
    key: 'rtmpPort',
    env: 'RTMP_PORT',
    default: '1935',
    parse: port,
    doc: 'Port cameras and encoders push RTMP to (with a signed key from `POST /api/cameras/{id}/publish-key`).',
  },
  {
    key: 'httpFlvPort',
    env: 'HTTP_FLV_PORT',
    default: '8000',
    parse: port,
    doc: 'Port browsers play camera streams from (HTTP-FLV, with a short-lived token from `GET /api/cameras/{id}/play`).',
  },
  {
    key: 'videoPublicHost',
    env: 'VIDEO_PUBLIC_HOST',
    default: undefined,
    parse: text,
    doc: 'Host name put into publish and play URLs handed out; unset: the address the request came to.',
  },
  {
    key: 'videoSecret',
    env: 'VIDEO_SECRET',
    default: undefined,
    parse: secret(16),
    doc: 'Key signing RTMP publish keys and play tokens. Unset: one is generated and kept in `DATA_DIR/video-secret`.',
  },
  {
    key: 'videoDetectorWorkers',
    env: 'VIDEO_DETECTOR_WORKERS',
    default: '2',
    parse: integer(1, 64),
    doc: 'Worker threads running the object detector (TensorFlow.js, WebAssembly); each holds the model (~30 MB).',
  },
  {
    key: 'chromiumPath',
    env: 'CHROMIUM_PATH',
    default: '/usr/bin/chromium',
    parse: text,
    doc: 'Chromium that prints the monthly operations report to PDF (`/api/evaluation/reports/monthly/{month}.pdf`); without it the PDF is refused and the HTML still works.',
  },
] as const satisfies readonly Setting<keyof HubConfig>[];

/** Reads and validates every setting; throws one ConfigError listing every bad value. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): HubConfig {
  const problems: string[] = [];
  const config: Record<string, unknown> = {};
  for (const s of settings as readonly Setting<keyof HubConfig>[]) {
    const raw = env[s.env];
    const value = raw === undefined || raw === '' ? s.default : raw;
    if (value === undefined) {
      config[s.key] = undefined;
      continue;
    }
    try {
      config[s.key] = s.parse(value, s.env);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (problems.length === 0) problems.push(...basemapProblems(config as unknown as HubConfig));
  if (config.redisUrl && !config.databaseUrl) {
    problems.push('REDIS_URL (several hub processes) needs DATABASE_URL: the database they all share');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config as unknown as HubConfig;
}

/** The basemap settings that only make sense together. */
function basemapProblems(c: HubConfig): string[] {
  const problems: string[] = [];
  if (c.mapBasemap === 'pmtiles') {
    if (!c.mapPmtilesFile) problems.push('MAP_BASEMAP=pmtiles needs MAP_PMTILES_FILE (the .pmtiles file to serve)');
    else if (!isReadableFile(c.mapPmtilesFile))
      problems.push(`MAP_PMTILES_FILE ${c.mapPmtilesFile} is not a readable file`);
    if (c.mapPmtilesStyle && !isReadableFile(c.mapPmtilesStyle))
      problems.push(`MAP_PMTILES_STYLE ${c.mapPmtilesStyle} is not a readable file`);
  }
  if (c.mapBasemap === 'xyz') {
    if (c.mapXyzUrls.length === 0) problems.push('MAP_BASEMAP=xyz needs MAP_XYZ_URLS (tile URL templates)');
    const needsS = c.mapXyzUrls.some((u) => u.includes('{s}'));
    if (needsS && c.mapXyzSubdomains.length === 0)
      problems.push('MAP_XYZ_URLS uses {s}: set MAP_XYZ_SUBDOMAINS (e.g. 0,1,2,3)');
  }
  return problems;
}

function isReadableFile(file: string): boolean {
  try {
    accessSync(file, constants.R_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The README's configuration table, made from the same settings the hub validates. */
export function configTableMarkdown(): string {
  const rows = (settings as readonly Setting<keyof HubConfig>[]).map(
    (s) => `| \`${s.env}\` | ${s.default === undefined ? '(unset)' : `\`${s.default}\``} | ${s.doc} |`,
  );
  return ['| Variable | Default | Meaning |', '|---|---|---|', ...rows].join('\n');
}

export { redact as redactUrl };
