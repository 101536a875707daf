// Prints the closing line "N passed, N failed" (", N skipped" when any) from vitest's JSON report, so a run that
// executed no test is visible. Exits 1 when the report is missing or counts no test at all.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'test-artifacts/vitest.json';
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (err) {
  console.error(`test-summary: no vitest JSON report at ${file}: ${err.message}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const passed = report.numPassedTests ?? 0;
const failed = report.numFailedTests ?? 0;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
const suitesFailed = report.numFailedTestSuites ?? 0;
// A test file that fails to load has no failed test in it; count it so the line never reads green.
const failedTotal = failed + (failed === 0 && suitesFailed > 0 ? suitesFailed : 0);
console.log(`${passed} passed, ${failedTotal} failed${skipped ? `, ${skipped} skipped` : ''}`);
if (passed + failedTotal === 0) process.exit(1);
