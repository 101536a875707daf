import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // The web app's plain-TypeScript modules (merge rules, contract parsing) are unit-tested here too.
    alias: { $lib: fileURLToPath(new URL('./web/src/lib', import.meta.url)) },
  },
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**', 'web/node_modules/**', 'web/build/**', 'web/.svelte-kit/**'],
    // Integration tests start real servers (PostgreSQL, the hub, Chromium): give them room and run files one at a time
    // on a 2-core box so timings stay stable.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    globalSetup: ['test/global-setup.ts'],
  },
});
