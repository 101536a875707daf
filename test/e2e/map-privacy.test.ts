// Browser end to end for people on the supervision map (个人位置保护): the built hub on a GCJ-02 basemap serves the web
// app to headless Chromium. An anonymous page draws vehicles but no collector (people), not even when they move; after
// a shift leader logs in the collectors appear without a reload, shifted onto the GCJ-02 basemap like the cameras
// (which are drawn in the basemap's datum too); after logout they go again; a collector who logs in sees only their own
// handheld. Screenshots in test-artifacts/.
import gcoordModule from 'gcoord';
import mqtt from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openPage, screenshot as saveScreenshot, submitLogin } from '../support/browser.js';
import { migratedTestDatabase } from '../support/database.js';
import { connectDevice, provisionDevice } from '../support/devices.js';
import { renderedFeatures, waitRendered, type RenderedFeature } from '../support/map-page.js';
import { startTestHub, type ApiCall, type TestHub } from '../support/test-hub.js';
import { waitFor } from '../support/wait.js';

// gcoord's types declare an ES default export; under Node its CommonJS module.exports is that object itself.
const gcoord = gcoordModule as unknown as typeof gcoordModule.default;

const ADMIN_TOKEN = 'e2e-map-privacy-admin-token-0123456789';
const PASSWORD = 'a long enough password';

// WGS-84, all in view around the default centre (117.02, 36.665) and clear of the side panels.
const VEHICLE = { lon: 117.018, lat: 36.664 };
const OWN = { lon: 117.026, lat: 36.661 };
const OTHER = { lon: 117.012, lat: 36.668 };
const CAMERA = { id: 'cam-privacy', name: '泉城路口', lon: 117.0213, lat: 36.6628 };
/** A move of ~30 m: well apart on the map, and slow enough between fixes not to be flagged as an implausible jump. */
const STEP = 0.0003;

let hub: TestHub;
let browser: Browser;
let page: Page;
let base: string;
const devices = new Map<string, mqtt.MqttClient>();
const pageErrors: string[] = [];

const call: ApiCall = (...args) => hub.call(...args);

/** Where a WGS-84 point is drawn on the GCJ-02 basemap. */
const onBasemap = (p: { lon: number; lat: number }) =>
  gcoord.transform([p.lon, p.lat], gcoord.WGS84, gcoord.GCJ02) as [number, number];

type Rendered = RenderedFeature;
const rendered = (layers: string[]) => renderedFeatures(page, layers);

/** Tile coordinates are quantised: a few decimetres at this zoom. The GCJ-02 shift is ~500 m. */
const drawnAt = (f: Rendered, at: [number, number]) =>
  Math.abs(f.coordinates[0] - at[0]) < 3e-5 && Math.abs(f.coordinates[1] - at[1]) < 3e-5;

const deviceIds = async (layer: string) =>
  [...new Set((await rendered([layer])).map((f) => String(f.properties.deviceId)))].sort();

async function waitDrawn(what: string, layer: string, id: string, at: [number, number]): Promise<void> {
  await waitRendered(page, what, [layer], (f) => (f.properties.deviceId ?? f.properties.id) === id && drawnAt(f, at));
}

let fixSeq = 0;
/** A new fix (later than any before) of each device, at the given WGS-84 points. */
async function publish(fixes: Record<string, { lon: number; lat: number }>): Promise<void> {
  const time = new Date(Date.now() + ++fixSeq).toISOString();
  for (const [id, p] of Object.entries(fixes)) {
    await devices.get(id)!.publishAsync(`devices/${id}/position`, JSON.stringify({ time, ...p }), { qos: 1 });
  }
}

const screenshot = (name: string) => saveScreenshot(page, name);

async function logIn(username: string): Promise<void> {
  await page.click('.login-button');
  await submitLogin(page, username, PASSWORD);
  await page.waitForSelector('[data-testid="current-user"]', { timeout: 15_000 });
}

async function logOut(): Promise<void> {
  await page.click('button:has-text("退出")');
  await page.waitForSelector('.login-button', { timeout: 15_000 });
}

beforeAll(async () => {
  hub = await startTestHub({
    name: 'map-privacy',
    adminToken: ADMIN_TOKEN,
    db: await migratedTestDatabase(),
    env: { LIVE_PUSH_INTERVAL_MS: '100', MAP_BASEMAP_CRS: 'gcj02' },
  });
  base = hub.base;
  await call('POST', '/api/users', { username: 'leader1', name: '王值班', roles: ['shiftLeader'], password: PASSWORD });
  await call('POST', '/api/users', {
    username: 'zhangsan',
    name: '张三',
    roles: ['collector'],
    staffId: 'S-001',
    password: PASSWORD,
  });
  await call('POST', '/api/cameras', { ...CAMERA, source: 'rtmp', sampleIntervalMs: 1000, zones: [] });
  const mqttUrl = hub.mqttUrl;
  for (const [id, kind, staffId] of [
    ['veh-p', 'vehicle', null],
    ['col-own', 'collector', 'S-001'],
    ['col-other', 'collector', 'S-002'],
  ] as const) {
    const provisioned = await provisionDevice(base, ADMIN_TOKEN, { id, kind, ...(staffId ? { staffId } : {}) });
    devices.set(id, await connectDevice(mqttUrl, provisioned));
  }
  await publish({ 'veh-p': VEHICLE, 'col-own': OWN, 'col-other': OTHER });

  browser = await launchBrowser();
  page = await openPage(browser, { width: 1920, height: 1080 }, pageErrors);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  for (const c of devices.values()) await c.endAsync(true);
  await hub?.stop();
});

describe('people on the supervision map', () => {
  it('draws no collector on an anonymous page, not even when they move', async () => {
    await page.goto(base);
    await page.waitForSelector('body[data-map-ready="true"]', { timeout: 30_000 });
    await waitDrawn('the vehicle', 'vehicles', 'veh-p', onBasemap(VEHICLE));
    expect(await deviceIds('collectors')).toEqual([]);
    expect(await page.textContent('[data-testid="layer-count-collectors"]')).toBe('0');

    // Collectors and the vehicle move in the same tick: the vehicle's move arrives, the collectors' never do.
    const moved = { lon: VEHICLE.lon + STEP, lat: VEHICLE.lat };
    await publish({ 'col-own': { lon: OWN.lon, lat: OWN.lat + STEP }, 'veh-p': moved });
    await waitDrawn('the vehicle moved', 'vehicles', 'veh-p', onBasemap(moved));
    await page.waitForTimeout(500);
    expect(await deviceIds('collectors')).toEqual([]);
    expect(await rendered(['cameras'])).toEqual([]);
    await screenshot('map-privacy-anonymous.png');
  });

  it('draws the collectors after a shift leader logs in, shifted onto the GCJ-02 basemap like the cameras', async () => {
    await logIn('leader1');
    await waitDrawn(
      'the own-device collector',
      'collectors',
      'col-own',
      onBasemap({ lon: OWN.lon, lat: OWN.lat + STEP }),
    );
    await waitDrawn('the other collector', 'collectors', 'col-other', onBasemap(OTHER));
    await page.waitForSelector('[data-testid="layer-count-collectors"]:text("2")');
    // The camera from the registry (WGS-84) is drawn where the GCJ-02 basemap has that place, not at the raw point.
    await waitDrawn('the camera', 'cameras', CAMERA.id, onBasemap(CAMERA));
    const [camera] = await rendered(['cameras']);
    expect(Math.abs(camera!.coordinates[0] - CAMERA.lon)).toBeGreaterThan(0.003);
    // Live deltas come too.
    await publish({ 'col-other': { lon: OTHER.lon + STEP, lat: OTHER.lat } });
    await waitDrawn(
      'the other collector moved',
      'collectors',
      'col-other',
      onBasemap({ lon: OTHER.lon + STEP, lat: OTHER.lat }),
    );
    await screenshot('map-privacy-logged-in.png');
  });

  it('takes the collectors (and the cameras) off after logout, and sends no more of them', async () => {
    await logOut();
    await waitFor('collectors gone', async () => (await deviceIds('collectors')).length === 0, 10_000);
    await waitFor('cameras gone', async () => (await rendered(['cameras'])).length === 0, 10_000);
    expect(await page.textContent('[data-testid="layer-count-collectors"]')).toBe('0');
    const moved = { lon: VEHICLE.lon - STEP, lat: VEHICLE.lat };
    await publish({ 'col-other': OTHER, 'veh-p': moved });
    await waitDrawn('the vehicle moved', 'vehicles', 'veh-p', onBasemap(moved));
    await page.waitForTimeout(500);
    expect(await deviceIds('collectors')).toEqual([]);
    await screenshot('map-privacy-logged-out.png');
  });

  it('shows a collector who logs in their own handheld, and nobody else', async () => {
    await logIn('zhangsan');
    await waitDrawn('張三’s own handheld', 'collectors', 'col-own', onBasemap({ lon: OWN.lon, lat: OWN.lat + STEP }));
    await publish({ 'col-other': { lon: OTHER.lon, lat: OTHER.lat + STEP }, 'col-own': OWN });
    await waitDrawn('張三’s handheld moved', 'collectors', 'col-own', onBasemap(OWN));
    await page.waitForTimeout(500);
    expect(await deviceIds('collectors')).toEqual(['col-own']);
    await logOut();
    await waitFor('collectors gone', async () => (await deviceIds('collectors')).length === 0, 10_000);
  });

  it('raised no page error', () => {
    expect(pageErrors).toEqual([]);
  });
});
