// Host and domain capabilities, parsed to what a program needs to pick a domain type.
import type { Element } from '@xmldom/xmldom';
import { child, children, parseXml, text as domText } from './xml/doc.js';

/** One `<guest>` entry of the host capabilities: an OS type and architecture libvirt can run. */
export interface GuestCapability {
  /** OS type, e.g. 'hvm'. */
  osType: string;
  /** Guest architecture, e.g. 'x86_64'. */
  arch: string;
  /** Path of the default emulator binary, e.g. '/usr/bin/qemu-system-x86_64'. */
  emulator?: string;
  /** Machine types offered, e.g. ['pc-q35-8.2', 'q35', ...]. */
  machines: string[];
  /** Domain types offered for this arch, e.g. ['qemu', 'kvm']. */
  domainTypes: string[];
}

/** The host capabilities, parsed (see {@link Connection.capabilities}). */
export interface HostCapabilities {
  /** The host's UUID (`<host><uuid>`; libvirtd.conf `host_uuid` sets it): tells hosts apart. */
  uuid?: string;
  /** Host CPU architecture, e.g. 'x86_64'. */
  arch: string;
  /** Host CPU model name, when libvirt reports one. */
  cpuModel?: string;
  /** Guest types the host can run. */
  guests: GuestCapability[];
  /** 'kvm' when libvirt offers KVM domains for the host arch (it may still not work: see probeKvm). */
  accelerators: string[];
}

/** The domain capabilities, parsed (see {@link Connection.domainCapabilities}). */
export interface DomainCapabilities {
  /** Path of the emulator these capabilities are for. */
  path?: string;
  /** Domain type, e.g. 'kvm' or 'qemu'. */
  domainType: string;
  /** Machine type, e.g. 'pc-q35-8.2'. */
  machine: string;
  /** Guest architecture. */
  arch: string;
  /** Maximum vCPUs of a domain with this machine type. */
  maxVcpus?: number;
  /** UEFI and other firmware images known to libvirt (loader values). */
  firmware: string[];
  /** Firmware kinds for automatic firmware selection, e.g. ['bios', 'efi']. */
  firmwareFeatures: string[];
  /** Disk buses supported, e.g. ['ide', 'scsi', 'virtio', 'usb', 'sata']. */
  diskBuses: string[];
  /** TPM models supported, e.g. ['tpm-tis', 'tpm-crb']. */
  tpmModels: string[];
}

function parse(xml: string): Element {
  // Through the xml layer: a malformed document is a typed INVALID_ARGUMENT with its position.
  const el = parseXml(xml, 'capabilities XML').documentElement;
  if (!el) throw new Error('empty capabilities document');
  return el;
}
// The xml layer's child helpers, tolerant of a missing parent; empty text counts as absent.
const kids = (e: Element | undefined, name: string): Element[] => (e ? children(e, name) : []);
const kid = (e: Element | undefined, name: string): Element | undefined => (e ? child(e, name) : undefined);
const text = (e: Element | undefined): string | undefined => domText(e) || undefined;

export function parseCapabilities(xml: string): HostCapabilities {
  const root = parse(xml);
  const host = kid(root, 'host');
  const cpu = kid(host, 'cpu');
  const arch = text(kid(cpu, 'arch')) ?? '';
  const guests: GuestCapability[] = kids(root, 'guest').map((g) => {
    const a = kid(g, 'arch');
    const machines = new Set(kids(a, 'machine').map((m) => text(m)).filter((m): m is string => !!m));
    const domainTypes = kids(a, 'domain').map((d) => d.getAttribute('type') ?? '');
    for (const d of kids(a, 'domain')) for (const m of kids(d, 'machine')) if (text(m)) machines.add(text(m)!);
    return { osType: text(kid(g, 'os_type')) ?? '', arch: a?.getAttribute('name') ?? '', emulator: text(kid(a, 'emulator')), machines: [...machines], domainTypes };
  });
  const accelerators = [...new Set(guests.filter((g) => g.arch === arch).flatMap((g) => g.domainTypes))];
  return { uuid: text(kid(host, 'uuid')), arch, cpuModel: text(kid(cpu, 'model')), guests, accelerators };
}

export function parseDomainCapabilities(xml: string): DomainCapabilities {
  const root = parse(xml);
  const os = kid(root, 'os');
  const loader = kid(os, 'loader');
  const devices = kid(root, 'devices');
  const enumValues = (parent: Element | undefined, name: string): string[] =>
    kids(parent, 'enum').filter((e) => e.getAttribute('name') === name).flatMap((e) => kids(e, 'value').map((v) => text(v) ?? ''));
  const fwFeatures = kids(os, 'enum').filter((e) => e.getAttribute('name') === 'firmware').flatMap((e) => kids(e, 'value').map((v) => text(v) ?? ''));
  return {
    path: text(kid(root, 'path')),
    domainType: text(kid(root, 'domain')) ?? '',
    machine: text(kid(root, 'machine')) ?? '',
    arch: text(kid(root, 'arch')) ?? '',
    maxVcpus: Number(kid(root, 'vcpu')?.getAttribute('max')) || undefined,
    firmware: kids(loader, 'value').map((v) => text(v) ?? ''),
    firmwareFeatures: fwFeatures,
    diskBuses: enumValues(kid(devices, 'disk'), 'bus'),
    tpmModels: enumValues(kid(devices, 'tpm'), 'model'),
  };
}
