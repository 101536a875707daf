// 月度运行报告 the monthly operations report (art.37): generated on demand as HTML (and its PDF), and stored once per
// month — on the first day of the next month by the scheduler, or later when the hub was down then.
import type pg from 'pg';
import { EvaluationError } from './errors.js';
import { localMonthOf, monthPeriod, previousMonth } from './period.js';
import type { PdfRenderer } from './pdf.js';
import { monthlyReportData } from './report-data.js';
import { monthlyReportHtml } from './report-html.js';
import { hasReport, storeReport } from './report-store.js';
import type { EvaluationService } from './service.js';

/** A month that has begun (a report of a month to come would be empty and misleading). */
export function checkReportMonth(month: string, nowMs: number): void {
  monthPeriod(month);
  if (month > localMonthOf(nowMs)) {
    throw new EvaluationError('InvalidPeriod', `${month} has not begun (this month is ${localMonthOf(nowMs)})`);
  }
}

export async function monthlyReportPage(service: EvaluationService, month: string): Promise<string> {
  checkReportMonth(month, service.now());
  return monthlyReportHtml(await monthlyReportData(service, month));
}

export async function monthlyReportPdf(service: EvaluationService, pdf: PdfRenderer, month: string): Promise<Buffer> {
  checkReportMonth(month, service.now());
  await pdf.ensureAvailable();
  return pdf.render(await monthlyReportPage(service, month));
}

const LOCK_KEY = 0x6576616c72707431n; // "evalrpt1"

/**
 * Stores the previous month's report unless it is stored already (several hubs: one does it, under an advisory lock).
 * Returns the month stored, or null.
 */
export async function storePreviousMonth(
  pool: pg.Pool,
  service: EvaluationService,
  pdf: PdfRenderer,
): Promise<{ month: string; pdf: boolean } | null> {
  const month = previousMonth(localMonthOf(service.now()));
  if (await hasReport(pool, month)) return null;
  const client = await pool.connect();
  try {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
      LOCK_KEY.toString(),
    ]);
    if (!rows[0]!.locked) return null;
    try {
      if (await hasReport(client, month)) return null;
      const html = await monthlyReportPage(service, month);
      let file: Buffer | null = null;
      let pdfError: string | null = null;
      try {
        file = await pdf.render(html);
      } catch (err) {
        pdfError = (err as Error).message;
      }
      await storeReport(client, { month, generatedAt: new Date(service.now()), html, pdf: file, pdfError });
      return { month, pdf: file !== null };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY.toString()]);
    }
  } finally {
    client.release();
  }
}
