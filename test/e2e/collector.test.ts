// Browser end to end for the collector's phone app (监督员, issue 8): Chromium as a 390×844 phone with a GPS position
// reports a problem with a photo and the case appears in the hub's API; with the phone offline the app still opens
// (service worker), the report waits on the phone and arrives exactly once when the signal returns, and a report
// whose answer was lost is resent and still makes one case; the collector verifies a task (核实) with a photo and
// re-inspects a handled case (核查); without a GPS fix the point is picked on the map. Screenshots to test-artifacts/.
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { png, startE2eCity, type E2eCity, type Json } from '../support/e2e-city.js';
import { answerTask, fillReport, logInOnPhone, openPhone, openTask } from '../support/phone-page.js';
import { waitFor } from '../support/wait.js';

/** Where the phone is: 泉城路, inside the demo grid. */
const HERE = { latitude: 36.6628, longitude: 117.0213, accuracy: 8 };

let city: E2eCity;
let context: BrowserContext;
let page: Page;

/** The collector's cases with this description, as the hub has them. */
async function casesDescribed(description: string): Promise<Json[]> {
  const page = await city.call('GET', '/api/cases?source=collector&limit=200');
  return page.items.filter((c: Json) => c.description === description);
}

beforeAll(async () => {
  city = await startE2eCity('collector');
  ({ context, page } = await openPhone(city, HERE));
});

afterAll(async () => {
  await context?.close();
  await city?.close();
});

describe('the collector’s phone app', () => {
  it('reports a problem with a photo and the GPS position, and the case appears in the API', async () => {
    await logInOnPhone(city, page, 'collector');
    const location = page.locator('[data-testid="location-value"]');
    await location.waitFor();
    expect(Number(await location.getAttribute('data-lat'))).toBeCloseTo(HERE.latitude, 6);
    expect(Number(await location.getAttribute('data-lon'))).toBeCloseTo(HERE.longitude, 6);

    const description = '泉城路上水井盖缺失（在线上报）';
    await fillReport(page, description, png(640, 480, [40, 90, 160]));
    await city.screenshot(page, 'collector-report.png');
    await page.locator('[data-testid="submit-report"]').click();

    await waitFor('the report to become a case', async () => (await casesDescribed(description)).length === 1);
    const [made] = await casesDescribed(description);
    const me = await city.as('collector', 'GET', '/api/auth/me');
    expect(made).toMatchObject({ state: 'reported', source: 'collector', classKind: 'component', classCode: '0101' });
    expect(made.reporterId).toBe(me.id);
    expect(made.lat).toBeCloseTo(HERE.latitude, 6);
    expect(made.lon).toBeCloseTo(HERE.longitude, 6);
    expect(made.outsideGrid).toBe(false);
    expect(made.attachments).toHaveLength(1);
    // The photo was scaled and re-encoded on the phone: the hub holds a JPEG.
    const photo = await fetch(`${city.base}/api/media/${made.attachments[0]}`, {
      headers: { authorization: `Bearer ${city.adminToken}` },
    });
    expect(photo.headers.get('content-type')).toBe('image/jpeg');

    // The phone shows it sent, with the case number, and nothing waits.
    await page.locator('[data-testid="tab-outbox"]').click();
    await expect
      .poll(() => page.locator('[data-testid="sent-item"]').first().getAttribute('data-case-id'))
      .toBe(made.id);
    expect(await page.locator('[data-testid="outbox-item"]').count()).toBe(0);
  });

  it('opens offline, keeps the report on the phone and sends it exactly once when back online', async () => {
    // The service worker has taken the page over (it kept the app shell on install).
    await page.evaluate(async () => {
      const sw = (globalThis as unknown as { navigator: { serviceWorker: { ready: Promise<unknown> } } }).navigator
        .serviceWorker;
      await sw.ready;
    });
    await expect
      .poll(() =>
        page.evaluate(
          () =>
            (globalThis as unknown as { navigator: { serviceWorker: { controller: unknown } } }).navigator.serviceWorker
              .controller !== null,
        ),
      )
      .toBe(true);

    await context.setOffline(true);
    await page.reload();
    await page.locator('[data-testid="network-state"][data-online="false"]').waitFor();
    await page.locator('[data-testid="tab-report"]').waitFor();

    const description = '大明湖南门井盖缺失（离线上报）';
    await fillReport(page, description, png(640, 480, [160, 60, 40]));
    await page.locator('[data-testid="submit-report"]').click();
    await page.locator('[data-testid="outbox-count"]').waitFor();
    expect(await page.locator('[data-testid="outbox-count"]').textContent()).toBe('1');
    await page.locator('[data-testid="tab-outbox"]').click();
    await page.locator('[data-testid="outbox-item"][data-status="waiting"]').waitFor();
    await city.screenshot(page, 'collector-offline.png');

    // Still offline after a reload: the report is on the phone, not at the hub.
    await page.reload();
    await page.locator('[data-testid="tab-outbox"]').click();
    await page.locator('[data-testid="outbox-item"][data-status="waiting"]').waitFor();
    expect(await casesDescribed(description)).toHaveLength(0);

    await context.setOffline(false);
    await waitFor(
      'the queued report to arrive',
      async () => (await casesDescribed(description)).length > 0,
      45_000,
      200,
    );
    await page.locator('[data-testid="outbox-empty"]').waitFor();
    // Give any second send (the periodic retry, the online event, the start-up flush) time to happen: still one.
    await page.waitForTimeout(2000);
    const arrived = await casesDescribed(description);
    expect(arrived).toHaveLength(1);
    expect(arrived[0].attachments).toHaveLength(1);
    expect(arrived[0].lat).toBeCloseTo(HERE.latitude, 6);
  });

  it('resends a report whose answer was lost, and the hub still makes one case of it', async () => {
    let lost = 0;
    await page.route('**/api/cases', async (route) => {
      if (route.request().method() !== 'POST' || lost > 0) return route.continue();
      lost++;
      await route.fetch(); // the hub takes the report…
      await route.abort('connectionreset'); // …and the answer never reaches the phone
    });
    try {
      const description = '趵突泉南路井盖缺失（应答丢失）';
      await fillReport(page, description, png(320, 240, [120, 120, 30]));
      await page.locator('[data-testid="submit-report"]').click();
      await page.locator('[data-testid="tab-outbox"]').click();
      await page.locator('[data-testid="outbox-empty"]').waitFor({ timeout: 30_000 });
      expect(lost).toBe(1);
      const made = await casesDescribed(description);
      expect(made).toHaveLength(1);
      const sent = page.locator(`[data-testid="sent-item"][data-case-id="${made[0].id}"]`);
      expect(await sent.count()).toBe(1);
    } finally {
      await page.unroute('**/api/cases');
    }
  });

  it('verifies a task on site with a photo', async () => {
    const me = await city.as('collector', 'GET', '/api/auth/me');
    const complaint = await city.as('acceptor', 'POST', '/api/cases', {
      source: 'hotline',
      classCode: 'event:0110',
      lon: 117.0148,
      lat: 36.6702,
      description: '市民来电：大明湖南门有暴露垃圾',
      reporterName: '王女士',
      reporterPhone: '13800001234',
    });
    await city.as('acceptor', 'POST', `/api/cases/${complaint.id}/actions/requestVerify`, { collectorId: me.id });

    const task = await openTask(page, complaint.id);
    // The way there: distance from the phone (about 1.1 km) and a link for the phone's map app.
    await expect.poll(() => task.locator('[data-testid="task-distance"]').textContent()).toMatch(/1\.\d km/);
    expect(await task.locator('[data-testid="task-navigate"]').getAttribute('href')).toMatch(
      /^geo:36\.670200,117\.014800\?q=/,
    );
    // The complainant's phone number is not the collector's to see.
    expect(await task.textContent()).not.toContain('13800001234');
    await city.screenshot(page, 'collector-tasks.png');

    await answerTask(task, 'verify', '现场确认：垃圾堆放约2平方米', png(320, 240, [90, 140, 60]));
    await page.locator('[data-testid="task-done"]').waitFor();
    expect(await page.locator(`[data-testid="task"][data-case-id="${complaint.id}"]`).count()).toBe(0);

    const after = await city.call('GET', `/api/cases/${complaint.id}`);
    expect(after.state).toBe('reported');
    const history = await city.call('GET', `/api/cases/${complaint.id}/history`);
    const verify = history.events.find((e: Json) => e.action === 'verify');
    expect(verify).toMatchObject({ actorId: me.id, actorRole: 'collector', note: '现场确认：垃圾堆放约2平方米' });
    expect(verify.attachments).toHaveLength(1);
  });

  it('re-inspects a handled case and passes it', async () => {
    const me = await city.as('collector', 'GET', '/api/auth/me');
    const [made] = await casesDescribed('泉城路上水井盖缺失（在线上报）');
    const cls = await city.as('acceptor', 'GET', '/api/catalogue/classes/component:0101');
    const situation = cls.situations.find((s: Json) => s.limit !== null);
    await city.as('acceptor', 'POST', `/api/cases/${made.id}/actions/accept`, { standardId: situation.id });
    await city.as('shiftleader', 'POST', `/api/cases/${made.id}/actions/file`, {});
    await city.as('dispatcher', 'POST', `/api/cases/${made.id}/actions/dispatch`, {});
    await city.as('water', 'POST', `/api/cases/${made.id}/actions/start`, {});
    const photo = await city.as('water', 'POST', '/api/media', new Uint8Array(png(64, 48, [10, 10, 200])));
    await city.as('water', 'POST', `/api/cases/${made.id}/actions/handle`, {
      note: '已补装井盖',
      attachments: [photo.id],
    });
    // Default re-inspector: the collector who reported it.
    await city.as('shiftleader', 'POST', `/api/cases/${made.id}/actions/assignReinspect`, {});

    const task = await openTask(page, made.id);
    expect(await task.getAttribute('data-state')).toBe('reinspecting');
    await expect.poll(() => task.textContent()).toContain('已补装井盖');
    expect(await task.locator('[data-testid="task-distance"]').textContent()).toContain('0 m');
    // The table gives the re-inspector two rows: pass, and fail (which needs a reason).
    expect(
      await task.locator('button[data-action]').evaluateAll((b) => b.map((x) => x.getAttribute('data-action'))),
    ).toEqual(['reinspectPass', 'reinspectFail']);
    await answerTask(task, 'reinspectPass', '井盖已补齐');
    await expect.poll(() => page.locator('[data-testid="task-done"]').textContent()).toContain(made.number);

    const after = await city.call('GET', `/api/cases/${made.id}`);
    expect(after.state).toBe('reinspected');
    const history = await city.call('GET', `/api/cases/${made.id}/history`);
    expect(history.events.at(-1)).toMatchObject({ action: 'reinspectPass', actorId: me.id, note: '井盖已补齐' });
  });

  it('picks the point on the map when there is no GPS fix, and speaks English on request', async () => {
    const { context: noGps, page: p } = await openPhone(city, null);
    try {
      await p.goto(`${city.base}/collector`);
      await city.logIn(p, 'collector');
      await p.locator('[data-testid="pick-on-map"]').click();
      const map = p.locator('[data-testid="map-pick"]');
      await p.locator('[data-testid="map-pick"][data-ready="true"]').waitFor({ timeout: 30_000 });
      const box = (await map.boundingBox())!;
      await p.mouse.click(box.x + box.width / 2 + 40, box.y + box.height / 2);
      const location = p.locator('[data-testid="location-value"]');
      await location.waitFor();
      expect(await location.textContent()).toContain('地图选点');
      expect(Number(await location.getAttribute('data-lon'))).toBeGreaterThan(117.02);

      await p.locator('[data-testid="locale-switch"]').click();
      expect(await p.locator('[data-testid="tab-report"]').textContent()).toContain('Report');
      expect(await location.textContent()).toContain('Picked on the map');
      await city.screenshot(p, 'collector-map-pick-en.png');
    } finally {
      await noGps.close();
    }
  });

  it('threw no error in any page', () => {
    expect(city.pageErrors).toEqual([]);
  });
});
