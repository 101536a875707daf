// 场景核心 tracks sampled on the fix grid, loops walked past their closing vertex, local shift hours, the run schedule.
import { describe, expect, it } from 'vitest';
import { alongLoop, localHhmm, offsetM, tagged, Track, type LonLat } from './core.js';
import { scheduleStarts } from './runner.js';

const T0 = Date.parse('2026-11-10T00:00:00Z');

describe('tracks', () => {
  it('samples a drive and a wait on the fix grid, with speed and course', () => {
    const start: LonLat = [117, 36];
    // 100 m east at 36 km/h (10 m/s) takes 10 s; then 10 s standing. 1° of longitude at 36° N is
    // 111 195 m × cos 36° = 89 958.6 m, so 50 m is 0.00055581°.
    const track = new Track(T0, start).drive([offsetM(start, 100, 0)], 36, { tag: 'go' }).wait(10_000);
    const fixes = track.fixes(5000);
    expect(fixes.map((f) => f.timeMs - T0)).toEqual([0, 5000, 10000, 15000, 20000]);
    expect(fixes.map((f) => f.speedKmh)).toEqual([36, 36, 0, 0, 0]);
    expect(fixes[1]!.lon).toBeCloseTo(117.00055581, 7);
    expect(fixes[1]!.lat).toBeCloseTo(36, 6);
    expect(fixes[0]!.course).toBeCloseTo(90, 1);
    // The fix on the boundary belongs to the wait that starts there.
    expect(fixes.map((f) => f.tag)).toEqual(['go', 'go', undefined, undefined, undefined]);
    expect(tagged(fixes, 'go')).toMatchObject({ startMs: T0, endMs: T0 + 5000 });
    expect(() => tagged(fixes, 'nothing')).toThrow(/no fix carries the tag "nothing"/);
  });

  it('walks a closed loop past its closing vertex', () => {
    // A 100 m square, SW → SE → NE → NW → SW: 350 m along is 50 m north of SW on the west side; 100 m on from there
    // passes SW and ends 50 m east of it.
    const sw: LonLat = [117, 36];
    const ring = [sw, offsetM(sw, 100, 0), offsetM(sw, 100, 100), offsetM(sw, 0, 100), sw];
    const path = alongLoop(ring, 350, 100);
    expect(path).toHaveLength(3);
    expect(path[0]![0]).toBeCloseTo(117, 7);
    expect(path[0]![1]).toBeCloseTo(36 + 50 / 111_195, 6);
    expect(path[1]).toEqual(sw);
    expect(path[2]![0]).toBeCloseTo(117 + 50 / 89_958.6, 6);
  });
});

describe('local time', () => {
  it('writes shift hours in the city’s zone', () => {
    expect(localHhmm(T0, 'Asia/Shanghai')).toBe('08:00');
    expect(localHhmm(T0, 'Europe/Berlin')).toBe('01:00');
  });

  it('lays scenarios back to back, ending 2 minutes before now, inside one local day', () => {
    const hours = (h: number) => ({ durationMs: h * 3_600_000 });
    // 20:03 in Shanghai: slots of 65 and 125 minutes end at 12:00Z (the last whole 5 minutes before 12:01Z).
    expect(scheduleStarts([hours(1), hours(2)], Date.parse('2026-11-10T12:03:00Z'), 'Asia/Shanghai')).toEqual([
      Date.parse('2026-11-10T08:55:00Z'),
      Date.parse('2026-11-10T10:00:00Z'),
    ]);
    // 01:00 in Shanghai: the block would cross local midnight (16:00Z), so it ends at 23:55 the day before.
    expect(scheduleStarts([hours(1), hours(2)], Date.parse('2026-11-10T17:00:00Z'), 'Asia/Shanghai')).toEqual([
      Date.parse('2026-11-10T12:50:00Z'),
      Date.parse('2026-11-10T13:55:00Z'),
    ]);
  });
});
