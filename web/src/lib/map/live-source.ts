// A GeoJSON source fed from a live store in paced batches (实时图层数据源): changes are collected as ids and coalesced
// (draw-pacer.ts), and an update goes to MapLibre in an animation frame — one `updateData` diff of the features that
// changed, or one `setData` after a snapshot — only once the previous update is on screen and the source's pace allows.
// So 5,000 units reporting every second cost a few source updates a second, and a map too slow to draw them all shows
// every unit's newest position a little later, never a growing backlog of old ones.
import type { Feature, FeatureCollection } from 'geojson';
import type { GeoJSONSource, Map as MapLibreMap } from 'maplibre-gl';
import type { Changed } from '$lib/live/live-map.svelte';
import { DrawPacer, type DrawPacerOptions } from './draw-pacer';
import { whenSourceRendered } from './when-source-rendered';

/** A point (or any) feature; `properties.id` is the feature's id (the source's promoteId). */
export interface IdFeature {
  type: 'Feature';
  geometry: { type: string; coordinates: unknown };
  properties: { id: string } & Record<string, unknown>;
}

/** At most one update per frame, one at a time; a lost "drawn" signal holds the next one back for 5 s at most. */
export const DEFAULT_PACE: DrawPacerOptions = { minIntervalMs: 0, restRatio: 0, drawnTimeoutMs: 5_000 };

export interface LiveSourceOptions {
  map: MapLibreMap;
  sourceId: string;
  /** The feature to draw for an id, or null when it is not (or no longer) in this source. */
  feature(id: string): IdFeature | null;
  /** Every id the store holds (for a full redraw). */
  ids(): Iterable<string>;
  /** How often updates may go to MapLibre (default DEFAULT_PACE). */
  pace?: Partial<DrawPacerOptions>;
  /**
   * Every update as one `setData` of all features: for a clustered source, which MapLibre re-clusters in full on any
   * change, so a diff would only add the bookkeeping of one.
   */
  fullUpdates?: boolean;
  /**
   * False while nothing drawn from this source can be seen (its layers are out of their zoom range): changes then wait,
   * and the source is redrawn in full once it is active again and `refresh` is called.
   */
  active?(): boolean;
  /**
   * After each update was handed to MapLibre (for measurements); a function it returns is called once that update is
   * on screen.
   */
  afterFlush?(kind: 'full' | 'diff', features: number): (() => void) | void;
  /** Resolves once the source's latest data is on screen (default: whenSourceRendered). */
  whenDrawn?(map: MapLibreMap, sourceId: string): Promise<void>;
  /** The clock, in ms (default: performance.now). */
  now?(): number;
}

export class LiveSource {
  readonly #pacer: DrawPacer;
  readonly #now: () => number;
  #frame = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #present = new Set<string>();
  #destroyed = false;

  constructor(private readonly options: LiveSourceOptions) {
    this.#pacer = new DrawPacer({ ...DEFAULT_PACE, ...options.pace });
    this.#now = options.now ?? (() => performance.now());
    this.#schedule();
  }

  /** Ids that changed in the store (null: all of them, e.g. after a snapshot). */
  changed(changed: Changed): void {
    this.#pacer.changed(this.#active() ? changed : null);
    this.#schedule();
  }

  /** Redraws everything (what a feature looks like changed without the data changing: the clock, the datum). */
  refresh(): void {
    this.#pacer.changed(null);
    this.#schedule();
  }

  destroy(): void {
    this.#destroyed = true;
    if (this.#frame !== 0) cancelAnimationFrame(this.#frame);
    this.#frame = 0;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #active(): boolean {
    return this.options.active?.() ?? true;
  }

  #schedule(): void {
    if (this.#destroyed || this.#frame !== 0 || this.#timer !== undefined || !this.#active()) return;
    const wait = this.#pacer.delayMs(this.#now());
    if (wait === null) return;
    if (wait > 0) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#schedule();
      }, wait);
      return;
    }
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      this.#flush();
    });
  }

  #flush(): void {
    const { map, sourceId } = this.options;
    const source = map.getSource<GeoJSONSource>(sourceId);
    if (!source) return;
    if (!this.#active()) {
      // Out of sight since the changes came: draw everything once it is back (`refresh`).
      this.#pacer.changed(null);
      return;
    }
    const due = this.#pacer.take(this.#now());
    if (!due) return this.#schedule();
    const sent =
      due.full || this.options.fullUpdates
        ? this.#sendAll(source, due.full ? null : due.ids)
        : this.#sendDiff(source, due.ids);
    if (!sent) {
      // Nothing of this source changed (the ids were another layer's): nothing to wait for.
      this.#pacer.drawn(due.seq, this.#now());
      return this.#schedule();
    }
    const onScreen = this.options.afterFlush?.(sent.kind, sent.features);
    const whenDrawn = this.options.whenDrawn ?? whenSourceRendered;
    void whenDrawn(map, sourceId).then(() => {
      if (this.#destroyed) return;
      onScreen?.();
      this.#pacer.drawn(due.seq, this.#now());
      // The timer may be waiting out this update's timeout: it is drawn, so the next one may be sooner.
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#schedule();
    });
    this.#schedule();
  }

  /** One setData of every feature; `changedIds` (a diff turned full) skips it when none of them is this source's. */
  #sendAll(source: GeoJSONSource, changedIds: string[] | null): { kind: 'full'; features: number } | null {
    if (changedIds && !changedIds.some((id) => this.#present.has(id) || this.options.feature(id) !== null)) return null;
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
    return { kind: 'full', features: features.length };
  }

  #sendDiff(source: GeoJSONSource, ids: string[]): { kind: 'diff'; features: number } | null {
    const add: IdFeature[] = [];
    const remove: string[] = [];
    for (const id of ids) {
      const f = this.options.feature(id);
      if (f) {
        add.push(f);
        this.#present.add(id);
      } else if (this.#present.delete(id)) {
        remove.push(id);
      }
    }
    if (add.length === 0 && remove.length === 0) return null;
    // `add` replaces a feature with the same id: one diff carries moves, new features and removals alike.
    source.updateData({ add: add as Feature[], remove });
    return { kind: 'diff', features: add.length + remove.length };
  }
}
