// Browser end to end: the built hub serves the web app to headless Chromium; a position published over MQTT appears
// on the MapLibre map as a rendered feature (snapshot), and then moves (live socket.io delta).
import mqtt from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openPage, screenshot } from '../support/browser.js';
import { connectDevice, provisionDevice } from '../support/devices.js';
import { renderedFeatures } from '../support/map-page.js';
import { startTestHub, type TestHub } from '../support/test-hub.js';

const ADMIN_TOKEN = 'e2e-admin-token-0123456789';

let hub: TestHub;
let browser: Browser;
let page: Page;
let device: mqtt.MqttClient;

interface Rendered {
  deviceId: string;
  coordinates: [number, number];
  offline: boolean;
}

/** The vehicles MapLibre has actually drawn. */
const renderedVehicles = async (p: Page): Promise<Rendered[]> =>
  (await renderedFeatures(p, ['vehicles'])).map((f) => ({
    deviceId: String(f.properties.deviceId),
    coordinates: f.coordinates,
    offline: f.properties.offline === true,
  }));

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
  hub = await startTestHub({ name: 'map', adminToken: ADMIN_TOKEN });
  const provisioned = await provisionDevice(hub.base, ADMIN_TOKEN, { id: 'veh-e2e', kind: 'vehicle' });
  device = await connectDevice(hub.mqttUrl, provisioned);
  browser = await launchBrowser();
  page = await openPage(browser, { width: 1280, height: 800 }, []);
});

afterAll(async () => {
  await browser?.close();
  await device?.endAsync(true);
  await hub?.stop();
});

describe('the supervision map', () => {
  it('shows a published position and moves it live', async () => {
    const start = new Date(Date.now() - 10_000);
    await publish('veh-e2e', 117.02, 36.665, start);

    await page.goto(`${hub.base}/`);
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

    await screenshot(page, 'map.png');
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
    await screenshot(page, 'map-offline.png');

    // A fresh page learns the state from the snapshot, not only from live deltas.
    await page.reload();
    await page.waitForSelector('body[data-map-ready="true"]', { timeout: 30_000 });
    const reloaded = await waitForVehicle('veh-e2e', 117.023, 36.665);
    expect(reloaded.offline).toBe(true);
  });
});
