// 视频监控 in the hub as users run it: with VIDEO_ENABLED the built hub starts the media server and the detector pool;
// a registered camera pushes RTMP with its signed key, goes online and plays over HTTP-FLV. (The pipeline from frames
// to candidates is proven in test/video.test.ts against the same parts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { spawnHub, waitHealthy, type HubProcess } from './support/hub-process.js';
import { probeStreams, pushTestPattern } from './support/rtsp-server.js';
import { freePort, waitFor } from './support/wait.js';

const ADMIN_TOKEN = 'video-hub-admin-token-0123456789';
let db: TestDatabase;
let hub: HubProcess;
let base: string;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON of several shapes, checked by the assertions
async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

beforeAll(async () => {
  db = await createTestDatabase();
  const httpPort = await freePort();
  base = `http://127.0.0.1:${httpPort}`;
  hub = spawnHub({
    DATABASE_URL: db.url,
    HTTP_PORT: String(httpPort),
    HTTP_HOST: '127.0.0.1',
    MQTT_PORT: String(await freePort()),
    MQTT_HOST: '127.0.0.1',
    ADMIN_TOKEN,
    DATA_DIR: `/tmp/cityhub-video-hub-${httpPort}`,
    VIDEO_ENABLED: 'true',
    VIDEO_HOST: '127.0.0.1',
    RTMP_PORT: String(await freePort()),
    HTTP_FLV_PORT: String(await freePort()),
    VIDEO_SECRET: 'video-hub-secret-0123456789',
    VIDEO_DETECTOR_WORKERS: '1',
  });
  await waitHealthy(httpPort, hub, 120_000);
}, 180_000);

afterAll(async () => {
  expect(await hub?.stop()).toBe(0);
  await db?.drop();
});

describe('video in the hub process', () => {
  it('starts the media server and the detector', () => {
    expect(hub.output()).toContain('video ready');
  });

  it('a registered camera pushes with its signed key, goes online, plays and is sampled; a forged key is refused', async () => {
    const created = await call('POST', '/api/cameras', {
      id: 'cam-quancheng',
      name: '泉城路口',
      lon: 117.0213,
      lat: 36.6628,
      source: 'rtmp',
      sampleIntervalMs: 1000,
      zones: [],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const key = await call('POST', '/api/cameras/cam-quancheng/publish-key', { ttlS: 3600 });
    expect(key.status).toBe(200);
    // A key signed for another path is refused: ffmpeg cannot publish with it.
    const forged = pushTestPattern(key.body.url.replace('cam-quancheng', 'cam-other'), 2);
    expect(await forged.exited).not.toBe(0);

    const push = pushTestPattern(key.body.url, 8);
    try {
      await waitFor(
        'the camera online',
        async () => (await call('GET', '/api/cameras/cam-quancheng')).body.status === 'online',
        20_000,
      );
      const play = await call('GET', '/api/cameras/cam-quancheng/play');
      expect(play.body.live).toBe(true);
      const streams = await probeStreams(play.body.url);
      expect(streams.find((s) => s.codec_type === 'video')).toMatchObject({ width: 320, height: 240 });
      // The pipeline samples the stream: /metrics counts its frames per camera and stage.
      await waitFor(
        'sampled frames in /metrics',
        async () => {
          const text = await (await fetch(`${base}/metrics`)).text();
          const m = /cityhub_video_frames\{camera="cam-quancheng",stage="sampled"\} (\d+)/.exec(text);
          return m && Number(m[1]) > 0;
        },
        20_000,
      );
    } finally {
      await push.stop();
    }
  }, 60_000);
});
