// 运动检测 the motion gate (Frigate's discipline): a cheap difference of a downscaled grey frame against a running-average
// background, per zone, decides whether the expensive detector sees the frame at all. Static frames never reach it; a
// standing object (which makes no motion) is re-confirmed every `recheckEveryMs` so its track stays alive. Pure.
import type { Frame, VideoZone } from './types.js';
import { pointInImagePolygon } from './zones.js';

export interface MotionOptions {
  /** Side of the square of pixels averaged into one grey cell (default 8: 640×480 → 80×60). */
  downscale?: number;
  /** Grey-level difference (0–255) from the background that counts a cell as changed (default 25). */
  pixelThreshold?: number;
  /** Share of a zone's cells that must change for motion in the zone (default 0.005). */
  zoneFraction?: number;
  /** And at least this many changed cells, so a tiny zone does not fire on one noisy cell (default 3). */
  minChangedCells?: number;
  /** Weight of a new frame in the running background, 0–1 (default 0.2: a change is absorbed over ~10 samples). */
  backgroundAlpha?: number;
  /**
   * Share of the whole picture changing at once that means the light changed (clouds, street lamps, auto exposure),
   * not that something moved: the background restarts and no motion is reported (default 0.7).
   */
  lightingFraction?: number;
  /** Re-run the detector this often while the tracker says something stands in a zone (default 10 000). */
  recheckEveryMs?: number;
}

export interface MotionResult {
  /** Whether the frame should go to the detector. */
  motion: boolean;
  /** Zones with motion, or the zones with a standing object on a re-check. */
  zones: string[];
  /** Why the frame passes: the first frame (no background yet), motion in a zone, or a re-check; null when skipped. */
  reason: 'first' | 'motion' | 'recheck' | null;
  /** Changed share of each zone's cells (zone id → 0–1). */
  changed: Record<string, number>;
}

export interface MotionStats {
  framesIn: number;
  passed: number;
  skipped: number;
  /** Passed only to re-confirm a standing object. */
  rechecks: number;
  /** Background restarts after a lighting change or a new frame size. */
  resets: number;
}

/** The whole picture as one zone, for a camera without zones (its detections are still recorded). */
const WHOLE_FRAME = '*';

export class MotionGate {
  private readonly downscale: number;
  private readonly pixelThreshold: number;
  private readonly zoneFraction: number;
  private readonly minChangedCells: number;
  private readonly alpha: number;
  private readonly lightingFraction: number;
  private readonly recheckEveryMs: number;
  private background: Float32Array | null = null;
  private gridW = 0;
  private gridH = 0;
  private frameW = 0;
  private frameH = 0;
  private masks = new WeakMap<readonly VideoZone[], Array<{ id: string; cells: Uint32Array }>>();
  private lastPassedMs = Number.NEGATIVE_INFINITY;
  private readonly counters = { framesIn: 0, passed: 0, skipped: 0, rechecks: 0, resets: 0 };

  constructor(options: MotionOptions = {}) {
    this.downscale = options.downscale ?? 8;
    this.pixelThreshold = options.pixelThreshold ?? 25;
    this.zoneFraction = options.zoneFraction ?? 0.005;
    this.minChangedCells = options.minChangedCells ?? 3;
    this.alpha = options.backgroundAlpha ?? 0.2;
    this.lightingFraction = options.lightingFraction ?? 0.7;
    this.recheckEveryMs = options.recheckEveryMs ?? 10_000;
  }

  /**
   * Judges one frame. `standingZones`: zones where the tracker has a standing object; without motion, the frame still
   * passes for them once `recheckEveryMs` has gone by since the last frame that passed.
   */
  shouldDetect(frame: Frame, zones: readonly VideoZone[], standingZones: readonly string[] = []): MotionResult {
    this.counters.framesIn++;
    const grey = this.grey(frame);
    const first = this.background === null;
    if (first) {
      this.background = grey;
      return this.pass(frame, 'first', zones.length > 0 ? zones.map((z) => z.id) : [WHOLE_FRAME], {});
    }
    const bg = this.background!;
    const changedCell = new Uint8Array(grey.length);
    let changedTotal = 0;
    for (let i = 0; i < grey.length; i++) {
      if (Math.abs(grey[i]! - bg[i]!) > this.pixelThreshold) {
        changedCell[i] = 1;
        changedTotal++;
      }
    }
    if (changedTotal >= this.lightingFraction * grey.length) {
      this.background = grey;
      this.counters.resets++;
      return this.recheckOrSkip(frame, standingZones, {});
    }
    for (let i = 0; i < grey.length; i++) bg[i] = bg[i]! + this.alpha * (grey[i]! - bg[i]!);

    const changed: Record<string, number> = {};
    const moving: string[] = [];
    for (const { id, cells } of this.zoneMasks(zones)) {
      let n = 0;
      for (const c of cells) n += changedCell[c]!;
      const fraction = cells.length > 0 ? n / cells.length : 0;
      changed[id] = fraction;
      if (n >= this.minChangedCells && fraction >= this.zoneFraction) moving.push(id);
    }
    if (moving.length > 0) return this.pass(frame, 'motion', moving, changed);
    return this.recheckOrSkip(frame, standingZones, changed);
  }

  stats(): MotionStats {
    return { ...this.counters };
  }

  private recheckOrSkip(frame: Frame, standingZones: readonly string[], changed: Record<string, number>): MotionResult {
    if (standingZones.length > 0 && frame.timeMs - this.lastPassedMs >= this.recheckEveryMs) {
      this.counters.rechecks++;
      return this.pass(frame, 'recheck', [...standingZones], changed);
    }
    this.counters.skipped++;
    return { motion: false, zones: [], reason: null, changed };
  }

  private pass(
    frame: Frame,
    reason: MotionResult['reason'],
    zones: string[],
    changed: Record<string, number>,
  ): MotionResult {
    this.counters.passed++;
    this.lastPassedMs = frame.timeMs;
    return { motion: true, zones, reason, changed };
  }

  /** Block-averaged luma (the averaging is the light blur that keeps sensor noise below the threshold), then a 3×3 box blur. */
  private grey(frame: Frame): Float32Array {
    const { width, height, rgb } = frame;
    if (rgb.length < width * height * 3) {
      throw new RangeError(`frame of ${width}×${height} needs ${width * height * 3} bytes of RGB, has ${rgb.length}`);
    }
    const s = this.downscale;
    const gw = Math.max(1, Math.floor(width / s));
    const gh = Math.max(1, Math.floor(height / s));
    if (gw !== this.gridW || gh !== this.gridH || width !== this.frameW || height !== this.frameH) {
      // A stream that comes back at another resolution: its old background and zone masks no longer apply.
      if (this.background) this.counters.resets++;
      this.background = null;
      this.gridW = gw;
      this.gridH = gh;
      this.frameW = width;
      this.frameH = height;
      this.masks = new WeakMap();
    }
    const sum = new Float32Array(gw * gh);
    const bw = Math.floor(width / gw);
    const bh = Math.floor(height / gh);
    for (let gy = 0; gy < gh; gy++) {
      for (let y = gy * bh; y < (gy + 1) * bh; y++) {
        let p = y * width * 3;
        for (let gx = 0; gx < gw; gx++) {
          let acc = 0;
          for (let x = 0; x < bw; x++, p += 3) acc += 0.299 * rgb[p]! + 0.587 * rgb[p + 1]! + 0.114 * rgb[p + 2]!;
          sum[gy * gw + gx]! += acc;
        }
      }
    }
    const area = bw * bh;
    for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! / area;
    const out = new Float32Array(gw * gh);
    for (let y = 0; y < gh; y++) {
      for (let x = 0; x < gw; x++) {
        let acc = 0;
        let n = 0;
        for (let dy = -1; dy <= 1; dy++) {
          const yy = y + dy;
          if (yy < 0 || yy >= gh) continue;
          for (let dx = -1; dx <= 1; dx++) {
            const xx = x + dx;
            if (xx < 0 || xx >= gw) continue;
            acc += sum[yy * gw + xx]!;
            n++;
          }
        }
        out[y * gw + x] = acc / n;
      }
    }
    return out;
  }

  /** Cells whose centre lies in each zone, computed once per zone list and grid size. */
  private zoneMasks(zones: readonly VideoZone[]): Array<{ id: string; cells: Uint32Array }> {
    let masks = this.masks.get(zones);
    if (masks) return masks;
    const all = (): Uint32Array => Uint32Array.from({ length: this.gridW * this.gridH }, (_, i) => i);
    masks =
      zones.length === 0
        ? [{ id: WHOLE_FRAME, cells: all() }]
        : zones.map((z) => {
            const cells: number[] = [];
            for (let y = 0; y < this.gridH; y++) {
              for (let x = 0; x < this.gridW; x++) {
                if (pointInImagePolygon((x + 0.5) / this.gridW, (y + 0.5) / this.gridH, z.polygon)) {
                  cells.push(y * this.gridW + x);
                }
              }
            }
            return { id: z.id, cells: Uint32Array.from(cells) };
          });
    this.masks.set(zones, masks);
    return masks;
  }
}
