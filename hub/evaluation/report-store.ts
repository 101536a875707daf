// 报告存档 the monthly reports as stored on the first day of the next month (HTML, and the PDF or why there is none).
import type pg from 'pg';
import { EvaluationError } from './errors.js';

type Queryable = Pick<pg.Pool, 'query'>;

export interface StoredReportInfo {
  month: string;
  generatedAt: Date;
  htmlBytes: number;
  pdfBytes: number | null;
  pdfError: string | null;
}

export async function storeReport(
  db: Queryable,
  r: { month: string; generatedAt: Date; html: string; pdf: Buffer | null; pdfError: string | null },
): Promise<void> {
  await db.query(
    `INSERT INTO evaluation_reports (month, generated_at, html, pdf, pdf_error) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (month) DO UPDATE SET generated_at = EXCLUDED.generated_at, html = EXCLUDED.html, pdf = EXCLUDED.pdf,
       pdf_error = EXCLUDED.pdf_error`,
    [r.month, r.generatedAt, r.html, r.pdf, r.pdf === null ? (r.pdfError ?? 'no PDF') : null],
  );
}

export async function hasReport(db: Queryable, month: string): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM evaluation_reports WHERE month = $1', [month]);
  return (rowCount ?? 0) > 0;
}

export async function listReports(db: Queryable): Promise<StoredReportInfo[]> {
  const { rows } = await db.query<{
    month: string;
    generated_at: Date;
    html_bytes: number;
    pdf_bytes: number | null;
    pdf_error: string | null;
  }>(
    `SELECT month, generated_at, octet_length(html) AS html_bytes, octet_length(pdf) AS pdf_bytes, pdf_error
       FROM evaluation_reports ORDER BY month DESC`,
  );
  return rows.map((r) => ({
    month: r.month,
    generatedAt: r.generated_at,
    htmlBytes: r.html_bytes,
    pdfBytes: r.pdf_bytes,
    pdfError: r.pdf_error,
  }));
}

export async function storedReport(db: Queryable, month: string, format: 'html' | 'pdf'): Promise<string | Buffer> {
  const { rows } = await db.query<{ html: string; pdf: Buffer | null; pdf_error: string | null }>(
    'SELECT html, pdf, pdf_error FROM evaluation_reports WHERE month = $1',
    [month],
  );
  const row = rows[0];
  if (!row) throw new EvaluationError('ReportNotFound', `no stored report for ${month}`);
  if (format === 'html') return row.html;
  if (!row.pdf)
    throw new EvaluationError('ReportNotFound', `the report of ${month} was stored without a PDF: ${row.pdf_error}`);
  return row.pdf;
}
