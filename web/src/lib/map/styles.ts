// The map's colours in one place, shared by the layers and the legend: what a colour means must not differ between the
// marker and the panel that explains it.
import type { ExpressionSpecification } from 'maplibre-gl';

/** Vehicle kinds the registry names (`attributes.vehicleKind`), with their marker colour; others use `other`. */
export const VEHICLE_KIND_COLORS: Record<string, string> = {
  muck: '#8d5524', // 渣土车
  sweeper: '#2b8a3e', // 清扫车
  sanitation: '#2b8a3e', // 环卫车
  sprinkler: '#0c8599', // 洒水车
  patrol: '#1971c2', // 巡查车
  enforcement: '#5f3dc4', // 执法车
  other: '#364fc7',
};

export const DEVICE_COLORS = {
  collectors: '#e8590c',
  sensors: '#0b7285',
  stale: '#adb5bd',
  offline: '#c92a2a',
} as const;

export const LIGHT_COLORS = {
  green: '#2f9e44',
  yellow: '#f59f00',
  red: '#e03131',
  none: '#868e96',
} as const;

export const CANDIDATE_COLOR = '#ae3ec9';
export const TRACK_COLOR = '#1c7ed6';

/** The fill of a vehicle marker: greyed out when stale or offline, else by the vehicle's kind. */
export const vehicleColor: ExpressionSpecification = [
  'case',
  ['any', ['==', ['get', 'stale'], true], ['==', ['get', 'offline'], true]],
  DEVICE_COLORS.stale,
  ['match', ['get', 'vehicleKind'], ...Object.entries(VEHICLE_KIND_COLORS).flat(), VEHICLE_KIND_COLORS.other],
] as unknown as ExpressionSpecification;

/** A case marker's colour: its traffic light now (the layer recomputes `light` as the clocks run). */
export const lightColor: ExpressionSpecification = [
  'match',
  ['get', 'light'],
  'green',
  LIGHT_COLORS.green,
  'yellow',
  LIGHT_COLORS.yellow,
  'red',
  LIGHT_COLORS.red,
  LIGHT_COLORS.none,
];
