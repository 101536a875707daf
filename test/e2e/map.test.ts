// Browser end to end: the built hub serves the web app to headless Chromium; a position published over MQTT appears
// on the MapLibre map as a rendered feature (snapshot), and then moves (live socket.io delta).
import { mkdir, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { spawnHub, waitHealthy, type HubProcess } from '../support/hub-process.js';
import { connectDevice, provisionDevice } from '../support/devices.js';
import { freePort } from '../support/wait.js';

const ADMIN_TOKEN = 'e2e-admin-token-0123456789';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url);

let db: TestDatabase;
let hub: HubProcess;
let browser: Browser;
let page: Page;
let device: mqtt.MqttClient;
let httpPort: number;

interface Rendered {
  deviceId: string;
  coordinates: [number, number];
  offline: boolean;
}

/** The vehicles MapLibre has actually drawn, read from the page's map instance. */
function renderedVehicles(p: Page): Promise<Rendered[]> {
  // Runs in the page; typed here by the little of MapLibre's API it uses (the test has no DOM types).
  interface PageMap {
    queryRenderedFeatures(options: { layers: string[] }): {
      properties: Record<string, unknown> | null;
      geometry: { coordinates: [number, number] };
    }[];
  }
  return p.evaluate(() => {
    const map = (globalThis as { __cityhubMap?: PageMap }).__cityhubMap;
    if (!map) return [];
    return map.queryRenderedFeatures({ layers: ['vehicles'] }).map((f) => ({
      deviceId: String(f.properties?.deviceId),
      coordinates: f.geometry.coordinates,
      offline: f.properties?.offline === true,
    }));
  });
}

async function waitForVehicle(deviceId: string, lon: number, lat: number): Promise<Rendered> {
  const deadline = Date.now() + 20_000;
  let seen: Rendered[] = [];
  while (Date.now() < deadline) {
    seen = await renderedVehicles(page);
    const hit = seen.find(
      (v) =>
        v.deviceId === deviceId && Math.abs(v.coordinates[0] - lon) < 1e-4 && Math.abs(v.coordinates[1] - lat) < 1e-4,
    );
    if (hit) return hit;
    await page.waitForTimeout(100);
  }
  throw new Error(`${deviceId} not rendered at [${lon}, ${lat}]; rendered: ${JSON.stringify(seen)}`);
}

const publish = (deviceId: string, lon: number, lat: number, time: Date) =>
  device.publishAsync(
    `devices/${deviceId}/position`,
    JSON.stringify({ time: time.toISOString(), lat, lon, speedKmh: 25, course: 90 }),
    { qos: 1 },
  );

beforeAll(async () => {
  db = await createTestDatabase();
  httpPort = await freePort();
  const mqttPort = await freePort();
  hub = spawnHub({
    DATABASE_URL: db.url,
    HTTP_PORT: String(httpPort),
    HTTP_HOST: '127.0.0.1',
    MQTT_PORT: String(mqttPort),
    MQTT_HOST: '127.0.0.1',
    ADMIN_TOKEN,
    DATA_DIR: await mkdtemp(path.join(os.tmpdir(), 'cityhub-e2e-')),
  });
  await waitHealthy(httpPort, hub);
  const provisioned = await provisionDevice(`http://127.0.0.1:${httpPort}`, ADMIN_TOKEN, {
    id: 'veh-e2e',
    kind: 'vehicle',
  });
  device = await connectDevice(`mqtt://127.0.0.1:${mqttPort}`, provisioned);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--use-gl=angle',
      '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader',
      '--disable-background-networking',
    ],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (err) => console.error('page error:', err.message));
});

afterAll(async () => {
  await browser?.close();
  await device?.endAsync(true);
  await hub?.stop();
  await db?.drop();
});

describe('the supervision map', () => {
  it('shows a published position and moves it live', async () => {
    const start = new Date(Date.now() - 10_000);
    await publish('veh-e2e', 117.02, 36.665, start);

    await page.goto(`http://127.0.0.1:${httpPort}/`);
    await page.waitForSelector('body[data-map-ready="true"]', { timeout: 30_000 });
    await waitForVehicle('veh-e2e', 117.02, 36.665);

    // Moves ~270 m east over the live channel, with no reload.
    await publish('veh-e2e', 117.023, 36.665, new Date(start.getTime() + 5_000));
    const moved = await waitForVehicle('veh-e2e', 117.023, 36.665);
    expect(moved.coordinates[0]).toBeGreaterThan(117.022);

    // An older fix arriving late does not move the marker back.
    await publish('veh-e2e', 117.0, 36.66, new Date(start.getTime() + 1_000));
    await page.waitForTimeout(500);
    await waitForVehicle('veh-e2e', 117.023, 36.665);

    expect((await waitForVehicle('veh-e2e', 117.023, 36.665)).offline).toBe(false);

    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: new URL('map.png', ARTIFACTS).pathname });
  });

  it('marks a device that dropped off as offline, where it was last seen', async () => {
    // An abrupt drop (no DISCONNECT): the broker notices and the hub pushes an offline status.
    device.stream.destroy();
    const deadline = Date.now() + 20_000;
    let seen: Rendered[] = [];
    while (Date.now() < deadline) {
      seen = await renderedVehicles(page);
      if (seen.some((v) => v.deviceId === 'veh-e2e' && v.offline)) break;
      await page.waitForTimeout(100);
    }
    const vehicle = seen.find((v) => v.deviceId === 'veh-e2e');
    expect(vehicle?.offline).toBe(true);
    expect(vehicle?.coordinates[0]).toBeCloseTo(117.023, 4);
    await page.screenshot({ path: new URL('map-offline.png', ARTIFACTS).pathname });

    // A fresh page learns the state from the snapshot, not only from live deltas.
    await page.reload();
    await page.waitForSelector('body[data-map-ready="true"]', { timeout: 30_000 });
    const reloaded = await waitForVehicle('veh-e2e', 117.023, 36.665);
    expect(reloaded.offline).toBe(true);
  });
});
