// 场景：传感器失联 litter-bin fill sensors (垃圾箱满溢) reporting every 5 minutes; one silent for more than 20 minutes is
// a component fault. Injected: a bin that stops reporting at minute 20 and never comes back. Clean: a bin with a
// 15-minute gap that then carries on, and bins that report all hour.
import { HOUR_MS, idsOf, MINUTE_MS, readings, type LonLat, type Scenario } from './core.js';
import { CLASS, sensor } from './fleet.js';

const KIND = 'sensor-silent';
const READ_MS = 5 * MINUTE_MS;

export const sensorSilent: Scenario = {
  name: KIND,
  summary: 'litter-bin sensors going silent (> 20 min): 1 injected; a 15-minute gap and steady bins clean',
  durationMs: HOUR_MS,
  playSeconds: 2,
  build({ runId, startMs }) {
    const id = idsOf(runId);
    const endMs = startMs + HOUR_MS;
    const min = (m: number) => startMs + m * MINUTE_MS;
    const rule = {
      id: id('bin-silent'),
      kind: KIND,
      name: '垃圾箱传感器失联',
      enabled: true,
      classRef: CLASS.bin,
      maxSilenceS: 1200,
      deviceAttributes: { sensorType: 'bin', scenarioRun: runId },
    };
    const at: LonLat[] = [
      [117.0175, 36.6628],
      [117.0225, 36.6628],
      [117.0275, 36.6628],
      [117.0325, 36.6628],
    ];
    const fill = (i: number, silent: (t: number) => boolean) =>
      readings(startMs + 20_000 + i * 45_000, endMs, READ_MS, (t, k) =>
        silent(t) ? null : { fillPct: Math.min(100, 20 + 3 * k + 5 * i) },
      );
    const b1 = fill(0, (t) => t >= min(20));
    return {
      zones: [],
      rules: [rule],
      devices: [
        sensor(id('bin-1'), 'bin', at[0]!, b1, runId),
        sensor(
          id('bin-2'),
          'bin',
          at[1]!,
          fill(1, (t) => t >= min(25) && t < min(35)),
          runId,
        ),
        sensor(
          id('bin-3'),
          'bin',
          at[2]!,
          fill(2, () => false),
          runId,
        ),
        sensor(
          id('bin-4'),
          'bin',
          at[3]!,
          fill(3, () => false),
          runId,
        ),
      ],
      violations: [
        {
          ruleKind: KIND,
          classRef: CLASS.bin,
          deviceId: id('bin-1'),
          where: [at[0]!],
          startMs: b1.at(-1)!.timeMs,
          endMs,
          note: 'silent from minute 20 to the end',
        },
      ],
      startMs,
      endMs,
    };
  },
};
