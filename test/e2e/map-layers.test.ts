// Browser end to end for the supervision map (监督指挥, issue 8) on a 1920×1080 command-centre screen: the built hub
// serves the web app to headless Chromium on its offline basemap (no request leaves the hub). Vehicles, collectors and
// sensors publish over MQTT; a case is reported and a candidate raised through the API. Every layer shows its features
// (queryRenderedFeatures) and hides them from the layer panel; the case appears live coloured by its traffic light and
// turns red in the browser when its clock runs out; a click on the vehicle shows its track, and playback moves the
// marker along it as the slider moves; after a login, the collectors (people: test/e2e/map-privacy.test.ts) appear, the
// case shows its timeline and the grid its streets and cells.
import mqtt from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openPage, screenshot as saveScreenshot } from '../support/browser.js';
import { migratedTestDatabase } from '../support/database.js';
import { connectDevice, provisionDevice } from '../support/devices.js';
import { renderedFeatures, waitRendered as waitRenderedOn, type RenderedFeature } from '../support/map-page.js';
import { startTestHub, type ApiCall, type TestHub } from '../support/test-hub.js';
import { waitFor } from '../support/wait.js';

const ADMIN_TOKEN = 'e2e-map-layers-admin-token-0123456789';
const PASSWORD = 'a long enough password';
// verify-and-file within 20 s of continuous time: a reported case is green, then red in the browser after 20 s.
const VERIFY_LIMIT_URGENT_HOURS = 20 / 3600;

// WGS-84, all in view around the default centre (117.02, 36.665) and clear of the side panels.
const VEHICLE_END = { lon: 117.02, lat: 36.665 };
const COLLECTOR = { lon: 117.026, lat: 36.66 };
const SENSOR = { lon: 117.014, lat: 36.66 };
const CASE_SPOT = { lon: 117.03, lat: 36.669 };
const CANDIDATE_SPOT = { lon: 117.008, lat: 36.669 };

let hub: TestHub;
let browser: Browser;
let page: Page;
let base: string;
let acceptorToken: string;
const clients: mqtt.MqttClient[] = [];
const requests: string[] = [];
const pageErrors: string[] = [];
/** The vehicle's fixes: 6, a minute apart, driving east to VEHICLE_END; the last one 30 s ago. */
const fixes: { timeMs: number; lon: number; lat: number }[] = [];
let caseId: string;
let caseNumber: string;

const call: ApiCall = (...args) => hub.call(...args);

type Rendered = RenderedFeature;
const rendered = (layers: string[]) => renderedFeatures(page, layers);
const waitRendered = (what: string, layers: string[], match: (f: Rendered) => boolean, timeoutMs?: number) =>
  waitRenderedOn(page, what, layers, match, timeoutMs);

const near = (f: Rendered, p: { lon: number; lat: number }, tolerance = 1e-5) =>
  Math.abs(f.coordinates[0] - p.lon) < tolerance && Math.abs(f.coordinates[1] - p.lat) < tolerance;

/** `#rrggbb` as MapLibre prints an evaluated colour. */
function rgba(hex: string): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${n >> 16},${(n >> 8) & 255},${n & 255},1)`;
}

const screenshot = (name: string) => saveScreenshot(page, name);

async function setSlider(valueMs: number): Promise<void> {
  await page.evaluate((v) => {
    interface Input {
      value: string;
      dispatchEvent(event: unknown): boolean;
    }
    const g = globalThis as unknown as {
      document: { querySelector(s: string): Input | null };
      Event: new (type: string, init: { bubbles: boolean }) => unknown;
    };
    const slider = g.document.querySelector('[data-testid="playback-slider"]')!;
    slider.value = String(v);
    slider.dispatchEvent(new g.Event('input', { bubbles: true }));
  }, valueMs);
}

beforeAll(async () => {
  const db = await migratedTestDatabase();
  await db.pool.query(`INSERT INTO step_limits (step, value, unit) VALUES ('verifyAndFile', $1, 'urgentHours')`, [
    VERIFY_LIMIT_URGENT_HOURS,
  ]);
  hub = await startTestHub({ name: 'map-layers', adminToken: ADMIN_TOKEN, db, env: { LIVE_PUSH_INTERVAL_MS: '100' } });
  base = hub.base;
  await call('POST', '/api/geo/demo-grid');
  for (const [username, roles] of [
    ['leader1', ['shiftLeader']],
    ['acceptor1', ['acceptor']],
  ] as const) {
    await call('POST', '/api/users', { username, name: username, roles, password: PASSWORD });
  }
  acceptorToken = (await call('POST', '/api/auth/login', { username: 'acceptor1', password: PASSWORD }, '')).token;

  const mqttUrl = hub.mqttUrl;
  const connect = async (id: string, kind: string, attributes: Record<string, unknown> = {}) => {
    const client = await connectDevice(mqttUrl, await provisionDevice(base, ADMIN_TOKEN, { id, kind, attributes }));
    clients.push(client);
    return client;
  };
  const truck = await connect('muck-e2e', 'vehicle', { vehicleKind: 'muck' });
  const collector = await connect('col-e2e', 'collector');
  const sensor = await connect('sen-e2e', 'sensor');
  const lastMs = Date.now() - 30_000;
  for (let i = 0; i < 6; i++) {
    fixes.push({ timeMs: lastMs - (5 - i) * 60_000, lon: VEHICLE_END.lon - (5 - i) * 0.002, lat: VEHICLE_END.lat });
  }
  await truck.publishAsync(
    'devices/muck-e2e/positions',
    JSON.stringify({
      positions: fixes.map((f) => ({
        time: new Date(f.timeMs).toISOString(),
        lon: f.lon,
        lat: f.lat,
        speedKmh: 8,
        course: 90,
      })),
    }),
    { qos: 1 },
  );
  const now = new Date(lastMs).toISOString();
  await collector.publishAsync('devices/col-e2e/position', JSON.stringify({ time: now, ...COLLECTOR }), { qos: 1 });
  await sensor.publishAsync('devices/sen-e2e/position', JSON.stringify({ time: now, ...SENSOR }), { qos: 1 });

  browser = await launchBrowser();
  page = await openPage(browser, { width: 1920, height: 1080 }, pageErrors);
  page.on('request', (r) => requests.push(r.url()));
}, 180_000);

afterAll(async () => {
  await browser?.close();
  for (const c of clients) await c.endAsync(true);
  await hub?.stop();
});

describe('the supervision map on a command-centre screen', () => {
  it('shows vehicles and sensors in their layers, each hidden and shown from the layer panel', async () => {
    await page.goto(base);
    await page.waitForSelector('body[data-map-ready="true"]', { timeout: 30_000 });
    const truck = await waitRendered('the muck truck', ['vehicles'], (f) => near(f, VEHICLE_END));
    expect(truck.properties).toMatchObject({ deviceId: 'muck-e2e', vehicleKind: 'muck', stale: false, offline: false });
    expect(truck.color).toBe(rgba('#8d5524')); // a muck truck's colour
    await waitRendered('the sensor', ['sensors'], (f) => near(f, SENSOR) && f.properties.deviceId === 'sen-e2e');
    // Moving with a course: the heading arrow is drawn over the marker.
    await waitRendered('the heading arrow', ['vehicles-heading'], (f) => f.properties.deviceId === 'muck-e2e');
    expect(await page.textContent('[data-testid="layer-count-vehicles"]')).toBe('1');

    // Collectors are people: not before a login.
    expect(await rendered(['collectors'])).toEqual([]);
    for (const layer of ['vehicles', 'sensors']) {
      await page.click(`[data-testid="layer-toggle-${layer}"]`);
      await waitFor(`${layer} hidden`, async () => (await rendered([layer])).length === 0, 5_000);
      await page.click(`[data-testid="layer-toggle-${layer}"]`);
      await waitRendered(`${layer} shown again`, [layer], () => true, 5_000);
    }
    await screenshot('map-layers.png');
  });

  it('draws a case reported through the API live in its traffic-light colour, and turns it red when its clock runs out', async () => {
    const reported = await call(
      'POST',
      '/api/cases',
      {
        source: 'hotline',
        classCode: 'event:0101',
        ...CASE_SPOT,
        description: '人行道积水',
      },
      acceptorToken,
    );
    caseId = reported.id;
    caseNumber = reported.number;
    const green = await waitRendered('the case, green', ['cases'], (f) => f.properties.id === caseId);
    expect(green.properties).toMatchObject({ number: caseNumber, state: 'reported', light: 'green' });
    expect(green.color).toBe(rgba('#2f9e44'));
    expect(near(green, CASE_SPOT)).toBe(true);
    await page.waitForSelector(`[data-testid="case-count"]:text("1")`);
    await screenshot('map-case-green.png');

    // The hub sent the instant the verify-and-file clock runs out; the browser recolours the case by itself.
    const redAt = Date.parse(reported.reportedAt) + VERIFY_LIMIT_URGENT_HOURS * 3_600_000;
    const red = await waitRendered(
      'the case, red',
      ['cases'],
      (f) => f.properties.id === caseId && f.properties.light === 'red',
      40_000,
    );
    expect(Date.now()).toBeGreaterThan(redAt);
    expect(red.color).toBe(rgba('#e03131'));

    await page.click('[data-testid="layer-toggle-cases"]');
    await waitFor('cases hidden', async () => (await rendered(['cases'])).length === 0, 5_000);
    await page.click('[data-testid="layer-toggle-cases"]');
    await waitRendered('cases shown again', ['cases'], (f) => f.properties.id === caseId, 5_000);
  }, 90_000);

  it('draws a candidate raised by a detector, toggleable', async () => {
    const candidate = await call('POST', '/api/candidates', {
      detectorId: 'camera-ai-1',
      clientKey: 'e2e-frame-1',
      classCode: 'event:0101',
      ...CANDIDATE_SPOT,
      observedAt: new Date().toISOString(),
      description: '疑似占道经营',
      evidence: {},
    });
    const shown = await waitRendered('the candidate', ['candidates'], (f) => f.properties.id === candidate.id);
    expect(near(shown, CANDIDATE_SPOT)).toBe(true);
    await page.click('[data-testid="layer-toggle-candidates"]');
    await waitFor('candidates hidden', async () => (await rendered(['candidates'])).length === 0, 5_000);
    await page.click('[data-testid="layer-toggle-candidates"]');
    await waitRendered('candidates shown again', ['candidates'], (f) => f.properties.id === candidate.id, 5_000);
  });

  it('shows a clicked vehicle’s details and today’s track', async () => {
    const truck = await waitRendered('the muck truck', ['vehicles'], (f) => near(f, VEHICLE_END));
    await page.mouse.click(truck.x, truck.y);
    await page.waitForSelector('[data-testid="device-details"][data-device-id="muck-e2e"]');
    await page.waitForSelector('[data-testid="track-summary"][data-points="6"]');
    const points = await waitFor('the track’s fixes drawn', async () => {
      const drawn = await rendered(['track-points']);
      return drawn.length === 6 ? drawn : null;
    });
    for (const f of fixes) expect(points.some((p) => near(p, f))).toBe(true);
    expect(
      (await page.evaluate(() => {
        const map = (globalThis as { __cityhubMap?: { queryRenderedFeatures(o: { layers: string[] }): unknown[] } })
          .__cityhubMap;
        return map?.queryRenderedFeatures({ layers: ['track-line'] }).length ?? 0;
      })) > 0,
    ).toBe(true);
    await screenshot('map-vehicle-track.png');
  });

  it('plays the track back: the marker follows the slider along the track', async () => {
    await page.click('[data-testid="open-playback"]');
    expect(await page.inputValue('[data-testid="playback-device"]')).toBe('muck-e2e');
    await page.click('[data-testid="playback-load"]');
    await page.waitForSelector('[data-testid="playback-summary"][data-points="6"]');

    // Halfway between the 2nd and 3rd fix, the marker is halfway between them.
    const a = fixes[1]!;
    const b = fixes[2]!;
    await setSlider((a.timeMs + b.timeMs) / 2);
    const halfway = { lon: (a.lon + b.lon) / 2, lat: a.lat };
    const m1 = await waitRendered('the marker halfway', ['track-marker'], (f) => near(f, halfway));
    expect(m1.properties.index).toBe(1);
    await screenshot('map-playback.png');

    // Dragging on moves it on: at the 5th fix exactly.
    await setSlider(fixes[4]!.timeMs);
    const m2 = await waitRendered('the marker at the 5th fix', ['track-marker'], (f) => near(f, fixes[4]!));
    expect(m2.x).toBeGreaterThan(m1.x); // east, on screen too

    // Playing moves it along by itself, towards the end of the track.
    await setSlider(fixes[0]!.timeMs);
    await waitRendered('the marker at the start', ['track-marker'], (f) => near(f, fixes[0]!));
    await page.click('[data-testid="playback-play"]');
    await waitRendered(
      'the marker moving east',
      ['track-marker'],
      (f) => f.coordinates[0] > fixes[0]!.lon + 0.001,
      10_000,
    );
    const time = Number(await page.getAttribute('[data-testid="playback-time"]', 'data-time-ms'));
    expect(time).toBeGreaterThan(fixes[0]!.timeMs);
  });

  it('shows a case’s timeline after a login, in Chinese and in English', async () => {
    const marker = await waitRendered('the case', ['cases'], (f) => f.properties.id === caseId);
    await page.mouse.click(marker.x, marker.y);
    await page.waitForSelector(`[data-testid="case-details"][data-case-id="${caseId}"]`);
    // Case details need a login: the panel asks for one and the login form opens.
    await page.click('[data-testid="case-details"] button.login');
    await page.fill('form[aria-label="登录"] input[name="username"]', 'leader1');
    await page.fill('form[aria-label="登录"] input[name="password"]', PASSWORD);
    await page.click('form[aria-label="登录"] button[type="submit"]');
    await page.waitForSelector('[data-testid="case-state"]', { timeout: 15_000 });
    expect(await page.textContent('[data-testid="case-state"]')).toContain('已上报');
    const details = await page.textContent('[data-testid="case-details"]');
    expect(details).toContain(caseNumber);
    expect(details).toContain('人行道积水');
    expect(details).toContain('acceptor1'); // who reported it, from the audit log
    await screenshot('map-case-timeline.png');

    // A shift leader may see the collectors: the feed reconnected with the session, and they are drawn and toggleable.
    await waitRendered(
      'the collector',
      ['collectors'],
      (f) => near(f, COLLECTOR) && f.properties.deviceId === 'col-e2e',
    );
    await page.click('[data-testid="layer-toggle-collectors"]');
    await waitFor('collectors hidden', async () => (await rendered(['collectors'])).length === 0, 5_000);
    await page.click('[data-testid="layer-toggle-collectors"]');
    await waitRendered('collectors shown again', ['collectors'], () => true, 5_000);

    await page.click('[data-testid="locale-switch"]');
    await page.waitForFunction(() => {
      const doc = (globalThis as { document?: { querySelector(s: string): { textContent: string | null } | null } })
        .document;
      return doc?.querySelector('[data-testid="case-state"]')?.textContent?.includes('Reported') ?? false;
    });
    expect(await page.textContent('[data-testid="layer-toggle-vehicles"] + span')).toBe('Vehicles');
    await page.click('[data-testid="locale-switch"]');
  });

  it('shows the grid’s streets, communities and cells once logged in', async () => {
    for (const layer of ['streets', 'communities', 'cells']) await page.click(`[data-testid="layer-toggle-${layer}"]`);
    for (const level of ['street', 'community', 'cell']) {
      await waitFor(`${level} areas drawn`, async () => {
        const n = await page.evaluate((id) => {
          const map = (globalThis as { __cityhubMap?: { queryRenderedFeatures(o: { layers: string[] }): unknown[] } })
            .__cityhubMap;
          return map?.queryRenderedFeatures({ layers: [id] }).length ?? 0;
        }, `areas-${level}-line`);
        return n > 0;
      });
    }
    await screenshot('map-grid.png');
    for (const layer of ['streets', 'communities', 'cells']) await page.click(`[data-testid="layer-toggle-${layer}"]`);
  });

  it('asked nothing of any server but the hub, and raised no page error', () => {
    const foreign = requests.filter(
      (url) => !url.startsWith(base) && !url.startsWith('data:') && !url.startsWith('blob:'),
    );
    expect(foreign).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
