// RTSP 拉流 supervision end to end: a registered RTSP camera (GStreamer's RTSP server) is pulled into the real media
// server, the registry sees it online through the hub's sink; disabling it stops the puller and it goes offline.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cameraMediaSink } from './media-sink.js';
import { CameraPullers } from './pullers.js';
import { CameraRegistry } from './registry.js';
import { startMediaServer, type MediaServer } from '../../ingest/video/media-server.js';
import { migratedTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { probeStreams, processAlive, startRtspCamera, type RtspCamera } from '../../test/support/rtsp-server.js';
import { waitFor } from '../../test/support/wait.js';

let db: TestDatabase;
let registry: CameraRegistry;
let media: MediaServer;
let camera: RtspCamera;
let pullers: CameraPullers;
const logged: object[] = [];

beforeAll(async () => {
  db = await migratedTestDatabase();
  registry = new CameraRegistry(db.pool);
  await registry.loadPublishable();
  media = await startMediaServer({
    rtmpPort: 0,
    httpPort: 0,
    secret: 'pullers-test-secret-01',
    reconnectGraceMs: 200,
    sink: cameraMediaSink(registry, { error: (obj) => logged.push(obj) }),
  });
  camera = await startRtspCamera();
  // Retries stay frequent (≤ 1 s apart): on a loaded box a re-enabled camera's first attempts may fail while the media
  // server finishes the previous session, and the default back-off (up to 60 s) would outlast the test's wait.
  pullers = new CameraPullers({
    publishUrl: (id) => media.localPublishUrl(id, 300).url,
    minBackoffMs: 200,
    maxBackoffMs: 1000,
  });
});
afterAll(async () => {
  await pullers?.close();
  await camera?.stop();
  await media?.close();
  await db?.drop();
});

describe('CameraPullers', () => {
  it('pulls enabled RTSP cameras, and stops pulling a disabled one', async () => {
    await registry.create({ id: 'north', name: '北门', lon: 117, lat: 36.65, source: 'rtsp', rtspUrl: camera.url });
    await registry.create({ id: 'push', name: '东门', lon: 117, lat: 36.65, source: 'rtmp' });
    await pullers.sync(await registry.list());
    expect(pullers.statuses().map((s) => s.cameraId)).toEqual(['north']);
    await waitFor('north online', async () => (await registry.get('north')).status === 'online', 20_000);
    const streams = await probeStreams(media.localPlayUrl('north', 60).url);
    expect(streams.some((s) => s.codec_type === 'video' && s.codec_name === 'h264')).toBe(true);

    // Syncing the same set again changes nothing.
    await pullers.sync(await registry.list());
    expect(pullers.statuses()).toHaveLength(1);

    await registry.update('north', { enabled: false });
    await pullers.sync(await registry.list());
    expect(pullers.statuses()).toEqual([]);
    await waitFor('north offline', async () => (await registry.get('north')).status === 'offline', 10_000);
    expect(media.isLive('north')).toBe(false);
    expect(logged).toEqual([]);
  });

  it('a camera re-pointed to another URL gets a new puller, the old ffmpeg gone', async () => {
    await registry.update('north', { enabled: true });
    await pullers.sync(await registry.list());
    await waitFor('north online', async () => (await registry.get('north')).status === 'online', 30_000);
    // The ffmpeg child that is publishing now (its 'running' state waits for ffmpeg's progress lines, which a loaded
    // box may print late; the camera being online already says the stream flows).
    const oldPid = await waitFor('the puller child', () => pullers.pullerFor('north')?.pid, 30_000);
    await registry.update('north', { rtspUrl: `${camera.url}?channel=2` });
    await pullers.sync(await registry.list());
    expect(processAlive(oldPid)).toBe(false);
    expect(pullers.statuses()).toHaveLength(1);
  });
});
