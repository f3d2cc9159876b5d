#!/usr/bin/env bash
# Prepares a Debian host for virtkit: system packages, libvirtd and virtlogd.
# Idempotent: installs only what is missing and starts daemons only when their socket is missing.
set -euo pipefail

say() { printf '[setup-host] %s\n' "$*"; }

PKGS=(
  pkg-config
  libvirt-dev libvirt-daemon-system libvirt-clients
  libguestfs-dev libguestfs-tools linux-image-amd64
  # Guestfs-1.0.gir: docs and types for scripts/gen-guestfs-calls.mjs (and its --check test)
  libguestfs-gobject-dev
  qemu-system-x86 qemu-utils ovmf
  guestfs-tools virtinst python3-libvirt
  busybox-static openssh-client
  # TEST-only: lints src/firstboot/firstboot.sh (test/unit/firstboot.test.ts)
  shellcheck
  valgrind
  # libvirt networks (bridges + DHCP) in the network test bed (test/helpers/net-bed.ts)
  dnsmasq-base
  # TEST-only: isoinfo, an independent reader of the cloud-init seed ISOs virtkit writes itself
  genisoimage
  # TEST-only: saslpasswd2 for the SASL daemon of test/integration/connect-auth.test.ts (the SCRAM
  # plugin is in libsasl2-modules)
  sasl2-bin libsasl2-modules
  # TEST-only: qemu-ga and dropbear (with dropbearconvert) copied into the booted guest of
  # test/e2e/network-clones.e2e.test.ts (examples/lib/tiny-guest-services.ts)
  qemu-guest-agent dropbear-bin
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    say "missing packages: ${missing[*]}"
    say "run as root: sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}"
    exit 1
  fi
  say "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Daemons must not be started by maintainer scripts (no init system here); we start them below.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/virtkit-apt.log 2>&1 \
    || { tail -40 /tmp/virtkit-apt.log; rm -f /usr/sbin/policy-rc.d; exit 1; }
  rm -f /usr/sbin/policy-rc.d
else
  say "system packages present"
fi

# libguestfs's appliance needs a readable kernel in /boot.
if ! ls /boot/vmlinuz-* >/dev/null 2>&1; then
  say "no kernel in /boot: install linux-image-amd64"; exit 1
fi
chmod 0644 /boot/vmlinuz-* 2>/dev/null || true

if [ "$(id -u)" = 0 ]; then
  bash "$(dirname "$0")/ensure-libvirtd.sh"
  say "libvirtd running ($(virsh -c qemu:///system version 2>/dev/null | grep -i 'running hypervisor' || echo ready))"
else
  say "not root: skipping system daemons (qemu:///session starts its own)"
fi
say "done"
