// RTSP 拉流 the puller against a real RTSP camera (GStreamer's gst-rtsp-server) and our real media server: the camera's
// H.264 is republished and plays over HTTP-FLV; when the camera dies the puller retries with growing delays, and picks
// the stream up again when the camera returns; an ffmpeg that makes no progress (a media server that never answers, a
// frozen process) is killed and replaced; stop leaves no ffmpeg behind.
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMediaServer, type MediaServer } from './media-server.js';
import { backoffMs, RtspPuller, type PullStatus, type RtspPullOptions } from './rtsp-pull.js';
import { probeStreams, processAlive, startRtspCamera, type RtspCamera } from '../../test/support/rtsp-server.js';
import { waitFor } from '../../test/support/wait.js';

/** ffmpeg and ffprobe processes whose parent is this test process. */
function ffmpegChildren(): string[] {
  try {
    return execFileSync('pgrep', ['-P', String(process.pid), '-x', 'ffmpeg|ffprobe'], { encoding: 'utf8' })
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

  /** A puller of the test camera into the media server as gate3, its states into `seen`; retries from 200 ms. */
  const pullGate3 = (seen: PullStatus[], extra: Partial<RtspPullOptions> = {}) =>
    new RtspPuller({
      cameraId: 'gate3',
      rtspUrl: camera.url,
      publishUrl: () => media.localPublishUrl('gate3', 300).url,
      onStatus: (s) => seen.push(s),
      minBackoffMs: 200,
      ...extra,
    });

  /**
   * waitFor, and on time-out the puller's story: its states, counters, last error, whether the test camera died (the
   * GStreamer server aborts when two sessions set up its shared stream at once) and what the media server refused.
   */
  async function waitExplained(
    puller: RtspPuller,
    seen: PullStatus[],
    what: string,
    probe: () => boolean,
    timeoutMs = 20_000,
  ) {
    try {
      await waitFor(what, probe, timeoutMs);
    } catch (err) {
      const story = {
        status: puller.status,
        counters: puller.counters,
        seen,
        camera: camera.died() ?? 'running',
        sinkEvents,
        refused: media.rejections(),
      };
      throw new Error(`${(err as Error).message}\n${JSON.stringify(story, null, 1)}`, { cause: err });
    }
  }

  it('republishes, backs off while the camera is gone, recovers, and stops without orphans', async () => {
    const puller = pullGate3(statuses, {
      maxBackoffMs: 1600,
      ioTimeoutMs: 3000,
      // A first attempt that hangs is replaced well within the wait below.
      stallTimeoutMs: 10_000,
    });
    puller.start();
    await waitExplained(puller, statuses, 'the pulled stream live', () => media.isLive('gate3'), 30_000);
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
    // One process, one RTSP session on the camera: nothing probes it beside the puller's ffmpeg.
    expect(ffmpegChildren()).toEqual([String(firstPid)]);

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
    await waitExplained(
      puller,
      statuses,
      'live again',
      () => media.isLive('gate3') && sinkEvents.filter((e) => e === 'started:gate3').length > before,
      30_000,
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
  }, 120_000);

  it('stop right after start leaves no ffmpeg behind', async () => {
    const puller = pullGate3([]);
    puller.start();
    await puller.stop();
    await new Promise((r) => setTimeout(r, 1500));
    expect(ffmpegChildren()).toEqual([]);
    expect(puller.status.state).toBe('stopped');
  });

  it('stop during back-off cancels the retry', async () => {
    const seen: PullStatus[] = [];
    // Nothing listens on port 1: every attempt fails at once.
    const puller = pullGate3(seen, { rtspUrl: 'rtsp://127.0.0.1:1/none', minBackoffMs: 5000 });
    puller.start();
    await waitFor('waiting', () => puller.status.state === 'waiting', 10_000);
    await puller.stop();
    await new Promise((r) => setTimeout(r, 300));
    expect(seen.map((s) => s.state)).toEqual(['connecting', 'waiting', 'stopped']);
    expect(puller.counters.attempts).toBe(1);
  });

  it('an ffmpeg that cannot run is a failed attempt with the reason, retried like any other', async () => {
    const seen: PullStatus[] = [];
    const puller = pullGate3(seen, { ffmpegPath: '/nonexistent/ffmpeg', minBackoffMs: 100, maxBackoffMs: 100 });
    puller.start();
    await waitFor('two failed attempts', () => seen.filter((s) => s.state === 'waiting').length >= 2, 10_000);
    await puller.stop();
    expect(puller.status.lastError).toBe('ffmpeg could not run: spawn /nonexistent/ffmpeg ENOENT');
    expect(puller.counters).toMatchObject({ connections: 0 });
    expect(puller.counters.failures).toBeGreaterThanOrEqual(2);
    expect(puller.counters.failures).toBe(seen.filter((s) => s.state === 'waiting').length);
  });

  it('kills an ffmpeg whose publish is never answered, and tries again', async () => {
    // A "media server" that accepts the connection and never says a word: ffmpeg waits in the RTMP handshake, which
    // its camera-side socket timeout does not cover.
    const silent = net.createServer((socket) => socket.on('error', () => undefined));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const seen: PullStatus[] = [];
    const puller = pullGate3(seen, {
      publishUrl: () => `rtmp://127.0.0.1:${(silent.address() as net.AddressInfo).port}/live/gate3`,
      stallTimeoutMs: 6000,
    });
    try {
      puller.start();
      await waitFor('ffmpeg spawned', () => puller.pid, 10_000);
      const firstPid = puller.pid!;
      await waitFor('the first attempt given up', () => seen.some((s) => s.state === 'waiting'), 20_000);
      expect(seen.map((s) => s.state).slice(0, 2)).toEqual(['connecting', 'waiting']);
      expect(puller.status.lastError).toMatch(/^no progress for 6 s, ffmpeg killed/);
      await waitFor('the first ffmpeg gone', () => !processAlive(firstPid), 5000);
      await waitFor('a second attempt', () => puller.counters.attempts >= 2 && puller.pid !== undefined, 10_000);
      expect(puller.pid).not.toBe(firstPid);
      expect(puller.counters.connections).toBe(0);
    } finally {
      await puller.stop();
      silent.close();
    }
    expect(ffmpegChildren()).toEqual([]);
  }, 60_000);

  it('replaces a running ffmpeg that froze, and the stream comes back', async () => {
    const seen: PullStatus[] = [];
    const puller = pullGate3(seen, { stallTimeoutMs: 10_000 });
    try {
      puller.start();
      await waitExplained(puller, seen, 'running', () => puller.status.state === 'running', 30_000);
      const frozenPid = puller.pid!;
      // A frozen ffmpeg (as when blocked in a write) prints no progress; SIGKILL still ends it.
      process.kill(frozenPid, 'SIGSTOP');
      await waitFor('the frozen ffmpeg killed', () => !processAlive(frozenPid), 20_000);
      const waiting = seen.find((s) => s.state === 'waiting');
      expect(waiting?.lastError).toMatch(/^no progress for 10 s, ffmpeg killed/);
      await waitExplained(
        puller,
        seen,
        'running again on a new ffmpeg',
        () => puller.status.state === 'running' && puller.pid !== frozenPid && media.isLive('gate3'),
        30_000,
      );
      expect(puller.counters.connections).toBe(2);
    } finally {
      await puller.stop();
    }
    expect(ffmpegChildren()).toEqual([]);
  }, 90_000);
});
