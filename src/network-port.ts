// NetworkPort: one port of a libvirt network (virNetworkPort*), and Network.update's typed form.
import { inspect } from 'node:util';
import type { NativeNetworkPort, TypedParams } from './native.js';
import type { Core } from './core.js';
import { invalid } from './errors.js';
import { argOptBool, argOptions, argInt, argString } from './args.js';
import { parseXml } from './xml/doc.js';
import { virNetworkPortCreateFlags, virNetworkUpdateCommand, virNetworkUpdateFlags, virNetworkUpdateSection } from './generated/libvirt-enums.js';

/** A port on a network, as the hypervisor driver makes one for each guest NIC it plugs in. */
export class NetworkPort {
  readonly #p: NativeNetworkPort;
  readonly #core: Core;
  /** @internal */
  constructor(core: Core, p: NativeNetworkPort) {
    this.#core = core;
    this.#p = p;
  }
  /** The port's UUID. */
  get uuid(): string {
    return this.#p.getUUIDString();
  }
  /** The port XML (`<networkport>`: owner, MAC, plug, bandwidth). */
  xml(): Promise<string> {
    return this.#core.call(() => this.#p.getXMLDesc(0));
  }
  /** The port's parameters (bandwidth: `inbound.average`, `outbound.peak`, ...), as libvirt names them. */
  parameters(): Promise<TypedParams> {
    return this.#core.call(() => this.#p.getParameters(0));
  }
  /** Changes some parameters (the bandwidth ones today); the rest keep their values. */
  async setParameters(params: TypedParams): Promise<void> {
    argOptions('params', params);
    return this.#core.call(() => this.#p.setParameters(params, 0));
  }
  /** Deletes the port (the network stops counting it). */
  delete(): Promise<void> {
    return this.#core.call(() => this.#p.delete(0));
  }
  /** Short form for console.log and the REPL. */
  [inspect.custom](): string {
    return `NetworkPort { uuid: ${inspect(this.uuid)} }`;
  }
}

/** Options of {@link Network.createPort}. */
export interface CreatePortOptions {
  /** Take over a port a crashed owner left (VIR_NETWORK_PORT_CREATE_RECLAIM). */
  reclaim?: boolean;
  /** Validate the XML against libvirt's schema first. */
  validate?: boolean;
}

/** @internal The flags of virNetworkPortCreateXML; the XML checked well-formed with `<networkport>` as root. */
export function portCreateArgs(xml: unknown, opts: CreatePortOptions = {}): [string, number] {
  const x = argString('xml', xml);
  const root = parseXml(x, 'xml').documentElement;
  if (root?.nodeName !== 'networkport') throw invalid(`xml: expected a <networkport> element, got <${root?.nodeName}>`, { argument: 'xml' });
  const o = argOptions('opts', opts);
  const F = virNetworkPortCreateFlags;
  const flags = (argOptBool('opts.reclaim', o.reclaim) ? F.VIR_NETWORK_PORT_CREATE_RECLAIM : 0) | (argOptBool('opts.validate', o.validate) ? F.VIR_NETWORK_PORT_CREATE_VALIDATE : 0);
  return [x, flags];
}

/** What {@link Network.update} does with the element. */
export type NetworkUpdateCommand = 'add-first' | 'add-last' | 'modify' | 'delete';
/** Which part of the network definition {@link Network.update} changes (virsh net-update's names). */
export type NetworkUpdateSection =
  | 'bridge' | 'domain' | 'ip' | 'ip-dhcp-host' | 'ip-dhcp-range' | 'forward' | 'forward-interface'
  | 'forward-pf' | 'portgroup' | 'dns-host' | 'dns-txt' | 'dns-srv';
/** Options of {@link Network.update}. */
export interface NetworkUpdateOptions {
  /** Index of the parent element for sections under one (`ip-dhcp-host`: which `<ip>`); -1: the first that fits (default). */
  parentIndex?: number;
  /** Change the running network (default: the running one when active, plus the config when persistent). */
  live?: boolean;
  /** Change the persistent configuration. */
  config?: boolean;
}

const COMMANDS: Record<NetworkUpdateCommand, number> = {
  'add-first': virNetworkUpdateCommand.VIR_NETWORK_UPDATE_COMMAND_ADD_FIRST,
  'add-last': virNetworkUpdateCommand.VIR_NETWORK_UPDATE_COMMAND_ADD_LAST,
  modify: virNetworkUpdateCommand.VIR_NETWORK_UPDATE_COMMAND_MODIFY,
  delete: virNetworkUpdateCommand.VIR_NETWORK_UPDATE_COMMAND_DELETE,
};
const S = virNetworkUpdateSection;
const SECTIONS: Record<NetworkUpdateSection, number> = {
  bridge: S.VIR_NETWORK_SECTION_BRIDGE, domain: S.VIR_NETWORK_SECTION_DOMAIN, ip: S.VIR_NETWORK_SECTION_IP,
  'ip-dhcp-host': S.VIR_NETWORK_SECTION_IP_DHCP_HOST, 'ip-dhcp-range': S.VIR_NETWORK_SECTION_IP_DHCP_RANGE,
  forward: S.VIR_NETWORK_SECTION_FORWARD, 'forward-interface': S.VIR_NETWORK_SECTION_FORWARD_INTERFACE,
  'forward-pf': S.VIR_NETWORK_SECTION_FORWARD_PF, portgroup: S.VIR_NETWORK_SECTION_PORTGROUP,
  'dns-host': S.VIR_NETWORK_SECTION_DNS_HOST, 'dns-txt': S.VIR_NETWORK_SECTION_DNS_TXT, 'dns-srv': S.VIR_NETWORK_SECTION_DNS_SRV,
};

/**
 * @internal virNetworkUpdate's arguments from the typed form; `defaults` are the flags used when
 * neither `live` nor `config` is given.
 */
export function updateArgs(command: unknown, section: unknown, xml: unknown, opts: NetworkUpdateOptions, defaults: number): [number, number, number, string, number] {
  if (typeof command !== 'string' || !(command in COMMANDS))
    throw invalid(`command must be one of ${Object.keys(COMMANDS).join(', ')}`, { argument: 'command' });
  if (typeof section !== 'string' || !(section in SECTIONS))
    throw invalid(`section must be one of ${Object.keys(SECTIONS).join(', ')}`, { argument: 'section' });
  const x = argString('xml', xml);
  parseXml(x, 'xml');
  const o = argOptions('opts', opts);
  const parent = o.parentIndex === undefined ? -1 : argInt('opts.parentIndex', o.parentIndex, { min: -1, max: 0x7fffffff });
  const live = argOptBool('opts.live', o.live);
  const config = argOptBool('opts.config', o.config);
  const F = virNetworkUpdateFlags;
  const flags = live === undefined && config === undefined ? defaults : (live ? F.VIR_NETWORK_UPDATE_AFFECT_LIVE : 0) | (config ? F.VIR_NETWORK_UPDATE_AFFECT_CONFIG : 0);
  return [COMMANDS[command as NetworkUpdateCommand], SECTIONS[section as NetworkUpdateSection], parent, x, flags];
}
