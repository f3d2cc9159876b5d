// NodeDevice: a device of the host as libvirt's node-device driver sees it (PCI, USB, NICs, SCSI,
// storage, mediated devices...). PCI devices can be detached from their host driver for
// passthrough; mediated devices and vHBAs can be created, defined and removed.
import { inspect } from 'node:util';
import type { NativeNodeDevice } from './native.js';
import type { Core } from './core.js';
import { VirtkitError, invalid, isVirtError } from './errors.js';
import { argOptBool, argOptString, argOptions, argString } from './args.js';
import { checkLookup } from './validate.js';
import { virConnectListAllNodeDeviceFlags as L } from './generated/libvirt-enums.js';
import { HostObjectState, intFlag } from './util/host-object.js';
import { parseNodeDevice, type NodeDeviceSummary } from './xml/node-device.js';

/** The capability names libvirt lists node devices by (`virsh nodedev-list --cap`). */
export type NodeDeviceCap =
  | 'system' | 'pci' | 'usb_device' | 'usb' | 'net' | 'scsi_host' | 'scsi_target' | 'scsi' | 'storage'
  | 'fc_host' | 'vports' | 'scsi_generic' | 'drm' | 'mdev_types' | 'mdev' | 'ccw' | 'css' | 'vdpa'
  | 'ap_card' | 'ap_queue' | 'ap_matrix' | 'vpd';

const CAP_FLAGS: Record<NodeDeviceCap, number> = {
  system: L.VIR_CONNECT_LIST_NODE_DEVICES_CAP_SYSTEM,
  pci: L.VIR_CONNECT_LIST_NODE_DEVICES_CAP_PCI_DEV,
  usb_device: L.VIR_CONNECT_LIST_NODE_DEVICES_CAP_USB_DEV,
  usb: L.VIR_CONNECT_LIST_NODE_DEVICES_CAP_USB_INTERFACE,
  net: L.VIR_CONNECT_LIST_NODE_DEVICES_CAP_NET,
  scsi_host: L.VIR_CONNECT_LIST_NODE_DEVICES_CAP_SCSI_HOST,
  scsi_target: L.VIR_CONNECT_LIST_NODE_DEVICES_CAP_SCSI_TARGET,
  scsi: L.VIR_CONNECT_LIST_NODE_DEVICES_CAP_SCSI,
  storage: L.VIR_CONNECT_LIST_NODE_DEVICES_CAP_STORAGE,
  fc_host: L.VIR_CONNECT_LIST_NODE_DEVICES_CAP_FC_HOST,
  vports: L.VIR_CONNECT_LIST_NODE_DEVICES_CAP_VPORTS,
  scsi_generic: L.VIR_CONNECT_LIST_NODE_DEVICES_CAP_SCSI_GENERIC,
  drm: L.VIR_CONNECT_LIST_NODE_DEVICES_CAP_DRM,
  mdev_types: L.VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV_TYPES,
  mdev: L.VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV,
  ccw: L.VIR_CONNECT_LIST_NODE_DEVICES_CAP_CCW_DEV,
  css: L.VIR_CONNECT_LIST_NODE_DEVICES_CAP_CSS_DEV,
  vdpa: L.VIR_CONNECT_LIST_NODE_DEVICES_CAP_VDPA,
  ap_card: L.VIR_CONNECT_LIST_NODE_DEVICES_CAP_AP_CARD,
  ap_queue: L.VIR_CONNECT_LIST_NODE_DEVICES_CAP_AP_QUEUE,
  ap_matrix: L.VIR_CONNECT_LIST_NODE_DEVICES_CAP_AP_MATRIX,
  vpd: L.VIR_CONNECT_LIST_NODE_DEVICES_CAP_VPD,
};
/** Every capability name {@link Connection.nodeDevices} filters by. */
export const NODE_DEVICE_CAPS = Object.keys(CAP_FLAGS) as NodeDeviceCap[];

/** Filter of {@link Connection.nodeDevices}. */
export interface NodeDeviceFilter {
  /** Only devices with this capability (or with any of these). */
  cap?: NodeDeviceCap | NodeDeviceCap[];
  /** Only active devices (those present on the host now). */
  active?: boolean;
  /** Only inactive ones (defined mediated devices not started). */
  inactive?: boolean;
}

/** libvirt's list flags for a {@link NodeDeviceFilter}. INVALID_ARGUMENT for an unknown capability. */
export function nodeDeviceListFlags(filter: NodeDeviceFilter): number {
  argOptions('filter', filter);
  const active = argOptBool('filter.active', filter.active);
  const inactive = argOptBool('filter.inactive', filter.inactive);
  const caps = filter.cap === undefined ? [] : Array.isArray(filter.cap) ? filter.cap : [filter.cap];
  let capBits = 0;
  caps.forEach((c, i) => {
    const at = Array.isArray(filter.cap) ? `filter.cap[${i}]` : 'filter.cap';
    const f = typeof c === 'string' && Object.prototype.hasOwnProperty.call(CAP_FLAGS, c) ? CAP_FLAGS[c as NodeDeviceCap] : undefined;
    if (f === undefined) throw invalid(`${at} must be one of ${NODE_DEVICE_CAPS.join(', ')}, got ${JSON.stringify(c)}`, { argument: at });
    capBits |= f;
  });
  // ACTIVE is 2^31: `|` gives a negative int32, `>>> 0` the unsigned int libvirt takes
  return ((active ? L.VIR_CONNECT_LIST_NODE_DEVICES_ACTIVE : 0) | (inactive ? L.VIR_CONNECT_LIST_NODE_DEVICES_INACTIVE : 0) | capBits) >>> 0;
}

/** A device of the host (virNodeDevicePtr). */
export class NodeDevice {
  readonly #n: NativeNodeDevice;
  readonly #core: Core;
  readonly #state: HostObjectState<number>;
  /** @internal */
  constructor(core: Core, n: NativeNodeDevice) {
    this.#core = core;
    this.#n = n;
    this.#state = new HostObjectState(core, n, intFlag);
  }
  /** The device's name, e.g. 'pci_0000_00_1f_2' or 'net_eth0_52_54_00_12_34_56'. */
  get name(): string {
    return this.#n.getName();
  }
  /** The device XML. */
  async xml(opts: { inactive?: boolean } = {}): Promise<string> {
    argOptions('opts', opts);
    // VIR_NODE_DEVICE_XML_INACTIVE (1): the persistent definition of a defined device
    const flags = argOptBool('opts.inactive', opts.inactive) ? 1 : 0;
    return this.#core.call(() => this.#n.getXMLDesc(flags));
  }
  /** Name, parent, sysfs path, driver, capability types, and the PCI/USB/net/storage/mdev fields, from one XML read. */
  async summary(): Promise<NodeDeviceSummary> {
    return parseNodeDevice(await this.xml());
  }
  /** The parent device's name; undefined for the root ('computer'). */
  async parent(): Promise<string | undefined> {
    return (await this.summary()).parent;
  }
  /** The capability types libvirt lists for it (virNodeDeviceListCaps). */
  async capabilities(): Promise<string[]> {
    const n = await this.#core.call(() => this.#n.numOfCaps());
    return n > 0 ? this.#core.call(() => this.#n.listCaps(n)) : [];
  }
  /** True when the device is present on the host now. */
  isActive(): Promise<boolean> {
    return this.#state.isActive();
  }
  /** True for a defined (persistent) device, such as a defined mediated device. */
  isPersistent(): Promise<boolean> {
    return this.#state.isPersistent();
  }
  /** Whether a defined device starts with the host (or when its parent appears). */
  autostart(): Promise<boolean> {
    return this.#state.autostart();
  }
  /** Sets autostart of a defined device. */
  setAutostart(on: boolean): Promise<void> {
    return this.#state.setAutostart(on);
  }

  /**
   * Detaches a PCI device from its host driver (binding it to `driver`, default vfio-pci) so a
   * guest can be given it.
   * @throws VirtkitError `NOT_PCI_DEVICE` for a device without the 'pci' capability (nothing changed).
   */
  async detach(opts: { driver?: string } = {}): Promise<void> {
    argOptions('opts', opts);
    const driver = argOptString('opts.driver', opts.driver, { nonEmpty: true });
    await this.#assertPci('detach');
    return this.#core.call(() => this.#n.detachFlags(driver ?? null, 0));
  }
  /** Gives a detached PCI device back to its host driver. @throws VirtkitError `NOT_PCI_DEVICE`. */
  async reattach(): Promise<void> {
    await this.#assertPci('reattach');
    return this.#core.call(() => this.#n.reAttach());
  }
  /** Resets a PCI device (function, slot or bus reset, whichever the device supports). @throws VirtkitError `NOT_PCI_DEVICE`. */
  async reset(): Promise<void> {
    await this.#assertPci('reset');
    return this.#core.call(() => this.#n.reset());
  }

  /** Starts a defined (inactive) device, e.g. a defined mediated device (virNodeDeviceCreate). */
  start(): Promise<void> {
    return this.#core.call(() => this.#n.create(0));
  }
  /** Removes an active created device (a vHBA, a mediated device): virNodeDeviceDestroy. */
  destroy(): Promise<void> {
    return this.#core.call(() => this.#n.destroy());
  }
  /** Removes the definition of a defined device (an active one keeps running until destroyed). */
  undefine(): Promise<void> {
    return this.#core.call(() => this.#n.undefine(0));
  }

  async #assertPci(what: string): Promise<void> {
    const s = await this.summary();
    if (!s.capabilities.includes('pci')) {
      throw new VirtkitError('NOT_PCI_DEVICE', `cannot ${what} node device ${this.name}: it is not a PCI device (capabilities: ${s.capabilities.join(', ') || 'none'})`, {
        details: { device: this.name, capabilities: s.capabilities },
      });
    }
  }

  /** Short form for console.log and the REPL. */
  [inspect.custom](): string {
    return `NodeDevice { name: ${inspect(this.name)} }`;
  }
}

// ---- the Connection methods' bodies (Connection delegates here, keeping connection.ts small) ----

/** @internal Connection.nodeDevices */
export async function listNodeDevices(core: Core, filter: NodeDeviceFilter = {}): Promise<NodeDevice[]> {
  const flags = nodeDeviceListFlags(filter);
  const list = await core.call(() => core.native.listAllNodeDevices(flags));
  return list.map((d) => new NodeDevice(core, d));
}
/** @internal Connection.nodeDevice */
export async function lookupNodeDevice(core: Core, name: string): Promise<NodeDevice> {
  checkLookup('name', name);
  return new NodeDevice(core, await core.call(() => core.native.nodeDeviceLookupByName(name)));
}
/** @internal Connection.findNodeDevice */
export async function findNodeDevice(core: Core, name: string): Promise<NodeDevice | undefined> {
  try {
    return await lookupNodeDevice(core, name);
  } catch (e) {
    if (isVirtError(e, 'VIR_ERR_NO_NODE_DEVICE')) return undefined;
    throw e;
  }
}
/** @internal Connection.createNodeDevice / defineNodeDevice */
export async function makeNodeDevice(core: Core, how: 'create' | 'define', xml: string): Promise<NodeDevice> {
  argString('xml', xml, { nonBlank: true });
  const n = await core.call(() => (how === 'create' ? core.native.nodeDeviceCreateXML(xml, 0) : core.native.nodeDeviceDefineXML(xml, 0)));
  return new NodeDevice(core, n);
}
