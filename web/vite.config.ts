// Vite configuration for the web app; the dev server proxies hub endpoints so the app always talks to its own origin.
import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig, type ProxyOptions } from 'vite';

// The hub listens here during development (same default as `npm start` at the repo root).
const HUB_ORIGIN = process.env.CITYHUB_HUB_ORIGIN ?? 'http://127.0.0.1:8080';

const hubProxy: Record<string, string | ProxyOptions> = {
  '/api': HUB_ORIGIN,
  '/glyphs': HUB_ORIGIN,
  '/socket.io': { target: HUB_ORIGIN, ws: true },
};

export default defineConfig({
  plugins: [sveltekit()],
  server: { proxy: hubProxy },
  preview: { proxy: hubProxy },
  build: {
    rolldownOptions: {
      output: {
        // MapLibre is ~1 MB and changes far less often than our code; its own chunk stays cached across app releases.
        codeSplitting: { groups: [{ name: 'maplibre', test: /node_modules[\\/]maplibre-gl[\\/]/ }] },
      },
    },
    // MapLibre ships pre-minified at ~1 MB and cannot be split further; warn only if something else grows that large.
    chunkSizeWarningLimit: 1100,
  },
});
