// Deploy with an address: which template NIC goes on which libvirt network, the clone's MACs
// chosen up front, a dry allocation before anything is made, then the reservations, made before
// the clone is defined and released by deploy's undo, by removeClone and by Template.recover
// (through the clone's record).
import type { Connection } from '../connection.js';
import type { Network, NetworkLease } from '../network.js';
import type { NetworkXml } from '../xml/network.js';
import type { CloneReservation } from '../xml/metadata.js';
import type { DeployNetwork, DeployOptions } from './types.js';
import type { Undo } from './undo.js';
import { VirtkitError, invalid } from '../errors.js';
import { argOptions, argString } from '../args.js';
import { abortError } from '../util/abort.js';
import { DomainXml } from '../xml/domain.js';
import { randomMac } from '../xml/mac.js';
import { validateMac } from '../validate.js';
import { allocateAddress } from '../net/allocate.js';
import { tryParseIp, type IpFamily } from '../net/ip.js';

/** One address of a NIC that deploy reserves (one per family asked). */
interface AddrPlan {
  family: IpFamily;
  /** What the caller asked: 'auto' or an address of `family`. */
  wanted: string;
  /** The dry allocation's answer. */
  planned: string;
  prefix?: number;
}

/** One template NIC put on a network. */
interface NicPlan {
  /** The NIC's index among the template's interfaces (document order). */
  index: number;
  network: Network;
  mac: string;
  /** The addresses to reserve, IPv4 first (none for `ip: 'none'` and no `ip6`). */
  addrs: AddrPlan[];
}

/** What deploy does on the networks for one clone. */
export interface NetworkPlan {
  /** MACs for cloneDomain, document order (every NIC up to the last one planned). */
  macs: string[];
  /** The network per NIC for cloneDomain (undefined: keeps its template source). */
  nicNetworks: (string | undefined)[];
  nics: NicPlan[];
}

/**
 * What one planning run (a deploy, or a whole deployMany) shares: each network read once, and the
 * addresses the run has promised per network UUID, so no two of its clones plan one address.
 */
export interface NetworkPlanContext {
  views: Map<string, Promise<{ net: Network; xml: NetworkXml; leases: NetworkLease[] }>>;
  promised: Map<string, Set<string>>;
}

export function newPlanContext(): NetworkPlanContext {
  return { views: new Map(), promised: new Map() };
}

function checkDeployNetwork(v: unknown, argument: string): { name: string; ip: string; ip6: string } {
  argOptions(argument, v as object | undefined);
  if (v === undefined) throw invalid(`${argument} must be an object with a network name`, { argument });
  const n = v as DeployNetwork;
  const name = argString(`${argument}.name`, n.name, { nonEmpty: true });
  const ip = n.ip ?? 'auto';
  if (ip !== 'auto' && ip !== 'none' && (typeof ip !== 'string' || tryParseIp(ip)?.family !== 'ipv4'))
    throw invalid(`${argument}.ip must be 'auto', 'none' or an IPv4 address, got ${JSON.stringify(ip)}`, { argument: `${argument}.ip` });
  const ip6 = n.ip6 ?? 'none';
  if (ip6 !== 'auto' && ip6 !== 'none' && (typeof ip6 !== 'string' || tryParseIp(ip6)?.family !== 'ipv6'))
    throw invalid(`${argument}.ip6 must be 'auto', 'none' or an IPv6 address, got ${JSON.stringify(ip6)}`, { argument: `${argument}.ip6` });
  return { name, ip, ip6 };
}

/**
 * Checks `o.network` / `o.networks` against the template and the networks, chooses the clone's
 * MACs and runs the allocation dry (nothing is changed). Undefined when the deploy asks for no
 * network.
 * @throws VirtkitError `INVALID_ARGUMENT`, `NOT_FOUND` (network), `ADDRESS_RANGE_FULL`, `ADDRESS_IN_USE`.
 */
export async function planNetworks(conn: Connection, tplXml: string, o: DeployOptions, ctx = newPlanContext()): Promise<NetworkPlan | undefined> {
  if (typeof o !== 'object' || o === null || (o.network === undefined && o.networks === undefined)) return undefined;
  if (o.network !== undefined && o.networks !== undefined) throw invalid('give opts.network or opts.networks, not both', { argument: 'opts.networks' });
  const nics = new DomainXml(tplXml).interfaces;
  const wanted = new Map<number, { name: string; ip: string; ip6: string; argument: string }>();
  if (o.network !== undefined) {
    const w = checkDeployNetwork(o.network, 'opts.network');
    if (nics.length === 0) throw invalid(`opts.network: the template has no network interface`, { argument: 'opts.network' });
    wanted.set(0, { ...w, argument: 'opts.network' });
  } else {
    argOptions('opts.networks', o.networks);
    const keys = Object.keys(o.networks!);
    if (keys.length === 0) throw invalid('opts.networks names no interface', { argument: 'opts.networks' });
    for (const key of keys) {
      const argument = `opts.networks.${key}`;
      const w = checkDeployNetwork((o.networks as Record<string, unknown>)[key], argument);
      let index: number;
      if (/^\d+$/.test(key)) {
        index = Number(key);
        if (index >= nics.length) throw invalid(`${argument}: the template has ${nics.length} network interface(s), none with index ${key}`, { argument });
      } else {
        const mac = validateMac(key, argument);
        index = nics.findIndex((n) => n.mac?.toLowerCase() === mac);
        if (index < 0) throw invalid(`${argument}: the template has no network interface with MAC ${mac}`, { argument });
      }
      if (wanted.has(index)) throw invalid(`${argument}: interface ${index} is named twice`, { argument });
      wanted.set(index, { ...w, argument });
    }
  }
  // MACs first: the reservation names the clone's MAC, so the clone gets these (cloneDomain's rule:
  // never one the template uses).
  const used = new Set(nics.map((n) => n.mac?.toLowerCase()).filter((m): m is string => m !== undefined));
  const last = Math.max(...wanted.keys());
  const macs = Array.from({ length: last + 1 }, () => randomMac(used));
  const nicNetworks: (string | undefined)[] = new Array(last + 1).fill(undefined);
  const planned: NicPlan[] = [];
  for (const [index, w] of [...wanted].sort((a, b) => a[0] - b[0])) {
    const view = await viewOf(conn, ctx, w.name, w.argument);
    nicNetworks[index] = view.net.name;
    const nic: NicPlan = { index, network: view.net, mac: macs[index]!, addrs: [] };
    for (const [family, want] of [['ipv4', w.ip], ['ipv6', w.ip6]] as const) {
      if (want === 'none') continue;
      const promised = promisedOf(ctx, view.net);
      const at = family === 'ipv4' ? `${w.argument}.ip` : `${w.argument}.ip6`;
      let ip: string;
      try {
        ip = allocateAddress(view.xml, { family, mac: nic.mac, ip: want === 'auto' ? undefined : want, leases: view.leases, exclude: promised });
      } catch (e) {
        // name the option that asked (the allocator only knows 'ip')
        if (e instanceof VirtkitError && e.code === 'INVALID_ARGUMENT') throw invalid(`${at}: ${e.message}`, { ...(e.details ?? {}), argument: at });
        throw e;
      }
      promised.add(ip);
      const prefix = view.xml.ips.find((i) => i.family === family && i.ranges.length > 0)?.prefix;
      nic.addrs.push({ family, wanted: want, planned: ip, ...(prefix !== undefined ? { prefix } : {}) });
    }
    planned.push(nic);
  }
  return { macs, nicNetworks, nics: planned };
}

/** Plans every spec of a deployMany in spec order (one context: distinct addresses), by clone name. */
export async function planBatch(conn: Connection, tplXml: string, specs: DeployOptions[]): Promise<{ ctx: NetworkPlanContext; plans: Map<string, NetworkPlan> }> {
  const ctx = newPlanContext();
  const plans = new Map<string, NetworkPlan>();
  for (const s of specs) {
    const p = await planNetworks(conn, tplXml, s, ctx);
    if (p && typeof s.name === 'string') plans.set(s.name, p);
  }
  return { ctx, plans };
}

function promisedOf(ctx: NetworkPlanContext, net: Network): Set<string> {
  let s = ctx.promised.get(net.uuid);
  if (!s) ctx.promised.set(net.uuid, (s = new Set()));
  return s;
}

function viewOf(conn: Connection, ctx: NetworkPlanContext, name: string, argument: string) {
  let v = ctx.views.get(name);
  if (!v) {
    v = (async () => {
      const net = await conn.findNetwork(name);
      if (!net) throw new VirtkitError('NOT_FOUND', `no libvirt network named '${name}'`, { details: { network: name, argument } });
      const [xml, leases] = await Promise.all([net.parsed(), net.leases()]);
      return { net, xml, leases };
    })();
    ctx.views.set(name, v);
  }
  return v;
}

/** The name a clone's host entry gets: its own name when that is one host name label (libvirt refuses a name twice). */
function hostEntryName(clone: string): string | undefined {
  return /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(clone) ? clone : undefined;
}

/**
 * Makes the planned reservations (each release registered in `undo` at once) and returns them for
 * the clone's record. An 'auto' address someone else took since the dry check is picked again.
 */
export async function reserveAddresses(plan: NetworkPlan, clone: string, ctx: NetworkPlanContext, undo: Undo, signal?: AbortSignal): Promise<CloneReservation[]> {
  const out: CloneReservation[] = [];
  const hostname = hostEntryName(clone);
  for (const n of plan.nics) {
    for (const a of n.addrs) {
      if (signal?.aborted) throw abortError(signal);
      const promised = promisedOf(ctx, n.network);
      let r: { ip: string };
      try {
        r = await n.network.reserve({ mac: n.mac, family: a.family, ip: a.planned, hostname, exclude: [...promised].filter((x) => x !== a.planned) });
      } catch (e) {
        if (a.wanted !== 'auto' || !(e instanceof VirtkitError && e.code === 'ADDRESS_IN_USE')) throw e;
        r = await n.network.reserve({ mac: n.mac, family: a.family, hostname, exclude: promised });
        promised.add(r.ip);
      }
      // release(mac) removes every family's entry of the MAC: one undo per reservation is harmless
      undo.push(() => n.network.release(n.mac));
      out.push({ network: n.network.name, mac: n.mac, ip: r.ip, family: a.family, ...(a.prefix !== undefined ? { prefix: a.prefix } : {}) });
    }
  }
  return out;
}

/** Releases a clone's recorded reservations; a network that no longer exists has none to release. */
export async function releaseReservations(conn: Connection, list: readonly CloneReservation[] | undefined): Promise<void> {
  const seen = new Set<string>();
  for (const r of list ?? []) {
    // one release per network and MAC removes both families' entries
    const key = `${r.network}\0${r.mac}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const net = await conn.findNetwork(r.network);
    await net?.release(r.mac);
  }
}
