// 场景：终端报警 JT/T 808 terminals (车载终端) raising alarm bits. Injected: an SOS (紧急报警) held for 2 minutes while the
// car stands, a main power cut (主电源掉电) for 5 minutes while driving, and an SOS that flickers (set 10 s, clear 15 s,
// set 20 s) — one alarm, so one candidate. Clean: a terminal with no alarms and one with the overspeed bit, which the
// rule does not watch. The terminals speak JT/T 808 over TCP to the hub's gateway, not MQTT.
import {
  HOUR_MS,
  idsOf,
  LoopDriver,
  MINUTE_MS,
  offsetBefore,
  route,
  untagged,
  type Scenario,
  type SimDevice,
  type TaggedFix,
} from './core.js';
import { CLASS, violation } from './fleet.js';

const KIND = 'terminal-alarm';
const FIX_MS = 5000;

/** 12-digit terminal phone numbers (终端手机号) unique to the run: `01`, 8 digits from the run id, 2 for the terminal. */
export function phoneOf(runId: string, n: number): string {
  let h = 2166136261;
  for (const ch of runId) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return `01${String(h % 100_000_000).padStart(8, '0')}${String(n).padStart(2, '0')}`;
}

/** A vehicle with a JT/T 808 terminal (registered by its phone number), sending these fixes over TCP. */
export function terminal(id: string, phone: string, fixes: readonly TaggedFix[], runId: string): SimDevice {
  return {
    id,
    kind: 'vehicle',
    protocol: 'jt808',
    attributes: { vehicleKind: 'enforcement', jt808Phone: phone, scenarioRun: runId },
    fixes: untagged(fixes),
    readings: [],
  };
}

export const terminalAlarm: Scenario = {
  name: KIND,
  summary:
    'JT/T 808 terminals with SOS and power-cut alarm bits: 3 injected (one flickering); no-alarm and unwatched-bit clean',
  durationMs: HOUR_MS,
  playSeconds: 2,
  build({ runId, startMs }) {
    const id = idsOf(runId);
    const endMs = startMs + HOUR_MS;
    const rule = {
      id: id('alarms'),
      kind: KIND,
      name: '终端紧急报警与断电',
      enabled: true,
      classRef: CLASS.terminalAlarm,
      alarms: ['sos', 'powerCut'],
      minGapS: 60,
    };
    const moat = route('moat-ring').points;
    const baotu = route('baotu-wulongtan').points;
    const square = route('quancheng-square').points;
    const t1 = new LoopDriver(moat, startMs, offsetBefore(moat, [117.019, 36.6614], 15 * MINUTE_MS, 30))
      .runFor(15 * MINUTE_MS, 30)
      .wait(2 * MINUTE_MS, { tag: 'sos', alarms: { sos: true } })
      .cruiseUntil(endMs, 30);
    const t2 = new LoopDriver(baotu, startMs, 0)
      .cruiseUntil(startMs + 35 * MINUTE_MS, 30)
      .runFor(5 * MINUTE_MS, 30, { tag: 'power', alarms: { powerCut: true } })
      .cruiseUntil(endMs, 30);
    const t3 = new LoopDriver(moat, startMs, 2600).cruiseUntil(endMs, 30);
    const t4 = new LoopDriver(square, startMs, 0)
      .cruiseUntil(startMs + 20 * MINUTE_MS, 30)
      .runFor(3 * MINUTE_MS, 50, { alarms: { overspeed: true } })
      .cruiseUntil(endMs, 30);
    const t5 = new LoopDriver(square, startMs, 2500)
      .cruiseUntil(startMs + 45 * MINUTE_MS, 30)
      .wait(10_000, { tag: 'sos', alarms: { sos: true } })
      .wait(15_000, { tag: 'sos' })
      .wait(20_000, { tag: 'sos', alarms: { sos: true } })
      .cruiseUntil(endMs, 30);
    const fixes = [t1, t2, t3, t4, t5].map((d, i) => d.fixes(FIX_MS, i * 900));
    const ids = fixes.map((_, i) => id(`t${i + 1}`));
    return {
      zones: [],
      rules: [rule],
      devices: fixes.map((f, i) => terminal(ids[i]!, phoneOf(runId, i + 1), f, runId)),
      violations: [
        violation(KIND, CLASS.terminalAlarm, ids[0]!, fixes[0]!, 'sos', 'SOS for 2 min, standing on 黑虎泉西路'),
        violation(KIND, CLASS.terminalAlarm, ids[1]!, fixes[1]!, 'power', 'main power cut for 5 min, driving'),
        violation(KIND, CLASS.terminalAlarm, ids[4]!, fixes[4]!, 'sos', 'SOS flickering 10 s on, 15 s off, 20 s on'),
      ],
      startMs,
      endMs,
    };
  },
};
