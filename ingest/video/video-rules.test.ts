import { describe, expect, it } from 'vitest';
import { snapshotJpeg } from './snapshot.js';
import { Tracker } from './tracker.js';
import { checkVideoZone, VideoRules } from './video-rules.js';
import type { Box, CameraSpec, Frame, Track, VideoZone } from './types.js';

const W = 640;
const H = 480;
const frameAt = (timeMs: number): Frame => ({ cameraId: 'cam1', timeMs, width: W, height: H, rgb: new Uint8Array(0) });

// The lower half of the picture (y 240–480).
const lowerHalf: VideoZone['polygon'] = [
  [0, 0.5],
  [1, 0.5],
  [1, 1],
  [0, 1],
];
const noParking: VideoZone = {
  id: 'z1',
  name: 'gate',
  kind: 'noParking',
  polygon: lowerHalf,
  classRef: 'event:0406',
  standardId: 12,
  maxStationaryS: 60,
};
const camera = (zones: VideoZone[]): CameraSpec => ({
  id: 'cam1',
  name: 'East gate',
  lon: 116.4,
  lat: 39.9,
  sampleIntervalMs: 2000,
  zones,
});

function track(id: string, className: string, box: Box, firstSeenMs: number, score = 0.9): Track {
  return { id, cameraId: 'cam1', className, box, score, firstSeenMs, lastSeenMs: firstSeenMs, firstBox: box, hits: 3 };
}
/** The track as the tracker gives it after a sample at `t` that saw it (at `box`, when it moved). */
const seen = (tr: Track, t: number, box: Box = tr.box): Track => ({ ...tr, box, lastSeenMs: t });
// A car whose feet (bottom centre 150, 400) are in the lower half.
const carBox: Box = { x: 100, y: 350, width: 100, height: 50 };

describe('noParking', () => {
  it('drafts once when a vehicle has stood in the zone longer than maxStationaryS', () => {
    const rules = new VideoRules(camera([noParking]), { timeZone: 'Asia/Shanghai', locate: () => '110101001001001' });
    const t0 = Date.UTC(2026, 0, 5, 2, 0, 0);
    const car = track('cam1:1', 'car', carBox, t0);
    expect(rules.evaluate(frameAt(t0), [car])).toEqual([]);
    expect(rules.evaluate(frameAt(t0 + 60_000), [{ ...car, lastSeenMs: t0 + 60_000 }])).toEqual([]); // 60 s: allowed
    const jittered = { ...car, box: { x: 104, y: 352, width: 100, height: 50 }, lastSeenMs: t0 + 62_000, score: 0.87 };
    const out = rules.evaluate(frameAt(t0 + 62_000), [jittered]);
    expect(out).toHaveLength(1);
    expect(out[0]!.draft).toEqual({
      ruleId: 'video:cam1:z1',
      ruleKind: 'video-no-parking',
      classRef: 'event:0406',
      standardId: 12,
      deviceId: 'cam1',
      lon: 116.4,
      lat: 39.9,
      cell: '110101001001001',
      startMs: t0,
      endMs: t0 + 62_000,
      confidence: 0.87,
      description: 'camera East gate: car standing in no-parking zone gate for 62 s (allowed 60 s)',
      evidence: {
        measured: {
          className: 'car',
          score: 0.87,
          stationaryS: 62,
          maxStationaryS: 60,
          trackId: 'cam1:1',
          zoneId: 'z1',
          box: { x: 104, y: 352, width: 100, height: 50 },
        },
      },
      key: `video:cam1:z1:cam1:1:${t0}`,
    });
    expect(out[0]!.boxes).toEqual([{ box: jittered.box, label: 'car 0.87 62S' }]);
    expect(out[0]!.frame.timeMs).toBe(t0 + 62_000);
    // Still standing: no second draft for the same episode.
    expect(rules.evaluate(frameAt(t0 + 120_000), [{ ...jittered, lastSeenMs: t0 + 120_000 }])).toEqual([]);
    expect(rules.stats()).toEqual({ evaluations: 4, drafts: { noParking: 1, crowd: 0, restricted: 0 } });
  });

  it('counts from where a vehicle stopped, not from where it drove in', () => {
    const rules = new VideoRules(camera([noParking]), { timeZone: 'Asia/Shanghai' });
    const car = track('cam1:2', 'truck', { x: 0, y: 300, width: 100, height: 50 }, 0);
    rules.evaluate(frameAt(0), [car]);
    // Moved 200 px (tolerance 15 % of 100 = 15 px): the stay restarts at 10 000.
    const parkedBox = { x: 200, y: 300, width: 100, height: 50 };
    rules.evaluate(frameAt(10_000), [seen(car, 10_000, parkedBox)]);
    expect(rules.evaluate(frameAt(70_000), [seen(car, 70_000, parkedBox)])).toEqual([]); // 60 s standing
    const out = rules.evaluate(frameAt(71_000), [seen(car, 71_000, parkedBox)]);
    expect(out.map((d) => [d.draft.startMs, d.draft.evidence.measured!.stationaryS])).toEqual([[10_000, 61]]);
  });

  it('measures the stay until the vehicle was last seen, not until the frame', () => {
    const rules = new VideoRules(camera([noParking]), { timeZone: 'Asia/Shanghai' });
    const car = track('c', 'car', carBox, 0);
    // The tracker still holds the track at 90 s, but the detector last saw the car at 50 s: 50 s ≤ 60 s, no draft.
    expect(rules.evaluate(frameAt(90_000), [seen(car, 50_000)])).toEqual([]);
    const out = rules.evaluate(frameAt(95_000), [seen(car, 61_000)]);
    expect(out.map((d) => [d.draft.startMs, d.draft.endMs, d.frame.timeMs])).toEqual([[0, 61_000, 95_000]]);
  });

  it('ignores persons, low scores and vehicles outside the zone; a new episode after leaving', () => {
    const rules = new VideoRules(camera([noParking]), { timeZone: 'Asia/Shanghai' });
    const person = track('p', 'person', carBox, 0);
    const weak = track('w', 'car', carBox, 0, 0.3);
    const above = track('a', 'car', { x: 100, y: 100, width: 100, height: 50 }, 0); // feet at y 150 < 240
    expect(rules.evaluate(frameAt(100_000), [person, weak, above])).toEqual([]);
    const car = track('c', 'car', carBox, 0);
    expect(rules.evaluate(frameAt(100_000), [seen(car, 100_000)])).toHaveLength(1);
    rules.evaluate(frameAt(101_000), []); // gone from the zone (or the tracker ended it)
    const back = { x: 300, y: 350, width: 100, height: 50 }; // back, 200 px from where first seen
    rules.evaluate(frameAt(102_000), [seen(car, 102_000, back)]);
    expect(rules.evaluate(frameAt(162_000), [seen(car, 162_000, back)])).toEqual([]);
    const again = rules.evaluate(frameAt(163_000), [seen(car, 163_000, back)]);
    expect(again.map((d) => d.draft.startMs)).toEqual([102_000]);
  });
});

describe('crowd', () => {
  const crowdZone: VideoZone = {
    id: 'plaza',
    name: 'plaza',
    kind: 'crowd',
    polygon: lowerHalf,
    classRef: 'event:0501',
    maxPersons: 2,
    minDurationS: 30,
  };
  const people = (n: number, score = 0.8): Track[] =>
    Array.from({ length: n }, (_, i) =>
      track(`p${i}`, 'person', { x: 20 + i * 60, y: 300, width: 40, height: 100 }, 0, score),
    );

  it('drafts once per episode after minDurationS, with hysteresis', () => {
    const rules = new VideoRules(camera([crowdZone]), { timeZone: 'Asia/Shanghai' });
    expect(rules.evaluate(frameAt(0), people(2))).toEqual([]); // 2 is allowed
    expect(rules.evaluate(frameAt(10_000), people(3))).toEqual([]); // over: episode starts at 10 000
    expect(rules.evaluate(frameAt(39_000), people(4))).toEqual([]); // 29 s
    const out = rules.evaluate(frameAt(40_000), people(3, 0.7));
    expect(out).toHaveLength(1);
    expect(out[0]!.draft).toMatchObject({
      ruleId: 'video:cam1:plaza',
      ruleKind: 'video-crowd',
      classRef: 'event:0501',
      standardId: null,
      startMs: 10_000,
      endMs: 40_000,
      confidence: 0.7,
      key: 'video:cam1:plaza:crowd:10000',
      description: 'camera East gate: 3 people in zone plaza for 30 s (allowed 2)',
      evidence: { measured: { count: 3, maxPersons: 2, durationS: 30, trackIds: ['p0', 'p1', 'p2'], zoneId: 'plaza' } },
    });
    expect(out[0]!.boxes).toHaveLength(3);
    // A dip for 20 s (< 30 s) does not end the reported episode.
    rules.evaluate(frameAt(50_000), people(1));
    expect(rules.evaluate(frameAt(70_000), people(5))).toEqual([]);
    // Thin for 30 s: over. A new crowd is a new episode.
    rules.evaluate(frameAt(80_000), people(2));
    rules.evaluate(frameAt(110_000), people(2));
    rules.evaluate(frameAt(120_000), people(3));
    const second = rules.evaluate(frameAt(150_000), people(3));
    expect(second.map((d) => d.draft.key)).toEqual(['video:cam1:plaza:crowd:120000']);
  });

  it('does not report a crowd that dispersed before minDurationS', () => {
    const rules = new VideoRules(camera([crowdZone]), { timeZone: 'Asia/Shanghai' });
    rules.evaluate(frameAt(0), people(3));
    rules.evaluate(frameAt(20_000), people(2)); // gone before 30 s
    expect(rules.evaluate(frameAt(40_000), people(3))).toEqual([]); // restarts at 40 000
    expect(rules.evaluate(frameAt(69_000), people(3))).toEqual([]);
    expect(rules.evaluate(frameAt(70_000), people(3)).map((d) => d.draft.startMs)).toEqual([40_000]);
  });
});

describe('restricted', () => {
  const restricted: VideoZone = {
    id: 'lane',
    name: 'fire lane',
    kind: 'restricted',
    polygon: lowerHalf,
    classRef: 'event:0407',
    classes: ['car', 'person'],
    hours: [{ from: '22:00', to: '06:00' }],
  };
  // Shanghai is UTC+8: 23:30 local on 5 Jan 2026 = 15:30 UTC; 12:00 local = 04:00 UTC.
  const night = Date.UTC(2026, 0, 5, 15, 30);
  const noon = Date.UTC(2026, 0, 5, 4, 0);

  it('drafts once per track in the local hours, not outside them', () => {
    const rules = new VideoRules(camera([restricted]), { timeZone: 'Asia/Shanghai' });
    const car = track('c1', 'car', carBox, noon);
    expect(rules.evaluate(frameAt(noon), [car])).toEqual([]);
    const walker = track('p1', 'person', { x: 400, y: 300, width: 40, height: 100 }, night);
    const bike = track('b1', 'bicycle', { x: 300, y: 300, width: 40, height: 100 }, night); // not in classes
    const out = rules.evaluate(frameAt(night), [car, walker, bike]);
    expect(out.map((d) => d.draft.key)).toEqual(['video:cam1:lane:c1', 'video:cam1:lane:p1']);
    expect(out[0]!.draft).toMatchObject({
      ruleKind: 'video-restricted',
      startMs: noon,
      endMs: night,
      description: 'camera East gate: vehicle (car) in restricted zone fire lane during restricted hours 22:00–06:00',
    });
    expect(rules.evaluate(frameAt(night + 60_000), [car, walker])).toEqual([]);
  });
});

describe('reconfigure (zones changed on a running camera)', () => {
  const crowdZone: VideoZone = {
    id: 'plaza',
    name: 'plaza',
    kind: 'crowd',
    polygon: lowerHalf,
    classRef: 'event:0501',
    maxPersons: 0,
    minDurationS: 30,
  };
  const walker = track('p1', 'person', { x: 400, y: 300, width: 40, height: 100 }, 0);

  it('a zone keeping its id and kind keeps its episodes; a lower threshold fires from the original start', () => {
    const rules = new VideoRules(camera([{ ...noParking, maxStationaryS: 600 }, crowdZone]), { timeZone: 'UTC' });
    const car = track('c', 'car', carBox, 0);
    rules.evaluate(frameAt(0), [car, walker]);
    expect(rules.evaluate(frameAt(100_000), [seen(car, 100_000), seen(walker, 100_000)])).toHaveLength(1); // crowd
    // 100 s standing < 600 s. The admin lowers the limit to 60 s and widens the polygon to the whole picture.
    const whole: VideoZone['polygon'] = [
      [0, 0],
      [1, 0],
      [1, 1],
      [0, 1],
    ];
    rules.reconfigure(camera([{ ...noParking, maxStationaryS: 60, polygon: whole }, crowdZone]));
    const out = rules.evaluate(frameAt(102_000), [seen(car, 102_000), seen(walker, 102_000)]);
    // The stay started at 0, not at the change; the crowd episode already reported is not reported again.
    expect(out.map((d) => [d.draft.ruleId, d.draft.startMs, d.draft.evidence.measured!.stationaryS])).toEqual([
      ['video:cam1:z1', 0, 102],
    ]);
    expect(out[0]!.draft.description).toContain('(allowed 60 s)');
  });

  it('a removed zone, or one that changed kind, starts afresh; bad zones throw and change nothing', () => {
    const rules = new VideoRules(camera([noParking]), { timeZone: 'UTC' });
    const car = track('c', 'car', carBox, 0);
    rules.evaluate(frameAt(0), [car]);
    expect(() => rules.reconfigure(camera([{ ...noParking, maxStationaryS: undefined }]))).toThrow(RangeError);
    // Still the old zone: the car standing since 0 fires after 60 s.
    expect(rules.evaluate(frameAt(61_000), [seen(car, 61_000)])).toHaveLength(1);

    rules.reconfigure(camera([{ ...noParking, kind: 'restricted', hours: [{ from: '00:00', to: '23:59' }] }]));
    expect(rules.evaluate(frameAt(62_000), [seen(car, 62_000)]).map((d) => d.draft.ruleKind)).toEqual([
      'video-restricted',
    ]);
    rules.reconfigure(camera([]));
    rules.reconfigure(camera([noParking]));
    // The stay is measured again from the first frame after the zone came back (the track stands since 0 though:
    // the tracker's first sighting counts for a vehicle that has not moved).
    expect(rules.evaluate(frameAt(63_000), [seen(car, 63_000)]).map((d) => d.draft.startMs)).toEqual([0]);
  });
});

describe('checkVideoZone', () => {
  it('names the missing thresholds and bad hours', () => {
    expect(checkVideoZone(noParking)).toEqual([]);
    expect(checkVideoZone({ ...noParking, maxStationaryS: undefined })).toEqual([
      'zone z1: a noParking zone needs maxStationaryS ≥ 0',
    ]);
    expect(checkVideoZone({ ...noParking, kind: 'restricted', hours: [{ from: '25:00', to: '06:00' }] })).toEqual([
      'zone z1: hours[0] must be { from: "HH:MM", to: "HH:MM" } (00:00–23:59)',
    ]);
    expect(() => new VideoRules(camera([{ ...noParking, kind: 'crowd' }]), { timeZone: 'UTC' })).toThrow(
      /camera cam1: zone z1: a crowd zone needs maxPersons ≥ 0; zone z1: a crowd zone needs minDurationS ≥ 0/,
    );
  });
});

describe('tracker → rules → snapshot', () => {
  it('a car standing in a no-parking zone yields one draft whose snapshot is a JPEG', async () => {
    const tracker = new Tracker('cam1', { minHits: 2, maxMissedMs: 30_000 });
    const rules = new VideoRules(camera([{ ...noParking, maxStationaryS: 20 }]), { timeZone: 'Asia/Shanghai' });
    const drafts = [];
    // One detection every 5 s with a few pixels of jitter, from 0 to 40 s.
    for (let t = 0; t <= 40_000; t += 5000) {
      const jitter = (t / 5000) % 2 === 0 ? 0 : 3;
      const { live } = tracker.update(t, [{ className: 'car', score: 0.8, box: { ...carBox, x: carBox.x + jitter } }]);
      const frame = { ...frameAt(t), rgb: new Uint8Array(W * H * 3).fill(90) };
      drafts.push(...rules.evaluate(frame, live));
    }
    // Standing since 0 (first seen): 25 s > 20 s at t = 25 000, and only then.
    expect(drafts.map((d) => [d.draft.startMs, d.draft.endMs])).toEqual([[0, 25_000]]);
    const jpeg = await snapshotJpeg(drafts[0]!.frame, drafts[0]!.boxes);
    expect([jpeg[0], jpeg[1]]).toEqual([0xff, 0xd8]);
  });
});
