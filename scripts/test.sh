#!/usr/bin/env bash
# The test command of the README: prepares the host, installs, builds, runs every test suite,
# and prints one closing line "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-host.sh
echo "[test] installing npm dependencies"
npm ci --ignore-scripts --no-audit --no-fund >/dev/null 2>&1 || npm install --ignore-scripts --no-audit --no-fund >/dev/null
echo "[test] building the addons"
bash scripts/build-native.sh
echo "[test] type-checking and bundling"
npx tsc --noEmit -p .
npx tsup >/dev/null

export LIBGUESTFS_BACKEND="${LIBGUESTFS_BACKEND:-direct}"
out=$(mktemp -d)
status=0
npx vitest run "$@" --reporter=default --reporter=json --outputFile.json="$out/results.json" || status=$?
node -e '
  const r = require(process.argv[1]);
  const failed = r.numFailedTests, passed = r.numPassedTests, skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
  if (r.numTotalTests === 0) process.exit(1);
' "$out/results.json" || status=1
exit $status
