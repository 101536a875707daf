// 评价后台任务 the evaluation's background work in the hub: every minute it derives the facts of changed cases,
// computes the daily aggregates of days that have ended, stores the collectors' coverage records, and — from the first
// day of a month — stores the previous month's report. Queries do the first two themselves as well, so this only keeps
// them cheap. Failures are logged and retried at the next tick.
import type { Logger } from 'pino';
import type { CoverageSink } from './coverage-store.js';
import { storePreviousMonth } from './monthly-report.js';
import type { PdfRenderer } from './pdf.js';
import type { EvaluationService } from './service.js';

export interface EvaluationSchedulerOptions {
  service: EvaluationService;
  pdf: PdfRenderer;
  coverage?: CoverageSink;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
  intervalMs?: number;
}

export class EvaluationScheduler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly options: EvaluationSchedulerOptions) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.options.intervalMs ?? 60_000);
    this.timer.unref();
    void this.tick();
  }

  /** One round of the background work (never throws; each part logs its own failure). */
  tick(): Promise<void> {
    this.running = this.running.then(() => this.round());
    return this.running;
  }

  private async round(): Promise<void> {
    const { service, log } = this.options;
    const step = async (what: string, work: () => Promise<unknown>) => {
      try {
        return await work();
      } catch (err) {
        log.error({ err, part: what }, 'evaluation background work failed; retried at the next tick');
        return undefined;
      }
    };
    await step('facts', () => service.facts.sync());
    await step('aggregates', () => service.aggregates.refresh(service.now()));
    if (this.options.coverage) await step('coverage', () => this.options.coverage!.flush());
    const stored = await step('monthly report', () => storePreviousMonth(service.pool, service, this.options.pdf));
    if (stored) log.info(stored, 'stored the monthly operations report');
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
