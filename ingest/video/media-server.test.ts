// 视频接入 the media server against real ffmpeg: a camera pushing with a valid signed key plays back over HTTP-FLV with
// a viewer token; bad, expired, foreign and disabled-camera keys are refused and logged with path and address; a
// publish sign is no play token; online/offline reach the sink; snapshots are JPEGs of the live stream.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPublishSign, nmsSign, startMediaServer, type MediaServer, type RejectedStream } from './media-server.js';
import { probeStreams, pushTestPattern } from '../../test/support/rtsp-server.js';
import { waitFor } from '../../test/support/wait.js';

const SECRET = 'test-secret-0123456789';
const enabled = new Set(['cam1', 'cam2', 'cam3']);
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
      authorizePublish: (id) => enabled.has(id),
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
  it('is node-media-server 4.x’s md5 scheme, checked by path, expiry and secret', () => {
    // Computed by hand from the scheme: md5("/live/cam1-2000000000-" + secret).
    const md5 = createHash('md5').update(`/live/cam1-2000000000-${SECRET}`).digest('hex');
    expect(nmsSign('/live/cam1', SECRET, 2_000_000_000)).toBe(`2000000000-${md5}`);
    expect(checkPublishSign('/live/cam1', `2000000000-${md5}`, SECRET, 1_999_999_999)).toBe('ok');
    expect(checkPublishSign('/live/cam2', `2000000000-${md5}`, SECRET, 1_999_999_999)).toBe('bad-signature');
    expect(checkPublishSign('/live/cam1', `2000000000-${md5}`, SECRET, 2_000_000_001)).toBe('expired');
    expect(checkPublishSign('/live/cam1', undefined, SECRET, 0)).toBe('missing');
    expect(checkPublishSign('/live/cam1', 'nonsense', SECRET, 0)).toBe('malformed');
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
      { url: `${base}/cam2?sign=${nmsSign('/live/cam2', SECRET, expSec - 1200)}`, reason: 'expired' },
      // cam1's key used for cam2
      { url: `${base}/cam2?sign=${nmsSign('/live/cam1', SECRET, expSec)}`, reason: 'bad-signature' },
      { url: `${base}/cam2`, reason: 'missing' },
      // a valid sign for a camera that is not registered or enabled
      { url: `${base}/ghost?sign=${nmsSign('/live/ghost', SECRET, expSec)}`, reason: 'camera-not-publishable' },
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
        sink: { authorizePublish: () => true, publishStarted: () => undefined, publishEnded: () => undefined },
      }),
    ).rejects.toMatchObject({ code: 'AlreadyRunning' });
    const { rtmpPort, httpPort } = media;
    await media.close();
    const again = await startMediaServer({
      rtmpPort,
      httpPort,
      secret: SECRET,
      sink: { authorizePublish: () => true, publishStarted: () => undefined, publishEnded: () => undefined },
    });
    expect([again.rtmpPort, again.httpPort]).toEqual([rtmpPort, httpPort]);
    media = again;
  });
});
