// Browser end to end for the leader's screen (领导, issue 8): Chromium at 1920×1080, the demo leader logs in, sees the
// overview figures the hub computes (open, overdue and supervised now; the month's figures, the evaluation's, equal to
// GET /api/evaluation of the same month; by department and district), flags an open case
// for supervision (督办) through the workflow table's `supervise` action and clears it again — each checked in the
// case API and its audit log. A collector opening the screen is refused. Screenshots to test-artifacts/.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startE2eCity, type E2eCity, type Json } from '../support/e2e-city.js';
import { recordPageErrors } from '../support/browser.js';

let city: E2eCity;
let page: Page;

const count = async (id: string) => (await page.locator(`[data-testid="count-${id}"]`).textContent())?.trim();

beforeAll(async () => {
  city = await startE2eCity('leader');
  page = await city.browser.newPage({ viewport: { width: 1920, height: 1080 }, locale: 'zh-CN' });
  recordPageErrors(page, city.pageErrors);
});

afterAll(async () => {
  await page?.close();
  await city?.close();
});

describe('the leader’s screen', () => {
  it('shows the cases open, overdue and supervised now, and the evaluation’s figures of the month', async () => {
    await page.goto(`${city.base}/leader`);
    await city.logIn(page, 'leader');
    await page.locator('[data-testid="count-open"]').waitFor();
    const overview = await city.as('leader', 'GET', '/api/cases/overview');
    expect(overview.totals.now.open).toBe(3); // the demo city's three reports
    expect(await count('open')).toBe(String(overview.totals.now.open));
    expect(await count('overdue')).toBe(String(overview.totals.now.overdue));
    expect(await count('supervised')).toBe('0');

    // The month's figures are the evaluation's of the same month, on the screen as the hub gives them.
    const evaluated = await city.as('leader', 'GET', `/api/evaluation/city?period=${overview.month.period}`);
    const month = evaluated.objects[0];
    for (const id of ['reported', 'filed', 'closed']) {
      expect(overview.totals.month.counts[id]).toBe(month.counts[id]);
      const shown = await page.locator(`[data-testid="month-${id}"]`).textContent();
      expect(shown?.trim()).toBe(String(month.counts[id]));
    }
    expect(overview.totals.month.rates.onTimeClosureRate).toBe(month.rates.onTimeClosureRate.value);
    expect(await page.locator('[data-testid="month-figures"] h2').textContent()).toContain(overview.month.period);

    const districts = page.locator('[data-testid="by-district"] tbody tr');
    expect(await districts.count()).toBe(overview.byDistrict.length);
    const first = overview.byDistrict[0];
    expect(await districts.first().textContent()).toContain(first.name);
    // Nothing dispatched yet: every open case is in the "not dispatched" row of the department table, which the
    // evaluation has no month's figures for.
    const notDispatched = page.locator('[data-testid="by-department"] tbody tr[data-group=""]');
    expect(await notDispatched.locator('[data-figure="open"]').textContent()).toBe('3');
    expect(await notDispatched.locator('[data-figure="closed"]').textContent()).toBe('—');
  });

  it('flags a case for supervision (督办) and clears the flag again', async () => {
    await page.locator('[data-testid="tab-open"]').click();
    const rows = page.locator('[data-testid="case-list"] [data-testid="leader-case"]');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(3);
    const row = rows.first();
    const id = (await row.getAttribute('data-case-id'))!;
    const before = (await city.call('GET', `/api/cases/${id}`)) as Json;
    expect(before.supervised).toBe(false);

    await row.locator('[data-testid="supervise"]').click();
    await page.locator(`[data-testid="supervised-cases"] [data-case-id="${id}"]`).waitFor();
    await expect.poll(() => count('supervised')).toBe('1');
    const flagged = await city.call('GET', `/api/cases/${id}`);
    expect(flagged.supervised).toBe(true);
    expect(flagged.version).toBe(before.version + 1);
    const me = await city.as('leader', 'GET', '/api/auth/me');
    const history = await city.call('GET', `/api/cases/${id}/history`);
    expect(history.events.at(-1)).toMatchObject({
      action: 'supervise',
      actorId: me.id,
      actorRole: 'leader',
      data: { supervised: true },
    });
    expect((await city.call('GET', '/api/cases?supervised=true')).items.map((c: Json) => c.id)).toEqual([id]);
    await city.screenshot(page, 'leader.png');

    await page.locator(`[data-testid="supervised-cases"] [data-case-id="${id}"] [data-testid="supervise"]`).click();
    await expect.poll(() => count('supervised')).toBe('0');
    expect((await city.call('GET', `/api/cases/${id}`)).supervised).toBe(false);
    // The list re-renders after the count cards: wait for it the same way.
    await expect.poll(() => page.locator(`[data-testid="supervised-cases"] [data-case-id="${id}"]`).count()).toBe(0);
  });

  it('speaks English on request', async () => {
    await page.locator('[data-testid="locale-switch"]').click();
    const text = (await page.locator('[data-testid="leader-dashboard"]').textContent())!;
    for (const label of [
      'Open now',
      'Overdue now',
      'Supervised now',
      'This month',
      'On-time closure rate',
      'Supervised cases',
      'By department',
      'By district',
      'Supervise',
    ]) {
      expect(text).toContain(label);
    }
    await city.screenshot(page, 'leader-en.png');
    await page.locator('[data-testid="locale-switch"]').click();
  });

  it('is not a collector’s screen', async () => {
    const other = await city.browser.newPage({ viewport: { width: 390, height: 844 } });
    try {
      await other.goto(`${city.base}/leader`);
      await city.logIn(other, 'collector');
      await other.locator('[data-testid="forbidden"]').waitFor();
      expect(await other.locator('[data-testid="leader-dashboard"]').count()).toBe(0);
      // The hub refuses the figures and the action too, whatever the page shows.
      const token = await city.tokenOf('collector');
      const res = await fetch(`${city.base}/api/cases/overview`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(403);
    } finally {
      await other.close();
    }
  });

  it('threw no error in any page', () => {
    expect(city.pageErrors).toEqual([]);
  });
});
