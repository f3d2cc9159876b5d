// A migrating clone's DHCP reservations (the ones deploy made, listed in its record): the same
// MAC gets the same address, and the same host name, in the network of the same name on the
// target. Checked for every reservation before anything moves, made just before the migration
// job, undone exactly (only the entries made here) when it fails, and released on the source once
// the source definition is gone.
import type { Core } from './core.js';
import { Network } from './network.js';
import type { CloneReservation } from './xml/metadata.js';
import type { NetworkHost } from './xml/network.js';
import { networkHostXml } from './xml/network.js';
import { VirtkitError, isVirtError } from './errors.js';
import { allocateAddress } from './net/allocate.js';
import { duidLL, macOfDuid } from './net/duid.js';
import { tryParseIp, formatIp } from './net/ip.js';

/** One reservation checked on the target, ready to be made there. */
export interface MovingReservation {
  /** As the source record has it. */
  from: CloneReservation;
  /** The target's network of that name. */
  net: Network;
  /** The host entry the target gets (the source entry's name, when it has one). */
  host: NetworkHost;
  /** The target already has this very entry (same MAC, same address): nothing to make or undo. */
  present: boolean;
  /** The target network's prefix for the family, for the record. */
  prefix?: number;
}

/** The network of that name on the connection of `core`, or undefined. */
export async function networkOn(core: Core, name: string): Promise<Network | undefined> {
  try {
    return new Network(core, await core.call(() => core.native.networkLookupByName(name)));
  } catch (e) {
    if (isVirtError(e, 'VIR_ERR_NO_NETWORK')) return undefined;
    throw e;
  }
}

const canon = (ip: string): string => {
  const a = tryParseIp(ip);
  return a ? formatIp(a) : ip;
};

function onTarget(e: unknown, r: CloneReservation): unknown {
  if (!(e instanceof VirtkitError)) return e;
  return new VirtkitError(e.code, `migrate: reservation ${r.ip} of ${r.mac} on the target host: ${e.message}`, { details: { ...(e.details ?? {}), network: r.network, mac: r.mac, ip: r.ip, family: r.family }, cause: e });
}

/**
 * Checks that the target can take every reservation: a network of the same name, the address
 * inside its DHCP range and free there (no other MAC's entry or lease), the MAC without another
 * entry of that family, the host name not another MAC's. Changes nothing.
 * @throws VirtkitError `NOT_FOUND` (no network of that name on the target), `ADDRESS_IN_USE`,
 * `ALREADY_EXISTS` (the MAC has another address there, or the name is another host's),
 * `INVALID_ARGUMENT` (the target network has no DHCP range of the family holding the address).
 */
export async function checkReservations(source: Core, target: Core, list: readonly CloneReservation[] | undefined): Promise<MovingReservation[]> {
  const out: MovingReservation[] = [];
  const srcHosts = new Map<string, Awaited<ReturnType<Network['reservations']>>>();
  for (const r of list ?? []) {
    const net = await networkOn(target, r.network);
    if (!net) {
      throw new VirtkitError('NOT_FOUND', `migrate: the clone has a reservation (${r.ip} for ${r.mac}) in network '${r.network}', which the target host does not have; define it there first`, {
        details: { network: r.network, mac: r.mac, ip: r.ip, family: r.family },
      });
    }
    // The host name the source entry has (deploy names it after the clone): the target's gets it too.
    if (!srcHosts.has(r.network)) srcHosts.set(r.network, (await (await networkOn(source, r.network))?.reservations()) ?? []);
    const ip = canon(r.ip);
    const name = srcHosts.get(r.network)!.find((h) => h.family === r.family && h.mac === r.mac && h.ip === ip)?.hostname;
    const [x, leases] = await Promise.all([net.parsed(), net.leases()]);
    const ipdef = x.ips.find((i) => i.family === r.family && i.ranges.length > 0);
    const mine = (h: NetworkHost) => (r.family === 'ipv6' ? macOfDuid(h.id) === r.mac : h.mac === r.mac);
    const same = ipdef?.hosts.find(mine);
    const present = same !== undefined && same.ip === ip;
    try {
      if (!present) allocateAddress(x, { family: r.family, mac: r.mac, ip, leases });
    } catch (e) {
      throw onTarget(e, r);
    }
    if (name !== undefined && !present && (ipdef?.hosts ?? []).some((h) => h.name === name && !mine(h))) {
      throw new VirtkitError('ALREADY_EXISTS', `migrate: network '${r.network}' on the target host has another host named ${name}`, { details: { network: r.network, hostname: name, mac: r.mac, ip } });
    }
    const host: NetworkHost = r.family === 'ipv6' ? { id: duidLL(r.mac), ip } : { mac: r.mac, ip };
    if (name !== undefined) host.name = name;
    out.push({ from: r, net, host, present, ...(ipdef ? { prefix: ipdef.prefix } : {}) });
  }
  return out;
}

/**
 * Makes the checked reservations on the target, pushing the removal of each entry made into
 * `undo` at once; resolves with the reservations for the record the clone has there.
 */
export async function reserveOnTarget(moving: readonly MovingReservation[], undo: (() => Promise<void>)[]): Promise<CloneReservation[]> {
  const out: CloneReservation[] = [];
  for (const m of moving) {
    const r = m.from;
    if (!m.present) {
      try {
        await m.net.reserve({ mac: r.mac, ip: m.host.ip, family: r.family, ...(m.host.name !== undefined ? { hostname: m.host.name } : {}) });
      } catch (e) {
        throw onTarget(e, r); // taken since the check (another process)
      }
      undo.push(() => removeHost(m.net, r.family, m.host));
    }
    out.push({ ...r, ip: m.host.ip, ...(m.prefix !== undefined ? { prefix: m.prefix } : {}) });
  }
  return out;
}

// Only the entry made here: release(mac) would also take an entry of the other family the target
// had before.
async function removeHost(net: Network, family: CloneReservation['family'], host: NetworkHost): Promise<void> {
  const parentIndex = (await net.parsed()).dhcpIndex(family);
  await net.update('delete', 'ip-dhcp-host', networkHostXml(host), { parentIndex });
}

/** Releases the reservations on the source (its definition is gone); a network gone has none. */
export async function releaseOnSource(source: Core, list: readonly CloneReservation[] | undefined): Promise<void> {
  const seen = new Set<string>();
  for (const r of list ?? []) {
    const key = `${r.network}\0${r.mac}`; // release(mac) removes both families' entries
    if (seen.has(key)) continue;
    seen.add(key);
    await (await networkOn(source, r.network))?.release(r.mac);
  }
}
