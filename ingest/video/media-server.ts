// 视频接入 media server: node-media-server 4.x receives camera streams over RTMP (publish only with a signed key for a
// registered, enabled camera) and serves them as HTTP-FLV (play only with a short-lived play token the hub hands to
// logged-in users). The hub learns when a camera starts and stops publishing through the sink; ingest/ knows no
// database.
//
// Our own keys, because node-media-server checks one `sign` (md5 of path, expiry and its secret) for publish AND play:
// a viewer given that sign could also publish over the camera, and it cannot be revoked for one camera. So cameras get
// a publish key carrying the camera's key version (HMAC-SHA256; only the current version publishes, so raising it
// revokes every older key of that camera), and viewers a play `token` (HMAC-SHA256 with another derived key). On
// `prePublish` and `prePlay` a valid key becomes a server-side sign and anything else is stripped, so every admission
// and refusal goes down node-media-server's own path (a refused socket is closed before any media).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** Camera ids double as stream names: node-media-server accepts only these characters in a path segment. */
export const CAMERA_STREAM_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** The one application streams live under: rtmp://host/live/{cameraId}, http://host/live/{cameraId}.flv */
export const STREAM_APP = 'live';

export const streamPathOf = (cameraId: string): string => `/${STREAM_APP}/${cameraId}`;

/** node-media-server 4.x's publish/play sign: `{expiresAtSec}-{md5hex("{streamPath}-{expiresAtSec}-{secret}")}`. */
export function nmsSign(streamPath: string, secret: string, expiresAtSec: number): string {
  const hash = createHash('md5').update(`${streamPath}-${expiresAtSec}-${secret}`).digest('hex');
  return `${expiresAtSec}-${hash}`;
}

const playKey = (secret: string) => createHmac('sha256', secret).update('cityhub play token v1').digest();
const publishMacKey = (secret: string) => createHmac('sha256', secret).update('cityhub publish key v2').digest();

/**
 * A camera's publish key: `{expiresAtSec}-{keyVersion}-{base64url HMAC-SHA256}` over the stream path, expiry and the
 * camera's key version; it publishes only while that version is the camera's current one.
 */
export function publishKey(streamPath: string, secret: string, expiresAtSec: number, keyVersion: number): string {
  const mac = createHmac('sha256', publishMacKey(secret))
    .update(`${streamPath}\n${expiresAtSec}\n${keyVersion}`)
    .digest();
  return `${expiresAtSec}-${keyVersion}-${mac.toString('base64url')}`;
}

/** A viewer's play token for one camera: `{expiresAtSec}-{base64url HMAC-SHA256}`; it cannot publish. */
export function playToken(cameraId: string, secret: string, expiresAtSec: number): string {
  const mac = createHmac('sha256', playKey(secret))
    .update(`${streamPathOf(cameraId)}\n${expiresAtSec}`)
    .digest();
  return `${expiresAtSec}-${mac.toString('base64url')}`;
}

export type KeyCheck = 'ok' | 'missing' | 'malformed' | 'expired' | 'bad-signature';

function checkSigned(value: unknown, nowSec: number, expected: (expSec: number) => string): KeyCheck {
  if (typeof value !== 'string' || value === '') return 'missing';
  const m = /^(\d{1,12})-([A-Za-z0-9_-]{1,128})$/.exec(value);
  if (!m) return 'malformed';
  const expSec = Number(m[1]);
  if (expSec < nowSec) return 'expired';
  const want = Buffer.from(expected(expSec));
  const got = Buffer.from(value);
  return want.length === got.length && timingSafeEqual(want, got) ? 'ok' : 'bad-signature';
}

/**
 * Checks a publish key and says which key version it was issued under. Keys from before key versions existed (plain
 * node-media-server signs, `{exp}-{md5}`) count as version 0, so cameras set up then keep working until revoked.
 */
export function checkPublishKey(
  streamPath: string,
  sign: unknown,
  secret: string,
  nowSec: number,
): { check: KeyCheck; keyVersion: number | null } {
  if (typeof sign === 'string') {
    const versioned = /^\d{1,12}-(\d{1,9})-[A-Za-z0-9_-]{43}$/.exec(sign);
    if (versioned) {
      const keyVersion = Number(versioned[1]);
      const check = checkSigned(sign, nowSec, (exp) => publishKey(streamPath, secret, exp, keyVersion));
      return { check, keyVersion: check === 'ok' ? keyVersion : null };
    }
    if (/^\d{1,12}-[0-9a-f]{32}$/.test(sign)) {
      const check = checkSigned(sign, nowSec, (exp) => nmsSign(streamPath, secret, exp));
      return { check, keyVersion: check === 'ok' ? 0 : null };
    }
  }
  return { check: typeof sign === 'string' && sign !== '' ? 'malformed' : 'missing', keyVersion: null };
}

export const checkPlayToken = (cameraId: string, token: unknown, secret: string, nowSec: number): KeyCheck =>
  checkSigned(token, nowSec, (exp) => playToken(cameraId, secret, exp));

export type PublishRejection =
  | 'unknown-stream-path'
  | 'camera-not-publishable'
  /** A key of an older key version of the camera: revoked. */
  | 'revoked'
  | Exclude<KeyCheck, 'ok'>;

export interface RejectedStream {
  action: 'publish' | 'play';
  /** The camera the path names; null when the path is not /live/{cameraId}. */
  cameraId: string | null;
  streamPath: string;
  /** `address:port` of the client. */
  clientAddress: string;
  reason: PublishRejection;
}

/** What the media server needs from the hub (camera registry) and tells it. */
export interface MediaServerSink {
  /**
   * The publish key version a camera accepts now — keys of other versions are revoked — or null when it may not
   * publish (unknown or disabled). New keys are signed with it. Synchronous: node-media-server cannot wait (keep a
   * cache).
   */
  publishKeyVersion(cameraId: string): number | null;
  /** The camera went live (also called again when the same publisher resumes within the grace window). */
  publishStarted(cameraId: string): void;
  /** The camera's stream ended (after the reconnect grace, or when the server closes). */
  publishEnded(cameraId: string): void;
}

/** pino-compatible subset. */
export interface MediaLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface MediaServerOptions {
  /** Address both listeners bind; default 127.0.0.1. */
  host?: string;
  /** RTMP port; 0 picks a free one. */
  rtmpPort: number;
  /** HTTP-FLV port; 0 picks a free one. */
  httpPort: number;
  /** Signs publish keys and play tokens; at least 16 characters. */
  secret: string;
  /** Host name put in the URLs handed to cameras and browsers; default `host`. */
  publicHost?: string;
  sink: MediaServerSink;
  /** A publisher that drops and comes back within this keeps its stream (no offline/online flap); default 5 s. */
  reconnectGraceMs?: number;
  /** node-media-server's own JSON store (stream history); default a temporary directory removed on close. */
  storeDir?: string;
  log?: MediaLog;
  /** node-media-server's console logging; default 'error'. */
  nmsLogLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error';
}

export interface SignedUrl {
  url: string;
  expiresAt: Date;
}

export interface MediaServerStats {
  publishesStarted: number;
  publishesRejected: number;
  playsRejected: number;
}

export class MediaServerError extends Error {
  override readonly name = 'MediaServerError';
  constructor(
    readonly code: 'NotLive' | 'SnapshotFailed' | 'AlreadyRunning' | 'ListenFailed',
    message: string,
  ) {
    super(message);
  }
}

export interface MediaServer {
  readonly rtmpPort: number;
  readonly httpPort: number;
  /**
   * The URL a camera publishes to: rtmp://{publicHost}:{port}/live/{id}?sign=… valid for `ttlS` seconds, signed with
   * the camera's current key version (the sink's `publishKeyVersion`).
   */
  publishUrl(cameraId: string, ttlS: number): SignedUrl;
  /** The same on 127.0.0.1, for the RTSP puller's ffmpeg. */
  localPublishUrl(cameraId: string, ttlS: number): SignedUrl;
  /** An HTTP-FLV URL a browser (mpegts.js) plays: http://{publicHost}:{port}/live/{id}.flv?token=… */
  playUrl(cameraId: string, ttlS: number): SignedUrl;
  /** The same on 127.0.0.1, for the sampler's and snapshot's ffmpeg. */
  localPlayUrl(cameraId: string, ttlS: number): SignedUrl;
  isLive(cameraId: string): boolean;
  liveCameras(): string[];
  /** Drops the camera's publisher now (it was disabled); false when it was not publishing. */
  disconnect(cameraId: string): boolean;
  /** The current frame as a JPEG, decoded by ffmpeg from the local HTTP-FLV stream. */
  snapshot(cameraId: string, timeoutMs?: number): Promise<Buffer>;
  /** Rejected publish and play attempts, newest last (the last 100). */
  rejections(): readonly RejectedStream[];
  stats(): MediaServerStats;
  close(): Promise<void>;
}

// node-media-server is CommonJS without types; these are the parts we touch.
interface NmsSession {
  ip: string;
  streamPath: string;
  streamApp: string;
  streamName: string;
  streamQuery: Record<string, unknown> | null | undefined;
  broadcast?: { publishGraceMs: number };
}
interface NmsBroadcast {
  publisher: { close(): void } | null;
  getPublishStatus(): 'publishing' | 'reconnecting' | 'idle';
}
interface NmsInstance {
  rtmpServer: { tcpServer?: net.Server; handleListenError: (name: string, port: number) => (err: Error) => void };
  httpServer: { httpServer?: net.Server };
  store: { options: { signals: boolean } };
  on(event: string, listener: (session: NmsSession) => void): void;
  run(): Promise<void>;
  stop(): Promise<void>;
}
const require = createRequire(import.meta.url);
const NodeMediaServer = require('node-media-server') as new (config: object) => NmsInstance;
const nmsLogger = require('node-media-server/src/core/logger.js') as { level: string };
const nmsContext = require('node-media-server/src/core/context.js') as {
  broadcasts: Map<string, NmsBroadcast>;
  sessions: Map<string, unknown>;
  eventEmitter: import('node:events').EventEmitter;
};

/** node-media-server keeps its state in module singletons: one server per process. */
let running = false;

async function freePort(host: string): Promise<number> {
  const server = net.createServer();
  server.listen(0, host);
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  server.close();
  await once(server, 'close');
  return port;
}

const nowSec = () => Math.floor(Date.now() / 1000);
const quietLog: MediaLog = { info: () => undefined, warn: () => undefined };

export async function startMediaServer(options: MediaServerOptions): Promise<MediaServer> {
  if (running) throw new MediaServerError('AlreadyRunning', 'a media server is already running in this process');
  if (options.secret.length < 16) throw new Error('the media server secret must be at least 16 characters');
  const host = options.host ?? '127.0.0.1';
  const publicHost = options.publicHost ?? host;
  const { secret, sink } = options;
  const log = options.log ?? quietLog;
  const graceMs = options.reconnectGraceMs ?? 5000;
  running = true;

  const ownStore = options.storeDir === undefined;
  const storeDir = options.storeDir ?? (await mkdtemp(path.join(os.tmpdir(), 'cityhub-nms-')));
  const rtmpPort = options.rtmpPort || (await freePort(host));
  const httpPort = options.httpPort || (await freePort(host));
  const counters: MediaServerStats = { publishesStarted: 0, publishesRejected: 0, playsRejected: 0 };
  const rejected: RejectedStream[] = [];

  const nms = new NodeMediaServer({
    bind: host,
    rtmp: { port: rtmpPort },
    http: { port: httpPort },
    auth: { publish: true, play: true, secret },
    store: { path: storeDir },
    webadmin: { enable: false },
  });
  nmsLogger.level = options.nmsLogLevel ?? 'error';
  // Its store would otherwise flush and re-raise SIGINT/SIGTERM itself, racing the hub's own shutdown.
  nms.store.options.signals = false;

  const reject = (r: RejectedStream, session: NmsSession) => {
    // Without a sign node-media-server's own check refuses and closes the socket.
    session.streamQuery = {};
    if (r.action === 'publish') counters.publishesRejected++;
    else counters.playsRejected++;
    rejected.push(r);
    if (rejected.length > 100) rejected.shift();
    log.warn(r, `${r.action} refused: ${r.reason}`);
  };
  const cameraOf = (session: NmsSession): string | null =>
    session.streamApp === STREAM_APP && CAMERA_STREAM_ID_PATTERN.test(session.streamName) ? session.streamName : null;

  const listeners: Array<[string, (session: NmsSession) => void]> = [
    [
      'prePublish',
      (session) => {
        const cameraId = cameraOf(session);
        const base = {
          action: 'publish' as const,
          cameraId,
          streamPath: session.streamPath,
          clientAddress: session.ip,
        };
        if (!cameraId) return reject({ ...base, reason: 'unknown-stream-path' }, session);
        const key = checkPublishKey(session.streamPath, session.streamQuery?.sign, secret, nowSec());
        if (key.check !== 'ok') return reject({ ...base, reason: key.check }, session);
        let current: number | null = null;
        try {
          current = sink.publishKeyVersion(cameraId);
        } catch (err) {
          log.warn({ err, cameraId }, 'publishKeyVersion failed; refusing');
        }
        if (current === null) return reject({ ...base, reason: 'camera-not-publishable' }, session);
        if (key.keyVersion !== current) return reject({ ...base, reason: 'revoked' }, session);
        // Admit through node-media-server's own check with a sign that never leaves the server.
        session.streamQuery = { sign: nmsSign(session.streamPath, secret, nowSec() + 60) };
        if (session.broadcast) session.broadcast.publishGraceMs = graceMs;
      },
    ],
    [
      'postPublish',
      (session) => {
        const cameraId = cameraOf(session);
        if (!cameraId) return;
        counters.publishesStarted++;
        log.info({ cameraId, clientAddress: session.ip }, 'camera publishing');
        sink.publishStarted(cameraId);
      },
    ],
    [
      'donePublish',
      (session) => {
        const cameraId = cameraOf(session);
        if (!cameraId) return;
        log.info({ cameraId }, 'camera stream ended');
        sink.publishEnded(cameraId);
      },
    ],
    [
      'prePlay',
      (session) => {
        const cameraId = cameraOf(session);
        const base = { action: 'play' as const, cameraId, streamPath: session.streamPath, clientAddress: session.ip };
        if (!cameraId) return reject({ ...base, reason: 'unknown-stream-path' }, session);
        const check = checkPlayToken(cameraId, session.streamQuery?.token, secret, nowSec());
        if (check !== 'ok') return reject({ ...base, reason: check }, session);
        // Admit through node-media-server's own check with a sign that never leaves the server.
        session.streamQuery = { sign: nmsSign(session.streamPath, secret, nowSec() + 60) };
      },
    ],
  ];
  for (const [event, listener] of listeners) nms.on(event, listener);

  // node-media-server calls process.exit(1) when a port is taken; a hub must fail its start-up instead.
  const listenErrors: Error[] = [];
  nms.rtmpServer.handleListenError = (name, port) => (err) =>
    listenErrors.push(new Error(`${name} :${port}: ${err.message}`));
  const httpListener = nms.httpServer.httpServer!;
  httpListener.removeAllListeners('error');
  httpListener.on('error', (err: Error) =>
    listenErrors.push(new Error(`HTTP-FLV server :${httpPort}: ${err.message}`)),
  );

  const settle = (server: net.Server) =>
    new Promise<void>((resolve) => {
      if (server.listening) return resolve();
      server.once('listening', () => resolve());
      server.once('error', () => resolve());
    });
  const rtmpListener = nms.rtmpServer.tcpServer!;
  const runDone = nms.run();
  await Promise.all([settle(rtmpListener), settle(httpListener), runDone]);

  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    const live = liveCameras();
    for (const [event, listener] of listeners) nmsContext.eventEmitter.removeListener(event, listener);
    const closing = [rtmpListener, httpListener].filter((s) => s.listening).map((s) => once(s, 'close'));
    await nms.stop();
    await Promise.all(closing);
    // Sessions and broadcasts are module state; a later server in this process must start clean.
    nmsContext.sessions.clear();
    nmsContext.broadcasts.clear();
    for (const cameraId of live) sink.publishEnded(cameraId);
    if (ownStore) await rm(storeDir, { recursive: true, force: true });
    running = false;
  };

  if (listenErrors.length) {
    await close();
    throw new MediaServerError('ListenFailed', listenErrors.map((e) => e.message).join('; '));
  }

  const signed = (ttlS: number, make: (expSec: number) => string): SignedUrl => {
    const expSec = nowSec() + Math.max(1, Math.floor(ttlS));
    return { url: make(expSec), expiresAt: new Date(expSec * 1000) };
  };
  const publishUrlOn = (h: string) => (cameraId: string, ttlS: number) => {
    const version = sink.publishKeyVersion(cameraId) ?? 0;
    return signed(
      ttlS,
      (exp) =>
        `rtmp://${h}:${rtmpPort}${streamPathOf(cameraId)}?sign=${publishKey(streamPathOf(cameraId), secret, exp, version)}`,
    );
  };
  const playUrlOn = (h: string) => (cameraId: string, ttlS: number) =>
    signed(
      ttlS,
      (exp) => `http://${h}:${httpPort}${streamPathOf(cameraId)}.flv?token=${playToken(cameraId, secret, exp)}`,
    );
  const localHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;

  const isLive = (cameraId: string) =>
    nmsContext.broadcasts.get(streamPathOf(cameraId))?.getPublishStatus() === 'publishing';
  function liveCameras(): string[] {
    const ids: string[] = [];
    for (const [streamPath, b] of nmsContext.broadcasts) {
      const m = /^\/live\/([A-Za-z0-9_-]{1,64})$/.exec(streamPath);
      if (m && b.getPublishStatus() !== 'idle') ids.push(m[1]!);
    }
    return ids;
  }

  return {
    rtmpPort,
    httpPort,
    publishUrl: publishUrlOn(publicHost),
    localPublishUrl: publishUrlOn(localHost),
    playUrl: playUrlOn(publicHost),
    localPlayUrl: playUrlOn(localHost),
    isLive,
    liveCameras,
    disconnect(cameraId) {
      const broadcast = nmsContext.broadcasts.get(streamPathOf(cameraId));
      if (!broadcast?.publisher || broadcast.getPublishStatus() !== 'publishing') return false;
      broadcast.publisher.close();
      return true;
    },
    async snapshot(cameraId, timeoutMs = 10_000) {
      if (!isLive(cameraId)) throw new MediaServerError('NotLive', `camera ${cameraId} is not publishing`);
      return grabJpeg(playUrlOn(localHost)(cameraId, 60).url, timeoutMs);
    },
    rejections: () => [...rejected],
    stats: () => ({ ...counters }),
    close,
  };
}

/** One decoded frame of a live stream as a JPEG. Small probe sizes: a live FLV would otherwise be probed for seconds. */
export function grabJpeg(url: string, timeoutMs = 10_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(
      'ffmpeg',
      [
        '-nostdin',
        '-v',
        'error',
        '-analyzeduration',
        '1000000',
        '-probesize',
        '65536',
        '-i',
        url,
        '-map',
        '0:v:0',
        '-frames:v',
        '1',
        '-f',
        'image2pipe',
        '-c:v',
        'mjpeg',
        'pipe:1',
      ],
      { encoding: 'buffer', timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => {
        if (err || stdout.length < 4 || stdout[0] !== 0xff || stdout[1] !== 0xd8) {
          const why = err?.killed ? `no frame within ${timeoutMs} ms` : stderr.toString().trim() || err?.message;
          return reject(new MediaServerError('SnapshotFailed', `snapshot failed: ${why ?? 'not a JPEG'}`));
        }
        resolve(stdout);
      },
    );
  });
}
