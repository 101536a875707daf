import { spawn } from 'node:child_process';
import { appendFile, mkdtemp, readdir, readFile, rename, rm, stat, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Spool, SpoolFullError, type SpoolOptions } from './spool.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SPOOL_TS = fileURLToPath(new URL('./spool.ts', import.meta.url));
const HEADER = 8;

interface Rec {
  i: number;
  pad?: string;
}

interface LogLine {
  level: number;
  msg: string;
  file?: string;
  offset?: number;
  reason?: string;
}

let dir: string;
let logs: LogLine[];
const opened: Spool<unknown>[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'spool-test-'));
  logs = [];
});

afterEach(async () => {
  for (const s of opened.splice(0)) await s.close().catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

/** A real pino logger whose lines are kept for assertions. */
function captureLog() {
  return pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) });
}

async function openSpool<T = Rec>(options: Partial<SpoolOptions> = {}): Promise<Spool<T>> {
  const spool = await Spool.open<T>({ dir, maxBytes: 1 << 30, log: captureLog(), ...options });
  opened.push(spool as Spool<unknown>);
  return spool;
}

async function reopen<T = Rec>(spool: Spool<unknown>, options: Partial<SpoolOptions> = {}): Promise<Spool<T>> {
  await spool.close();
  return openSpool<T>(options);
}

async function drainAll<T>(spool: Spool<T>): Promise<T[]> {
  const out: T[] = [];
  await spool.drain(async (r) => void out.push(r));
  return out;
}

async function segments(): Promise<string[]> {
  return (await readdir(dir)).filter((n) => /^spool-\d{16}\.log$/.test(n)).sort();
}

/** Offsets of the records of a segment file, from its framing. */
async function frameOffsets(file: string): Promise<number[]> {
  const buf = await readFile(path.join(dir, file));
  const offsets: number[] = [];
  for (let pos = 0; pos < buf.length; pos += HEADER + buf.readUInt32LE(pos)) offsets.push(pos);
  return offsets;
}

const range = (n: number, from = 0) => Array.from({ length: n }, (_, k) => from + k);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Spool', () => {
  it('keeps order across segments, deletes drained segments, and leaves none behind when empty', async () => {
    const spool = await openSpool({ segmentBytes: 200 });
    for (const i of range(30)) await spool.append({ i, pad: 'x'.repeat(i === 17 ? 500 : 40) }); // 17: > segmentBytes
    const files = await segments();
    expect(files.length).toBeGreaterThan(5);
    expect(files[0]).toBe('spool-0000000000000001.log');
    expect(spool.depth().records).toBe(30);

    const got = await drainAll(spool);
    expect(got.map((r) => r.i)).toEqual(range(30));
    expect(got[17]?.pad).toHaveLength(500);
    expect(spool.depth()).toEqual({ records: 0, bytes: 0 });
    expect(spool.isEmpty()).toBe(true);
    expect(await segments()).toEqual([]);

    // Sequence numbers are never reused, even after every segment was deleted and the spool reopened.
    const again = await reopen(spool, { segmentBytes: 200 });
    await again.append({ i: 30 });
    const [next] = await segments();
    expect(Number(next?.slice(6, 22))).toBeGreaterThan(Number(files.at(-1)?.slice(6, 22)));
    expect((await drainAll(again)).map((r) => r.i)).toEqual([30]);
  });

  it('appends a 1,000-position batch as one record with one write and one fsync; concurrent appends share fsyncs', async () => {
    const spool = await openSpool<Record<string, unknown>[]>();
    const batch = range(1000).map((k) => ({
      deviceId: `veh-${k % 50}`,
      timeMs: 1_790_000_000_000 + k,
      lat: 36.66 + k / 1e5,
      lon: 117.02,
      speedKmh: 30,
      course: null,
      attributes: {},
    }));
    await spool.append(batch); // creates the segment
    const before = spool.stats();
    await spool.append(batch);
    const after = spool.stats();
    expect(after.writes - before.writes).toBe(1);
    expect(after.syncs - before.syncs).toBe(1);

    const s0 = spool.stats();
    await Promise.all(range(50).map(() => spool.append([{ small: true }])));
    const s1 = spool.stats();
    expect(s1.appends - s0.appends).toBe(50);
    expect(s1.syncs - s0.syncs).toBeLessThan(10); // group commit: typically 2

    const got = await drainAll(spool);
    expect(got).toHaveLength(52);
    expect(got[0]).toEqual(batch);
    expect(got[1]).toEqual(batch);
  });

  it('is durable across close and reopen, and appends after reopening come after', async () => {
    const spool = await openSpool();
    for (const i of range(10)) await spool.append({ i });
    const depth = spool.depth();
    const again = await reopen(spool);
    expect(again.depth()).toEqual(depth);
    expect(again.isEmpty()).toBe(false);
    await again.append({ i: 10 });
    expect((await drainAll(again)).map((r) => r.i)).toEqual(range(11));
  });

  it('stops draining at a failing handler and resumes at that record, also after a reopen', async () => {
    const spool = await openSpool({ segmentBytes: 100 });
    for (const i of range(10)) await spool.append({ i });
    const seen: number[] = [];
    const n = await spool.drain(async (r) => {
      if (r.i === 3) throw new Error('database down');
      seen.push(r.i);
    });
    expect(n).toBe(3);
    expect(seen).toEqual([0, 1, 2]);
    expect(spool.depth().records).toBe(7);

    expect(await spool.drain(async () => Promise.reject(new Error('still down')))).toBe(0);
    const seen2: number[] = [];
    await spool.drain(async (r) => {
      if (r.i === 6) throw new Error('down again');
      seen2.push(r.i);
    });
    expect(seen2).toEqual([3, 4, 5]);

    // The head checkpoint survives: nothing already drained is handed out again.
    const again = await reopen(spool, { segmentBytes: 100 });
    expect(again.depth().records).toBe(4);
    expect((await drainAll(again)).map((r) => r.i)).toEqual([6, 7, 8, 9]);
  });

  it('refuses a second concurrent drain', async () => {
    const spool = await openSpool();
    await spool.append({ i: 0 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = spool.drain(() => gate);
    await expect(spool.drain(async () => undefined)).rejects.toMatchObject({ code: 'SPOOL_BUSY' });
    release();
    expect(await first).toBe(1);
    expect(await spool.drain(async () => undefined)).toBe(0);
  });

  it('cuts off a torn record at the tail of the newest segment, logs it, and keeps working', async () => {
    const spool = await openSpool();
    for (const i of range(5)) await spool.append({ i, pad: 'abc' });
    await spool.close();
    const [file] = await segments();
    const full = (await stat(path.join(dir, file!))).size;
    const offsets = await frameOffsets(file!);
    await truncate(path.join(dir, file!), full - 3); // the crash hit the last record mid-write

    const again = await openSpool();
    expect(logs.some((l) => l.level === 40 && /torn/.test(l.msg) && l.file?.endsWith(file!))).toBe(true);
    expect(again.depth().records).toBe(4);
    expect((await stat(path.join(dir, file!))).size).toBe(offsets[4]);
    await again.append({ i: 5 });
    const third = await reopen(again);
    expect((await drainAll(third)).map((r) => r.i)).toEqual([0, 1, 2, 3, 5]);
  });

  it('cuts off garbage after the last record', async () => {
    const spool = await openSpool();
    for (const i of range(5)) await spool.append({ i });
    await spool.close();
    const [file] = await segments();
    const size = (await stat(path.join(dir, file!))).size;
    await appendFile(path.join(dir, file!), Buffer.concat([Buffer.from('garbage!\x01\x02'), Buffer.alloc(4096)]));

    const again = await openSpool();
    expect(logs.filter((l) => l.level === 40 && /torn/.test(l.msg))).toHaveLength(1);
    expect((await stat(path.join(dir, file!))).size).toBe(size);
    expect((await drainAll(again)).map((r) => r.i)).toEqual(range(5));
  });

  it('logs a bad checksum in the middle with file and offset, moves the segment aside, and keeps every other record', async () => {
    const spool = await openSpool({ segmentBytes: 120 });
    for (const i of range(12)) await spool.append({ i, pad: 'p'.repeat(10) });
    await spool.close();
    const files = await segments();
    expect(files.length).toBeGreaterThan(2);
    const victim = files[1]!;
    const offsets = await frameOffsets(victim);
    expect(offsets.length).toBeGreaterThan(1);
    const buf = await readFile(path.join(dir, victim));
    const lost = JSON.parse(buf.subarray(offsets[0]! + HEADER, offsets[1]).toString()) as Rec;
    buf[offsets[0]! + HEADER + 3]! ^= 0x20; // flip a bit in the first record's JSON
    await writeFile(path.join(dir, victim), buf);

    const again = await openSpool({ segmentBytes: 120 });
    const errors = logs.filter((l) => l.level === 50);
    expect(
      errors.some((l) => l.file?.endsWith(victim) && l.offset === offsets[0] && l.reason === 'checksum mismatch'),
    ).toBe(true);
    expect(await readdir(dir)).toContain(`${victim}.corrupt`);
    expect(again.depth().records).toBe(11);

    // The rewritten segment is clean: a second open logs nothing and finds the same records.
    logs = [];
    const third = await reopen(again, { segmentBytes: 120 });
    expect(logs.filter((l) => l.level >= 40)).toEqual([]);
    expect((await drainAll(third)).map((r) => r.i)).toEqual(range(12).filter((i) => i !== lost.i));
  });

  it('resynchronises after a damaged length field', async () => {
    const spool = await openSpool();
    for (const i of range(6)) await spool.append({ i, pad: 'q'.repeat(30) });
    await spool.close();
    const [file] = await segments();
    const offsets = await frameOffsets(file!);
    const buf = await readFile(path.join(dir, file!));
    buf.writeUInt32LE(7, offsets[2]!); // record 2 now claims 7 bytes: framing is off from here
    await writeFile(path.join(dir, file!), buf);
    const again = await openSpool();
    expect(logs.some((l) => l.level === 50 && l.offset === offsets[2])).toBe(true);
    expect((await drainAll(again)).map((r) => r.i)).toEqual([0, 1, 3, 4, 5]);
  });

  it('skips a record damaged after it was written, while draining', async () => {
    const spool = await openSpool();
    for (const i of range(4)) await spool.append({ i });
    const [file] = await segments();
    const offsets = await frameOffsets(file!);
    const buf = await readFile(path.join(dir, file!));
    buf[offsets[1]! + HEADER + 2]! ^= 0x01;
    await writeFile(path.join(dir, file!), buf);
    expect((await drainAll(spool)).map((r) => r.i)).toEqual([0, 2, 3]);
    expect(logs.some((l) => l.level === 50 && l.offset === offsets[1])).toBe(true);
    expect(spool.depth()).toEqual({ records: 0, bytes: 0 });
    expect(spool.stats().corruptRegions).toBe(1);
  });

  it('enforces maxBytes with nothing partially written, and takes records again once drained', async () => {
    const frame = HEADER + JSON.stringify({ i: 0 }).length; // 15 bytes
    const spool = await openSpool({ maxBytes: 3 * frame });
    await spool.append({ i: 0 });
    const results = await Promise.allSettled(range(4, 1).map((i) => spool.append({ i })));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected']);
    const refused = (results[2] as PromiseRejectedResult).reason as SpoolFullError;
    expect(refused).toBeInstanceOf(SpoolFullError);
    expect(refused.code).toBe('SPOOL_FULL');
    await expect(spool.append({ i: 9, pad: 'too big' })).rejects.toMatchObject({ code: 'SPOOL_FULL' });
    expect(spool.depth()).toEqual({ records: 3, bytes: 3 * frame });
    const [file] = await segments();
    expect((await stat(path.join(dir, file!))).size).toBe(3 * frame);
    expect(spool.stats().refusedFull).toBe(3);

    const again = await reopen(spool, { maxBytes: 3 * frame });
    expect(again.depth()).toEqual({ records: 3, bytes: 3 * frame });
    let taken = 0;
    await again.drain(async () => {
      if (taken++ === 1) throw new Error('stop');
    });
    await again.append({ i: 3 });
    await expect(again.append({ i: 4 })).rejects.toBeInstanceOf(SpoolFullError);
    expect((await drainAll(again)).map((r) => r.i)).toEqual([1, 2, 3]);
  });

  it('keeps order when appends run concurrently with a drain', async () => {
    const spool = await openSpool({ segmentBytes: 300 });
    let next = 0;
    const appends: Promise<void>[] = [];
    const appendNext = () => appends.push(spool.append({ i: next++ }));
    for (let k = 0; k < 20; k++) appendNext();
    await Promise.all(appends);

    const got: number[] = [];
    const producer = (async () => {
      for (let k = 0; k < 30; k++) {
        appendNext();
        appendNext();
        await sleep(1);
      }
    })();
    let handled = 0;
    const drained = spool.drain(async (r) => {
      got.push(r.i);
      if (++handled % 7 === 0) appendNext(); // appends from inside the handler too
      await sleep(2);
    });
    await producer;
    await drained;
    await Promise.all(appends);
    got.push(...(await drainAll(spool)).map((r) => r.i));
    expect(got).toEqual(range(next));
    expect(spool.isEmpty()).toBe(true);
  });

  it('replays from the first segment when the head checkpoint is unreadable', async () => {
    const spool = await openSpool();
    for (const i of range(4)) await spool.append({ i });
    await spool.drain(async (r) => {
      if (r.i === 2) throw new Error('stop');
    });
    await spool.close();
    await writeFile(path.join(dir, 'head'), '{"segm');
    const again = await openSpool();
    expect(logs.some((l) => l.level === 40 && /checkpoint/.test(l.msg))).toBe(true);
    expect((await drainAll(again)).map((r) => r.i)).toEqual([0, 1, 2, 3]); // at least once
  });

  it('finishes or restarts a rewrite of a damaged segment that a crash interrupted', async () => {
    const spool = await openSpool({ segmentBytes: 60 });
    for (const i of range(6)) await spool.append({ i, pad: 'z'.repeat(20) });
    await spool.close();
    const [first, second] = await segments();
    // Crash after the damaged file was moved aside: the synced rewrite is put in place.
    await writeFile(path.join(dir, `${first}.salvage`), await readFile(path.join(dir, first!)));
    await rename(path.join(dir, first!), path.join(dir, `${first}.corrupt`));
    // Crash before it: the half-made rewrite is dropped (and the check starts over).
    await writeFile(path.join(dir, `${second}.salvage`), 'half');

    const again = await openSpool({ segmentBytes: 60 });
    expect((await readdir(dir)).filter((n) => n.endsWith('.salvage'))).toEqual([]);
    expect((await drainAll(again)).map((r) => r.i)).toEqual(range(6));
  });

  it('lets a running drain finish its record when closed, and resumes after it', async () => {
    const spool = await openSpool();
    for (const i of range(5)) await spool.append({ i });
    const seen: number[] = [];
    const drained = spool.drain(async (r) => {
      seen.push(r.i);
      await sleep(20);
    });
    await sleep(5);
    await spool.close();
    expect(await drained).toBe(1);
    const again = await openSpool();
    expect((await drainAll(again)).map((r) => r.i)).toEqual([1, 2, 3, 4]);
  });

  it('refuses a second open of the same directory and appends after close', async () => {
    const spool = await openSpool();
    await expect(Spool.open({ dir, maxBytes: 1000 })).rejects.toThrow(/already open/);
    await spool.close();
    await expect(spool.append({ i: 0 })).rejects.toMatchObject({ code: 'SPOOL_CLOSED' });
  });
});

describe('Spool, process killed with SIGKILL', () => {
  /** A child `node --import tsx` process using the spool; prints one line per acknowledged append or handed record. */
  async function runChild(mode: 'append' | 'drain', killAfterLines: number): Promise<number[]> {
    const script = path.join(dir, `child-${mode}.mts`);
    await writeFile(
      script,
      `import { Spool } from ${JSON.stringify(pathToFileURL(SPOOL_TS).href)};
const [mode, dir] = process.argv.slice(2);
const spool = await Spool.open({ dir, maxBytes: 1 << 30, segmentBytes: 64 * 1024 });
const pad = 'x'.repeat(300);
if (mode === 'append') {
  const start = spool.depth().records;
  const inFlight = new Set();
  for (let i = start; ; i++) {
    const p = spool.append({ i, pad }).then(() => void process.stdout.write(i + '\\n'));
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    if (inFlight.size >= 8) await Promise.race(inFlight);
  }
} else {
  await spool.drain(async (r) => {
    process.stdout.write(r.i + '\\n');
    await new Promise((res) => setTimeout(res, 1));
  });
  process.stdout.write('done\\n');
}
`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script, mode, path.join(dir, 'spool')], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
      child.on('close', (code, signal) => resolve(signal ?? code)),
    );
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.split('\n').length > killAfterLines) child.kill('SIGKILL');
    });
    const how = await exited;
    expect(how, `child exited on its own: ${err}`).toBe('SIGKILL');
    // Only complete lines count: a line cut by the kill was not fully printed.
    return out
      .split('\n')
      .slice(0, -1)
      .map((l) => Number(l));
  }

  async function spooled(): Promise<number[]> {
    const spool = await Spool.open<Rec>({ dir: path.join(dir, 'spool'), maxBytes: 1 << 30, log: captureLog() });
    opened.push(spool as Spool<unknown>);
    const got = (await drainAll(spool)).map((r) => r.i);
    await spool.close();
    return got;
  }

  it('keeps every acknowledged append, in order, across kill -9 (twice)', async () => {
    const acked = await runChild('append', 400);
    expect(acked.length).toBeGreaterThanOrEqual(400);
    expect(acked).toEqual(range(acked.length)); // acknowledged in order
    const spool = await Spool.open<Rec>({ dir: path.join(dir, 'spool'), maxBytes: 1 << 30, log: captureLog() });
    const depth = spool.depth().records;
    await spool.close();
    expect(depth).toBeGreaterThanOrEqual(acked.length);

    // The child appends again from where the spool ends, and is killed again.
    const acked2 = await runChild('append', 300);
    expect(acked2[0]).toBe(depth);
    const all = await spooled();
    const lastAcked = acked2.at(-1)!;
    expect(all.length).toBeGreaterThan(lastAcked);
    expect(all).toEqual(range(all.length)); // a contiguous prefix: in order, nothing lost, nothing twice
  });

  it('replays at most the record in hand after a kill -9 mid-drain', async () => {
    const spool = await Spool.open<Rec>({ dir: path.join(dir, 'spool'), maxBytes: 1 << 30, segmentBytes: 4096 });
    await Promise.all(range(600).map((i) => spool.append({ i, pad: 'y'.repeat(100) })));
    await spool.close();

    const handed = await runChild('drain', 200);
    expect(handed).toEqual(range(handed.length));
    const last = handed.at(-1)!;
    const rest = await spooled();
    // Resumes at the record being handled when killed (its checkpoint not yet written) or the one after it.
    expect([last, last + 1]).toContain(rest[0]);
    expect(rest).toEqual(range(600 - rest[0]!, rest[0]));
  });
});
