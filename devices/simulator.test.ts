// The simulator against a real MQTT broker (aedes, in-process, on a real TCP port) and a real subscriber: what the
// hub would receive over the wire.
import net, { type AddressInfo, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { Aedes } from 'aedes';
import { connectAsync, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { JINAN_OLD_TOWN_BBOX } from './routes/jinan-old-town.js';
import { startVehicleSimulator, type VehicleSimulator } from './simulator.js';
import type { PositionPayload } from './vehicle.js';

interface TestBroker {
  broker: Aedes;
  port: number;
  /** Connections seen: client id → username and password. */
  logins: Map<string, { username: string | undefined; password: string | undefined }>;
  /** Every client publish, in arrival order. */
  published: { clientId: string; topic: string; payload: string }[];
  close(): Promise<void>;
}

async function startBroker(port = 0): Promise<TestBroker> {
  const broker = await Aedes.createBroker();
  const logins: TestBroker['logins'] = new Map();
  const published: TestBroker['published'] = [];
  broker.authenticate = (client, username, password, done) => {
    logins.set(client.id, { username, password: password?.toString('utf8') });
    done(null, true);
  };
  broker.on('publish', (packet, client) => {
    if (client) published.push({ clientId: client.id, topic: packet.topic, payload: packet.payload.toString() });
  });
  const sockets = new Set<Socket>();
  const server = net.createServer(broker.handle);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    broker,
    port: (server.address() as AddressInfo).port,
    logins,
    published,
    close: () =>
      new Promise<void>((resolve) => {
        // Like a broker process dying: every connection dropped at once.
        for (const socket of sockets) socket.destroy();
        broker.close(() => server.close(() => resolve()));
      }),
  };
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Checks one payload against the wire contract; returns it typed. */
function expectValidPayload(text: string, notBefore: number): PositionPayload {
  const p = JSON.parse(text) as PositionPayload;
  expect(Object.keys(p).sort()).toEqual(['accuracyM', 'altitudeM', 'course', 'lat', 'lon', 'speedKmh', 'time']);
  expect(p.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  const time = Date.parse(p.time);
  expect(time).toBeGreaterThanOrEqual(notBefore);
  expect(time).toBeLessThanOrEqual(Date.now());
  const { minLon, maxLon, minLat, maxLat } = JINAN_OLD_TOWN_BBOX;
  expect(p.lon).toBeGreaterThanOrEqual(minLon);
  expect(p.lon).toBeLessThanOrEqual(maxLon);
  expect(p.lat).toBeGreaterThanOrEqual(minLat);
  expect(p.lat).toBeLessThanOrEqual(maxLat);
  expect(Number((p.lat * 1e6).toFixed(3)) % 1).toBe(0);
  expect(Number((p.lon * 1e6).toFixed(3)) % 1).toBe(0);
  expect(p.speedKmh).toBeGreaterThanOrEqual(0);
  expect(p.speedKmh).toBeLessThanOrEqual(45);
  expect(Number((p.speedKmh * 10).toFixed(6)) % 1).toBe(0);
  expect(p.course).toBeGreaterThanOrEqual(0);
  expect(p.course).toBeLessThan(360);
  expect(Number((p.course * 10).toFixed(6)) % 1).toBe(0);
  expect(typeof p.altitudeM).toBe('number');
  expect(p.accuracyM).toBeGreaterThan(0);
  return p;
}

/** A pino logger that keeps its lines, to assert on what was logged. */
function capturingLogger() {
  const lines: { level: number; msg: string; [key: string]: unknown }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
      callback();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function track<T extends VehicleSimulator | MqttClient | TestBroker>(thing: T): T {
  if ('deviceIds' in thing) cleanups.push(() => thing.stop());
  else if ('broker' in thing) cleanups.push(() => thing.close());
  else cleanups.push(() => thing.endAsync(true));
  return thing;
}

describe('startVehicleSimulator against a real MQTT broker', () => {
  it('publishes valid, moving positions from every vehicle, each on its own connection', async () => {
    const mqtt = track(await startBroker());
    const subscriber = track(await connectAsync(`mqtt://127.0.0.1:${mqtt.port}`, { clientId: 'test-subscriber' }));
    await subscriber.subscribeAsync('devices/+/position', { qos: 1 });
    const messages: { topic: string; payload: string }[] = [];
    const startedAt = Date.now();
    // Only collected here: assertions thrown inside an mqtt.js event handler would not fail the test cleanly.
    subscriber.on('message', (topic, payload) => messages.push({ topic, payload: payload.toString() }));
    const received = new Map<string, PositionPayload[]>();
    const collect = (): void => {
      received.clear();
      for (const { topic, payload } of messages) {
        const deviceId = /^devices\/([^/]+)\/position$/.exec(topic)?.[1];
        expect(deviceId, topic).toBeDefined();
        received.set(deviceId!, [...(received.get(deviceId!) ?? []), expectValidPayload(payload, startedAt)]);
      }
    };

    const sim = track(
      startVehicleSimulator({
        mqttUrl: `mqtt://127.0.0.1:${mqtt.port}`,
        count: 3,
        intervalMs: 100,
        deviceIdPrefix: 'sim-',
        password: 'device-secret',
        logger: pino({ level: 'silent' }),
      }),
    );
    expect(sim.deviceIds).toEqual(['sim-001', 'sim-002', 'sim-003']);

    await waitFor('10 positions from each of 3 vehicles', () =>
      sim.deviceIds.every((id) => messages.filter((m) => m.topic === `devices/${id}/position`).length >= 10),
    );
    collect();
    expect([...received.keys()].sort()).toEqual(sim.deviceIds);

    for (const id of sim.deviceIds) {
      const fixes = received.get(id)!;
      // Distinct positions over time, in time order.
      expect(new Set(fixes.map((p) => `${p.lat},${p.lon}`)).size).toBeGreaterThanOrEqual(5);
      for (let i = 1; i < fixes.length; i++) {
        expect(Date.parse(fixes[i]!.time)).toBeGreaterThan(Date.parse(fixes[i - 1]!.time));
      }
      // One connection per vehicle: client id = username = device id, with the password given.
      expect(mqtt.logins.get(id)).toEqual({ username: id, password: 'device-secret' });
    }
    // Vehicles start on different routes (round-robin), so in different places.
    const firstPositions = sim.deviceIds.map((id) => received.get(id)![0]!).map((p) => `${p.lat},${p.lon}`);
    expect(new Set(firstPositions).size).toBe(3);
    // Publishes are QoS 1 on the device's own topic.
    for (const { clientId, topic } of mqtt.published.filter((p) => p.topic.endsWith('/position'))) {
      expect(topic).toBe(`devices/${clientId}/position`);
    }

    await sim.stop();
    const stats = sim.stats();
    expect(stats.connected).toBe(0);
    expect(stats.acknowledged).toBeGreaterThanOrEqual(30);
    expect(stats.acknowledged).toBe(stats.published);
    expect(stats.failed).toBe(0);
    // Every vehicle connection is closed; only the subscriber is left.
    await waitFor('vehicle connections to close', () => mqtt.broker.connectedClients === 1);
    // And nothing more is published.
    const count = mqtt.published.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(mqtt.published.length).toBe(count);
  });

  it('sends no password when none is given, and spreads vehicles sharing a route round it', async () => {
    const mqtt = track(await startBroker());
    const sim = track(
      startVehicleSimulator({
        mqttUrl: `mqtt://127.0.0.1:${mqtt.port}`,
        count: 2,
        intervalMs: 100,
        logger: pino({ level: 'silent' }),
        routes: [
          {
            id: 'one-route',
            nameZh: '单一路线',
            nameEn: 'One route',
            vehicleKind: { code: 'patrol', zh: '巡查车', en: 'patrol car' },
            points: [
              [117.0, 36.66],
              [117.0, 36.6645],
              [117.0056, 36.6645],
              [117.0056, 36.66],
              [117.0, 36.66],
            ],
          },
        ],
      }),
    );
    expect(sim.deviceIds).toEqual(['veh-001', 'veh-002']);
    await waitFor('a position from each vehicle', () =>
      sim.deviceIds.every((id) => mqtt.published.some((p) => p.clientId === id)),
    );
    expect(mqtt.logins.get('veh-001')).toEqual({ username: 'veh-001', password: undefined });
    const first = (id: string) => JSON.parse(mqtt.published.find((p) => p.clientId === id)!.payload) as PositionPayload;
    // Half a lap apart on a ~2 km loop: the opposite side of the square.
    const [a, b] = [first('veh-001'), first('veh-002')];
    expect(Math.abs(a.lat - b.lat) + Math.abs(a.lon - b.lon)).toBeGreaterThan(0.004);
  });

  it('reconnects after a broker restart and delivers the fixes taken while offline', async () => {
    const first = await startBroker();
    const port = first.port;
    const sim = track(
      startVehicleSimulator({
        mqttUrl: `mqtt://127.0.0.1:${port}`,
        count: 3,
        intervalMs: 100,
        reconnectPeriodMs: 200,
        logger: pino({ level: 'silent' }),
      }),
    );
    await waitFor('every vehicle connected', () => sim.stats().connected === 3);
    await waitFor('positions before the restart', () => first.published.length >= 6);

    await first.close();
    const downAt = Date.now();
    await waitFor('vehicles to notice', () => sim.stats().connected === 0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const second = track(await startBroker(port));
    const upAt = Date.now();

    await waitFor('every vehicle reconnected', () => sim.stats().connected === 3);
    await waitFor('fresh positions from every vehicle after the restart', () =>
      sim.deviceIds.every((id) =>
        second.published.some((p) => p.clientId === id && Date.parse(JSON.parse(p.payload).time) > upAt),
      ),
    );
    // Store-and-forward: fixes stamped while the broker was down arrive after the restart.
    const offline = second.published.filter((p) => {
      const time = Date.parse((JSON.parse(p.payload) as PositionPayload).time);
      return time > downAt && time < upAt;
    });
    expect(offline.length).toBeGreaterThan(0);
    for (const p of second.published) expectValidPayload(p.payload, 0);
  });

  it('logs the reports the hub sends on devices/{id}/errors', async () => {
    const mqtt = track(await startBroker());
    const { logger, lines } = capturingLogger();
    const sim = track(
      startVehicleSimulator({ mqttUrl: `mqtt://127.0.0.1:${mqtt.port}`, count: 1, intervalMs: 100, logger }),
    );
    await waitFor('the vehicle to subscribe to its errors topic', () =>
      lines.some((l) => l.msg === 'connected' && l.deviceId === 'veh-001'),
    );
    await new Promise((resolve) => setTimeout(resolve, 200)); // let the SUBSCRIBE land
    const report = { topic: 'devices/veh-001/position', reason: 'time_in_future', message: 'check the device clock' };
    mqtt.broker.publish(
      {
        cmd: 'publish',
        topic: 'devices/veh-001/errors',
        payload: Buffer.from(JSON.stringify(report)),
        qos: 0,
        retain: false,
        dup: false,
      },
      () => undefined,
    );
    await waitFor('the report to be counted', () => sim.stats().rejected === 1);
    const logged = lines.find((l) => l.msg === 'the hub refused a publish');
    expect(logged).toMatchObject({ level: 40, deviceId: 'veh-001', report });
  });

  it('stops promptly even when the broker cannot be reached', async () => {
    // A port nobody listens on.
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    const sim = startVehicleSimulator({
      mqttUrl: `mqtt://127.0.0.1:${port}`,
      count: 2,
      intervalMs: 50,
      reconnectPeriodMs: 100,
      logger: pino({ level: 'silent' }),
    });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(sim.stats().connected).toBe(0);
    expect(sim.stats().published).toBeGreaterThan(0); // kept for later delivery
    const started = Date.now();
    await sim.stop();
    await sim.stop(); // idempotent
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('drops fixes beyond the offline buffer', async () => {
    const sim = startVehicleSimulator({
      mqttUrl: 'mqtt://127.0.0.1:1', // nothing listens on port 1
      count: 1,
      intervalMs: 20,
      maxOfflineFixes: 5,
      logger: pino({ level: 'silent' }),
    });
    track(sim);
    await waitFor('fixes to be dropped', () => sim.stats().dropped > 0, 3000);
    expect(sim.stats().published).toBe(5);
  });

  it.each([
    [{ mqttUrl: 'not a url' }, /mqttUrl is not a valid URL/],
    [{ mqttUrl: 'http://127.0.0.1:1883' }, /mqttUrl must use one of/],
    [{ count: 0 }, /count must be an integer from 1 to 1000/],
    [{ count: 2.5 }, /count must be an integer/],
    [{ intervalMs: 0 }, /intervalMs must be a number >= 10/],
    [{ speedFactor: 0 }, /speedFactor must be a number > 0/],
    [{ deviceIdPrefix: 'a/b-' }, /deviceIdPrefix "a\/b-" gives device ids like "a\/b-001"/],
    [{ routes: [] }, /routes must not be empty/],
  ])('refuses invalid options %j', (override, message) => {
    const options = { mqttUrl: 'mqtt://127.0.0.1:1883', count: 1, intervalMs: 1000, ...override };
    expect(() => startVehicleSimulator(options)).toThrow(message);
  });
});
