// NWFilter: a libvirt network filter (ebtables/iptables rules the daemon applies to guest ports),
// and NWFilterBinding: one filter applied to one port.
import { inspect } from 'node:util';
import type { NativeNWFilter, NativeNWFilterBinding } from './native.js';
import type { Core } from './core.js';
import { argString } from './args.js';
import { isVirtError } from './errors.js';
import { checkLookup, normalizeUuid } from './validate.js';
import { NWFilterXml, nwfilterBindingXml, nwfilterXml, parseNWFilterBinding, type NWFilterBindingSpec, type NWFilterSpec } from './xml/nwfilter.js';

/** A network filter (virNWFilterPtr). */
export class NWFilter {
  readonly #n: NativeNWFilter;
  readonly #core: Core;
  /** @internal */
  constructor(core: Core, n: NativeNWFilter) {
    this.#core = core;
    this.#n = n;
  }
  /** The filter's name, e.g. 'clean-traffic'. */
  get name(): string {
    return this.#n.getName();
  }
  /** The filter's UUID. */
  get uuid(): string {
    return this.#n.getUUIDString();
  }
  /** The filter XML. */
  xml(): Promise<string> {
    return this.#core.call(() => this.#n.getXMLDesc(0));
  }
  /** The parsed XML: chain, priority, filter references, rules. */
  async parsed(): Promise<NWFilterXml> {
    return new NWFilterXml(await this.xml());
  }
  /** Removes the filter definition. */
  undefine(): Promise<void> {
    return this.#core.call(() => this.#n.undefine());
  }
  /** Short form for console.log and the REPL. */
  [inspect.custom](): string {
    return `NWFilter { name: ${inspect(this.name)}, uuid: ${inspect(this.uuid)} }`;
  }
}

/** A filter bound to one guest port (virNWFilterBindingPtr); libvirt makes one per filtered NIC of a running guest. */
export class NWFilterBinding {
  readonly #n: NativeNWFilterBinding;
  readonly #core: Core;
  /** @internal */
  constructor(core: Core, n: NativeNWFilterBinding) {
    this.#core = core;
    this.#n = n;
  }
  /** The host-side port device, e.g. 'vnet0' (bindings are looked up by it). */
  get portDev(): string {
    return this.#n.getPortDev();
  }
  /** The name of the filter applied. */
  get filterName(): string {
    return this.#n.getFilterName();
  }
  /** The binding XML. */
  xml(): Promise<string> {
    return this.#core.call(() => this.#n.getXMLDesc(0));
  }
  /** Owner, port, MAC, filter and parameters, parsed from the XML. */
  async parsed(): Promise<NWFilterBindingSpec> {
    return parseNWFilterBinding(await this.xml());
  }
  /** Removes the binding: the port's rules are taken down. */
  delete(): Promise<void> {
    return this.#core.call(() => this.#n.delete());
  }
  /** Short form for console.log and the REPL. */
  [inspect.custom](): string {
    return `NWFilterBinding { portDev: ${inspect(this.portDev)}, filter: ${inspect(this.filterName)} }`;
  }
}

// ---- the Connection methods' bodies (Connection delegates here, keeping connection.ts small) ----

/** @internal Connection.nwfilters */
export async function listNWFilters(core: Core): Promise<NWFilter[]> {
  const list = await core.call(() => core.native.listAllNWFilters(0));
  return list.map((f) => new NWFilter(core, f));
}
/** @internal Connection.nwfilter: a UUID first, then a name (a filter may be named like a UUID). */
export async function lookupNWFilter(core: Core, nameOrUuid: string): Promise<NWFilter> {
  checkLookup('nameOrUuid', nameOrUuid);
  const uuid = normalizeUuid(nameOrUuid);
  if (uuid) {
    try {
      return new NWFilter(core, await core.call(() => core.native.nwFilterLookupByUUIDString(uuid)));
    } catch (e) {
      if (!isVirtError(e, 'VIR_ERR_NO_NWFILTER')) throw e;
    }
  }
  return new NWFilter(core, await core.call(() => core.native.nwFilterLookupByName(nameOrUuid)));
}
/** @internal Connection.findNWFilter */
export async function findNWFilter(core: Core, nameOrUuid: string): Promise<NWFilter | undefined> {
  try {
    return await lookupNWFilter(core, nameOrUuid);
  } catch (e) {
    if (isVirtError(e, 'VIR_ERR_NO_NWFILTER')) return undefined;
    throw e;
  }
}
/** @internal Connection.defineNWFilter */
export async function defineNWFilter(core: Core, spec: NWFilterSpec | string): Promise<NWFilter> {
  const xml = typeof spec === 'string' ? argString('spec', spec, { nonBlank: true }) : nwfilterXml(spec);
  return new NWFilter(core, await core.call(() => core.native.nwFilterDefineXMLFlags(xml, 0)));
}
/** @internal Connection.nwfilterBindings */
export async function listNWFilterBindings(core: Core): Promise<NWFilterBinding[]> {
  const list = await core.call(() => core.native.listAllNWFilterBindings(0));
  return list.map((b) => new NWFilterBinding(core, b));
}
/** @internal Connection.nwfilterBinding */
export async function lookupNWFilterBinding(core: Core, portDev: string): Promise<NWFilterBinding> {
  checkLookup('portDev', portDev);
  return new NWFilterBinding(core, await core.call(() => core.native.nwFilterBindingLookupByPortDev(portDev)));
}
/** @internal Connection.createNWFilterBinding */
export async function createNWFilterBinding(core: Core, spec: NWFilterBindingSpec | string): Promise<NWFilterBinding> {
  const xml = typeof spec === 'string' ? argString('spec', spec, { nonBlank: true }) : nwfilterBindingXml(spec);
  return new NWFilterBinding(core, await core.call(() => core.native.nwFilterBindingCreateXML(xml, 0)));
}
