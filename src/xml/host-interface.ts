// Host interface XML (virInterfaceGetXMLDesc, netcf/udev backends) read into a summary: type,
// name, MAC, MTU, start mode, the configured addresses, and the members of a bridge, bond or VLAN.
import type { Element } from './doc.js';
import { attr, child, children, parseRoot } from './doc.js';

/** One configured address of a host interface. */
export interface HostInterfaceAddress {
  /** 'ipv4' or 'ipv6'. */
  family: 'ipv4' | 'ipv6';
  /** The address, as written in the XML. */
  address: string;
  /** Prefix length, when given. */
  prefix: number | undefined;
}

/** What {@link HostInterface.summary} gives. */
export interface HostInterfaceSummary {
  /** The interface's name, e.g. 'eth0'. */
  name: string;
  /** 'ethernet', 'bridge', 'bond' or 'vlan'. */
  type: string;
  /** Its MAC, lower-case. */
  mac: string | undefined;
  /** `<mtu size>`, when set. */
  mtu: number | undefined;
  /** `<start mode>`: 'onboot', 'none' or 'hotplug'. */
  startMode: string | undefined;
  /** Statically configured addresses. */
  addresses: HostInterfaceAddress[];
  /** Families configured by DHCP (or autoconf for IPv6). */
  dhcp: ('ipv4' | 'ipv6')[];
  /** Interfaces inside a bridge or bond, or the VLAN's parent device. */
  members: string[];
}

function members(root: Element, type: string): string[] {
  if (type === 'vlan') {
    const dev = attr(child(child(root, 'vlan') ?? root, 'interface'), 'name');
    return dev ? [dev] : [];
  }
  const holder = child(root, type === 'bond' ? 'bond' : 'bridge');
  return holder ? children(holder, 'interface').map((i) => attr(i, 'name') ?? '').filter(Boolean) : [];
}

/** Parses `<interface>` XML into a summary. INVALID_ARGUMENT when malformed or not an `<interface>`. */
export function parseHostInterface(xml: string): HostInterfaceSummary {
  const root = parseRoot(xml, 'interface', 'host interface XML').documentElement!;
  const type = attr(root, 'type') ?? 'ethernet';
  const mtu = attr(child(root, 'mtu'), 'size');
  const addresses: HostInterfaceAddress[] = [];
  const dhcp: ('ipv4' | 'ipv6')[] = [];
  for (const p of children(root, 'protocol')) {
    const family = attr(p, 'family') === 'ipv6' ? 'ipv6' : 'ipv4';
    if (child(p, 'dhcp') || child(p, 'autoconf')) dhcp.push(family);
    for (const ip of children(p, 'ip')) {
      const address = attr(ip, 'address');
      const prefix = attr(ip, 'prefix');
      if (address) addresses.push({ family, address, prefix: prefix === undefined ? undefined : Number(prefix) });
    }
  }
  return {
    name: attr(root, 'name') ?? '',
    type,
    mac: attr(child(root, 'mac'), 'address')?.toLowerCase(),
    mtu: mtu === undefined ? undefined : Number(mtu),
    startMode: attr(child(root, 'start'), 'mode'),
    addresses,
    dhcp,
    members: members(root, type),
  };
}
