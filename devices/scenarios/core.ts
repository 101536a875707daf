// 场景核心 the pure core of the detection scenarios (自动发现验证场景): what a scenario is (devices with their tracks and
// readings, zones, rule configurations, and the ground truth of the violations injected on purpose), time-compressed
// tracks along the demo routes built from legs (drive, loop, wait) and sampled on a fix grid, and the local-time helpers
// rule configurations need. No I/O, no clock, no randomness: the same input builds the same scenario, byte for byte.
import {
  bearingDeg,
  haversineM,
  interpolateAlong,
  preparePolyline,
  type LonLat,
  type PreparedPolyline,
} from '../geo.js';
import { JINAN_OLD_TOWN_ROUTES, type VehicleRoute } from '../routes/jinan-old-town.js';

export type { LonLat } from '../geo.js';

/** One position fix as a device reports it (the wire format rounds it). */
export interface Fix {
  timeMs: number;
  lon: number;
  lat: number;
  speedKmh: number;
  /** Degrees clockwise from north, [0, 360). */
  course: number;
  /** JT/T 808 alarm flags set at this fix (terminals only), e.g. `{ sos: true }`. */
  alarms?: Readonly<Record<string, boolean>>;
}

/** One telemetry message: metric name (unit in the name) → value. */
export interface Reading {
  timeMs: number;
  metrics: Record<string, number>;
}

export type DeviceKind = 'vehicle' | 'collector' | 'sensor';

/** A simulated device: how it is registered, and everything it will send. */
export interface SimDevice {
  id: string;
  kind: DeviceKind;
  /** Registry attributes, e.g. `{ vehicleKind: 'muck' }`, `{ sensorType: 'manhole', lon, lat }`. */
  attributes: Record<string, unknown>;
  /** `mqtt` (default) or `jt808` (a JT/T 808 terminal; needs `attributes.jt808Phone`). */
  protocol?: 'mqtt' | 'jt808';
  /** The unit grid cells assigned (责任网格) are the cells containing these points, asked of the hub's geocoder. */
  assignCellsAt?: readonly LonLat[];
  fixes: Fix[];
  readings: Reading[];
}

/** A zone as the hub takes it (a GeoJSON Feature of the zone collection). */
export interface ZoneFeature {
  type: 'Feature';
  properties: { id: string; name: string; [k: string]: unknown };
  geometry: { type: 'Polygon'; coordinates: number[][][] };
}

/** A rule configuration as `PUT /api/rules/:id` takes it. */
export type RuleConfig = { id: string; kind: string; name: string; enabled: boolean; classRef: string } & Record<
  string,
  unknown
>;

/** Ground truth: one violation injected on purpose, which must give exactly one candidate. */
export interface Violation {
  ruleKind: string;
  /** `event:0112` / `component:0102` */
  classRef: string;
  deviceId: string;
  /** Where the violation happened: a candidate within the tolerance of any of these points is at the right place. */
  where: LonLat[];
  startMs: number;
  endMs: number;
  /** What was injected, for the report. */
  note: string;
}

export interface ScenarioPlan {
  zones: ZoneFeature[];
  rules: RuleConfig[];
  devices: SimDevice[];
  violations: Violation[];
  /** The simulated time span the devices report in. */
  startMs: number;
  endMs: number;
}

export interface ScenarioInput {
  /** Prefix of every id the scenario creates (devices, zones, rules), unique per run, e.g. `rz-m3k9p2`. */
  runId: string;
  /** Simulated start instant; whole minutes. */
  startMs: number;
  /** The city's IANA time zone (shifts and permitted hours are local). */
  timeZone: string;
}

export interface Scenario {
  name: string;
  /** One line: what runs and what is injected. */
  summary: string;
  /** Simulated length; the runner picks the start so that start + duration lies in the past. */
  durationMs: number;
  /** Real seconds the runner aims to play it in (it may take longer: it waits for the hub's acknowledgements). */
  playSeconds: number;
  build(input: ScenarioInput): ScenarioPlan;
}

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;

// ── Local time ──────────────────────────────────────────────────────────────────────────────────────────────────────

const formatters = new Map<string, Intl.DateTimeFormat>();

function localParts(ms: number, timeZone: string): { hour: number; minute: number } {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', hour: 'numeric', minute: 'numeric' });
    formatters.set(timeZone, f);
  }
  const out = { hour: 0, minute: 0 };
  for (const p of f.formatToParts(ms)) if (p.type === 'hour' || p.type === 'minute') out[p.type] = Number(p.value);
  return out;
}

/** Local wall-clock `HH:MM` of an instant in the zone (Intl, so any zone and its daylight saving time work). */
export function localHhmm(ms: number, timeZone: string): string {
  const { hour, minute } = localParts(ms, timeZone);
  return `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
}

/** A shift (班次) from `fromMs` to `toMs` written in local `HH:MM`, as collector rules take it. */
export function localShift(fromMs: number, toMs: number, timeZone: string): { from: string; to: string } {
  return { from: localHhmm(fromMs, timeZone), to: localHhmm(toMs, timeZone) };
}

// ── Geometry ────────────────────────────────────────────────────────────────────────────────────────────────────────

const M_PER_DEG_LAT = 111_195;

/** The point `eastM` metres east and `northM` metres north of `p` (local flat approximation, fine for < 10 km). */
export function offsetM(p: LonLat, eastM: number, northM: number): LonLat {
  const lat = p[1] + northM / M_PER_DEG_LAT;
  const lon = p[0] + eastM / (M_PER_DEG_LAT * Math.cos((p[1] * Math.PI) / 180));
  return [lon, lat];
}

/** An axis-aligned rectangle around `center`, as a closed GeoJSON ring. */
export function rectangle(center: LonLat, halfWidthM: number, halfHeightM: number): number[][][] {
  const sw = offsetM(center, -halfWidthM, -halfHeightM);
  const ne = offsetM(center, halfWidthM, halfHeightM);
  return [
    [
      [sw[0], sw[1]],
      [ne[0], sw[1]],
      [ne[0], ne[1]],
      [sw[0], ne[1]],
      [sw[0], sw[1]],
    ],
  ];
}

/** A rectangle from its south-west and north-east corners, as a closed GeoJSON ring. */
export function box(sw: LonLat, ne: LonLat): number[][][] {
  return [
    [
      [sw[0], sw[1]],
      [ne[0], sw[1]],
      [ne[0], ne[1]],
      [sw[0], ne[1]],
      [sw[0], sw[1]],
    ],
  ];
}

export function zone(
  id: string,
  name: string,
  ring: number[][][],
  properties: Record<string, unknown> = {},
): ZoneFeature {
  return { type: 'Feature', properties: { id, name, ...properties }, geometry: { type: 'Polygon', coordinates: ring } };
}

/** A demo route by id (devices/routes/jinan-old-town.ts); throws for an unknown id. */
export function route(id: string): VehicleRoute {
  const r = JINAN_OLD_TOWN_ROUTES.find((x) => x.id === id);
  if (!r) throw new RangeError(`no demo route "${id}"`);
  return r;
}

/** Length of a route's closed loop, metres. */
export function loopLengthM(points: readonly LonLat[]): number {
  return preparePolyline(points).lengthM;
}

/** The point `distanceM` along a closed loop (wrapping round). */
export function pointOnLoop(points: readonly LonLat[], distanceM: number): LonLat {
  const line = preparePolyline(points);
  const d = ((distanceM % line.lengthM) + line.lengthM) % line.lengthM;
  return interpolateAlong(line, d).position;
}

/**
 * The path along a closed loop from `fromM` for `lengthM` metres, wrapping round as often as needed: its first point
 * is the point at `fromM`, its last the point `lengthM` further on.
 */
export function alongLoop(points: readonly LonLat[], fromM: number, lengthM: number): LonLat[] {
  const line = preparePolyline(points);
  const total = line.lengthM;
  const at = (d: number): LonLat => interpolateAlong(line, ((d % total) + total) % total).position;
  const start = ((fromM % total) + total) % total;
  const end = start + Math.max(0, lengthM);
  const out: LonLat[] = [at(start)];
  for (let lap = 0; lap * total < end; lap++) {
    for (const [i, c] of line.cumulativeM.entries()) {
      const d = lap * total + c;
      const p = line.points[i]!;
      const last = out[out.length - 1]!;
      // The closing vertex of one lap and the first of the next are the same point: keep it once.
      if (d > start && d < end && (p[0] !== last[0] || p[1] !== last[1])) out.push(p);
    }
  }
  out.push(at(end));
  return out;
}

/** Even–odd point-in-polygon over the outer ring (the zones scenarios draw have no holes). */
export function insideRing(p: LonLat, ring: readonly number[][]): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i] as [number, number];
    const [xj, yj] = ring[j] as [number, number];
    if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Shortest distance from `p` to any of `points`, metres. */
export function nearestM(p: LonLat, points: readonly LonLat[]): number {
  let best = Infinity;
  for (const q of points) best = Math.min(best, haversineM(p, q));
  return best;
}

// ── Tracks ──────────────────────────────────────────────────────────────────────────────────────────────────────────

interface Leg {
  t0: number;
  t1: number;
  /** null: standing still at `at`. */
  line: PreparedPolyline | null;
  at: LonLat;
  speedKmh: number;
  tag: string | undefined;
  alarms: Readonly<Record<string, boolean>> | undefined;
}

export interface TaggedFix extends Fix {
  tag: string | undefined;
}

/**
 * A device's movement as legs in time — drive along a path at a speed, loop a route until a time, wait — sampled on a
 * fix grid. Legs may carry a tag (the ground truth marks the injected violation with it: the tag never leaves the
 * simulator) and JT/T 808 alarm flags.
 */
export class Track {
  private readonly legs: Leg[] = [];
  private t: number;
  private pos: LonLat;
  private lastCourse = 0;

  constructor(
    readonly startMs: number,
    start: LonLat,
  ) {
    this.t = startMs;
    this.pos = start;
  }

  get endMs(): number {
    return this.t;
  }

  get position(): LonLat {
    return this.pos;
  }

  /** Drives from the current position through `path` (its first point may repeat the current one) at a steady speed. */
  drive(
    path: readonly LonLat[],
    speedKmh: number,
    opts: { tag?: string | undefined; alarms?: Record<string, boolean> } = {},
  ): this {
    const points = [this.pos, ...path];
    const distinct = points.filter((p, i) => i === 0 || p[0] !== points[i - 1]![0] || p[1] !== points[i - 1]![1]);
    if (distinct.length < 2) return this;
    if (!(speedKmh > 0)) throw new RangeError('drive needs a speed > 0');
    const line = preparePolyline(distinct);
    const durationMs = Math.round((line.lengthM / (speedKmh / 3.6)) * 1000);
    this.legs.push({
      t0: this.t,
      t1: this.t + durationMs,
      line,
      at: this.pos,
      speedKmh,
      tag: opts.tag,
      alarms: opts.alarms,
    });
    this.t += durationMs;
    this.pos = distinct[distinct.length - 1]!;
    return this;
  }

  /** Drives round a closed loop from the point `fromM` along it (the track must be there) until `untilMs`. */
  loopUntil(points: readonly LonLat[], fromM: number, untilMs: number, speedKmh: number, opts: { tag?: string } = {}) {
    if (untilMs <= this.t) return this;
    const lengthM = (speedKmh / 3.6) * ((untilMs - this.t) / 1000);
    this.drive(alongLoop(points, fromM, lengthM), speedKmh, opts);
    // Rounding of the leg's duration must not move the end: the caller's times are the truth.
    const last = this.legs[this.legs.length - 1];
    if (last) last.t1 = untilMs;
    this.t = untilMs;
    return this;
  }

  /** Stands still for `durationMs` (speed 0). */
  wait(durationMs: number, opts: { tag?: string | undefined; alarms?: Record<string, boolean> } = {}): this {
    if (durationMs <= 0) return this;
    this.legs.push({
      t0: this.t,
      t1: this.t + durationMs,
      line: null,
      at: this.pos,
      speedKmh: 0,
      tag: opts.tag,
      alarms: opts.alarms,
    });
    this.t += durationMs;
    return this;
  }

  /** Stands still until `untilMs`. */
  waitUntil(untilMs: number, opts: { tag?: string; alarms?: Record<string, boolean> } = {}): this {
    return this.wait(untilMs - this.t, opts);
  }

  /**
   * Fixes every `intervalMs` from `startMs + phaseMs` to the end of the last leg (inclusive), optionally only within
   * [fromMs, toMs). A fix on a leg boundary belongs to the leg that starts there.
   */
  fixes(intervalMs: number, phaseMs = 0, window: { fromMs?: number; toMs?: number } = {}): TaggedFix[] {
    const out: TaggedFix[] = [];
    let li = 0;
    for (let t = this.startMs + phaseMs; t <= this.t; t += intervalMs) {
      if (window.fromMs !== undefined && t < window.fromMs) continue;
      if (window.toMs !== undefined && t >= window.toMs) break;
      while (li < this.legs.length - 1 && t >= this.legs[li]!.t1) li++;
      const leg = this.legs[li];
      if (!leg) {
        out.push({ timeMs: t, lon: this.pos[0], lat: this.pos[1], speedKmh: 0, course: 0, tag: undefined });
        continue;
      }
      if (leg.line === null) {
        out.push({
          timeMs: t,
          lon: leg.at[0],
          lat: leg.at[1],
          speedKmh: 0,
          course: this.lastCourse,
          tag: leg.tag,
          ...(leg.alarms ? { alarms: leg.alarms } : {}),
        });
        continue;
      }
      const frac = leg.t1 > leg.t0 ? Math.min(1, (t - leg.t0) / (leg.t1 - leg.t0)) : 1;
      const p = interpolateAlong(leg.line, frac * leg.line.lengthM);
      this.lastCourse = p.bearingDeg;
      out.push({
        timeMs: t,
        lon: p.position[0],
        lat: p.position[1],
        speedKmh: leg.speedKmh,
        course: p.bearingDeg,
        tag: leg.tag,
        ...(leg.alarms ? { alarms: leg.alarms } : {}),
      });
    }
    return out;
  }
}

/** The fixes without their tags: what the device sends. */
export function untagged(fixes: readonly TaggedFix[]): Fix[] {
  return fixes.map(({ tag: _tag, ...f }) => f);
}

/** The span and places of the fixes carrying `tag`; throws when none does (a scenario bug, not a hub bug). */
export function tagged(fixes: readonly TaggedFix[], tag: string): { where: LonLat[]; startMs: number; endMs: number } {
  const hit = fixes.filter((f) => f.tag === tag);
  if (hit.length === 0) throw new Error(`no fix carries the tag "${tag}": the injected violation is not in the track`);
  return {
    where: hit.map((f) => [f.lon, f.lat] as const),
    startMs: hit[0]!.timeMs,
    endMs: hit[hit.length - 1]!.timeMs,
  };
}

/** Readings every `intervalMs` in [fromMs, toMs), values from `valueAt`; a null value skips the reading (silence). */
export function readings(
  fromMs: number,
  toMs: number,
  intervalMs: number,
  valueAt: (timeMs: number, i: number) => Record<string, number> | null,
): Reading[] {
  const out: Reading[] = [];
  let i = 0;
  for (let t = fromMs; t < toMs; t += intervalMs, i++) {
    const metrics = valueAt(t, i);
    if (metrics) out.push({ timeMs: t, metrics });
  }
  return out;
}

/** A small deterministic wobble (e.g. ±amplitude) for readings and phases, from an index: no randomness needed. */
export function wobble(i: number, amplitude: number): number {
  return amplitude * Math.sin(i * 1.7 + 0.3) * Math.cos(i * 0.37);
}

/** Ids of one run: everything a scenario creates starts with the run id, so runs never collide. */
export function idsOf(runId: string): (name: string) => string {
  return (name) => `${runId}-${name}`;
}

/** A single bearing from `a` to `b`, for fixes that need one. */
export { bearingDeg, haversineM };

/** Distance along a closed loop of the point on it nearest to `p` (flat approximation per segment), metres. */
export function offsetOnLoop(points: readonly LonLat[], p: LonLat): number {
  const line = preparePolyline(points);
  const kx = Math.cos((p[1] * Math.PI) / 180);
  let best = { d2: Infinity, along: 0 };
  for (let i = 0; i < line.points.length - 1; i++) {
    const a = line.points[i]!;
    const b = line.points[i + 1]!;
    const [ax, ay, bx, by, px, py] = [a[0] * kx, a[1], b[0] * kx, b[1], p[0] * kx, p[1]];
    const len2 = (bx - ax) ** 2 + (by - ay) ** 2;
    const t = len2 > 0 ? Math.max(0, Math.min(1, ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / len2)) : 0;
    const d2 = (ax + t * (bx - ax) - px) ** 2 + (ay + t * (by - ay) - py) ** 2;
    if (d2 < best.d2) {
      best = { d2, along: line.cumulativeM[i]! + t * (line.cumulativeM[i + 1]! - line.cumulativeM[i]!) };
    }
  }
  return best.along;
}

/**
 * A vehicle driving round a closed route, remembering how far along it is, so a scenario can say "cruise until
 * 08:20, go on to 解放阁, speed for 500 m, stop for 10 minutes, detour and come back" and the track stays continuous.
 */
export class LoopDriver {
  readonly track: Track;
  private readonly lengthM: number;
  /** Distance along the loop, metres, in [0, lengthM). */
  private atM: number;

  /** `track`: carry on an existing track, which must have arrived at the loop point `startAtM`. */
  constructor(
    readonly points: readonly LonLat[],
    startMs: number,
    startAtM: number,
    track?: Track,
  ) {
    this.lengthM = loopLengthM(points);
    this.atM = ((startAtM % this.lengthM) + this.lengthM) % this.lengthM;
    this.track = track ?? new Track(startMs, pointOnLoop(points, this.atM));
  }

  get timeMs(): number {
    return this.track.endMs;
  }

  private advance(distanceM: number): void {
    this.atM = (this.atM + distanceM) % this.lengthM;
  }

  /** Drives on round the loop for `distanceM`. */
  run(distanceM: number, speedKmh: number, opts: { tag?: string; alarms?: Record<string, boolean> } = {}): this {
    if (distanceM <= 0) return this;
    this.track.drive(alongLoop(this.points, this.atM, distanceM), speedKmh, opts);
    this.advance(distanceM);
    return this;
  }

  /** Drives on to the loop point nearest `p` (the next time it comes round). */
  runTo(p: LonLat, speedKmh: number, opts: { tag?: string } = {}): this {
    const target = offsetOnLoop(this.points, p);
    const distanceM = (((target - this.atM) % this.lengthM) + this.lengthM) % this.lengthM;
    return this.run(distanceM, speedKmh, opts);
  }

  /** Drives on round the loop for `durationMs` at a steady speed (with offsetBefore: arrives where planned, on time). */
  runFor(durationMs: number, speedKmh: number, opts: { tag?: string; alarms?: Record<string, boolean> } = {}): this {
    return this.run((speedKmh / 3.6) * (durationMs / 1000), speedKmh, opts);
  }

  /** Cruises round the loop until `untilMs`, stopping `stopMs` every `stopEveryM` (traffic lights, pickups). */
  cruiseUntil(untilMs: number, speedKmh: number, stops: { everyM: number; forMs: number } | null = null): this {
    const mps = speedKmh / 3.6;
    while (this.timeMs < untilMs) {
      const leftMs = untilMs - this.timeMs;
      const legM = stops ? Math.min(stops.everyM, (leftMs / 1000) * mps) : (leftMs / 1000) * mps;
      if (legM < 1) {
        this.track.waitUntil(untilMs);
        break;
      }
      this.run(legM, speedKmh);
      if (stops && this.timeMs < untilMs) this.track.wait(Math.min(stops.forMs, untilMs - this.timeMs));
    }
    return this;
  }

  /** Stands still. */
  wait(durationMs: number, opts: { tag?: string; alarms?: Record<string, boolean> } = {}): this {
    this.track.wait(durationMs, opts);
    return this;
  }

  /** Leaves the loop along `path` and comes back the same way to where it left (e.g. a detour into a side street). */
  detour(
    path: readonly LonLat[],
    speedKmh: number,
    opts: { tag?: string; dwellMs?: number; dwellTag?: string } = {},
  ): this {
    const back = [...path].reverse().slice(1);
    const here = this.track.position;
    this.track.drive(path, speedKmh, opts);
    if (opts.dwellMs) this.track.wait(opts.dwellMs, { tag: opts.dwellTag ?? opts.tag });
    this.track.drive([...back, here], speedKmh, opts);
    return this;
  }

  fixes(intervalMs: number, phaseMs = 0): TaggedFix[] {
    return this.track.fixes(intervalMs, phaseMs);
  }
}

/** Checks a built plan: every device's messages in time order and inside the plan's span (a scenario bug otherwise). */
export function checkPlan(plan: ScenarioPlan): string[] {
  const problems: string[] = [];
  for (const d of plan.devices) {
    for (const [what, times] of [
      ['fixes', d.fixes.map((f) => f.timeMs)],
      ['readings', d.readings.map((r) => r.timeMs)],
    ] as const) {
      times.forEach((t, i) => {
        if (i > 0 && t <= times[i - 1]!) problems.push(`${d.id}: ${what}[${i}] is not after the one before`);
        if (t < plan.startMs || t > plan.endMs) problems.push(`${d.id}: ${what}[${i}] is outside the scenario's span`);
      });
    }
  }
  for (const v of plan.violations) {
    if (!plan.devices.some((d) => d.id === v.deviceId)) problems.push(`violation of unknown device ${v.deviceId}`);
  }
  return problems;
}

/** The loop offset to start from so that driving at `speedKmh` reaches the loop point nearest `p` after `leadMs`. */
export function offsetBefore(points: readonly LonLat[], p: LonLat, leadMs: number, speedKmh: number): number {
  return offsetOnLoop(points, p) - (speedKmh / 3.6) * (leadMs / 1000);
}
