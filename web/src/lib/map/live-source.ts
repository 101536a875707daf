// A GeoJSON source fed from a live store in batches: changes are collected as ids and applied once per animation frame —
// as one `updateData` diff (only the features that changed) or, after a snapshot, one `setData` — so 5,000 units
// reporting every second cost a few source updates per second, never a re-render per feature.
import type { Feature, FeatureCollection } from 'geojson';
import type { GeoJSONSource, Map as MapLibreMap } from 'maplibre-gl';
import type { Changed } from '$lib/live/live-map.svelte';

/** A point (or any) feature; `properties.id` is the feature's id (the source's promoteId). */
export interface IdFeature {
  type: 'Feature';
  geometry: { type: string; coordinates: unknown };
  properties: { id: string } & Record<string, unknown>;
}

export interface LiveSourceOptions {
  map: MapLibreMap;
  sourceId: string;
  /** The feature to draw for an id, or null when it is not (or no longer) in this source. */
  feature(id: string): IdFeature | null;
  /** Every id the store holds (for a full redraw). */
  ids(): Iterable<string>;
  /** After each update was handed to MapLibre (for measurements). */
  afterFlush?(kind: 'full' | 'diff', features: number): void;
}

export class LiveSource {
  #dirty = new Set<string>();
  #full = true;
  #frame = 0;
  #present = new Set<string>();
  #destroyed = false;

  constructor(private readonly options: LiveSourceOptions) {
    this.#schedule();
  }

  /** Ids that changed in the store (null: all of them, e.g. after a snapshot). */
  changed(changed: Changed): void {
    if (changed === null) this.#full = true;
    else for (const id of changed) this.#dirty.add(id);
    this.#schedule();
  }

  /** Redraws everything (what a feature looks like changed without the data changing: the clock, the datum). */
  refresh(): void {
    this.#full = true;
    this.#schedule();
  }

  destroy(): void {
    this.#destroyed = true;
    if (this.#frame !== 0) cancelAnimationFrame(this.#frame);
    this.#frame = 0;
  }

  #schedule(): void {
    if (this.#frame !== 0 || this.#destroyed) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      this.#flush();
    });
  }

  #flush(): void {
    const { map, sourceId } = this.options;
    const source = map.getSource<GeoJSONSource>(sourceId);
    if (!source) return;
    if (this.#full) {
      const features: IdFeature[] = [];
      const present = new Set<string>();
      for (const id of this.options.ids()) {
        const f = this.options.feature(id);
        if (!f) continue;
        features.push(f);
        present.add(id);
      }
      source.setData({ type: 'FeatureCollection', features } as FeatureCollection);
      this.#present = present;
      this.#full = false;
      this.#dirty.clear();
      this.options.afterFlush?.('full', features.length);
      return;
    }
    if (this.#dirty.size === 0) return;
    const add: IdFeature[] = [];
    const remove: string[] = [];
    for (const id of this.#dirty) {
      const f = this.options.feature(id);
      if (f) {
        add.push(f);
        this.#present.add(id);
      } else if (this.#present.delete(id)) {
        remove.push(id);
      }
    }
    this.#dirty.clear();
    if (add.length === 0 && remove.length === 0) return;
    // `add` replaces a feature with the same id: one diff carries moves, new features and removals alike.
    source.updateData({ add: add as Feature[], remove });
    this.options.afterFlush?.('diff', add.length + remove.length);
  }
}
