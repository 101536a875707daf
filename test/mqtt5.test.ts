// MQTT 5 devices on the built-in broker, end to end through the real parts: real mqtt.js clients speaking MQTT 5
// over TCP → aedes → validation → batched writes → TimescaleDB. What an MQTT 5 device gets beyond MQTT 3.1.1: CONNACK
// and PUBACK reason codes with Reason Strings, SUBACK 0x87, and a DISCONNECT instead of an acknowledgement when its
// data cannot be made durable. MQTT 3.1.1 devices keep their behaviour (also test/ingest.test.ts).
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt from 'mqtt';
import { generate, parser as mqttParser, type IConnackPacket, type IDisconnectPacket, type Packet } from 'mqtt-packet';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { RunningHub } from '../hub/hub.js';
import { PUBACK_REASON_CODES } from '../ingest/mqtt/reason-codes.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { adminHeaders, connectDevice, listeningDevice, provisionDevice, type Provisioned } from './support/devices.js';
import { startInProcessHub } from './support/in-process-hub.js';
import { metricValue } from './support/metrics.js';
import { startOwnCluster, type OwnCluster } from './support/own-cluster.js';
import { waitFor } from './support/wait.js';

const ADMIN_TOKEN = 'test-admin-token-mqtt5-0123456789';
const V5 = { protocolVersion: 5 } as const;

const base = Date.now() - 60_000;
const at = (offsetS: number) => new Date(base + offsetS * 1000).toISOString();

interface Acked {
  /** mqtt.js turns a PUBACK (PUBREC) reason code >= 0x80 into an error carrying it as `code`. */
  error?: Error & { code?: number };
  packet?: { reasonCode?: number; properties?: { reasonString?: string } };
}

/** Publishes and resolves with the acknowledgement, refused or not. */
function publish(client: mqtt.MqttClient, topic: string, payload: string, qos: 1 | 2 = 1): Promise<Acked> {
  return new Promise((resolve) =>
    client.publish(topic, payload, { qos }, (error, packet) =>
      resolve({ error: (error ?? undefined) as Acked['error'], packet: packet as Acked['packet'] }),
    ),
  );
}

const nextConnack = (c: mqtt.MqttClient) => new Promise<IConnackPacket>((resolve) => c.once('connect', resolve));
const nextDisconnect = (c: mqtt.MqttClient) =>
  new Promise<IDisconnectPacket>((resolve) => c.once('disconnect', resolve));
const nextClose = (c: mqtt.MqttClient) => new Promise<void>((resolve) => c.once('close', () => resolve()));

/** Connects once and resolves with the CONNACK code (0 when accepted); the connection is closed again. */
function connackCode(url: string, options: mqtt.IClientOptions): Promise<number | undefined> {
  return new Promise((resolve) => {
    const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
    c.once('connect', (packet) => {
      c.end(true);
      resolve(options.protocolVersion === 5 ? (packet.reasonCode ?? 0) : packet.returnCode);
    });
    c.once('error', (error: Error & { code?: number }) => {
      c.end(true);
      resolve(error.code);
    });
  });
}

describe('MQTT 5 on the built-in broker', () => {
  let db: TestDatabase;
  let hub: RunningHub;
  let dataDir: string;
  let http: string;
  let mqttUrl: string;
  const clients: mqtt.MqttClient[] = [];

  const rowsOf = async (deviceId: string) =>
    (await db.pool.query<{ time: Date }>('SELECT time FROM positions WHERE device_id = $1 ORDER BY time', [deviceId]))
      .rows;
  const metrics = async () => (await fetch(`${http}/metrics`)).text();

  /** A provisioned device connected with MQTT 5 (unless told otherwise), recording its errors topic and commands. */
  async function device(id: string, kind = 'vehicle', options: mqtt.IClientOptions = {}) {
    const hub = { httpUrl: http, mqttUrl, adminToken: ADMIN_TOKEN };
    const listening = await listeningDevice(hub, id, kind, { ...V5, ...options });
    clients.push(listening.client);
    return listening;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'cityhub-mqtt5-'));
    hub = await startInProcessHub({
      DATABASE_URL: db.url,
      DATA_DIR: dataDir,
      ADMIN_TOKEN,
      DEVICE_RATE_PER_S: '2',
      DEVICE_RATE_BURST: '10',
    });
    http = `http://127.0.0.1:${hub.httpPort}`;
    mqttUrl = `mqtt://127.0.0.1:${hub.mqttPort}`;
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await hub?.close();
    await db?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('acknowledges a position with reason code 0 only once it is stored, for QoS 1 and QoS 2', async () => {
    const { client } = await device('v5-ok');
    const fix = (s: number) => JSON.stringify({ time: at(s), lat: 36.6641, lon: 117.0201 });
    const first = await publish(client, 'devices/v5-ok/position', fix(0));
    expect(first.error).toBeUndefined();
    expect(first.packet?.reasonCode ?? 0).toBe(0);
    // Acknowledged after the commit: the row is there as soon as the PUBACK is.
    expect((await rowsOf('v5-ok')).map((r) => r.time.toISOString())).toEqual([at(0)]);
    const second = await publish(client, 'devices/v5-ok/position', fix(1), 2);
    expect(second.error).toBeUndefined();
    expect((await rowsOf('v5-ok')).map((r) => r.time.toISOString())).toEqual([at(0), at(1)]);
  });

  it('refuses logins with MQTT 5 CONNACK reason codes, and keeps refusing an address that keeps failing', async () => {
    const known = await provisionDevice(http, ADMIN_TOKEN, { id: 'v5-auth', kind: 'vehicle' });
    const other = await provisionDevice(http, ADMIN_TOKEN, { id: 'v5-auth-other', kind: 'vehicle' });
    const login = (p: Provisioned, password = p.credential, clientId = p.id) =>
      connackCode(mqttUrl, { ...V5, clientId, username: p.id, password });
    expect(await login(known)).toBe(0); // also clears this address's earlier failures, if any
    expect(await connackCode(mqttUrl, { ...V5, clientId: 'nobody', username: 'nobody', password: 'x' })).toBe(0x86);
    expect(await login(known, 'wrong')).toBe(0x86);
    expect(await connackCode(mqttUrl, { ...V5, clientId: 'v5-auth' })).toBe(0x86); // no username
    expect(await login(known)).toBe(0); // three failures are free; a success forgets them
    // Another device's client id would take over its session.
    expect(await login(known, known.credential, 'v5-ok')).toBe(0x85);
    const disabled = await fetch(`${http}/api/devices/v5-auth/disable`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(disabled.status).toBe(200);
    expect(await login(known)).toBe(0x87);
    expect(await login(other, 'wrong')).toBe(0x86);
    expect(await login(other, 'wrong')).toBe(0x86);
    // Four failures from this address in a row: for the next second even a good credential is refused.
    expect(await login(other)).toBe(0x87);
    const text = await metrics();
    expect(metricValue(text, 'cityhub_mqtt_auth_failures_total', { reason: 'throttled' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, 'cityhub_mqtt_auth_failures_total', { reason: 'disabled' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, 'cityhub_mqtt_auth_failures_total', { reason: 'client_id_mismatch' })).toBe(1);
    await waitFor('the back-off to pass', async () => (await login(other)) === 0, 5000, 250);
  });

  const refused: [what: string, kind: string, payload: string, reason: string, code: number][] = [
    ['malformed JSON', 'position', '{"time": ', 'malformed_json', 0x99],
    ['a missing field', 'position', JSON.stringify({ time: at(3), lat: 36.66 }), 'schema', 0x99],
    ['latitude out of range', 'position', JSON.stringify({ time: at(3), lat: 91, lon: 117 }), 'out_of_range', 0x99],
    [
      'a time far in the future',
      'position',
      JSON.stringify({ time: new Date(Date.now() + 3_600_000).toISOString(), lat: 36.6, lon: 117 }),
      'time_in_future',
      0x99,
    ],
    [
      'a time older than the retention window',
      'position',
      JSON.stringify({ time: new Date(Date.now() - 500 * 86_400_000).toISOString(), lat: 36.6, lon: 117 }),
      'time_too_old',
      0x99,
    ],
    [
      'an oversized payload',
      'position',
      JSON.stringify({ time: at(3), lat: 36.6, lon: 117, attributes: { x: 'y'.repeat(20_000) } }),
      'payload_too_large',
      0x99,
    ],
    [
      'a batch with one bad entry',
      'positions',
      JSON.stringify({
        positions: [
          { time: at(4), lat: 36.6, lon: 117 },
          { time: at(5), lat: 99, lon: 117 },
        ],
      }),
      'out_of_range',
      0x99,
    ],
    ['an unknown topic kind', 'whatever', '{}', 'unknown_topic', 0x90],
    [
      'a topic its kind may not use',
      'reports',
      JSON.stringify({ reportId: 'r-1', time: at(3), lat: 36.6, lon: 117, categoryCode: '0101', description: 'x' }),
      'not_authorized',
      0x87,
    ],
  ];
  it.each(refused.map((row, i) => [...row, i] as const))(
    'refuses %s with PUBACK reason code and Reason String; nothing stored, the device is told why',
    async (_what, kind, payload, reason, code, i) => {
      const id = `v5-bad-${i}`;
      const { client, errors } = await device(id);
      const before = metricValue(await metrics(), 'cityhub_messages_rejected_total', { reason });
      const ack = await publish(client, `devices/${id}/${kind}`, payload);
      expect(ack.error?.code).toBe(code);
      expect(PUBACK_REASON_CODES[reason as keyof typeof PUBACK_REASON_CODES].code).toBe(code);
      expect(ack.packet?.properties?.reasonString).toMatch(new RegExp(`^${reason}: `));
      const error = await waitFor('error message', () => errors[0]);
      expect(error).toMatchObject({ topic: `devices/${id}/${kind}`, reason });
      expect(ack.packet?.properties?.reasonString).toBe(`${reason}: ${error.message}`.slice(0, 256));
      expect(await rowsOf(id)).toHaveLength(0);
      expect(client.connected).toBe(true);
      expect(metricValue(await metrics(), 'cityhub_messages_rejected_total', { reason })).toBe(before + 1);
    },
  );

  it('refuses with a PUBREC reason code at QoS 2', async () => {
    const { client, errors } = await device('v5-qos2');
    const ack = await publish(client, 'devices/v5-qos2/position', '{"time": ', 2);
    expect(ack.error?.code).toBe(0x99);
    await waitFor('error message', () => errors[0]);
    expect(await rowsOf('v5-qos2')).toHaveLength(0);
    // The flow ended with the PUBREC: the next message goes through.
    const ok = await publish(
      client,
      'devices/v5-qos2/position',
      JSON.stringify({ time: at(0), lat: 36.6, lon: 117 }),
      2,
    );
    expect(ok.error).toBeUndefined();
    expect(await rowsOf('v5-qos2')).toHaveLength(1);
  });

  it("refuses another device's topics with 0x87 and never forwards them", async () => {
    const victim = await device('v5-victim');
    const attacker = await device('v5-attacker');
    await victim.client.subscribeAsync('devices/v5-victim/commands/#', { qos: 1 });
    const seen: string[] = [];
    victim.client.on('message', (topic) => seen.push(topic));
    const position = await publish(
      attacker.client,
      'devices/v5-victim/position',
      JSON.stringify({ time: at(0), lat: 36.6, lon: 117 }),
    );
    expect(position.error?.code).toBe(0x87);
    const command = await publish(
      attacker.client,
      'devices/v5-victim/commands/0b7e4a1e-3c55-4b4e-9a53-6c1f1b2d9e10',
      '{}',
    );
    expect(command.error?.code).toBe(0x87);
    await waitFor('two refusals', () => attacker.errors.length >= 2);
    expect(attacker.errors.map((e) => e.reason)).toEqual(['not_authorized', 'not_authorized']);
    expect(await rowsOf('v5-victim')).toHaveLength(0);
    await sleep(200);
    expect(seen).toEqual([]);
  });

  it('answers a device over its rate limit with 0x97 Quota exceeded', async () => {
    const { client, errors } = await device('v5-rate');
    const acks = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        publish(client, 'devices/v5-rate/position', JSON.stringify({ time: at(i), lat: 36.66, lon: 117.02 })),
      ),
    );
    const codes = acks.map((a) => a.error?.code ?? 0);
    const accepted = codes.filter((c) => c === 0).length;
    expect(accepted).toBeGreaterThanOrEqual(10);
    expect(accepted).toBeLessThan(25);
    expect(codes.filter((c) => c !== 0).every((c) => c === 0x97)).toBe(true);
    expect(acks.find((a) => a.error)?.packet?.properties?.reasonString).toMatch(/^rate_limited: /);
    await waitFor('rate-limit error', () => errors.find((e) => e.reason === 'rate_limited'));
    expect(await rowsOf('v5-rate')).toHaveLength(accepted);
  });

  it('leaves the Reason String out for a client that set Request Problem Information to 0', async () => {
    const { client, errors } = await device('v5-quiet', 'vehicle', {
      properties: { requestProblemInformation: false },
    });
    const ack = await publish(client, 'devices/v5-quiet/position', JSON.stringify({ time: at(0), lat: 91, lon: 117 }));
    expect(ack.error?.code).toBe(0x99);
    expect(ack.packet?.properties?.reasonString).toBeUndefined();
    // The errors topic is a PUBLISH: it still says why.
    expect((await waitFor('error message', () => errors[0])).reason).toBe('out_of_range');
  });

  it('refuses a subscription outside its own commands with SUBACK 0x87, and delivers its own commands', async () => {
    const v = await device('v5-cmd');
    await provisionDevice(http, ADMIN_TOKEN, { id: 'v5-cmd-other', kind: 'vehicle' });
    // mqtt.js rejects a refused subscription and keeps the SUBACK on the error.
    const refusal = await v.client.subscribeAsync('devices/v5-cmd-other/commands/#').then(
      () => null,
      (err: Error & { packet?: { granted?: number[] } }) => err,
    );
    expect(refusal?.packet?.granted).toEqual([0x87]);
    expect(v.client.connected).toBe(true);
    const granted = await v.client.subscribeAsync('devices/v5-cmd/commands/#', { qos: 1 });
    expect(granted.map((g) => g.qos)).toEqual([1]);

    const send = await fetch(`${http}/api/devices/v5-cmd/commands`, {
      method: 'POST',
      headers: adminHeaders(ADMIN_TOKEN),
      body: JSON.stringify({ kind: 'set_report_interval', params: { intervalS: 5 } }),
    });
    expect(send.status).toBe(202);
    const command = (await send.json()) as { id: string };
    const received = await waitFor('command delivered', () => v.commands[0]);
    expect(received.topic).toBe(`devices/v5-cmd/commands/${command.id}`);
    const ack = await publish(
      v.client,
      'devices/v5-cmd/acks',
      JSON.stringify({ commandId: command.id, status: 'ok', message: 'interval now 5 s' }),
    );
    expect(ack.error).toBeUndefined();
    const status = await fetch(`${http}/api/devices/v5-cmd/commands/${command.id}`, {
      headers: adminHeaders(ADMIN_TOKEN),
    });
    expect(await status.json()).toMatchObject({ status: 'ok', ackMessage: 'interval now 5 s' });
  });

  it('delivers commands to a resumed session (session expiry) without a new SUBSCRIBE', async () => {
    const provisioned = await provisionDevice(http, ADMIN_TOKEN, { id: 'v5-session', kind: 'vehicle' });
    const options = { ...V5, clean: false, properties: { sessionExpiryInterval: 300 } };
    const first = await connectDevice(mqttUrl, provisioned, options);
    await first.subscribeAsync('devices/v5-session/commands/#', { qos: 1 });
    await first.endAsync();

    const second = mqtt.connect(mqttUrl, {
      ...options,
      clientId: provisioned.id,
      username: provisioned.id,
      password: provisioned.credential,
      reconnectPeriod: 0,
    });
    clients.push(second);
    const connack = await nextConnack(second);
    expect(connack.sessionPresent).toBe(true);
    const received: string[] = [];
    second.on('message', (topic) => received.push(topic));
    const send = await fetch(`${http}/api/devices/v5-session/commands`, {
      method: 'POST',
      headers: adminHeaders(ADMIN_TOKEN),
      body: JSON.stringify({ kind: 'request_position' }),
    });
    const command = (await send.json()) as { id: string; status: string };
    await waitFor('command delivered to the resumed session', () => received[0]);
    expect(received).toEqual([`devices/v5-session/commands/${command.id}`]);
  });

  it('records online, then the last will and offline when a silent device misses its keep-alive', async () => {
    const provisioned = await provisionDevice(http, ADMIN_TOKEN, { id: 'v5-will', kind: 'sensor' });
    // A raw MQTT 5 connection that never sends PINGREQ: the broker must give up on it after 1.5 × keep-alive.
    const socket = net.connect(hub.mqttPort!, '127.0.0.1');
    await once(socket, 'connect');
    const packets: Packet[] = [];
    const parse = mqttParser({ protocolVersion: 5 });
    parse.on('packet', (p: Packet) => packets.push(p));
    socket.on('data', (d: Buffer) => parse.parse(d));
    const closed = once(socket, 'close');
    const willTime = Date.now();
    socket.write(
      generate(
        {
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 5,
          clean: true,
          clientId: provisioned.id,
          username: provisioned.id,
          password: Buffer.from(provisioned.credential),
          keepalive: 1,
          will: {
            topic: 'devices/v5-will/status',
            payload: Buffer.from(JSON.stringify({ time: willTime, state: 'offline', batteryPct: 40 })),
            qos: 1,
            retain: false,
          },
        },
        { protocolVersion: 5 },
      ),
    );
    const connack = await waitFor('CONNACK', () => packets.find((p) => p.cmd === 'connack'));
    expect((connack as IConnackPacket).reasonCode).toBe(0);
    const started = Date.now();
    await closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    const events = async () =>
      (
        await db.pool.query<{ state: string; source: string; battery_pct: number | null }>(
          `SELECT state, source, battery_pct FROM device_events WHERE device_id = 'v5-will' ORDER BY time, source`,
        )
      ).rows.map((r) => `${r.state}/${r.source}${r.battery_pct === null ? '' : `/${r.battery_pct}`}`);
    await waitFor('offline records', async () => (await events()).filter((e) => e.startsWith('offline')).length === 2);
    // The will (a status published for the device, with the battery it reported at connect) and the broker's own.
    expect(await events()).toEqual(expect.arrayContaining(['online/broker', 'offline/broker', 'offline/mqtt/40']));
  });

  it('keeps MQTT 3.1.1 as it was: a refused message is acknowledged, and the device told on its errors topic', async () => {
    const { client, errors } = await device('v311-bad', 'vehicle', { protocolVersion: 4 });
    const ack = await publish(client, 'devices/v311-bad/position', JSON.stringify({ time: at(0), lat: 91, lon: 117 }));
    expect(ack.error).toBeUndefined();
    expect((await waitFor('error message', () => errors[0])).reason).toBe('out_of_range');
    expect(await rowsOf('v311-bad')).toHaveLength(0);
    expect(client.connected).toBe(true);
    expect(await connackCode(mqttUrl, { clientId: 'nobody', username: 'nobody', password: 'x' })).toBe(4);
  });
});

describe('MQTT 5 when data cannot be made durable', () => {
  let cluster: OwnCluster;
  let hub: RunningHub | undefined;
  let dataDir: string;
  const clients: mqtt.MqttClient[] = [];

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await hub?.close();
    cluster?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('disconnects an MQTT 5 device with 0x89 and no PUBACK; it resends after reconnecting and is stored once', async () => {
    cluster = startOwnCluster();
    onTestFailed(() =>
      console.error(`---- own cluster postgres.log ----\n${cluster.log().split('\n').slice(-40).join('\n')}`),
    );
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'cityhub-mqtt5-busy-'));
    hub = await startInProcessHub({
      DATABASE_URL: cluster.url,
      DATA_DIR: dataDir,
      ADMIN_TOKEN,
      // A spool that a few batches fill: once the database is away, the next message cannot be made durable.
      SPOOL_MAX_MB: '1',
    });
    const http = `http://127.0.0.1:${hub.httpPort}`;
    const mqttUrl = `mqtt://127.0.0.1:${hub.mqttPort}`;
    // Devices that keep trying, as real ones do (also after a CONNACK refusal while the hub cannot check logins).
    const keepTrying = { reconnectPeriod: 300, reconnectOnConnackError: true, connectTimeout: 5000 };
    const v5 = await connectDevice(
      mqttUrl,
      await provisionDevice(http, ADMIN_TOKEN, { id: 'busy-v5', kind: 'vehicle' }),
      {
        ...V5,
        ...keepTrying,
      },
    );
    const v311 = await connectDevice(
      mqttUrl,
      await provisionDevice(http, ADMIN_TOKEN, { id: 'busy-v311', kind: 'vehicle' }),
      keepTrying,
    );
    clients.push(v5, v311);
    const disconnects: IDisconnectPacket[] = [];
    v5.on('disconnect', (packet) => disconnects.push(packet));
    const v5Errors: (number | undefined)[] = [];
    v5.on('error', (err: Error & { code?: number }) => v5Errors.push(err.code)); // CONNACKs while the database is down
    v311.on('error', () => undefined);

    const sent = new Map<string, number>(); // device → positions sent
    let timeMs = Date.now() - 86_400_000;
    const batch = (deviceId: string, n: number) => {
      const positions = Array.from({ length: n }, () => ({
        time: new Date((timeMs += 1000)).toISOString(),
        lat: 36.66,
        lon: 117.02,
      }));
      sent.set(deviceId, (sent.get(deviceId) ?? 0) + n);
      return JSON.stringify({ positions });
    };

    await cluster.pause();
    const pending: Promise<Acked>[] = [];
    const settled = new Set<Promise<Acked>>();
    const track = (p: Promise<Acked>) => {
      pending.push(p);
      void p.then(() => settled.add(p));
      return p;
    };
    // The first batches are acknowledged from the spool; then it is full.
    const disconnected = nextDisconnect(v5);
    for (let i = 0; i < 20 && disconnects.length === 0; i++) {
      const ack = track(publish(v5, 'devices/busy-v5/positions', batch('busy-v5', 1000)));
      await Promise.race([ack, disconnected]);
    }
    expect(disconnects).toHaveLength(1);
    expect(disconnects[0]!.reasonCode).toBe(0x89);
    expect(disconnects[0]!.properties?.reasonString).toContain('send it again');
    expect(pending.length).toBeGreaterThan(1);
    // The message that could not be made durable got no acknowledgement at all: it is still the device's to send.
    await sleep(500);
    const unacked = pending.filter((p) => !settled.has(p));
    expect(unacked).toHaveLength(1);
    expect(settled.size).toBe(pending.length - 1);
    for (const p of settled) expect((await p).error).toBeUndefined();

    // MQTT 3.1.1 has no DISCONNECT from the server: the connection just closes, without a PUBACK.
    const v311Closed = nextClose(v311);
    const v311Ack = track(publish(v311, 'devices/busy-v311/positions', batch('busy-v311', 1000)));
    await v311Closed;
    expect(settled.has(v311Ack)).toBe(false);

    await cluster.resume();
    // Both devices reconnect and resend; everything is acknowledged once durable.
    const acks = await Promise.race([
      Promise.all(pending),
      sleep(90_000).then(() => {
        throw new Error(`${pending.length - settled.size} publishes still unacknowledged after the database came back`);
      }),
    ]);
    expect(acks.map((a) => a.error)).toEqual(acks.map(() => undefined));
    // While the database was down the hub could not check the device's login either.
    expect(v5Errors).toContain(0x88);

    const verify = new pg.Pool({ connectionString: cluster.url, max: 1 });
    try {
      await waitFor(
        'the spool to drain',
        async () => {
          const { rows } = await verify.query<{ device_id: string; n: string; distinct_times: string }>(
            `SELECT device_id, count(*) AS n, count(DISTINCT time) AS distinct_times FROM positions
           WHERE device_id IN ('busy-v5', 'busy-v311') GROUP BY device_id ORDER BY device_id`,
          );
          const got = rows.map((r) => [r.device_id, Number(r.n), Number(r.distinct_times)]);
          return (
            JSON.stringify(got) ===
              JSON.stringify([
                ['busy-v311', sent.get('busy-v311'), sent.get('busy-v311')],
                ['busy-v5', sent.get('busy-v5'), sent.get('busy-v5')],
              ]) && got
          );
        },
        30_000,
        200,
      );
    } finally {
      await verify.end();
    }
  }, 180_000);
});
