// 场景：传感器阈值 manhole-cover tilt sensors (井盖倾斜, ≥ 15° for 3 min, clears at ≤ 5°) and water-level sensors (积水,
// ≥ 20 cm for 5 min, clears at ≤ 10 cm), reading every minute. Injected: a cover tilted 28° for 15 minutes, a cover
// at 18° that dips to 10° (above the clear level: the same episode, one candidate) and a street flooded to 35 cm for
// 20 minutes. Clean: a single 20° reading, a cover hovering at 8–13° (between the levels), a 3-minute 25 cm puddle.
import { HOUR_MS, idsOf, MINUTE_MS, readings, wobble, type LonLat, type Scenario } from './core.js';
import { CLASS, sensor } from './fleet.js';

const KIND = 'sensor-threshold';
const READ_MS = MINUTE_MS;

export const sensorThreshold: Scenario = {
  name: KIND,
  summary: 'manhole tilt and water-level thresholds with hysteresis: 3 injected; spike, hovering, short puddle clean',
  durationMs: HOUR_MS,
  playSeconds: 2.5,
  build({ runId, startMs }) {
    const id = idsOf(runId);
    const endMs = startMs + HOUR_MS;
    const min = (m: number) => startMs + m * MINUTE_MS;
    const rules = [
      {
        id: id('manhole-tilt'),
        kind: KIND,
        name: '井盖倾斜',
        enabled: true,
        classRef: CLASS.manhole,
        metric: 'tiltDeg',
        direction: 'above',
        on: 15,
        off: 5,
        minDurationS: 180,
        deviceAttributes: { sensorType: 'manhole', scenarioRun: runId },
      },
      {
        id: id('waterlogging'),
        kind: KIND,
        name: '道路积水',
        enabled: true,
        classRef: CLASS.waterlogging,
        metric: 'waterLevelCm',
        direction: 'above',
        on: 20,
        off: 10,
        minDurationS: 300,
        deviceAttributes: { sensorType: 'water-level', scenarioRun: runId },
      },
    ];
    // Along 泉城路 and 大明湖路, each 150 m or more from the next.
    const at: Record<string, LonLat> = {
      m1: [117.0165, 36.6641],
      m2: [117.0205, 36.6641],
      m3: [117.0245, 36.6641],
      m4: [117.0285, 36.6641],
      w1: [117.015, 36.6702],
      w2: [117.024, 36.6702],
    };
    // Sensors read at different seconds of the minute, as real ones do.
    const phase = (i: number) => startMs + 7_000 + i * 9_000;
    const tilt = (i: number, f: (t: number) => number) =>
      readings(phase(i), endMs, READ_MS, (t, k) => ({ tiltDeg: Math.round((f(t) + wobble(k, 0.8)) * 10) / 10 }));
    const level = (i: number, f: (t: number) => number) =>
      readings(phase(i), endMs, READ_MS, (t, k) => ({ waterLevelCm: Math.round((f(t) + wobble(k, 1)) * 10) / 10 }));
    const span = (t: number, from: number, to: number) => t >= min(from) && t < min(to);

    const devices = [
      sensor(
        id('m1'),
        'manhole',
        at.m1!,
        tilt(0, (t) => (span(t, 15, 30) ? 28 : 2)),
        runId,
      ),
      sensor(
        id('m2'),
        'manhole',
        at.m2!,
        tilt(1, (t) => (span(t, 20, 21) ? 20 : 2)),
        runId,
      ),
      sensor(
        id('m3'),
        'manhole',
        at.m3!,
        tilt(2, (t) => 10.5 + 2 * Math.sin(t / 400_000)),
        runId,
      ),
      sensor(
        id('m4'),
        'manhole',
        at.m4!,
        tilt(3, (t) => (span(t, 35, 41) || span(t, 43, 48) ? 18 : span(t, 41, 43) ? 10 : 2)),
        runId,
      ),
      sensor(
        id('w1'),
        'water-level',
        at.w1!,
        level(4, (t) => (span(t, 20, 40) ? 35 : 4)),
        runId,
      ),
      sensor(
        id('w2'),
        'water-level',
        at.w2!,
        level(5, (t) => (span(t, 25, 28) ? 25 : 4)),
        runId,
      ),
    ];
    const v = (device: string, classRef: string, from: number, to: number, note: string) => ({
      ruleKind: KIND,
      classRef,
      deviceId: id(device),
      where: [at[device]!],
      startMs: min(from),
      endMs: min(to),
      note,
    });
    return {
      zones: [],
      rules,
      devices,
      violations: [
        v('m1', CLASS.manhole, 15, 30, 'cover tilted 28° for 15 min'),
        v('m4', CLASS.manhole, 35, 48, 'cover at 18°, dipping to 10° (not cleared) in between'),
        v('w1', CLASS.waterlogging, 20, 40, 'street flooded to 35 cm for 20 min'),
      ],
      startMs,
      endMs,
    };
  },
};
