// Browser end to end for the configurable basemap (底图): a hub serving a self-hosted PMTiles file declared GCJ-02 —
// the browser reads the file by HTTP range requests through the `pmtiles` protocol, draws WGS-84 positions shifted onto
// the GCJ-02 tiles, and turns a click back into the WGS-84 point — and a hub on XYZ raster tiles from a tile server
// (天地图-style templates), whose tiles the browser fetches by z/x/y.
import { mkdtemp, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import gcoordModule from 'gcoord';
import mqtt from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot } from '../support/browser.js';
import { connectDevice, provisionDevice } from '../support/devices.js';
import { renderedFeatures } from '../support/map-page.js';
import { startTestHub, type TestHub } from '../support/test-hub.js';
import { rasterPmtiles, solidPng } from '../support/pmtiles.js';
import { waitFor } from '../support/wait.js';

// gcoord's types declare an ES default export; under Node its CommonJS module.exports is that object itself.
const gcoord = gcoordModule as unknown as typeof gcoordModule.default;

const ADMIN_TOKEN = 'e2e-map-basemap-admin-token-0123456789';
/** Jinan's old town and around, WGS-84: what the test basemaps cover. */
const AREA: [number, number, number, number] = [116.9, 36.6, 117.15, 36.73];
const VEHICLE = { lon: 117.02, lat: 36.665 };

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

/** A hub on the basemap these settings describe. */
const startHub = (env: Record<string, string>) =>
  startTestHub({ name: 'basemap', adminToken: ADMIN_TOKEN, env: { LIVE_PUSH_INTERVAL_MS: '100', ...env } });

interface RenderedVehicle {
  deviceId: string;
  coordinates: [number, number];
  x: number;
  y: number;
}

const renderedVehicles = async (page: Page): Promise<RenderedVehicle[]> =>
  (await renderedFeatures(page, ['vehicles'])).map((f) => ({
    deviceId: String(f.properties.deviceId),
    coordinates: f.coordinates,
    x: f.x,
    y: f.y,
  }));

/** Whether the basemap source has loaded every tile in view (raster tiles leave nothing to query). */
function basemapLoaded(page: Page, sourceId: string): Promise<boolean> {
  interface PageMap {
    getSource(id: string): unknown;
    isSourceLoaded(id: string): boolean;
  }
  return page.evaluate((id) => {
    const map = (globalThis as { __cityhubMap?: PageMap }).__cityhubMap;
    return Boolean(map?.getSource(id)) && map!.isSourceLoaded(id);
  }, sourceId);
}

const pages: Page[] = [];

/** Closes this file's pages: an open page keeps its socket.io connection, which a stopping hub would wait for. */
async function closePages(): Promise<void> {
  for (const p of pages.splice(0)) await p.close();
}

async function newPage(): Promise<{ page: Page; consoleErrors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  pages.push(page);
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (err) => consoleErrors.push(err.message));
  return { page, consoleErrors };
}

describe('a self-hosted PMTiles basemap in GCJ-02', () => {
  let h: TestHub;
  let device: mqtt.MqttClient;

  beforeAll(async () => {
    const archive = rasterPmtiles({ bounds: AREA, minZoom: 12, maxZoom: 15, tile: () => solidPng([214, 232, 214]) });
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'cityhub-pmtiles-')), 'jinan.pmtiles');
    await writeFile(file, archive);
    h = await startHub({
      MAP_BASEMAP: 'pmtiles',
      MAP_PMTILES_FILE: file,
      MAP_BASEMAP_CRS: 'gcj02',
      MAP_ATTRIBUTION: '© 测试底图',
    });
    device = await connectDevice(
      h.mqttUrl,
      await provisionDevice(h.base, ADMIN_TOKEN, { id: 'veh-gcj', kind: 'vehicle' }),
    );
    await device.publishAsync(
      'devices/veh-gcj/position',
      JSON.stringify({ time: new Date().toISOString(), ...VEHICLE, speedKmh: 0 }),
      { qos: 1 },
    );
  }, 180_000);

  afterAll(async () => {
    await closePages();
    await device?.endAsync(true);
    await h?.stop();
  });

  it('reads the file by range requests, draws positions shifted onto GCJ-02, and turns a click back into WGS-84', async () => {
    const { page, consoleErrors } = await newPage();
    const ranges: { status: number; range: string | null }[] = [];
    page.on('response', (r) => {
      if (r.url().endsWith('/api/map/basemap.pmtiles'))
        ranges.push({ status: r.status(), range: r.request().headers().range ?? null });
    });
    await page.goto(h.base);
    await page.waitForSelector('body[data-map-ready="true"]', { timeout: 30_000 });

    // WGS-84 in, GCJ-02 on screen: the marker sits where a GCJ-02 basemap has that place, ~500 m off the raw fix.
    const [gLon, gLat] = gcoord.transform([VEHICLE.lon, VEHICLE.lat], gcoord.WGS84, gcoord.GCJ02);
    const vehicle = await waitFor('the vehicle on the GCJ-02 basemap', async () =>
      (await renderedVehicles(page)).find((v) => v.deviceId === 'veh-gcj'),
    );
    expect(vehicle.coordinates[0]).toBeCloseTo(gLon, 5);
    expect(vehicle.coordinates[1]).toBeCloseTo(gLat, 5);
    expect(Math.abs(vehicle.coordinates[0] - VEHICLE.lon)).toBeGreaterThan(0.003);

    // The tiles came out of the file: range requests, answered 206, beyond the header into the tile data.
    await waitFor('the basemap tiles loaded', () => basemapLoaded(page, 'basemap'), 20_000);
    expect(ranges.length).toBeGreaterThan(1);
    expect(ranges.every((r) => r.status === 206 && r.range?.startsWith('bytes='))).toBe(true);
    expect(ranges.some((r) => Number(/bytes=(\d+)/.exec(r.range ?? '')?.[1]) > 127)).toBe(true);
    expect(await page.textContent('.maplibregl-ctrl-attrib')).toContain('© 测试底图');

    // A click on the marker: the device's details, and the place in WGS-84 again.
    await page.mouse.click(vehicle.x, vehicle.y);
    await page.waitForSelector('[data-testid="device-details"][data-device-id="veh-gcj"]');
    const clicked = await page.waitForSelector('[data-testid="click-position"]');
    expect(Number(await clicked.getAttribute('data-lon'))).toBeCloseTo(VEHICLE.lon, 4);
    expect(Number(await clicked.getAttribute('data-lat'))).toBeCloseTo(VEHICLE.lat, 4);

    await screenshot(page, 'map-basemap-pmtiles.png');
    expect(consoleErrors).toEqual([]);
  });
});

describe('an XYZ raster basemap from a tile server', () => {
  let h: TestHub;
  let tiles: http.Server;
  let tileBase: string;
  const tileRequests: string[] = [];

  beforeAll(async () => {
    const png = solidPng([222, 226, 240]);
    tiles = http.createServer((req, res) => {
      tileRequests.push(req.url ?? '');
      if (!/^\/vec\/\d+\/\d+\/\d+\.png$/.test(req.url ?? '')) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'image/png', 'access-control-allow-origin': '*' }).end(png);
    });
    await new Promise<void>((resolve) => tiles.listen(0, '127.0.0.1', resolve));
    tileBase = `http://127.0.0.1:${(tiles.address() as { port: number }).port}`;
    h = await startHub({
      MAP_BASEMAP: 'xyz',
      MAP_XYZ_URLS: `${tileBase}/vec/{z}/{x}/{y}.png`,
      MAP_XYZ_MAX_ZOOM: '16',
      MAP_CENTER: `${VEHICLE.lon},${VEHICLE.lat}`,
      MAP_ZOOM: '15',
    });
  }, 180_000);

  afterAll(async () => {
    await closePages();
    await h?.stop();
    tiles?.closeAllConnections();
    tiles?.close();
  });

  it('fetches the tiles of the view by z/x/y and draws them under our layers', async () => {
    const { page, consoleErrors } = await newPage();
    await page.goto(h.base);
    await waitFor('the XYZ tiles loaded', () => basemapLoaded(page, 'basemap-0'), 30_000);
    // The view opens where MAP_CENTER and MAP_ZOOM say: zoom-15 tiles around the old town.
    // MapLibre's zoom counts 512-pixel tiles: at map zoom 15 the view is made of 256-pixel tiles of zoom 16.
    const z16 = tileRequests
      .filter((u) => u.startsWith('/vec/16/'))
      .map((u) => u.slice('/vec/16/'.length, -'.png'.length).split('/').map(Number) as [number, number]);
    expect(z16.length).toBeGreaterThan(4);
    const x = Math.floor(((VEHICLE.lon + 180) / 360) * 2 ** 16);
    const rad = (VEHICLE.lat * Math.PI) / 180;
    const y = Math.floor(((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * 2 ** 16);
    expect(z16).toContainEqual([x, y]);
    expect(tileRequests.every((u) => /^\/vec\/\d+\/\d+\/\d+\.png$/.test(u))).toBe(true);
    await screenshot(page, 'map-basemap-xyz.png');
    expect(consoleErrors).toEqual([]);
  });
});
