// 离线应用外壳 the service worker: keeps the app shell (index.html, the built scripts and styles, the static files) so
// the app — the collector's phone app above all — opens without signal. Page loads go to the network first (a new
// release is picked up at once) and fall back to the kept shell; the hashed build files are served from the cache.
// The API, live updates and everything else are never cached here: data stays the hub's, and the collector's reports
// wait in IndexedDB (lib/collector/outbox-store.ts), not in this cache.
/// <reference no-default-lib="true"/>
/// <reference lib="esnext" />
/// <reference lib="webworker" />
/// <reference types="@sveltejs/kit" />
import { build, files, version } from '$service-worker';

const sw = self as unknown as ServiceWorkerGlobalScope;

const CACHE = `cityhub-shell-${version}`;
const SHELL = '/';
/** Map glyphs are kept as they are used (the offline map pick labels its streets with them). */
const GLYPHS = 'cityhub-glyphs';
const ASSETS = new Set([...build, ...files]);
/** Paths that are never the app: the hub's own answers must reach the page as they are. */
const NOT_APP = /^\/(api|socket\.io|open311|docs|healthz|metrics|openapi\.json)(\/|$)/;

sw.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await cache.addAll([SHELL, ...ASSETS]);
      await sw.skipWaiting();
    })(),
  );
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) {
        if (key.startsWith('cityhub-shell-') && key !== CACHE) await caches.delete(key);
      }
      await sw.clients.claim();
    })(),
  );
});

async function fromCache(request: Request, cacheName = CACHE): Promise<Response | undefined> {
  return (await caches.open(cacheName)).match(request);
}

async function page(request: Request): Promise<Response> {
  try {
    const response = await fetch(request);
    if (response.ok && response.headers.get('content-type')?.includes('text/html')) {
      // The SPA answers every page with index.html: keep the newest as the shell.
      await (await caches.open(CACHE)).put(SHELL, response.clone());
    }
    return response;
  } catch (err) {
    const shell = await fromCache(new Request(SHELL));
    if (shell) return shell;
    throw err;
  }
}

async function glyphs(request: Request): Promise<Response> {
  const kept = await fromCache(request, GLYPHS);
  if (kept) return kept;
  const response = await fetch(request);
  if (response.ok) await (await caches.open(GLYPHS)).put(request, response.clone());
  return response;
}

sw.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== sw.location.origin || NOT_APP.test(url.pathname)) return;
  if (ASSETS.has(url.pathname)) {
    event.respondWith(fromCache(request).then((kept) => kept ?? fetch(request)));
  } else if (request.mode === 'navigate') {
    event.respondWith(page(request));
  } else if (url.pathname.startsWith('/glyphs/')) {
    event.respondWith(glyphs(request));
  }
});
