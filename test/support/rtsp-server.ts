// Test video sources, real processes: a GStreamer RTSP camera (rtsp-server.py beside this file), an ffmpeg test
// pattern pushed over RTMP, and ffprobe reading a stream back. Each child is killed by its handle, never by name.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./rtsp-server.py', import.meta.url));
// The Debian python has python3-gi; a pyenv python on PATH would not.
const PYTHON = '/usr/bin/python3';

export interface RtspCamera {
  port: number;
  url: string;
  /** Why the camera process ended on its own (its exit and last stderr), or undefined while it runs or once stopped. */
  died(): string | undefined;
  stop(): Promise<void>;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

/** Starts the RTSP camera on `port` (0: a free one) and waits until it listens. */
export async function startRtspCamera(port = 0): Promise<RtspCamera> {
  const child = spawn(PYTHON, [SCRIPT, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const bound = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`RTSP camera did not start: ${stderr}`)), 15_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ready (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`RTSP camera exited (${code}): ${stderr}`));
    });
  });
  let stopping = false;
  let death: string | undefined;
  child.once('exit', (code, signal) => {
    if (!stopping) death = `RTSP camera exited (${signal ?? code}): ${stderr.trim().slice(-500)}`;
  });
  return {
    port: bound,
    url: `rtsp://127.0.0.1:${bound}/cam`,
    died: () => death,
    stop: () => {
      stopping = true;
      return stopChild(child);
    },
  };
}

export interface Push {
  child: ChildProcess;
  /** The exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** ffmpeg pushes a 320×240 10 fps H.264 test pattern for `seconds` to an RTMP URL, in real time. */
export function pushTestPattern(url: string, seconds: number): Push {
  const child = spawn(
    'ffmpeg',
    [
      '-nostdin',
      '-v',
      'error',
      '-re',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=320x240:rate=10',
      '-t',
      String(seconds),
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-tune',
      'zerolatency',
      '-g',
      '10',
      '-pix_fmt',
      'yuv420p',
      '-f',
      'flv',
      url,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr!.resume();
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, exited, stop: () => stopChild(child) };
}

export interface ProbedStream {
  codec_type: string;
  codec_name?: string;
  width?: number;
  height?: number;
}

/** The streams ffprobe sees at `url` (an empty list when it cannot open it). */
export function probeStreams(url: string, timeoutMs = 10_000): Promise<ProbedStream[]> {
  return new Promise((resolve) => {
    execFile(
      'ffprobe',
      ['-v', 'error', '-analyzeduration', '1000000', '-probesize', '65536', '-of', 'json', '-show_streams', url],
      { timeout: timeoutMs, killSignal: 'SIGKILL' },
      (err, stdout) => {
        if (err) return resolve([]);
        resolve((JSON.parse(stdout) as { streams?: ProbedStream[] }).streams ?? []);
      },
    );
  });
}

/** Whether a process id is still alive (signal 0 probes without sending anything). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
