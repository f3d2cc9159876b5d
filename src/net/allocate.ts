// Picks the address a new reservation gets in a libvirt network: the lowest free address of the
// DHCP ranges, in range order, where "taken" means the network's own address, a static host, a
// current lease of another MAC, or an address the caller is handing out right now (deployMany).
// Pure and deterministic: the same network, leases and exclusions give the same answer.
import { VirtkitError, invalid } from '../errors.js';
import { validateMac } from '../validate.js';
import type { IpFamily } from './ip.js';
import { formatIp, parseIp, tryParseIp } from './ip.js';
import type { NetworkIp } from '../xml/network.js';
import { macOfDuid } from './duid.js';

/** A DHCP lease as virNetworkGetDHCPLeases reports it (only the fields the allocator reads). */
export interface AddressLease {
  ip: string;
  mac?: string;
}

/** The parts of a parsed network the allocator reads (a `NetworkXml` fits). */
export interface AllocatableNetwork {
  name?: string;
  ips: NetworkIp[];
}

/** Options of {@link allocateAddress}. */
export interface AllocateOptions {
  /** Which `<ip>` to allocate in. Default 'ipv4'. */
  family?: IpFamily;
  /**
   * The MAC the address is for: its own lease does not count as taken; a static host already
   * naming it is refused (IPv4: by `mac`; IPv6: by the DUID-LL of the MAC in `id`).
   */
  mac?: string;
  /** A wanted address: checked (inside a DHCP range, not taken) instead of picked. */
  ip?: string;
  /** Current leases of the network. */
  leases?: readonly AddressLease[];
  /** Addresses promised elsewhere and not yet visible in the network (a batch in progress). */
  exclude?: Iterable<string>;
}

/** Why an address is not free: who holds it. */
type Holder = { by: 'network' } | { by: 'host'; mac?: string; id?: string; name?: string } | { by: 'lease'; mac?: string } | { by: 'excluded' };

/**
 * The address a new host entry should get. Errors (nothing is changed anywhere, this is pure):
 * INVALID_ARGUMENT when the network has no DHCP range of that family or `ip` is not an address
 * inside one; ALREADY_EXISTS when a static host already names `mac`; ADDRESS_IN_USE when `ip` is
 * taken (details.by says by what); ADDRESS_RANGE_FULL when every address of the ranges is taken.
 */
export function allocateAddress(net: AllocatableNetwork, opts: AllocateOptions = {}): string {
  const family = opts.family ?? 'ipv4';
  const netName = net.name ?? '(unnamed)';
  const ipdef = net.ips.find((i) => i.family === family && i.ranges.length > 0);
  if (!ipdef) throw invalid(`network ${netName} has no ${family === 'ipv4' ? 'IPv4' : 'IPv6'} DHCP range to reserve an address in`, { network: net.name, family });
  const mac = opts.mac !== undefined ? validateMac(opts.mac, 'mac') : undefined;

  const taken = new Map<bigint, Holder>();
  const own = tryParseIp(ipdef.address);
  if (own) taken.set(own.value, { by: 'network' });
  for (const h of ipdef.hosts) {
    if (mac && (h.mac === mac || macOfDuid(h.id) === mac)) {
      throw new VirtkitError('ALREADY_EXISTS', `MAC ${mac} already has a reservation in network ${netName} (${h.ip})`, { details: { network: net.name, mac, ip: h.ip } });
    }
    const a = tryParseIp(h.ip);
    if (a && a.family === family) taken.set(a.value, { by: 'host', mac: h.mac ?? macOfDuid(h.id), id: h.id, name: h.name });
  }
  for (const l of opts.leases ?? []) {
    const a = tryParseIp(l.ip);
    if (!a || a.family !== family || taken.has(a.value)) continue;
    if (mac && l.mac?.toLowerCase() === mac) continue; // the address this MAC already leases is free for it
    taken.set(a.value, { by: 'lease', mac: l.mac?.toLowerCase() });
  }
  for (const x of opts.exclude ?? []) {
    const a = tryParseIp(x);
    if (a && a.family === family && !taken.has(a.value)) taken.set(a.value, { by: 'excluded' });
  }
  const ranges = ipdef.ranges.map((r) => ({ start: parseIp(r.start, 'range start', family).value, end: parseIp(r.end, 'range end', family).value }));

  if (opts.ip !== undefined) {
    const want = parseIp(opts.ip, 'ip', family);
    const text = formatIp(want);
    if (!ranges.some((r) => want.value >= r.start && want.value <= r.end)) {
      const list = ipdef.ranges.map((r) => `${r.start}-${r.end}`).join(', ');
      throw invalid(`ip ${text} is outside the DHCP ranges of network ${netName} (${list})`, { argument: 'ip', ip: text, network: net.name, ranges: ipdef.ranges });
    }
    const holder = taken.get(want.value);
    if (holder) {
      throw new VirtkitError('ADDRESS_IN_USE', `ip ${text} in network ${netName} is taken (${describe(holder)})`, { details: { ip: text, network: net.name, ...holder } });
    }
    return text;
  }

  // Walk each range once; only taken addresses are ever skipped, so this is O(|taken|) per range
  // even for an IPv6 range of 2^64 addresses.
  const sorted = [...taken.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const r of ranges) {
    let cand = r.start;
    for (const t of sorted) {
      if (t < cand) continue;
      if (t > cand || t > r.end) break;
      cand = t + 1n;
    }
    if (cand <= r.end) return formatIp({ family, value: cand });
  }
  const size = ranges.reduce((n, r) => n + (r.end - r.start + 1n), 0n);
  throw new VirtkitError('ADDRESS_RANGE_FULL', `network ${netName} has no free ${family === 'ipv4' ? 'IPv4' : 'IPv6'} address: all ${size} addresses of its DHCP ranges are taken`, {
    details: { network: net.name, family, ranges: ipdef.ranges, size: Number(size) },
  });
}

function describe(h: Holder): string {
  switch (h.by) {
    case 'network':
      return "the network's own address";
    case 'host':
      return `reserved for ${h.mac ?? h.id ?? h.name ?? 'a static host'}`;
    case 'lease':
      return `leased to ${h.mac ?? 'another client'}`;
    case 'excluded':
      return 'being given to another clone';
  }
}
