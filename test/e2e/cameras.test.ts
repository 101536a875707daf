// Browser end to end for 视频点播 (issue 7): the built hub with video on, a camera pushing an H.264 test pattern over
// RTMP; headless Chromium logs in, sees the camera online on the map, clicks it and the HTTP-FLV stream plays in a
// <video> through mpegts.js; the snapshot button shows a JPEG; a revoked token brings the login form back; the marker
// turns offline and online again as the camera stops and resumes, pushed over socket.io (no reload, no polling).
import type { Browser, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openPage, screenshot, submitLogin } from '../support/browser.js';
import { renderedFeatures, waitRendered, type RenderedFeature } from '../support/map-page.js';
import { startTestHub, type ApiCall, type TestHub } from '../support/test-hub.js';
import { pushTestPattern, type Push } from '../support/rtsp-server.js';
import { waitFor } from '../support/wait.js';

const ADMIN_TOKEN = 'e2e-cameras-admin-token-0123456789';
const USERNAME = 'viewer';
const PASSWORD = 'viewer password 1';
const CAMERA = { id: 'cam-e2e', name: '泉城路口', lon: 117.0213, lat: 36.6628 };

let hub: TestHub;
let browser: Browser;
let page: Page;
let push: Push | undefined;
let base: string;
const pageErrors: string[] = [];

const call: ApiCall = (...args) => hub.call(...args);

interface RenderedCamera {
  id: string;
  status: string;
  /** Where the marker is on screen, in page pixels. */
  x: number;
  y: number;
}

const camera = (f: RenderedFeature): RenderedCamera => ({
  id: String(f.properties.id),
  status: String(f.properties.status),
  x: f.x,
  y: f.y,
});

/** The cameras MapLibre has drawn, with their on-screen position. */
const renderedCameras = async (p: Page): Promise<RenderedCamera[]> =>
  (await renderedFeatures(p, ['cameras'])).map(camera);

const waitForCamera = async (id: string, status: string): Promise<RenderedCamera> =>
  camera(
    await waitRendered(
      page,
      `${id} rendered as ${status}`,
      ['cameras'],
      (f) => f.properties.id === id && f.properties.status === status,
    ),
  );

const logIn = (password: string) => submitLogin(page, USERNAME, password);

interface VideoState {
  currentTime: number;
  videoWidth: number;
  videoHeight: number;
  mediaWidth: string | null;
  decodedFrames: string | null;
  state: string | null;
}

function videoState(p: Page): Promise<VideoState | null> {
  interface El {
    currentTime: number;
    videoWidth: number;
    videoHeight: number;
    dataset: Record<string, string | undefined>;
    querySelector(selector: string): El | null;
  }
  return p.evaluate(() => {
    const doc = (globalThis as unknown as { document: El }).document;
    const panel = doc.querySelector('section.player');
    const video = panel?.querySelector('video');
    if (!panel || !video) return null;
    return {
      currentTime: video.currentTime,
      videoWidth: video.videoWidth,
      videoHeight: video.videoHeight,
      mediaWidth: panel.dataset.mediaWidth ?? null,
      decodedFrames: panel.dataset.decodedFrames ?? null,
      state: panel.dataset.state ?? null,
    };
  });
}

beforeAll(async () => {
  hub = await startTestHub({ name: 'cameras', adminToken: ADMIN_TOKEN, video: true });
  base = hub.base;

  await call('POST', '/api/users', { username: USERNAME, name: '值班长', roles: ['shiftLeader'], password: PASSWORD });
  await call('POST', '/api/cameras', { ...CAMERA, source: 'rtmp', sampleIntervalMs: 1000, zones: [] });
  const key = await call('POST', `/api/cameras/${CAMERA.id}/publish-key`, { ttlS: 3600 });
  // Long enough for every test below; stopped in afterAll.
  push = pushTestPattern(key.url, 180);
  await waitFor(
    'the camera online',
    async () => (await call('GET', `/api/cameras/${CAMERA.id}`)).status === 'online',
    20_000,
  );

  browser = await launchBrowser();
  page = await openPage(browser, { width: 1280, height: 800 }, pageErrors);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await push?.stop();
  await hub?.stop();
});

describe('cameras on the supervision map', () => {
  it('shows no camera before login; after login the camera is on the map, online', async () => {
    await page.goto(base);
    await page.waitForSelector('body[data-map-ready="true"]', { timeout: 30_000 });
    // The camera list needs a token: nothing is drawn, and the map offers a login instead.
    expect(await renderedCameras(page)).toEqual([]);
    await page.click('button.login-button');

    await logIn('not the password');
    await expect(page.waitForSelector('form[aria-label="登录"] [role="alert"]')).resolves.toBeTruthy();
    expect(await page.textContent('form[aria-label="登录"] [role="alert"]')).toContain('wrong username or password');

    await logIn(PASSWORD);
    await page.waitForSelector('form[aria-label="登录"]', { state: 'detached' });
    const camera = await waitForCamera(CAMERA.id, 'online');
    // On screen, inside the 1280×800 viewport.
    expect(camera.x).toBeGreaterThan(0);
    expect(camera.x).toBeLessThan(1280);
    expect(camera.y).toBeGreaterThan(0);
    expect(camera.y).toBeLessThan(800);
  }, 60_000);

  it('clicking the online camera plays its live H.264 stream; snapshot shows a JPEG; close removes the player', async () => {
    const supported = await page.evaluate(() =>
      (
        globalThis as unknown as { MediaSource: { isTypeSupported(type: string): boolean } }
      ).MediaSource.isTypeSupported('video/mp4; codecs="avc1.42E01E"'),
    );
    // Debian's Chromium is built with the proprietary codecs; if a build without them is used this says why it fails.
    expect(supported, 'this Chromium cannot decode H.264 through MSE').toBe(true);

    const camera = await waitForCamera(CAMERA.id, 'online');
    await page.mouse.click(camera.x, camera.y);
    await page.waitForSelector(`section.player[data-camera-id="${CAMERA.id}"]`);

    let state: VideoState | null = null;
    await waitFor(
      'the video playing',
      async () => {
        state = await videoState(page);
        return state !== null && state.currentTime > 0 && state.videoWidth > 0;
      },
      20_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; last video state: ${JSON.stringify(state)}`);
    });
    const first = (await videoState(page))!;
    expect(first).toMatchObject({ videoWidth: 320, videoHeight: 240, mediaWidth: '320', state: 'playing' });
    // It keeps going (a live stream, not one decoded frame).
    await page.waitForTimeout(1500);
    const later = (await videoState(page))!;
    expect(later.currentTime).toBeGreaterThan(first.currentTime);

    await page.click('section.player button.snapshot');
    await page.waitForSelector('section.player img.snapshot-image');
    const image = await page.evaluate(() => {
      const img = (
        globalThis as unknown as {
          document: { querySelector(s: string): { naturalWidth: number; src: string; complete: boolean } | null };
        }
      ).document.querySelector('section.player img.snapshot-image');
      return img && { naturalWidth: img.naturalWidth, blob: img.src.startsWith('blob:'), complete: img.complete };
    });
    expect(image).toEqual({ naturalWidth: 320, blob: true, complete: true });

    await screenshot(page, 'map-camera-player.png');

    // Closing destroys the player, which aborts the endless HTTP-FLV request (the media server's viewer goes away).
    const streamEnded = page.waitForEvent('requestfailed', {
      predicate: (request) => new URL(request.url()).pathname === `/live/${CAMERA.id}.flv`,
      timeout: 5_000,
    });
    await page.click('section.player button.close');
    await page.waitForSelector('section.player', { state: 'detached' });
    await streamEnded;
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('keeps the login over a reload; a revoked token brings the login form back, then the camera plays', async () => {
    await page.reload();
    await page.waitForSelector('body[data-map-ready="true"]', { timeout: 30_000 });
    const camera = await waitForCamera(CAMERA.id, 'online');
    expect(await page.$('button.login-button')).toBeNull();

    // The session ends on the hub (as when it expires or an admin disables the user); the page still has the token.
    const token = await page.evaluate(() => {
      const storage = (globalThis as unknown as { sessionStorage: { getItem(key: string): string | null } })
        .sessionStorage;
      return (JSON.parse(storage.getItem('cityhub.session') ?? '{}') as { token?: string }).token;
    });
    expect(token).toBeTruthy();
    await call('POST', '/api/auth/logout', undefined, token);

    await page.mouse.click(camera.x, camera.y);
    await page.waitForSelector('form[aria-label="登录"]');
    await logIn(PASSWORD);
    // The camera the user clicked opens once logged in again.
    await page.waitForSelector(`section.player[data-camera-id="${CAMERA.id}"][data-state="playing"]`, {
      timeout: 20_000,
    });
    await page.click('section.player button.close');
    await page.waitForSelector('section.player', { state: 'detached' });
  }, 60_000);

  it('the marker follows the camera going offline and online again, pushed live: no reload, no list polling', async () => {
    await waitForCamera(CAMERA.id, 'online');
    const listRequests: string[] = [];
    const onRequest = (request: Request) => {
      if (new URL(request.url()).pathname === '/api/cameras') listRequests.push(request.url());
    };
    page.on('request', onRequest);
    // A mark on this document: a reload would lose it.
    await page.evaluate(() => ((globalThis as { __sameDocument?: boolean }).__sameDocument = true));
    try {
      await push!.stop();
      // Offline once the media server's reconnect grace (5 s) is over; the status reaches the page by itself.
      await waitForCamera(CAMERA.id, 'offline');
      const key = await call('POST', `/api/cameras/${CAMERA.id}/publish-key`, { ttlS: 3600 });
      push = pushTestPattern(key.url, 120);
      await waitForCamera(CAMERA.id, 'online');
      expect(listRequests).toEqual([]);
      expect(await page.evaluate(() => (globalThis as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
      expect(pageErrors).toEqual([]);
    } finally {
      page.off('request', onRequest);
    }
  }, 60_000);
});
