// The held live deltas of a backed-up viewer (积压的实时增量): the newest state per device, case, candidate and camera
// wins, a late fix never replaces a newer one, what is held stays as large as the number of things however long the
// viewer is stuck, and a release merges the held deltas with the tick's and empties the store.
import { describe, expect, it } from 'vitest';
import { HeldDeltas, noDeltas, type ViewerDeltas } from './held-deltas.js';
import type { LiveCameraDto, LiveCandidateDto, LiveCaseDto, LivePositionDto, LiveStatusDto } from './push.js';

const T0 = Date.parse('2026-12-01T08:00:00Z');
const iso = (offsetS: number) => new Date(T0 + offsetS * 1000).toISOString();

const fix = (deviceId: string, offsetS: number, lat = 36.66): LivePositionDto => ({
  deviceId,
  kind: 'vehicle',
  vehicleKind: null,
  time: iso(offsetS),
  lat,
  lon: 117.02,
  speedKmh: null,
  course: null,
});
const state = (deviceId: string, offsetS: number, s: LiveStatusDto['state']): LiveStatusDto => ({
  deviceId,
  kind: 'vehicle',
  state: s,
  time: iso(offsetS),
});
const caseChange = (id: string, version: number, state: string): LiveCaseDto => ({
  id,
  number: `2026120100${id}`,
  state,
  open: true,
  classKind: 'event',
  classCode: 'event:0101',
  lon: 117.02,
  lat: 36.66,
  departmentId: null,
  supervised: false,
  updatedAt: iso(version),
  version,
  light: null,
  yellowAt: null,
  redAt: null,
});
const candidate = (id: string, mergedCount: number, status = 'pending'): LiveCandidateDto => ({
  id,
  status,
  ruleId: 'rule-1',
  ruleKind: 'restricted-zone',
  classKind: 'event',
  classCode: 'event:0101',
  lon: 117.02,
  lat: 36.66,
  mergedCount,
  startAt: iso(0),
  endAt: iso(mergedCount),
});
const cam = (id: string, status: 'online' | 'offline', offsetS: number): LiveCameraDto => ({
  id,
  status,
  statusChangedAt: iso(offsetS),
  lastFrameAt: null,
  enabled: true,
  updatedAt: iso(0),
});
const tick = (d: Partial<ViewerDeltas>): ViewerDeltas => ({ ...noDeltas(), ...d });

describe('held deltas of a backed-up viewer', () => {
  it('keeps the newest fix per device; a late fix never replaces a newer one', () => {
    const held = new HeldDeltas();
    expect(held.hold(tick({ positions: [fix('a', 10, 36.1), fix('b', 10)] }))).toBe(0);
    // a moves on; b's re-sent fix from before (a coverage gap) arrives late.
    expect(held.hold(tick({ positions: [fix('a', 20, 36.2), fix('b', 5, 99)] }))).toBe(2);
    // The same instant again is no news for a position.
    expect(held.hold(tick({ positions: [fix('a', 20, 36.9)] }))).toBe(1);
    const { deltas, superseded } = held.release(noDeltas());
    expect(superseded).toBe(0);
    expect(deltas.positions).toEqual([fix('a', 20, 36.2), fix('b', 10)]);
    expect(held.size).toBe(0);
  });

  it('keeps the newest state per device, the highest case version, the last candidate and camera change', () => {
    const held = new HeldDeltas();
    held.hold(
      tick({
        statuses: [state('a', 10, 'online')],
        cases: [caseChange('1', 3, 'dispatched')],
        candidates: [candidate('c1', 1)],
        cameras: [cam('cam-1', 'online', 10)],
      }),
    );
    const superseded = held.hold(
      tick({
        // A state at the same instant is a later decision about it: it wins; an older one does not.
        statuses: [state('a', 10, 'offline'), state('a', 5, 'online')],
        // A case's older version arriving late (another hub process) loses to the held one.
        cases: [caseChange('1', 2, 'filed'), caseChange('2', 1, 'reported')],
        candidates: [candidate('c1', 4)],
        cameras: [cam('cam-1', 'offline', 20)],
      }),
    );
    expect(superseded).toBe(5);
    const { deltas } = held.release(tick({ candidates: [candidate('c1', 5, 'accepted')] }));
    expect(deltas.statuses).toEqual([state('a', 10, 'offline')]);
    expect(deltas.cases).toEqual([caseChange('1', 3, 'dispatched'), caseChange('2', 1, 'reported')]);
    expect(deltas.candidates).toEqual([candidate('c1', 5, 'accepted')]);
    expect(deltas.cameras).toEqual([cam('cam-1', 'offline', 20)]);
  });

  it('stays as large as the number of things however many ticks it holds', () => {
    const held = new HeldDeltas();
    const units = Array.from({ length: 50 }, (_, i) => `unit-${i}`);
    let superseded = 0;
    for (let t = 1; t <= 200; t += 1) {
      superseded += held.hold(
        tick({
          positions: units.map((u) => fix(u, t)),
          statuses: units.slice(0, 10).map((u) => state(u, t, t % 2 ? 'online' : 'offline')),
          cases: [caseChange('1', t, 'handling')],
        }),
      );
      expect(held.size).toBe(50 + 10 + 1);
    }
    expect(superseded).toBe(199 * 61);
    const { deltas } = held.release(noDeltas());
    expect(deltas.positions.map((p) => p.time)).toEqual(units.map(() => iso(200)));
    expect(deltas.cases).toEqual([caseChange('1', 200, 'handling')]);
  });

  it('merges the held deltas with the tick on release, newest wins, and empties the store', () => {
    const held = new HeldDeltas();
    held.hold(tick({ positions: [fix('a', 10), fix('b', 30)], cases: [caseChange('1', 1, 'reported')] }));
    const { deltas, superseded } = held.release(
      tick({ positions: [fix('a', 20), fix('b', 25), fix('c', 1)], cases: [caseChange('1', 2, 'filed')] }),
    );
    expect(superseded).toBe(3);
    expect(deltas.positions).toEqual([fix('a', 20), fix('b', 30), fix('c', 1)]);
    expect(deltas.cases).toEqual([caseChange('1', 2, 'filed')]);
    expect(held.size).toBe(0);
    expect(held.release(noDeltas()).deltas).toEqual(noDeltas());
  });

  it('forgets everything on clear (the viewer subscribed again)', () => {
    const held = new HeldDeltas();
    held.hold(tick({ positions: [fix('a', 10)], cameras: [cam('cam-1', 'online', 1)] }));
    held.clear();
    expect(held.size).toBe(0);
    expect(held.release(tick({ positions: [fix('b', 1)] })).deltas.positions).toEqual([fix('b', 1)]);
  });
});
