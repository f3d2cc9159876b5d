// Network XML: a typed spec -> <network> builder (NAT, isolated, routed, open, a host bridge;
// IPv4/IPv6 with DHCP ranges and static hosts), a reader that keeps every other element as it
// was, and the <host> elements virNetworkUpdate takes (IP_DHCP_HOST section).
import type { Document, Element } from './doc.js';
import { attr, child, children, createElement, insertChild, parseRoot, prettyPrint, serialize } from './doc.js';
import { invalid } from '../errors.js';
import { argEnum, argInt, argOptions } from '../args.js';
import { checkHostname, validateMac, validateName, validateUuid } from '../validate.js';
import type { IpAddress, IpFamily, Subnet } from '../net/ip.js';
import { formatIp, inSubnet, ipBits, netmaskPrefix, parseIp, prefixNetmask, subnetLast, subnetOf, tryParseIp } from '../net/ip.js';

/** How the network reaches beyond its bridge. 'isolated': not at all (guests and host only). */
export type NetworkMode = 'nat' | 'isolated' | 'route' | 'open' | 'bridge';
export const NETWORK_MODES: readonly NetworkMode[] = ['nat', 'isolated', 'route', 'open', 'bridge'];

/** A DHCP range, both ends included. */
export interface NetworkDhcpRange {
  start: string;
  end: string;
}

/**
 * A static DHCP host (a reservation). IPv4: `mac` (or only `name`); IPv6: `id` (a DHCPv6 DUID,
 * e.g. '0:3:0:1:52:54:0:12:34:56') or only `name`; libvirt refuses `mac` in an IPv6 host.
 */
export interface NetworkHost {
  ip: string;
  mac?: string;
  id?: string;
  name?: string;
}

/** One address of the host on the network's bridge, with its DHCP service. */
export interface NetworkIpSpec {
  /** The host's address on the bridge (the guests' gateway and DNS server), e.g. '192.168.100.1'. */
  address: string;
  /** Prefix length, e.g. 24 or 64. */
  prefix: number;
  /** DHCP service; without it guests configure themselves. */
  dhcp?: { ranges: NetworkDhcpRange[]; hosts?: NetworkHost[] };
}

/** What `networkXml` builds from. */
export interface NetworkSpec {
  /** Network name. */
  name: string;
  /** Default: libvirt chooses. */
  uuid?: string;
  /** 'nat' (default libvirt style), 'isolated', 'route', 'open' (no firewall rules at all) or 'bridge' (an existing host bridge). */
  mode: NetworkMode;
  /**
   * Bridge device name (at most 15 characters). For mode 'bridge' the existing host bridge to
   * attach guests to (required); otherwise the bridge libvirt creates (default: libvirt's virbrN).
   */
  bridge?: string;
  /** MTU of the bridge (68-65535). Not with mode 'bridge'. */
  mtu?: number;
  /** MAC address of the bridge. Not with mode 'bridge'. */
  mac?: string;
  /** DNS domain dnsmasq serves the guests' names under (answered locally only). Not with mode 'bridge'. */
  domain?: string;
  /** IPv4 address and DHCP. Not with mode 'bridge'. */
  ipv4?: NetworkIpSpec;
  /** IPv6 address and DHCPv6. Not with mode 'bridge'. */
  ipv6?: NetworkIpSpec;
}

/** One `<ip>` of a parsed network. */
export interface NetworkIp {
  family: IpFamily;
  /** The host's address on the bridge, canonical form. */
  address: string;
  prefix: number;
  ranges: NetworkDhcpRange[];
  hosts: NetworkHost[];
  /** Whether the element has a `<dhcp>` child. */
  dhcp: boolean;
}

const BRIDGE = /^[A-Za-z0-9_.-]{1,15}$/;
const DUID = /^[0-9A-Fa-f]{1,2}(?::[0-9A-Fa-f]{1,2}){1,129}$/;
const SPEC_KEYS = ['name', 'uuid', 'mode', 'bridge', 'mtu', 'mac', 'domain', 'ipv4', 'ipv6'];
const IP_KEYS = ['address', 'prefix', 'dhcp'];
const HOST_KEYS = ['ip', 'mac', 'id', 'name'];

function noUnknown(o: object, known: string[], at: string): void {
  for (const k of Object.keys(o)) if (!known.includes(k)) throw invalid(`${at}.${k} is not a known field (known: ${known.join(', ')})`, { argument: `${at}.${k}` });
}

/** Checks a bridge device name: 1-15 letters, digits, '.', '_', '-' (Linux's IFNAMSIZ, no '/', ':' or space). */
export function checkBridgeName(v: unknown, argument = 'bridge'): string {
  if (typeof v !== 'string' || !BRIDGE.test(v) || v === '.' || v === '..') {
    throw invalid(`${argument} must be a bridge device name of 1-15 letters, digits, '.', '_' or '-', got ${JSON.stringify(v)}`, { argument });
  }
  return v;
}

/** A checked `<ip>` spec, with its subnet, for the range and host checks. */
interface CheckedIp {
  family: IpFamily;
  address: IpAddress;
  prefix: number;
  subnet: Subnet;
  ranges: { start: IpAddress; end: IpAddress }[];
  hosts: { ip: IpAddress; mac?: string; id?: string; name?: string }[];
  dhcp: boolean;
}

/** The addresses of `s` a host may not be given: the network address and, in IPv4, the broadcast address. */
function reservedInSubnet(ip: IpAddress, s: Subnet): boolean {
  return ip.value === s.network || (s.family === 'ipv4' && s.prefix < 31 && ip.value === subnetLast(s));
}

/** Checks one host entry (a reservation) for an `<ip>` of `family`; returns it with the address canonical and the MAC lower-cased. */
export function checkNetworkHost(h: unknown, family: IpFamily, at = 'host'): NetworkHost {
  if (typeof h !== 'object' || h === null || Array.isArray(h)) throw invalid(`${at} must be an object`, { argument: at });
  const o = h as NetworkHost;
  noUnknown(o, HOST_KEYS, at);
  const ip = formatIp(parseIp(o.ip, `${at}.ip`, family));
  const out: NetworkHost = { ip };
  if (o.mac !== undefined) {
    if (family === 'ipv6') throw invalid(`${at}.mac: an IPv6 host is named by its DHCPv6 'id' (DUID) or 'name', not a MAC`, { argument: `${at}.mac` });
    out.mac = validateMac(o.mac, `${at}.mac`);
  }
  if (o.id !== undefined) {
    if (family === 'ipv4') throw invalid(`${at}.id: only IPv6 hosts have a DUID; an IPv4 host is named by 'mac'`, { argument: `${at}.id` });
    if (typeof o.id !== 'string' || !DUID.test(o.id)) throw invalid(`${at}.id must be a DUID in hex bytes separated by ':', got ${JSON.stringify(o.id)}`, { argument: `${at}.id` });
    out.id = o.id.toLowerCase();
  }
  if (o.name !== undefined) out.name = checkHostname(o.name, `${at}.name`);
  if (out.mac === undefined && out.id === undefined && out.name === undefined) {
    throw invalid(`${at} needs ${family === 'ipv4' ? "'mac'" : "'id'"} or 'name'`, { argument: at });
  }
  return out;
}

function checkIpSpec(v: unknown, family: IpFamily, at: string): CheckedIp {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid(`${at} must be an object`, { argument: at });
  const o = v as NetworkIpSpec;
  noUnknown(o, IP_KEYS, at);
  const address = parseIp(o.address, `${at}.address`, family);
  // a DHCP-served subnet needs room for the host and at least one guest besides the network address
  const prefix = argInt(`${at}.prefix`, o.prefix, { min: 1, max: family === 'ipv4' ? 30 : 126 });
  const subnet = subnetOf(address, prefix);
  if (reservedInSubnet(address, subnet)) {
    throw invalid(`${at}.address ${formatIp(address)} is the ${address.value === subnet.network ? 'network' : 'broadcast'} address of its /${prefix} subnet`, { argument: `${at}.address` });
  }
  const out: CheckedIp = { family, address, prefix, subnet, ranges: [], hosts: [], dhcp: o.dhcp !== undefined };
  if (o.dhcp === undefined) return out;
  const d = argOptions(`${at}.dhcp`, o.dhcp);
  noUnknown(d, ['ranges', 'hosts'], `${at}.dhcp`);
  const where = `${formatIp({ family, value: subnet.network })}/${prefix}`;
  if (!Array.isArray(d.ranges)) throw invalid(`${at}.dhcp.ranges must be an array of { start, end }`, { argument: `${at}.dhcp.ranges` });
  d.ranges.forEach((r, i) => {
    const ra = `${at}.dhcp.ranges[${i}]`;
    argOptions(ra, r);
    noUnknown(r, ['start', 'end'], ra);
    const start = parseIp(r.start, `${ra}.start`, family);
    const end = parseIp(r.end, `${ra}.end`, family);
    for (const [k, ip] of [['start', start], ['end', end]] as const) {
      if (!inSubnet(ip, subnet) || reservedInSubnet(ip, subnet)) throw invalid(`${ra}.${k} ${formatIp(ip)} is not a host address of ${where}`, { argument: `${ra}.${k}` });
    }
    if (start.value > end.value) throw invalid(`${ra}: start ${formatIp(start)} is after end ${formatIp(end)}`, { argument: ra });
    if (address.value >= start.value && address.value <= end.value) throw invalid(`${ra} includes the network's own address ${formatIp(address)}`, { argument: ra });
    for (const [j, q] of out.ranges.entries()) {
      if (start.value <= q.end.value && q.start.value <= end.value) throw invalid(`${ra} overlaps ${at}.dhcp.ranges[${j}]`, { argument: ra });
    }
    out.ranges.push({ start, end });
  });
  if (d.hosts !== undefined && !Array.isArray(d.hosts)) throw invalid(`${at}.dhcp.hosts must be an array`, { argument: `${at}.dhcp.hosts` });
  (d.hosts ?? []).forEach((h, i) => {
    const ha = `${at}.dhcp.hosts[${i}]`;
    const host = checkNetworkHost(h, family, ha);
    const ip = parseIp(host.ip, `${ha}.ip`, family);
    if (!inSubnet(ip, subnet) || reservedInSubnet(ip, subnet)) throw invalid(`${ha}.ip ${host.ip} is not a host address of ${where}`, { argument: `${ha}.ip` });
    if (ip.value === address.value) throw invalid(`${ha}.ip ${host.ip} is the network's own address`, { argument: `${ha}.ip` });
    for (const p of out.hosts) {
      if (p.ip.value === ip.value) throw invalid(`${ha}.ip ${host.ip} is given to two hosts`, { argument: `${ha}.ip` });
      if (host.mac && p.mac === host.mac) throw invalid(`${ha}.mac ${host.mac} is given two addresses`, { argument: `${ha}.mac` });
      if (host.id && p.id === host.id) throw invalid(`${ha}.id ${host.id} is given two addresses`, { argument: `${ha}.id` });
    }
    out.hosts.push({ ...host, ip });
  });
  return out;
}

/** Checks a network spec (as `networkXml` does) and returns it normalized. INVALID_ARGUMENT naming the field otherwise. */
export function checkNetworkSpec(spec: unknown, argument = 'spec'): NetworkSpec {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw invalid(`${argument} must be an object`, { argument });
  const s = spec as NetworkSpec;
  noUnknown(s, SPEC_KEYS, argument);
  const out: NetworkSpec = {
    name: validateName(s.name, 'network name', `${argument}.name`),
    mode: argEnum(`${argument}.mode`, s.mode, NETWORK_MODES),
  };
  if (s.uuid !== undefined) out.uuid = validateUuid(s.uuid, `${argument}.uuid`);
  if (s.bridge !== undefined) out.bridge = checkBridgeName(s.bridge, `${argument}.bridge`);
  if (out.mode === 'bridge') {
    if (out.bridge === undefined) throw invalid(`${argument}.bridge: mode 'bridge' attaches guests to an existing host bridge; name it`, { argument: `${argument}.bridge` });
    for (const k of ['mtu', 'mac', 'domain', 'ipv4', 'ipv6'] as const) {
      if (s[k] !== undefined) throw invalid(`${argument}.${k}: a network of mode 'bridge' uses the host bridge as it is (no ${k})`, { argument: `${argument}.${k}` });
    }
    return out;
  }
  if (s.mtu !== undefined) out.mtu = argInt(`${argument}.mtu`, s.mtu, { min: 68, max: 65535 });
  if (s.mac !== undefined) out.mac = validateMac(s.mac, `${argument}.mac`);
  if (s.domain !== undefined) out.domain = checkHostname(s.domain, `${argument}.domain`);
  if (out.mode === 'nat' && s.ipv4 === undefined) throw invalid(`${argument}.ipv4: mode 'nat' needs an IPv4 address to translate from`, { argument: `${argument}.ipv4` });
  for (const fam of ['ipv4', 'ipv6'] as const) {
    if (s[fam] === undefined) continue;
    const c = checkIpSpec(s[fam], fam, `${argument}.${fam}`);
    out[fam] = {
      address: formatIp(c.address),
      prefix: c.prefix,
      ...(c.dhcp
        ? {
            dhcp: {
              ranges: c.ranges.map((r) => ({ start: formatIp(r.start), end: formatIp(r.end) })),
              hosts: c.hosts.map((h) => ({ ...h, ip: formatIp(h.ip) })),
            },
          }
        : {}),
    };
  }
  return out;
}

function hostElement(doc: Document, h: NetworkHost): Element {
  // libvirt's own attribute order: mac/id, name, ip
  return createElement(doc, 'host', { mac: h.mac, id: h.id, name: h.name, ip: h.ip });
}

/**
 * Builds `<network>` XML for virNetworkDefineXML / virNetworkCreateXML from a typed spec.
 * Throws INVALID_ARGUMENT (naming the field) on a spec libvirt would refuse or that cannot serve
 * DHCP: addresses outside their subnet, ranges that overlap or hold the host's own address, two
 * hosts with one address or MAC, a MAC in an IPv6 host, NAT without IPv4, options given to a
 * host bridge that would ignore them.
 */
export function networkXml(spec: NetworkSpec): string {
  const s = checkNetworkSpec(spec);
  const doc = parseRoot('<network/>', 'network');
  const root = doc.documentElement!;
  const add = (parent: Element, name: string, attrs: Record<string, string | number | undefined> = {}, text?: string) =>
    insertChild(parent, createElement(doc, name, attrs, text));
  add(root, 'name', {}, s.name);
  if (s.uuid) add(root, 'uuid', {}, s.uuid);
  if (s.mode !== 'isolated') add(root, 'forward', { mode: s.mode });
  if (s.bridge !== undefined || s.mode !== 'bridge') {
    // stp/delay as libvirt writes them for the bridges it makes, so a dumpxml matches the definition
    add(root, 'bridge', s.mode === 'bridge' ? { name: s.bridge } : { name: s.bridge, stp: 'on', delay: 0 });
  }
  if (s.mtu !== undefined) add(root, 'mtu', { size: s.mtu });
  if (s.mac !== undefined) add(root, 'mac', { address: s.mac });
  if (s.domain !== undefined) add(root, 'domain', { name: s.domain, localOnly: 'yes' });
  for (const fam of ['ipv4', 'ipv6'] as const) {
    const ip = s[fam];
    if (!ip) continue;
    const el = add(
      root,
      'ip',
      fam === 'ipv4' ? { address: ip.address, netmask: prefixNetmask(ip.prefix) } : { family: 'ipv6', address: ip.address, prefix: ip.prefix },
    );
    if (!ip.dhcp) continue;
    const dhcp = add(el, 'dhcp');
    for (const r of ip.dhcp.ranges) add(dhcp, 'range', { start: r.start, end: r.end });
    for (const h of ip.dhcp.hosts ?? []) insertChild(dhcp, hostElement(doc, h));
  }
  prettyPrint(root);
  return serialize(doc) + '\n';
}

/**
 * The `<host>` element for virNetworkUpdate (command ADD_LAST / DELETE / MODIFY, section
 * IP_DHCP_HOST): `<host mac='…' name='…' ip='…'/>` for IPv4, `<host id='…' name='…' ip='…'/>` for
 * IPv6 (the family is the address's). INVALID_ARGUMENT on a bad field.
 */
export function networkHostXml(host: NetworkHost): string {
  const fam = tryParseIp((host as { ip?: unknown } | undefined)?.ip)?.family;
  if (!fam) throw invalid(`host.ip must be an IP address, got ${JSON.stringify((host as { ip?: unknown } | undefined)?.ip)}`, { argument: 'host.ip' });
  const h = checkNetworkHost(host, fam, 'host');
  const doc = parseRoot('<host/>', 'host');
  const el = hostElement(doc, h);
  return serialize(el);
}

function parseHost(el: Element): NetworkHost {
  const h: NetworkHost = { ip: attr(el, 'ip') ?? '' };
  const ip = tryParseIp(h.ip);
  if (ip) h.ip = formatIp(ip);
  const mac = attr(el, 'mac');
  if (mac !== undefined) h.mac = mac.toLowerCase();
  const id = attr(el, 'id');
  if (id !== undefined) h.id = id;
  const name = attr(el, 'name');
  if (name !== undefined) h.name = name;
  return h;
}

/** A parsed `<network>` document. Unknown elements and attributes are kept; `toString()` gives them back. */
export class NetworkXml {
  /** The xmldom document. */
  readonly doc: Document;
  /** Parses network XML; INVALID_ARGUMENT when malformed or not a `<network>`. */
  constructor(xml: string) {
    this.doc = parseRoot(xml, 'network', 'network XML');
  }
  private get root(): Element {
    return this.doc.documentElement!;
  }
  /** Network name. */
  get name(): string | undefined {
    const n = child(this.root, 'name');
    return n ? (n.textContent ?? '').trim() : undefined;
  }
  /** Network UUID. */
  get uuid(): string | undefined {
    const n = child(this.root, 'uuid');
    return n ? (n.textContent ?? '').trim() : undefined;
  }
  /** `<forward mode>` ('nat', 'route', 'open', 'bridge', 'passthrough', …); undefined without `<forward>` (isolated). A `<forward>` without mode is NAT. */
  get forwardMode(): string | undefined {
    const f = child(this.root, 'forward');
    return f ? attr(f, 'mode') ?? 'nat' : undefined;
  }
  /** The mode as `NetworkSpec` names it; undefined for forward modes it has no name for (passthrough, hostdev, …). */
  get mode(): NetworkMode | undefined {
    const f = this.forwardMode;
    if (f === undefined) return 'isolated';
    return (NETWORK_MODES as readonly string[]).includes(f) ? (f as NetworkMode) : undefined;
  }
  /** `<forward dev>`, when set. */
  get forwardDev(): string | undefined {
    return attr(child(this.root, 'forward'), 'dev');
  }
  /** The bridge device name (`<bridge name>`), when set. */
  get bridge(): string | undefined {
    return attr(child(this.root, 'bridge'), 'name');
  }
  /** `<mtu size>`, when set. */
  get mtu(): number | undefined {
    const v = attr(child(this.root, 'mtu'), 'size');
    return v !== undefined && /^[0-9]+$/.test(v) ? Number(v) : undefined;
  }
  /** Bridge MAC address (`<mac address>`), lower-cased. */
  get mac(): string | undefined {
    return attr(child(this.root, 'mac'), 'address')?.toLowerCase();
  }
  /** DNS domain name (`<domain name>`). */
  get domain(): string | undefined {
    return attr(child(this.root, 'domain'), 'name');
  }
  /**
   * Every `<ip>` in document order (its index is virNetworkUpdate's `parentIndex`), with canonical
   * addresses. An `<ip>` whose address or prefix cannot be read is skipped.
   */
  get ips(): NetworkIp[] {
    const out: NetworkIp[] = [];
    for (const el of children(this.root, 'ip')) {
      if (el.namespaceURI) continue;
      const ip = tryParseIp(attr(el, 'address'));
      if (!ip) continue;
      const p = attr(el, 'prefix');
      const m = attr(el, 'netmask');
      const prefix = p !== undefined && /^[0-9]+$/.test(p) ? Number(p) : m !== undefined ? netmaskPrefix(m) : ip.family === 'ipv4' ? undefined : 64;
      if (prefix === undefined || prefix > ipBits(ip.family)) continue;
      const dhcp = child(el, 'dhcp');
      const ranges: NetworkDhcpRange[] = [];
      for (const r of dhcp ? children(dhcp, 'range') : []) {
        const a = tryParseIp(attr(r, 'start'));
        const b = tryParseIp(attr(r, 'end'));
        if (a && b) ranges.push({ start: formatIp(a), end: formatIp(b) });
      }
      out.push({
        family: ip.family,
        address: formatIp(ip),
        prefix,
        ranges,
        hosts: dhcp ? children(dhcp, 'host').map(parseHost) : [],
        dhcp: !!dhcp,
      });
    }
    return out;
  }
  /** The index among `<ip>` elements of the one of `family` that serves DHCP (virNetworkUpdate's parentIndex), or -1. */
  dhcpIndex(family: IpFamily = 'ipv4'): number {
    let i = -1;
    for (const el of children(this.root, 'ip')) {
      if (el.namespaceURI) continue;
      i++;
      const fam = tryParseIp(attr(el, 'address'))?.family;
      if (fam === family && child(el, 'dhcp')) return i;
    }
    return -1;
  }
  /** Serializes, unchanged parts as parsed. */
  toString(): string {
    return serialize(this.doc);
  }
  /** Plain snapshot. */
  toJSON(): Record<string, unknown> {
    const { name, uuid, mode, forwardMode, bridge, mtu, mac, domain, ips } = this;
    return { name, uuid, mode, forwardMode, bridge, mtu, mac, domain, ips };
  }
}
