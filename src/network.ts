// Network: a libvirt virtual network, its DHCP leases and its static-host reservations.
import { inspect } from 'node:util';
import type { NativeNetwork } from './native.js';
import type { Core } from './core.js';
import { VirtkitError, invalid, isVirtError } from './errors.js';
import { argOptBool, argOptEnum, argOptString, argOptions } from './args.js';
import { validateMac, checkHostname } from './validate.js';
import { virNetworkUpdateCommand, virNetworkUpdateFlags, virNetworkUpdateSection, virNetworkXMLFlags, virIPAddrType } from './generated/libvirt-enums.js';
import { NetworkXml, networkHostXml, type NetworkHost } from './xml/network.js';
import { allocateAddress } from './net/allocate.js';
import { tryParseIp, type IpFamily } from './net/ip.js';
import { duidLL, macOfDuid } from './net/duid.js';
import { validateUuid } from './validate.js';
import { HostObjectState, intFlag } from './util/host-object.js';
import { NetworkPort, portCreateArgs, updateArgs, type CreatePortOptions, type NetworkUpdateCommand, type NetworkUpdateOptions, type NetworkUpdateSection } from './network-port.js';

const ADD_LAST = virNetworkUpdateCommand.VIR_NETWORK_UPDATE_COMMAND_ADD_LAST;
const DELETE = virNetworkUpdateCommand.VIR_NETWORK_UPDATE_COMMAND_DELETE;
const DHCP_HOST = virNetworkUpdateSection.VIR_NETWORK_SECTION_IP_DHCP_HOST;
const LIVE = virNetworkUpdateFlags.VIR_NETWORK_UPDATE_AFFECT_LIVE;
const CONFIG = virNetworkUpdateFlags.VIR_NETWORK_UPDATE_AFFECT_CONFIG;
/** How often `reserve` re-reads and picks again when another process took the address first. */
const RESERVE_ATTEMPTS = 5;

/** One DHCP lease (virNetworkGetDHCPLeases). */
export interface NetworkLease {
  /** The bridge the lease was given on. */
  interface: string | undefined;
  /** Expiry, seconds since the epoch (0: never). */
  expiryTime: number;
  family: IpFamily;
  ip: string;
  prefix: number;
  mac: string | undefined;
  hostname: string | undefined;
  /** DHCPv4 client id or DHCPv6 DUID, when the client sent one. */
  clientId: string | undefined;
  /** DHCPv6 IAID, when any. */
  iaid: string | undefined;
}

/** A static DHCP host entry of the network (what {@link Network.reserve} adds). */
export interface Reservation {
  family: IpFamily;
  ip: string;
  /** IPv4: the entry's MAC; IPv6: the MAC its `id` names when that is a DUID-LL (what {@link Network.reserve} writes). */
  mac: string | undefined;
  hostname: string | undefined;
  /** DHCPv6 DUID (IPv6 entries). */
  id?: string;
}

/** Options of {@link Network.reserve}. */
export interface ReserveOptions {
  /** The guest NIC's MAC (unicast). */
  mac: string;
  /** A wanted address inside a DHCP range of `family`, or 'auto'/omitted: the lowest free one. */
  ip?: string;
  /**
   * Which of the network's DHCP ranges: 'ipv4' (default; the entry names the MAC) or 'ipv6' (the
   * entry names the MAC's DUID-LL, `00:03:00:01:<mac>`: dnsmasq gives the address to a DHCPv6
   * client sending that DUID). A wanted `ip` of the other family is refused.
   */
  family?: IpFamily;
  /** The name dnsmasq gives the host; libvirt refuses one name twice. */
  hostname?: string;
  /** Addresses promised elsewhere and not yet in the network (a batch in progress). */
  exclude?: Iterable<string>;
}

/** State of a network ({@link Network.info}). */
export interface NetworkInfo {
  active: boolean;
  persistent: boolean;
  autostart: boolean;
  /** The bridge device, when the network has one and is active. */
  bridge: string | undefined;
}

// One in-process queue per network (by UUID), so concurrent reserves of this process never pick
// one address twice; other processes are covered by libvirt's atomic refusal and the retry.
const queues = new Map<string, Promise<unknown>>();
function serialized<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const prev = queues.get(key) ?? Promise.resolve();
  const run = prev.then(fn, fn);
  const tail = run.catch(() => undefined);
  queues.set(key, tail);
  void tail.then(() => {
    if (queues.get(key) === tail) queues.delete(key);
  });
  return run;
}

/** A libvirt virtual network. */
export class Network {
  readonly #n: NativeNetwork;
  readonly #core: Core;
  readonly #state: HostObjectState<number>;
  /** @internal */
  constructor(core: Core, n: NativeNetwork) {
    this.#core = core;
    this.#n = n;
    this.#state = new HostObjectState(core, n, intFlag);
  }
  /** The network's name. */
  get name(): string {
    return this.#n.getName();
  }
  /** The network's UUID. */
  get uuid(): string {
    return this.#n.getUUIDString();
  }
  /** The network XML; `inactive`: the persistent config rather than the live one. */
  async xml(opts: { inactive?: boolean } = {}): Promise<string> {
    argOptions('opts', opts);
    argOptBool('opts.inactive', opts.inactive);
    const flags = opts.inactive ? virNetworkXMLFlags.VIR_NETWORK_XML_INACTIVE : 0;
    return this.#core.call(() => this.#n.getXMLDesc(flags));
  }
  /** The parsed network XML (live). */
  async parsed(opts: { inactive?: boolean } = {}): Promise<NetworkXml> {
    return new NetworkXml(await this.xml(opts));
  }
  /** True when the network is started. */
  isActive(): Promise<boolean> {
    return this.#state.isActive();
  }
  /** True for a defined network, false for a transient one. */
  isPersistent(): Promise<boolean> {
    return this.#state.isPersistent();
  }
  /** Whether the network starts when the daemon does. */
  autostart(): Promise<boolean> {
    return this.#state.autostart();
  }
  /** Sets autostart (persistent networks only). */
  setAutostart(on: boolean): Promise<void> {
    return this.#state.setAutostart(on);
  }
  /** Active, persistent, autostart and bridge in one call. */
  async info(): Promise<NetworkInfo> {
    const [active, persistent, autostart] = await Promise.all([this.isActive(), this.isPersistent(), this.autostart()]);
    let bridge: string | undefined;
    try {
      bridge = active ? await this.#core.call(() => this.#n.getBridgeName()) : undefined;
    } catch (e) {
      if (!isVirtError(e)) throw e; // networks without a bridge (e.g. hostdev) have none
    }
    return { active, persistent, autostart, bridge };
  }
  /** Starts a defined network. @throws VirtError `VIR_ERR_OPERATION_INVALID` when already active. */
  start(): Promise<void> {
    return this.#core.call(() => this.#n.create());
  }
  /** Stops the network (virNetworkDestroy); a transient network vanishes. */
  stop(): Promise<void> {
    return this.#core.call(() => this.#n.destroy());
  }
  /** Removes the persistent definition (a running network keeps running, then becomes transient). */
  undefine(): Promise<void> {
    return this.#core.call(() => this.#n.undefine());
  }

  /**
   * The current DHCP leases, optionally only those of `mac`. A driver that keeps no leases
   * (the test driver) reports none.
   */
  async leases(opts: { mac?: string } = {}): Promise<NetworkLease[]> {
    argOptions('opts', opts);
    const mac = opts.mac === undefined ? null : validateMac(opts.mac, 'opts.mac');
    let list;
    try {
      list = await this.#core.call(() => this.#n.getDHCPLeases(mac, 0));
    } catch (e) {
      if (isVirtError(e, 'VIR_ERR_NO_SUPPORT')) return [];
      throw e;
    }
    return list.map((l) => ({
      interface: l.iface ?? undefined,
      expiryTime: Number(l.expirytime),
      family: l.type === virIPAddrType.VIR_IP_ADDR_TYPE_IPV6 ? 'ipv6' : 'ipv4',
      ip: l.ipaddr ?? '',
      prefix: l.prefix,
      mac: l.mac?.toLowerCase() ?? undefined,
      hostname: l.hostname ?? undefined,
      clientId: l.clientid ?? undefined,
      iaid: l.iaid ?? undefined,
    }));
  }
  /** The static DHCP hosts of the live XML, every family. */
  async reservations(): Promise<Reservation[]> {
    const x = await this.parsed();
    return x.ips.flatMap((ip) =>
      ip.hosts.map((h) => ({ family: ip.family, ip: h.ip, mac: h.mac ?? macOfDuid(h.id), hostname: h.name, ...(h.id ? { id: h.id } : {}) })),
    );
  }

  /**
   * Reserves an address for `mac`: a static DHCP host entry, so dnsmasq gives that guest that
   * address. IPv4 (default) entries name the MAC; IPv6 ones (`family: 'ipv6'`, or an IPv6 `ip`)
   * the MAC's DUID-LL in `id` (DHCPv6 knows clients by DUID), with `hostname` as `name`. With `ip`
   * omitted or 'auto' the lowest free address of that family's DHCP ranges (not the network's own,
   * not another host's, not another MAC's current lease). Applied live and to the config of an
   * active persistent network, live only to a transient one, config only to an inactive one.
   * @throws VirtkitError `INVALID_ARGUMENT` (bad mac/ip/hostname/family, no DHCP range of the
   * family; nothing changed), `ALREADY_EXISTS` (the MAC has a reservation of that family, or the
   * hostname is taken), `ADDRESS_IN_USE` (the ip is taken), `ADDRESS_RANGE_FULL` (no free address).
   */
  async reserve(opts: ReserveOptions): Promise<{ mac: string; ip: string; hostname: string | undefined; family: IpFamily; id?: string }> {
    if (typeof opts !== 'object' || opts === null) throw invalid('opts must be an object with a mac', { argument: 'opts' });
    argOptions('opts', opts);
    const mac = validateMac(opts.mac, 'opts.mac');
    const wanted = argOptString('opts.ip', opts.ip, { nonEmpty: true });
    const hostname = opts.hostname === undefined ? undefined : checkHostname(opts.hostname, 'opts.hostname');
    const exclude = opts.exclude === undefined ? [] : [...opts.exclude];
    const asked = argOptEnum('opts.family', opts.family, ['ipv4', 'ipv6'] as const);
    let family: IpFamily = asked ?? 'ipv4';
    if (wanted !== undefined && wanted !== 'auto') {
      const a = tryParseIp(wanted);
      if (!a || (asked !== undefined && a.family !== asked)) {
        const what = asked === undefined ? 'an IPv4 or IPv6 address' : `an ${asked === 'ipv4' ? 'IPv4' : 'IPv6'} address`;
        throw invalid(`opts.ip must be ${what} or 'auto', got ${JSON.stringify(wanted)}`, { argument: 'opts.ip' });
      }
      family = a.family;
    }
    const ip6 = family === 'ipv6';
    const id = ip6 ? duidLL(mac) : undefined;
    const want = wanted === 'auto' ? undefined : wanted;
    return serialized(this.uuid, async () => {
      // addresses libvirt refused although the live XML showed them free (another process's entry,
      // or one in the persistent config only): the next attempt skips them
      const refused: string[] = [];
      for (let attempt = 1; ; attempt++) {
        const [x, leases, flags] = await Promise.all([this.parsed(), this.leases(), this.#updateFlags()]);
        const ip = allocateAddress(x, { family, mac, ip: want, leases, exclude: [...exclude, ...refused] });
        const host: NetworkHost = ip6 ? { id, ip } : { mac, ip };
        if (hostname) host.name = hostname;
        const hostXml = networkHostXml(host);
        try {
          await this.#core.call(() => this.#n.update(ADD_LAST, DHCP_HOST, x.dhcpIndex(family), hostXml, flags));
          return { mac, ip, hostname, family, ...(id ? { id } : {}) };
        } catch (e) {
          // libvirt refuses an entry whose ip, MAC or name exists: someone else got there first.
          if (!isVirtError(e, 'VIR_ERR_OPERATION_INVALID')) throw e;
          const now = await this.parsed();
          const hosts = now.ips.find((i) => i.family === family)?.hosts ?? [];
          const mine = (h: NetworkHost) => (ip6 ? h.id === id : h.mac === mac);
          const byName = hostname !== undefined && hosts.some((h) => h.name === hostname && !mine(h));
          if (byName) throw new VirtkitError('ALREADY_EXISTS', `network ${this.name} already has a host named ${hostname}`, { details: { network: this.name, hostname, family }, cause: e });
          if (hosts.some(mine) || want !== undefined || attempt >= RESERVE_ATTEMPTS) {
            // the next allocateAddress names the precise reason (ALREADY_EXISTS / ADDRESS_IN_USE)
            allocateAddress(now, { family, mac, ip: want, leases, exclude: [...exclude, ...refused] });
            throw new VirtkitError('ADDRESS_IN_USE', `network ${this.name} refused the reservation of ${ip} for ${mac}: ${(e as Error).message}`, { details: { network: this.name, ip, mac, family, attempts: attempt }, cause: e });
          }
          refused.push(ip);
        }
      }
    });
  }

  /**
   * Removes the reservations of `mac`: the IPv4 entries naming it and the IPv6 entries naming its
   * DUID-LL. A MAC without one is a no-op.
   */
  async release(mac: string): Promise<void> {
    const m = validateMac(mac, 'mac');
    return serialized(this.uuid, async () => {
      const [x, flags] = await Promise.all([this.parsed(), this.#updateFlags()]);
      for (const ip of x.ips) {
        const parent = x.dhcpIndex(ip.family);
        for (const h of ip.hosts.filter((h) => h.mac === m || macOfDuid(h.id) === m)) {
          const hostXml = networkHostXml(h);
          await this.#core.call(() => this.#n.update(DELETE, DHCP_HOST, parent, hostXml, flags));
        }
      }
    });
  }

  /** The network's ports (one per plugged-in guest NIC, made by the hypervisor driver or {@link Network.createPort}). */
  async ports(): Promise<NetworkPort[]> {
    const list = await this.#core.call(() => this.#n.listAllPorts(0));
    return list.map((p) => new NetworkPort(this.#core, p));
  }
  /** The port with this UUID. @throws VirtError `VIR_ERR_NO_NETWORK_PORT` when there is none. */
  async port(uuid: string): Promise<NetworkPort> {
    const u = validateUuid(uuid, 'uuid');
    return new NetworkPort(this.#core, await this.#core.call(() => this.#n.portLookupByUUIDString(u)));
  }
  /** Creates a port from `<networkport>` XML (owner, MAC, optional bandwidth); the network must be active. */
  async createPort(xml: string, opts: CreatePortOptions = {}): Promise<NetworkPort> {
    const [x, flags] = portCreateArgs(xml, opts);
    return new NetworkPort(this.#core, await this.#core.call(() => this.#n.portCreateXML(x, flags)));
  }

  /**
   * Changes one element of the definition in place (virNetworkUpdate; `virsh net-update`'s
   * commands and sections), e.g. `update('add-last', 'dns-host', '<host ip=…><hostname>a</hostname></host>')`.
   * Without `live`/`config`: the running network when active, and the config when persistent.
   * (DHCP host reservations have their own typed form: {@link Network.reserve}.)
   */
  async update(command: NetworkUpdateCommand, section: NetworkUpdateSection, xml: string, opts: NetworkUpdateOptions = {}): Promise<void> {
    const pre = updateArgs(command, section, xml, opts, 0);
    const flags = opts.live === undefined && opts.config === undefined ? await this.#updateFlags() : pre[4];
    return this.#core.call(() => this.#n.update(pre[0], pre[1], pre[2], pre[3], flags));
  }

  // LIVE|CONFIG for an active persistent network, LIVE for a transient one, CONFIG for an inactive one.
  async #updateFlags(): Promise<number> {
    const [active, persistent] = await Promise.all([this.isActive(), this.isPersistent()]);
    return (active ? LIVE : 0) | (persistent ? CONFIG : 0);
  }

  /** Short form for console.log and the REPL. */
  [inspect.custom](): string {
    return `Network { name: ${inspect(this.name)}, uuid: ${inspect(this.uuid)} }`;
  }
}
