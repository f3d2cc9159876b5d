// HostInterface: a physical host interface as libvirt's interface driver (netcf/udev) sees it:
// NICs, bridges, bonds and VLANs of the host itself, not a guest's NIC.
import { inspect } from 'node:util';
import type { NativeInterface } from './native.js';
import type { Core } from './core.js';
import { argOptBool, argOptions, argString } from './args.js';
import { invalid, isVirtError } from './errors.js';
import { checkLookup } from './validate.js';
import { virConnectListAllInterfacesFlags as L, virInterfaceXMLFlags } from './generated/libvirt-enums.js';
import { parseHostInterface, type HostInterfaceSummary } from './xml/host-interface.js';

/** Filter of {@link Connection.hostInterfaces}; none set lists every interface. */
export interface HostInterfaceFilter {
  /** Only interfaces that are up. */
  active?: boolean;
  /** Only interfaces that are down. */
  inactive?: boolean;
}

/** libvirt's list flags for a {@link HostInterfaceFilter}. */
export function hostInterfaceListFlags(filter: HostInterfaceFilter): number {
  argOptions('filter', filter);
  return (
    (argOptBool('filter.active', filter.active) ? L.VIR_CONNECT_LIST_INTERFACES_ACTIVE : 0) |
    (argOptBool('filter.inactive', filter.inactive) ? L.VIR_CONNECT_LIST_INTERFACES_INACTIVE : 0)
  );
}

/** A host network interface (virInterfacePtr). */
export class HostInterface {
  readonly #n: NativeInterface;
  readonly #core: Core;
  /** @internal */
  constructor(core: Core, n: NativeInterface) {
    this.#core = core;
    this.#n = n;
  }
  /** The interface's name, e.g. 'eth0' or 'br0'. */
  get name(): string {
    return this.#n.getName();
  }
  /** Its MAC address, lower-case ('' for an interface without one, e.g. 'lo'). */
  get mac(): string {
    return (this.#n.getMACString() ?? '').toLowerCase();
  }
  /** True when the interface is up. */
  isActive(): Promise<boolean> {
    return this.#core.call(() => this.#n.isActive());
  }
  /** The interface XML; `inactive`: the persistent configuration rather than the live state. */
  async xml(opts: { inactive?: boolean } = {}): Promise<string> {
    argOptions('opts', opts);
    const flags = argOptBool('opts.inactive', opts.inactive) ? virInterfaceXMLFlags.VIR_INTERFACE_XML_INACTIVE : 0;
    return this.#core.call(() => this.#n.getXMLDesc(flags));
  }
  /** Type, MAC, MTU, start mode, addresses and members, from one XML read. */
  async summary(opts: { inactive?: boolean } = {}): Promise<HostInterfaceSummary> {
    return parseHostInterface(await this.xml(opts));
  }
  /** Brings a defined interface up (virInterfaceCreate, 'ifup'). */
  start(): Promise<void> {
    return this.#core.call(() => this.#n.create(0));
  }
  /** Takes the interface down (virInterfaceDestroy, 'ifdown'); its definition stays. */
  stop(): Promise<void> {
    return this.#core.call(() => this.#n.destroy(0));
  }
  /** Removes the interface's persistent configuration. */
  undefine(): Promise<void> {
    return this.#core.call(() => this.#n.undefine());
  }
  /** Short form for console.log and the REPL. */
  [inspect.custom](): string {
    return `HostInterface { name: ${inspect(this.name)}, mac: ${inspect(this.mac)} }`;
  }
}

// ---- the Connection methods' bodies (Connection delegates here, keeping connection.ts small) ----

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/** @internal Connection.hostInterfaces */
export async function listHostInterfaces(core: Core, filter: HostInterfaceFilter = {}): Promise<HostInterface[]> {
  const flags = hostInterfaceListFlags(filter);
  const list = await core.call(() => core.native.listAllInterfaces(flags));
  return list.map((i) => new HostInterface(core, i));
}
/** @internal Connection.hostInterface: a MAC-shaped key is a MAC, anything else a name. */
export async function lookupHostInterface(core: Core, nameOrMac: string): Promise<HostInterface> {
  checkLookup('nameOrMac', nameOrMac);
  const n = await core.call(() => (MAC.test(nameOrMac) ? core.native.interfaceLookupByMACString(nameOrMac.toLowerCase()) : core.native.interfaceLookupByName(nameOrMac)));
  return new HostInterface(core, n);
}
/** @internal Connection.findHostInterface */
export async function findHostInterface(core: Core, nameOrMac: string): Promise<HostInterface | undefined> {
  try {
    return await lookupHostInterface(core, nameOrMac);
  } catch (e) {
    if (isVirtError(e, 'VIR_ERR_NO_INTERFACE')) return undefined;
    throw e;
  }
}
/** @internal Connection.defineHostInterface */
export async function defineHostInterface(core: Core, xml: string): Promise<HostInterface> {
  argString('xml', xml, { nonBlank: true });
  return new HostInterface(core, await core.call(() => core.native.interfaceDefineXML(xml, 0)));
}

/**
 * @internal Connection.changeHostInterfaces: virInterfaceChangeBegin, `fn`, then
 * virInterfaceChangeCommit; when `fn` throws, virInterfaceChangeRollback restores the host's
 * interface configuration as it was at the start, and `fn`'s error is rethrown.
 */
export async function changeHostInterfaces<T>(core: Core, fn: () => Promise<T> | T): Promise<T> {
  if (typeof fn !== 'function') throw invalid('fn must be a function', { argument: 'fn' });
  await core.call(() => core.native.interfaceChangeBegin(0));
  let result: T;
  try {
    result = await fn();
  } catch (e) {
    await core.call(() => core.native.interfaceChangeRollback(0)).catch(() => undefined);
    throw e;
  }
  await core.call(() => core.native.interfaceChangeCommit(0));
  return result;
}
