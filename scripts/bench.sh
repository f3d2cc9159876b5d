#!/usr/bin/env bash
# Every benchmark against its peer tools, same machine, same run. Figures go to stdout;
# docs/PERFORMANCE.md records a run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-libvirtd.sh
export LIBGUESTFS_BACKEND="${LIBGUESTFS_BACKEND:-direct}"
for b in bench/binding.bench.ts bench/template.bench.ts bench/seal.bench.ts bench/streams.bench.ts bench/fleet.bench.ts; do
  [ -f "$b" ] || continue
  echo "== $b"
  npx tsx --import ./scripts/text-hooks.mjs "$b"
done
