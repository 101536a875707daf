// 地图页面 what a browser test reads off the supervision map: the point features MapLibre has drawn, through the map
// instance the page exposes as `__cityhubMap` (queryRenderedFeatures), with their colour and where they are on screen.
import type { Page } from 'playwright-core';
import { waitFor } from './wait.js';

export interface RenderedFeature {
  properties: Record<string, unknown>;
  /** The point as drawn (in the basemap's datum; tile coordinates are quantised to a few decimetres). */
  coordinates: [number, number];
  /** The circle colour MapLibre evaluated for the feature (`rgba(r,g,b,1)`); '' on a layer without one. */
  color: string;
  /** Where it is on screen, in page pixels. */
  x: number;
  y: number;
}

/** The point features drawn in these style layers (those the map has); none before the map is up. */
export function renderedFeatures(page: Page, layers: string[]): Promise<RenderedFeature[]> {
  // Runs in the page; typed by the little of MapLibre's API it uses (the tests have no DOM types).
  interface PageMap {
    getLayer(id: string): unknown;
    queryRenderedFeatures(options: { layers: string[] }): {
      properties: Record<string, unknown> | null;
      geometry: { coordinates: [number, number] };
      layer: { paint?: Record<string, unknown> };
    }[];
    project(lngLat: [number, number]): { x: number; y: number };
    getCanvas(): { getBoundingClientRect(): { left: number; top: number } };
  }
  return page.evaluate((ids) => {
    const map = (globalThis as { __cityhubMap?: PageMap }).__cityhubMap;
    const present = ids.filter((id) => map?.getLayer(id));
    if (!map || present.length === 0) return [];
    const origin = map.getCanvas().getBoundingClientRect();
    return map.queryRenderedFeatures({ layers: present }).map((f) => {
      const at = map.project(f.geometry.coordinates);
      const color = f.layer.paint?.['circle-color'];
      return {
        properties: f.properties ?? {},
        coordinates: f.geometry.coordinates,
        color: color === undefined ? '' : String(color),
        x: origin.left + at.x,
        y: origin.top + at.y,
      };
    });
  }, layers);
}

/** Waits until a feature drawn in these layers matches, and returns it; the error lists what was drawn. */
export async function waitRendered(
  page: Page,
  what: string,
  layers: string[],
  match: (f: RenderedFeature) => boolean,
  timeoutMs = 20_000,
): Promise<RenderedFeature> {
  let seen: RenderedFeature[] = [];
  try {
    return await waitFor(
      what,
      async () => {
        seen = await renderedFeatures(page, layers);
        return seen.find(match);
      },
      timeoutMs,
      100,
    );
  } catch (err) {
    throw new Error(
      `${(err as Error).message}; drawn in ${layers.join(', ')}: ${JSON.stringify(seen).slice(0, 1000)}`,
      {
        cause: err,
      },
    );
  }
}
