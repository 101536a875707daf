// 地理编码 geocoding: point → unit grid cell → community → street → district, from an in-memory flatbush index over the
// cells' bboxes and an exact point-in-polygon test, so the ingest path pays microseconds per position, not a query.
import Flatbush from 'flatbush';
import type pg from 'pg';
import type { AreaCodes, Geocoder } from '../cases/ports.js';
import { AreaStore } from './areas.js';
import { areaCodesOfCell } from './codes.js';
import {
  containsPoint,
  geometryBBox,
  prepareGeometry,
  type AreaGeometry,
  type BBox,
  type PreparedGeometry,
} from './geometry.js';

export interface CellShape {
  code: string;
  geometry: AreaGeometry;
}

/**
 * The cells of a grid in a static spatial index. Pure (no database), so the benchmark and the tests build it directly.
 * Cells are held in code order, and when imported cells overlap, the lowest code containing the point wins.
 */
export class CellIndex {
  private readonly codes: string[];
  private readonly shapes: PreparedGeometry[];
  private readonly index: Flatbush | null;

  constructor(cells: readonly CellShape[]) {
    const sorted = [...cells].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
    this.codes = sorted.map((c) => c.code);
    this.shapes = sorted.map((c) => prepareGeometry(c.geometry));
    // Flatbush cannot hold zero items.
    if (sorted.length === 0) {
      this.index = null;
      return;
    }
    const index = new Flatbush(sorted.length);
    for (const c of sorted) {
      const b = geometryBBox(c.geometry);
      index.add(b.minLon, b.minLat, b.maxLon, b.maxLat);
    }
    index.finish();
    this.index = index;
  }

  get size(): number {
    return this.codes.length;
  }

  /** The code of the cell containing the point, or null. */
  locateCell(lon: number, lat: number): string | null {
    if (!this.index || !Number.isFinite(lon) || !Number.isFinite(lat)) return null;
    const candidates = this.index.search(lon, lat, lon, lat);
    let best = -1;
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i]!;
      // Items are numbered in code order: a lower number is a lower code.
      if ((best < 0 || c < best) && containsPoint(this.shapes[c]!, lon, lat)) best = c;
    }
    return best < 0 ? null : this.codes[best]!;
  }

  /** Codes of the cells whose bbox intersects or touches `bbox`, in code order. */
  cellsIn(bbox: BBox): string[] {
    if (!this.index) return [];
    return this.index
      .search(bbox.minLon, bbox.minLat, bbox.maxLon, bbox.maxLat)
      .sort((a, b) => a - b)
      .map((i) => this.codes[i]!);
  }

  /** The brute-force answer (every cell tested), the benchmark's baseline and the tests' cross-check. */
  locateCellByScan(lon: number, lat: number): string | null {
    for (let i = 0; i < this.shapes.length; i++) if (containsPoint(this.shapes[i]!, lon, lat)) return this.codes[i]!;
    return null;
  }
}

/** The `Geocoder` port over the areas in the database; `reload()` after every import of areas. */
export class GridGeocoder implements Geocoder {
  private cells = new CellIndex([]);
  private names = new Map<string, string>();
  private readonly store: AreaStore;

  constructor(pool: pg.Pool) {
    this.store = new AreaStore(pool);
  }

  /** Reads all areas and swaps in a new index at once; lookups during the read use the old one. */
  async reload(): Promise<{ cells: number; areas: number }> {
    const { names, cells } = await this.store.loadIndexData();
    const index = new CellIndex(cells);
    this.cells = index;
    this.names = names;
    return { cells: index.size, areas: names.size };
  }

  locate(lon: number, lat: number): AreaCodes | null {
    const cell = this.cells.locateCell(lon, lat);
    return cell ? areaCodesOfCell(cell) : null;
  }

  cellsIn(bbox: BBox): string[] {
    return this.cells.cellsIn(bbox);
  }

  /** An area's name from the loaded data; null for a code not loaded (e.g. a cell's parent missing from the DB). */
  nameOf(code: string): string | null {
    return this.names.get(code) ?? null;
  }

  get cellCount(): number {
    return this.cells.size;
  }
}
