// 监督员上报立卷 collector report intake: reports that handhelds sent over MQTT (stored in collector_reports, acknowledged
// once durable) become case reports in the acceptance queue, with their photos. A scan of reports without a case does
// it, so nothing is lost between storing a report and making its case (a crash, a restart, a database outage); the
// intake row is written in the case's own transaction, so each report becomes one case, whichever hub gets there first.
import type pg from 'pg';
import type { Logger } from 'pino';
import { withTransaction } from '../db/pool.js';
import { CaseError, type CaseChange, type CaseService, type NewReport, type Recorder } from './case-service.js';

interface PendingReport {
  device_id: string;
  report_id: string;
  time: Date;
  lat: number;
  lon: number;
  category_code: string;
  description: string;
  address: string | null;
  photo_ids: string[];
  device_name: string | null;
  user_id: string | null;
  user_name: string | null;
}

/** `component:0101`, `event:0110`, `0101`, or 6 digits `010101` whose first 4 are the class. */
export function classRefOf(categoryCode: string): string {
  const m = /^((?:component|event):)?(\d{4})(\d{2})?$/.exec(categoryCode);
  return m ? `${m[1] ?? ''}${m[2]}` : categoryCode;
}

export interface IntakeResult {
  created: number;
  refused: number;
}

export class ReportIntake {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private again = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly cases: CaseService,
    private readonly log: Logger,
    private readonly intervalMs = 5000,
  ) {}

  /** Scans now and every intervalMs (a safety net: `nudge()` after each stored batch with reports is the fast path). */
  start(): void {
    const tick = () => {
      this.nudge();
      this.timer = setTimeout(tick, this.intervalMs);
      this.timer.unref();
    };
    tick();
  }

  /** Runs a scan soon; scans never overlap. */
  nudge(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.runOnce()
      .catch((err: Error) => this.log.warn({ err: err.message }, 'collector report intake failed; retrying'))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.nudge();
        }
      });
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Turns every stored report without a case into one (or records why it cannot be one). */
  async runOnce(batch = 100): Promise<IntakeResult> {
    const result: IntakeResult = { created: 0, refused: 0 };
    for (;;) {
      // The collector who reported it: the enabled collector user with the device's staff number (工号), if any.
      const { rows } = await this.pool.query<PendingReport>(
        `SELECT r.device_id, r.report_id, r.time, r.lat, r.lon, r.category_code, r.description, r.address,
                r.photo_ids::text[] AS photo_ids, d.name AS device_name, u.id AS user_id, u.name AS user_name
           FROM collector_reports r
           LEFT JOIN collector_report_cases i ON i.device_id = r.device_id AND i.report_id = r.report_id
           LEFT JOIN devices d ON d.id = r.device_id
           LEFT JOIN LATERAL (SELECT id, name FROM users
                               WHERE staff_id = d.staff_id AND enabled AND 'collector' = ANY (roles)
                               ORDER BY id LIMIT 1) u ON true
          WHERE i.device_id IS NULL
          ORDER BY r.received_at, r.device_id, r.report_id
          LIMIT $1`,
        [batch],
      );
      for (const r of rows) {
        if (await this.take(r)) result.created++;
        else result.refused++;
      }
      if (rows.length < batch) return result;
    }
  }

  /** One report → one case; false when it was refused (and recorded) or another hub took it. */
  private async take(r: PendingReport): Promise<boolean> {
    const who: Recorder = r.user_id
      ? { id: r.user_id, name: r.user_name ?? r.user_id, role: 'collector' }
      : { id: `device:${r.device_id}`, name: r.device_name ?? r.device_id, role: 'collector' };
    const input: NewReport = {
      source: 'collector',
      classCode: classRefOf(r.category_code),
      lon: r.lon,
      lat: r.lat,
      description: r.description,
      address: r.address,
      attachments: r.photo_ids,
    };
    let change: CaseChange | null;
    try {
      // The class first, through the pool, before the transaction takes its connection (CaseService.insertReport).
      const cls = await this.cases.reportClass(input);
      change = await withTransaction(this.pool, async (client) => {
        // Claims the report first: a second hub scanning at the same moment waits here, then finds it taken.
        const claim = await client.query(
          `INSERT INTO collector_report_cases (device_id, report_id, error) VALUES ($1, $2, 'in progress')
           ON CONFLICT DO NOTHING`,
          [r.device_id, r.report_id],
        );
        if (claim.rowCount === 0) return null;
        const { record, change } = await this.cases.insertReport(client, input, cls, who, r.user_id, {
          deviceId: r.device_id,
          reportId: r.report_id,
          reportTime: r.time.toISOString(),
          categoryCode: r.category_code,
        });
        await client.query(
          `UPDATE collector_report_cases SET case_id = $3, error = NULL WHERE device_id = $1 AND report_id = $2`,
          [r.device_id, r.report_id, record.id],
        );
        return change;
      });
    } catch (err) {
      if (!(err instanceof CaseError)) throw err;
      // Not a case this catalogue can take (unknown or ambiguous class): recorded with the reason, never guessed.
      await this.pool.query(
        `INSERT INTO collector_report_cases (device_id, report_id, error) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
        [r.device_id, r.report_id, err.message],
      );
      this.log.warn(
        { deviceId: r.device_id, reportId: r.report_id, categoryCode: r.category_code, err: err.message },
        'collector report refused as a case',
      );
      return false;
    }
    if (!change) return false;
    this.cases.emit(change);
    return true;
  }
}
