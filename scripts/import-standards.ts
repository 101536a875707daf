// 立案/处置/结案标准导入工具 import a city's filing / handling / closing standard from a CSV file into the hub's database,
// the same import as `POST /api/catalogue/standards/import`: a progress bar on stderr, the warnings and errors on
// stdout, exit code 1 when the file was rejected.
//   npx tsx scripts/import-standards.ts <file.csv> --kind component|event [--database-url <url>] [--dry-run]
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { ClassKind } from '../hub/cases/ports.js';
import { seedDefaultCatalogue } from '../hub/catalogue/catalogue.js';
import { CLASS_KINDS } from '../hub/catalogue/classes.js';
import { importStandards, type StandardsImportResult } from '../hub/catalogue/standards.js';
import type { StandardIssue } from '../hub/catalogue/standards-csv.js';
import { decodeCsvBytes } from '../hub/csv.js';

const USAGE =
  'usage: npx tsx scripts/import-standards.ts <file.csv> --kind component|event [--database-url <url>] [--dry-run]\n' +
  '       (the database URL may also come from DATABASE_URL)';

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function progressBar(done: number, total: number): string {
  const width = 30;
  const filled = total ? Math.round((done / total) * width) : width;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} classes`;
}

const issueLine = (i: StandardIssue) =>
  `  line ${i.row}${i.field ? ` ${i.field}` : ''}${i.code ? ` (${i.code})` : ''}${i.text !== undefined ? ` "${i.text}"` : ''}: ${i.message}`;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function report(result: StandardsImportResult): string {
  const lines = [
    `${result.classes} classes, ${result.situations} situations (${result.kind})` +
      (result.dryRun ? ' — dry run, nothing stored' : result.stored ? ' — stored' : ' — rejected, nothing stored'),
  ];
  if (result.created.length) {
    lines.push(`${result.created.length} classes not in the catalogue, created from the file:`);
    for (const c of result.created)
      lines.push(`  line ${c.row}: ${c.code} ${c.nameZh}${c.majorCreated ? ' (new major class)' : ''}`);
  }
  if (result.warnings.length) {
    lines.push(`${plural(result.warnings.length, 'warning')}:`);
    lines.push(...result.warnings.map(issueLine));
  }
  if (result.errors.length) {
    lines.push(`${plural(result.errors.length, 'error')}:`);
    lines.push(...result.errors.map(issueLine));
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        kind: { type: 'string' },
        'database-url': { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
      },
    });
  } catch (err) {
    fail((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) fail('give exactly one CSV file');
  const kind = values.kind as ClassKind | undefined;
  if (!kind || !(CLASS_KINDS as readonly string[]).includes(kind)) fail('--kind must be component or event');
  const url = values['database-url'] ?? process.env.DATABASE_URL;
  if (!url) fail('no database: pass --database-url or set DATABASE_URL');

  let text: string;
  try {
    text = decodeCsvBytes(await readFile(positionals[0]!), null);
  } catch (err) {
    fail(`cannot read ${positionals[0]}: ${(err as Error).message}`);
  }

  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const tty = process.stderr.isTTY;
  try {
    // As the hub does at start-up, so the report compares with the same catalogue.
    await seedDefaultCatalogue(pool);
    const result = await importStandards(pool, text, kind, {
      dryRun: values['dry-run'],
      onProgress: (done, total) =>
        process.stderr.write(tty ? `\r${progressBar(done, total)}` : `${progressBar(done, total)}\n`),
    });
    if (tty && result.stored) process.stderr.write('\n');
    process.stdout.write(report(result));
    return result.errors.length ? 1 : 0;
  } catch (err) {
    const code = (err as { code?: string }).code;
    process.stderr.write(
      code === '42P01'
        ? 'the catalogue tables are missing: start the hub once against this database so it runs its migrations\n'
        : `import failed: ${(err as Error).message}\n`,
    );
    return 1;
  } finally {
    await pool.end();
  }
}

process.exitCode = await main();
