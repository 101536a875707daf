// 视频监控 end to end: ffmpeg publishes a camera stream to the media server with the camera's signed key; the hub's video
// service samples it, gates on motion, runs the real COCO detector (TensorFlow.js, wasm) in its worker pool, tracks,
// applies the camera's zones and raises candidates; the rows and the snapshot file are checked in the real database.
//
// The car: OpenCV's sample photo `licenseplate_motion.jpg` (Debian opencv-doc, BSD licence; the back of a silver saloon,
// motion-blurred) stands still for the whole clip after 3 s of an empty grey picture — the cut is the motion that wakes
// the gate, as a car pulling in would. The detector finds it as `car` (≈0.45 at 320×240) with a box covering most of
// the frame; its ground point (box bottom centre) is near (0.5, 0.95), inside the drawn zone (x 0.25–0.75, y 0.6–1).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CandidateQueue } from '../hub/cases/candidates.js';
import { CaseService } from '../hub/cases/case-service.js';
import { DEFAULT_SETTINGS, WorkingCalendar } from '../hub/cases/calendar.js';
import { CatalogueStore } from '../hub/catalogue/catalogue.js';
import { ResponsibilityRules } from '../hub/catalogue/responsibility.js';
import { GridGeocoder } from '../hub/geo/geocoder.js';
import { cameraMediaSink } from '../hub/cameras/media-sink.js';
import { CameraRegistry, type NewCamera } from '../hub/cameras/registry.js';
import { localRtmpPlayUrl, registryCameraSource } from '../hub/video/cameras.js';
import { VideoService } from '../hub/video/service.js';
import { startMediaServer, type MediaServer } from '../ingest/video/media-server.js';
import { DetectorPool } from '../models/pool.js';
import { migratedTestDatabase, type TestDatabase } from './support/database.js';
import { waitFor } from './support/wait.js';

const CAR_PHOTO = '/usr/share/doc/opencv-doc/examples/data/licenseplate_motion.jpg';
const CLASS_REF = 'event:0406';
const SAMPLE_MS = 500;

const SECRET = 'video-test-secret-0123456789';
const errors: unknown[] = [];
const log = { info: () => undefined, warn: () => undefined, error: (obj: unknown) => void errors.push(obj) };

/** 320×240 at 5 fps, a key frame every second (a late reader starts within a second). */
function makeClip(file: string, kind: 'car' | 'parked' | 'static'): void {
  const common = ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '5', '-pix_fmt', 'yuv420p', '-f', 'flv', file];
  const args =
    kind === 'car'
      ? [
          ...['-f', 'lavfi', '-i', 'color=c=gray:s=320x240:r=5:d=3'],
          ...['-loop', '1', '-framerate', '5', '-t', '25', '-i', CAR_PHOTO],
          '-filter_complex',
          '[1:v]scale=320:240,setsar=1,format=yuv420p[car];[0:v]format=yuv420p[g];[g][car]concat=n=2:v=1[v]',
          ...['-map', '[v]'],
        ]
      : kind === 'parked'
        ? [...['-loop', '1', '-framerate', '5', '-t', '25', '-i', CAR_PHOTO], '-vf', 'scale=320:240,setsar=1']
        : ['-f', 'lavfi', '-i', 'color=c=gray:s=320x240:r=5:d=25'];
  execFileSync('ffmpeg', ['-v', 'error', '-y', ...args, ...common]);
}

function camera(id: string): NewCamera {
  return {
    id,
    name: `路口 ${id}`,
    lon: 117.002,
    lat: 36.6512,
    source: 'rtmp',
    sampleIntervalMs: SAMPLE_MS,
    zones: [
      {
        id: 'kerb',
        name: '禁停路段',
        kind: 'noParking',
        polygon: [
          [0.25, 0.6],
          [0.75, 0.6],
          [0.75, 1],
          [0.25, 1],
        ],
        classRef: CLASS_REF,
        maxStationaryS: 2,
        minScore: 0.3,
      },
    ],
  };
}

describe('video supervision', () => {
  let db: TestDatabase;
  let detector: DetectorPool;
  let dir: string;
  let candidates: CandidateQueue;
  let registry: CameraRegistry;
  let media: MediaServer;
  /** The service under test, told when a camera starts publishing (as the hub wires the media server's sink). */
  let current: VideoService | null = null;
  const children: ChildProcess[] = [];

  /** ffmpeg publishing a clip to the camera's signed RTMP URL at its native rate, as a camera would. */
  const publish = (cameraId: string, clip: string): ChildProcess => {
    const url = media.localPublishUrl(cameraId, 600).url;
    const child = spawn('ffmpeg', ['-v', 'error', '-re', '-i', path.join(dir, clip), '-c', 'copy', '-f', 'flv', url], {
      stdio: 'ignore',
    });
    children.push(child);
    return child;
  };

  const newService = () =>
    new VideoService({
      pool: db.pool,
      candidates,
      cameras: registryCameraSource(registry, (id) => localRtmpPlayUrl(media, id)),
      detector,
      mediaDir: path.join(dir, 'media'),
      timeZone: 'Asia/Shanghai',
      log,
      frameWidth: 320,
      // Re-confirm a standing car every second, so a 2 s no-parking limit is judged within a few seconds.
      motion: { recheckEveryMs: 1000 },
      statusEveryMs: 1000,
    });

  beforeAll(async () => {
    expect(existsSync(CAR_PHOTO), `${CAR_PHOTO} (Debian package opencv-doc) is needed`).toBe(true);
    dir = await mkdtemp(path.join(tmpdir(), 'cityhub-video-'));
    makeClip(path.join(dir, 'car.flv'), 'car');
    makeClip(path.join(dir, 'static.flv'), 'static');
    makeClip(path.join(dir, 'parked.flv'), 'parked');
    [db, detector] = await Promise.all([migratedTestDatabase(), DetectorPool.start({ size: 1, maxQueue: 1 })]);
    const cases = new CaseService({
      pool: db.pool,
      catalogue: new CatalogueStore(db.pool),
      geocoder: new GridGeocoder(db.pool),
      responsibility: new ResponsibilityRules(db.pool),
      calendar: new WorkingCalendar({ settings: DEFAULT_SETTINGS, days: [] }),
    });
    candidates = new CandidateQueue(db.pool, cases);
    registry = new CameraRegistry(db.pool);
    await registry.loadPublishable();
    const sink = cameraMediaSink(registry, log);
    media = await startMediaServer({
      rtmpPort: 0,
      httpPort: 0,
      secret: SECRET,
      sink: {
        ...sink,
        publishStarted: (id) => {
          sink.publishStarted(id);
          void current?.streamStarted(id);
        },
      },
    });
  });

  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await current?.close();
    await media?.close();
    await detector?.close();
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a car standing in a no-parking zone yields one candidate with a snapshot and detections', async () => {
    await registry.create(camera('cam-car'));
    const video = (current = newService());
    try {
      expect(await video.sync()).toEqual(['cam-car']);
      publish('cam-car', 'car.flv');
      const created = await waitFor(
        'a no-parking candidate from cam-car',
        async () => {
          const { rows } = await db.pool.query(
            `SELECT id FROM case_candidates WHERE detector_id = 'video:cam-car:kerb'`,
          );
          return rows.length > 0 ? rows : null;
        },
        45_000,
        250,
      );
      // Let more of the clip play: the same standing car must not raise a second candidate.
      await new Promise((r) => setTimeout(r, 3000));
      const stats = video.stats().perCamera[0]!;
      const { rows } = await db.pool.query<{
        class_code: string;
        class_kind: string;
        rule_kind: string;
        evidence_items: Array<{ deviceId: string }>;
        merged_count: number;
        evidence: { mediaIds: string[]; measured: { className: string; stationaryS: number } };
        start_at: Date;
        end_at: Date;
      }>(`SELECT * FROM case_candidates`);
      expect(created).toHaveLength(1);
      expect(rows).toHaveLength(1);
      const c = rows[0]!;
      expect(c.class_code).toBe(CLASS_REF);
      expect(c.class_kind).toBe('event');
      expect(c.rule_kind).toBe('video-no-parking');
      expect(c.evidence_items.map((i) => i.deviceId)).toEqual(['cam-car']);
      expect(c.merged_count).toBe(1);
      expect(['car', 'truck', 'bus']).toContain(c.evidence.measured.className);
      // Fired only after the car had stood longer than the 2 s limit.
      expect(c.evidence.measured.stationaryS).toBeGreaterThanOrEqual(2);
      expect(c.end_at.getTime() - c.start_at.getTime()).toBeGreaterThan(2000);

      // The snapshot: a media row naming the camera, and the JPEG file it points at.
      expect(c.evidence.mediaIds).toHaveLength(1);
      const media = await db.pool.query<{
        camera_id: string;
        device_id: string | null;
        user_id: string | null;
        content_type: string;
        bytes: number;
        path: string;
      }>('SELECT camera_id, device_id, user_id, content_type, bytes, path FROM media WHERE id = $1', [
        c.evidence.mediaIds[0],
      ]);
      expect(media.rows).toHaveLength(1);
      const m = media.rows[0]!;
      expect(m).toMatchObject({ camera_id: 'cam-car', device_id: null, user_id: null, content_type: 'image/jpeg' });
      const jpeg = await readFile(path.join(dir, 'media', m.path));
      expect(jpeg.length).toBe(m.bytes);
      expect([...jpeg.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);

      const detections = await db.pool.query<{
        class: string;
        zone_id: string | null;
        track_id: string | null;
        frame_width: number;
        frame_height: number;
      }>(
        `SELECT class, zone_id, track_id, frame_width, frame_height FROM detections WHERE camera_id = 'cam-car' ORDER BY time`,
      );
      const cars = detections.rows.filter((d) => ['car', 'truck', 'bus'].includes(d.class));
      // At least the two sightings that confirm the track and the re-check after the 2 s limit.
      expect(cars.length).toBeGreaterThanOrEqual(3);
      expect(cars.every((d) => d.zone_id === 'kerb' && d.frame_width === 320 && d.frame_height === 240)).toBe(true);
      expect(cars.some((d) => d.track_id !== null)).toBe(true);
      const listed = await video.detections.list('cam-car', 0, Date.now() + 1000);
      expect(listed).toHaveLength(detections.rows.length);
      expect(listed[0]).toMatchObject({ cameraId: 'cam-car', frameWidth: 320, frameHeight: 240 });

      // The grey lead-in: its first frame passes (no background yet), the rest are skipped.
      expect(stats.motion.skipped).toBeGreaterThan(0);
      expect(stats.detected).toBeGreaterThanOrEqual(3);
      expect(video.stats()).toMatchObject({ snapshots: 1, created: 1, merged: 0, draftFailures: 0 });
      // Online from the media server's publish event, the newest frame time from the sampler.
      const cam = await registry.get('cam-car');
      expect(cam.status).toBe('online');
      expect(cam.lastFrameAt).not.toBeNull();
      expect(errors).toEqual([]);
    } finally {
      await video.close();
      current = null;
    }
  });

  it('a static picture never reaches the detector after its first frame; disabling a camera stops it', async () => {
    const before = detector.stats().completed;
    await registry.update('cam-car', { enabled: false });
    await registry.create(camera('cam-static'));
    const video = (current = newService());
    try {
      expect(await video.sync()).toEqual(['cam-static']);
      publish('cam-static', 'static.flv');
      await waitFor('12 static frames sampled', () => (video.stats().perCamera[0]?.frames ?? 0) >= 12, 45_000, 100);
      const stats = video.stats().perCamera[0]!;
      // The first frame passes (no background yet) and holds nothing; every later one is skipped by the gate.
      expect(stats.motion.passed).toBe(1);
      expect(stats.motion.skipped).toBe(stats.frames - 1);
      expect(stats.detected).toBe(1);
      expect(detector.stats().completed - before).toBe(1);
      expect(stats.detections).toBe(0);
      const { rows } = await db.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM case_candidates WHERE detector_id LIKE 'video:cam-static:%'`,
      );
      expect(rows[0]!.n).toBe(0);

      // Hot changes: a camera enabled again starts, a disabled one stops; the running one is left alone.
      const framesBefore = video.stats().perCamera[0]!.sampler.frames;
      await registry.update('cam-car', { enabled: true });
      expect((await video.sync()).sort()).toEqual(['cam-car', 'cam-static']);
      // The same sampler keeps counting (a restarted camera would count from 0 again).
      const kept = video.stats().perCamera.find((p) => p.cameraId === 'cam-static')!;
      expect(kept.sampler.frames).toBeGreaterThanOrEqual(framesBefore);
      expect(kept.sampler.restarts).toBe(0);
      await registry.update('cam-static', { enabled: false });
      expect(await video.sync()).toEqual(['cam-car']);
      expect(errors).toEqual([]);
    } finally {
      await video.close();
      current = null;
    }
  });

  it('a car already parked when the camera starts is re-checked without motion until it is a candidate', async () => {
    await registry.update('cam-car', { enabled: false });
    // 0.002° of latitude (222 m) north of cam-car: beyond the 50 m merge radius, so its own candidate, not more evidence
    // on cam-car's pending one.
    await registry.create({ ...camera('cam-parked'), lat: 36.6532 });
    const video = (current = newService());
    try {
      expect(await video.sync()).toEqual(['cam-parked']);
      publish('cam-parked', 'parked.flv');
      await waitFor(
        'a no-parking candidate from cam-parked',
        async () =>
          (await db.pool.query(`SELECT id FROM case_candidates WHERE detector_id = 'video:cam-parked:kerb'`)).rows
            .length > 0,
        45_000,
        250,
      );
      const stats = video.stats().perCamera[0]!;
      // Nothing moved after the first frame: every later detector pass was a re-check of the zone the car stands in.
      expect(stats.motion.passed).toBe(stats.motion.rechecks + 1);
      expect(stats.motion.rechecks).toBeGreaterThanOrEqual(2);
      expect(stats.motion.skipped).toBeGreaterThan(0);
      expect(video.stats()).toMatchObject({ snapshots: 1, created: 1, merged: 0, draftFailures: 0 });
      expect(errors).toEqual([]);
    } finally {
      await video.close();
      current = null;
    }
  });

  it('new zones on a running camera apply at once: same sampler, the standing car keeps its track and its time', async () => {
    await registry.update('cam-parked', { enabled: false });
    // 0.004° north of cam-car: its own candidate, not evidence on another camera's.
    const base = camera('cam-zones');
    const lenient = { ...base.zones![0]!, maxStationaryS: 3600 } as Record<string, unknown>;
    await registry.create({ ...base, lat: 36.6552, zones: [lenient] });
    const video = (current = newService());
    try {
      expect(await video.sync()).toEqual(['cam-zones']);
      publish('cam-zones', 'parked.flv');
      const perCamera = () => video.stats().perCamera.find((p) => p.cameraId === 'cam-zones')!;
      // The car is tracked (two sightings, stored with their track), and with a one-hour limit nothing fires.
      const trackIds = await waitFor(
        'the parked car tracked',
        async () => {
          const r = await db.pool.query<{ track_id: string }>(
            `SELECT DISTINCT track_id FROM detections WHERE camera_id = 'cam-zones' AND track_id IS NOT NULL`,
          );
          return r.rows.length > 0 ? r.rows.map((row) => row.track_id) : null;
        },
        30_000,
        100,
      );
      expect(trackIds).toHaveLength(1);
      const before = perCamera();
      expect(before.tracker.live).toBe(1);
      const changedAtMs = Date.now();

      // What PATCH /api/cameras/cam-zones does: the registry changes, then the video service syncs.
      await registry.update('cam-zones', { zones: [{ ...lenient, maxStationaryS: 2 }] });
      expect(await video.sync()).toEqual(['cam-zones']);
      const { rows } = await waitFor(
        'a no-parking candidate from cam-zones',
        async () => {
          const r = await db.pool.query<{
            evidence: { measured: { trackId: string; stationaryS: number; maxStationaryS: number } };
            start_at: Date;
          }>(`SELECT evidence, start_at FROM case_candidates WHERE detector_id = 'video:cam-zones:kerb'`);
          return r.rows.length > 0 ? r : null;
        },
        30_000,
        250,
      );
      const after = perCamera();
      // The same ffmpeg, never restarted; the same tracker (no track born again) and the same chain (frames go on).
      expect(after.sampler.pid).toBe(before.sampler.pid);
      expect(after.sampler.restarts).toBe(0);
      expect(after.tracker.born).toBe(before.tracker.born);
      expect(after.frames).toBeGreaterThan(before.frames);
      // The candidate is about the track from before the change, standing since before the change.
      const measured = rows[0]!.evidence.measured;
      expect(measured.trackId).toBe(trackIds[0]);
      expect(measured.maxStationaryS).toBe(2);
      expect(rows[0]!.start_at.getTime()).toBeLessThan(changedAtMs);

      // A new sampling interval restarts the sampler only: the tracker and the chain carry on.
      await registry.update('cam-zones', { sampleIntervalMs: 1000 });
      expect(await video.sync()).toEqual(['cam-zones']);
      const restarted = perCamera();
      expect(restarted.sampler.pid).not.toBe(before.sampler.pid);
      expect(restarted.tracker.born).toBe(before.tracker.born);
      expect(restarted.frames).toBeGreaterThanOrEqual(after.frames);
      expect(video.stats()).toMatchObject({ created: 1, draftFailures: 0 });
      expect(errors).toEqual([]);
    } finally {
      await video.close();
      current = null;
    }
  });

  it('stores detections in a hypertable and media rows that name exactly one maker', async () => {
    const hypertable = await db.pool.query(
      `SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_name = 'detections'`,
    );
    expect(hypertable.rowCount).toBe(1);
    const insert = (device: string | null, user: string | null, cam: string | null) =>
      db.pool.query(
        `INSERT INTO media (id, device_id, user_id, camera_id, content_type, bytes, sha256, path)
         VALUES (gen_random_uuid(), $1, $2, $3, 'image/jpeg', 1, 'x', 'x.jpg')`,
        [device, user, cam],
      );
    await expect(insert('dev1', null, 'cam-car')).rejects.toThrow(/media_uploader/);
    await expect(insert(null, null, null)).rejects.toThrow(/media_uploader/);
    await expect(insert(null, 'u1', null)).resolves.toMatchObject({ rowCount: 1 });
  });
});
