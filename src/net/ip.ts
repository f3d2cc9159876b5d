// IPv4 and IPv6 addresses as numbers: strict parsing, canonical formatting (RFC 5952 for IPv6),
// subnets. Used by the network XML builder and the address allocator; no I/O.
import { invalid } from '../errors.js';

export type IpFamily = 'ipv4' | 'ipv6';

/** A parsed address: its family and its value as an unsigned integer (32 or 128 bits). */
export interface IpAddress {
  family: IpFamily;
  value: bigint;
}

const BITS: Record<IpFamily, number> = { ipv4: 32, ipv6: 128 };

/** Number of bits of an address of `family`. */
export function ipBits(family: IpFamily): number {
  return BITS[family];
}

const V4_PART = /^(?:0|[1-9][0-9]{0,2})$/;

function parseV4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!V4_PART.test(p) || Number(p) > 255) return undefined;
    v = (v << 8n) | BigInt(p);
  }
  return v;
}

function parseV6(s: string): bigint | undefined {
  if (!/^[0-9A-Fa-f:.]+$/.test(s)) return undefined;
  let str = s;
  // an embedded IPv4 address stands for the last two groups (::ffff:192.0.2.1)
  if (str.includes('.')) {
    const at = str.lastIndexOf(':');
    const v4 = at < 0 ? undefined : parseV4(str.slice(at + 1));
    if (v4 === undefined) return undefined;
    str = `${str.slice(0, at + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = str.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string): bigint[] | undefined => {
    if (h === '') return [];
    const out: bigint[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return undefined;
      out.push(BigInt('0x' + g));
    }
    return out;
  };
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !rest) return undefined;
  const given = head.length + rest.length;
  let all: bigint[];
  if (halves.length === 2) {
    if (given > 7) return undefined;
    all = [...head, ...Array<bigint>(8 - given).fill(0n), ...rest];
  } else {
    if (given !== 8) return undefined;
    all = head;
  }
  return all.reduce((v, g) => (v << 16n) | g, 0n);
}

/** Parses an address of either family; undefined when `s` is neither. */
export function tryParseIp(s: unknown): IpAddress | undefined {
  if (typeof s !== 'string') return undefined;
  const v4 = parseV4(s);
  if (v4 !== undefined) return { family: 'ipv4', value: v4 };
  const v6 = s.includes(':') ? parseV6(s) : undefined;
  return v6 !== undefined ? { family: 'ipv6', value: v6 } : undefined;
}

/** Parses an address (of `family` when given); INVALID_ARGUMENT naming `what` otherwise. */
export function parseIp(s: unknown, what = 'address', family?: IpFamily): IpAddress {
  const ip = tryParseIp(s);
  if (!ip) throw invalid(`${what} must be an IP address, got ${JSON.stringify(s)}`, { argument: what });
  if (family && ip.family !== family) throw invalid(`${what} must be an ${family === 'ipv4' ? 'IPv4' : 'IPv6'} address, got ${JSON.stringify(s)}`, { argument: what });
  return ip;
}

/** Canonical text of an address: dotted quad, or RFC 5952 (lower case, longest zero run as '::'). */
export function formatIp(ip: IpAddress): string {
  if (ip.family === 'ipv4') return [24n, 16n, 8n, 0n].map((s) => String((ip.value >> s) & 0xffn)).join('.');
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((ip.value >> BigInt(i * 16)) & 0xffffn));
  let best = -1;
  let bestLen = 1; // a single zero group is not compressed (RFC 5952 §4.2.2)
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  return best < 0 ? hex(g) : `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

/** Canonical text of `s` (e.g. '2001:DB8:0:0::1' -> '2001:db8::1'); INVALID_ARGUMENT when not an address. */
export function normalizeIp(s: unknown, what = 'address'): string {
  return formatIp(parseIp(s, what));
}

/** A subnet: its first address, prefix length and family. */
export interface Subnet {
  family: IpFamily;
  network: bigint;
  prefix: number;
}

/** The subnet of `ip`/`prefix`. */
export function subnetOf(ip: IpAddress, prefix: number): Subnet {
  const bits = BigInt(BITS[ip.family]);
  const mask = ((1n << BigInt(prefix)) - 1n) << (bits - BigInt(prefix));
  return { family: ip.family, network: ip.value & mask, prefix };
}

/** Last address of a subnet (the IPv4 broadcast address). */
export function subnetLast(s: Subnet): bigint {
  return s.network + (1n << BigInt(BITS[s.family] - s.prefix)) - 1n;
}

/** Whether `ip` lies in subnet `s`. */
export function inSubnet(ip: IpAddress, s: Subnet): boolean {
  return ip.family === s.family && ip.value >= s.network && ip.value <= subnetLast(s);
}

/** Prefix length of an IPv4 netmask ('255.255.255.0' -> 24); undefined when not contiguous. */
export function netmaskPrefix(mask: string): number | undefined {
  const v = parseV4(mask);
  if (v === undefined) return undefined;
  let n = 0;
  while (n < 32 && (v >> BigInt(31 - n)) & 1n) n++;
  return (v & ((1n << BigInt(32 - n)) - 1n)) === 0n ? n : undefined;
}

/** The IPv4 netmask of a prefix length (24 -> '255.255.255.0'). */
export function prefixNetmask(prefix: number): string {
  return formatIp({ family: 'ipv4', value: ((1n << BigInt(prefix)) - 1n) << BigInt(32 - prefix) });
}
