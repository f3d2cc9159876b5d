#!/usr/bin/env bash
# Runs a command as on a host without libguestfs: in a private mount namespace where every file
# of the libguestfs0 and libguestfs-dev packages (the shared library, guestfs.h, libguestfs.pc) is
# covered by an empty file, so the dynamic linker, pkg-config and the compiler cannot use them.
# The host itself is untouched. Usage: without-libguestfs.sh CMD [ARGS...]
set -euo pipefail
[ "${VK_IN_NS:-}" = 1 ] || exec env VK_IN_NS=1 unshare --mount --propagation private "$0" "$@"
dpkg -L libguestfs0 libguestfs-dev 2>/dev/null | while read -r f; do
  if [ -f "$f" ] && [ ! -L "$f" ]; then mount --bind /dev/null "$f"; fi
done
exec "$@"
