// 监督员手机 what a browser test does with the collector's phone app (/collector, issue 8): Chromium as a 390×844 touch
// phone, with a GPS fix or without one; the report form filled in (photo, the phone's point, the class found by its
// code, description); a task (核实 verify / 核查 re-inspect) found in the task list and answered with its text and, if
// given, a photo.
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { recordPageErrors } from './browser.js';
import type { E2eCity } from './e2e-city.js';

export const PHONE_SCREEN = { width: 390, height: 844 };

/** Where the phone's GPS says it is (WGS-84), with the fix's accuracy in metres. */
export interface PhoneFix {
  latitude: number;
  longitude: number;
  accuracy: number;
}

/**
 * A phone of its own (a browser context) at `fix`, or without any GPS fix (null); its page's errors go to `errors`,
 * labelled with `label` if given.
 */
export async function openPhone(
  city: E2eCity,
  fix: PhoneFix | null,
  errors: string[] = city.pageErrors,
  label?: string,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await city.browser.newContext({
    viewport: PHONE_SCREEN,
    isMobile: true,
    hasTouch: true,
    locale: 'zh-CN',
    ...(fix ? { geolocation: fix, permissions: ['geolocation'] } : {}),
  });
  const page = await context.newPage();
  recordPageErrors(page, errors, label);
  return { context, page };
}

/** Opens the phone app and logs the collector in; waits for the report tab. */
export async function logInOnPhone(city: E2eCity, page: Page, username: string): Promise<void> {
  await page.goto(`${city.base}/collector`);
  await city.logIn(page, username);
  await page.locator('[data-testid="tab-report"]').waitFor();
}

/** Fills the report form: photo, GPS point (waited for), class 0101 by its code, description. */
export async function fillReport(page: Page, description: string, photo: Buffer): Promise<void> {
  await page.locator('[data-testid="tab-report"]').click();
  await page.setInputFiles('[data-testid="photo-input"]', { name: 'cover.png', mimeType: 'image/png', buffer: photo });
  await page.locator('[data-testid="photo-preview"]').waitFor();
  await page.locator('[data-testid="location-value"]').waitFor();
  await page.locator('[data-testid="class-search"]').fill('0101');
  await page.locator('[data-testid="class-results"] button[data-class="component:0101"]').click();
  await page.locator('[data-testid="class-chosen"]').waitFor();
  await page.locator('[data-testid="description"]').fill(description);
}

/** Opens the task list, fetches it again (the refresh button) and returns the case's task card once it is there. */
export async function openTask(page: Page, caseId: string): Promise<Locator> {
  await page.locator('[data-testid="tab-tasks"]').click();
  await page.locator('[data-testid="tasks-refresh"]').click();
  const task = page.locator(`[data-testid="task"][data-case-id="${caseId}"]`);
  await task.waitFor();
  return task;
}

/** Answers a task card with one of its actions: the text, a PNG photo if given (waits for its preview), submit. */
export async function answerTask(task: Locator, action: string, text: string, photo?: Buffer): Promise<void> {
  await task.locator(`button[data-action="${action}"]`).click();
  await task.locator('[data-testid="task-text"]').fill(text);
  if (photo) {
    await task
      .locator('[data-testid="task-photo-input"]')
      .setInputFiles({ name: 'site.png', mimeType: 'image/png', buffer: photo });
    await task.locator('[data-testid="photo-preview"]').waitFor();
  }
  await task.locator('[data-testid="task-submit"]').click();
}
