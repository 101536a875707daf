// 单实例任务 work that must run on exactly one hub process — retention, the evaluation's background rounds (facts,
// daily aggregates, the monthly report), the notification sender: with several processes, the one holding a
// PostgreSQL session-level advisory lock runs it. The lock is held on a connection of its own; when that process dies
// its session ends, PostgreSQL releases the lock, and another process takes it at its next try (every RETRY_MS). TCP
// keep-alives on the lock's session bound how long a vanished machine keeps it (~KEEPALIVE_BOUND_S). A leader that
// loses its lock connection stops the work at once; the jobs are idempotent, so the few seconds two processes may
// overlap after a network split do no harm.
import pg from 'pg';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';

/** Stops what a start began; awaited on demotion and at shutdown. */
export type Stop = () => void | Promise<void>;

export interface Singletons {
  /** Runs `start` while this process leads (now, if it does), and its stop when the lead is lost or the hub stops. */
  run(name: string, start: () => Stop | Promise<Stop>): void;
  isLeader(): boolean;
  close(): Promise<void>;
}

interface Job {
  name: string;
  start: () => Stop | Promise<Stop>;
  stop: Stop | null;
}

/** Runs each job and reports on the gauge; shared by the one-process and the elected variants. */
class Jobs {
  private readonly jobs: Job[] = [];
  /** Starts and stops run one after another, never interleaved. */
  private chain: Promise<void> = Promise.resolve();
  running = false;

  constructor(private readonly log: Logger) {}

  add(name: string, start: () => Stop | Promise<Stop>): void {
    const job: Job = { name, start, stop: null };
    this.jobs.push(job);
    if (this.running) this.enqueue(() => this.startJob(job));
  }

  startAll(): Promise<void> {
    this.running = true;
    return this.enqueue(async () => {
      for (const job of this.jobs) await this.startJob(job);
    });
  }

  stopAll(): Promise<void> {
    this.running = false;
    return this.enqueue(async () => {
      for (const job of [...this.jobs].reverse()) {
        const stop = job.stop;
        job.stop = null;
        try {
          await stop?.();
        } catch (err) {
          this.log.error({ err, job: job.name }, 'singleton work did not stop cleanly');
        }
      }
    });
  }

  get names(): string[] {
    return this.jobs.map((j) => j.name);
  }

  private async startJob(job: Job): Promise<void> {
    if (!this.running || job.stop) return;
    try {
      job.stop = await job.start();
    } catch (err) {
      this.log.error({ err, job: job.name }, 'singleton work failed to start; retried at the next election');
    }
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    this.chain = this.chain.then(step, step);
    return this.chain;
  }
}

function leaderGauge(registry: Registry | undefined): Gauge | null {
  if (!registry) return null;
  return new Gauge({
    name: 'cityhub_singleton_leader',
    help: 'Whether this hub process runs the work that must run once (retention, evaluation, notifications): 1 or 0',
    registers: [registry],
  });
}

/** One hub process: it runs everything, always. */
export class OneProcess implements Singletons {
  private readonly jobs: Jobs;

  constructor(log: Logger, registry?: Registry) {
    this.jobs = new Jobs(log);
    leaderGauge(registry)?.set(1);
    void this.jobs.startAll();
  }

  run(name: string, start: () => Stop | Promise<Stop>): void {
    this.jobs.add(name, start);
  }

  isLeader(): boolean {
    return true;
  }

  close(): Promise<void> {
    return this.jobs.stopAll();
  }
}

/** The advisory lock's key: one for all singleton work ("cityhub:singletons"). */
export const SINGLETON_LOCK_KEY = '7234920611029457921';
export const RETRY_MS = 2000;
/** Keep-alive idle + interval × count: how long PostgreSQL waits on a silent peer before ending its session. */
const KEEPALIVE = { idleS: 10, intervalS: 5, count: 3 };
export const KEEPALIVE_BOUND_S = KEEPALIVE.idleS + KEEPALIVE.intervalS * KEEPALIVE.count;

export interface ElectionOptions {
  databaseUrl: string;
  instanceId: string;
  log: Logger;
  registry?: Registry;
  retryMs?: number;
  /** Called when this process starts or stops leading (e.g. for other per-leader duties). */
  onChange?: (leading: boolean) => void;
}

/** Several hub processes: the one holding the advisory lock runs the jobs. */
export class AdvisoryLockElection implements Singletons {
  private readonly jobs: Jobs;
  private readonly gauge: Gauge | null;
  private client: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private leading = false;
  private closed = false;
  private round: Promise<void> = Promise.resolve();

  constructor(private readonly options: ElectionOptions) {
    this.jobs = new Jobs(options.log);
    this.gauge = leaderGauge(options.registry);
    this.gauge?.set(0);
  }

  /** Tries at once, then every retryMs. */
  start(): Promise<void> {
    const tick = () => {
      this.round = this.round.then(() => this.attempt());
      return this.round;
    };
    this.timer = setInterval(() => void tick(), this.options.retryMs ?? RETRY_MS);
    this.timer.unref();
    return tick();
  }

  run(name: string, start: () => Stop | Promise<Stop>): void {
    this.jobs.add(name, start);
  }

  isLeader(): boolean {
    return this.leading;
  }

  private async attempt(): Promise<void> {
    if (this.closed) return;
    try {
      if (!this.client) this.client = await this.connect();
      if (this.leading) {
        // Still holding it: the session is alive (a dead one would fail this, or have ended with an 'error').
        await this.client.query('SELECT 1');
        return;
      }
      const { rows } = await this.client.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock($1::bigint) AS locked',
        [SINGLETON_LOCK_KEY],
      );
      if (rows[0]?.locked) await this.lead();
    } catch (err) {
      this.options.log.warn({ err: (err as Error).message }, 'singleton lock connection failed');
      await this.lose('the lock connection failed');
    }
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.options.databaseUrl,
      application_name: `cityhub-leader:${this.options.instanceId}`.slice(0, 63),
      keepAlive: true,
      statement_timeout: 10_000,
    });
    client.on('error', (err) => {
      this.options.log.warn({ err: err.message }, 'singleton lock connection lost');
      void this.lose('the lock connection was lost');
    });
    await client.connect();
    // The server side of the keep-alive: how soon PostgreSQL ends the session (and frees the lock) of a vanished host.
    await client.query(
      `SELECT set_config('tcp_keepalives_idle', $1, false), set_config('tcp_keepalives_interval', $2, false),
              set_config('tcp_keepalives_count', $3, false)`,
      [String(KEEPALIVE.idleS), String(KEEPALIVE.intervalS), String(KEEPALIVE.count)],
    );
    return client;
  }

  private async lead(): Promise<void> {
    this.leading = true;
    this.gauge?.set(1);
    this.options.log.info(
      { instance: this.options.instanceId, jobs: this.jobs.names },
      'singleton work: this process leads now',
    );
    this.options.onChange?.(true);
    await this.jobs.startAll();
  }

  private async lose(why: string): Promise<void> {
    const client = this.client;
    this.client = null;
    void client?.end().catch(() => undefined);
    if (!this.leading) return;
    this.leading = false;
    this.gauge?.set(0);
    this.options.log.warn({ instance: this.options.instanceId, why }, 'singleton work: lead lost; stopping it here');
    this.options.onChange?.(false);
    await this.jobs.stopAll();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.round;
    await this.jobs.stopAll();
    const client = this.client;
    this.client = null;
    this.leading = false;
    this.gauge?.set(0);
    // Ending the session frees the lock at once: another process takes over at its next try.
    await client?.end().catch(() => undefined);
  }
}
