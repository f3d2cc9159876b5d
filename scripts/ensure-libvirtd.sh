#!/usr/bin/env bash
# Starts virtlogd and libvirtd when their sockets are missing (there is no systemd here).
set -euo pipefail
[ "$(id -u)" = 0 ] || exit 0
mkdir -p /var/log/libvirt /var/run/libvirt /var/lib/libvirt/images
if [ ! -S /var/run/libvirt/virtlogd-sock ] || ! pgrep -x virtlogd >/dev/null; then
  rm -f /var/run/libvirt/virtlogd-sock /var/run/virtlogd.pid; virtlogd -d
fi
if [ ! -S /var/run/libvirt/libvirt-sock ] || ! pgrep -x libvirtd >/dev/null; then
  rm -f /var/run/libvirt/libvirt-sock /var/run/libvirtd.pid; libvirtd -d
  for _ in $(seq 1 100); do
    virsh -c qemu:///system version >/dev/null 2>&1 && break
    sleep 0.1
  done
fi
