// 浏览器端到端测试 the browser side of the end-to-end tests: Debian's Chromium, headless, with software WebGL for
// MapLibre; pages that record the errors they throw (a test fails on them); the web app's login form; screenshots of
// the screens under test-artifacts/.
import { mkdir } from 'node:fs/promises';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url);

/** Headless Chromium; SwiftShader draws the WebGL map without a GPU. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--use-gl=angle',
      '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader',
      '--disable-background-networking',
    ],
  });
}

/** Records every error the page throws into `errors` (prefixed with `label` when several users' pages share them). */
export function recordPageErrors(page: Page, errors: string[], label?: string): void {
  page.on('pageerror', (err) => {
    errors.push(label ? `${label}: ${err.message}` : err.message);
    console.error(label ? `page error (${label}):` : 'page error:', err.message);
  });
}

/** A page of `viewport` size whose errors go to `errors`. */
export async function openPage(
  browser: Browser | BrowserContext,
  viewport: { width: number; height: number },
  errors: string[],
): Promise<Page> {
  const page = await browser.newPage({ viewport });
  recordPageErrors(page, errors);
  return page;
}

/** Fills in and submits the web app's login form (LoginForm.svelte) on the page. */
export async function submitLogin(page: Page, username: string, password: string): Promise<void> {
  await page.fill('form[aria-label="登录"] input[name="username"]', username);
  await page.fill('form[aria-label="登录"] input[name="password"]', password);
  await page.click('form[aria-label="登录"] button[type="submit"]');
}

/** Logs in through the form and waits until it has gone (the login was accepted). */
export async function logIn(page: Page, user: { username: string; password: string }): Promise<void> {
  await submitLogin(page, user.username, user.password);
  await page.waitForSelector('form[aria-label="登录"]', { state: 'detached' });
}

/** Saves a screenshot of the page as test-artifacts/<name>. */
export async function screenshot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: new URL(name, ARTIFACTS).pathname, fullPage: options.fullPage ?? false });
}
