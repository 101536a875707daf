// 视频接入 the media server against real ffmpeg: a camera pushing with a valid signed key plays back over HTTP-FLV with
// a viewer token; bad, expired, foreign, revoked and disabled-camera keys are refused and logged with path and
// address; a publish sign is no play token; online/offline reach the sink; snapshots are JPEGs of the live stream.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkPublishKey,
  nmsSign,
  publishKey,
  startMediaServer,
  type MediaServer,
  type RejectedStream,
} from './media-server.js';
import { probeStreams, pushTestPattern } from '../../test/support/rtsp-server.js';
import { waitFor } from '../../test/support/wait.js';

const SECRET = 'test-secret-0123456789';
/** Enabled cameras → the publish key version each accepts. */
const enabled = new Map([
  ['cam1', 0],
  ['cam2', 0],
  ['cam3', 0],
  ['cam4', 0],
]);
const events: string[] = [];
const warnings: RejectedStream[] = [];
let media: MediaServer;

beforeAll(async () => {
  media = await startMediaServer({
    rtmpPort: 0,
    httpPort: 0,
    secret: SECRET,
    reconnectGraceMs: 300,
    sink: {
      publishKeyVersion: (id) => enabled.get(id) ?? null,
      publishStarted: (id) => events.push(`started:${id}`),
      publishEnded: (id) => events.push(`ended:${id}`),
    },
    log: { info: () => undefined, warn: (obj) => warnings.push(obj as RejectedStream) },
  });
});
afterAll(async () => {
  await media?.close();
});

describe('signing', () => {
  it('node-media-server 4.x’s md5 sign (keys from before key versions) counts as key version 0', () => {
    // Computed by hand from the scheme: md5("/live/cam1-2000000000-" + secret).
    const md5 = createHash('md5').update(`/live/cam1-2000000000-${SECRET}`).digest('hex');
    expect(nmsSign('/live/cam1', SECRET, 2_000_000_000)).toBe(`2000000000-${md5}`);
    const check = (path: string, sign: unknown, nowSec: number) => checkPublishKey(path, sign, SECRET, nowSec);
    expect(check('/live/cam1', `2000000000-${md5}`, 1_999_999_999)).toEqual({ check: 'ok', keyVersion: 0 });
    expect(check('/live/cam2', `2000000000-${md5}`, 1_999_999_999)).toEqual({
      check: 'bad-signature',
      keyVersion: null,
    });
    expect(check('/live/cam1', `2000000000-${md5}`, 2_000_000_001)).toEqual({ check: 'expired', keyVersion: null });
    expect(check('/live/cam1', undefined, 0)).toEqual({ check: 'missing', keyVersion: null });
    expect(check('/live/cam1', 'nonsense', 0)).toEqual({ check: 'malformed', keyVersion: null });
  });

  it('a versioned key names its version, which cannot be changed without breaking the signature', () => {
    const key = publishKey('/live/cam1', SECRET, 2_000_000_000, 3);
    expect(key).toMatch(/^2000000000-3-[A-Za-z0-9_-]{43}$/);
    const check = (path: string, sign: string, nowSec = 1_999_999_999) => checkPublishKey(path, sign, SECRET, nowSec);
    expect(check('/live/cam1', key)).toEqual({ check: 'ok', keyVersion: 3 });
    expect(check('/live/cam1', key.replace('-3-', '-4-'))).toEqual({ check: 'bad-signature', keyVersion: null });
    expect(check('/live/cam2', key)).toEqual({ check: 'bad-signature', keyVersion: null });
    expect(check('/live/cam1', key, 2_000_000_001)).toEqual({ check: 'expired', keyVersion: null });
    expect(checkPublishKey('/live/cam1', key, 'another-secret-0123456789', 0).check).toBe('bad-signature');
  });
});

describe('publish and play', () => {
  it('a valid key publishes; the stream plays over HTTP-FLV with a viewer token; the sink hears online/offline', async () => {
    const { url, expiresAt } = media.localPublishUrl('cam1', 600);
    expect(expiresAt.getTime()).toBeGreaterThan(Date.now() + 590_000);
    const push = pushTestPattern(url, 5);
    await waitFor('cam1 live', () => media.isLive('cam1'));
    expect(events).toContain('started:cam1');

    const streams = await probeStreams(media.localPlayUrl('cam1', 60).url);
    const video = streams.find((s) => s.codec_type === 'video');
    expect(video).toMatchObject({ codec_name: 'h264', width: 320, height: 240 });

    const jpeg = await media.snapshot('cam1');
    expect([...jpeg.subarray(0, 2)]).toEqual([0xff, 0xd8]);

    // No token, a bad one, or the camera's publish sign: nothing plays.
    const plain = `http://127.0.0.1:${media.httpPort}/live/cam1.flv`;
    expect(await probeStreams(plain, 5000)).toEqual([]);
    expect(await probeStreams(`${plain}?token=9999999999-AAAA`, 5000)).toEqual([]);
    expect(await probeStreams(`${plain}?sign=${new URL(url).searchParams.get('sign')}`, 5000)).toEqual([]);
    const playRefusals = warnings.filter((w) => w.action === 'play');
    expect(playRefusals.map((w) => w.reason)).toEqual(['missing', 'bad-signature', 'missing']);

    expect(await push.exited).toBe(0);
    await waitFor('cam1 offline', () => events.includes('ended:cam1'));
    expect(media.isLive('cam1')).toBe(false);
  });

  it('bad, expired, foreign-path and disabled-camera keys are refused: ffmpeg fails, nothing plays', async () => {
    warnings.length = 0;
    const base = `rtmp://127.0.0.1:${media.rtmpPort}/live`;
    const expSec = Math.floor(Date.now() / 1000) + 600;
    const attempts = [
      { url: `${base}/cam2?sign=${expSec}-0123456789abcdef0123456789abcdef`, reason: 'bad-signature' },
      { url: `${base}/cam2?sign=${publishKey('/live/cam2', SECRET, expSec - 1200, 0)}`, reason: 'expired' },
      // cam1's key used for cam2
      { url: `${base}/cam2?sign=${publishKey('/live/cam1', SECRET, expSec, 0)}`, reason: 'bad-signature' },
      { url: `${base}/cam2`, reason: 'missing' },
      // a key of a version the camera no longer accepts
      { url: `${base}/cam2?sign=${publishKey('/live/cam2', SECRET, expSec, 1)}`, reason: 'revoked' },
      // a valid sign for a camera that is not registered or enabled
      { url: `${base}/ghost?sign=${publishKey('/live/ghost', SECRET, expSec, 0)}`, reason: 'camera-not-publishable' },
      // a valid sign for a path outside /live
      {
        url: `rtmp://127.0.0.1:${media.rtmpPort}/other/cam2?sign=${nmsSign('/other/cam2', SECRET, expSec)}`,
        reason: 'unknown-stream-path',
      },
    ];
    for (const a of attempts) {
      const push = pushTestPattern(a.url, 3);
      expect(await push.exited, a.url).not.toBe(0);
    }
    expect(warnings.map((w) => w.reason)).toEqual(attempts.map((a) => a.reason));
    expect(warnings[0]).toMatchObject({ action: 'publish', cameraId: 'cam2', streamPath: '/live/cam2' });
    expect(warnings[0]!.clientAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(media.isLive('cam2')).toBe(false);
    expect(await probeStreams(media.localPlayUrl('cam2', 60).url, 4000)).toEqual([]);
    expect(events.filter((e) => e.endsWith('cam2') || e.endsWith('ghost'))).toEqual([]);
    expect(media.stats().publishesRejected).toBeGreaterThanOrEqual(attempts.length);
  });

  it('a camera disabled after its key was issued can no longer publish', async () => {
    const { url } = media.localPublishUrl('cam3', 600);
    enabled.delete('cam3');
    const push = pushTestPattern(url, 3);
    expect(await push.exited).not.toBe(0);
    expect(media.rejections().at(-1)).toMatchObject({ cameraId: 'cam3', reason: 'camera-not-publishable' });
  });

  it('keys are signed with the camera’s current version; raising it refuses the older keys, legacy ones too', async () => {
    const legacy = `rtmp://127.0.0.1:${media.rtmpPort}/live/cam4?sign=${nmsSign('/live/cam4', SECRET, Math.floor(Date.now() / 1000) + 600)}`;
    const before = media.localPublishUrl('cam4', 600).url;
    expect(new URL(before).searchParams.get('sign')).toMatch(/^\d+-0-/);
    enabled.set('cam4', 1);
    for (const url of [before, legacy]) {
      const push = pushTestPattern(url, 3);
      expect(await push.exited).not.toBe(0);
      expect(media.rejections().at(-1)).toMatchObject({ cameraId: 'cam4', reason: 'revoked' });
    }
    const after = media.localPublishUrl('cam4', 600).url;
    expect(new URL(after).searchParams.get('sign')).toMatch(/^\d+-1-/);
    const push = pushTestPattern(after, 2);
    await waitFor('cam4 live with the new key', () => media.isLive('cam4'));
    expect(await push.exited).toBe(0);
  });

  it('disconnect drops a live publisher (a camera disabled while streaming)', async () => {
    events.length = 0;
    const push = pushTestPattern(media.localPublishUrl('cam2', 600).url, 30);
    await waitFor('cam2 live', () => media.isLive('cam2'));
    expect(media.disconnect('cam2')).toBe(true);
    expect(await push.exited).not.toBe(0);
    await waitFor('cam2 ended', () => events.includes('ended:cam2'));
    expect(media.isLive('cam2')).toBe(false);
    expect(media.disconnect('cam2')).toBe(false);
  });

  it('a snapshot of a camera that is not live is refused', async () => {
    await expect(media.snapshot('cam2')).rejects.toMatchObject({ code: 'NotLive' });
  });
});

describe('lifecycle', () => {
  it('refuses a second server in the same process, and frees its ports on close', async () => {
    await expect(
      startMediaServer({
        rtmpPort: 0,
        httpPort: 0,
        secret: SECRET,
        sink: { publishKeyVersion: () => 0, publishStarted: () => undefined, publishEnded: () => undefined },
      }),
    ).rejects.toMatchObject({ code: 'AlreadyRunning' });
    const { rtmpPort, httpPort } = media;
    await media.close();
    const again = await startMediaServer({
      rtmpPort,
      httpPort,
      secret: SECRET,
      sink: { publishKeyVersion: () => 0, publishStarted: () => undefined, publishEnded: () => undefined },
    });
    expect([again.rtmpPort, again.httpPort]).toEqual([rtmpPort, httpPort]);
    media = again;
  });
});
