// 自动发现规则 the contract of the detection rules: what a rule sees (normalized observations of one device, with what the
// registry knows about the device), what it keeps (per-device state in the rule instance), and what it produces
// (candidate drafts, pre-classified). Pure: no database, network or hub code; the hub wires the sinks.
import type { TSchema } from '@sinclair/typebox';
import type { Observation } from '../observation.js';

/** What the device registry knows about a device, as the rules need it. */
export interface DeviceInfo {
  id: string;
  /** vehicle | collector | sensor | camera */
  kind: string;
  /** Registry attributes, e.g. `{ vehicleKind: 'muck' }` for a muck truck (渣土车). */
  attributes: Record<string, unknown>;
  /** Assigned unit grid cells (责任网格), 15-digit codes. */
  gridCodes: string[];
}

/** Where a point is in the grid: the same shape as the hub's geocoder answer. */
export interface GridPlace {
  cell: string;
  community: string;
  street: string;
  district: string;
}

export interface RuleContext {
  /** Registry facts of a device; null when unknown (the rule then skips the device). */
  device(deviceId: string): DeviceInfo | null;
  /** Grid cell of a point, null outside the grid. Microseconds: safe per observation. */
  locate(lon: number, lat: number): GridPlace | null;
  /** The city's time zone (IANA), for rules written in local hours (permitted hours, shifts). */
  timeZone: string;
  /**
   * Whether this process judges the device's absences (a route not driven by its deadline). Several hub processes: the
   * one the device is connected to, or one elected process for a device connected to none. Absent: always.
   */
  handles?(deviceId: string): boolean;
}

/** GeoJSON geometry as rules use it (WGS-84 lon/lat). */
export type Polygonal =
  { type: 'Polygon'; coordinates: number[][][] } | { type: 'MultiPolygon'; coordinates: number[][][][] };
export interface LineStringGeometry {
  type: 'LineString';
  coordinates: number[][];
}

/** A named area rules refer to by id: a no-entry zone, a no-stopping street, a speed-limit area (区域). */
export interface Zone {
  id: string;
  name: string;
  geometry: Polygonal;
  /** Free-form, e.g. `{ speedLimitKmh: 30 }`. */
  properties: Record<string, unknown>;
}

/** Evidence that lets a person judge a candidate. */
export interface Evidence {
  /** The device's track around the event, GeoJSON LineString with per-vertex times. */
  track?: { type: 'LineString'; coordinates: number[][]; times: string[] };
  /** A sensor metric's readings around the event. */
  series?: { metric: string; points: Array<{ time: string; value: number }> };
  /** Terminal alarm flags as reported (JT/T 808 0x0200 alarm bits). */
  alarm?: Record<string, unknown>;
  /** Anything else the rule measured, e.g. `{ maxSpeedKmh: 72, limitKmh: 40 }`. */
  measured?: Record<string, unknown>;
}

/** What a rule produces: a candidate case before deduplication and storage. */
export interface CandidateDraft {
  ruleId: string;
  ruleKind: string;
  /** `component:0101` / `event:0110`: the class the rule names. */
  classRef: string;
  /** The situation (情形) of the city standard the rule names, if any: gives the time limit. */
  standardId: number | null;
  deviceId: string;
  lon: number;
  lat: number;
  /** Grid cell at the point, when inside the grid. */
  cell: string | null;
  startMs: number;
  endMs: number;
  /** 0–1 */
  confidence: number;
  description: string;
  evidence: Evidence;
  /**
   * Same key → same problem: the rule's own identity of the event (e.g. `${ruleId}:${deviceId}:${zoneId}:${startMs}`),
   * so a replay or a re-sent observation does not raise it twice.
   */
  key: string;
}

/** Fields every rule configuration has. */
export interface RuleConfigBase {
  id: string;
  kind: string;
  name: string;
  enabled: boolean;
  classRef: string;
  standardId?: number | null;
}

/** One live rule: per-device state inside, fed observations in time order per device. */
export interface Rule {
  readonly id: string;
  readonly kind: string;
  /** Called for every durable observation (positions, telemetry, statuses); returns drafts that fired now. */
  onObservation(o: Observation, ctx: RuleContext): CandidateDraft[];
  /**
   * Called as stream time advances (the newest observation time seen, not the wall clock, so replays and scenarios with
   * historical times behave like live ones): rules about absence (silence, coverage by a deadline) fire here.
   */
  onTick(watermarkMs: number, ctx: RuleContext): CandidateDraft[];
  /**
   * 集群交接 hand-over: the device's messages are now processed by another hub process, which rebuilds its state there;
   * drop what this instance keeps about it, so it never judges the device on a history that stopped here (a silence,
   * a shift's coverage). Rules that keep per-device state implement it (registry.test.ts checks every kind).
   */
  forgetDevice?(deviceId: string): void;
  /**
   * How far back from `atMs` the device's stored history must be fed again (without raising) to rebuild this rule's
   * state for it after a hand-over, in ms; 0 when the rule keeps nothing about this device.
   */
  historyMs?(deviceId: string, atMs: number, ctx: RuleContext): number;
}

/** A kind of rule: its configuration schema (validated, documented) and its factory. */
export interface RuleModule<C extends RuleConfigBase = RuleConfigBase> {
  kind: string;
  /** Chinese name, for the UI. */
  nameZh: string;
  /** TypeBox schema of the whole configuration object, including the base fields. */
  schema: TSchema;
  /** Checks the configuration beyond the schema (zones exist, hours parse); returns problems, empty when fine. */
  check?(config: C, zones: ReadonlyMap<string, Zone>): string[];
  create(config: C, zones: ReadonlyMap<string, Zone>): Rule;
}
