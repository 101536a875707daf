// Realistic load payloads (仿真负载): what a city's devices actually send — vehicles driving loops of streets and stopping
// at junctions, collectors (城管监督员) walking their beat at a walking pace, sensors (井盖/垃圾桶/噪声) reporting metrics
// — and pre-built payload buffers for rates where building JSON per message would make the generator the bottleneck.
// Pure: no sockets, no timers; the generator (mqtt-generator.ts) drives it, loadtests/generator.test.ts covers it.
import {
  DeviceTrack,
  JINAN_CENTER,
  hashString,
  positionPayload,
  seededRandom,
  type Fix,
  type Profile,
} from './generator-core.js';

export { PROFILES, type Profile } from './generator-core.js';

const M_PER_DEG_LAT = 111_320;
const cosLat = Math.cos((JINAN_CENTER.lat * Math.PI) / 180);

/** Metres east/north of 泉城广场 → WGS-84. */
export function toLatLon(eastM: number, northM: number): { lat: number; lon: number } {
  return { lat: JINAN_CENTER.lat + northM / M_PER_DEG_LAT, lon: JINAN_CENTER.lon + eastM / (M_PER_DEG_LAT * cosLat) };
}

// ───────────────────────────── profiles ─────────────────────────────

export type DeviceKind = 'vehicle' | 'collector' | 'sensor';

/** The registry kind of device number `n` (its number, as in its id) under `profile`. */
export function kindOfDevice(profile: Profile, n: number): DeviceKind {
  switch (profile) {
    case 'wander':
    case 'vehicles':
      return 'vehicle';
    case 'collectors':
      return 'collector';
    case 'sensors':
      return 'sensor';
    case 'mixed': {
      const r = ((n % 10) + 10) % 10;
      return r < 6 ? 'vehicle' : r < 8 ? 'collector' : 'sensor';
    }
  }
}

// ───────────────────────────── vehicles along routes ─────────────────────────────

/** The old town's streets, simplified to a grid of this spacing (m): routes follow it. */
const STREET_SPACING_M = 200;
/** Routes stay within this many metres of the centre (the old town and its ring roads). */
const ROUTE_EXTENT_M = 3000;

/**
 * A closed route of street segments: a rectangle of blocks on the street grid, 2–8 blocks a side, somewhere in the old
 * town. Returned as corner points in metres (east, north), the first repeated at the end.
 */
export function routeFor(deviceId: string, seed = 0): [number, number][] {
  const random = seededRandom(hashString(`route:${deviceId}`) ^ seed);
  const blocks = () => 2 + Math.floor(random() * 7);
  const w = blocks() * STREET_SPACING_M;
  const h = blocks() * STREET_SPACING_M;
  const cells = Math.floor((2 * ROUTE_EXTENT_M) / STREET_SPACING_M);
  const snap = (extent: number) =>
    -ROUTE_EXTENT_M + Math.floor(random() * Math.max(1, cells - extent / STREET_SPACING_M)) * STREET_SPACING_M;
  const x = snap(w);
  const y = snap(h);
  const corners: [number, number][] = [
    [x, y],
    [x + w, y],
    [x + w, y + h],
    [x, y + h],
  ];
  // Half of the vehicles drive the loop the other way round.
  if (random() < 0.5) corners.reverse();
  return [...corners, corners[0]!];
}

/**
 * A vehicle driving its route: it cruises at 25–50 km/h between junctions (every STREET_SPACING_M), and at some
 * junctions it waits (a red light) for 10–40 s. Fix times strictly increase at ms resolution, like DeviceTrack's.
 */
export class RouteTrack {
  private readonly route: [number, number][];
  private readonly segmentStartM: number[] = [0];
  private readonly lengthM: number;
  private readonly random: () => number;
  private readonly cruiseKmh: number;
  private distM: number;
  private lastTimeMs = -Infinity;
  private waitUntilMs = -Infinity;
  private nextJunctionM: number;
  speedKmh = 0;

  constructor(deviceId: string, seed = 0) {
    this.route = routeFor(deviceId, seed);
    for (let i = 1; i < this.route.length; i++) {
      const [ax, ay] = this.route[i - 1]!;
      const [bx, by] = this.route[i]!;
      this.segmentStartM.push(this.segmentStartM[i - 1]! + Math.hypot(bx - ax, by - ay));
    }
    this.lengthM = this.segmentStartM[this.segmentStartM.length - 1]!;
    this.random = seededRandom(hashString(`drive:${deviceId}`) ^ seed);
    this.cruiseKmh = 25 + this.random() * 25;
    this.distM = this.random() * this.lengthM;
    this.nextJunctionM = (Math.floor(this.distM / STREET_SPACING_M) + 1) * STREET_SPACING_M;
  }

  get routeLengthM(): number {
    return this.lengthM;
  }

  next(nowMs: number): Fix {
    const timeMs = nowMs > this.lastTimeMs ? Math.floor(nowMs) : this.lastTimeMs + 1;
    const dtS = Number.isFinite(this.lastTimeMs) ? Math.min((timeMs - this.lastTimeMs) / 1000, 60) : 0;
    this.lastTimeMs = timeMs;
    if (timeMs < this.waitUntilMs) {
      this.speedKmh = 0;
    } else {
      // Vary around the cruise speed, then drive; a junction passed may stop the vehicle.
      this.speedKmh = Math.min(60, Math.max(5, this.cruiseKmh + (this.random() - 0.5) * 10));
      this.distM += (this.speedKmh / 3.6) * dtS;
      if (this.distM >= this.nextJunctionM) {
        this.nextJunctionM = (Math.floor(this.distM / STREET_SPACING_M) + 1) * STREET_SPACING_M;
        if (this.random() < 0.3) this.waitUntilMs = timeMs + 10_000 + this.random() * 30_000;
      }
    }
    const along = ((this.distM % this.lengthM) + this.lengthM) % this.lengthM;
    let i = 1;
    while (i < this.segmentStartM.length - 1 && this.segmentStartM[i]! <= along) i++;
    const [ax, ay] = this.route[i - 1]!;
    const [bx, by] = this.route[i]!;
    const segLen = this.segmentStartM[i]! - this.segmentStartM[i - 1]!;
    const f = segLen > 0 ? (along - this.segmentStartM[i - 1]!) / segLen : 0;
    const { lat, lon } = toLatLon(ax + (bx - ax) * f, ay + (by - ay) * f);
    const course = ((Math.atan2(bx - ax, by - ay) * 180) / Math.PI + 360) % 360;
    return { timeMs, lat, lon, speedKmh: this.speedKmh, course };
  }
}

// ───────────────────────────── collectors walking ─────────────────────────────

/** A collector's beat: within this many metres of its home point. */
const BEAT_RADIUS_M = 300;

/**
 * A collector (城管监督员) on foot: 3–6 km/h along a wandering heading within their beat, standing still for a while
 * now and then (inspecting, photographing a problem).
 */
export class WalkTrack {
  private readonly homeE: number;
  private readonly homeN: number;
  private e: number;
  private n: number;
  private course: number;
  private readonly random: () => number;
  private lastTimeMs = -Infinity;
  private standUntilMs = -Infinity;
  speedKmh = 0;

  constructor(deviceId: string, seed = 0) {
    this.random = seededRandom(hashString(`walk:${deviceId}`) ^ seed);
    const r = 2500 * Math.sqrt(this.random());
    const a = this.random() * 2 * Math.PI;
    this.homeE = r * Math.sin(a);
    this.homeN = r * Math.cos(a);
    this.e = this.homeE;
    this.n = this.homeN;
    this.course = this.random() * 360;
  }

  /** Metres from the home point now. */
  get distanceFromHomeM(): number {
    return Math.hypot(this.e - this.homeE, this.n - this.homeN);
  }

  next(nowMs: number): Fix {
    const timeMs = nowMs > this.lastTimeMs ? Math.floor(nowMs) : this.lastTimeMs + 1;
    const dtS = Number.isFinite(this.lastTimeMs) ? Math.min((timeMs - this.lastTimeMs) / 1000, 60) : 0;
    this.lastTimeMs = timeMs;
    if (timeMs < this.standUntilMs) {
      this.speedKmh = 0;
    } else {
      this.speedKmh = 3 + this.random() * 3;
      this.course = (this.course + (this.random() - 0.5) * 40 + 360) % 360;
      if (this.distanceFromHomeM > BEAT_RADIUS_M) {
        this.course = ((Math.atan2(this.homeE - this.e, this.homeN - this.n) * 180) / Math.PI + 360) % 360;
      }
      const d = (this.speedKmh / 3.6) * dtS;
      const rad = (this.course * Math.PI) / 180;
      this.e += d * Math.sin(rad);
      this.n += d * Math.cos(rad);
      if (this.random() < 0.01) this.standUntilMs = timeMs + 30_000 + this.random() * 90_000;
    }
    const { lat, lon } = toLatLon(this.e, this.n);
    return { timeMs, lat, lon, speedKmh: this.speedKmh, course: this.course };
  }
}

// ───────────────────────────── sensors ─────────────────────────────

export interface Reading {
  timeMs: number;
  metrics: Record<string, number>;
}

const SENSOR_TYPES = ['bin', 'manhole', 'noise'] as const;

/**
 * A fixed sensor's readings: a litter bin filling up and being emptied (fillPct), a manhole cover's tilt (tiltDeg,
 * now and then knocked askew) or street noise (noiseDb, louder by day); each with its battery draining slowly.
 */
export class SensorSeries {
  readonly type: (typeof SENSOR_TYPES)[number];
  private readonly random: () => number;
  private lastTimeMs = -Infinity;
  private fillPct: number;
  private tiltDeg = 0;
  private batteryPct: number;

  constructor(deviceId: string, seed = 0) {
    this.random = seededRandom(hashString(`sensor:${deviceId}`) ^ seed);
    this.type = SENSOR_TYPES[Math.floor(this.random() * SENSOR_TYPES.length)]!;
    this.fillPct = this.random() * 80;
    this.batteryPct = 40 + this.random() * 60;
  }

  next(nowMs: number): Reading {
    const timeMs = nowMs > this.lastTimeMs ? Math.floor(nowMs) : this.lastTimeMs + 1;
    this.lastTimeMs = timeMs;
    this.batteryPct = Math.max(1, this.batteryPct - 0.001);
    const battery = Math.round(this.batteryPct * 10) / 10;
    switch (this.type) {
      case 'bin':
        this.fillPct += this.random() * 0.5;
        if (this.fillPct > 100) this.fillPct = this.random() * 5; // emptied
        return { timeMs, metrics: { fillPct: Math.round(this.fillPct * 10) / 10, batteryPct: battery } };
      case 'manhole':
        if (this.random() < 0.001) this.tiltDeg = 10 + this.random() * 30;
        else this.tiltDeg = Math.max(0, this.tiltDeg * 0.999 + (this.random() - 0.5) * 0.2);
        return { timeMs, metrics: { tiltDeg: Math.round(this.tiltDeg * 100) / 100, batteryPct: battery } };
      case 'noise': {
        const hour = new Date(timeMs + 8 * 3600_000).getUTCHours(); // Beijing time
        const base = hour >= 7 && hour < 22 ? 62 : 45;
        return { timeMs, metrics: { noiseDb: Math.round((base + this.random() * 15) * 10) / 10, batteryPct: battery } };
      }
    }
  }
}

/** The hub's telemetry JSON `{"time","metrics":{…}}` (topic devices/{id}/telemetry); the time first, like a fix. */
export function telemetryPayload(r: Reading): string {
  let metrics = '';
  for (const [name, value] of Object.entries(r.metrics)) metrics += `${metrics ? ',' : ''}"${name}":${value}`;
  return `{"time":"${new Date(r.timeMs).toISOString()}","metrics":{${metrics}}}`;
}

// ───────────────────────────── one device's messages ─────────────────────────────

export interface Movement {
  next(nowMs: number): Fix;
}

/** What one simulated device publishes: its kind, topic kind and the next payload. */
export interface MessageSource {
  kind: DeviceKind;
  /** `position` for anything that moves (or `positions` with a batch), `telemetry` for sensors. */
  topicKind: 'position' | 'positions' | 'telemetry';
  next(nowMs: number): string;
}

/**
 * The message source of device `deviceId` (number `n`) under `profile`. With `batch` > 1, a moving device sends
 * `{"positions":[…]}` of that many fixes a millisecond apart, ending now; sensors always send one reading.
 */
export function createSource(profile: Profile, deviceId: string, n: number, seed: number, batch = 1): MessageSource {
  const kind = kindOfDevice(profile, n);
  if (kind === 'sensor') {
    const series = new SensorSeries(deviceId, seed);
    return { kind, topicKind: 'telemetry', next: (nowMs) => telemetryPayload(series.next(nowMs)) };
  }
  const movement: Movement =
    profile === 'wander'
      ? new DeviceTrack(deviceId, seed)
      : kind === 'vehicle'
        ? new RouteTrack(deviceId, seed)
        : new WalkTrack(deviceId, seed);
  if (batch <= 1) return { kind, topicKind: 'position', next: (nowMs) => positionPayload(movement.next(nowMs)) };
  return {
    kind,
    topicKind: 'positions',
    next: (nowMs) => {
      const parts: string[] = [];
      for (let j = batch - 1; j >= 0; j--) parts.push(positionPayload(movement.next(nowMs - j)));
      return `{"positions":[${parts.join(',')}]}`;
    },
  };
}

// ───────────────────────────── pre-built payloads ─────────────────────────────

/** Above this many messages/s (all processes together), payloads are pre-built: see PrebuiltPayloads. */
export const PREBUILT_ABOVE_PER_S = 50_000;

/** Where the 24-character ISO time sits in every payload built here: right after `{"time":"`. */
const TIME_OFFSET = '{"time":"'.length;
const ISO_LENGTH = 24;

let cachedIsoMs = NaN;
let cachedIso = '';
/** `new Date(ms).toISOString()`, remembered for the last millisecond asked (thousands of devices share each one). */
export function isoAt(ms: number): string {
  if (ms !== cachedIsoMs) {
    cachedIsoMs = ms;
    cachedIso = new Date(ms).toISOString();
  }
  return cachedIso;
}

/**
 * A ring of payloads built once (a there-and-back stretch of the device's movement at `stepMs` steps, so consecutive
 * fixes stay neighbours and the hub sees no implausible jump) whose time is patched in place when sent: a memcpy and a
 * 24-byte write instead of formatting numbers into JSON for every message.
 */
export class PrebuiltPayloads {
  private readonly templates: Buffer[];
  private i = 0;
  private lastTimeMs = -Infinity;

  constructor(source: MessageSource, stepMs: number, size = 32, startMs = Date.now()) {
    if (source.topicKind === 'positions') throw new Error('pre-built payloads are single messages, not batches');
    const forward: Buffer[] = [];
    for (let k = 0; k < size; k++) forward.push(Buffer.from(source.next(startMs + Math.max(1, stepMs) * k), 'latin1'));
    // Forth, then back (without repeating either end): the ring has no jump.
    this.templates = [...forward, ...forward.slice(1, -1).reverse()];
    for (const t of this.templates) {
      if (t.toString('latin1', 0, TIME_OFFSET) !== '{"time":"' || t[TIME_OFFSET + ISO_LENGTH] !== 0x22) {
        throw new Error('a pre-built payload does not start with its time');
      }
    }
  }

  get size(): number {
    return this.templates.length;
  }

  /** The next payload, stamped `nowMs` (or 1 ms past the previous one: times strictly increase per device). */
  next(nowMs: number): Buffer {
    const timeMs = nowMs > this.lastTimeMs ? Math.floor(nowMs) : this.lastTimeMs + 1;
    this.lastTimeMs = timeMs;
    const template = this.templates[this.i]!;
    this.i = (this.i + 1) % this.templates.length;
    // A fresh copy: mqtt.js may still hold the previous buffer in the socket's write queue.
    const out = Buffer.allocUnsafe(template.length);
    template.copy(out);
    out.write(isoAt(timeMs), TIME_OFFSET, ISO_LENGTH, 'latin1');
    return out;
  }
}
