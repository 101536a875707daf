import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameSampler, ffmpegArgs, parseOutputSize, type SamplerEvent } from './sampler.js';
import type { Frame } from './types.js';

const VTEST = '/usr/share/doc/opencv-doc/examples/data/vtest.avi';
let dir: string;
let clip3s: string;
let clip1s: string;

function makeClip(path: string, seconds: number): void {
  const r = spawnSync('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc=size=320x240:rate=10`,
    '-t',
    String(seconds),
    '-pix_fmt',
    'yuv420p',
    path,
  ]);
  if (r.status !== 0) throw new Error(`ffmpeg could not make the test clip: ${r.stderr.toString()}`);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sampler-'));
  clip3s = join(dir, 'testsrc-3s.mp4');
  clip1s = join(dir, 'testsrc-1s.mp4');
  makeClip(clip3s, 3);
  makeClip(clip1s, 1);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Resolves at the first event the predicate accepts. */
function waitFor(events: SamplerEvent[], ok: (e: SamplerEvent) => boolean, timeoutMs = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = setInterval(() => {
      if (events.some(ok)) {
        clearInterval(poll);
        resolve();
      } else if (Date.now() - started > timeoutMs) {
        clearInterval(poll);
        reject(new Error(`no such sampler event in ${timeoutMs} ms: ${JSON.stringify(events)}`));
      }
    }, 20);
  });
}
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('ffmpeg command and output description', () => {
  it('asks for raw RGB at the sampling rate and width', () => {
    const args = ffmpegArgs({ source: 'rtmp://127.0.0.1/live/cam1', sampleIntervalMs: 2000 });
    expect(args).toContain('fps=0.5,scale=640:-2');
    expect(args.slice(args.indexOf('-rw_timeout'), args.indexOf('-rw_timeout') + 2)).toEqual([
      '-rw_timeout',
      '10000000',
    ]);
    expect(args.slice(-5)).toEqual(
      ['rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'].reduce<string[]>((a, x) => [...a, x], ['-f']),
    );
    expect(ffmpegArgs({ source: '/tmp/a.mp4', sampleIntervalMs: 200, width: 160, height: 90, realtime: true })).toEqual(
      expect.arrayContaining(['-re', 'fps=5,scale=160:90']),
    );
    expect(ffmpegArgs({ source: '/tmp/a.mp4', sampleIntervalMs: 200 })).not.toContain('-rw_timeout');
  });

  it('reads the output size from the description of output #0, not of the input', () => {
    const stderr = [
      "Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 't.mp4':",
      '  Stream #0:0(und): Video: h264 (High 4:4:4 Predictive), yuv420p, 320x240 [SAR 1:1 DAR 4:3], 10 fps',
      "Output #0, rawvideo, to 'pipe:1':",
      '  Stream #0:0(und): Video: rawvideo (RGB[24] / 0x18424752), rgb24(pc, gbr/unknown/unknown, progressive), 160x120 [SAR 1:1 DAR 4:3], q=2-31',
    ].join('\n');
    expect(parseOutputSize(stderr)).toEqual({ width: 160, height: 120 });
    expect(parseOutputSize(stderr.split('\n').slice(0, 2).join('\n'))).toBeNull();
  });
});

describe('FrameSampler against real ffmpeg', () => {
  it('cuts a 3 s testsrc clip at 5 frames/s into 15 frames of 160×120', async () => {
    const frames: Frame[] = [];
    const events: SamplerEvent[] = [];
    let tick = 0;
    const sampler = new FrameSampler(
      {
        cameraId: 'cam1',
        source: clip3s,
        sampleIntervalMs: 200,
        width: 160,
        restart: false,
        clock: () => ++tick * 1000,
        onEvent: (e) => events.push(e),
      },
      (f) => {
        frames.push(f);
      },
    );
    sampler.start();
    await waitFor(events, (e) => e.type === 'exit');
    // 3 s × 5 frames/s; 320×240 scaled to width 160 keeps 4:3 → 120.
    expect(frames).toHaveLength(15);
    expect(events).toContainEqual({ type: 'size', width: 160, height: 120 });
    for (const f of frames) {
      expect([f.cameraId, f.width, f.height, f.rgb.length]).toEqual(['cam1', 160, 120, 160 * 120 * 3]);
    }
    expect(frames.map((f) => f.timeMs)).toEqual(Array.from({ length: 15 }, (_, i) => (i + 1) * 1000));
    // testsrc draws a colourful pattern with a running counter: real pictures, and not all the same one.
    expect(new Set(frames[0]!.rgb).size).toBeGreaterThan(50);
    expect(Buffer.compare(Buffer.from(frames[0]!.rgb), Buffer.from(frames[14]!.rgb))).not.toBe(0);
    expect(sampler.stats()).toMatchObject({ frames: 15, dropped: 0, restarts: 0, running: false, pid: null });
    await sampler.stop();
  });

  it('drops frames while the consumer is busy instead of queueing them', async () => {
    const events: SamplerEvent[] = [];
    let release: () => void = () => undefined;
    let calls = 0;
    const sampler = new FrameSampler(
      {
        cameraId: 'cam1',
        source: clip3s,
        sampleIntervalMs: 200,
        width: 160,
        restart: false,
        onEvent: (e) => events.push(e),
      },
      () => {
        calls++;
        return new Promise<void>((resolve) => (release = resolve)); // busy until released
      },
    );
    sampler.start();
    await waitFor(events, (e) => e.type === 'exit');
    // The consumer took the first frame and never finished while ffmpeg decoded: the other 14 were dropped.
    expect(calls).toBe(1);
    expect(sampler.stats()).toMatchObject({ frames: 15, dropped: 14 });
    release();
    await sampler.stop();
  });

  it('samples the real street clip at its pace and stops without leaving ffmpeg behind', async () => {
    expect(existsSync(VTEST)).toBe(true);
    const frames: Frame[] = [];
    const events: SamplerEvent[] = [];
    const sampler = new FrameSampler(
      { cameraId: 'street', source: VTEST, sampleIntervalMs: 500, realtime: true, onEvent: (e) => events.push(e) },
      async (f) => {
        frames.push(f);
        await new Promise((r) => setTimeout(r, 700)); // a detector slower than the sampling interval
      },
    );
    const before = Date.now();
    sampler.start();
    await new Promise((r) => setTimeout(r, 4000));
    const pid = sampler.stats().pid!;
    expect(alive(pid)).toBe(true);
    await sampler.stop();
    expect(alive(pid)).toBe(false);
    expect(sampler.stats().running).toBe(false);
    // 768×576 scaled to the default width 640 → 480. Live pace: 2 frames/s for 4 s, less ffmpeg start-up (slow on a busy 2-core box).
    expect(events).toContainEqual({ type: 'size', width: 640, height: 480 });
    const { frames: read, dropped } = sampler.stats();
    expect(read).toBeGreaterThanOrEqual(4);
    expect(read).toBeLessThanOrEqual(9);
    // Each delivered frame keeps the consumer busy 700 ms, longer than the 500 ms interval: some frames were dropped.
    expect(dropped).toBeGreaterThanOrEqual(1);
    expect(frames.length + dropped).toBe(read);
    expect(frames.every((f) => f.width === 640 && f.height === 480 && f.rgb.length === 640 * 480 * 3)).toBe(true);
    expect(frames.every((f) => f.timeMs >= before && f.timeMs <= Date.now())).toBe(true); // wall clock at read
    // Stopped means stopped: no restart afterwards.
    await new Promise((r) => setTimeout(r, 300));
    expect(events.filter((e) => e.type === 'start')).toHaveLength(1);
  });

  it('restarts when the stream ends, with back-off', async () => {
    const events: SamplerEvent[] = [];
    let n = 0;
    const sampler = new FrameSampler(
      {
        cameraId: 'cam1',
        source: clip1s,
        sampleIntervalMs: 200,
        width: 160,
        backoffMs: 50,
        onEvent: (e) => events.push(e),
      },
      () => {
        n++;
      },
    );
    sampler.start();
    await waitFor(
      events,
      (e) => e.type === 'start' && e.attempt >= 1 && events.filter((x) => x.type === 'start').length >= 3,
    );
    await sampler.stop();
    const { restarts, frames } = sampler.stats();
    expect(restarts).toBeGreaterThanOrEqual(2);
    // Each run of the 1 s clip gives 5 frames; the run stopped by the test may have given fewer.
    expect(frames).toBeGreaterThanOrEqual(5 * restarts);
    expect(frames).toBeLessThanOrEqual(5 * (restarts + 1));
    expect(n).toBe(frames);
  });

  it('backs off exponentially on a source that fails, and tells why', async () => {
    const events: SamplerEvent[] = [];
    const starts: number[] = [];
    const sampler = new FrameSampler(
      {
        cameraId: 'cam1',
        source: join(dir, 'missing.mp4'),
        sampleIntervalMs: 200,
        backoffMs: 100,
        onEvent: (e) => {
          events.push(e);
          if (e.type === 'start') starts.push(Date.now());
        },
      },
      () => undefined,
    );
    sampler.start();
    await waitFor(events, () => starts.length >= 4);
    await sampler.stop();
    const exit = events.find((e) => e.type === 'exit');
    expect(exit).toMatchObject({ type: 'exit', code: 1 });
    expect(exit && exit.type === 'exit' ? exit.stderrTail : '').toMatch(/No such file or directory/);
    // Delays 100, 200, 400 ms (plus ffmpeg's own start-up time each run).
    const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
    expect(gaps[0]!).toBeGreaterThanOrEqual(100);
    expect(gaps[1]!).toBeGreaterThanOrEqual(200);
    expect(gaps[2]!).toBeGreaterThanOrEqual(400);
    expect(sampler.stats().frames).toBe(0);
  });

  it('kills and restarts ffmpeg when a network stream stalls', async () => {
    // An HTTP server that accepts the connection and never answers: ffmpeg would wait for its 10 s read timeout.
    const sockets: Socket[] = [];
    const server: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const events: SamplerEvent[] = [];
    const sampler = new FrameSampler(
      {
        cameraId: 'cam1',
        source: `http://127.0.0.1:${port}/live/cam1.flv`,
        sampleIntervalMs: 1000,
        stallTimeoutMs: 500,
        backoffMs: 50,
        onEvent: (e) => events.push(e),
      },
      () => undefined,
    );
    try {
      sampler.start();
      await waitFor(events, () => events.filter((e) => e.type === 'stall').length >= 2, 10_000);
      expect(sampler.stats().restarts).toBeGreaterThanOrEqual(1);
    } finally {
      await sampler.stop();
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    }
  });

  it('rejects options it cannot honour', () => {
    expect(() => new FrameSampler({ cameraId: 'c', source: 'x', sampleIntervalMs: 0 }, () => undefined)).toThrow(
      /sampleIntervalMs must be > 0/,
    );
    expect(
      () => new FrameSampler({ cameraId: 'c', source: 'x', sampleIntervalMs: 100, width: 641 }, () => undefined),
    ).toThrow(/even integer/);
  });
});
