// RTSP 拉流 the puller against a real RTSP camera (GStreamer's gst-rtsp-server) and our real media server: the camera's
// H.264 is republished and plays over HTTP-FLV; when the camera dies the puller retries with growing delays, and picks
// the stream up again when the camera returns; stop leaves no ffmpeg behind.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMediaServer, type MediaServer } from './media-server.js';
import { backoffMs, RtspPuller, type PullStatus } from './rtsp-pull.js';
import { probeStreams, processAlive, startRtspCamera, type RtspCamera } from '../../test/support/rtsp-server.js';
import { waitFor } from '../../test/support/wait.js';

/** ffmpeg processes whose parent is this test process. */
function ffmpegChildren(): string[] {
  try {
    return execFileSync('pgrep', ['-P', String(process.pid), '-x', 'ffmpeg'], { encoding: 'utf8' })
      .trim()
      .split('\n');
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

describe('backoffMs', () => {
  it('doubles from the minimum and stops at the maximum', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffMs(n, 1000, 60_000))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000,
    ]);
    expect(backoffMs(0, 1000, 60_000)).toBe(0);
    expect(backoffMs(500, 1000, 60_000)).toBe(60_000);
  });
});

describe('pulling an RTSP camera', () => {
  let media: MediaServer;
  let camera: RtspCamera;
  const sinkEvents: string[] = [];
  const statuses: PullStatus[] = [];

  beforeAll(async () => {
    media = await startMediaServer({
      rtmpPort: 0,
      httpPort: 0,
      secret: 'pull-test-secret-0123',
      reconnectGraceMs: 200,
      sink: {
        publishKeyVersion: (id) => (id === 'gate3' ? 0 : null),
        publishStarted: (id) => sinkEvents.push(`started:${id}`),
        publishEnded: (id) => sinkEvents.push(`ended:${id}`),
      },
    });
    camera = await startRtspCamera();
  });
  afterAll(async () => {
    await camera?.stop();
    await media?.close();
  });

  it('republishes, backs off while the camera is gone, recovers, and stops without orphans', async () => {
    const puller = new RtspPuller({
      cameraId: 'gate3',
      rtspUrl: camera.url,
      publishUrl: () => media.localPublishUrl('gate3', 300).url,
      onStatus: (s) => statuses.push(s),
      minBackoffMs: 200,
      maxBackoffMs: 1600,
      ioTimeoutMs: 3000,
    });
    puller.start();
    await waitFor('the pulled stream live', () => media.isLive('gate3'), 20_000);
    expect(sinkEvents).toContain('started:gate3');
    await waitFor('running', () => puller.status.state === 'running');
    const streams = await probeStreams(media.localPlayUrl('gate3', 60).url);
    expect(streams.find((s) => s.codec_type === 'video')).toMatchObject({
      codec_name: 'h264',
      width: 320,
      height: 240,
    });
    const firstPid = puller.pid!;
    expect(processAlive(firstPid)).toBe(true);

    // The camera dies: ffmpeg exits, the media server ends the stream, the puller retries with doubling delays.
    await camera.stop();
    await waitFor('offline', () => sinkEvents.includes('ended:gate3'), 20_000);
    await waitFor('four waits', () => statuses.filter((s) => s.state === 'waiting').length >= 4, 20_000);
    const delays = statuses.filter((s) => s.state === 'waiting').map((s) => s.retryInMs);
    expect(delays.slice(0, 4)).toEqual([200, 400, 800, 1600]);
    expect(processAlive(firstPid)).toBe(false);
    expect(puller.status.lastError).toBeTruthy();

    // It comes back on the same address: the next attempt picks it up.
    const before = sinkEvents.filter((e) => e === 'started:gate3').length;
    camera = await startRtspCamera(camera.port);
    await waitFor(
      'live again',
      () => media.isLive('gate3') && sinkEvents.filter((e) => e === 'started:gate3').length > before,
      20_000,
    );
    await waitFor('running again', () => puller.status.state === 'running');
    const pid = puller.pid!;
    expect(processAlive(pid)).toBe(true);

    await puller.stop();
    expect(puller.status.state).toBe('stopped');
    expect(processAlive(pid)).toBe(false);
    expect(ffmpegChildren()).toEqual([]);
    // Nothing restarts it after stop.
    await new Promise((r) => setTimeout(r, 2000));
    expect(puller.pid).toBeUndefined();
    expect(statuses.at(-1)!.state).toBe('stopped');
    await waitFor('offline after stop', () => !media.isLive('gate3'));
  });

  it('stop right after start, before ffmpeg is even spawned, leaves no ffmpeg behind', async () => {
    const puller = new RtspPuller({
      cameraId: 'gate3',
      rtspUrl: camera.url,
      publishUrl: () => media.localPublishUrl('gate3', 300).url,
    });
    puller.start();
    await puller.stop();
    await new Promise((r) => setTimeout(r, 1500));
    expect(ffmpegChildren()).toEqual([]);
    expect(puller.status.state).toBe('stopped');
  });

  it('stop during back-off cancels the retry', async () => {
    const seen: PullStatus[] = [];
    const puller = new RtspPuller({
      cameraId: 'gate3',
      // Nothing listens on port 1: every attempt fails at once.
      rtspUrl: 'rtsp://127.0.0.1:1/none',
      publishUrl: () => media.localPublishUrl('gate3', 300).url,
      onStatus: (s) => seen.push(s),
      minBackoffMs: 5000,
    });
    puller.start();
    await waitFor('waiting', () => puller.status.state === 'waiting', 10_000);
    await puller.stop();
    await new Promise((r) => setTimeout(r, 300));
    expect(seen.map((s) => s.state)).toEqual(['connecting', 'waiting', 'stopped']);
    expect(puller.counters.attempts).toBe(1);
  });
});
