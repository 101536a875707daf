// 场景目录 every scenario by name: one per rule kind, and the mixed fleet.
import { cellCoverage } from './cell-coverage.js';
import { collectorIdle } from './collector-idle.js';
import { collectorOutsideGrid } from './collector-outside-grid.js';
import type { Scenario } from './core.js';
import { mixed } from './mixed.js';
import { noStopping } from './no-stopping.js';
import { offRoute } from './off-route.js';
import { overspeed } from './overspeed.js';
import { restrictedZone } from './restricted-zone.js';
import { sensorSilent } from './sensor-silent.js';
import { sensorThreshold } from './sensor-threshold.js';
import { routeCoverage } from './route-coverage.js';
import { terminalAlarm } from './terminal-alarm.js';

export const SCENARIOS: readonly Scenario[] = [
  restrictedZone,
  overspeed,
  noStopping,
  offRoute,
  routeCoverage,
  terminalAlarm,
  collectorOutsideGrid,
  collectorIdle,
  cellCoverage,
  sensorThreshold,
  sensorSilent,
  mixed,
];

export function scenarioByName(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
