#!/usr/bin/env bash
# The quick start of the README: set-up, build, then examples/quickstart.ts. Extra args go to it
# (e.g. npm run quickstart -- --keep).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-host.sh
[ -d node_modules/node-addon-api ] || npm ci --ignore-scripts --no-audit --no-fund >/dev/null 2>&1 || npm install --ignore-scripts --no-audit --no-fund >/dev/null
[ -f build/Release/virtkit.node ] || { echo "[quickstart] building the addon"; npx node-gyp rebuild -j "$(nproc)" >/tmp/virtkit-build.log 2>&1 || { tail -40 /tmp/virtkit-build.log; exit 1; }; }
export LIBGUESTFS_BACKEND="${LIBGUESTFS_BACKEND:-direct}"
# src/ imports src/firstboot/firstboot.sh as text: scripts/text-hooks.mjs teaches Node that.
exec npx tsx --import ./scripts/text-hooks.mjs examples/quickstart.ts "$@"
