// 工作台页面 what a browser test does on the workflow screens (受理、值班长、派遣、处置部门, issue 8): opens a role's screen on a
// command-centre display in a browser context of its own and logs in, finds a case's row in the queue and its detail,
// switches tabs, opens and submits an action's form (the buttons the workflow table offers), puts a photo into a form
// and waits until photos have loaded.
import type { Page } from 'playwright-core';
import { recordPageErrors, submitLogin } from './browser.js';
import { startE2eCity, type E2eCity } from './e2e-city.js';
import { waitFor } from './wait.js';

/** The desks' screens are command-centre displays. */
export const OFFICE_SCREEN = { width: 1920, height: 1080 };

/** The e2e city with the workflow screens' build, and the id of a 0101 situation that has a time limit (the one the
 * acceptor picks). */
export async function startWorkflowCity(name: string): Promise<{ city: E2eCity; situationId: number }> {
  const city = await startE2eCity(name, { webSnapshot: true });
  const situations = (await city.call('GET', '/api/catalogue/classes/component:0101')).situations as {
    id: number;
    limit: unknown;
  }[];
  return { city, situationId: situations.find((s) => s.limit !== null)!.id };
}

/** `route` as `username`, logged in through the form; the page's errors go to `errors`, labelled with the user. */
export async function openScreen(
  city: E2eCity,
  username: string,
  route: string,
  errors: string[] = city.pageErrors,
): Promise<Page> {
  // A context per user: each screen its own session, as on separate desks (closed with the city's browser).
  const context = await city.browser.newContext({ viewport: OFFICE_SCREEN });
  const page = await context.newPage();
  recordPageErrors(page, errors, username);
  await page.goto(`${city.base}${route}`);
  await submitLogin(page, username, city.password);
  return page;
}

/** A workflow screen, once its live link to the hub is up (lists follow changes from then on). */
export async function openWorkflowScreen(
  city: E2eCity,
  username: string,
  route: string,
  errors?: string[],
): Promise<Page> {
  const page = await openScreen(city, username, route, errors);
  await page.waitForSelector('.workflow-screen [data-live="live"]', { timeout: 20_000 });
  return page;
}

/** The case's row in the queue shown. */
export const row = (id: string) => `tr.case-row[data-case-id="${id}"]`;
/** The case's detail, in `state` if given. */
export const detail = (id: string, state?: string) =>
  `article.case-detail[data-case-id="${id}"]${state ? `[data-state="${state}"]` : ''}`;

export async function openTab(page: Page, tab: string): Promise<void> {
  await page.click(`button[data-tab="${tab}"]`);
  await page.waitForSelector(`button[data-tab="${tab}"][aria-selected="true"]`);
}

/** Opens the case from the current queue and waits for its detail in the given state. */
export async function openCase(page: Page, id: string, state: string): Promise<void> {
  await page.click(row(id));
  await page.waitForSelector(detail(id, state));
}

export async function startAction(page: Page, action: string): Promise<void> {
  await page.click(`.action-panel button[data-action="${action}"]`);
  await page.waitForSelector(`form.action-form[data-action="${action}"]`);
}

export async function submitAction(page: Page, action: string): Promise<void> {
  await page.click(`form.action-form[data-action="${action}"] [data-testid="submit-action"]`);
}

/** The actions the panel offers, in order. */
export const offered = (page: Page) =>
  page.$$eval('.action-panel button[data-action]', (els) => els.map((e) => e.getAttribute('data-action')));

/** Waits until every photo thumbnail under `scope` has been decoded (a real image, not a placeholder); their count. */
export async function waitForThumbnails(page: Page, scope: string): Promise<number> {
  return waitFor(`photos under ${scope}`, () =>
    page.$$eval(`${scope} img`, (imgs) => {
      const loaded = imgs.filter((i) => (i as unknown as { naturalWidth: number }).naturalWidth > 0);
      return imgs.length > 0 && loaded.length === imgs.length ? loaded.length : null;
    }),
  );
}

/** Picks a PNG in the open action form's photo upload and waits until the form shows it uploaded. */
export async function attachPhoto(page: Page, name: string, png: Buffer): Promise<void> {
  await page.setInputFiles('form.action-form input[type="file"]', { name, mimeType: 'image/png', buffer: png });
  await waitForThumbnails(page, 'form.action-form .photos');
}
