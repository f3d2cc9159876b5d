// Builder for the domains virtkit defines itself (test guests, templates made from scratch).
import { randomUUID } from 'node:crypto';
import type { Document, Element } from './doc.js';
import { createElement, insertChild, prettyPrint } from './doc.js';
import type { LoaderInfo, NvramInfo, OsXml } from './os.js';
import { invalid } from '../errors.js';
import { checkImageFormat, validateAbsolutePath, validateMac, validateName, validatePositiveInt, validateUuid } from '../validate.js';
import { randomMac } from './mac.js';

/** One disk of a new domain. */
export interface DiskSpec {
  /** Host path of the image (file) or device (block). */
  path: string;
  /** Image format, written as `<driver type>` (e.g. 'qcow2', 'raw'). */
  format: string;
  /** Guest device name, e.g. 'vda'. */
  target: string;
  /** Guest bus; default 'virtio' for vd*, 'sata' for sd*, else libvirt's choice. */
  bus?: string;
  /** Add `<readonly/>` (always set for a cdrom). Default false. */
  readonly?: boolean;
  /** 'disk' (default) or 'cdrom'. */
  device?: 'disk' | 'cdrom';
  /** 'file' (default) or 'block'. */
  type?: 'file' | 'block';
}

/** One NIC of a new domain: exactly one of network, bridge or user. */
export interface InterfaceSpec {
  /** Attach to this libvirt network, e.g. 'default'. */
  network?: string;
  /** Attach to this host bridge, e.g. 'br0'. */
  bridge?: string;
  /** User-mode (slirp) networking. */
  user?: boolean;
  /** Default: a random 52:54:00:xx:xx:xx. */
  mac?: string;
  /** Default 'virtio'. */
  model?: string;
}

/** Options of DomainXml.create. */
export interface DomainCreateOptions {
  /** Domain name. Rejected with VirtkitError `INVALID_ARGUMENT` unless virtkit accepts it. */
  name: string;
  /** Domain type: 'kvm' (hardware acceleration) or 'qemu' (TCG emulation). */
  type: 'qemu' | 'kvm';
  /** Default: a random UUID. */
  uuid?: string;
  /** Short title (`<title>`). */
  title?: string;
  /** Free-form description (`<description>`). */
  description?: string;
  /** Memory, in MiB (written as both `<memory>` and `<currentMemory>`). A positive integer. */
  memoryMiB: number;
  /** Number of virtual CPUs. A positive integer. */
  vcpus: number;
  /** Default 'x86_64'. */
  arch?: string;
  /** Machine type, e.g. 'q35'. Default: libvirt's choice. */
  machine?: string;
  /** Direct kernel boot: absolute host path of the kernel. Without it the domain boots from disk. */
  kernel?: string;
  /** Direct kernel boot: absolute host path of the initrd. */
  initrd?: string;
  /** Direct kernel boot: the kernel command line. */
  cmdline?: string;
  /** Firmware loader (e.g. UEFI code); `path` must be absolute. */
  loader?: LoaderInfo;
  /** UEFI variable store; `path` and `template` must be absolute. */
  nvram?: NvramInfo;
  /** Disks, in order; target names must be unique. */
  disks: DiskSpec[];
  /** Network interfaces. Default: none. */
  interfaces?: InterfaceSpec[];
  /** Serial port 0 written to this file (`<serial type='file'>`), plus a pty virtio console. */
  serialLog?: string;
  /** `<features><acpi/>` so an ACPI poweroff works (default true). */
  acpi?: boolean;
  /** A virtio RNG fed from /dev/urandom (default true: first boots do not stall on entropy). */
  rng?: boolean;
  /** A VNC display on 127.0.0.1 with an automatic port. */
  vnc?: boolean;
  /** The guest agent channel (org.qemu.guest_agent.0). */
  guestAgent?: boolean;
  /** SMBIOS OEM strings (with `<smbios mode='sysinfo'/>`). */
  oemStrings?: string[];
}

const add = (parent: Element, name: string, attrs: Record<string, string | number | undefined> = {}, text?: string): Element =>
  insertChild(parent, createElement(parent.ownerDocument!, name, attrs, text));

/**
 * What the builder edits: the part of DomainXml it uses (DomainXml satisfies it; spelled out here
 * so that this module needs nothing of domain.ts, which calls it).
 */
export interface DomainBuildTarget {
  readonly doc: Document;
  readonly root: Element;
  readonly os: OsXml;
  readonly devices: Element;
  type: string | undefined;
  name: string | undefined;
  uuid: string | undefined;
  title: string | undefined;
  description: string | undefined;
  memoryKiB: number | undefined;
  currentMemoryKiB: number | undefined;
  vcpus: number | undefined;
  oemStrings: string[];
  setFeature(name: string, on: boolean): void;
  ensure(name: string): Element;
}

/** Fills an empty `<domain>` from `o` (used by DomainXml.create). */
export function buildDomain(dom: DomainBuildTarget, o: DomainCreateOptions): void {
  if (!o || typeof o !== 'object') throw invalid('domain options must be an object');
  validateName(o.name, 'name');
  if (o.type !== 'qemu' && o.type !== 'kvm') throw invalid(`domain type must be 'qemu' or 'kvm', got ${JSON.stringify(o.type)}`);
  validatePositiveInt(o.memoryMiB, 'memoryMiB');
  validatePositiveInt(o.vcpus, 'vcpus');
  if (!Array.isArray(o.disks)) throw invalid('disks must be an array');
  dom.type = o.type;
  dom.name = o.name;
  dom.uuid = o.uuid === undefined ? randomUUID() : validateUuid(o.uuid);
  if (o.title !== undefined) dom.title = o.title;
  if (o.description !== undefined) dom.description = o.description;
  dom.memoryKiB = o.memoryMiB * 1024;
  dom.currentMemoryKiB = o.memoryMiB * 1024;
  dom.vcpus = o.vcpus;
  if (o.oemStrings?.length) dom.oemStrings = o.oemStrings;
  const os = dom.os;
  os.type = 'hvm';
  os.arch = o.arch ?? 'x86_64';
  if (o.machine !== undefined) os.machine = o.machine;
  if (o.loader) os.setLoader({ ...o.loader, path: o.loader.path && validateAbsolutePath(o.loader.path, 'loader.path') });
  if (o.nvram) {
    const path = o.nvram.path && validateAbsolutePath(o.nvram.path, 'nvram.path');
    os.setNvram({ path, template: o.nvram.template && validateAbsolutePath(o.nvram.template, 'nvram.template') });
  }
  if (o.kernel !== undefined) os.kernel = validateAbsolutePath(o.kernel, 'kernel');
  if (o.initrd !== undefined) os.initrd = validateAbsolutePath(o.initrd, 'initrd');
  if (o.cmdline !== undefined) os.cmdline = o.cmdline;
  if (!o.kernel) add(os.element, 'boot', { dev: 'hd' });
  if (o.oemStrings?.length) os.smbiosMode = 'sysinfo';
  if (o.acpi !== false) dom.setFeature('acpi', true);
  dom.setFeature('apic', true);
  dom.ensure('clock').setAttribute('offset', 'utc');
  for (const [k, v] of [['on_poweroff', 'destroy'], ['on_reboot', 'restart'], ['on_crash', 'destroy']] as const) {
    dom.ensure(k).appendChild(dom.doc.createTextNode(v));
  }
  const devs = dom.devices;
  const targets = new Set<string>();
  for (const [i, d] of o.disks.entries()) {
    validateAbsolutePath(d.path, `disks[${i}].path`);
    checkImageFormat(d.format, `disks[${i}].format`);
    if (typeof d.target !== 'string' || !/^[a-z]+[a-z0-9]*$/.test(d.target)) throw invalid(`disks[${i}].target is invalid: ${JSON.stringify(d.target)}`);
    if (targets.has(d.target)) throw invalid(`disk target ${d.target} is used twice`);
    targets.add(d.target);
    const type = d.type ?? 'file';
    const disk = add(devs, 'disk', { type, device: d.device ?? 'disk' });
    add(disk, 'driver', { name: 'qemu', type: d.format });
    add(disk, 'source', type === 'block' ? { dev: d.path } : { file: d.path });
    const bus = d.bus ?? (d.target.startsWith('vd') ? 'virtio' : d.target.startsWith('sd') ? 'sata' : undefined);
    add(disk, 'target', { dev: d.target, bus });
    if (d.readonly || d.device === 'cdrom') add(disk, 'readonly');
  }
  const macs = new Set<string>();
  for (const [i, n] of (o.interfaces ?? []).entries()) {
    const kinds = [n.network !== undefined, n.bridge !== undefined, n.user === true].filter(Boolean).length;
    if (kinds !== 1) throw invalid(`interfaces[${i}] needs exactly one of network, bridge or user`);
    const mac = n.mac === undefined ? randomMac(macs) : validateMac(n.mac);
    if (n.mac !== undefined && macs.has(mac)) throw invalid(`MAC address ${mac} is used twice`);
    macs.add(mac);
    const type = n.network !== undefined ? 'network' : n.bridge !== undefined ? 'bridge' : 'user';
    const nic = add(devs, 'interface', { type });
    add(nic, 'mac', { address: mac });
    if (type !== 'user') add(nic, 'source', n.network !== undefined ? { network: n.network } : { bridge: n.bridge });
    add(nic, 'model', { type: n.model ?? 'virtio' });
  }
  if (o.serialLog !== undefined) {
    const s = add(devs, 'serial', { type: 'file' });
    add(s, 'source', { path: validateAbsolutePath(o.serialLog, 'serialLog') });
    add(s, 'target', { port: 0 });
    add(add(devs, 'console', { type: 'pty' }), 'target', { type: 'virtio', port: 0 });
  }
  if (o.guestAgent) {
    const c = add(devs, 'channel', { type: 'unix' });
    add(c, 'source', { mode: 'bind' });
    add(c, 'target', { type: 'virtio', name: 'org.qemu.guest_agent.0' });
  }
  if (o.vnc) add(add(devs, 'graphics', { type: 'vnc', port: -1, autoport: 'yes', listen: '127.0.0.1' }), 'listen', { type: 'address', address: '127.0.0.1' });
  if (o.rng !== false) add(add(devs, 'rng', { model: 'virtio' }), 'backend', { model: 'random' }, '/dev/urandom');
  prettyPrint(dom.root);
}
