import { describe, expect, it } from 'vitest';
import { alarmWord, type AlarmFlags } from '../jt808/location.js';
import type { Observation } from '../observation.js';
import { rule, type TerminalAlarmConfig } from './terminal-alarm.js';
import type { CandidateDraft, Rule } from './types.js';
import { at, base, context, fix, vehicle, zoneMap } from './vehicle-fixtures.js';

const ctx = context([vehicle('t1', 'muck')]);
const config: TerminalAlarmConfig = { ...base('ta', 'terminal-alarm', 'event:0999'), alarms: ['sos', 'powerCut'] };
const run = (r: Rule, obs: Observation[]): CandidateDraft[] => obs.flatMap((o) => r.onObservation(o, ctx));
const NONE: AlarmFlags = {
  sos: false,
  overspeed: false,
  fatigue: false,
  dangerWarning: false,
  gnssFault: false,
  antennaCut: false,
  antennaShort: false,
  lowPower: false,
  powerCut: false,
};

/** A fix as the JT/T 808 gateway produces it (attributes of locationToPosition). */
function alarmFix(time: string, set: Partial<AlarmFlags> = {}, positioned = true): Observation {
  const alarms = { ...NONE, ...set };
  const [lon, lat] = positioned ? [117.01, 36.66] : [0, 0];
  return fix('t1', at(time), lon, lat, 0, {
    alarm: alarmWord(alarms),
    alarms,
    statusFlags: { positioned },
  });
}

describe('terminal-alarm 终端报警', () => {
  it('SOS set → cleared is one draft at its start; a clear shorter than minGapS is the same alarm', () => {
    const drafts = run(rule.create(config, zoneMap()), [
      alarmFix('10:00:00', { sos: true }),
      alarmFix('10:00:10', { sos: true }),
      alarmFix('10:00:20', { sos: true }),
      alarmFix('10:00:30'),
      // Set again 10 s after clearing: still the same alarm.
      alarmFix('10:00:40', { sos: true }),
      alarmFix('10:01:00'),
      alarmFix('10:02:00'),
      // Clear since 10:01:00, 120 s ≥ 60 s: a new alarm.
      alarmFix('10:03:00', { sos: true }),
    ]);
    expect(drafts.map((d) => d.key)).toEqual([`ta:t1:sos:${at('10:00:00')}`, `ta:t1:sos:${at('10:03:00')}`]);
    expect(drafts[0]).toMatchObject({ startMs: at('10:00:00'), lon: 117.01, lat: 36.66, cell: '370102001001001' });
    expect(drafts[0]!.evidence.alarm).toEqual({ name: 'sos', alarms: { ...NONE, sos: true }, alarmWord: 1 });
  });

  it('each configured alarm is its own episode; unconfigured ones raise nothing', () => {
    const drafts = run(rule.create(config, zoneMap()), [
      alarmFix('10:00:00', { powerCut: true, fatigue: true }),
      alarmFix('10:00:10', { powerCut: true, sos: true }),
    ]);
    expect(drafts.map((d) => d.key)).toEqual([`ta:t1:powerCut:${at('10:00:00')}`, `ta:t1:sos:${at('10:00:10')}`]);
    expect(drafts[0]!.evidence.alarm).toMatchObject({ alarmWord: 0x104 });
  });

  it('an alarm without a GNSS fix waits for a position, keeping its start', () => {
    const drafts = run(rule.create(config, zoneMap()), [
      alarmFix('10:00:00', { sos: true }, false),
      alarmFix('10:00:10', { sos: true }, false),
      alarmFix('10:00:20', { sos: true }, true),
    ]);
    expect(drafts).toHaveLength(1);
    expect(drafts[0]).toMatchObject({ startMs: at('10:00:00'), endMs: at('10:00:20'), lon: 117.01, lat: 36.66 });
  });

  it('positions without decoded alarm flags (MQTT) say nothing', () => {
    expect(run(rule.create(config, zoneMap()), [fix('t1', at('10:00:00'), 117.01, 36.66)])).toEqual([]);
  });
});
