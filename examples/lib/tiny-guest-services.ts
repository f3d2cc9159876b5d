// The tiny guest's services variant (buildTinyGuest({ services: true })): instead of powering off
// after its identity line, the guest stays up on its network with busybox's DHCP client,
// qemu-guest-agent and an SSH server (dropbear) serving the host keys its first boot made with
// ssh-keygen (converted with dropbearconvert: the same keys, in dropbear's format). The binaries
// come from the host (Debian's qemu-guest-agent and dropbear-bin) with their shared libraries,
// and the kernel modules the guest needs after the initrd (no module tree in the guest).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Guest } from '../../src/guest/index.js';

/** Host binaries the services variant copies into the guest. */
export const SERVICE_BINARIES = ['/usr/sbin/qemu-ga', '/usr/sbin/dropbear', '/usr/bin/dropbearconvert'];

// Load order: each after the modules it depends on (modules.dep); virtio and virtio_ring are in
// from the initrd (virtio_blk needs them for the root disk).
const MODULES = ['kernel/net/core/failover.ko', 'kernel/drivers/net/net_failover.ko', 'kernel/drivers/net/virtio_net.ko', 'kernel/drivers/char/virtio_console.ko'];

/** The console line the services guest prints once dropbear listens. */
export const SERVICES_UP_TAG = 'VK-SERVICES-UP';

// After the identity line, at PID 1 (busybox sh). No udev: the agent's port and the NIC are
// found in sysfs; the NIC keeps whatever name the initrd's udev gave it.
export const SERVICES_TAIL = `for m in failover net_failover virtio_net virtio_console; do [ -f /lib/modules/$m.ko ] && insmod /lib/modules/$m.ko 2>/dev/null; done
port=; i=0
while [ -z "$port" ] && [ $i -lt 100 ]; do
  for p in /sys/class/virtio-ports/*; do [ "$(cat "$p/name" 2>/dev/null)" = org.qemu.guest_agent.0 ] && port=/dev/\${p##*/}; done
  [ -n "$port" ] || { i=$((i+1)); sleep 0.1; }
done
mkdir -p /run/qga
[ -n "$port" ] && qemu-ga -m virtio-serial -p "$port" -t /run/qga -f /run/qga/pid -l /var/log/qemu-ga.log -d
echo "VK-AGENT port=$port" > /dev/ttyS0
nic=; i=0
while [ -z "$nic" ] && [ $i -lt 100 ]; do
  for n in /sys/class/net/*; do [ "\${n##*/}" = lo ] || { nic=\${n##*/}; break; }; done
  [ -n "$nic" ] || { i=$((i+1)); sleep 0.1; }
done
ip link set lo up
ip link set "$nic" up
udhcpc -i "$nic" -q -t 60 -T 2 -s /etc/vk-udhcpc.sh > /dev/ttyS0 2>&1
mkdir -p /run/dropbear
keys=
for t in rsa ecdsa ed25519; do
  k=/etc/ssh/ssh_host_\${t}_key
  [ -s "$k" ] && dropbearconvert openssh dropbear "$k" "/run/dropbear/$t" >/dev/null 2>&1 && keys="$keys -r /run/dropbear/$t"
done
dropbear $keys -E -p 22 -P /run/dropbear/pid 2>/dev/ttyS0
echo "${SERVICES_UP_TAG} nic=$nic" > /dev/ttyS0
while :; do sleep 3600; done
`;

/** busybox udhcpc's script: configures the lease and prints `VK-LEASE <ip>` (also the DHCP variant's). */
export const UDHCPC_SCRIPT = `#!/bin/sh
case "$1" in
  deconfig) ip addr flush dev "$interface" ;;
  bound|renew) ip addr add "$ip/$mask" dev "$interface"; echo "VK-LEASE $ip" ;;
esac
`;

/** The shared libraries a binary loads (ldd). */
export function sharedLibs(binary: string): string[] {
  const out = execFileSync('ldd', [binary], { encoding: 'utf8' });
  return [...out.matchAll(/(\/[^\s]+\.so[^\s]*)/g)].map((m) => m[1]!);
}

/** What the services variant needs from the host that is missing, or [] (for a test's skip reason). */
export function missingServiceFiles(kernelVersion: string): string[] {
  return [...SERVICE_BINARIES, ...MODULES.map((m) => `/lib/modules/${kernelVersion}/${m}`)].filter((f) => !existsSync(f));
}

/** Copies the services' binaries, libraries, modules and DHCP script into the guest. */
export async function installServices(g: Guest, kernelVersion: string): Promise<void> {
  const missing = missingServiceFiles(kernelVersion);
  if (missing.length) throw new Error(`the services guest needs ${missing.join(', ')} (scripts/setup-host.sh installs qemu-guest-agent and dropbear-bin)`);
  const libs = new Set(SERVICE_BINARIES.flatMap(sharedLibs));
  for (const b of SERVICE_BINARIES) {
    await g.upload(b, b);
    await g.chmod(b, 0o755);
  }
  for (const l of libs) {
    await g.mkdirP(l.slice(0, l.lastIndexOf('/')));
    await g.upload(l, l);
    await g.chmod(l, 0o755);
  }
  await g.mkdirP('/lib/modules');
  for (const m of MODULES) await g.upload(`/lib/modules/${kernelVersion}/${m}`, `/lib/modules/${m.slice(m.lastIndexOf('/') + 1)}`);
  await g.write('/etc/vk-udhcpc.sh', UDHCPC_SCRIPT);
  await g.chmod('/etc/vk-udhcpc.sh', 0o755);
  await g.mkdirP('/var/log');
}
