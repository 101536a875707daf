// Durable writes (可靠写入): a batch is durable when the database has committed it or, while the database cannot be
// reached, when the local spool has it on disk (fsynced). The spool is replayed into the database, oldest first, as
// soon as the database answers again; while it holds anything, new batches queue behind it so order is kept.
// Writes are idempotent, so a batch replayed twice (a crash between commit and checkpoint) is stored once.
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Observation } from '../../ingest/observation.js';
import type { Spool } from '../../ingest/pipeline/spool.js';
import { countByType, type Metrics } from '../metrics.js';
import { writeObservations } from './observations.js';

/** Errors that mean "the database is not reachable now", as opposed to "this batch is wrong". */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  const code = e?.code ?? '';
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN'].includes(code)) {
    return true;
  }
  // SQLSTATE classes 08 (connection exception), 57P (operator intervention: shutdown), 53 (insufficient resources).
  if (/^(08|57P|53)/.test(code)) return true;
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|the database system is (starting up|shutting down)/i.test(
    e?.message ?? '',
  );
}

export interface DurableWriterDeps {
  pool: pg.Pool;
  spool: Spool<Observation[]>;
  log: Logger;
  metrics: Metrics;
  /** Called with each batch once it is in the database (live push, last seen…). */
  committed(batch: Observation[]): void;
  /** Where batches the database refuses outright are kept for a person to look at. */
  deadLetterFile: string;
  retryMs?: number;
}

export class DurableWriter {
  private replaying: Promise<void> | null = null;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly deps: DurableWriterDeps) {
    this.timer = setInterval(() => void this.replay(), deps.retryMs ?? 1000);
    this.timer.unref();
    this.updateGauges();
  }

  /** Makes one batch durable; resolves when it is committed or spooled. */
  async write(batch: Observation[]): Promise<void> {
    const { metrics } = this.deps;
    metrics.batchRows.observe(batch.length);
    if (this.deps.spool.isEmpty()) {
      const end = metrics.commitSeconds.startTimer({ target: 'database' });
      try {
        await writeObservations(this.deps.pool, batch);
        end();
        this.stored(batch);
        return;
      } catch (err) {
        if (!isConnectionError(err)) throw err; // a bad batch: the devices are not acked and resend
        this.deps.log.warn({ err: (err as Error).message }, 'database unreachable: spooling to local disk');
      }
    }
    const end = metrics.commitSeconds.startTimer({ target: 'spool' });
    await this.deps.spool.append(batch);
    end();
    this.updateGauges();
    void this.replay();
  }

  /** Replays the spool into the database, oldest first, until it is empty or the database fails again. */
  replay(): Promise<void> {
    if (this.deps.spool.isEmpty()) return Promise.resolve();
    this.replaying ??= this.drain().finally(() => {
      this.replaying = null;
      this.updateGauges();
    });
    return this.replaying;
  }

  private async drain(): Promise<void> {
    const { spool, log } = this.deps;
    const before = spool.depth();
    const drained = await spool
      .drain(async (batch) => {
        try {
          await writeObservations(this.deps.pool, batch);
        } catch (err) {
          if (isConnectionError(err)) throw err; // stop here; retried on the next tick
          // The database refuses this batch itself: keep it aside rather than block everything behind it.
          log.error(
            { err, rows: batch.length },
            'spooled batch refused by the database; moved to the dead-letter file',
          );
          await appendFile(this.deps.deadLetterFile, JSON.stringify(batch) + '\n');
          return;
        }
        this.stored(batch);
      })
      .catch((err: unknown) => {
        log.debug({ err: (err as Error).message }, 'spool replay paused');
        return 0;
      });
    if (drained > 0) {
      log.info({ batches: drained, remaining: spool.depth().records, before: before.records }, 'spool replayed');
    }
  }

  private stored(batch: Observation[]): void {
    countByType(this.deps.metrics.stored, batch);
    this.deps.committed(batch);
  }

  private updateGauges(): void {
    const depth = this.deps.spool.depth();
    this.deps.metrics.spoolBytes.set(depth.bytes);
    this.deps.metrics.spoolRecords.set(depth.records);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.replaying;
  }
}

export const deadLetterPath = (spoolDir: string) => path.join(spoolDir, 'dead-letter.jsonl');
