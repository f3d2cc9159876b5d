#!/usr/bin/env bash
# Builds both addons from source: the libvirt one (binding.gyp -> build/Release/virtkit.node) and
# the libguestfs one (guestfs-addon/binding.gyp -> guestfs-addon/build/Release/virtkit_guestfs.node).
# Output goes to /tmp/virtkit-build.log; its tail is shown on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
log=/tmp/virtkit-build.log
: >"$log"
for dir in . guestfs-addon; do
  (cd "$dir" && npx node-gyp rebuild -j "$(nproc)") >>"$log" 2>&1 || { tail -40 "$log"; exit 1; }
done
