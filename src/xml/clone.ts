// The pure transform at the heart of deploy: a template's domain XML in, a clone's XML out.
// Rules learned from virt-manager's virt-clone (virtinst/cloner.py), extended where a clone of a
// template needs more (own NVRAM, generation ID, identity via SMBIOS, no template marker).
import { randomUUID } from 'node:crypto';
import { posix } from 'node:path';
import { attr, child, children, removeChildren, removeNode } from './doc.js';
import { DomainXml } from './domain.js';
import type { DiskXml } from './devices.js';
import type { Element } from './doc.js';
import { OEM_PREFIX, checkOemLimits } from './identity.js';
import { VIRTKIT_NS } from './metadata.js';
import { invalid } from '../errors.js';
import { argOptString, argString } from '../args.js';
import { isImageFormat, validateAbsolutePath, validateMac, validateName, validateUuid } from '../validate.js';
import { randomMac } from './mac.js';

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
  /**
   * MACs for the interfaces in document order (none may be one the source uses); missing ones are
   * random 52:54:00:xx:xx:xx, never one the source uses.
   */
  macs?: string[];
  /**
   * Decides each writable disk, floppies and CD-ROMs without `<readonly/>` included (virt-clone's
   * rule). Not called for read-only, shareable or empty disks: those are shared as they are.
   */
  diskMap: (disk: CloneDiskInfo) => CloneDiskAction;
  /**
   * The clone's own NVRAM file (deploy passes a copy of the template's VARS it made). Absent: the
   * path is removed and libvirt makes `<name>_VARS.fd` from the `<nvram template>` at first start
   * (empty variables). Refused when it names the source's store or a disk of the source or clone.
   */
  nvramPath?: string;
  /** Drop an explicit TPM state location (`<backend><source>`) so a fresh state is made (default true). */
  removeTpmState?: boolean;
  /**
   * virtkit's SMBIOS OEM strings (see identityOemStrings). They replace the source's `virtkit:`
   * entries; other software's entries are kept. Sets `<smbios mode='sysinfo'/>` so QEMU exposes them.
   */
  oemStrings?: string[];
  /**
   * @deprecated Every file-backed character device gets its own path by default (see
   * cloneDomainXml). When given, the new path of the first `<serial type='file'>` (and of the
   * console that mirrors it); the other devices still follow the default rule.
   */
  serialLog?: string;
  /**
   * Per interface (document order): connect it to this libvirt network instead of its template
   * source (`<interface type='network'><source network>`, see InterfaceXml.connectToNetwork);
   * undefined entries keep theirs.
   */
  nicNetworks?: (string | undefined)[];
  /** The clone's `<title>` (one line). Absent: the source's title is removed (virt-clone's rule). */
  title?: string;
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

/**
 * True for disks a domain shares instead of owning (virt-clone's rule, plus LUN passthrough):
 * read-only, shareable, empty, transient with a shared backing image, or a host SCSI device
 * passed through (device='lun': the host's, never an image to copy or seal). A writable floppy,
 * or a CD-ROM without `<readonly/>` (libvirt adds it to every CD-ROM it defines), is the
 * domain's own like any disk. The one writable-disk rule: clones copy, templates copy and
 * sealing writes exactly the disks this says are not shared (see ownDisks).
 */
export function isSharedDisk(d: DiskXml): boolean {
  const transient = child(d.element, 'transient');
  return d.readonly || d.shareable || d.empty || d.device === 'lun' || attr(transient, 'shareBacking') === 'yes';
}

/** The disks a domain owns (not {@link isSharedDisk}), in document order. */
export function ownDisks(dom: DomainXml): DiskXml[] {
  return dom.disks.filter((d) => !isSharedDisk(d));
}

/** A host path as a comparison key: '//', '/./', '..' and a trailing '/' resolved lexically. */
export function pathKey(p: string): string {
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/** A UUID as a comparison key: libvirt accepts it with or without dashes, in either case. */
function uuidKey(u: string): string {
  return u.replace(/[-\s]/g, '').toLowerCase();
}

/** The key of a `{pool, volume}` disk source. */
const volumeKey = (pool: string | undefined, volume: string | undefined) => `${pool ?? ''}\0${volume ?? ''}`;

/**
 * virt-clone's rule for a clone's own copy of a file next to the source's: in the same directory,
 * a name that starts with the source domain's name gets the clone's instead
 * (`tpl-serial0.log` -> `web1-serial0.log`), any other gets `-<clone>` before its extension
 * (`console.log` -> `console-web1.log`).
 */
export function clonedFilePath(path: string, sourceName: string | undefined, cloneName: string): string {
  const dir = posix.dirname(path);
  const base = posix.basename(path);
  const dot = base.lastIndexOf('.');
  const [stem, ext] = dot > 0 && base.length - dot - 1 <= 7 ? [base.slice(0, dot), base.slice(dot)] : [base, ''];
  const rest = sourceName && stem.startsWith(sourceName) ? stem.slice(sourceName.length) : undefined;
  const fresh = rest !== undefined && (rest === '' || /^[^A-Za-z0-9]/.test(rest)) ? `${cloneName}${rest}` : `${stem}-${cloneName}`;
  return `${dir === '/' ? '' : dir}/${fresh}${ext}`;
}

function applyDisk(d: DiskXml, action: CloneDiskAction, index: number): { to: string; format: string } {
  if (typeof action !== 'object' || action === null || !isImageFormat(action.format)) {
    throw invalid(`diskMap for disk ${d.target ?? index} must return 'share', 'drop', { path, format } or { pool, volume, format }`);
  }
  const before = d.type === 'volume' ? `${d.pool}/${d.volume}` : d.path;
  if ('path' in action && 'pool' in action) throw invalid(`diskMap for disk ${d.target ?? index} must return either a path or a pool and volume, not both`);
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

/**
 * Gives every file a character device writes (a `type='file'` serial, console, parallel port or
 * channel, a `<log file>`) and every socket it listens on (`type='unix'` in bind mode) a path of
 * the clone's own, by clonedFilePath. One source path gets one new path, so a console that mirrors
 * a serial port keeps pointing at the same file.
 */
function renameCharDevFiles(dom: DomainXml, sourceName: string | undefined, cloneName: string, firstSerial: string | undefined): void {
  const devices = child(dom.root, 'devices');
  if (!devices) return;
  const places: { el: Element; attr: string }[] = [];
  for (const kind of ['serial', 'console', 'parallel', 'channel']) {
    for (const el of children(devices, kind)) {
      if (el.namespaceURI) continue;
      const type = attr(el, 'type');
      const src = child(el, 'source');
      if (src && attr(src, 'path') && (type === 'file' || (type === 'unix' && (attr(src, 'mode') ?? 'bind') === 'bind'))) places.push({ el: src, attr: 'path' });
      const log = child(el, 'log');
      if (log && attr(log, 'file')) places.push({ el: log, attr: 'file' });
    }
  }
  const taken = new Set<string>();
  for (const p of places) taken.add(pathKey(attr(p.el, p.attr)!));
  const renamed = new Map<string, string>();
  if (firstSerial !== undefined) {
    const s = dom.serials.find((x) => x.type === 'file' && x.path);
    if (s) {
      renamed.set(pathKey(s.path!), firstSerial);
      taken.add(pathKey(firstSerial));
    }
  }
  for (const p of places) {
    const old = pathKey(attr(p.el, p.attr)!);
    let fresh = renamed.get(old);
    if (fresh === undefined) {
      fresh = clonedFilePath(old, sourceName, cloneName);
      for (let n = 2; taken.has(pathKey(fresh)); n++) fresh = clonedFilePath(old, sourceName, `${cloneName}-${n}`);
      renamed.set(old, fresh);
      taken.add(pathKey(fresh));
    }
    p.el.setAttribute(p.attr, fresh);
  }
}

/** Clones domain XML and reports what it did. See cloneDomainXml for the rules. */
export function cloneDomain(sourceXml: string, o: CloneOptions): CloneResult {
  const dom = new DomainXml(sourceXml);
  const root = dom.root;
  if (!o || typeof o.diskMap !== 'function') throw invalid('clone options need a diskMap function');
  validateName(o.name, 'clone name');
  if (o.name === dom.name) throw invalid(`the clone needs a new name; '${o.name}' is the source's`);
  const uuid = o.uuid === undefined ? randomUUID() : validateUuid(o.uuid);
  if (dom.uuid && uuidKey(uuid) === uuidKey(dom.uuid)) throw invalid('the clone needs a new UUID', { argument: 'uuid' });
  const title = argOptString('title', o.title);
  if (title !== undefined && /[\r\n]/.test(title)) throw invalid('title must be one line (libvirt refuses a newline in it)', { argument: 'title' });
  const sourceName = dom.name;

  // identity of the domain
  root.removeAttribute('id');
  dom.name = o.name;
  dom.uuid = uuid;
  dom.title = title;
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
  if (o.macs !== undefined && !Array.isArray(o.macs)) throw invalid('macs must be an array of MAC addresses', { argument: 'macs' });
  if (o.macs && o.macs.length > nics.length) throw invalid(`${o.macs.length} MACs given for ${nics.length} interfaces`, { argument: 'macs' });
  // The source's MACs are taken: neither given nor drawn for the clone.
  const sourceMacs = new Set(nics.map((n) => n.mac?.toLowerCase()).filter((m): m is string => m !== undefined));
  const used = new Set<string>(sourceMacs);
  const given = (o.macs ?? []).map((m, i) => validateMac(m, `macs[${i}]`));
  const seen = new Set<string>();
  for (const m of given) {
    if (seen.has(m)) throw invalid(`MAC address ${m} is given twice`, { argument: 'macs' });
    if (sourceMacs.has(m)) throw invalid(`MAC address ${m} is the source's; a clone needs its own`, { argument: 'macs' });
    seen.add(m);
    used.add(m);
  }
  if (o.nicNetworks !== undefined && (!Array.isArray(o.nicNetworks) || o.nicNetworks.length > nics.length))
    throw invalid(`nicNetworks must be an array of at most ${nics.length} network names`, { argument: 'nicNetworks' });
  const macs = nics.map((nic, i) => {
    const mac = given[i] ?? randomMac(used);
    nic.mac = mac;
    const net = o.nicNetworks?.[i];
    if (net !== undefined) nic.connectToNetwork(argString(`nicNetworks[${i}]`, net, { nonEmpty: true }));
    // Host-side device names belong to one domain, a pre-made tap (managed='no') too.
    const t = child(nic.element, 'target');
    if (t) removeNode(t);
    return mac;
  });

  // disks
  // What the source's disks name, compared normalized ('/i//tpl.qcow2' is '/i/tpl.qcow2').
  const originals = new Set(dom.disks.map((d) => d.path).filter((p): p is string => p !== undefined).map(pathKey));
  const originalVolumes = new Set(dom.disks.filter((d) => d.type === 'volume').map((d) => volumeKey(d.pool, d.volume)));
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
    const own = 'path' in action ? originals.has(pathKey(action.path)) : originalVolumes.has(volumeKey(action.pool, action.volume));
    if (own) throw invalid(`diskMap(${d.target}) points at a source disk (${to}); a clone must not write to it`, { argument: 'diskMap' });
    const key = 'path' in action ? pathKey(action.path) : `volume:${volumeKey(action.pool, action.volume)}`;
    if (targets.has(key)) throw invalid(`diskMap gives ${to} to two disks`, { argument: 'diskMap' });
    targets.add(key);
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
  renameCharDevFiles(dom, sourceName, o.name, o.serialLog === undefined ? undefined : validateAbsolutePath(o.serialLog, 'serialLog'));

  // firmware variables: never share the template's store
  const os = dom.os;
  if (o.nvramPath !== undefined) {
    const nv = pathKey(validateAbsolutePath(o.nvramPath, 'nvramPath'));
    const srcNv = os.nvram?.path;
    if ((srcNv !== undefined && pathKey(srcNv) === nv) || originals.has(nv) || targets.has(nv))
      throw invalid(`nvramPath ${o.nvramPath} is a file of the source or one of the clone's disks; the clone needs a store of its own`, { argument: 'nvramPath' });
    os.setNvramPath(o.nvramPath);
  } else if (os.nvram?.path) os.setNvramPath(undefined);

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
 * system UUID entry); an emptied `<genid>`; no `id`; no `<title>` unless `title` is given; dynamic
 * seclabel labels; a MAC per interface and no host-side `<target dev>` (managed or not); writable
 * disks (floppies and CD-ROMs without `<readonly/>` included) re-pointed via diskMap with
 * `<driver type>` written, `<backingStore>`/`<mirror>` dropped and every other child of `<source>`
 * (`<encryption>`, `<slices>`, ...) kept; graphics on autoport without fixed ports or socket paths;
 * virtio unix channel socket paths and channel state removed; a path of the clone's own for every
 * file-backed serial, console, parallel port and channel, log file and listening unix socket
 * (clonedFilePath); the NVRAM path; explicit TPM state locations; virtkit's OEM strings (+ smbios
 * mode); virtkit metadata. Everything else is kept as it was.
 *
 * Refused as INVALID_ARGUMENT: the source's name, the source's UUID (compared without dashes or
 * case), a MAC the source uses, a diskMap answer naming a source disk (paths compared normalized;
 * `{pool, volume}` compared with the source's volume disks), one target for two disks.
 */
export function cloneDomainXml(sourceXml: string, options: CloneOptions): string {
  return cloneDomain(sourceXml, options).xml;
}
