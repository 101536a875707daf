// Browser end to end for 视频监控 (issue 8): the built hub with video on; ffmpeg publishes over RTMP, with the camera's
// signed key, a clip in which a car pulls into a no-parking zone (OpenCV's sample photo of a car, Debian opencv-doc,
// after an empty grey picture: the cut wakes the motion gate). The hub's real detector raises a video candidate with
// its snapshot. Headless Chromium at 1920×1080: a leader's wall plays the live camera in its tile beside offline ones,
// pages through the cameras and lists the candidate with its snapshot but no buttons; an acceptor accepts it there; a
// camera starting and stopping to publish turns its tile online and offline, pushed over the page's one socket.io
// connection (no reload, no camera list polling).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page, Request, WebSocket } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, logIn as logInAs, openPage, screenshot } from '../support/browser.js';
import { startTestHub, type ApiCall, type TestHub } from '../support/test-hub.js';
import { pushTestPattern, type Push } from '../support/rtsp-server.js';
import { waitFor } from '../support/wait.js';

const ADMIN_TOKEN = 'e2e-video-wall-admin-token-0123456789';
const LEADER = { username: 'leader1', password: 'leader password 1' };
const ACCEPTOR = { username: 'acceptor1', password: 'acceptor password 1' };
const CAR_PHOTO = '/usr/share/doc/opencv-doc/examples/data/licenseplate_motion.jpg';
const LIVE = { id: 'cam-wall-1', name: '泉城路口（直播）' };
/** Registered but never publishing: offline tiles. */
const OFFLINE = ['cam-wall-2', 'cam-wall-3', 'cam-wall-4', 'cam-wall-5'];

let hub: TestHub;
let browser: Browser;
let page: Page;
let publisher: ChildProcess | undefined;
let push: Push | undefined;
let base: string;
const pageErrors: string[] = [];
/** The WebSocket connections the page opened (socket.io upgrades its connection to one). */
const webSockets: WebSocket[] = [];

const call: ApiCall = (...args) => hub.call(...args);
const logIn = (user: { username: string; password: string }) => logInAs(page, user);

/** 320×240 at 5 fps: 3 s of grey, then the car standing for 25 s; a key frame every second. */
function makeCarClip(file: string): void {
  execFileSync('ffmpeg', [
    ...['-v', 'error', '-y'],
    ...['-f', 'lavfi', '-i', 'color=c=gray:s=320x240:r=5:d=3'],
    ...['-loop', '1', '-framerate', '5', '-t', '25', '-i', CAR_PHOTO],
    '-filter_complex',
    '[1:v]scale=320:240,setsar=1,format=yuv420p[car];[0:v]format=yuv420p[g];[g][car]concat=n=2:v=1[v]',
    ...['-map', '[v]'],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '5', '-pix_fmt', 'yuv420p', '-f', 'flv', file],
  ]);
}

interface TileVideo {
  currentTime: number;
  videoWidth: number;
}

function tileVideo(p: Page, cameraId: string): Promise<TileVideo | null> {
  // Runs in the page; typed by the little of the DOM it uses (this file has no DOM types).
  interface Doc {
    querySelector(selector: string): TileVideo | null;
  }
  return p.evaluate((id) => {
    const doc = (globalThis as unknown as { document: Doc }).document;
    const video = doc.querySelector(`[data-testid="wall-tile"][data-camera-id="${id}"] video`);
    return video ? { currentTime: video.currentTime, videoWidth: video.videoWidth } : null;
  }, cameraId);
}

const tileIds = (p: Page) =>
  p.$$eval('[data-testid="wall-tile"]', (tiles) => tiles.map((t) => t.getAttribute('data-camera-id')));

const tileCount = (n: number) =>
  page.waitForFunction(`document.querySelectorAll('[data-testid="wall-tile"]').length === ${n}`);
const naturalWidth = (img: unknown) => (img as { naturalWidth: number }).naturalWidth;

beforeAll(async () => {
  expect(existsSync(CAR_PHOTO), `${CAR_PHOTO} (Debian package opencv-doc) is needed`).toBe(true);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cityhub-e2e-video-wall-'));
  const clip = path.join(dir, 'car.flv');
  makeCarClip(clip);
  hub = await startTestHub({ name: 'video-wall', adminToken: ADMIN_TOKEN, video: true });
  base = hub.base;

  await call('POST', '/api/users', { ...LEADER, name: '领导甲', roles: ['leader'] });
  await call('POST', '/api/users', { ...ACCEPTOR, name: '受理员甲', roles: ['acceptor'] });
  await call('POST', '/api/cameras', {
    ...LIVE,
    lon: 117.0213,
    lat: 36.6628,
    source: 'rtmp',
    sampleIntervalMs: 500,
    zones: [
      {
        id: 'kerb',
        name: '禁停路段',
        kind: 'noParking',
        polygon: [
          [0.25, 0.6],
          [0.75, 0.6],
          [0.75, 1],
          [0.25, 1],
        ],
        classRef: 'event:0406',
        maxStationaryS: 2,
        minScore: 0.3,
      },
    ],
  });
  for (const [i, id] of OFFLINE.entries()) {
    await call('POST', '/api/cameras', { id, name: `离线路口 ${i + 2}`, lon: 117.02, lat: 36.66, source: 'rtmp' });
  }
  // A candidate from another detector: not the wall's.
  await call('POST', '/api/candidates', {
    detectorId: 'sensor-gateway',
    clientKey: 'fill-1',
    classCode: 'event:0102',
    lon: 117.02,
    lat: 36.66,
    observedAt: new Date().toISOString(),
    description: '垃圾桶满溢',
    evidence: {},
  });

  const key = await call('POST', `/api/cameras/${LIVE.id}/publish-key`, { ttlS: 3600 });
  // The clip over and over, at its own pace, as a camera would stream; stopped by its handle in afterAll.
  publisher = spawn(
    'ffmpeg',
    ['-nostdin', '-v', 'error', '-re', '-stream_loop', '-1', '-i', clip, '-c', 'copy', '-f', 'flv', key.url],
    { stdio: 'ignore' },
  );
  await waitFor(
    'the camera online',
    async () => (await call('GET', `/api/cameras/${LIVE.id}`)).status === 'online',
    20_000,
  );

  browser = await launchBrowser();
  page = await openPage(browser, { width: 1920, height: 1080 }, pageErrors);
  page.on('websocket', (ws) => webSockets.push(ws));
}, 240_000);

afterAll(async () => {
  await browser?.close();
  if (publisher && publisher.exitCode === null && publisher.signalCode === null) {
    const exited = new Promise((resolve) => publisher!.once('exit', resolve));
    publisher.kill('SIGTERM');
    await exited;
  }
  await push?.stop();
  await hub?.stop();
});

describe('the video wall', () => {
  it('plays the live camera in its tile beside the offline ones, within the player cap, page by page', async () => {
    await page.goto(`${base}/video`);
    await page.waitForSelector('form[aria-label="登录"]');
    await logIn(LEADER);
    await page.waitForSelector(`[data-testid="wall-tile"][data-camera-id="${LIVE.id}"][data-playing="true"]`);
    expect(await tileIds(page)).toEqual([LIVE.id, ...OFFLINE.slice(0, 3)]);
    expect(await page.getAttribute(`[data-testid="wall-tile"][data-camera-id="${OFFLINE[0]}"]`, 'data-playing')).toBe(
      'false',
    );
    expect(await page.textContent(`[data-testid="wall-tile"][data-camera-id="${OFFLINE[0]}"]`)).toContain('离线');

    let state: TileVideo | null = null;
    await waitFor(
      'the live tile playing',
      async () => {
        state = await tileVideo(page, LIVE.id);
        return state !== null && state.currentTime > 0 && state.videoWidth === 320;
      },
      30_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; last video state: ${JSON.stringify(state)}`);
    });
    const first = (await tileVideo(page, LIVE.id))!;
    await page.waitForTimeout(1500);
    expect((await tileVideo(page, LIVE.id))!.currentTime).toBeGreaterThan(first.currentTime);
    expect(await page.textContent('[data-testid="wall-players"]')).toContain('播放中 1/4 路');
    // Only the live camera has a player: no stream is opened for an offline one.
    expect(await page.$$eval('[data-testid="wall-tile"] video', (videos) => videos.length)).toBe(1);

    await page.click('[data-testid="wall-next"]');
    await tileCount(1);
    expect(await tileIds(page)).toEqual([OFFLINE[3]]);
    expect(await page.textContent('[data-testid="wall-page"]')).toContain('第 2/2 页');

    await page.click('[data-testid="grid-3"]');
    await tileCount(5);
    const tile = `[data-testid="wall-tile"][data-camera-id="${LIVE.id}"]`;
    await page.waitForSelector(`${tile} section.player[data-state="playing"]`, { timeout: 20_000 });

    // The operator stops a tile's player (its stream connection closes) and starts it again.
    const streamEnded = page.waitForEvent('requestfailed', {
      predicate: (request) => new URL(request.url()).pathname === `/live/${LIVE.id}.flv`,
      timeout: 5_000,
    });
    await page.click(`${tile} section.player button.close`);
    await page.waitForSelector(`${tile}[data-playing="false"]`);
    await streamEnded;
    expect(await page.textContent(tile)).toContain('已停止播放');
    await page.click(`${tile} [data-testid="tile-play"]`);
    await page.waitForSelector(`${tile} section.player[data-state="playing"]`, { timeout: 20_000 });
  }, 90_000);

  it('lists the candidate the camera raised, with its snapshot, and no decision buttons for a leader', async () => {
    const raised = await waitFor(
      'a candidate from the camera',
      async () => {
        const list = await call('GET', `/api/candidates?detector=${encodeURIComponent(`video:${LIVE.id}:`)}`);
        return list.items[0] ?? null;
      },
      90_000,
      1000,
    );
    expect(raised).toMatchObject({
      detectorId: `video:${LIVE.id}:kerb`,
      ruleKind: 'video-no-parking',
      status: 'pending',
    });

    const card = `[data-testid="video-candidate"][data-candidate-id="${raised.id}"]`;
    await page.waitForSelector(card, { timeout: 15_000 });
    const snapshot = `${card} [data-testid="candidate-snapshot"]`;
    await page.waitForFunction(
      `(() => { const img = document.querySelector(${JSON.stringify(snapshot)}); ` +
        'return img !== null && img.complete && img.naturalWidth > 0; })()',
    );
    // The stored evidence JPEG (the hub samples frames at its own width), read through /api/media with the token.
    const media = await fetch(`${base}/api/media/${raised.evidence.snapshot.mediaId}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(media.headers.get('content-type')).toBe('image/jpeg');
    expect(await page.$eval(snapshot, naturalWidth)).toBeGreaterThanOrEqual(320);
    expect(await page.getAttribute(snapshot, 'src')).toMatch(/^blob:/);
    const cardText = (await page.textContent(card)) ?? '';
    expect(cardText).toContain(LIVE.name);
    expect(cardText).toContain('禁停');
    expect(cardText).toContain('kerb');
    // The other detector's candidate is not the wall's.
    expect(await page.textContent('[data-testid="video-candidates"]')).not.toContain('垃圾桶满溢');
    expect(await page.$(`${card} [data-testid="candidate-accept"]`)).toBeNull();
    // The live tile is still playing beside the list.
    const before = (await tileVideo(page, LIVE.id))!;
    await page.waitForTimeout(1000);
    const after = (await tileVideo(page, LIVE.id))!;
    expect(after.currentTime, JSON.stringify({ before, after })).toBeGreaterThan(before.currentTime);
    await screenshot(page, 'video-wall.png');
  }, 120_000);

  it('an acceptor accepts the candidate on the wall: it becomes a detector case', async () => {
    await page.click('nav.app-nav button:has-text("退出")');
    await page.waitForSelector('form[aria-label="登录"]');
    await logIn(ACCEPTOR);
    const [candidate] = (await call('GET', `/api/candidates?detector=video:&status=pending`)).items;
    const card = `[data-testid="video-candidate"][data-candidate-id="${candidate.id}"]`;
    await page.waitForSelector(`${card} [data-testid="candidate-accept"]`, { timeout: 15_000 });
    await page.click(`${card} [data-testid="candidate-accept"]`);
    await page.waitForSelector(card, { state: 'detached', timeout: 15_000 });

    const decided = (await call('GET', `/api/candidates?detector=video:&status=accepted`)).items.find(
      (c: { id: string }) => c.id === candidate.id,
    );
    expect(decided).toMatchObject({ status: 'accepted', caseId: expect.any(String) });
    const created = await call('GET', `/api/cases/${decided.caseId}`);
    expect(created).toMatchObject({ source: 'detector', classCode: '0406' });

    await page.selectOption('[data-testid="candidate-status"]', 'accepted');
    await page.waitForSelector(`${card}[data-status="accepted"]`);
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('a camera starting and stopping to publish turns its tile online and offline, pushed live: no reload, no polling', async () => {
    const [camera] = OFFLINE;
    const tile = `[data-testid="wall-tile"][data-camera-id="${camera}"]`;
    await page.click('[data-testid="grid-3"]');
    await page.waitForSelector(`${tile}[data-status="offline"]`);
    const listRequests: string[] = [];
    const livePlayRequests: string[] = [];
    const onRequest = (request: Request) => {
      const { pathname } = new URL(request.url());
      if (pathname === '/api/cameras') listRequests.push(request.url());
      if (pathname === `/api/cameras/${LIVE.id}/play`) livePlayRequests.push(request.url());
    };
    page.on('request', onRequest);
    // A mark on this document: a reload would lose it.
    await page.evaluate(() => ((globalThis as { __sameDocument?: boolean }).__sameDocument = true));
    const liveFrameAt = (await call('GET', `/api/cameras/${LIVE.id}`)).lastFrameAt as string;
    try {
      await page.waitForSelector(`[data-testid="wall-tile"][data-camera-id="${LIVE.id}"] section.player`);
      const key = await call('POST', `/api/cameras/${camera}/publish-key`, { ttlS: 3600 });
      push = pushTestPattern(key.url, 120);
      // Online, and within the player cap: the wall starts playing it by itself.
      await page.waitForSelector(`${tile}[data-status="online"][data-playing="true"]`, { timeout: 20_000 });
      expect(await page.textContent(`${tile} [data-testid="tile-status"]`)).toBe('在线');
      expect(await page.textContent('[data-testid="wall-online"]')).toContain('2/5 路在线');

      await push.stop();
      // Offline once the media server's reconnect grace (5 s) is over; the tile drops its player.
      await page.waitForSelector(`${tile}[data-status="offline"][data-playing="false"]`, { timeout: 20_000 });
      expect(await page.textContent(`${tile} [data-testid="tile-status"]`)).toBe('离线');
      expect(await page.textContent('[data-testid="wall-online"]')).toContain('1/5 路在线');

      // The live camera's newest frame time (stored every 10 s) reaches the page too, and its player plays on: the
      // tile's camera changed, the camera shown did not.
      await waitFor(
        'a newer frame time of the live camera',
        async () => (await call('GET', `/api/cameras/${LIVE.id}`)).lastFrameAt !== liveFrameAt,
        20_000,
        500,
      );
      await page.waitForTimeout(1500);
      expect(livePlayRequests).toEqual([]);

      expect(listRequests).toEqual([]);
      expect(await page.evaluate(() => (globalThis as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
      // Camera status and candidates share the page's one live connection; a login or logout replaced it (the hub
      // reads the session at the handshake) and closed the one before.
      const live = webSockets.filter((ws) => new URL(ws.url()).pathname === '/socket.io/');
      expect(live.filter((ws) => !ws.isClosed())).toHaveLength(1);
      expect(pageErrors).toEqual([]);
    } finally {
      page.off('request', onRequest);
    }
  }, 60_000);
});
