// 视频监控 in the hub as users run it: with VIDEO_ENABLED the built hub starts the media server and the detector pool;
// a registered camera pushes RTMP with its signed key, goes online and plays over HTTP-FLV; its status reaches a
// socket.io client of /live as it changes; revoking its keys cuts the publisher using one and refuses it afterwards.
// (The pipeline from frames to candidates is proven in test/video.test.ts against the same parts.)
import { io as ioClient, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonCall, type Json } from './support/http-app.js';
import { probeStreams, pushTestPattern, type Push } from './support/rtsp-server.js';
import { startTestHub, type TestHub } from './support/test-hub.js';
import { waitFor } from './support/wait.js';

const ADMIN_TOKEN = 'video-hub-admin-token-0123456789';
let hub: TestHub;
let base: string;

async function call(method: string, path: string, body?: unknown) {
  const { res, body: answer } = await jsonCall(base, method, path, { token: ADMIN_TOKEN, body });
  return { status: res.status, body: answer as Json };
}

beforeAll(async () => {
  hub = await startTestHub({ name: 'video-hub', adminToken: ADMIN_TOKEN, video: true });
  base = hub.base;
}, 180_000);

const sockets: Socket[] = [];

afterAll(async () => {
  for (const socket of sockets) socket.close();
  expect(await hub?.stop()).toBe(0);
});

describe('video in the hub process', () => {
  it('starts the media server and the detector', () => {
    expect(hub.process.output()).toContain('video ready');
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

  it('camera status goes live to socket.io subscribers of the cameras layer: snapshot, online, offline', async () => {
    const camera = { id: 'cam-live', name: '趵突泉东门', lon: 117.0135, lat: 36.6609, source: 'rtmp', zones: [] };
    expect((await call('POST', '/api/cameras', camera)).status).toBe(201);

    interface LiveCamera {
      id: string;
      status: string;
      statusChangedAt: string | null;
      lastFrameAt: string | null;
    }
    const connect = async (layers: string[]) => {
      const socket = ioClient(`${base}/live`, { transports: ['websocket'] });
      sockets.push(socket);
      const heard: LiveCamera[] = [];
      const snapshot = new Promise<{ cameras: LiveCamera[] }>((resolve) => socket.once('snapshot', resolve));
      socket.on('cameras', (m: { cameras: LiveCamera[] }) => heard.push(...m.cameras));
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      const ack = await new Promise((resolve) => socket.emit('subscribe', { layers }, resolve));
      expect(ack).toMatchObject({ ok: true });
      return { heard, snapshot: await snapshot };
    };
    const watcher = await connect(['cameras']);
    const other = await connect(['vehicles']);
    const snapped = watcher.snapshot.cameras.find((c) => c.id === 'cam-live');
    // No name and no place on a channel that needs no login: those come from GET /api/cameras.
    expect(Object.keys(snapped!).sort()).toEqual([
      'enabled',
      'id',
      'lastFrameAt',
      'status',
      'statusChangedAt',
      'updatedAt',
    ]);
    expect(snapped).toMatchObject({ status: 'offline', lastFrameAt: null, enabled: true });
    expect(other.snapshot.cameras).toEqual([]);

    const key = await call('POST', '/api/cameras/cam-live/publish-key', { ttlS: 600 });
    const push = pushTestPattern(key.body.url, 4);
    const online = await waitFor(
      'cam-live online on the live channel',
      () => watcher.heard.find((c) => c.id === 'cam-live' && c.status === 'online'),
      20_000,
    );
    expect(online.lastFrameAt).not.toBeNull();
    expect(await push.exited).toBe(0);
    // Offline after the media server's reconnect grace (5 s), pushed as it happens: nobody asks.
    // After the online one: the key's creation itself is a change of the camera (still offline, never changed), which
    // goes out on its own when a push tick falls between it and the camera coming online.
    const offline = await waitFor(
      'cam-live offline on the live channel',
      () =>
        watcher.heard.slice(watcher.heard.indexOf(online)).find((c) => c.id === 'cam-live' && c.status === 'offline'),
      20_000,
    );
    expect(Date.parse(offline.statusChangedAt!)).toBeGreaterThan(Date.parse(online.statusChangedAt!));
    expect(other.heard).toEqual([]);
  }, 60_000);

  it('revoking a camera’s publish keys cuts the publisher streaming with one and refuses it; the new key works', async () => {
    const camera = { id: 'cam-revoke', name: '黑虎泉路', lon: 117.03, lat: 36.66, source: 'rtmp', zones: [] };
    expect((await call('POST', '/api/cameras', camera)).status).toBe(201);
    const first = await call('POST', '/api/cameras/cam-revoke/publish-key', { ttlS: 3600 });
    expect(first.body).toMatchObject({ keyVersion: 0 });
    expect(first.body.disconnected).toBeUndefined();
    const pushes: Push[] = [];
    try {
      const streaming = pushTestPattern(first.body.url, 60);
      pushes.push(streaming);
      await waitFor(
        'cam-revoke online',
        async () => (await call('GET', '/api/cameras/cam-revoke')).body.status === 'online',
        20_000,
      );

      const second = await call('POST', '/api/cameras/cam-revoke/publish-key', { ttlS: 3600, revokePrevious: true });
      expect(second.status).toBe(200);
      expect(second.body).toMatchObject({ keyVersion: 1, disconnected: true });
      expect(second.body.url).not.toBe(first.body.url);
      // The running publisher is cut at once (its ffmpeg fails long before its 60 s are up)…
      const cut = await Promise.race([
        streaming.exited,
        new Promise((r) => setTimeout(() => r('still running'), 10_000)),
      ]);
      expect(cut).not.toBe('still running');
      expect(cut).not.toBe(0);
      // …and cannot come back with the old key.
      const again = pushTestPattern(first.body.url, 3);
      pushes.push(again);
      expect(await again.exited).not.toBe(0);
      expect(hub.process.output()).toMatch(/"cameraId":"cam-revoke"[^\n]*publish refused: revoked/);

      const fresh = pushTestPattern(second.body.url, 30);
      pushes.push(fresh);
      await waitFor('cam-revoke live with the new key', async () => {
        const play = await call('GET', '/api/cameras/cam-revoke/play');
        return play.body.live === true;
      });
      expect(fresh.child.exitCode).toBeNull();
      expect((await call('GET', '/api/cameras/cam-revoke')).body.publishKeyVersion).toBe(1);
      // Other cameras' keys are untouched.
      expect((await call('GET', '/api/cameras/cam-live')).body.publishKeyVersion).toBe(0);
    } finally {
      for (const p of pushes) await p.stop();
    }
  }, 90_000);
});
