// Durable spool (本地落盘队列): a bounded, append-only FIFO of JSON records on local disk. While the database is
// unreachable, ingest appends each write batch here — written and fsynced before the devices are acknowledged — and
// replays the spool, oldest first, once the database is back. Pure Node fs: no database or hub imports.
//
// On disk, one directory per spool:
//   spool-<seq>.log          segments, <seq> a 16-digit zero-padded sequence number, oldest first. Each record is framed
//                            as [u32 LE payload length][u32 LE CRC-32 of the payload][payload: UTF-8 JSON].
//   head                     checkpoint {"segment":<seq>,"offset":<bytes>}: where the next record not yet drained starts.
//                            Replaced atomically (head.tmp, fsync, rename). Segments before it are fully drained.
//   spool-<seq>.log.corrupt  a segment moved aside because a record in it failed its checksum (kept for inspection);
//                            the readable records of it are kept in a rewritten spool-<seq>.log.
//
// Guarantees: append() resolves only once its record is written and fsynced (and the directory entry, for a new
// segment); records are drained in append order; a record leaves the spool only after the drain handler resolved for
// it. Delivery is at-least-once: a crash can replay at most the records drained since the last checkpoint (one, with
// the default checkpointEvery of 1). A torn record at the tail of the newest segment (a crash mid-write) is cut off at
// open — it was never acknowledged. A record that fails its checksum elsewhere is logged as an error and skipped.
// One process per directory (a second Spool on the same directory in the same process is refused).
import type { Dirent } from 'node:fs';
import { copyFile, mkdir, open, readdir, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { Logger } from 'pino';

export type SpoolLogger = Pick<Logger, 'info' | 'warn' | 'error'>;

export interface SpoolOptions {
  /** The spool's directory; created if missing. */
  dir: string;
  /** Upper bound on the bytes (framing included) appended and not yet drained; an append beyond it is refused. */
  maxBytes: number;
  /** A new segment file is started once the current one would grow beyond this (default 16 MiB). */
  segmentBytes?: number;
  /** Write the head checkpoint after this many drained records (default 1: a crash replays at most one record). */
  checkpointEvery?: number;
  log?: SpoolLogger;
}

export interface SpoolDepth {
  /** Records appended (durably) and not yet drained. */
  records: number;
  /** Their size on disk, framing included; what `maxBytes` bounds. */
  bytes: number;
}

/** Counters since open, for metrics. */
export interface SpoolStats {
  appends: number;
  /** write(2) calls on segments; a group of concurrent appends is one write. */
  writes: number;
  /** fdatasync calls on segments; a group of concurrent appends shares one (group commit). */
  syncs: number;
  segmentsCreated: number;
  checkpoints: number;
  drained: number;
  /** Appends refused with SpoolFullError. */
  refusedFull: number;
  /** Torn tails cut off at open. */
  tornTails: number;
  /** Damaged regions (failed checksum or framing) skipped, at open or while draining. */
  corruptRegions: number;
}

/** The spool holds `maxBytes` already: the record was not written. */
export class SpoolFullError extends Error {
  readonly code = 'SPOOL_FULL';
  constructor(
    readonly recordBytes: number,
    readonly spooledBytes: number,
    readonly maxBytes: number,
  ) {
    super(`spool full: a ${recordBytes}-byte record does not fit (${spooledBytes} of ${maxBytes} bytes in use)`);
    this.name = 'SpoolFullError';
  }
}

/** An error with a stable `code`: 'SPOOL_CLOSED' (used after close) or 'SPOOL_BUSY' (a drain is already running). */
export class SpoolStateError extends Error {
  constructor(
    readonly code: 'SPOOL_CLOSED' | 'SPOOL_BUSY',
    message: string,
  ) {
    super(message);
    this.name = 'SpoolStateError';
  }
}

const HEADER_BYTES = 8;
const MAX_PAYLOAD_BYTES = 0xffff_ffff;
const DEFAULT_SEGMENT_BYTES = 16 * 1024 * 1024;
const HEAD_FILE = 'head';
const HEAD_TMP_FILE = 'head.tmp';
const SEGMENT_FILE = /^spool-(\d{16})\.log$/;
/** Every file carrying a sequence number: segments, `.corrupt` copies, `.salvage` rewrites in progress. */
const SEQUENCED_FILE = /^spool-(\d{16})\.log(\..+)?$/;

/** Directories opened by this process: two Spools on one directory would corrupt each other. */
const openDirs = new Set<string>();

const fallbackLog: SpoolLogger = {
  info: () => undefined,
  warn: (obj: unknown, msg?: string) => console.warn(`[spool] ${msg ?? ''}`, obj),
  error: (obj: unknown, msg?: string) => console.error(`[spool] ${msg ?? ''}`, obj),
};

interface Segment {
  seq: number;
  file: string;
  /** Bytes written and fsynced: everything before is complete records. */
  size: number;
  /** Records in it not yet drained. */
  records: number;
  /** No longer appended to: once drained to `size` it can be deleted. */
  sealed: boolean;
}

interface PendingAppend {
  frame: Buffer;
  resolve: () => void;
  reject: (err: unknown) => void;
}

type ReadResult<T> = { value: T; bytes: number } | { bad: string };

export class Spool<T> {
  private readonly dir: string;
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly checkpointEvery: number;
  private readonly log: SpoolLogger;

  /** Oldest first; segments[0] is the head segment. */
  private segments: Segment[] = [];
  /** The next record to drain: segment `seq` at byte `offset` (or, with no segments, where the last one ended). */
  private head = { seq: 0, offset: 0 };
  private headDirty = false;
  private nextSeq = 1;
  private active: { seg: Segment; fh: FileHandle } | null = null;
  private reader: { seq: number; fh: FileHandle } | null = null;

  private queue: PendingAppend[] = [];
  private writing = false;
  private writerDone: Promise<void> = Promise.resolve();
  /** Bytes of appends accepted and not yet durable (counted against maxBytes). */
  private reservedBytes = 0;
  private pendingAppends = 0;
  private undrainedRecords = 0;
  private undrainedBytes = 0;

  private draining: Promise<number> | null = null;
  private closed = false;
  private closing: Promise<void> | null = null;
  private readonly counters: SpoolStats = {
    appends: 0,
    writes: 0,
    syncs: 0,
    segmentsCreated: 0,
    checkpoints: 0,
    drained: 0,
    refusedFull: 0,
    tornTails: 0,
    corruptRegions: 0,
  };

  private constructor(options: SpoolOptions, dir: string) {
    this.dir = dir;
    this.maxBytes = options.maxBytes;
    this.segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.checkpointEvery = options.checkpointEvery ?? 1;
    this.log = options.log ?? fallbackLog;
  }

  /** Opens (creating if needed) the spool in `options.dir`: recovers from a crash, then counts what is left to drain. */
  static async open<T>(options: SpoolOptions): Promise<Spool<T>> {
    for (const [name, value, min] of [
      ['maxBytes', options.maxBytes, HEADER_BYTES + 1],
      ['segmentBytes', options.segmentBytes ?? DEFAULT_SEGMENT_BYTES, HEADER_BYTES + 1],
      ['checkpointEvery', options.checkpointEvery ?? 1, 1],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < min)
        throw new RangeError(`spool ${name} must be an integer >= ${min}`);
    }
    const dir = path.resolve(options.dir);
    if (openDirs.has(dir)) throw new Error(`spool ${dir} is already open in this process`);
    openDirs.add(dir);
    const spool = new Spool<T>(options, dir);
    try {
      await spool.recover();
    } catch (err) {
      await spool.reader?.fh.close().catch(() => undefined);
      openDirs.delete(dir);
      throw err;
    }
    return spool;
  }

  /**
   * Appends one record. Resolves once it is durable: written and fsynced, with the directory entry when a new segment
   * file was created. Concurrent appends keep their call order and share one write + fsync (group commit). Rejects
   * with SpoolFullError (nothing written) when the record would take the spool beyond `maxBytes`.
   */
  append(record: T): Promise<void> {
    if (this.closed) return Promise.reject(new SpoolStateError('SPOOL_CLOSED', 'spool is closed'));
    let frame: Buffer;
    try {
      frame = encodeFrame(record);
    } catch (err) {
      return Promise.reject(err);
    }
    const inUse = this.undrainedBytes + this.reservedBytes;
    if (inUse + frame.length > this.maxBytes) {
      this.counters.refusedFull++;
      return Promise.reject(new SpoolFullError(frame.length, inUse, this.maxBytes));
    }
    this.reservedBytes += frame.length;
    this.pendingAppends++;
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ frame, resolve, reject });
      if (!this.writing) {
        this.writing = true;
        this.writerDone = this.runWriter();
      }
    });
  }

  /** What is durably appended and not yet drained (appends still being written are not counted). */
  depth(): SpoolDepth {
    return { records: this.undrainedRecords, bytes: this.undrainedBytes };
  }

  /** Nothing to drain and no append in flight. */
  isEmpty(): boolean {
    return this.undrainedRecords === 0 && this.pendingAppends === 0;
  }

  stats(): SpoolStats {
    return { ...this.counters };
  }

  /**
   * Hands records to `handler` oldest first, one at a time, including records appended while the drain runs; a record
   * is removed only after `handler` resolved for it. Stops at the first rejection (that record stays at the head, the
   * error is not rethrown) or when the spool is empty or closing, and resolves with how many records were drained.
   * Rejects with a SpoolStateError 'SPOOL_BUSY' while another drain runs, and on disk errors.
   */
  drain(handler: (record: T) => Promise<void>): Promise<number> {
    if (this.closed) return Promise.reject(new SpoolStateError('SPOOL_CLOSED', 'spool is closed'));
    if (this.draining) return Promise.reject(new SpoolStateError('SPOOL_BUSY', 'a drain is already running'));
    const run = this.runDrain(handler).finally(() => {
      this.draining = null;
    });
    this.draining = run;
    return run;
  }

  /**
   * Refuses new appends, finishes the ones accepted, lets a running drain stop after its current record, writes the
   * checkpoint and closes the files. A fully drained spool leaves no segment file behind.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown().finally(() => openDirs.delete(this.dir));
    return this.closing;
  }

  // ---- recovery ----------------------------------------------------------------------------------------------------

  private async recover(): Promise<void> {
    const created = await mkdir(this.dir, { recursive: true });
    if (created !== undefined) await syncDir(path.dirname(created));

    const entries: Dirent[] = await readdir(this.dir, { withFileTypes: true });
    const logs = new Set<number>();
    const salvages = new Set<number>();
    let maxSeq = 0;
    for (const entry of entries) {
      const m = SEQUENCED_FILE.exec(entry.name);
      if (!m || !entry.isFile()) continue;
      const seq = Number(m[1]);
      if (!Number.isSafeInteger(seq)) {
        this.log.warn(
          { file: path.join(this.dir, entry.name) },
          'spool: ignoring a file with an out-of-range sequence',
        );
        continue;
      }
      maxSeq = Math.max(maxSeq, seq);
      if (SEGMENT_FILE.test(entry.name)) logs.add(seq);
      else if (m[2] === '.salvage') salvages.add(seq);
    }
    await rm(path.join(this.dir, HEAD_TMP_FILE), { force: true });

    // A rewrite of a damaged segment interrupted by a crash: finish it (the damaged file was already moved aside and
    // the rewrite is complete and synced) or start it over (the damaged file is still in place).
    for (const seq of salvages) {
      const salvage = segmentPath(this.dir, seq) + '.salvage';
      if (logs.has(seq)) {
        await rm(salvage, { force: true });
      } else {
        await rename(salvage, segmentPath(this.dir, seq));
        logs.add(seq);
        this.log.warn({ file: segmentPath(this.dir, seq) }, 'spool: finished rewriting a damaged segment');
      }
    }

    const checkpoint = await this.readCheckpoint();
    if (checkpoint) maxSeq = Math.max(maxSeq, checkpoint.seq);
    this.nextSeq = maxSeq + 1;

    const seqs = [...logs].sort((a, b) => a - b);
    for (const seq of seqs) {
      if (checkpoint && seq < checkpoint.seq) {
        // Fully drained; its deletion did not reach the disk before a crash.
        await rm(segmentPath(this.dir, seq), { force: true });
      }
    }
    const live = seqs.filter((seq) => !checkpoint || seq >= checkpoint.seq);
    for (const [i, seq] of live.entries()) {
      const start = checkpoint && seq === checkpoint.seq ? checkpoint.offset : 0;
      const seg = await this.recoverSegment(seq, start, i === live.length - 1);
      this.segments.push(seg);
      this.undrainedRecords += seg.records;
      this.undrainedBytes += seg.size - Math.min(start, seg.size);
      if (i === 0) this.head = { seq, offset: Math.min(start, seg.size) };
    }
    if (live.length === 0 && checkpoint) this.head = checkpoint;
    this.log.info(
      { dir: this.dir, segments: this.segments.length, records: this.undrainedRecords, bytes: this.undrainedBytes },
      'spool opened',
    );
  }

  private async readCheckpoint(): Promise<{ seq: number; offset: number } | null> {
    const file = path.join(this.dir, HEAD_FILE);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    try {
      const parsed = JSON.parse(text) as { segment?: unknown; offset?: unknown };
      const { segment, offset } = parsed;
      if (
        Number.isSafeInteger(segment) &&
        Number.isSafeInteger(offset) &&
        (segment as number) >= 0 &&
        (offset as number) >= 0
      )
        return { seq: segment as number, offset: offset as number };
    } catch {
      // fall through
    }
    this.log.warn({ file, text: text.slice(0, 200) }, 'spool: unreadable head checkpoint; replaying every segment');
    return null;
  }

  /** Checks every record of a segment from `start`; cuts a torn tail, sets a damaged segment aside and rewrites it. */
  private async recoverSegment(seq: number, start: number, isLast: boolean): Promise<Segment> {
    const file = segmentPath(this.dir, seq);
    const buf = await readFile(file);
    if (start > buf.length) {
      this.log.warn({ file, offset: start, size: buf.length }, 'spool: head checkpoint beyond the end of its segment');
      start = buf.length;
    }
    const { frames, bad } = scanFrames(buf, start);
    const seg: Segment = { seq, file, size: buf.length, records: frames.length, sealed: true };
    const first = bad[0];
    if (!first) return seg;

    if (isLast && bad.length === 1 && first.end === buf.length) {
      // A crash mid-write: the record was never acknowledged. Cut it off.
      this.log.warn(
        { file, offset: first.offset, bytes: buf.length - first.offset, reason: first.reason },
        'spool: torn record at the end of the newest segment (crash mid-write); truncated',
      );
      const fh = await open(file, 'r+');
      try {
        await fh.truncate(first.offset);
        await fh.sync();
      } finally {
        await fh.close();
      }
      this.counters.tornTails++;
      seg.size = first.offset;
      return seg;
    }

    for (const region of bad) {
      this.log.error(
        { file, offset: region.offset, end: region.end, bytes: region.end - region.offset, reason: region.reason },
        'spool: CORRUPT data in a segment: record(s) lost; segment moved aside to .corrupt, readable records kept',
      );
      this.counters.corruptRegions++;
    }
    // Keep everything before the first damage byte for byte (so the checkpoint offset stays valid) and every readable
    // record after it. Crash-safe: the rewrite is complete and synced before the damaged file is renamed away.
    const parts = [buf.subarray(0, first.offset)];
    for (const f of frames) if (f.offset > first.offset) parts.push(buf.subarray(f.offset, f.offset + f.length));
    const rewritten = Buffer.concat(parts);
    const salvage = file + '.salvage';
    const fh = await open(salvage, 'w');
    try {
      await writeFully(fh, rewritten, 0);
      await fh.sync();
    } finally {
      await fh.close();
    }
    const aside = await this.freeCorruptName(file);
    await rename(file, aside);
    await rename(salvage, file);
    await syncDir(this.dir);
    this.log.error({ file, movedTo: aside }, 'spool: damaged segment moved aside');
    seg.size = rewritten.length;
    return seg;
  }

  private async freeCorruptName(file: string): Promise<string> {
    const names = new Set(await readdir(this.dir));
    for (let n = 0; ; n++) {
      const candidate = `${file}.corrupt${n === 0 ? '' : `.${n}`}`;
      if (!names.has(path.basename(candidate))) return candidate;
    }
  }

  // ---- writing ------------------------------------------------------------------------------------------------------

  private async runWriter(): Promise<void> {
    try {
      while (this.queue.length > 0) await this.writeGroup();
    } finally {
      this.writing = false;
    }
  }

  /** Writes the longest run of queued records that fits the current segment: one write, one fdatasync. */
  private async writeGroup(): Promise<void> {
    const first = this.queue[0];
    if (!first) return;
    let active = this.active;
    if (active && active.seg.size > 0 && active.seg.size + first.frame.length > this.segmentBytes) {
      await this.sealActive();
      active = null;
    }
    if (!active) {
      try {
        active = await this.createSegment();
      } catch (err) {
        this.log.error({ dir: this.dir, err }, 'spool: could not create a segment');
        this.settle([this.queue.shift() ?? first], err);
        return;
      }
    }

    const group: PendingAppend[] = [];
    let bytes = 0;
    for (let next = this.queue[0]; next; next = this.queue[0]) {
      if (group.length > 0 && active.seg.size + bytes + next.frame.length > this.segmentBytes) break;
      group.push(next);
      this.queue.shift();
      bytes += next.frame.length;
    }
    const data =
      group.length === 1
        ? first.frame
        : Buffer.concat(
            group.map((p) => p.frame),
            bytes,
          );
    const at = active.seg.size;
    try {
      this.counters.writes += await writeFully(active.fh, data, at);
      await active.fh.datasync();
      this.counters.syncs++;
    } catch (err) {
      // Whatever reached the file past `at` is not acknowledged; cut it off (best effort) and start a fresh segment
      // for the next append, as the state of this one's pages is unknown after a failed fsync.
      this.log.error({ file: active.seg.file, offset: at, bytes, err }, 'spool: append failed');
      await active.fh.truncate(at).catch(() => undefined);
      await this.sealActive();
      this.settle(group, err);
      return;
    }
    active.seg.size += bytes;
    active.seg.records += group.length;
    this.undrainedBytes += bytes;
    this.undrainedRecords += group.length;
    this.counters.appends += group.length;
    this.settle(group, null);
  }

  private settle(group: PendingAppend[], err: unknown): void {
    for (const p of group) {
      this.reservedBytes -= p.frame.length;
      this.pendingAppends--;
      if (err === null) p.resolve();
      else p.reject(err);
    }
  }

  private async createSegment(): Promise<{ seg: Segment; fh: FileHandle }> {
    const seq = this.nextSeq++;
    const file = segmentPath(this.dir, seq);
    const fh = await open(file, 'wx');
    try {
      await syncDir(this.dir);
    } catch (err) {
      await fh.close().catch(() => undefined);
      await rm(file, { force: true });
      throw err;
    }
    const seg: Segment = { seq, file, size: 0, records: 0, sealed: false };
    this.segments.push(seg);
    if (this.segments.length === 1) this.head = { seq, offset: 0 };
    this.active = { seg, fh };
    this.counters.segmentsCreated++;
    return this.active;
  }

  private async sealActive(): Promise<void> {
    const active = this.active;
    if (!active) return;
    this.active = null;
    active.seg.sealed = true;
    await active.fh
      .close()
      .catch((err: unknown) => this.log.warn({ file: active.seg.file, err }, 'spool: close failed'));
  }

  // ---- draining -----------------------------------------------------------------------------------------------------

  private async runDrain(handler: (record: T) => Promise<void>): Promise<number> {
    let drained = 0;
    let sinceCheckpoint = 0;
    while (!this.closed) {
      await this.dropDrainedSegments();
      const seg = this.segments[0];
      if (!seg || this.head.offset >= seg.size) break;
      const offset = this.head.offset;
      const read = await this.readRecord(seg, offset);
      if ('bad' in read) {
        await this.skipDamaged(seg, offset, read.bad);
        continue;
      }
      try {
        await handler(read.value);
      } catch {
        break;
      }
      this.head = { seq: seg.seq, offset: offset + read.bytes };
      this.headDirty = true;
      seg.records--;
      this.undrainedRecords--;
      this.undrainedBytes -= read.bytes;
      this.counters.drained++;
      drained++;
      if (++sinceCheckpoint >= this.checkpointEvery) {
        await this.writeCheckpoint();
        sinceCheckpoint = 0;
      }
    }
    await this.retireIfDrained();
    if (this.headDirty) await this.writeCheckpoint();
    return drained;
  }

  private async readRecord(seg: Segment, offset: number): Promise<ReadResult<T>> {
    if (this.reader?.seq !== seg.seq) {
      await this.reader?.fh.close().catch(() => undefined);
      this.reader = null;
      this.reader = { seq: seg.seq, fh: await open(seg.file, 'r') };
    }
    const { fh } = this.reader;
    const header = Buffer.alloc(HEADER_BYTES);
    if (seg.size - offset < HEADER_BYTES || !(await readFully(fh, header, offset))) return { bad: 'incomplete header' };
    const length = header.readUInt32LE(0);
    if (length === 0) return { bad: 'zero length' };
    if (length > seg.size - offset - HEADER_BYTES) return { bad: 'length beyond the end of the segment' };
    const payload = Buffer.allocUnsafe(length);
    if (!(await readFully(fh, payload, offset + HEADER_BYTES))) return { bad: 'unexpected end of file' };
    if (crc32(payload) !== header.readUInt32LE(4)) return { bad: 'checksum mismatch' };
    try {
      return { value: JSON.parse(payload.toString('utf8')) as T, bytes: HEADER_BYTES + length };
    } catch {
      return { bad: 'not JSON' };
    }
  }

  /** A record that was sound when written or at open no longer is: log it, keep a copy, skip to the next good one. */
  private async skipDamaged(seg: Segment, offset: number, reason: string): Promise<void> {
    const size = seg.size;
    const records = seg.records;
    const buf = (await readFile(seg.file)).subarray(0, size);
    const next = resync(buf, offset);
    const left = scanFrames(buf, next).frames.length;
    let copy: string | null = null;
    try {
      copy = await this.freeCorruptName(seg.file);
      await copyFile(seg.file, copy);
    } catch (err) {
      this.log.warn({ file: seg.file, err }, 'spool: could not copy a damaged segment aside');
    }
    this.log.error(
      { file: seg.file, offset, end: next, bytes: next - offset, reason, copy },
      'spool: CORRUPT data found while draining: record(s) lost; skipped to the next readable record',
    );
    this.counters.corruptRegions++;
    // Appends may have landed in this segment meanwhile: only the part read above is recounted.
    const lost = records - left;
    seg.records -= lost;
    this.undrainedRecords -= lost;
    this.undrainedBytes -= next - offset;
    this.head = { seq: seg.seq, offset: next };
    this.headDirty = true;
  }

  /** Deletes fully drained segments that are no longer written to. */
  private async dropDrainedSegments(): Promise<void> {
    for (let seg = this.segments[0]; seg; seg = this.segments[0]) {
      if (!seg.sealed || this.head.offset < seg.size) return;
      this.segments.shift();
      if (this.reader?.seq === seg.seq) {
        const { fh } = this.reader;
        this.reader = null;
        await fh.close().catch(() => undefined);
      }
      await rm(seg.file, { force: true });
      const next = this.segments[0];
      // With no next segment the head stays at the end of this one: a checkpoint naming a missing segment is valid.
      if (next) {
        this.head = { seq: next.seq, offset: 0 };
        this.headDirty = true;
      }
    }
  }

  /** Everything ever appended is drained: close the current segment (the next append starts a new one) and delete it. */
  private async retireIfDrained(): Promise<void> {
    const active = this.active;
    if (!active || this.writing || this.queue.length > 0) return;
    if (this.segments.length !== 1 || this.segments[0] !== active.seg || this.head.offset < active.seg.size) return;
    await this.sealActive();
    await this.dropDrainedSegments();
  }

  private async writeCheckpoint(): Promise<void> {
    const body = `${JSON.stringify({ segment: this.head.seq, offset: this.head.offset })}\n`;
    this.headDirty = false;
    const tmp = path.join(this.dir, HEAD_TMP_FILE);
    try {
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(body);
        await fh.sync();
      } finally {
        await fh.close();
      }
      // No directory fsync: if the rename is lost in a power cut, the older checkpoint only replays more records.
      await rename(tmp, path.join(this.dir, HEAD_FILE));
    } catch (err) {
      this.headDirty = true;
      throw err;
    }
    this.counters.checkpoints++;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    await this.draining?.catch(() => 0);
    while (this.writing) await this.writerDone;
    await this.sealActive();
    await this.dropDrainedSegments();
    if (this.headDirty) await this.writeCheckpoint();
    if (this.reader) {
      const { fh } = this.reader;
      this.reader = null;
      await fh.close();
    }
    await syncDir(this.dir);
  }
}

// ---- framing ----------------------------------------------------------------------------------------------------------

function segmentPath(dir: string, seq: number): string {
  return path.join(dir, `spool-${String(seq).padStart(16, '0')}.log`);
}

function encodeFrame(record: unknown): Buffer {
  const json: unknown = JSON.stringify(record);
  if (typeof json !== 'string') throw new TypeError('spool records must be JSON values');
  const length = Buffer.byteLength(json, 'utf8');
  if (length > MAX_PAYLOAD_BYTES) throw new RangeError(`spool record too large (${length} bytes)`);
  const frame = Buffer.allocUnsafe(HEADER_BYTES + length);
  frame.write(json, HEADER_BYTES, 'utf8');
  frame.writeUInt32LE(length, 0);
  frame.writeUInt32LE(crc32(frame.subarray(HEADER_BYTES)), 4);
  return frame;
}

/** The whole frame's length if a sound record starts at `pos`, else why not. */
function frameAt(buf: Buffer, pos: number): number | string {
  if (buf.length - pos < HEADER_BYTES) return 'incomplete header';
  const length = buf.readUInt32LE(pos);
  if (length === 0) return 'zero length';
  if (length > buf.length - pos - HEADER_BYTES) return 'length beyond the end of the segment';
  const payload = buf.subarray(pos + HEADER_BYTES, pos + HEADER_BYTES + length);
  return crc32(payload) === buf.readUInt32LE(pos + 4) ? HEADER_BYTES + length : 'checksum mismatch';
}

interface Scan {
  frames: { offset: number; length: number }[];
  /** Damaged regions [offset, end): `end` is the next sound record, or the end of the buffer. */
  bad: { offset: number; end: number; reason: string }[];
}

function scanFrames(buf: Buffer, start: number): Scan {
  const scan: Scan = { frames: [], bad: [] };
  let pos = start;
  while (pos < buf.length) {
    const r = frameAt(buf, pos);
    if (typeof r === 'number') {
      scan.frames.push({ offset: pos, length: r });
      pos += r;
    } else {
      const end = resync(buf, pos);
      scan.bad.push({ offset: pos, end, reason: r });
      pos = end;
    }
  }
  return scan;
}

/**
 * The first offset after the damaged record at `from` where a sound record starts (checksum and JSON both valid), or
 * the buffer's end. JSON text holds no NUL bytes, so inside a payload a plausible length (≤ the rest of the buffer)
 * is rare and the checksum is seldom even computed.
 */
function resync(buf: Buffer, from: number): number {
  for (let q = from + 1; q + HEADER_BYTES < buf.length; q++) {
    const length = buf.readUInt32LE(q);
    if (length === 0 || length > buf.length - q - HEADER_BYTES) continue;
    const payload = buf.subarray(q + HEADER_BYTES, q + HEADER_BYTES + length);
    if (crc32(payload) !== buf.readUInt32LE(q + 4)) continue;
    try {
      JSON.parse(payload.toString('utf8'));
      return q;
    } catch {
      // not a record after all
    }
  }
  return buf.length;
}

// ---- fs helpers -------------------------------------------------------------------------------------------------------

/** Writes all of `buf` at `position`; returns how many write calls it took (one, short of a short write). */
async function writeFully(fh: FileHandle, buf: Buffer, position: number): Promise<number> {
  let done = 0;
  let calls = 0;
  while (done < buf.length) {
    const { bytesWritten } = await fh.write(buf, done, buf.length - done, position + done);
    calls++;
    if (bytesWritten <= 0) throw new Error('spool: write made no progress');
    done += bytesWritten;
  }
  return calls;
}

async function readFully(fh: FileHandle, buf: Buffer, position: number): Promise<boolean> {
  let done = 0;
  while (done < buf.length) {
    const { bytesRead } = await fh.read(buf, done, buf.length - done, position + done);
    if (bytesRead === 0) return false;
    done += bytesRead;
  }
  return true;
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
