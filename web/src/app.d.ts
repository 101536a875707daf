// Ambient types for SvelteKit and for the browser globals that the end-to-end tests rely on.
import type { Map as MaplibreMap } from 'maplibre-gl';

declare global {
  namespace App {
    // No server side: the hub is a separate Fastify service, so Locals/PageData/Platform stay empty for now.
  }

  interface Window {
    /** The live MapLibre instance, present while the supervision map is mounted (tests call queryRenderedFeatures). */
    __cityhubMap?: MaplibreMap;
  }

  interface DOMStringMap {
    /** `document.body.dataset.mapReady`: 'true' once the map has loaded and the first snapshot has been rendered. */
    mapReady?: 'true';
  }
}

export {};
