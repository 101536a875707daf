// Browser end to end for 系统管理 (issue 8): the built hub with video on and a camera pushing a test pattern; headless
// Chromium at 1920×1080 logs in as an administrator and registers a device (its credential shown once, and it logs in
// to the broker), imports devices from CSV, creates a user, draws a zone on the camera's snapshot, follows the camera
// going offline and online live, revokes its publish keys (cutting the publisher), tries then imports a city standard,
// edits the working calendar and imports the demo grid — each checked against the hub's API — while a dispatcher
// opening /admin gets the forbidden screen.
import type { Browser, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, logIn as logInAs, openPage, screenshot as saveScreenshot } from '../support/browser.js';
import { connectDevice } from '../support/devices.js';
import { startTestHub, type ApiCall, type TestHub } from '../support/test-hub.js';
import { pushTestPattern, type Push } from '../support/rtsp-server.js';
import { waitFor } from '../support/wait.js';

const ADMIN_TOKEN = 'e2e-admin-screens-token-0123456789';
const ADMIN = { username: 'sysadmin', password: 'admin screens password 1' };
const DISPATCHER = { username: 'dispatcher1', password: 'dispatcher password 1' };
const CAMERA = { id: 'cam-admin', name: '泉城广场东', lon: 117.0213, lat: 36.6628 };

let hub: TestHub;
let browser: Browser;
let page: Page;
let push: Push | undefined;
let base: string;
let mqttUrl: string;
const pageErrors: string[] = [];

const call: ApiCall = (...args) => hub.call(...args);
const logIn = (user: { username: string; password: string }) => logInAs(page, user);
const screenshot = (name: string) => saveScreenshot(page, name);

const text = (selector: string) => page.textContent(selector).then((s) => s ?? '');

/** Waits until the <img> has loaded a picture (run in the page, which has the DOM this file's types lack). */
const imageLoaded = (selector: string) =>
  page.waitForFunction(
    `(() => { const img = document.querySelector(${JSON.stringify(selector)}); ` +
      'return img !== null && img.complete && img.naturalWidth > 0; })()',
  );
const naturalWidth = (img: unknown) => (img as { naturalWidth: number }).naturalWidth;

beforeAll(async () => {
  hub = await startTestHub({ name: 'admin', adminToken: ADMIN_TOKEN, video: true });
  base = hub.base;
  mqttUrl = hub.mqttUrl;

  await call('POST', '/api/users', { ...ADMIN, name: '系统管理员', roles: ['admin'] });
  await call('POST', '/api/users', { ...DISPATCHER, name: '派遣员甲', roles: ['dispatcher'] });
  await call('POST', '/api/departments', { id: 'water', name: '供水公司', kind: 'department' });
  await call('POST', '/api/cameras', { ...CAMERA, source: 'rtmp', sampleIntervalMs: 2000, zones: [] });
  const key = await call('POST', `/api/cameras/${CAMERA.id}/publish-key`, { ttlS: 3600 });
  push = pushTestPattern(key.url, 300);
  await waitFor(
    'the camera online',
    async () => (await call('GET', `/api/cameras/${CAMERA.id}`)).status === 'online',
    20_000,
  );

  browser = await launchBrowser();
  page = await openPage(browser, { width: 1920, height: 1080 }, pageErrors);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await push?.stop();
  await hub?.stop();
});

describe('admin screens', () => {
  it('a dispatcher opening /admin gets the forbidden screen and no admin tab; the admin gets the screens', async () => {
    await page.goto(`${base}/admin`);
    await page.waitForSelector('form[aria-label="登录"]');
    await logIn(DISPATCHER);
    await page.waitForSelector('[data-testid="forbidden"]');
    expect(await text('[data-testid="forbidden"]')).toContain('无权访问此界面');
    expect(await page.$('[data-testid="admin-tab"]')).toBeNull();
    expect(await page.$$eval('nav.app-nav a', (links) => links.map((a) => a.textContent?.trim()))).not.toContain(
      '系统管理',
    );
    // The hub refuses the admin API to a dispatcher too: the screen is not the only guard.
    const token = await page.evaluate(() => {
      const storage = (globalThis as unknown as { sessionStorage: { getItem(key: string): string | null } })
        .sessionStorage;
      return (JSON.parse(storage.getItem('cityhub.session') ?? '{}') as { token?: string }).token;
    });
    const refused = await fetch(`${base}/api/devices`, { headers: { authorization: `Bearer ${token}` } });
    expect(refused.status).toBe(403);
    await screenshot('admin-forbidden.png');

    await page.click('nav.app-nav button:has-text("退出")');
    await page.waitForSelector('form[aria-label="登录"]');
    await logIn(ADMIN);
    // /admin opens on its first tab.
    await page.waitForURL(`${base}/admin/devices`);
    await page.waitForSelector('[data-testid="device-table"]');
    expect(await page.$$eval('[data-testid="admin-tab"]', (tabs) => tabs.map((a) => a.textContent?.trim()))).toEqual([
      '设备',
      '摄像头与区域',
      '用户',
      '分类与标准',
      '工作日历',
      '网格',
    ]);
  }, 60_000);

  it('registers a device: the credential is shown once and logs in to the broker; rotating replaces it', async () => {
    const form = '[data-testid="device-form"]';
    await page.fill(`${form} input[name="id"]`, 'veh-ui-001');
    await page.selectOption(`${form} select[name="kind"]`, 'vehicle');
    await page.fill(`${form} input[name="name"]`, '环卫车 UI 1 号');
    await page.fill(`${form} input[name="plate"]`, '鲁A·UI001');
    await page.fill(`${form} input[name="interval"]`, '30');
    await page.click(`${form} button[type="submit"]`);
    await page.waitForSelector('[data-testid="secret"]');
    const credential = (await text('[data-testid="secret-value"]')).trim();
    expect(credential).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(await text('[data-testid="secret"]')).toContain('只显示这一次');
    await page.waitForSelector('tr[data-device-id="veh-ui-001"]');
    await screenshot('admin-devices.png');

    const device = await call('GET', '/api/devices/veh-ui-001');
    expect(device).toMatchObject({
      kind: 'vehicle',
      name: '环卫车 UI 1 号',
      plate: '鲁A·UI001',
      expectedIntervalS: 30,
    });
    const client = await connectDevice(mqttUrl, { id: 'veh-ui-001', credential });
    await client.endAsync();

    // Closed, it is gone from the page for good.
    await page.click('[data-testid="secret-close"]');
    expect(await page.$('[data-testid="secret"]')).toBeNull();
    expect(await page.content()).not.toContain(credential);

    await page.click('tr[data-device-id="veh-ui-001"] [data-testid="rotate"]');
    await page.click('tr[data-device-id="veh-ui-001"] [data-testid="confirm-rotate"]');
    await page.waitForSelector('[data-testid="secret"]');
    const rotated = (await text('[data-testid="secret-value"]')).trim();
    expect(rotated).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(rotated).not.toBe(credential);
    await expect(connectDevice(mqttUrl, { id: 'veh-ui-001', credential })).rejects.toThrow();
    await page.click('[data-testid="secret-close"]');

    await page.click('tr[data-device-id="veh-ui-001"] button:has-text("停用")');
    await page.waitForSelector('tr[data-device-id="veh-ui-001"][data-enabled="false"]');
    expect((await call('GET', '/api/devices/veh-ui-001')).enabled).toBe(false);

    // A duplicate id: the hub's problem detail on screen.
    await page.fill(`${form} input[name="id"]`, 'veh-ui-001');
    await page.fill(`${form} input[name="name"]`, '重复');
    await page.click(`${form} button[type="submit"]`);
    await page.waitForSelector(`${form} [data-testid="problem"]`);
    expect(await text(`${form} [data-testid="problem"]`)).toContain('veh-ui-001');
  }, 60_000);

  it('imports devices from CSV with a report per row; filters find them', async () => {
    const csv = 'id,kind,name,plate\nsen-ui-1,sensor,满溢传感器 1,\nsen-ui-2,boat,船,\nsen-ui-3,sensor,满溢传感器 3,\n';
    await page.setInputFiles('[data-testid="device-csv"]', {
      name: 'devices.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(csv),
    });
    await page.click('[data-testid="device-csv"] ~ button');
    await page.waitForSelector('[data-testid="device-import-report"]');
    expect(await text('[data-testid="device-import-report"]')).toContain('已登记 2 台设备；1 行有错误');
    const errors = await page.$$eval('[data-testid="import-errors"] tbody tr', (rows) =>
      rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent?.trim())),
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]!.slice(0, 3)).toEqual(['3', 'sen-ui-2', 'kind']);

    await page.selectOption('[data-testid="filter-kind"]', 'sensor');
    await page.waitForFunction(
      `document.querySelectorAll('[data-testid="device-table"] tbody tr[data-device-id]').length === 2`,
    );
    expect((await call('GET', '/api/devices?kind=sensor')).total).toBe(2);
  }, 60_000);

  it('creates a user with roles and department who can then log in; disables them', async () => {
    await page.click('[data-testid="admin-tab"]:has-text("用户")');
    const form = '[data-testid="user-form"]';
    await page.waitForSelector(form);
    await page.fill(`${form} input[name="username"]`, 'water-ops');
    await page.fill(`${form} input[name="name"]`, '供水调度');
    await page.fill(`${form} input[name="password"]`, 'water ops password 1');
    await page.check(`${form} input[name="role"][value="department"]`);
    await page.waitForSelector(`${form} select[name="department"] option[value="water"]`, { state: 'attached' });
    await page.selectOption(`${form} select[name="department"]`, 'water');
    await page.click(`${form} button[type="submit"]`);
    await page.waitForSelector('[data-testid="user-notice"]');
    await page.waitForSelector('tr[data-username="water-ops"]');
    await screenshot('admin-users.png');

    const { items } = await call('GET', '/api/users?q=water-ops');
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ name: '供水调度', roles: ['department'], departmentId: 'water', enabled: true });
    const login = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'water-ops', password: 'water ops password 1' }),
    });
    expect(login.status).toBe(200);

    // The role department needs a department: the hub says so, on screen.
    await page.fill(`${form} input[name="username"]`, 'no-dept');
    await page.fill(`${form} input[name="name"]`, '无部门');
    await page.fill(`${form} input[name="password"]`, 'no dept password 1');
    await page.check(`${form} input[name="role"][value="department"]`);
    await page.click(`${form} button[type="submit"]`);
    await page.waitForSelector(`${form} [data-testid="problem"]`);
    expect(await text(`${form} [data-testid="problem"]`)).toMatch(/department/);

    await page.click('tr[data-username="water-ops"] button:has-text("重置密码")');
    await page.fill('tr[data-username="water-ops"] input[type="password"]', 'water ops new password 2');
    await page.click('tr[data-username="water-ops"] button:has-text("设置")');
    await page.waitForSelector('[data-testid="user-notice"]:has-text("已为 water-ops 设置新密码")');
    const relogin = (password: string) =>
      fetch(`${base}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'water-ops', password }),
      }).then((r) => r.status);
    expect(await relogin('water ops new password 2')).toBe(200);
    expect(await relogin('water ops password 1')).toBe(401);

    await page.click('tr[data-username="water-ops"] button:has-text("停用")');
    await page.waitForSelector('tr[data-username="water-ops"][data-enabled="false"]');
    expect((await call('GET', `/api/users/${items[0].id}`)).enabled).toBe(false);
  }, 60_000);

  it('registers a camera placed and given its view on the map', async () => {
    await page.click('[data-testid="admin-tab"]:has-text("摄像头")');
    await page.click('[data-testid="new-camera"]');
    const form = '[data-testid="camera-form"]';
    await page.fill(`${form} input[name="id"]`, 'cam-ui-2');
    await page.fill(`${form} input[name="name"]`, '芙蓉街北口');
    await page.selectOption(`${form} select[name="source"]`, 'rtsp');
    await page.fill(`${form} input[name="rtspUrl"]`, 'rtsp://viewer:secret@192.0.2.10:554/stream1');
    await page.waitForSelector('[data-testid="placement-map"][data-ready="true"]', { timeout: 30_000 });
    const map = (await page.$eval('[data-testid="placement-map"]', (el) => {
      const r = el.getBoundingClientRect();
      return { x: r.left, y: r.top, width: r.width, height: r.height };
    }))!;
    // A click places the camera: the form's coordinates follow.
    const lonBefore = await page.inputValue(`${form} input[name="lon"]`);
    await page.mouse.click(map.x + map.width * 0.3, map.y + map.height * 0.5);
    await waitFor(
      'the place taken from the map',
      async () => (await page.inputValue(`${form} input[name="lon"]`)) !== lonBefore,
    );
    // Three clicks and "finish" draw the view.
    await page.click('.placement button:has-text("绘制视野")');
    for (const [fx, fy] of [
      [0.4, 0.3],
      [0.7, 0.3],
      [0.55, 0.7],
    ] as const) {
      await page.mouse.click(map.x + map.width * fx, map.y + map.height * fy);
    }
    await page.click('.placement button:has-text("完成视野")');
    await page.waitForSelector(`${form} :text("视野：已绘制")`);
    await page.click(`${form} button[type="submit"]`);
    await page.waitForSelector('tr[data-camera-id="cam-ui-2"]');

    const camera = await call('GET', '/api/cameras/cam-ui-2');
    expect(camera).toMatchObject({ name: '芙蓉街北口', source: 'rtsp', enabled: true, sampleIntervalMs: 2000 });
    expect(camera.rtspUrl).not.toContain('secret');
    expect(camera.lon).toBeCloseTo(Number(await page.inputValue(`${form} input[name="lon"]`)), 6);
    expect(camera.view.type).toBe('Polygon');
    const ring = camera.view.coordinates[0] as [number, number][];
    expect(ring).toHaveLength(4);
    expect(ring[0]).toEqual(ring[3]);
    // The view's first corner is north-east of the camera's place (clicked right of and above it).
    expect(ring[0]![0]).toBeGreaterThan(camera.lon);
    expect(ring[0]![1]).toBeGreaterThan(camera.lat);
  }, 60_000);

  it('draws a zone on the camera snapshot; the camera API has it in normalised image coordinates', async () => {
    await page.click(`tr[data-camera-id="${CAMERA.id}"]`);
    await page.waitForSelector('[data-testid="zone-snapshot"]', { timeout: 20_000 });
    await imageLoaded('[data-testid="zone-snapshot"]');
    expect(await page.$eval('[data-testid="zone-snapshot"]', naturalWidth)).toBe(320);

    await page.click('[data-testid="draw-zone"]');
    // The whole picture on screen, so every corner can be clicked.
    await page.locator('[data-testid="zone-canvas"]').evaluate((svg) => svg.scrollIntoView({ block: 'end' }));
    const box = (await page.$eval('[data-testid="zone-canvas"]', (svg) => {
      const r = svg.getBoundingClientRect();
      return { x: r.left, y: r.top, width: r.width, height: r.height };
    }))!;
    expect(box.width).toBeGreaterThan(400);
    const corners: [number, number][] = [
      [0.2, 0.55],
      [0.8, 0.55],
      [0.9, 0.95],
      [0.1, 0.95],
    ];
    for (const [fx, fy] of corners) await page.mouse.click(box.x + fx * box.width, box.y + fy * box.height);
    await page.click('[data-testid="finish-zone"]');
    await page.fill('[data-testid="zone-name"]', '广场东侧禁停');
    await page.fill('[data-testid="zone-maxStationaryS"]', '120');
    await page.click('[data-testid="save-zones"]');
    await page.waitForSelector('[data-testid="zones-saved"], [data-testid="zone-editor"] [data-testid="problem"]');
    // A refusal here would say why.
    expect(
      await page.$('[data-testid="zone-editor"] [data-testid="problem"]').then((p) => p?.textContent()),
    ).toBeUndefined();
    await screenshot('admin-camera-zones.png');

    const camera = await call('GET', `/api/cameras/${CAMERA.id}`);
    expect(camera.zones).toHaveLength(1);
    const [zone] = camera.zones;
    expect(zone).toMatchObject({
      id: 'zone-1',
      name: '广场东侧禁停',
      kind: 'noParking',
      classRef: 'event:0409',
      maxStationaryS: 120,
    });
    expect(zone.polygon).toHaveLength(4);
    zone.polygon.forEach(([x, y]: [number, number], i: number) => {
      // A click lands on a whole pixel: within one pixel of the frame drawn on screen.
      expect(Math.abs(x - corners[i]![0])).toBeLessThan(1.5 / box.width);
      expect(Math.abs(y - corners[i]![1])).toBeLessThan(1.5 / box.height);
    });

    // A threshold the hub refuses: its problem detail and the field at fault, nothing stored.
    await page.fill('[data-testid="zone-maxStationaryS"]', '0');
    await page.click('[data-testid="save-zones"]');
    await page.waitForSelector('[data-testid="zone-editor"] [data-testid="problem"]');
    expect(await text('[data-testid="zone-editor"] [data-testid="problem"]')).toContain('zones[0].maxStationaryS');
    expect((await call('GET', `/api/cameras/${CAMERA.id}`)).zones[0].maxStationaryS).toBe(120);

    // A publish URL for the RTMP camera, shown once.
    await page.click('[data-testid="issue-key"]');
    await page.waitForSelector('[data-testid="publish-panel"] [data-testid="secret-value"]');
    expect(await text('[data-testid="publish-panel"] [data-testid="secret-value"]')).toMatch(
      new RegExp(`^rtmp://.+/live/${CAMERA.id}\\?`),
    );
  }, 90_000);

  it('the camera list follows the camera live; a key issued with "revoke earlier keys" cuts the old publisher', async () => {
    const row = `tr[data-camera-id="${CAMERA.id}"]`;
    await page.waitForSelector(`${row}[data-status="online"]`);
    const listRequests: string[] = [];
    const snapshotRequests: string[] = [];
    const onRequest = (request: Request) => {
      const { pathname } = new URL(request.url());
      if (pathname === '/api/cameras') listRequests.push(request.url());
      if (pathname === `/api/cameras/${CAMERA.id}/snapshot`) snapshotRequests.push(request.url());
    };
    page.on('request', onRequest);
    // A mark on this document: a reload would lose it.
    await page.evaluate(() => ((globalThis as { __sameDocument?: boolean }).__sameDocument = true));
    try {
      await push!.stop();
      // Offline once the media server's reconnect grace (5 s) is over; pushed to the page, not polled.
      await page.waitForSelector(`${row}[data-status="offline"]`, { timeout: 20_000 });
      expect(await text(`${row} td:nth-child(4)`)).toContain('离线');
      const oldKey = await call('POST', `/api/cameras/${CAMERA.id}/publish-key`, { ttlS: 3600 });
      push = pushTestPattern(oldKey.url, 300);
      await page.waitForSelector(`${row}[data-status="online"]`, { timeout: 20_000 });
      expect(await text(`${row} td:nth-child(4)`)).toContain('在线');
      expect(await text('[data-testid="key-version"]')).toContain('第 0 版');

      // Earlier keys revoked: the publisher streaming with one is cut off, the panel says so and shows the new key.
      const cutOff = push;
      await page.check('[data-testid="revoke-previous"]');
      await page.click('[data-testid="issue-key"]');
      await page.waitForSelector('[data-testid="keys-revoked"]');
      expect(await text('[data-testid="keys-revoked"]')).toContain('使用旧密钥的推流已断开');
      await page.waitForSelector('[data-testid="key-version"]:has-text("第 1 版")');
      expect(await page.isChecked('[data-testid="revoke-previous"]')).toBe(false);
      const newUrl = (await text('[data-testid="publish-panel"] [data-testid="secret-value"]')).trim();
      expect(newUrl).toMatch(new RegExp(`^rtmp://.+/live/${CAMERA.id}\\?`));
      expect(newUrl).not.toBe(oldKey.url);
      await cutOff.exited;
      await page.waitForSelector(`${row}[data-status="offline"]`, { timeout: 20_000 });
      expect((await call('GET', `/api/cameras/${CAMERA.id}`)).publishKeyVersion).toBe(1);

      // The old key is refused now; the new one streams.
      const refused = pushTestPattern(oldKey.url, 3);
      expect(await refused.exited).not.toBe(0);
      push = pushTestPattern(newUrl, 300);
      await page.waitForSelector(`${row}[data-status="online"]`, { timeout: 20_000 });

      // The camera the panel stored after the revocation is the registry's entry as the live feed knows it: the list
      // was never read again. Nor did a status change take a new snapshot under the zone being edited.
      expect(listRequests).toEqual([]);
      expect(snapshotRequests).toEqual([]);
      expect(await page.evaluate(() => (globalThis as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
      await screenshot('admin-camera-keys.png');
    } finally {
      page.off('request', onRequest);
    }
  }, 90_000);

  it('tries a standard CSV with an error row (report per row, import refused), then imports the fixed file', async () => {
    await page.click('[data-testid="admin-tab"]:has-text("分类与标准")');
    await page.waitForSelector('[data-testid="standards-import"]');
    const header = '大类代码,大类名称,小类代码,小类名称,立案条件,处置时限,结案条件\n';
    const good = '01,公用设施,01,上水井盖,井盖缺失或破损影响通行,2紧急工作时,恢复原状\n';
    const broken = `${header}${good}01,公用设施,02,污水井盖,,4工作时,恢复原状\n`;
    await page.selectOption('[data-testid="standards-kind"]', 'component');
    await page.setInputFiles('[data-testid="standards-file"]', {
      name: 'standard.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(broken),
    });
    await page.click('[data-testid="standards-dry-run"]');
    await page.waitForSelector('[data-testid="standards-errors"]');
    const rows = await page.$$eval('[data-testid="standards-errors"] tbody tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent?.trim())),
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.slice(0, 3)).toEqual(['3', '立案条件', '0102']);
    expect(await text('[data-testid="standards-report"]')).toContain('试运行：未保存任何数据');
    expect(await page.isDisabled('[data-testid="standards-import-button"]')).toBe(true);
    await screenshot('admin-standards.png');

    await page.setInputFiles('[data-testid="standards-file"]', {
      name: 'standard-fixed.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(`${header}${good}01,公用设施,02,污水井盖,井盖缺失,4工作时,恢复原状\n`),
    });
    await page.click('[data-testid="standards-dry-run"]');
    await page.waitForSelector('[data-testid="standards-report"]:not(:has([data-testid="standards-errors"]))');
    await page.click('[data-testid="standards-import-button"]');
    await page.waitForSelector('[data-testid="standards-report"][data-stored="true"]');
    const stored = await call('GET', '/api/catalogue/classes/component:0102');
    expect(stored.situations.map((s: { filingCondition: string }) => s.filingCondition)).toEqual(['井盖缺失']);
    expect(stored.situations[0].limit).toEqual({ value: 4, unit: 'workHours' });
  }, 60_000);

  it('marks the National Day holidays and an adjusted working day in the calendar and saves the year', async () => {
    await page.click('[data-testid="admin-tab"]:has-text("工作日历")');
    await page.fill('[data-testid="calendar-year"]', '2027');
    await page.waitForSelector('[data-testid="calendar-months"] button[data-date="2027-10-01"]');
    expect(await page.getAttribute('button[data-date="2027-10-01"]', 'data-type')).toBe('workday');
    expect(await page.getAttribute('button[data-date="2027-10-09"]', 'data-type')).toBe('weekend');

    await page.click('button[data-date="2027-10-01"]');
    await page.click('button[data-date="2027-10-07"]', { modifiers: ['Shift'] });
    await page.selectOption('[data-testid="range-kind"]', 'holiday');
    await page.fill('[data-testid="range-name"]', '国庆节');
    await page.click('[data-testid="range-apply"]');
    await page.click('button[data-date="2027-10-09"]');
    await page.selectOption('[data-testid="range-kind"]', 'workday');
    await page.fill('[data-testid="range-name"]', '国庆调休');
    await page.click('[data-testid="range-apply"]');
    expect(await page.getAttribute('button[data-date="2027-10-04"]', 'data-type')).toBe('holiday');
    expect(await page.getAttribute('button[data-date="2027-10-09"]', 'data-type')).toBe('adjusted');
    await page.click('[data-testid="calendar-save"]');
    await page.waitForSelector('[data-testid="calendar-saved"]');
    await screenshot('admin-calendar.png');

    const year = await call('GET', '/api/calendar/2027');
    expect(
      year.days.filter((d: { kind: string }) => d.kind === 'holiday').map((d: { date: string }) => d.date),
    ).toEqual(['2027-10-01', '2027-10-02', '2027-10-03', '2027-10-04', '2027-10-05', '2027-10-06', '2027-10-07']);
    expect(year.days.find((d: { date: string }) => d.date === '2027-10-09')).toMatchObject({
      kind: 'workday',
      name: '国庆调休',
    });
    // Deadlines follow at once: 4 working hours from the evening before the holiday run into the first day after it.
    const deadline = await call(
      'GET',
      `/api/calendar/deadline?start=${encodeURIComponent('2027-09-30T20:00:00+08:00')}&value=4&unit=workHours`,
    );
    expect(deadline.deadlineLocal.slice(0, 10)).toBe('2027-10-08');
  }, 60_000);

  it('imports the demo grid and lists the areas by level; a bad GeoJSON shows every bad feature', async () => {
    await page.click('[data-testid="admin-tab"]:has-text("网格")');
    await page.waitForSelector('[data-testid="grid-import"]');
    await page.click('[data-testid="grid-import"] button:has-text("演示网格")');
    await page.waitForSelector('[data-testid="grid-report"]', { timeout: 30_000 });
    await page.waitForSelector('[data-testid="area-table"] tr[data-code="370102"]');
    await page.selectOption('[data-testid="grid-level"]', 'street');
    const api = await call('GET', '/api/geo/areas?level=street');
    expect(api.features.length).toBeGreaterThan(1);
    await page.waitForFunction(
      `document.querySelectorAll('[data-testid="area-table"] tr[data-code]').length === ${api.features.length}`,
    );
    const codes = await page.$$eval('[data-testid="area-table"] tr[data-code]', (trs) =>
      trs.map((tr) => tr.getAttribute('data-code')),
    );
    expect(codes).toEqual(api.features.map((f: { id: string }) => f.id));
    expect(codes.every((c) => c?.length === 9)).toBe(true);
    await screenshot('admin-grids.png');

    const bad = {
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          properties: { code: '123', name: 'x' },
          geometry: { type: 'Point', coordinates: [117, 36] },
        },
      ],
    };
    await page.setInputFiles('[data-testid="grid-file"]', {
      name: 'bad.geojson',
      mimeType: 'application/geo+json',
      buffer: Buffer.from(JSON.stringify(bad)),
    });
    await page.click('[data-testid="grid-import"] button:has-text("导入"):not(:has-text("演示"))');
    await page.waitForSelector('[data-testid="grid-import"] [data-testid="problem"] li');
    expect(await text('[data-testid="grid-import"] [data-testid="problem"]')).toContain('第 0 个要素');
  }, 60_000);

  it('speaks English on request', async () => {
    await page.click('[data-testid="locale-switch"]');
    await page.click('[data-testid="admin-tab"]:has-text("Devices")');
    await page.waitForSelector('h2:has-text("Devices")');
    expect(await page.$$eval('[data-testid="admin-tab"]', (tabs) => tabs.map((a) => a.textContent?.trim()))).toContain(
      'Cameras & zones',
    );
    await page.click('[data-testid="locale-switch"]');
    await page.waitForSelector('h2:has-text("设备")');
    expect(pageErrors).toEqual([]);
  }, 30_000);
});
