#!/usr/bin/env bash
# The quick start of the README: set-up, build, then examples/quickstart.ts. Extra args go to it
# (e.g. npm run quickstart -- --keep).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-host.sh
[ -d node_modules/node-addon-api ] || npm ci --ignore-scripts --no-audit --no-fund >/dev/null 2>&1 || npm install --ignore-scripts --no-audit --no-fund >/dev/null
[ -f build/Release/virtkit.node ] && [ -f guestfs-addon/build/Release/virtkit_guestfs.node ] || { echo "[quickstart] building the addons"; bash scripts/build-native.sh; }
export LIBGUESTFS_BACKEND="${LIBGUESTFS_BACKEND:-direct}"
# src/ imports src/firstboot/firstboot.sh as text: scripts/text-hooks.mjs teaches Node that.
exec npx tsx --import ./scripts/text-hooks.mjs examples/quickstart.ts "$@"
