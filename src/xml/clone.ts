// The pure transform at the heart of deploy: a template's domain XML in, a clone's XML out.
// Rules learned from virt-manager's virt-clone (virtinst/cloner.py), extended where a clone of a
// template needs more (own NVRAM, generation ID, identity via SMBIOS, no template marker).
import { randomUUID } from 'node:crypto';
import { attr, child, children, removeChildren, removeNode } from './doc.js';
import { DomainXml } from './domain.js';
import type { DiskXml } from './devices.js';
import { OEM_PREFIX, checkOemLimits } from './identity.js';
import { VIRTKIT_NS } from './metadata.js';
import { invalid } from '../errors.js';
import { randomMac, validateAbsolutePath, validateMac, validateName, validateUuid } from './validate.js';

/** What diskMap is told about a source disk it must decide on. */
export interface CloneDiskInfo {
  /** Position among the source's disks, in document order (from 0). */
  index: number;
  /** Guest device name from `<target dev>`, e.g. 'vda'. */
  target?: string;
  /** Guest bus, e.g. 'virtio'. */
  bus?: string;
  /** 'disk', 'cdrom', 'floppy' or 'lun'. */
  device: string;
  /** Source type: 'file', 'block', 'volume', 'network', ... */
  type?: string;
  /** Host path of a file or block source. */
  path?: string;
  /** Storage pool of a volume source. */
  pool?: string;
  /** Volume name of a volume source. */
  volume?: string;
  /** Image format, e.g. 'qcow2'. */
  format?: string;
}

/** diskMap's answer: a new source (format written explicitly), keep the source disk, or drop the disk. */
export type CloneDiskAction =
  | { path: string; format: string; type?: 'file' | 'block' }
  | { pool: string; volume: string; format: string }
  | 'share'
  | 'drop';

/** Options of cloneDomainXml. */
export interface CloneOptions {
  /** The clone's name (must differ from the source's). */
  name: string;
  /** Default: crypto.randomUUID(). Must differ from the source's. */
  uuid?: string;
  /** MACs for the interfaces in document order; missing ones are random 52:54:00:xx:xx:xx. */
  macs?: string[];
  /**
   * Decides each writable disk. Not called for CD-ROMs, floppies, read-only, shareable or empty
   * disks: those are shared as they are.
   */
  diskMap: (disk: CloneDiskInfo) => CloneDiskAction;
  /** The clone's own NVRAM file. Absent: the path is removed and libvirt makes `<name>_VARS.fd` from the template. */
  nvramPath?: string;
  /** Drop an explicit TPM state location (`<backend><source>`) so a fresh state is made (default true). */
  removeTpmState?: boolean;
  /**
   * virtkit's SMBIOS OEM strings (see identityOemStrings). They replace the source's `virtkit:`
   * entries; other software's entries are kept. Sets `<smbios mode='sysinfo'/>` so QEMU exposes them.
   */
  oemStrings?: string[];
  /** Path of the log file for `<serial type='file'>` ports (a template's log must not be shared). */
  serialLog?: string;
  /** Metadata to set (one element for `uri` under `prefix`); xml null removes it. */
  metadata?: { uri: string; prefix: string; xml: string | null };
}

/** What cloneDomain produced. */
export interface CloneResult {
  /** The clone's domain XML, ready to define. */
  xml: string;
  /** The clone's new UUID. */
  uuid: string;
  /** MAC per interface, document order. */
  macs: string[];
  /** Per source disk (document order): what happened to it. */
  disks: { target?: string; action: 'cloned' | 'shared' | 'dropped'; from?: string; to?: string; format?: string }[];
}

/** True for disks a clone shares instead of copying (virt-clone's rule). */
export function isSharedDisk(d: DiskXml): boolean {
  const transient = child(d.element, 'transient');
  return d.device === 'cdrom' || d.device === 'floppy' || d.readonly || d.shareable || d.empty || attr(transient, 'shareBacking') === 'yes';
}

function applyDisk(d: DiskXml, action: CloneDiskAction, index: number): { to: string; format: string } {
  if (typeof action !== 'object' || action === null || typeof action.format !== 'string' || !/^[a-z0-9_-]+$/.test(action.format)) {
    throw invalid(`diskMap for disk ${d.target ?? index} must return 'share', 'drop', { path, format } or { pool, volume, format }`);
  }
  const before = d.type === 'volume' ? `${d.pool}/${d.volume}` : d.path;
  let to: string;
  if ('path' in action) {
    validateAbsolutePath(action.path, `diskMap(${d.target}).path`);
    const type = action.type ?? 'file';
    if (type !== 'file' && type !== 'block') throw invalid(`diskMap(${d.target}).type must be 'file' or 'block'`);
    d.setSource({ type, path: action.path });
    to = action.path;
  } else {
    d.setSource({ type: 'volume', pool: validateName(action.pool, 'pool'), volume: validateName(action.volume, 'volume') });
    to = `${action.pool}/${action.volume}`;
  }
  d.format = action.format;
  if (to !== before) d.removeBackingStore();
  removeChildren(d.element, 'mirror');
  return { to, format: action.format };
}

/** Clones domain XML and reports what it did. See cloneDomainXml for the rules. */
export function cloneDomain(sourceXml: string, o: CloneOptions): CloneResult {
  const dom = new DomainXml(sourceXml);
  const root = dom.root;
  if (!o || typeof o.diskMap !== 'function') throw invalid('clone options need a diskMap function');
  validateName(o.name, 'clone name');
  if (o.name === dom.name) throw invalid(`the clone needs a new name; '${o.name}' is the source's`);
  const uuid = o.uuid === undefined ? randomUUID() : validateUuid(o.uuid);
  if (dom.uuid && uuid === dom.uuid.toLowerCase()) throw invalid('the clone needs a new UUID');

  // identity of the domain
  root.removeAttribute('id');
  dom.name = o.name;
  dom.uuid = uuid;
  const genid = child(root, 'genid');
  if (genid) while (genid.firstChild) genid.removeChild(genid.firstChild); // empty: libvirt makes a new one
  dom.setSmbiosSystemUuidIfPresent(uuid);
  for (const sl of children(root, 'seclabel')) {
    if (attr(sl, 'type') === 'dynamic') {
      removeChildren(sl, 'label');
      removeChildren(sl, 'imagelabel');
    }
  }

  // network: a MAC per NIC; host-side tap names are per-domain
  const nics = dom.interfaces;
  if (o.macs && o.macs.length > nics.length) throw invalid(`${o.macs.length} MACs given for ${nics.length} interfaces`);
  const used = new Set<string>();
  const given = (o.macs ?? []).map(validateMac);
  for (const m of given) {
    if (used.has(m)) throw invalid(`MAC address ${m} is given twice`);
    used.add(m);
  }
  const macs = nics.map((nic, i) => {
    const mac = given[i] ?? randomMac(used);
    nic.mac = mac;
    const t = child(nic.element, 'target');
    if (t && attr(t, 'managed') !== 'no') removeNode(t);
    return mac;
  });

  // disks
  const originals = new Set(dom.disks.map((d) => d.path).filter((p): p is string => p !== undefined));
  const targets = new Set<string>();
  const disks: CloneResult['disks'] = dom.disks.map((d, index) => {
    const from = d.type === 'volume' ? `${d.pool}/${d.volume}` : d.path;
    if (isSharedDisk(d)) return { target: d.target, action: 'shared', from, to: from, format: d.format };
    const info: CloneDiskInfo = { index, target: d.target, bus: d.bus, device: d.device, type: d.type, path: d.path, pool: d.pool, volume: d.volume, format: d.format };
    const action = o.diskMap(info);
    if (action === 'share') return { target: d.target, action: 'shared', from, to: from, format: d.format };
    if (action === 'drop') {
      removeNode(d.element);
      return { target: d.target, action: 'dropped', from };
    }
    const { to, format } = applyDisk(d, action, index);
    if ('path' in action && originals.has(to)) throw invalid(`diskMap(${d.target}) points at a source disk (${to}); a clone must not write to it`);
    if (targets.has(to)) throw invalid(`diskMap gives ${to} to two disks`);
    targets.add(to);
    return { target: d.target, action: 'cloned', from, to, format };
  });

  // graphics: ports and sockets chosen by libvirt at start
  for (const g of dom.graphics) g.resetPorts();

  // channels: per-domain unix sockets are generated again; runtime state goes
  for (const c of dom.channels) {
    const src = child(c.element, 'source');
    if (c.type === 'unix' && src && c.targetType === 'virtio' && c.targetName && (c.sourceMode ?? 'bind') === 'bind') src.removeAttribute('path');
    child(c.element, 'target')?.removeAttribute('state');
  }
  if (o.serialLog !== undefined) {
    validateAbsolutePath(o.serialLog, 'serialLog');
    for (const s of dom.serials) if (s.type === 'file') child(s.element, 'source')?.setAttribute('path', o.serialLog);
  }

  // firmware variables: never share the template's store
  const os = dom.os;
  if (o.nvramPath !== undefined) os.setNvramPath(validateAbsolutePath(o.nvramPath, 'nvramPath'));
  else if (os.nvram?.path) os.setNvramPath(undefined);

  // TPM: the device stays; its state is keyed by UUID, so the clone gets a fresh one
  if (o.removeTpmState !== false) {
    for (const t of dom.tpms) {
      const b = child(t.element, 'backend');
      if (b && attr(b, 'type') === 'emulator') removeChildren(b, 'source');
    }
  }

  // identity for the guest
  if (o.oemStrings !== undefined) {
    if (!Array.isArray(o.oemStrings) || o.oemStrings.some((s) => typeof s !== 'string')) throw invalid('oemStrings must be an array of strings');
    const kept = dom.oemStrings.filter((e) => !e.startsWith(OEM_PREFIX) && !o.oemStrings!.includes(e));
    const all = [...kept, ...o.oemStrings];
    checkOemLimits(all);
    dom.oemStrings = all;
    if (all.length > 0) os.smbiosMode = 'sysinfo';
  }

  // metadata: a clone never carries the template's virtkit record
  if (o.metadata?.uri !== VIRTKIT_NS) dom.removeMetadata(VIRTKIT_NS);
  if (o.metadata) {
    if (o.metadata.xml === null) dom.removeMetadata(o.metadata.uri);
    else dom.setMetadata(o.metadata.uri, o.metadata.prefix, o.metadata.xml);
  }
  return { xml: dom.toString(), uuid, macs, disks };
}

/**
 * Turns a (shut off) source domain's XML into a clone's. Changes: name; UUID (and the SMBIOS
 * system UUID entry); an emptied `<genid>`; no `id`; dynamic seclabel labels; a MAC per interface
 * and no host-side `<target dev>`; writable disks re-pointed via diskMap with `<driver type>`
 * written and `<backingStore>`/`<mirror>` dropped; graphics on autoport without fixed ports or
 * socket paths; virtio unix channel socket paths and channel state removed; the NVRAM path;
 * explicit TPM state locations; virtkit's OEM strings (+ smbios mode); virtkit metadata. Everything else is kept as it was.
 */
export function cloneDomainXml(sourceXml: string, options: CloneOptions): string {
  return cloneDomain(sourceXml, options).xml;
}
