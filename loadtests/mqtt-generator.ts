// MQTT load generator (MQTT 负载生成器): many simulated devices in one process, each its own MQTT connection
// (clientId = username = device id, password from a credentials file when the hub wants one), publishing the hub's
// position JSON at a fixed total rate or as fast as PUBACKs allow. Measures publish → PUBACK latency per message, and
// prints a line per second and a JSON summary. Talks MQTT only; never imports hub or ingest code.
//
//   node --import tsx loadtests/mqtt-generator.ts --help
//
// Keeping the generator's own overhead low, since it shares a 2-core machine with what it measures:
// - one scheduler timer for all devices (not a timer per device); connections are plain mqtt.js clients with
//   reconnectPeriod 0 (a dropped device stays down and is counted), a long keepalive and no per-message logging;
// - payloads are built as strings, latencies go into a fixed-size log-linear histogram (O(1) per message);
// - if the generator itself falls behind by more than a second of messages, it skips them and says so (lagSkipped)
//   rather than bursting, and it reports its own CPU use and event-loop delay so a saturated generator is visible.
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { LatencyHistogram, type HistogramJson, type LatencySummary } from './histogram.js';
import { PrebuiltPayloads, createSource, type DeviceKind, type MessageSource } from './payload-profiles.js';
import { isMainModule } from './processes.js';
import {
  GENERATOR_OPTIONS_HELP,
  UsageError,
  connectDelayMs,
  deviceId,
  dueMessages,
  dueMessagesRamp,
  parseCredentials,
  parseGeneratorArgs,
  parseOpenFileLimit,
  perDeviceIntervalMs,
  planTick,
  rampOrder,
  rampRateAt,
  topicFor,
  type GeneratorOptions,
} from './generator-core.js';

export interface SecondReport {
  type: 'second';
  /** Seconds since the start of the run (1, 2, …). */
  tS: number;
  /** Wall clock (epoch ms) of this report. */
  atMs: number;
  connected: number;
  /** Cumulative counts since the start. */
  sent: number;
  acked: number;
  failed: number;
  throttled: number;
  /** Acknowledged but refused by the hub (reported on devices/{id}/errors). */
  rejected: number;
  /** Counts in the last second. */
  sentPerS: number;
  ackedPerS: number;
  inflight: number;
  /** Ack latency of the acks of the last second. */
  p50Ms?: number;
  p99Ms?: number;
  /** Cumulative positions (× batch) acknowledged and refused: sensors' telemetry is not counted. */
  positionsAcked: number;
  positionsRejected: number;
  /** The scheduled rate at this second (msgs/s; absent in a closed loop). */
  scheduledPerS?: number;
  /** Cumulative: due while the generator itself was behind / for a device not connected. */
  lagSkipped: number;
  notConnected: number;
}

export interface GeneratorSummary {
  type: 'summary';
  options: Omit<GeneratorOptions, 'credentialsFile'> & { credentials: boolean };
  startedAt: string;
  endedAt: string;
  /**
   * Wall clock (epoch ms) when sending started / stopped, and the start of the steady window: once the ramp-up is
   * over and every device has connected (or failed to), plus a warm-up. Equal to sendEndMs if that never happened.
   */
  sendStartMs: number;
  sendEndMs: number;
  steadyFromMs: number;
  /** Wall clock of the last PUBACK (QoS 1); the send start if there was none. */
  lastAckMs: number;
  devices: {
    requested: number;
    /** Most devices connected at once. */
    peakConnected: number;
    connectedAtEnd: number;
    /** Connections that never got a CONNACK (timeout, refused, reset). */
    connectFailed: number;
    /** CONNACK refusals by return code (4 = bad username or password, 5 = not authorised). */
    refusedByCode: Record<string, number>;
    /** Connections lost during the run (reconnectPeriod is 0: they stay down). */
    dropped: number;
    connectMs: LatencySummary;
  };
  messages: {
    sent: number;
    /** QoS 1: PUBACK received. QoS 0: written to the socket. */
    acked: number;
    /** The publish callback returned an error (connection closed with the message in flight, …). */
    failed: number;
    /** In flight on a connection that then dropped (reconnectPeriod 0: never acked). */
    lostOnDisconnect: number;
    /** Sent on a live connection but neither acked nor failed when the drain timeout ended the run. */
    unackedAtEnd: number;
    /** Due while the device's in-flight window (or socket buffer, QoS 0) was full: not sent. */
    throttled: number;
    /** Due for a device that was not connected (yet, or any more): not sent. */
    notConnected: number;
    /** Due while the generator itself was more than a second behind: not sent. */
    lagSkipped: number;
    /** Error reports the hub sent on devices/{id}/errors (publishes it acknowledged but refused to store). */
    rejected: number;
    /** The same, by the hub's reason (rate_limited, schema, …). */
    rejectedByReason: Record<string, number>;
  };
  /** Position messages × positions per message (sensors' telemetry messages are not positions). */
  positions: { perMessage: number; sent: number; acked: number; rejected?: number };
  /** Publish → PUBACK, every ack of the run / only publishes sent in the steady window. QoS 1 only. */
  latency: LatencySummary;
  steadyLatency: LatencySummary;
  rates: {
    /** Over the whole send phase. */
    sentPerS: number;
    ackedPerS: number;
    /** Over the steady window (undefined if it is shorter than a second). */
    steadySentPerS?: number;
    steadyAckedPerS?: number;
  };
  generator: {
    cpuUserS: number;
    cpuSystemS: number;
    /** CPU time / wall time over the run: 1.0 = one core busy all the time. */
    cpuCores: number;
    /** CPU cores over the steady window only (start-up and drain left out); undefined without a steady window. */
    steadyCpuCores?: number;
    /** Payloads pre-built and time-patched (above 50,000 msgs/s by default). */
    prebuilt: boolean;
    pid: number;
    eventLoopDelayP99Ms: number;
    eventLoopDelayMaxMs: number;
    peakRssMb: number;
    openFileLimit: number | null;
  };
  /** Per-second samples (cumulative), for the runner. */
  seconds: SecondReport[];
  /** The latency histograms themselves, for a coordinator that merges several generator processes (fleet.ts). */
  histograms: { latency: HistogramJson; steadyLatency: HistogramJson; connect: HistogramJson };
  /** Devices by kind (the profile's mix). */
  kinds: Partial<Record<DeviceKind, number>>;
  /** A few distinct error messages seen. */
  errors: string[];
}

export interface GeneratorHooks {
  onSecond?(report: SecondReport): void;
  /** Connection problems, credentials warnings … (the CLI prints them on stderr). */
  onNotice?(message: string): void;
  /** Ends the send phase early (then drains and closes as usual). */
  signal?: AbortSignal;
}

interface Device {
  id: string;
  topic: string;
  password: string | undefined;
  source: MessageSource;
  prebuilt?: PrebuiltPayloads;
  client?: MqttClient;
  state: 'idle' | 'connecting' | 'connected' | 'closed';
  connectStartedAt: number;
  pending: number;
}

const TICK_MS = 5;
const QOS0_MAX_BUFFERED_BYTES = 1 << 20;
const CONNECT_TIMEOUT_MS = 30_000;
const END_TIMEOUT_MS = 5000;

const noLog = (): void => undefined;
const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function openFileLimit(): number | undefined {
  try {
    return parseOpenFileLimit(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return undefined;
  }
}

function loadCredentials(options: GeneratorOptions, ids: readonly string[]): Map<string, string> | undefined {
  if (options.credentialsFile === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(options.credentialsFile, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --credentials ${options.credentialsFile}: ${(err as Error).message}`);
  }
  const credentials = parseCredentials(text, options.credentialsFile);
  const missing = ids.filter((id) => !credentials.has(id));
  if (missing.length > 0) {
    throw new UsageError(
      `${options.credentialsFile} has no password for ${missing.length} of the ${ids.length} devices ` +
        `(first: ${missing[0]}); provision them or lower --devices`,
    );
  }
  return credentials;
}

/**
 * Runs one load: connects the devices (spread over the ramp-up), sends for `durationS` after the ramp-up, waits up to
 * `drainTimeoutS` for outstanding acks, closes every connection and resolves with the summary. Bounded in time:
 * rampUpS + durationS + drainTimeoutS + a few seconds to close.
 */
export async function runGenerator(options: GeneratorOptions, hooks: GeneratorHooks = {}): Promise<GeneratorSummary> {
  const notice = hooks.onNotice ?? (() => undefined);
  const fdLimit = openFileLimit();
  // Each device is one socket; keep room for stdio, the event loop and the odd file.
  if (fdLimit !== undefined && options.devices + 64 > fdLimit) {
    throw new UsageError(
      `${options.devices} devices need as many sockets, but the open-file limit is ${fdLimit} (ulimit -n); ` +
        `raise it or use fewer devices`,
    );
  }
  const ids = Array.from({ length: options.devices }, (_, i) => deviceId(options.idPrefix, options.idStart + i));
  const credentials = loadCredentials(options, ids);
  // With pre-built payloads, a ring's fixes are a message period apart (at the peak rate), so they move as fast as
  // the device would.
  const peakRate = options.rate === 'max' ? undefined : Math.max(options.rate, options.rampTo ?? 0);
  const stepMs = peakRate ? perDeviceIntervalMs(peakRate, options.devices) : 1000;
  // Rings of up to 32 fixes forth (and back), fewer with many devices: ~100,000 buffers at most.
  const ringSize = Math.max(4, Math.min(32, Math.floor(100_000 / options.devices)));
  const kinds: Partial<Record<DeviceKind, number>> = {};
  const devices: Device[] = ids.map((id, i) => {
    const source = createSource(options.profile, id, options.idStart + i, options.seed, options.batch);
    kinds[source.kind] = (kinds[source.kind] ?? 0) + 1;
    return {
      id,
      topic: source.topicKind === 'telemetry' ? `devices/${id}/telemetry` : topicFor(options.topicTemplate, id),
      password: credentials?.get(id),
      source,
      ...(options.prebuilt ? { prebuilt: new PrebuiltPayloads(source, stepMs, ringSize) } : {}),
      state: 'idle',
      connectStartedAt: 0,
      pending: 0,
    };
  });
  if (options.startAtMs !== undefined) {
    const waitMs = options.startAtMs - Date.now();
    if (waitMs > 0) await delay(waitMs);
  }

  const all = new LatencyHistogram();
  const steady = new LatencyHistogram();
  const lastSecond = new LatencyHistogram();
  const connectTimes = new LatencyHistogram();
  const m = {
    sent: 0,
    acked: 0,
    failed: 0,
    throttled: 0,
    notConnected: 0,
    lagSkipped: 0,
    rejected: 0,
    lostOnDisconnect: 0,
  };
  const pos = { sent: 0, acked: 0, rejected: 0 };
  const dev = { connected: 0, peakConnected: 0, connecting: 0, connectFailed: 0, dropped: 0 };
  const refusedByCode: Record<string, number> = {};
  const rejectedByReason: Record<string, number> = {};
  const errors = new Set<string>();
  const noteError = (message: string) => {
    if (errors.size < 10 && !errors.has(message)) {
      errors.add(message);
      notice(message);
    }
  };

  const rampUpMs = options.rampUpS * 1000;
  const startWall = Date.now();
  const t0 = performance.now();
  const sendEnd = t0 + rampUpMs + options.durationS * 1000;
  // Steady window: from when every device has had its connection attempt (and the ramp-up is over), plus a warm-up
  // of up to a second; set by the scheduler. A broker that admits devices slowly delays it.
  const warmUpMs = Math.min(1000, options.durationS * 100);
  let steadyFrom = Infinity;
  const wallOf = (perfMs: number) => Math.round(startWall + (perfMs - t0));
  let sending = true;
  let closing = false;
  let steadySent = 0;
  let steadyAcked = 0;
  let lastAckAt = t0;

  const cpuStart = process.cpuUsage();
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  let peakRss = process.memoryUsage.rss();

  const errorsTopicOf = (id: string) => `devices/${id}/errors`;

  function publish(d: Device): void {
    const client = d.client!;
    const now = Date.now();
    const payload = d.prebuilt ? d.prebuilt.next(now) : d.source.next(now);
    const sentAt = performance.now();
    const inSteady = sentAt >= steadyFrom;
    const positions = d.source.topicKind === 'telemetry' ? 0 : options.batch;
    pos.sent += positions;
    m.sent++;
    if (inSteady) steadySent++;
    if (options.qos === 0) {
      client.publish(d.topic, payload, { qos: 0 }, (err) => {
        if (closing) return;
        if (err) {
          m.failed++;
          noteError(`publish failed: ${err.message}`);
        } else {
          m.acked++;
          pos.acked += positions;
          if (inSteady) steadyAcked++;
        }
      });
      return;
    }
    d.pending++;
    client.publish(d.topic, payload, { qos: 1 }, (err) => {
      // A dropped connection's in-flight messages were counted as lost when it closed.
      if (closing || d.state === 'closed') return;
      d.pending--;
      if (err) {
        m.failed++;
        noteError(`publish failed: ${err.message}`);
        return;
      }
      m.acked++;
      pos.acked += positions;
      lastAckAt = performance.now();
      const latencyMs = lastAckAt - sentAt;
      all.recordMs(latencyMs);
      lastSecond.recordMs(latencyMs);
      if (inSteady) {
        steadyAcked++;
        steady.recordMs(latencyMs);
      }
      // Closed loop: an ack frees a slot in the window; fill it at once.
      if (options.rate === 'max' && sending && d.state === 'connected') publish(d);
    });
  }

  function fillWindow(d: Device): void {
    while (sending && d.state === 'connected' && d.pending < options.maxInflight) publish(d);
  }

  function startConnecting(d: Device): void {
    d.state = 'connecting';
    d.connectStartedAt = performance.now();
    dev.connecting++;
    const clientOptions: IClientOptions = {
      clientId: d.id,
      username: d.id,
      ...(d.password !== undefined ? { password: d.password } : {}),
      protocolVersion: 4,
      clean: true,
      keepalive: options.keepaliveS,
      reconnectPeriod: 0,
      connectTimeout: CONNECT_TIMEOUT_MS,
      resubscribe: false,
      queueQoSZero: false,
      // mqtt.js traces every packet through the `debug` package; even disabled, that is a few % of the generator's CPU.
      log: noLog,
    };
    const client = connect(options.url, clientOptions);
    d.client = client;
    if (options.noDelay) (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    client.on('connect', () => {
      if (d.state !== 'connecting') return;
      d.state = 'connected';
      dev.connecting--;
      dev.connected++;
      dev.peakConnected = Math.max(dev.peakConnected, dev.connected);
      connectTimes.recordMs(performance.now() - d.connectStartedAt);
      if (options.watchErrors) {
        client.subscribe(errorsTopicOf(d.id), { qos: 0 }, (err) => {
          if (err && !closing) noteError(`subscribe to the errors topic failed: ${err.message}`);
        });
      }
      if (options.rate === 'max') fillWindow(d);
    });
    client.on('message', (topic, payload) => {
      if (topic !== errorsTopicOf(d.id)) return;
      m.rejected++;
      if (d.source.topicKind !== 'telemetry') pos.rejected += options.batch;
      let reason = 'unknown';
      let message = payload.toString('utf8').slice(0, 300);
      try {
        const report = JSON.parse(payload.toString('utf8')) as { reason?: unknown; message?: unknown };
        if (typeof report.reason === 'string') reason = report.reason;
        if (typeof report.message === 'string') message = report.message;
      } catch {
        // Not JSON: counted as "unknown".
      }
      rejectedByReason[reason] = (rejectedByReason[reason] ?? 0) + 1;
      // One notice per reason; the counts are in the summary.
      if (rejectedByReason[reason] === 1) noteError(`the hub refused a publish of ${d.id} (${reason}): ${message}`);
    });
    client.on('error', (err: Error & { code?: unknown }) => {
      if (typeof err.code === 'number') {
        refusedByCode[err.code] = (refusedByCode[err.code] ?? 0) + 1;
        noteError(`CONNACK refused (code ${err.code}): ${err.message}`);
      } else if (!closing) {
        noteError(`connection error: ${err.message}`);
      }
    });
    client.on('close', () => {
      if (d.state === 'connecting') {
        dev.connecting--;
        dev.connectFailed++;
      } else if (d.state === 'connected') {
        dev.connected--;
        if (!closing) {
          dev.dropped++;
          if (options.qos === 1) m.lostOnDisconnect += d.pending;
          d.pending = 0;
          noteError('a connection was dropped by the broker; with reconnectPeriod 0 the device stays down');
        }
      }
      d.state = 'closed';
    });
  }

  // ── the scheduler: one timer drives connections and sends for every device ──
  const connectOrder = rampOrder(devices.length);
  let nextToConnect = 0;
  let nextMessage = 0;
  const rate = options.rate;
  const rampTo = options.rampTo;
  const rampOverMs = rampUpMs + options.durationS * 1000;
  const maxBacklog = rate === 'max' ? 0 : Math.max(1, Math.ceil(Math.max(rate, rampTo ?? 0)));
  const due = (elapsed: number) =>
    rate === 'max'
      ? 0
      : rampTo === undefined
        ? dueMessages(elapsed, rate)
        : dueMessagesRamp(elapsed, rate, rampTo, rampOverMs);

  function tick(): void {
    const now = performance.now();
    const elapsed = now - t0;
    while (
      nextToConnect < devices.length &&
      dev.connecting < options.connectConcurrency &&
      connectDelayMs(nextToConnect, devices.length, rampUpMs) <= elapsed
    ) {
      startConnecting(devices[connectOrder[nextToConnect++]!]!);
    }
    if (steadyFrom === Infinity && elapsed >= rampUpMs && nextToConnect === devices.length && dev.connecting === 0) {
      steadyFrom = now + warmUpMs;
    }
    if (rate === 'max' || !sending || now >= sendEnd) return;
    const plan = planTick(nextMessage, due(elapsed), maxBacklog);
    m.lagSkipped += plan.skipped;
    for (let k = plan.from; k < plan.to; k++) {
      const d = devices[k % devices.length]!;
      if (d.state !== 'connected') {
        m.notConnected++;
      } else if (
        options.qos === 1 ? d.pending >= options.maxInflight : d.client!.stream.writableLength > QOS0_MAX_BUFFERED_BYTES
      ) {
        m.throttled++;
      } else {
        publish(d);
      }
    }
    nextMessage = plan.to;
  }

  const seconds: SecondReport[] = [];
  let cpuAtSteady: { cpu: NodeJS.CpuUsage; at: number } | undefined;
  let prevSent = 0;
  let prevAcked = 0;
  function reportSecond(): void {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    const report: SecondReport = {
      type: 'second',
      tS: seconds.length + 1,
      atMs: Date.now(),
      connected: dev.connected,
      sent: m.sent,
      acked: m.acked,
      failed: m.failed,
      throttled: m.throttled,
      rejected: m.rejected,
      sentPerS: m.sent - prevSent,
      ackedPerS: m.acked - prevAcked,
      inflight: options.qos === 1 ? m.sent - m.acked - m.failed - m.lostOnDisconnect : 0,
      lagSkipped: m.lagSkipped,
      notConnected: m.notConnected,
      positionsAcked: pos.acked,
      positionsRejected: pos.rejected,
    };
    if (rate !== 'max' && sending) {
      const elapsed = performance.now() - t0;
      report.scheduledPerS = Math.round(rampTo === undefined ? rate : rampRateAt(elapsed, rate, rampTo, rampOverMs));
    }
    if (steadyFrom !== Infinity && cpuAtSteady === undefined && performance.now() >= steadyFrom) {
      cpuAtSteady = { cpu: process.cpuUsage(), at: performance.now() };
    }
    const p50 = lastSecond.percentileMs(50);
    const p99 = lastSecond.percentileMs(99);
    if (p50 !== undefined) report.p50Ms = Math.round(p50 * 100) / 100;
    if (p99 !== undefined) report.p99Ms = Math.round(p99 * 100) / 100;
    lastSecond.reset();
    prevSent = m.sent;
    prevAcked = m.acked;
    seconds.push(report);
    hooks.onSecond?.(report);
  }

  const ticker = setInterval(tick, TICK_MS);
  const reporter = setInterval(reportSecond, 1000);
  tick();

  // ── send phase ──
  // Ends early when every device has tried and none is (or is getting) connected: refused credentials, no broker.
  const nobodyLeft = () => nextToConnect === devices.length && dev.connected === 0 && dev.connecting === 0;
  while (performance.now() < sendEnd && !hooks.signal?.aborted && !nobodyLeft()) {
    await delay(Math.min(100, sendEnd - performance.now()));
  }
  if (nobodyLeft()) notice('no device is connected any more; ending the run early');
  const sendEndActual = performance.now();
  const cpuAtSendEnd = { cpu: process.cpuUsage(), at: sendEndActual };
  sending = false;
  const steadySentAtEnd = steadySent;
  const steadyAckedAtEnd = steadyAcked;
  // Devices not yet connecting by now never will be; the ramp-up was longer than the run allows.
  nextToConnect = devices.length;

  // ── drain: wait for outstanding acks, bounded ──
  const drainDeadline = performance.now() + options.drainTimeoutS * 1000;
  const inFlight = () => m.sent - m.acked - m.failed - m.lostOnDisconnect;
  while (options.qos === 1 && inFlight() > 0 && performance.now() < drainDeadline) await delay(20);
  const unackedAtEnd = options.qos === 1 ? inFlight() : 0;
  reportSecond();
  clearInterval(ticker);
  clearInterval(reporter);
  closing = true;

  // ── close every connection: DISCONNECT when idle, else drop it ──
  await Promise.all(
    devices.map(async (d) => {
      const client = d.client;
      if (!client) return;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), END_TIMEOUT_MS);
      });
      try {
        const result = await Promise.race([client.endAsync(d.state !== 'connected' || d.pending > 0), timeout]);
        if (result === 'timeout') client.stream.destroy();
      } catch {
        client.stream.destroy();
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  loopDelay.disable();
  const cpu = process.cpuUsage(cpuStart);
  const wallS = (performance.now() - t0) / 1000;
  const sendS = (sendEndActual - t0) / 1000;
  const steadyS = steadyFrom === Infinity ? 0 : (sendEndActual - steadyFrom) / 1000;
  if (steadyS < 1) notice('no steady window: devices were still connecting when the send phase ended');
  const round = (x: number) => Math.round(x * 10) / 10;
  const { credentialsFile, ...shownOptions } = options;
  let steadyCpuCores: number | undefined;
  if (cpuAtSteady && cpuAtSendEnd.at - cpuAtSteady.at >= 1000) {
    const used = cpuAtSendEnd.cpu.user + cpuAtSendEnd.cpu.system - (cpuAtSteady.cpu.user + cpuAtSteady.cpu.system);
    steadyCpuCores = Math.round((used / 1e3 / (cpuAtSendEnd.at - cpuAtSteady.at)) * 100) / 100;
  }

  return {
    type: 'summary',
    options: { ...shownOptions, credentials: credentialsFile !== undefined },
    startedAt: new Date(startWall).toISOString(),
    endedAt: new Date().toISOString(),
    sendStartMs: startWall,
    sendEndMs: wallOf(sendEndActual),
    steadyFromMs: steadyFrom === Infinity ? wallOf(sendEndActual) : wallOf(steadyFrom),
    lastAckMs: wallOf(lastAckAt),
    devices: {
      requested: devices.length,
      peakConnected: dev.peakConnected,
      connectedAtEnd: dev.connected,
      connectFailed: dev.connectFailed + devices.filter((d) => d.state === 'idle').length,
      refusedByCode,
      dropped: dev.dropped,
      connectMs: connectTimes.summary(),
    },
    messages: { ...m, unackedAtEnd, rejectedByReason },
    positions: { perMessage: options.batch, sent: pos.sent, acked: pos.acked, rejected: pos.rejected },
    latency: all.summary(),
    steadyLatency: steady.summary(),
    rates: {
      sentPerS: round(m.sent / sendS),
      ackedPerS: round(m.acked / Math.max(sendS, (lastAckAt - t0) / 1000)),
      ...(steadyS >= 1
        ? { steadySentPerS: round(steadySentAtEnd / steadyS), steadyAckedPerS: round(steadyAckedAtEnd / steadyS) }
        : {}),
    },
    generator: {
      cpuUserS: round(cpu.user / 1e6),
      cpuSystemS: round(cpu.system / 1e6),
      cpuCores: Math.round(((cpu.user + cpu.system) / 1e6 / wallS) * 100) / 100,
      ...(steadyCpuCores !== undefined ? { steadyCpuCores } : {}),
      prebuilt: options.prebuilt,
      pid: process.pid,
      eventLoopDelayP99Ms: Math.round(loopDelay.percentile(99) / 1e4) / 100,
      eventLoopDelayMaxMs: Math.round(loopDelay.max / 1e4) / 100,
      peakRssMb: Math.round(peakRss / 2 ** 20),
      openFileLimit: fdLimit === undefined || fdLimit === Infinity ? null : fdLimit,
    },
    seconds,
    histograms: { latency: all.toJSON(), steadyLatency: steady.toJSON(), connect: connectTimes.toJSON() },
    kinds,
    errors: [...errors],
  };
}

// ───────────────────────────── command line ─────────────────────────────

export const USAGE = `Usage: node --import tsx loadtests/mqtt-generator.ts [options]

Simulated devices around Jinan, each its own MQTT connection (clientId = username = device id), publishing the
hub's position JSON to devices/{id}/position. Prints a line per second on stderr and a JSON summary on stdout
(with --output jsonl: every line on stdout is JSON). Loopback brokers only. Stops by itself after
ramp-up + duration (+ drain).

Options:
  -u, --url <url>               broker, mqtt://127.0.0.1:<port>  (default mqtt://127.0.0.1:1883)
${GENERATOR_OPTIONS_HELP}      --output <text|jsonl>     text: per-second lines on stderr; jsonl: JSON lines on stdout
  -h, --help                    show this help

Exit codes: 0 run completed (look at the summary for failures), 1 runtime error, 2 bad command line.

Examples:
  node --import tsx loadtests/mqtt-generator.ts --url mqtt://127.0.0.1:1883 --devices 200 --rate 5000 --duration 20
  node --import tsx loadtests/mqtt-generator.ts --devices 10000 --interval 5000 --ramp-up 60 --duration 120 \\
      --credentials /tmp/bench-credentials.json
`;

function formatSecond(r: SecondReport, devices: number): string {
  const lat = r.p50Ms !== undefined ? `  ack p50 ${r.p50Ms} ms p99 ${r.p99Ms} ms` : '';
  return (
    `[${String(r.tS).padStart(4)} s] connected ${r.connected}/${devices}  sent ${r.sentPerS}/s  ` +
    `acked ${r.ackedPerS}/s  in flight ${r.inflight}${lat}  failed ${r.failed}  throttled ${r.throttled}`
  );
}

async function main(argv: readonly string[]): Promise<number> {
  let command;
  try {
    command = parseGeneratorArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`error: ${err.message}\nRun with --help for usage.\n`);
    return 2;
  }
  if (command.kind === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const { options, output } = command;
  const jsonl = output === 'jsonl';
  const write = (line: string) => (jsonl ? process.stdout : process.stderr).write(line + '\n');
  // The run bounds itself; this is the belt to those braces.
  const budgetMs =
    (options.rampUpS + options.durationS + options.drainTimeoutS) * 1000 +
    Math.max(0, (options.startAtMs ?? 0) - Date.now()) +
    CONNECT_TIMEOUT_MS +
    END_TIMEOUT_MS +
    10_000;
  setTimeout(() => {
    process.stderr.write(`error: the run did not finish within ${Math.round(budgetMs / 1000)} s; exiting\n`);
    process.exit(1);
  }, budgetMs).unref();
  const stop = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stop.signal.aborted) process.exit(130);
      stop.abort();
      process.stderr.write(`${signal}: ending the send phase, draining, then printing the summary\n`);
    });
  }
  try {
    const summary = await runGenerator(options, {
      onSecond: (r) => write(jsonl ? JSON.stringify(r) : formatSecond(r, options.devices)),
      onNotice: (message) => write(jsonl ? JSON.stringify({ type: 'notice', message }) : `notice: ${message}`),
      signal: stop.signal,
    });
    process.stdout.write(
      JSON.stringify(jsonl ? summary : { ...summary, seconds: undefined, histograms: undefined }, null, jsonl ? 0 : 2),
    );
    process.stdout.write('\n');
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`error: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`error: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

if (isMainModule(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
