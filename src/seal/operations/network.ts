// Network state that names this machine: leases, MAC bindings, per-host connection profiles.
import type { Operation } from './types.js';
import { LINUX, NOT_WINDOWS, REDHAT_FAMILY } from './targets.js';

const REDHAT_LINUX = { types: ['linux'], distros: REDHAT_FAMILY } as const;

export const networkOperations: Operation[] = [
  {
    name: 'dhcp-client-state',
    description: 'Remove DHCP client leases',
    enabledByDefault: true,
    appliesTo: LINUX,
    removeTrees: ['/var/lib/dhclient/*', '/var/lib/dhcp/*'],
    notes: 'Also removes systemd-networkd and NetworkManager leases (/var/lib/NetworkManager/*.lease, /var/lib/systemd/network/leases… are runtime on most distros).',
    async run(ctx) {
      for (const p of await ctx.fx.glob('/var/lib/NetworkManager/*.lease')) await ctx.fx.removeFile(p);
    },
  },
  {
    name: 'dhcp-server-state',
    description: 'Remove DHCP server leases',
    enabledByDefault: true,
    appliesTo: {},
    removeTrees: ['/var/lib/dhcpd/*'],
  },
  {
    name: 'net-hostname',
    description: 'Remove HOSTNAME and DHCP_HOSTNAME in network interface configuration',
    enabledByDefault: true,
    appliesTo: REDHAT_LINUX,
    lineEdits: [{ glob: '/etc/sysconfig/network-scripts/ifcfg-*', dropPrefixes: ['HOSTNAME=', 'DHCP_HOSTNAME='] }],
  },
  {
    name: 'net-hwaddr',
    description: 'Remove HWADDR (hard-coded MAC address) configuration',
    enabledByDefault: true,
    appliesTo: REDHAT_LINUX,
    lineEdits: [{ glob: '/etc/sysconfig/network-scripts/ifcfg-*', dropPrefixes: ['HWADDR='] }],
  },
  {
    name: 'net-nmconn',
    description: 'Remove system-local NetworkManager connection profiles (keyfiles)',
    enabledByDefault: true,
    appliesTo: REDHAT_LINUX,
    removeFiles: ['/etc/NetworkManager/system-connections/*.nmconnection'],
  },
  {
    name: 'udev-persistent-net',
    description: 'Remove udev persistent net rules',
    enabledByDefault: true,
    appliesTo: LINUX,
    removeFiles: ['/etc/udev/rules.d/70-persistent-net.rules'],
  },
  {
    name: 'firewall-rules',
    description: 'Remove the firewall rules',
    enabledByDefault: false,
    appliesTo: NOT_WINDOWS,
    removeFiles: ['/etc/sysconfig/iptables', '/etc/firewalld/services/*', '/etc/firewalld/zones/*'],
    notes: 'Not enabled by default: it may expose guests to exploits.',
  },
];
