// 测试夹具 test fixtures for the collector (监督员) and sensor rules' tests: a hand-made grid of 0.01° cells in Shanghai,
// devices, fixes at local Shanghai times. Only imported by *.test.ts files.
import type { Observation } from '../observation.js';
import type { DeviceInfo, GridPlace } from './types.js';

/** Code of cell n (1–6) of the 3×2 grid: columns 0–2 east, rows 0–1 north of (121.40, 31.20); n = row × 3 + col + 1. */
export const CELL = (n: number) => `31010100100100${n}`;

/** The 3×2 grid; null outside it. */
export function locate(lon: number, lat: number): GridPlace | null {
  const col = Math.floor((lon - 121.4) / 0.01);
  const row = Math.floor((lat - 31.2) / 0.01);
  if (col < 0 || col > 2 || row < 0 || row > 1) return null;
  return { cell: CELL(row * 3 + col + 1), community: 'c', street: 's', district: 'd' };
}

/** Centre of cell n (1–6). */
export const inCell = (n: number) => ({
  lon: 121.405 + ((n - 1) % 3) * 0.01,
  lat: 31.205 + Math.floor((n - 1) / 3) * 0.01,
});
export const OUTSIDE_GRID = { lon: 121.5, lat: 31.3 };

/** The only cell of the one-cell grid: 121.40–121.41 E × 31.20–31.21 N (cell 1 of the 3×2 grid). */
export const ONE_CELL = '310101001001001';

/** A grid of the one cell ONE_CELL; null elsewhere. */
export const locateOneCell = (lon: number, lat: number): GridPlace | null =>
  lon >= 121.4 && lon < 121.41 && lat >= 31.2 && lat < 31.21
    ? { cell: ONE_CELL, community: 'c', street: 's', district: 'd' }
    : null;

/** The UTC instant of a Shanghai wall time on 2026-12-01 (a Tuesday) or `date`, e.g. `at('08:30:00')`. */
export const at = (local: string, date = '2026-12-01') => Date.parse(`${date}T${local}+08:00`);

/** A handheld's position fix (no speed), optionally with pipeline flags. */
export function fix(deviceId: string, timeMs: number, p: { lon: number; lat: number }, flags?: string[]): Observation {
  return {
    type: 'position',
    deviceId,
    timeMs,
    lon: p.lon,
    lat: p.lat,
    speedKmh: null,
    course: null,
    altitudeM: null,
    accuracyM: null,
    source: 'http',
    attributes: {},
    ...(flags ? { flags } : {}),
  };
}

export const sensor = (id: string, attributes: Record<string, unknown>): DeviceInfo => ({
  id,
  kind: 'sensor',
  attributes,
  gridCodes: [],
});
