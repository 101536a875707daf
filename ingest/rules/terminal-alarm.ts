// 终端报警 terminal alarms: JT/T 808 alarm bits (SOS 紧急报警, main power cut 主电源断电, …) as the gateway decodes them
// into position.attributes.alarms; one candidate per alarm episode, from the bit being set until it is cleared (a clear
// shorter than minGapS is the same episode, so a flickering bit is not a burst).
import { Type, type Static } from '@sinclair/typebox';
import type { AlarmFlags } from '../jt808/location.js';
import { draftHead, ruleSchema } from './config-base.js';
import { TrackBuffer, usableFix } from './track.js';
import type { CandidateDraft, Rule, RuleModule } from './types.js';

const KIND = 'terminal-alarm';
const DEFAULT_MIN_GAP_S = 60;
/** A fix without GNSS is placed at the device's last good fix if that is at most this old. */
const MAX_PLACE_AGE_MS = 10 * 60_000;

/** The named alarm flags of the JT/T 808 codec (ingest/jt808/location.ts), in bit order. */
export const ALARM_NAMES = [
  'sos',
  'overspeed',
  'fatigue',
  'dangerWarning',
  'gnssFault',
  'antennaCut',
  'antennaShort',
  'lowPower',
  'powerCut',
] as const satisfies readonly (keyof AlarmFlags)[];
// Fails to compile when the codec names a flag this list lacks.
const _everyFlagListed: Record<keyof AlarmFlags, true> = Object.fromEntries(ALARM_NAMES.map((n) => [n, true])) as {
  [K in (typeof ALARM_NAMES)[number]]: true;
};

const ALARM_ZH: Record<(typeof ALARM_NAMES)[number], string> = {
  sos: '紧急报警',
  overspeed: '超速报警',
  fatigue: '疲劳驾驶',
  dangerWarning: '危险预警',
  gnssFault: 'GNSS 模块故障',
  antennaCut: 'GNSS 天线未接或被剪断',
  antennaShort: 'GNSS 天线短路',
  lowPower: '终端主电源欠压',
  powerCut: '终端主电源掉电',
};

export const TerminalAlarmSchema = ruleSchema(KIND, '终端报警', {
  alarms: Type.Array(Type.Union(ALARM_NAMES.map((n) => Type.Literal(n))), {
    minItems: 1,
    uniqueItems: true,
    description: 'JT/T 808 alarm flags that raise a candidate',
  }),
  minGapS: Type.Optional(
    Type.Number({ minimum: 0, default: DEFAULT_MIN_GAP_S, description: 'Cleared for less than this: the same alarm' }),
  ),
});
export type TerminalAlarmConfig = Static<typeof TerminalAlarmSchema>;

interface AlarmEpisode {
  startMs: number;
  lastSeenMs: number;
  clearedSinceMs: number | null;
  fired: boolean;
}

export const rule: RuleModule<TerminalAlarmConfig> = {
  kind: KIND,
  nameZh: '终端报警',
  schema: TerminalAlarmSchema,
  create(config): Rule {
    const minGapMs = (config.minGapS ?? DEFAULT_MIN_GAP_S) * 1000;
    const open = new Map<string, Map<string, AlarmEpisode>>();
    const tracks = new TrackBuffer();
    return {
      id: config.id,
      kind: KIND,
      forgetDevice(deviceId) {
        open.delete(deviceId);
        tracks.forget(deviceId);
      },
      // An alarm still set after the hand-over opens again on the history and fires there (dropped): not twice.
      historyMs: () => minGapMs + MAX_PLACE_AGE_MS,
      onObservation(o, ctx) {
        if (o.type !== 'position') return [];
        const flags = o.attributes.alarms;
        // Sources without decoded alarm flags (MQTT) say nothing about alarms.
        if (!flags || typeof flags !== 'object') return [];
        const alarms = flags as Record<string, unknown>;
        const statusFlags = o.attributes.statusFlags as { positioned?: unknown } | undefined;
        const positioned = usableFix(o) && statusFlags?.positioned !== false && !(o.lon === 0 && o.lat === 0);
        if (positioned) tracks.push(o.deviceId, o.timeMs, o.lon, o.lat);
        let device = open.get(o.deviceId);
        // The common case, no alarm set and none open: nothing more to do.
        if ((!device || device.size === 0) && !config.alarms.some((name) => alarms[name] === true)) return [];
        const last = tracks.last(o.deviceId);
        const place = last && o.timeMs - last.timeMs <= MAX_PLACE_AGE_MS ? last : undefined;
        const drafts: CandidateDraft[] = [];
        for (const name of config.alarms) {
          const set = alarms[name] === true;
          let e = device?.get(name);
          if (e && o.timeMs < e.lastSeenMs) continue; // a late re-send (盲区补传) must not end or restart the episode
          if (e && e.clearedSinceMs !== null && o.timeMs - e.clearedSinceMs >= minGapMs) {
            device!.delete(name);
            e = undefined;
          }
          if (!set) {
            if (e) {
              if (e.clearedSinceMs === null) e.clearedSinceMs = o.timeMs;
              e.lastSeenMs = o.timeMs;
            }
            continue;
          }
          if (!e) {
            e = { startMs: o.timeMs, lastSeenMs: o.timeMs, clearedSinceMs: null, fired: false };
            if (!device) open.set(o.deviceId, (device = new Map()));
            device.set(name, e);
          }
          e.lastSeenMs = o.timeMs;
          e.clearedSinceMs = null;
          // Without any recent position the alarm waits for the next positioned fix: a candidate at 0°N 0°E helps no one.
          if (e.fired || !place) continue;
          e.fired = true;
          drafts.push({
            ...draftHead(config),
            deviceId: o.deviceId,
            lon: place.lon,
            lat: place.lat,
            cell: ctx.locate(place.lon, place.lat)?.cell ?? null,
            startMs: e.startMs,
            endMs: o.timeMs,
            confidence: 0.8,
            description: `terminal ${o.deviceId} reports ${name} (${ALARM_ZH[name]})`,
            evidence: {
              alarm: { name, alarms: { ...alarms }, alarmWord: o.attributes.alarm ?? null },
              track: tracks.snippet(o.deviceId, e.startMs - 300_000, o.timeMs),
            },
            key: `${config.id}:${o.deviceId}:${name}:${e.startMs}`,
          });
        }
        return drafts;
      },
      onTick() {
        return [];
      },
    };
  },
};
