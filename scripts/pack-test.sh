#!/usr/bin/env bash
# Builds the package as published (tsup bundle + N-API prebuild), packs it, and installs the
# tarball into a fresh directory with a plain `npm install` (dependencies from the registry).
# Usage: scripts/pack-test.sh DIR   -> DIR/virtkit-<version>.tgz and DIR/app/node_modules/virtkit
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:?usage: pack-test.sh DIR}"
mkdir -p "$out"

newer() { [ -n "$(find "$@" -newer "$target" -print -quit 2>/dev/null)" ]; }

target=dist/cli.js
if [ ! -f "$target" ] || newer src package.json; then
  echo "[pack-test] bundling (tsup)"
  npx tsup >/dev/null
fi
# The N-API prebuilds: a fresh local build of an addon (newer than every source) is what
# prebuildify would build again (same binding.gyp, same compiler), so it is stripped and copied
# (saves two full rebuilds); otherwise prebuildify builds both.
fresh() { [ -f "$1" ] && [ -z "$(find native binding.gyp guestfs-addon/binding.gyp -newer "$1" -print -quit)" ]; }
if fresh build/Release/virtkit.node && fresh guestfs-addon/build/Release/virtkit_guestfs.node; then
  echo "[pack-test] prebuilds from the fresh local builds"
  mkdir -p prebuilds/linux-x64 guestfs-addon/prebuilds/linux-x64
  strip --strip-all -o prebuilds/linux-x64/virtkit.node build/Release/virtkit.node
  strip --strip-all -o guestfs-addon/prebuilds/linux-x64/virtkit_guestfs.node guestfs-addon/build/Release/virtkit_guestfs.node
else
  echo "[pack-test] building the N-API prebuilds (prebuildify)"
  npm run prebuildify >/dev/null 2>&1
fi

echo "[pack-test] npm pack"
tgz=$(npm pack --pack-destination "$out" 2>/dev/null | tail -1)

echo "[pack-test] npm install $tgz into $out/app"
rm -rf "$out/app"
mkdir -p "$out/app"
cd "$out/app"
echo '{"name":"virtkit-consumer","version":"1.0.0","private":true}' >package.json
npm install "../$tgz" --no-audit --no-fund 2>&1 | tee "$out/install.log"
