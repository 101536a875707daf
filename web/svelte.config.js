// SvelteKit configuration for the City Hub web app: a pure client-side SPA that the hub serves from web/build/.
import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  compilerOptions: {
    // Runes everywhere in our own code, but leave third-party components in whatever mode they were written for.
    runes: ({ filename }) => (filename.split(/[/\\]/).includes('node_modules') ? undefined : true),
  },
  kit: {
    // Every route is rendered in the browser; the hub answers unknown paths with index.html so deep links still work.
    adapter: adapter({ pages: 'build', assets: 'build', fallback: 'index.html', precompress: false, strict: true }),
  },
};

export default config;
