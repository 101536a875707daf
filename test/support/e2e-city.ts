// End-to-end set-up shared by the collector, public, leader and workflow-screen browser tests: the built hub on its own
// TimescaleDB database with the demo city (grid, sample standard, departments, one user per role, three reported cases)
// set up through the admin API, headless Debian Chromium, API helpers acting as the demo users, and a real image to
// upload.
import { deflateSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { pino } from 'pino';
import { setUpDemoCity } from '../../devices/demo-city.js';
import { launchBrowser, screenshot, submitLogin } from './browser.js';
import type { TestDatabase } from './database.js';
import { startTestHub, type ApiCall, type Json } from './test-hub.js';
import type { HubProcess } from './hub-process.js';

export type { Json } from './test-hub.js';

export interface E2eCity {
  base: string;
  adminToken: string;
  password: string;
  hub: HubProcess;
  db: TestDatabase;
  browser: Browser;
  /** Errors thrown in any page (a test fails on them). */
  pageErrors: string[];
  /** A request as the admin token (default) or as a demo user (`as`). */
  call: ApiCall;
  as(username: string, method: string, route: string, body?: unknown): Promise<Json>;
  tokenOf(username: string): Promise<string>;
  /** Logs in through the page's login form. */
  logIn(page: Page, username: string): Promise<void>;
  screenshot(page: Page, name: string): Promise<void>;
  close(): Promise<void>;
}

export interface E2eCityOptions {
  /** Serve a copy of the web app as built now (see startTestHub). */
  webSnapshot?: boolean;
}

export async function startE2eCity(name: string, options: E2eCityOptions = {}): Promise<E2eCity> {
  const adminToken = `e2e-${name}-admin-token-0123456789`;
  const password = `${name} password 2026`;
  const hub = await startTestHub({ name, adminToken, webSnapshot: options.webSnapshot });
  let browser: Browser | undefined;
  try {
    await setUpDemoCity(hub.base, adminToken, password, pino({ level: 'silent' }));
    browser = await launchBrowser();
  } catch (err) {
    await hub.stop();
    throw err;
  }
  const { call } = hub;
  const tokens = new Map<string, string>();
  const tokenOf = async (username: string) => {
    let token = tokens.get(username);
    if (!token) {
      token = (await call('POST', '/api/auth/login', { username, password }, '')).token as string;
      tokens.set(username, token);
    }
    return token;
  };
  const started = browser;
  return {
    base: hub.base,
    adminToken,
    password,
    hub: hub.process,
    db: hub.db,
    browser: started,
    pageErrors: [],
    call,
    tokenOf,
    as: async (username, method, route, body) => call(method, route, body, await tokenOf(username)),
    logIn: (page, username) => submitLogin(page, username, password),
    screenshot: (page, file) => screenshot(page, file, { fullPage: true }),
    async close() {
      await started.close();
      await hub.stop();
    },
  };
}

// ---- a real photo: a small PNG (the hub checks an image's bytes, the phone app re-encodes it as JPEG)

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), 8 + data.length);
  return out;
}

/** A width×height RGB PNG of one colour with a white diagonal stripe. */
export function png(width: number, height: number, rgb: [number, number, number]): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const rows = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      rows.set(Math.abs(x - y) < 3 ? [255, 255, 255] : rgb, y * (1 + width * 3) + 1 + x * 3);
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
