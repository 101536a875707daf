// 视频监控点接口 the camera API over real HTTP against the real database and a real media server: admins register and
// edit cameras (every problem listed, nothing stored half-way), anyone logged in reads them (RTSP passwords hidden),
// publish keys work with ffmpeg until disabled, play URLs play, snapshots are JPEGs of live cameras only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cameraRoutes } from './cameras.js';
import { CameraRegistry } from '../cameras/registry.js';
import { CatalogueStore } from '../catalogue/catalogue.js';
import { startMediaServer, type MediaServer } from '../../ingest/video/media-server.js';
import { migratedTestDatabase, type TestDatabase } from '../../test/support/database.js';
import {
  expectProblem,
  fixedTokenAuthenticator,
  jsonCall,
  startApp,
  type CallOptions,
  type TestApp,
} from '../../test/support/http-app.js';
import { probeStreams, pushTestPattern } from '../../test/support/rtsp-server.js';
import { waitFor } from '../../test/support/wait.js';

let db: TestDatabase;
let server: TestApp;
let media: MediaServer;
let registry: CameraRegistry;
const changes: string[] = [];

const auth = fixedTokenAuthenticator({
  admin: { userId: 'u-admin', name: 'admin', roles: ['admin'], departmentId: null },
  acc: { userId: 'u-acc', name: 'acceptor', roles: ['acceptor'], departmentId: null },
});
const call = (token: string | null, method: string, path: string, opts: CallOptions = {}) =>
  jsonCall(server.base, method, path, { ...opts, token });

const noParking = {
  id: 'gate',
  name: '校门口禁停区',
  kind: 'noParking',
  polygon: [
    [0.1, 0.5],
    [0.6, 0.5],
    [0.6, 0.9],
    [0.1, 0.9],
  ],
  classRef: 'event:0406',
  maxStationaryS: 600,
};
const camera = {
  id: 'cam-school',
  name: '实验小学东门',
  lon: 117.0012,
  lat: 36.6521,
  headingDeg: 90,
  view: {
    type: 'Polygon',
    coordinates: [
      [
        [117.0012, 36.6521],
        [117.0016, 36.6523],
        [117.0016, 36.6519],
        [117.0012, 36.6521],
      ],
    ],
  },
  source: 'rtmp',
  sampleIntervalMs: 2000,
  zones: [noParking],
};

beforeAll(async () => {
  db = await migratedTestDatabase();
  await db.pool.query(`INSERT INTO catalogue_major_classes (kind, code, name_zh) VALUES ('event', '04', '街面秩序')`);
  await db.pool.query(`INSERT INTO catalogue_classes (kind, code, name_zh, origin) VALUES
    ('event', '0406', '机动车乱停放', 'test'), ('event', '0401', '占道经营', 'test')`);
  const classes = ['person', 'bicycle', 'car', 'motorcycle', 'bus', 'truck'];
  registry = new CameraRegistry(db.pool, { catalogue: new CatalogueStore(db.pool), detectorClasses: classes });
  await registry.loadPublishable();
  media = await startMediaServer({
    rtmpPort: 0,
    httpPort: 0,
    secret: 'http-test-secret-012345',
    reconnectGraceMs: 200,
    sink: {
      publishKeyVersion: (id) => registry.publishKeyVersion(id),
      publishStarted: (id) => void registry.setStatus(id, 'online'),
      publishEnded: (id) => void registry.setStatus(id, 'offline'),
    },
  });
  server = await startApp(async (app) => {
    await app.register(cameraRoutes, { registry, auth, media, onChange: (c) => void changes.push(c.id) });
  });
});

afterAll(async () => {
  await server?.close();
  await media?.close();
  await db?.drop();
});

describe('registering cameras', () => {
  it('an admin registers a camera; it reads back as sent, offline, with its play path', async () => {
    const { res, body } = await call('admin', 'POST', '/api/cameras', { body: camera });
    expect(res.status).toBe(201);
    expect(body).toMatchObject({
      id: 'cam-school',
      name: '实验小学东门',
      lon: 117.0012,
      lat: 36.6521,
      headingDeg: 90,
      view: camera.view,
      source: 'rtmp',
      rtspUrl: null,
      sampleIntervalMs: 2000,
      zones: [noParking],
      enabled: true,
      status: 'offline',
      lastFrameAt: null,
      publishKeyVersion: 0,
      playPath: '/live/cam-school.flv',
    });
    expect(changes).toEqual(['cam-school']);
    const read = await call('acc', 'GET', '/api/cameras/cam-school');
    expect(read.res.status).toBe(200);
    expect(read.body).toEqual(body);
  });

  it('a second camera with the same id is a conflict', async () => {
    const { res, body } = await call('admin', 'POST', '/api/cameras', { body: camera });
    expectProblem(res, body, 409, 'urn:cityhub:problem:camera-exists');
  });

  it('lists every problem of a bad camera at once and stores nothing', async () => {
    const bad = {
      ...camera,
      id: 'cam-bad',
      source: 'rtsp',
      zones: [
        {
          ...noParking,
          polygon: [
            [0.1, 0.1],
            [1.2, 0.5],
            [0.3, 0.9],
          ],
        },
        { ...noParking, name: 'dup', maxPersons: 5 },
        {
          id: 'crowd',
          name: '广场',
          kind: 'crowd',
          polygon: [
            [0, 0],
            [0.5, 0.5],
            [1, 1],
          ],
          classRef: 'event:0406',
        },
        {
          id: 'night',
          name: '夜间禁入',
          kind: 'restricted',
          polygon: [
            [0, 0],
            [1, 0],
            [1, 1],
          ],
          classRef: 'event:0406',
          hours: [{ from: '22:00', to: '25:00' }],
          classes: ['car', 'unicorn'],
        },
      ],
    };
    const { res, body } = await call('admin', 'POST', '/api/cameras', { body: bad });
    expectProblem(res, body, 422, 'urn:cityhub:problem:invalid-camera');
    const fields = (body.errors as Array<{ field: string; message: string }>).map((e) => e.field);
    expect(fields).toEqual([
      'rtspUrl',
      'zones[0].polygon[1]',
      'zones[1].id',
      'zones[1].maxPersons',
      'zones[2].polygon',
      'zones[2].maxPersons',
      'zones[3].classes[1]',
      'zones[3].hours[0]',
    ]);
    expect(body.detail).toContain('zones[0].polygon[1] must be [x, y] with 0 ≤ x, y ≤ 1');
    expect((await call('admin', 'GET', '/api/cameras/cam-bad')).res.status).toBe(404);
  });

  it('checks zone classes against the catalogue', async () => {
    const { res, body } = await call('admin', 'POST', '/api/cameras', {
      body: { ...camera, id: 'cam-x', zones: [{ ...noParking, classRef: 'event:0999' }] },
    });
    expectProblem(res, body, 422);
    expect(body.errors).toEqual([{ field: 'zones[0].classRef', message: 'the catalogue has no class event:0999' }]);
  });

  it('refuses unknown properties and wrong types before the registry sees them', async () => {
    const typo = await call('admin', 'POST', '/api/cameras', { body: { ...camera, id: 'cam-y', sampleIntervalMS: 5 } });
    expectProblem(typo.res, typo.body, 400, 'urn:cityhub:problem:validation');
    expect(typo.body.detail).toContain('unknown property "sampleIntervalMS"');
    const id = await call('admin', 'POST', '/api/cameras', { body: { ...camera, id: 'cam.with.dots' } });
    expectProblem(id.res, id.body, 400);
  });

  it('an rtsp camera keeps its URL but nobody reads the password', async () => {
    const { res, body } = await call('admin', 'POST', '/api/cameras', {
      body: {
        id: 'cam-gate',
        name: '北门',
        lon: 117,
        lat: 36.65,
        source: 'rtsp',
        rtspUrl: 'rtsp://admin:s3cret@10.1.2.3:554/Streaming/Channels/101',
      },
    });
    expect(res.status).toBe(201);
    expect(body.rtspUrl).toBe('rtsp://admin:***@10.1.2.3:554/Streaming/Channels/101');
    expect(body.zones).toEqual([]);
    expect(body.sampleIntervalMs).toBe(2000);
    expect((await registry.get('cam-gate')).rtspUrl).toBe('rtsp://admin:s3cret@10.1.2.3:554/Streaming/Channels/101');
  });
});

describe('roles', () => {
  it('reads need a login; writes need admin', async () => {
    expectProblem((await call(null, 'GET', '/api/cameras')).res, (await call(null, 'GET', '/api/cameras')).body, 401);
    const post = await call('acc', 'POST', '/api/cameras', { body: { ...camera, id: 'cam-z' } });
    expectProblem(post.res, post.body, 403, 'urn:cityhub:problem:forbidden');
    const patch = await call('acc', 'PATCH', '/api/cameras/cam-school', { body: { name: 'x' } });
    expectProblem(patch.res, patch.body, 403);
    const key = await call('acc', 'POST', '/api/cameras/cam-school/publish-key', { body: {} });
    expectProblem(key.res, key.body, 403);
    const list = await call('acc', 'GET', '/api/cameras');
    expect(list.res.status).toBe(200);
    expect(list.body.items.map((c: { id: string }) => c.id)).toEqual(['cam-gate', 'cam-school']);
  });

  it('every route is documented', async () => {
    const { body } = await jsonCall(server.base, 'GET', '/openapi.json');
    expect(Object.keys(body.paths).sort()).toEqual([
      '/api/cameras',
      '/api/cameras/{id}',
      '/api/cameras/{id}/play',
      '/api/cameras/{id}/publish-key',
      '/api/cameras/{id}/snapshot',
    ]);
  });
});

describe('editing', () => {
  it('a patch changes only what it names and is validated as the whole camera', async () => {
    const { res, body } = await call('admin', 'PATCH', '/api/cameras/cam-school', {
      body: { name: '实验小学东门（新）', headingDeg: null, sampleIntervalMs: 5000 },
    });
    expect(res.status).toBe(200);
    expect(body).toMatchObject({
      name: '实验小学东门（新）',
      headingDeg: null,
      sampleIntervalMs: 5000,
      zones: [noParking],
    });
    const bad = await call('admin', 'PATCH', '/api/cameras/cam-school', { body: { source: 'rtsp' } });
    expectProblem(bad.res, bad.body, 422);
    expect(bad.body.errors).toEqual([
      { field: 'rtspUrl', message: 'an rtsp camera needs the URL to pull, rtsp://host[:port]/path' },
    ]);
    const switched = await call('admin', 'PATCH', '/api/cameras/cam-gate', { body: { source: 'rtmp' } });
    expect(switched.body).toMatchObject({ source: 'rtmp', rtspUrl: null });
    const missing = await call('admin', 'PATCH', '/api/cameras/nope', { body: { name: 'x' } });
    expectProblem(missing.res, missing.body, 404, 'urn:cityhub:problem:camera-not-found');
  });

  it('filters the list by status, source and enabled', async () => {
    await call('admin', 'PATCH', '/api/cameras/cam-gate', { body: { enabled: false } });
    const enabled = await call('acc', 'GET', '/api/cameras?enabled=true');
    expect(enabled.body.items.map((c: { id: string }) => c.id)).toEqual(['cam-school']);
    const offline = await call('acc', 'GET', '/api/cameras?status=offline&source=rtmp');
    expect(offline.body.items).toHaveLength(2);
  });
});

describe('video', () => {
  it('a publish key works with ffmpeg; the camera goes online, plays, snapshots, and goes offline', async () => {
    const before = Date.now();
    const key = await call('admin', 'POST', '/api/cameras/cam-school/publish-key', { body: { ttlS: 3600 } });
    expect(key.res.status).toBe(200);
    expect(key.body.url).toMatch(/^rtmp:\/\/127\.0\.0\.1:\d+\/live\/cam-school\?sign=\d+-0-[A-Za-z0-9_-]{43}$/);
    expect(key.body.keyVersion).toBe(0);
    const expiresMs = Date.parse(key.body.expiresAt);
    expect(expiresMs).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 3_600_000);
    expect(expiresMs).toBeLessThanOrEqual(Date.now() + 3_600_000);

    const offlineShot = await call('acc', 'GET', '/api/cameras/cam-school/snapshot');
    expectProblem(offlineShot.res, offlineShot.body, 409, 'urn:cityhub:problem:camera-offline');

    const push = pushTestPattern(key.body.url, 5);
    await waitFor('online in the registry', async () => (await registry.get('cam-school')).status === 'online');
    const read = await call('acc', 'GET', '/api/cameras/cam-school');
    expect(read.body.status).toBe('online');
    expect(read.body.lastFrameAt).not.toBeNull();

    const play = await call('acc', 'GET', '/api/cameras/cam-school/play');
    expect(play.body).toMatchObject({ live: true });
    const streams = await probeStreams(play.body.url);
    expect(streams.find((s) => s.codec_type === 'video')).toMatchObject({ width: 320, height: 240 });

    const shot = await fetch(`${server.base}/api/cameras/cam-school/snapshot`, {
      headers: { authorization: 'Bearer acc' },
    });
    expect(shot.status).toBe(200);
    expect(shot.headers.get('content-type')).toBe('image/jpeg');
    const jpeg = new Uint8Array(await shot.arrayBuffer());
    expect([jpeg[0], jpeg[1], jpeg[2]]).toEqual([0xff, 0xd8, 0xff]);

    expect(await push.exited).toBe(0);
    await waitFor('offline again', async () => (await registry.get('cam-school')).status === 'offline');
  });

  it('a disabled camera’s key stops working, and no new key is issued for it', async () => {
    const key = await call('admin', 'POST', '/api/cameras/cam-school/publish-key', { body: {} });
    expect(Date.parse(key.body.expiresAt) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    await call('admin', 'PATCH', '/api/cameras/cam-school', { body: { enabled: false } });
    const push = pushTestPattern(key.body.url, 3);
    expect(await push.exited).not.toBe(0);
    expect(media.rejections().at(-1)).toMatchObject({ cameraId: 'cam-school', reason: 'camera-not-publishable' });
    const refused = await call('admin', 'POST', '/api/cameras/cam-school/publish-key', { body: {} });
    expectProblem(refused.res, refused.body, 409, 'urn:cityhub:problem:camera-not-publishable');
    const tooLong = await call('admin', 'POST', '/api/cameras/cam-school/publish-key', { body: { ttlS: 10 ** 9 } });
    expectProblem(tooLong.res, tooLong.body, 400);
    // Nor are its keys revoked while it cannot publish: nothing changes.
    const revoke = await call('admin', 'POST', '/api/cameras/cam-school/publish-key', {
      body: { revokePrevious: true },
    });
    expectProblem(revoke.res, revoke.body, 409, 'urn:cityhub:problem:camera-not-publishable');
    expect((await registry.get('cam-school')).publishKeyVersion).toBe(0);
  });

  it('revokePrevious issues a key of the next version and refuses the earlier keys', async () => {
    await call('admin', 'PATCH', '/api/cameras/cam-school', { body: { enabled: true } });
    const old = await call('admin', 'POST', '/api/cameras/cam-school/publish-key', { body: {} });
    const byAcceptor = await call('acc', 'POST', '/api/cameras/cam-school/publish-key', {
      body: { revokePrevious: true },
    });
    expectProblem(byAcceptor.res, byAcceptor.body, 403);
    const fresh = await call('admin', 'POST', '/api/cameras/cam-school/publish-key', {
      body: { revokePrevious: true },
    });
    expect(fresh.res.status).toBe(200);
    // Nobody was publishing: nothing to cut.
    expect(fresh.body).toMatchObject({ keyVersion: 1, disconnected: false });
    expect(fresh.body.url).toMatch(/\?sign=\d+-1-[A-Za-z0-9_-]{43}$/);
    const push = pushTestPattern(old.body.url, 3);
    expect(await push.exited).not.toBe(0);
    expect(media.rejections().at(-1)).toMatchObject({ cameraId: 'cam-school', reason: 'revoked' });
    expect((await call('acc', 'GET', '/api/cameras/cam-school')).body.publishKeyVersion).toBe(1);
  });
});
