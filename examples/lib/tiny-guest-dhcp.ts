// The tiny guest's DHCP variant (buildTinyGuest({ dhcp: true }), the quick start on its network):
// before its identity line the guest takes a lease with busybox udhcpc and adds its own view of
// its address (`ip=`) to the line. Then it waits for one line on its console before powering off:
// the host answers once it has read the lease from libvirt, which it can do only while the domain
// runs. The wait is bounded, so a guest whose host went away still powers off.
import type { Guest } from '../../src/guest/index.js';
import { existsSync } from 'node:fs';
import { UDHCPC_SCRIPT } from './tiny-guest-services.js';

// Load order: each after the modules it depends on; virtio itself is in from the initrd.
const MODULES = ['kernel/net/core/failover.ko', 'kernel/drivers/net/net_failover.ko', 'kernel/drivers/net/virtio_net.ko'];

/** Seconds the guest waits for the host's line after its identity line. */
export const DHCP_ACK_WAIT_S = 90;

// At PID 1 before the identity line: the first NIC up, one lease, $ip as the kernel has it.
export const DHCP_LEASE_SH = `for m in failover net_failover virtio_net; do [ -f /lib/modules/$m.ko ] && insmod /lib/modules/$m.ko 2>/dev/null; done
nic=; i=0
while [ -z "$nic" ] && [ $i -lt 100 ]; do
  for n in /sys/class/net/*; do [ "\${n##*/}" = lo ] || { nic=\${n##*/}; break; }; done
  [ -n "$nic" ] || { i=$((i+1)); sleep 0.1; }
done
ip=
if [ -n "$nic" ]; then
  ip link set "$nic" up
  udhcpc -i "$nic" -n -q -t 15 -T 2 -s /etc/vk-udhcpc.sh > /dev/ttyS0 2>&1
  ip=$(ip -4 addr show dev "$nic" | sed -n 's/^ *inet \\([0-9.]*\\)\\/.*/\\1/p' | head -n1)
fi
`;

// After the identity line: one line from the host (any text), or the bounded wait's end.
export const DHCP_ACK_SH = `read -t ${DHCP_ACK_WAIT_S} ack < /dev/ttyS0
`;

/** What the DHCP variant needs from the host that is missing, or []. */
export function missingDhcpFiles(kernelVersion: string): string[] {
  return MODULES.map((m) => `/lib/modules/${kernelVersion}/${m}`).filter((f) => !existsSync(f));
}

/** Copies the NIC's kernel modules and the DHCP client's script into the guest. */
export async function installDhcp(g: Guest, kernelVersion: string): Promise<void> {
  const missing = missingDhcpFiles(kernelVersion);
  if (missing.length) throw new Error(`the DHCP guest needs ${missing.join(', ')}`);
  await g.mkdirP('/lib/modules');
  for (const m of MODULES) await g.upload(`/lib/modules/${kernelVersion}/${m}`, `/lib/modules/${m.slice(m.lastIndexOf('/') + 1)}`);
  await g.write('/etc/vk-udhcpc.sh', UDHCPC_SCRIPT);
  await g.chmod('/etc/vk-udhcpc.sh', 0o755);
}
