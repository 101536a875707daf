// Browser end to end for the public page (公众公开, art.49, issues 8 and 9): without logging in, Chromium at 1920×1080
// shows this month's figures — every number on the page (the cards and the tables by district and street, department
// and class) exactly as the evaluation's public endpoint gives it, which the case API confirms — another month on
// request, and the recently closed cases, with no personal data anywhere on the page (no names, phone numbers, user
// ids, complainant words). Screenshots in both languages to test-artifacts/.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS } from '../../devices/demo-city.js';
import { png, startE2eCity, type E2eCity, type Json } from '../support/e2e-city.js';
import { recordPageErrors } from '../support/browser.js';

let city: E2eCity;
let page: Page;
const COMPLAINANT = { name: '赵先生', phone: '13912345678', words: '赵先生来电：我家楼下井盖丢了，电话13912345678' };

/** Carries a reported case through the loop to closed, each step by its demo role. */
async function close(id: string): Promise<void> {
  const c = await city.call('GET', `/api/cases/${id}`);
  const cls = await city.as('acceptor', 'GET', `/api/catalogue/classes/${c.classKind}:${c.classCode}`);
  const situation = cls.situations.find((s: Json) => s.limit !== null);
  await city.as('acceptor', 'POST', `/api/cases/${id}/actions/accept`, { standardId: situation.id });
  await city.as('shiftleader', 'POST', `/api/cases/${id}/actions/file`, {});
  const dispatched = await city.as('dispatcher', 'POST', `/api/cases/${id}/actions/dispatch`, {});
  const department = dispatched.departmentId as string;
  const handler = DEMO_USERS.find((u) => 'departmentId' in u && u.departmentId === department)!.username;
  await city.as(handler, 'POST', `/api/cases/${id}/actions/start`, {});
  const photo = await city.as(handler, 'POST', '/api/media', new Uint8Array(png(64, 48, [20, 120, 60])));
  await city.as(handler, 'POST', `/api/cases/${id}/actions/handle`, { note: '已处置', attachments: [photo.id] });
  const collector = await city.as('collector', 'GET', '/api/auth/me');
  await city.as('shiftleader', 'POST', `/api/cases/${id}/actions/assignReinspect`, { collectorId: collector.id });
  await city.as('collector', 'POST', `/api/cases/${id}/actions/reinspectPass`, {});
  await city.as('shiftleader', 'POST', `/api/cases/${id}/actions/close`, {});
}

/** `2026-12` of an instant, on the city's clock (Asia/Shanghai). */
const cityMonth = (iso: string | null) =>
  iso &&
  new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' })
    .format(new Date(iso))
    .slice(0, 7);

beforeAll(async () => {
  city = await startE2eCity('public');
  // The demo city reported three cases; close the manhole cover, and a hotline complaint with a name and a phone.
  const all = await city.call('GET', '/api/cases?limit=50');
  await close(all.items.find((c: Json) => c.classCode === '0101').id);
  const complaint = await city.as('acceptor', 'POST', '/api/cases', {
    source: 'hotline',
    classCode: 'component:0101',
    lon: 117.0301,
    lat: 36.6589,
    description: COMPLAINANT.words,
    address: '历山路88号3单元',
    reporterName: COMPLAINANT.name,
    reporterPhone: COMPLAINANT.phone,
  });
  await close(complaint.id);
  page = await city.browser.newPage({ viewport: { width: 1920, height: 1080 }, locale: 'zh-CN' });
  recordPageErrors(page, city.pageErrors);
});

afterAll(async () => {
  await page?.close();
  await city?.close();
});

/** 93.3% as the page writes a rate; — when nothing was due. */
const percent = (rate: number | null | undefined) =>
  rate === null || rate === undefined ? '—' : `${(rate * 100).toFixed(1)}%`;

/** Every row of a figure table as shown: its object id and each cell by its count or rate id. */
const tableShown = (testid: string) =>
  page.$$eval(`[data-testid="${testid}"] [data-testid="figure-row"]`, (rows) =>
    rows.map((row) => ({
      id: row.getAttribute('data-id'),
      ...Object.fromEntries(
        [...row.querySelectorAll('[data-field]')].map((cell) => [
          cell.getAttribute('data-field'),
          cell.textContent!.trim(),
        ]),
      ),
    })),
  );

/** The same rows from the endpoint's objects, formatted as the page must show them. */
const tableExpected = (objects: Json[], shown: Record<string, string>[]) =>
  objects.map((o) => ({
    id: o.id,
    ...Object.fromEntries(
      Object.keys(shown[0] ?? {})
        .filter((field) => field !== 'id')
        .map((field) => [field, field in o.rates ? percent(o.rates[field]) : String(o.counts[field] ?? '—')]),
    ),
  }));

const CARDS = ['reported', 'publicReported', 'filed', 'closed'];
const RATE_CARDS = ['closureRate', 'onTimeClosureRate', 'onTimeHandlingRate'];

/** The cards show the city's figures of `figures`. */
async function expectCards(figures: Json): Promise<void> {
  const shown = async (id: string) => (await page.locator(`[data-testid="stat-${id}"]`).textContent())?.trim();
  for (const id of CARDS) expect(await shown(id), id).toBe(String(figures.city.counts[id]));
  for (const id of RATE_CARDS) expect(await shown(id), id).toBe(percent(figures.city.rates[id]));
}

describe('the public page', () => {
  it('shows this month’s figures exactly as the evaluation gives them, and they agree with the cases', async () => {
    await page.goto(`${city.base}/public`);
    await page.locator('[data-testid="stat-reported"]').waitFor();
    const figures = (await (await fetch(`${city.base}/api/public/evaluation`)).json()) as Json;
    await expectCards(figures);

    // The evaluation's figures from the cases themselves (as the admin sees them): reports and filings of the month;
    // both closed cases were closed well within their handling deadline, so their closures came due this month.
    const cases = (await city.call('GET', '/api/cases?limit=200')).items as Json[];
    const inMonth = (field: string) => cases.filter((c) => cityMonth(c[field]) === figures.period).length;
    expect(figures.city.counts.reported).toBe(inMonth('reportedAt'));
    expect(figures.city.counts.filed).toBe(inMonth('filedAt'));
    expect(figures.city.counts.closed).toBe(inMonth('closedAt'));
    expect(figures.city.counts).toMatchObject({ reported: 4, publicReported: 1, filed: 2, closureDue: 2, closed: 2 });
    expect(figures.city.rates.closureRate).toBe(1);

    // Every table row and cell as the endpoint gives it: districts each followed by their streets, departments, classes.
    const area = await tableShown('by-area');
    const areas = figures.districts.flatMap((d: Json) => [
      d,
      ...figures.streets.filter((s: Json) => s.id.startsWith(d.id)),
    ]);
    expect(areas.length).toBeGreaterThan(1);
    expect(area).toEqual(tableExpected(areas, area));
    const departments = await tableShown('by-department');
    expect(departments.length).toBeGreaterThan(0);
    expect(departments).toEqual(tableExpected(figures.departments, departments));
    const classes = await tableShown('by-category');
    expect(classes.length).toBeGreaterThan(0);
    expect(classes).toEqual(tableExpected(figures.classes, classes));
    expect(Object.keys(classes[0]!)).toEqual(['id', 'reported', 'filed', 'closureDue', 'closed', 'closureRate']);
    await city.screenshot(page, 'public.png');
  });

  it('shows another month’s figures when asked', async () => {
    const month = page.locator('[data-testid="month"]');
    const current = await month.inputValue();
    const options = await month.locator('option').allTextContents();
    expect(options).toHaveLength(12);
    expect(options[0]).toBe(current);
    const previous = options[1]!;
    const asked = page.waitForResponse((r) => r.url().includes(`/api/public/evaluation?period=${previous}`));
    await month.selectOption(previous);
    await asked;
    const figures = (await (await fetch(`${city.base}/api/public/evaluation?period=${previous}`)).json()) as Json;
    expect(figures.city.counts.reported).toBe(0);
    await page.locator('[data-testid="stat-closureRate"]', { hasText: '—' }).waitFor();
    await expectCards(figures);
    expect(await page.locator('[data-testid="by-area"]').count()).toBe(0);
    await month.selectOption(current);
    await page.locator('[data-testid="by-area"]').waitFor();
  });

  it('lists the recently closed cases with class, street and times', async () => {
    const closed = ((await (await fetch(`${city.base}/api/public/closed-cases`)).json()) as Json).items as Json[];
    expect(closed).toHaveLength(2);
    const rows = page.locator('[data-testid="closed-case"]');
    expect(await rows.count()).toBe(2);
    for (const [i, c] of closed.entries()) {
      const row = rows.nth(i);
      expect(await row.getAttribute('data-number')).toBe(c.number);
      const text = (await row.textContent())!;
      expect(text).toContain(c.classNameZh);
      expect(text).toContain(c.street);
    }
  });

  it('shows no personal data at all', async () => {
    const text = (await page.locator('body').textContent())!;
    const html = await page.content();
    const users = (await city.call('GET', '/api/users?limit=100')).items as Json[];
    for (const u of users) {
      expect(text).not.toContain(u.name);
      expect(html).not.toContain(u.id);
    }
    for (const secret of [COMPLAINANT.name, COMPLAINANT.phone, '历山路88号', '我家楼下']) {
      expect(html).not.toContain(secret);
    }
    expect(text).not.toMatch(/1[3-9][0-9]{9}/);
  });

  it('switches to English', async () => {
    await page.locator('[data-testid="locale-switch"]').click();
    const text = (await page.locator('[data-testid="public-page"]').textContent())!;
    for (const label of [
      'Reported',
      'Filed',
      'Closed',
      'Closure rate',
      'On-time closure rate',
      'On-time handling rate',
      'By district and street',
      'By department',
      'By category',
      'Recently closed',
    ]) {
      expect(text).toContain(label);
    }
    // Classes under their English names where the catalogue has them.
    const figures = (await (await fetch(`${city.base}/api/public/evaluation`)).json()) as Json;
    const names = await page
      .locator('[data-testid="by-category"] [data-testid="figure-row"] td:first-child')
      .allTextContents();
    expect(names.map((n) => n.replace(/\s+/g, ' ').trim())).toEqual(
      figures.classes.map((c: Json) => `${c.id.startsWith('event:') ? 'Event' : 'Component'} ${c.nameEn ?? c.name}`),
    );
    await city.screenshot(page, 'public-en.png');
    await page.locator('[data-testid="locale-switch"]').click();
  });

  it('threw no error in the page', () => {
    expect(city.pageErrors).toEqual([]);
  });
});
