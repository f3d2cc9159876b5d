// Device XML for hotplug (virDomainAttachDeviceFlags and friends): typed disk and NIC specs built
// through the XML layer, or a caller's device XML checked well-formed with one known device root.
import type { DiskSpec, InterfaceSpec } from './domain-create.js';
import { createElement, parseRoot, parseXml, serialize } from './doc.js';
import type { Element } from './doc.js';
import { invalid } from '../errors.js';
import { checkImageFormat, validateAbsolutePath, validateMac } from '../validate.js';

/** A device for attach/detach/update: a disk or a NIC (same shapes as DomainXml.create's). */
export type DeviceSpec = { disk: DiskSpec } | { interface: InterfaceSpec };

/** The elements libvirt accepts as a device to attach, detach or update (children of `<devices>`). */
export const DEVICE_ELEMENTS = [
  'disk', 'interface', 'controller', 'hostdev', 'filesystem', 'input', 'sound', 'video', 'graphics',
  'serial', 'parallel', 'console', 'channel', 'watchdog', 'memballoon', 'rng', 'tpm', 'shmem',
  'memory', 'redirdev', 'smartcard', 'hub', 'panic', 'iommu', 'vsock', 'lease', 'audio', 'crypto',
] as const;

const TARGET = /^[a-z]+[a-z0-9]*$/;

function add(parent: Element, name: string, attrs: Record<string, string | number | undefined> = {}): Element {
  const el = createElement(parent.ownerDocument!, name, attrs);
  parent.appendChild(el);
  return el;
}

/** `<disk>` XML for one disk (validated as DomainXml.create validates its disks). */
export function diskDeviceXml(d: DiskSpec, at = 'spec.disk'): string {
  if (d === null || typeof d !== 'object') throw invalid(`${at} must be an object`, { argument: at });
  validateAbsolutePath(d.path, `${at}.path`);
  checkImageFormat(d.format, `${at}.format`);
  if (typeof d.target !== 'string' || !TARGET.test(d.target)) throw invalid(`${at}.target is invalid: ${JSON.stringify(d.target)}`, { argument: `${at}.target` });
  if (d.device !== undefined && d.device !== 'disk' && d.device !== 'cdrom') throw invalid(`${at}.device must be 'disk' or 'cdrom'`, { argument: `${at}.device` });
  if (d.type !== undefined && d.type !== 'file' && d.type !== 'block') throw invalid(`${at}.type must be 'file' or 'block'`, { argument: `${at}.type` });
  if (d.bus !== undefined && (typeof d.bus !== 'string' || !/^[a-z0-9]+$/.test(d.bus))) throw invalid(`${at}.bus is invalid`, { argument: `${at}.bus` });
  if (d.readonly !== undefined && typeof d.readonly !== 'boolean') throw invalid(`${at}.readonly must be a boolean`, { argument: `${at}.readonly` });
  const type = d.type ?? 'file';
  const doc = parseRoot('<disk/>', 'disk');
  const disk = doc.documentElement!;
  disk.setAttribute('type', type);
  disk.setAttribute('device', d.device ?? 'disk');
  add(disk, 'driver', { name: 'qemu', type: d.format });
  add(disk, 'source', type === 'block' ? { dev: d.path } : { file: d.path });
  const bus = d.bus ?? (d.target.startsWith('vd') ? 'virtio' : d.target.startsWith('sd') ? 'scsi' : undefined);
  add(disk, 'target', { dev: d.target, bus });
  if (d.readonly || d.device === 'cdrom') add(disk, 'readonly');
  return serialize(disk);
}

/** `<interface>` XML for one NIC: exactly one of network, bridge or user. No MAC: libvirt picks one. */
export function interfaceDeviceXml(n: InterfaceSpec, at = 'spec.interface'): string {
  if (n === null || typeof n !== 'object') throw invalid(`${at} must be an object`, { argument: at });
  const kinds = [n.network !== undefined, n.bridge !== undefined, n.user === true].filter(Boolean).length;
  if (kinds !== 1) throw invalid(`${at} needs exactly one of network, bridge or user`, { argument: at });
  for (const k of ['network', 'bridge', 'model'] as const) {
    const v = n[k];
    if (v !== undefined && (typeof v !== 'string' || !/^[A-Za-z0-9_.:-]+$/.test(v))) throw invalid(`${at}.${k} is invalid`, { argument: `${at}.${k}` });
  }
  const type = n.network !== undefined ? 'network' : n.bridge !== undefined ? 'bridge' : 'user';
  const doc = parseRoot('<interface/>', 'interface');
  const nic = doc.documentElement!;
  nic.setAttribute('type', type);
  if (n.mac !== undefined) add(nic, 'mac', { address: validateMac(n.mac, `${at}.mac`) });
  if (type !== 'user') add(nic, 'source', n.network !== undefined ? { network: n.network } : { bridge: n.bridge });
  add(nic, 'model', { type: n.model ?? 'virtio' });
  return serialize(nic);
}

/**
 * The device XML for `spec`: a typed spec built here, or a caller's XML string, refused with
 * `INVALID_ARGUMENT` unless it is well-formed with one device element as its root.
 */
export function deviceXml(spec: DeviceSpec | string, argument = 'device'): string {
  if (typeof spec === 'string') {
    const doc = parseXml(spec, argument);
    const root = doc.documentElement!.nodeName;
    if (!(DEVICE_ELEMENTS as readonly string[]).includes(root))
      throw invalid(`${argument}: <${root}> is not a device element (expected one of ${DEVICE_ELEMENTS.join(', ')})`, { argument });
    return spec;
  }
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw invalid(`${argument} must be device XML or a device spec`, { argument });
  const keys = Object.keys(spec);
  if (keys.length !== 1) throw invalid(`${argument} must have exactly one of 'disk' or 'interface'`, { argument });
  if ('disk' in spec) return diskDeviceXml(spec.disk, `${argument}.disk`);
  if ('interface' in spec) return interfaceDeviceXml(spec.interface, `${argument}.interface`);
  throw invalid(`${argument} must have exactly one of 'disk' or 'interface' (got '${keys[0]}')`, { argument });
}

/** The destination of a block copy (virDomainBlockCopy's `destxml`): a file or block device, with its format. */
export function copyDestXml(dest: { path: string; format?: string; type?: 'file' | 'block' }, at = 'dest'): string {
  if (dest === null || typeof dest !== 'object') throw invalid(`${at} must be a path or { path, format?, type? }`, { argument: at });
  validateAbsolutePath(dest.path, `${at}.path`);
  if (dest.format !== undefined) checkImageFormat(dest.format, `${at}.format`);
  if (dest.type !== undefined && dest.type !== 'file' && dest.type !== 'block') throw invalid(`${at}.type must be 'file' or 'block'`, { argument: `${at}.type` });
  const type = dest.type ?? 'file';
  const doc = parseRoot('<disk/>', 'disk');
  const disk = doc.documentElement!;
  disk.setAttribute('type', type);
  add(disk, 'source', type === 'block' ? { dev: dest.path } : { file: dest.path });
  if (dest.format !== undefined) add(disk, 'driver', { type: dest.format });
  return serialize(disk);
}
