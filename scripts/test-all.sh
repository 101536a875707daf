#!/usr/bin/env bash
# test-all.sh — the whole test suite, as on a fresh machine (README's test command; .ci/run calls exactly this):
# installs what the tests need, builds the product, checks types, lint and format, runs every vitest test against the
# real parts (TimescaleDB cluster, aedes over TCP, headless Chromium), and ends with the line "N passed, N failed".
# SKIP_INSTALL=1 skips the apt/TimescaleDB step and `npm ci` (for a developer's repeated runs).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${SKIP_INSTALL:-0}" != "1" ]; then
  bash scripts/install-test-deps.sh
  npm ci --no-audit --no-fund
fi

npm run build
npm run typecheck
npm run lint
npm run format:check

mkdir -p test-artifacts
rm -f test-artifacts/vitest.json
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=test-artifacts/vitest.json "$@" || status=$?
node scripts/test-summary.mjs test-artifacts/vitest.json || status=1
exit "$status"
