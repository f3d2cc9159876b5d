// Node device XML (virNodeDeviceGetXMLDesc) read into a summary: name, parent, sysfs path,
// driver, capability types, and the few fields per capability a caller looks for (PCI address and
// IOMMU group, NIC name and MAC, block device, mediated-device type).
import type { Element } from './doc.js';
import { attr, child, childText, children, parseRoot } from './doc.js';

/** A vendor or product of a PCI/USB device: its numeric id ('0x8086') and name, when known. */
export interface NodeDeviceId {
  /** The numeric id, e.g. '0x8086'. */
  id: string | undefined;
  /** The name from the hardware database, e.g. 'Intel Corporation'. */
  name: string | undefined;
}

/** What {@link NodeDevice.summary} gives. */
export interface NodeDeviceSummary {
  /** The device's name, e.g. 'pci_0000_00_1f_2'. */
  name: string;
  /** The parent device's name ('computer' is the root); undefined for the root. */
  parent: string | undefined;
  /** The sysfs path, when the device has one. */
  path: string | undefined;
  /** The host driver bound to it, when any. */
  driver: string | undefined;
  /** Capability types, outer first, nested ones (fc_host, vports, mdev_types, ...) after. */
  capabilities: string[];
  /** PCI devices: address 'dddd:bb:ss.f', vendor, product, class, IOMMU group. */
  pci?: { address: string; vendor: NodeDeviceId; product: NodeDeviceId; class: string | undefined; iommuGroup: number | undefined };
  /** USB devices: bus and device numbers, vendor, product. */
  usb?: { bus: number | undefined; device: number | undefined; vendor: NodeDeviceId; product: NodeDeviceId };
  /** Network interfaces: the host's name for it and its MAC. */
  net?: { interface: string | undefined; mac: string | undefined };
  /** Storage: the block device node and model. */
  storage?: { block: string | undefined; model: string | undefined };
  /** Mediated devices: the mdev type and UUID. */
  mdev?: { type: string | undefined; uuid: string | undefined };
}

const int = (s: string | undefined, radix = 10): number | undefined => {
  if (s === undefined || s === '') return undefined;
  const n = s.startsWith('0x') ? parseInt(s.slice(2), 16) : parseInt(s, radix);
  return Number.isFinite(n) ? n : undefined;
};
const hex = (n: number | undefined, width: number): string => (n ?? 0).toString(16).padStart(width, '0');
const idOf = (el: Element | undefined): NodeDeviceId => ({ id: attr(el, 'id'), name: el ? (el.textContent ?? '').trim() || undefined : undefined });

/** Parses `<device>` XML into a summary. INVALID_ARGUMENT when malformed or not a `<device>`. */
export function parseNodeDevice(xml: string): NodeDeviceSummary {
  const root = parseRoot(xml, 'device', 'node device XML').documentElement!;
  const caps = children(root, 'capability');
  const types: string[] = [];
  const nested: string[] = [];
  for (const c of caps) {
    const t = attr(c, 'type');
    if (t) types.push(t);
    for (const n of children(c, 'capability')) {
      const nt = attr(n, 'type');
      if (nt && !nested.includes(nt)) nested.push(nt);
    }
  }
  const out: NodeDeviceSummary = {
    name: childText(root, 'name') ?? '',
    parent: childText(root, 'parent'),
    path: childText(root, 'path'),
    driver: (() => {
      const d = child(root, 'driver');
      return d ? childText(d, 'name') : undefined;
    })(),
    capabilities: [...types, ...nested.filter((t) => !types.includes(t))],
  };
  const cap = (t: string) => caps.find((c) => attr(c, 'type') === t);
  const pci = cap('pci');
  if (pci) {
    const g = child(pci, 'iommuGroup');
    out.pci = {
      address: `${hex(int(childText(pci, 'domain')), 4)}:${hex(int(childText(pci, 'bus')), 2)}:${hex(int(childText(pci, 'slot')), 2)}.${hex(int(childText(pci, 'function')), 1)}`,
      vendor: idOf(child(pci, 'vendor')),
      product: idOf(child(pci, 'product')),
      class: childText(pci, 'class'),
      iommuGroup: int(attr(g, 'number')),
    };
  }
  const usb = cap('usb_device');
  if (usb) out.usb = { bus: int(childText(usb, 'bus')), device: int(childText(usb, 'device')), vendor: idOf(child(usb, 'vendor')), product: idOf(child(usb, 'product')) };
  const net = cap('net');
  if (net) out.net = { interface: childText(net, 'interface'), mac: childText(net, 'address')?.toLowerCase() };
  const storage = cap('storage');
  if (storage) out.storage = { block: childText(storage, 'block'), model: childText(storage, 'model') };
  const mdev = cap('mdev');
  if (mdev) out.mdev = { type: attr(child(mdev, 'type'), 'id'), uuid: childText(mdev, 'uuid') };
  return out;
}
