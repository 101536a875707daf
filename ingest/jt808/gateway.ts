// JT/T 808 TCP gateway (车载终端接入网关): accepts terminal connections, frames and decodes their messages with the
// pure codec, answers every message that wants an answer in the terminal's own header layout and with its serial,
// and hands validated positions to the pipeline. Like the MQTT broker it declares the sinks it needs and never imports
// hub or database code; the hub wires them.
//
// Rules worth knowing:
// - A location report (0x0200 / 0x0704) is answered 0x8001 result 0 only once `accept` says the data is durable; if
//   accept fails the answer is result 1, so the terminal keeps the fixes and sends them again.
// - Reports before a successful 0x0102 get result 1; after `maxUnauthenticated` of them (or failed authentications)
//   the connection is closed.
// - Frames with a bad check code are dropped and counted; `maxBadFramesInRow` in a row, or `maxGarbageBytes` of bytes
//   outside any frame since the last good one, closes the connection. So does `idleTimeoutMs` without a good frame.
// - Unknown or unsupported message ids get result 3 and the connection carries on.
// - A terminal's connection state (在线状态) is recorded as the broker records an MQTT device's: 'online' when it
//   authenticates, 'offline' when its connection goes or it logs out (0x0003) — not when a newer connection of the
//   same terminal replaced it.
import net from 'node:net';
import type { Logger } from 'pino';
import { connectionState, Rejection, type Observation } from '../observation.js';
import { validateObservation, type ValidationLimits } from '../pipeline/validate.js';
import { decodeBody, MSG, type Body, type ParameterValue } from './decode.js';
import {
  encodeGeneralReply,
  encodeRegistrationReply,
  encodeSetParameters,
  REGISTER_RESULT,
  REPLY_RESULT,
} from './encode.js';
import type { Frame } from './framer.js';
import { decodePacket, type Header } from './header.js';
import { Jt808Session } from './session.js';
import { toPositions } from './to-observation.js';

export type RegisterRefusal = 'no_vehicle' | 'no_terminal' | 'vehicle_registered' | 'terminal_registered';

export interface RegistrationInfo {
  plate?: string;
  terminalId?: string;
  maker?: string;
  model?: string;
}

export interface Jt808Sinks {
  /** 0x0100: a terminal registers; return an auth code for a known (or auto-provisioned) terminal, or a refusal. */
  register(
    phone: string,
    info: RegistrationInfo,
  ): Promise<{ ok: true; authCode: string } | { ok: false; result: RegisterRefusal }>;
  /** 0x0102: check the auth code; resolves to the device id to file data under, or null. */
  authenticate(phone: string, authCode: string): Promise<string | null>;
  /** Validated observations, and the terminals' online/offline statuses; resolves when durable (0x8001 waits for it). */
  accept(observations: Observation[]): Promise<void>;
  /**
   * A terminal answered a platform message: 0x0001 (general reply to e.g. 0x8103) or 0x0104 (parameters, answering
   * 0x8104; result 0). `commandId` is the one given to the send call that produced `replySerial`, if any.
   */
  ack?(
    deviceId: string,
    replySerial: number,
    replyMsgId: number,
    result: number,
    extra: { commandId?: string; params?: ParameterValue[] },
  ): void;
  rejected?(deviceId: string | null, reason: string): void;
  badFrame?(reason: string): void;
}

export interface Jt808GatewayOptions {
  host: string;
  /** 0 for any free port. */
  port: number;
  log: Logger;
  limits: ValidationLimits;
  sinks: Jt808Sinks;
  now?: () => number;
  /** Close a connection with no good frame for this long. Default 180 000 (3 × a 60 s heartbeat). */
  idleTimeoutMs?: number;
  /** Close after this many bad frames in a row. Default 10. */
  maxBadFramesInRow?: number;
  /** Close after this many bytes outside any frame since the last good frame. Default 4096. */
  maxGarbageBytes?: number;
  /** Close after this many reports / failed authentications from an unauthenticated terminal. Default 3. */
  maxUnauthenticated?: number;
  /** Per-connection bytes held for one unfinished frame. Default: the framer's. */
  maxBufferBytes?: number;
  /** Pause reading a connection while this many of its messages wait to be handled. Default 64. */
  maxQueued?: number;
}

export interface Jt808Connections {
  total: number;
  authenticated: number;
}

export interface Jt808Gateway {
  /** The bound TCP port (useful when 0 was asked for). */
  port: number;
  connections(): Jt808Connections;
  /**
   * Sends 0x8103 setting the default report interval (parameter 0x0029) to an authenticated, connected terminal;
   * resolves to whether it was written. The terminal's 0x0001 answer reaches `sinks.ack` with `commandId`.
   */
  sendSetReportInterval(deviceId: string, seconds: number, commandId?: string): Promise<boolean>;
  close(): Promise<void>;
}

const REFUSAL_RESULT: Record<RegisterRefusal, number> = {
  no_vehicle: REGISTER_RESULT.vehicleUnknown,
  no_terminal: REGISTER_RESULT.terminalUnknown,
  vehicle_registered: REGISTER_RESULT.vehicleRegistered,
  terminal_registered: REGISTER_RESULT.terminalRegistered,
};

const hexId = (id: number): string => `0x${id.toString(16).padStart(4, '0')}`;

export async function startJt808Gateway(options: Jt808GatewayOptions): Promise<Jt808Gateway> {
  const { log, sinks, limits } = options;
  const now = options.now ?? Date.now;
  const idleTimeoutMs = options.idleTimeoutMs ?? 180_000;
  const maxBadFramesInRow = options.maxBadFramesInRow ?? 10;
  const maxGarbageBytes = options.maxGarbageBytes ?? 4096;
  const maxUnauthenticated = options.maxUnauthenticated ?? 3;
  const maxQueued = options.maxQueued ?? 64;
  const sessions = new Set<Jt808Session>();
  const byDevice = new Map<string, Jt808Session>();

  const closeSession = (s: Jt808Session, reason: string): void => {
    if (s.closed) return;
    s.closed = true;
    log.info({ remote: s.remote, deviceId: s.deviceId, phone: s.terminal?.phone, reason }, 'jt808 connection closed');
    // end() lets replies already written go out first; destroy() follows if the peer does not close its side.
    s.socket.end();
    setTimeout(() => s.socket.destroy(), 2000).unref();
  };

  /** Records the terminal online or offline; not awaited (its answer does not wait for it), a failure is logged. */
  const recordState = (s: Jt808Session, deviceId: string, state: 'online' | 'offline'): void => {
    // The connection layer's record, not the terminal speaking: rules and their clock leave it out as they do the
    // MQTT broker's (its time is the hub's, while a terminal's own reports may carry older times).
    const status = connectionState(deviceId, state, now(), { address: s.remote, protocol: 'jt808' });
    sinks
      .accept([status])
      .catch((err: unknown) => log.warn({ err, deviceId, state }, 'jt808 terminal state not stored'));
  };

  const reply = (s: Jt808Session, header: Header, result: number): Promise<boolean> =>
    s.write(
      encodeGeneralReply(header, s.nextSerial(), { replySerial: header.serial, replyMsgId: header.msgId, result }),
    );

  const refuseUnauthenticated = async (s: Jt808Session, header: Header, why: string): Promise<void> => {
    s.unauthenticated++;
    sinks.rejected?.(null, 'not_authorized');
    log.warn({ remote: s.remote, phone: header.phone, msgId: hexId(header.msgId), count: s.unauthenticated }, why);
    await reply(s, header, REPLY_RESULT.failed);
    if (s.unauthenticated >= maxUnauthenticated) closeSession(s, 'not authenticated');
  };

  /** A message of this connection is waiting to be handled or answered; too many pause reading the socket. */
  const hold = (s: Jt808Session): void => {
    s.queued++;
    if (s.queued >= maxQueued) s.socket.pause();
  };
  const release = (s: Jt808Session): void => {
    s.queued--;
    if (s.queued < maxQueued && s.socket.isPaused() && !s.closed) s.socket.resume();
  };

  const handleReports = async (s: Jt808Session, header: Header, body: Body): Promise<void> => {
    const deviceId = s.deviceId;
    if (deviceId === null) return refuseUnauthenticated(s, header, 'jt808 report before authentication');
    const nowMs = now();
    const positions = toPositions(deviceId, body, nowMs);
    const valid: Observation[] = [];
    const reasons: string[] = [];
    for (const p of positions) {
      try {
        valid.push(validateObservation({ type: 'position', ...p }, nowMs, limits));
      } catch (err) {
        if (!(err instanceof Rejection)) throw err;
        reasons.push(`${err.reason}: ${err.message}`);
        sinks.rejected?.(deviceId, err.reason);
      }
    }
    if (reasons.length > 0) {
      log.warn(
        { deviceId, msgId: hexId(header.msgId), refused: reasons.length, of: positions.length, reason: reasons[0] },
        'jt808 positions refused',
      );
    }
    if (valid.length === 0 && positions.length > 0) {
      await reply(s, header, REPLY_RESULT.badMessage);
      return;
    }
    // The report's reply waits for durability, but the next frames of this connection need not: terminals with a
    // window of unanswered reports keep several in the pipeline (each reply carries its own serial). The report
    // counts as queued until answered, so a flooding terminal still has its reading paused.
    hold(s);
    void (valid.length > 0 ? sinks.accept(valid) : Promise.resolve())
      .then(
        () => reply(s, header, REPLY_RESULT.ok),
        (err: unknown) => {
          log.error({ deviceId, err, count: valid.length }, 'jt808 positions not stored; terminal told to resend');
          return reply(s, header, REPLY_RESULT.failed);
        },
      )
      .catch((err: unknown) => log.error({ remote: s.remote, err }, 'jt808 reply failed'))
      .finally(() => release(s));
  };

  const handleMessage = async (s: Jt808Session, header: Header, body: Body): Promise<void> => {
    switch (body.msgId) {
      case MSG.register: {
        if (!('plate' in body)) break;
        const info: RegistrationInfo = {};
        if (body.plate) info.plate = body.plate;
        if (body.terminalId) info.terminalId = body.terminalId;
        if (body.manufacturerId) info.maker = body.manufacturerId;
        if (body.model) info.model = body.model;
        let outcome: Awaited<ReturnType<Jt808Sinks['register']>>;
        try {
          outcome = await sinks.register(header.phone, info);
        } catch (err) {
          // 0x8100 has no "try again" result: stay silent, the terminal repeats its registration.
          log.error({ phone: header.phone, err }, 'jt808 registration failed');
          return;
        }
        if (!outcome.ok)
          log.warn({ phone: header.phone, result: outcome.result, ...info }, 'jt808 registration refused');
        await s.write(
          encodeRegistrationReply(
            header,
            s.nextSerial(),
            outcome.ok
              ? { replySerial: header.serial, result: REGISTER_RESULT.ok, authCode: outcome.authCode }
              : { replySerial: header.serial, result: REFUSAL_RESULT[outcome.result] },
          ),
        );
        return;
      }
      case MSG.authenticate: {
        if (!('authCode' in body)) break;
        let deviceId: string | null;
        try {
          deviceId = await sinks.authenticate(header.phone, body.authCode);
        } catch (err) {
          log.error({ phone: header.phone, err }, 'jt808 authentication check failed');
          deviceId = null;
        }
        if (deviceId === null) return refuseUnauthenticated(s, header, 'jt808 authentication refused');
        if (s.deviceId !== null && s.deviceId !== deviceId && byDevice.get(s.deviceId) === s) {
          byDevice.delete(s.deviceId);
          recordState(s, s.deviceId, 'offline');
        }
        const previous = byDevice.get(deviceId);
        if (previous && previous !== s) closeSession(previous, 'replaced by a new connection');
        s.deviceId = deviceId;
        s.unauthenticated = 0;
        byDevice.set(deviceId, s);
        log.info({ deviceId, phone: header.phone, remote: s.remote }, 'jt808 terminal authenticated');
        recordState(s, deviceId, 'online');
        await reply(s, header, REPLY_RESULT.ok);
        return;
      }
      case MSG.heartbeat:
        await reply(s, header, REPLY_RESULT.ok);
        return;
      case MSG.logout:
        if (s.deviceId !== null && byDevice.get(s.deviceId) === s) {
          byDevice.delete(s.deviceId);
          recordState(s, s.deviceId, 'offline');
        }
        log.info({ deviceId: s.deviceId, phone: header.phone }, 'jt808 terminal logged out');
        s.deviceId = null;
        await reply(s, header, REPLY_RESULT.ok);
        return;
      case MSG.location:
      case MSG.locationBatch:
        return handleReports(s, header, body);
      case MSG.terminalReply:
      case MSG.parameterReply: {
        // Answers to our own messages: no reply goes back.
        if (s.deviceId === null) {
          log.warn({ phone: header.phone, msgId: hexId(header.msgId) }, 'jt808 reply from unauthenticated terminal');
          return;
        }
        const replySerial = 'replySerial' in body ? body.replySerial : 0;
        const commandId = s.commands.get(replySerial);
        s.commands.delete(replySerial);
        const extra: { commandId?: string; params?: ParameterValue[] } = {};
        if (commandId !== undefined) extra.commandId = commandId;
        if ('params' in body) {
          extra.params = body.params;
          sinks.ack?.(s.deviceId, replySerial, MSG.queryParameters, REPLY_RESULT.ok, extra);
        } else if ('replyMsgId' in body) {
          sinks.ack?.(s.deviceId, replySerial, body.replyMsgId, body.result, extra);
        }
        return;
      }
    }
    log.debug({ phone: header.phone, msgId: hexId(header.msgId) }, 'jt808 unsupported message');
    await reply(s, header, REPLY_RESULT.unsupported);
  };

  /** One framed message: header, reassembly, body, then the handler. Never throws. */
  const handleFrame = async (s: Jt808Session, message: Buffer): Promise<void> => {
    const packet = decodePacket(message);
    if (!packet.ok) {
      sinks.badFrame?.(packet.error.code);
      log.warn({ remote: s.remote, code: packet.error.code, err: packet.error.message }, 'jt808 undecodable header');
      return;
    }
    let { header, body } = packet.value;
    s.terminal = { version: header.version, protocolVersion: header.protocolVersion, phone: header.phone };
    if (header.encryption !== 0) {
      await reply(s, header, REPLY_RESULT.unsupported);
      return;
    }
    if (header.subpackage) {
      const r = s.reassembler.add(header, body);
      if (r.status === 'rejected') {
        log.warn({ phone: header.phone, err: r.error.message }, 'jt808 sub-package refused');
        await reply(s, header, REPLY_RESULT.badMessage);
        return;
      }
      if (r.status !== 'complete') {
        // Each package is acknowledged; the whole message's answer comes when it is complete.
        await reply(s, header, REPLY_RESULT.ok);
        return;
      }
      // Answer the last package's serial: that is the one the terminal is waiting on.
      header = { ...r.header, serial: header.serial };
      body = r.body;
    }
    const decoded = decodeBody(header.msgId, body, header.version);
    if (!decoded.ok) {
      sinks.rejected?.(s.deviceId, `bad_message:${decoded.error.code}`);
      log.warn(
        { deviceId: s.deviceId, phone: header.phone, msgId: hexId(header.msgId), err: decoded.error.message },
        'jt808 message body could not be decoded',
      );
      await reply(s, header, REPLY_RESULT.badMessage);
      return;
    }
    await handleMessage(s, header, decoded.value);
  };

  const onFrames = (s: Jt808Session, frames: Frame[]): void => {
    for (const frame of frames) {
      if (s.closed) return;
      if (!frame.ok) {
        s.badInRow++;
        sinks.badFrame?.(frame.code);
        log.debug({ remote: s.remote, code: frame.code, err: frame.error.message }, 'jt808 bad frame dropped');
        if (s.badInRow >= maxBadFramesInRow) {
          closeSession(s, `${s.badInRow} bad frames in a row`);
          return;
        }
        continue;
      }
      s.badInRow = 0;
      s.skippedAtLastGood = s.framer.skippedBytes;
      s.idle?.refresh();
      hold(s);
      const message = frame.message;
      s.chain = s.chain
        .then(() => (s.closed ? undefined : handleFrame(s, message)))
        .catch((err: unknown) => log.error({ remote: s.remote, err }, 'jt808 message handling failed'))
        .finally(() => release(s));
    }
    if (s.framer.skippedBytes - s.skippedAtLastGood > maxGarbageBytes) closeSession(s, 'garbage only');
  };

  const server = net.createServer({ noDelay: true }, (socket) => {
    const s = new Jt808Session(
      socket,
      options.maxBufferBytes === undefined ? {} : { maxBufferBytes: options.maxBufferBytes },
    );
    sessions.add(s);
    s.idle = setTimeout(() => closeSession(s, `no frame for ${idleTimeoutMs} ms`), idleTimeoutMs);
    s.idle.unref();
    log.debug({ remote: s.remote }, 'jt808 connection');
    socket.on('data', (chunk: Buffer) => {
      if (!s.closed) onFrames(s, s.framer.push(chunk));
    });
    socket.on('error', (err) => log.debug({ remote: s.remote, err }, 'jt808 socket error'));
    socket.on('close', () => {
      s.closed = true;
      if (s.idle) clearTimeout(s.idle);
      sessions.delete(s);
      if (s.deviceId !== null && byDevice.get(s.deviceId) === s) {
        byDevice.delete(s.deviceId);
        recordState(s, s.deviceId, 'offline');
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => log.error({ err }, 'jt808 server error'));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  log.info({ host: options.host, port }, 'jt808 gateway listening');

  return {
    port,
    connections() {
      let authenticated = 0;
      for (const s of sessions) if (s.authenticated && !s.closed) authenticated++;
      return { total: sessions.size, authenticated };
    },
    async sendSetReportInterval(deviceId, seconds, commandId) {
      if (!Number.isInteger(seconds) || seconds < 1 || seconds > 0xffffffff) {
        throw new RangeError(`report interval must be a whole number of seconds >= 1, got ${seconds}`);
      }
      const s = byDevice.get(deviceId);
      if (!s || s.closed || !s.authenticated || !s.terminal) return false;
      const serial = s.nextSerial();
      s.rememberCommand(serial, commandId);
      const ok = await s.write(encodeSetParameters(s.terminal, serial, [{ id: 0x0029, value: seconds }]));
      if (!ok) s.commands.delete(serial);
      log.info({ deviceId, seconds, commandId, serial, written: ok }, 'jt808 report interval sent');
      return ok;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sessions) {
        s.closed = true;
        if (s.idle) clearTimeout(s.idle);
        s.socket.destroy();
      }
      await closed;
    },
  };
}
