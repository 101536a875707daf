// 巡查覆盖记录 storing the collectors' patrol coverage per shift: the cell-coverage detection rule judges each shift in
// memory (ingest/rules/cell-coverage.ts); the hub drains those records now and then and keeps them here, where the
// collector evaluation reads them (巡查覆盖率). A record that cannot be stored yet waits for the next flush (bounded).
import type pg from 'pg';
import type { CoverageRecord } from '../../ingest/rules/cell-coverage.js';

export interface RuleCoverage {
  ruleId: string;
  record: CoverageRecord;
}

const MAX_WAITING = 50_000;

/** Inserts the records; a record already stored (same rule, device and shift start) is left as it is. */
export async function storeCoverage(db: Pick<pg.Pool, 'query'>, records: readonly RuleCoverage[]): Promise<number> {
  if (records.length === 0) return 0;
  const { rowCount } = await db.query(
    `INSERT INTO collector_coverage (rule_id, device_id, shift_start, shift_end, assigned, visited, pct)
     SELECT r.rule_id, r.device_id, r.shift_start, r.shift_end,
            ARRAY(SELECT jsonb_array_elements_text(r.assigned)), ARRAY(SELECT jsonb_array_elements_text(r.visited)), r.pct
       FROM jsonb_to_recordset($1::jsonb) AS r(rule_id text, device_id text, shift_start timestamptz,
                                               shift_end timestamptz, assigned jsonb, visited jsonb, pct float8)
     ON CONFLICT (rule_id, device_id, shift_start) DO NOTHING`,
    [
      JSON.stringify(
        records.map(({ ruleId, record: r }) => ({
          rule_id: ruleId,
          device_id: r.deviceId,
          shift_start: new Date(r.shiftStartMs).toISOString(),
          shift_end: new Date(r.shiftEndMs).toISOString(),
          assigned: r.assigned,
          visited: r.visited,
          pct: Math.min(100, Math.max(0, r.pct)),
        })),
      ),
    ],
  );
  return rowCount ?? 0;
}

/** Moves coverage records from the detection rules to the database. */
export class CoverageSink {
  private waiting: RuleCoverage[] = [];

  constructor(
    private readonly pool: pg.Pool,
    private readonly drain: () => RuleCoverage[],
  ) {}

  /** Stores what the rules judged since the last flush; on failure keeps it for the next one and rethrows. */
  async flush(): Promise<number> {
    this.waiting.push(...this.drain());
    if (this.waiting.length > MAX_WAITING) this.waiting.splice(0, this.waiting.length - MAX_WAITING);
    const batch = this.waiting;
    this.waiting = [];
    try {
      return await storeCoverage(this.pool, batch);
    } catch (err) {
      this.waiting = [...batch, ...this.waiting];
      throw err;
    }
  }
}
