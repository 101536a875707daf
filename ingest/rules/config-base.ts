// 规则配置 the schema pieces every rule configuration shares: the base fields of RuleConfigBase, local time windows,
// GeoJSON lines and the device-attribute filter, so each rule kind's schema is its own fields plus these, and the UI
// documents them all alike.
import { Type, type TProperties } from '@sinclair/typebox';
import type { DeviceInfo, RuleConfigBase } from './types.js';

/**
 * Added to a rule's own window when it tells how much history rebuilds its state after a hand-over (Rule.historyMs): the
 * fixes just before an episode, shown as evidence.
 */
export const HISTORY_MARGIN_MS = 5 * 60_000;

/** The fields of RuleConfigBase as a schema; `kind` is the literal of the rule's kind. */
export function ruleSchema<K extends string, P extends TProperties>(kind: K, nameZh: string, properties: P) {
  return Type.Object(
    {
      id: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.:-]+$', description: 'Stable rule id' }),
      kind: Type.Literal(kind),
      name: Type.String({ minLength: 1, maxLength: 200 }),
      enabled: Type.Boolean(),
      classRef: Type.String({
        pattern: '^(component|event):[0-9]{4}$',
        description: 'The class the rule produces, `component:0101` or `event:0110`',
      }),
      standardId: Type.Optional(
        Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], {
          description: 'Situation (情形) giving the time limit',
        }),
      ),
      ...properties,
    },
    { additionalProperties: false, title: `${kind} ${nameZh}` },
  );
}

export const HHMM_PATTERN = '^([01][0-9]|2[0-3]):[0-5][0-9]$';

/** A local time window, `from` inclusive, `to` exclusive; `from` after `to` runs over midnight (22:00–06:00). */
export const LocalWindowSchema = Type.Object(
  {
    from: Type.String({ pattern: HHMM_PATTERN, description: 'HH:MM local' }),
    to: Type.String({ pattern: HHMM_PATTERN, description: 'HH:MM local' }),
  },
  { additionalProperties: false },
);

export const LineStringSchema = Type.Object(
  {
    type: Type.Literal('LineString'),
    coordinates: Type.Array(Type.Array(Type.Number(), { minItems: 2, maxItems: 3 }), { minItems: 2, maxItems: 10_000 }),
  },
  { additionalProperties: false },
);

/** `deviceAttributes`: limits a rule to devices whose registry attributes equal all of the given ones. */
export function deviceAttributesSchema(description: string) {
  return Type.Optional(
    Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]), { description }),
  );
}

/** Whether registry attributes equal all the `deviceAttributes` a rule asks for (any device when none). */
export function attributesMatch(attrs: Record<string, unknown>, wanted: Record<string, unknown> | undefined): boolean {
  if (!wanted) return true;
  return Object.entries(wanted).every(([k, v]) => attrs[k] === v);
}

/** `vehicleKinds` as an optional filter of vehicle rules. */
export const VehicleKindsFilterSchema = Type.Optional(
  Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'Only these vehicleKinds; absent: all' }),
);

/** Whether the device is a vehicle whose registry `vehicleKind` is one of `kinds` (any kind when null). */
export function isVehicleOfKinds(device: DeviceInfo, kinds: ReadonlySet<string> | null): boolean {
  return device.kind === 'vehicle' && (kinds === null || kinds.has(String(device.attributes.vehicleKind)));
}

export const ZoneIdsSchema = Type.Array(Type.String({ minLength: 1 }), { minItems: 1, uniqueItems: true });

/** Problems with zone ids a configuration names: each must be a known zone. */
export function unknownZones(zoneIds: readonly string[], zones: ReadonlyMap<string, unknown>): string[] {
  return zoneIds.filter((id) => !zones.has(id)).map((id) => `zoneIds: unknown zone "${id}"`);
}

/** Problems with a WGS-84 line: coordinates out of range, or no length at all. */
export function lineProblems(where: string, coordinates: readonly number[][]): string[] {
  const out: string[] = [];
  for (const [i, c] of coordinates.entries()) {
    const [lon, lat] = c as [number, number];
    if (!(lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90))
      out.push(`${where}.coordinates[${i}] is not a lon/lat`);
  }
  if (out.length === 0 && coordinates.every((c) => c[0] === coordinates[0]![0] && c[1] === coordinates[0]![1])) {
    out.push(`${where} has zero length`);
  }
  return out;
}

/** The draft fields that come straight from the configuration. */
export function draftHead(config: RuleConfigBase) {
  return {
    ruleId: config.id,
    ruleKind: config.kind,
    classRef: config.classRef,
    standardId: config.standardId ?? null,
  };
}
