// 报表打印 printing the report page to PDF with Chromium (playwright-core drives it; print to PDF is Chromium's own).
// One browser per report — reports are rare and a long-lived browser would hold memory for nothing. Without Chromium
// (not installed, or playwright-core missing from a slim install) the PDF is refused with PdfUnavailable; the HTML
// does not need it.
import { access, constants } from 'node:fs/promises';
import { EvaluationError } from './errors.js';

export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
];

export interface PdfRenderer {
  /** Throws PdfUnavailable (with the reason) when no PDF can be made here. */
  ensureAvailable(): Promise<void>;
  render(html: string): Promise<Buffer>;
}

export class ChromiumPdf implements PdfRenderer {
  constructor(
    private readonly executablePath: string = DEFAULT_CHROMIUM_PATH,
    private readonly timeoutMs = 60_000,
  ) {}

  async ensureAvailable(): Promise<void> {
    await this.load();
  }

  private async load(): Promise<typeof import('playwright-core').chromium> {
    try {
      await access(this.executablePath, constants.X_OK);
    } catch {
      throw new EvaluationError(
        'PdfUnavailable',
        `no Chromium at ${this.executablePath} (set CHROMIUM_PATH); the HTML report works without it`,
      );
    }
    try {
      return (await import('playwright-core')).chromium;
    } catch {
      throw new EvaluationError('PdfUnavailable', 'playwright-core is not installed; the HTML report works without it');
    }
  }

  async render(html: string): Promise<Buffer> {
    const chromium = await this.load();
    const browser = await chromium.launch({
      executablePath: this.executablePath,
      args: LAUNCH_ARGS,
      timeout: this.timeoutMs,
    });
    try {
      const page = await browser.newPage();
      await page.setContent(html, { waitUntil: 'load', timeout: this.timeoutMs });
      return await page.pdf({
        format: 'A4',
        printBackground: true,
        preferCSSPageSize: true,
        displayHeaderFooter: true,
        headerTemplate: '<span></span>',
        footerTemplate:
          '<div style="font-size:8px;width:100%;text-align:center;color:#6b7280"><span class="pageNumber"></span> / <span class="totalPages"></span></div>',
      });
    } finally {
      await browser.close();
    }
  }
}
