// The clone's seed volume as a read-only CD-ROM in its domain XML: where it goes (a bus the
// machine has, a free target), the element added at deploy, and the elements consumeSeed gives
// libvirt to eject it (live) and to detach it (config).
import { attr, child, createElement, insertChild, parseXml, serialize } from './doc.js';
import type { Document, Element } from './doc.js';
import { DomainXml } from './domain.js';
import { invalid } from '../errors.js';
import { validateAbsolutePath } from '../validate.js';

/** Where the seed CD-ROM sits: its source, bus and guest target. */
export interface SeedCdrom {
  /** Host path of the seed volume. */
  path: string;
  /** 'file' for a file-based pool, 'block' for a block device (e.g. a logical volume). */
  type: 'file' | 'block';
  /** `<target dev>`, e.g. 'hdd' or 'sdz'. */
  target: string;
  /** `<target bus>`: 'ide' (i440fx), 'sata' (q35), 'scsi' (other machines). */
  bus: 'ide' | 'sata' | 'scsi';
}

/** The CD-ROM bus a machine type has: IDE on i440fx ('pc'), SATA on q35, SCSI elsewhere (virt, pseries, …). */
export function cdromBus(machine: string | undefined, arch: string | undefined): SeedCdrom['bus'] {
  const x86 = arch === undefined || /^(x86_64|i[3-6]86)$/.test(arch);
  if (x86 && machine !== undefined && /q35/.test(machine)) return 'sata';
  if (x86) return 'ide';
  return 'scsi';
}

/**
 * The first free target name on `bus` (IDE: hdd down to hda, since the first ones are where
 * installers put theirs; SATA and SCSI: sdz down to sda), given the targets the domain uses.
 * INVALID_ARGUMENT when none is free.
 */
export function freeCdromTarget(bus: SeedCdrom['bus'], used: Iterable<string>): string {
  const taken = new Set(used);
  const names = bus === 'ide' ? ['hdd', 'hdc', 'hdb', 'hda'] : Array.from({ length: 26 }, (_, i) => `sd${String.fromCharCode(0x7a - i)}`);
  const free = names.find((n) => !taken.has(n));
  if (!free) throw invalid(`the template has no free ${bus} target for the clone's seed CD-ROM`, { argument: 'template' });
  return free;
}

/** Picks bus and target for a seed CD-ROM in the domain `xml`. */
export function planSeedCdrom(xml: string, path: string, type: SeedCdrom['type']): SeedCdrom {
  validateAbsolutePath(path, 'seed path');
  const dom = new DomainXml(xml);
  const bus = cdromBus(dom.os.machine, dom.os.arch);
  const target = freeCdromTarget(bus, dom.disks.map((d) => d.target).filter((t): t is string => t !== undefined));
  return { path, type, target, bus };
}

function cdromElement(doc: Document, s: Pick<SeedCdrom, 'target' | 'bus'> & { path?: string; type?: SeedCdrom['type'] }): Element {
  const disk = createElement(doc, 'disk', { type: s.type ?? 'file', device: 'cdrom' });
  disk.appendChild(createElement(doc, 'driver', { name: 'qemu', type: 'raw' }));
  if (s.path !== undefined) disk.appendChild(createElement(doc, 'source', s.type === 'block' ? { dev: s.path } : { file: s.path }));
  disk.appendChild(createElement(doc, 'target', { dev: s.target, bus: s.bus }));
  disk.appendChild(createElement(doc, 'readonly'));
  return disk;
}

/**
 * Adds the seed CD-ROM (`<readonly/>`, raw, no boot order) after the domain's last disk.
 * INVALID_ARGUMENT when its target is taken.
 */
export function addSeedCdrom(xml: string, s: SeedCdrom): string {
  const dom = new DomainXml(xml);
  if (dom.disks.some((d) => d.target === s.target)) throw invalid(`target ${s.target} is taken`, { argument: 'seed.target' });
  const devices = dom.devices;
  const last = dom.disks.at(-1)?.element;
  insertChild(devices, cdromElement(dom.doc, s), last ? last.nextSibling : devices.firstChild);
  return dom.toString();
}

/** The `<disk>` of the domain whose target is `target`, as XML (for virDomainDetachDeviceFlags), or undefined. */
export function diskElementXml(xml: string, target: string): string | undefined {
  const d = new DomainXml(xml).disks.find((x) => x.target === target);
  return d ? serialize(d.element) : undefined;
}

/**
 * The same CD-ROM with no medium (for virDomainUpdateDeviceFlags: ejects it from a running
 * domain, which closes QEMU's file). Built from the domain's own element, so address and alias stay.
 */
export function ejectedDiskXml(diskXml: string): string {
  const doc = parseXml(diskXml, 'disk XML');
  const disk = doc.documentElement!;
  if (disk.localName !== 'disk' || attr(disk, 'device') !== 'cdrom') throw invalid('not a CD-ROM <disk>');
  const src = child(disk, 'source');
  if (src) disk.removeChild(src);
  return serialize(disk);
}
