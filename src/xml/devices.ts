// Live, typed views over the device elements of a domain. Each view reads and writes its element
// in place; `toJSON()` gives a plain snapshot for logs and the REPL.
import type { Element } from './doc.js';
import { attr, child, children, createElement, ensureChild, insertChild, removeChildren, yesNo } from './doc.js';

/** A disk's source, as virtkit writes it. */
export type DiskSource =
  | { type: 'file' | 'block'; path: string }
  | { type: 'volume'; pool: string; volume: string };

/** One level of a disk's `<backingStore>` chain as libvirt reported it. */
export interface BackingStoreInfo {
  /** Source type: 'file', 'block', ... */
  type?: string;
  /** Path of the image (file or device). */
  path?: string;
  /** Image format from `<format type>`, e.g. 'qcow2'. */
  format?: string;
}

/** Children of a disk's `<source>` that only describe a network source (dropped when it becomes local). */
const NETWORK_SOURCE_CHILDREN = ['host', 'auth', 'config', 'snapshot', 'ssl', 'cookies', 'readahead', 'timeout', 'reconnect', 'knownHosts', 'identity', 'initiator'];

/** A `<disk>` element. */
export class DiskXml {
  /**
   * Wraps a `<disk>` element.
   * @param element - The wrapped element; edits through this view change it in place.
   */
  constructor(readonly element: Element) {}
  /** 'disk' (default), 'cdrom', 'floppy' or 'lun'. */
  get device(): string {
    return attr(this.element, 'device') ?? 'disk';
  }
  /** Source type: 'file', 'block', 'volume', 'network', 'dir', ... */
  get type(): string | undefined {
    return attr(this.element, 'type');
  }
  /** Image format from `<driver type>`, e.g. 'qcow2' or 'raw'. */
  get format(): string | undefined {
    return attr(child(this.element, 'driver'), 'type');
  }
  /** Sets `<driver type>` (creating `<driver name='qemu'>` when missing); undefined removes the attribute. */
  set format(v: string | undefined) {
    if (v === undefined) {
      const d = child(this.element, 'driver');
      if (d) d.removeAttribute('type');
      return;
    }
    let d = child(this.element, 'driver');
    if (!d) d = insertChild(this.element, createElement(this.element.ownerDocument!, 'driver', { name: 'qemu' }), children(this.element)[0]);
    d.setAttribute('type', v);
  }
  /** Host path of a file, block or dir source; undefined for volume/network/empty sources. */
  get path(): string | undefined {
    const s = child(this.element, 'source');
    return attr(s, 'file') ?? attr(s, 'dev') ?? attr(s, 'dir');
  }
  /** Storage pool of a volume source. */
  get pool(): string | undefined {
    return this.type === 'volume' ? attr(child(this.element, 'source'), 'pool') : undefined;
  }
  /** Volume name of a volume source. */
  get volume(): string | undefined {
    return this.type === 'volume' ? attr(child(this.element, 'source'), 'volume') : undefined;
  }
  /** Network protocol (rbd, nbd, iscsi, ...) of a network source. */
  get protocol(): string | undefined {
    return this.type === 'network' ? attr(child(this.element, 'source'), 'protocol') : undefined;
  }
  /** True when the disk has no source (an empty CD-ROM drive). */
  get empty(): boolean {
    const s = child(this.element, 'source');
    return !s || s.attributes.length === 0 || (s.attributes.length === 1 && s.hasAttribute('startupPolicy'));
  }
  /** Guest device name from `<target dev>`, e.g. 'vda'. */
  get target(): string | undefined {
    return attr(child(this.element, 'target'), 'dev');
  }
  /** Guest bus from `<target bus>`, e.g. 'virtio'. */
  get bus(): string | undefined {
    return attr(child(this.element, 'target'), 'bus');
  }
  /** `<readonly/>` present. */
  get readonly(): boolean {
    return child(this.element, 'readonly') !== undefined;
  }
  /** Adds or removes `<readonly/>`. */
  set readonly(v: boolean) {
    if (!v) removeChildren(this.element, 'readonly');
    else ensureChild(this.element, 'readonly');
  }
  /** `<shareable/>` present. */
  get shareable(): boolean {
    return child(this.element, 'shareable') !== undefined;
  }
  /** The `<backingStore>` chain reported by libvirt, top first (empty when absent). */
  get backingStore(): BackingStoreInfo[] {
    const res: BackingStoreInfo[] = [];
    for (let b = child(this.element, 'backingStore'); b && b.attributes.length > 0; b = child(b, 'backingStore')) {
      const s = child(b, 'source');
      res.push({ type: attr(b, 'type'), path: attr(s, 'file') ?? attr(s, 'dev'), format: attr(child(b, 'format'), 'type') });
    }
    return res;
  }
  /** Removes every `<backingStore>` child (libvirt probes the chain again from the image). */
  removeBackingStore(): void {
    removeChildren(this.element, 'backingStore');
  }
  /**
   * Points the disk at a new source. Only what names the image changes: the path (`file`, `dev`,
   * `dir`) or `pool`/`volume` attributes are replaced, per-image runtime attributes (`index`,
   * `fdgroup`, a volume's `mode`) go, `startupPolicy` stays, and every child of `<source>` stays
   * (`<encryption>`, `<slices>`, `<seclabel>`, `<reservations>`, ...), except, when a network
   * source becomes a local one, the children that only describe the network (`<host>`, `<auth>`, ...).
   */
  setSource(src: DiskSource): void {
    const doc = this.element.ownerDocument!;
    const old = child(this.element, 'source');
    const wasNetwork = this.type === 'network';
    if (!old) {
      const fresh = doc.createElement('source');
      insertChild(this.element, fresh, child(this.element, 'target') ?? null);
    }
    const el = child(this.element, 'source')!;
    for (const a of Array.from(el.attributes)) if (!a.namespaceURI && a.name !== 'startupPolicy') el.removeAttribute(a.name);
    // New attributes go first, where libvirt writes them; startupPolicy after them.
    const policy = attr(el, 'startupPolicy');
    if (policy !== undefined) el.removeAttribute('startupPolicy');
    if ('path' in src) el.setAttribute(src.type === 'file' ? 'file' : 'dev', src.path);
    else {
      el.setAttribute('pool', src.pool);
      el.setAttribute('volume', src.volume);
    }
    if (policy !== undefined) el.setAttribute('startupPolicy', policy);
    if (wasNetwork) for (const name of NETWORK_SOURCE_CHILDREN) removeChildren(el, name);
    this.element.setAttribute('type', src.type);
  }
  /** Plain snapshot. */
  toJSON(): Record<string, unknown> {
    const { device, type, format, path, pool, volume, target, bus, readonly, shareable, backingStore } = this;
    return { device, type, format, path, pool, volume, target, bus, readonly, shareable, backingStore };
  }
}

/** An `<interface>` element. */
export class InterfaceXml {
  /**
   * Wraps an `<interface>` element.
   * @param element - The wrapped element; edits through this view change it in place.
   */
  constructor(readonly element: Element) {}
  /** 'network', 'bridge', 'user', 'direct', ... */
  get type(): string | undefined {
    return attr(this.element, 'type');
  }
  /** MAC address from `<mac address>`. */
  get mac(): string | undefined {
    return attr(child(this.element, 'mac'), 'address');
  }
  /** Sets `<mac address>`; undefined removes `<mac>` (libvirt then generates one at define). */
  set mac(v: string | undefined) {
    if (v === undefined) removeChildren(this.element, 'mac');
    else ensureChild(this.element, 'mac', children(this.element)[0]).setAttribute('address', v);
  }
  /** `<source network>` of a network interface. */
  get network(): string | undefined {
    return attr(child(this.element, 'source'), 'network');
  }
  /** `<source bridge>` of a bridge interface. */
  get bridge(): string | undefined {
    return attr(child(this.element, 'source'), 'bridge');
  }
  /**
   * Connects the interface to the libvirt network `name`: `type='network'`, `<source network>`,
   * and without what belonged to its previous kind of source (a bridge's `<virtualport>`, a user
   * NIC's `<ip>`, `<route>` and `<portForward>`). Model, driver, address and the rest stay.
   */
  connectToNetwork(name: string): void {
    this.element.setAttribute('type', 'network');
    for (const n of ['virtualport', 'ip', 'route', 'portForward']) removeChildren(this.element, n);
    removeChildren(this.element, 'source');
    // right after <mac> (or first), where libvirt writes it
    const kids = children(this.element);
    const at = kids.findIndex((k) => k.localName === 'mac');
    insertChild(this.element, createElement(this.element.ownerDocument!, 'source', { network: name }), kids[at + 1]);
  }
  /** `<model type>`, e.g. 'virtio'. */
  get model(): string | undefined {
    return attr(child(this.element, 'model'), 'type');
  }
  /** Host-side device name from `<target dev>`, e.g. 'vnet3'. */
  get targetDev(): string | undefined {
    return attr(child(this.element, 'target'), 'dev');
  }
  /** Plain snapshot. */
  toJSON(): Record<string, unknown> {
    const { type, mac, network, bridge, model, targetDev } = this;
    return { type, mac, network, bridge, model, targetDev };
  }
}

/** A `<graphics>` element (VNC, SPICE, ...). */
export class GraphicsXml {
  /**
   * Wraps a `<graphics>` element.
   * @param element - The wrapped element; edits through this view change it in place.
   */
  constructor(readonly element: Element) {}
  /** 'vnc', 'spice', 'sdl', 'egl-headless', ... */
  get type(): string | undefined {
    return attr(this.element, 'type');
  }
  /** Fixed port, or undefined when absent or -1 (allocated at start). */
  get port(): number | undefined {
    const p = attr(this.element, 'port');
    return p === undefined || p === '-1' ? undefined : Number(p);
  }
  /** `autoport='yes'`. */
  get autoport(): boolean {
    return attr(this.element, 'autoport') === 'yes';
  }
  /** Listen address: the `listen` attribute, else the first `<listen address>`. */
  get listen(): string | undefined {
    return attr(this.element, 'listen') ?? attr(child(this.element, 'listen'), 'address');
  }
  /**
   * Lets libvirt choose ports at start: removes fixed `port`/`tlsPort`, turns a fixed `websocket`
   * port into '-1' (still enabled, auto-allocated), sets `autoport='yes'`, and drops unix socket
   * paths (`socket` attributes) so libvirt generates per-domain ones.
   */
  resetPorts(): void {
    const el = this.element;
    el.removeAttribute('port');
    el.removeAttribute('tlsPort');
    const ws = attr(el, 'websocket');
    if (ws !== undefined && ws !== '-1') el.setAttribute('websocket', '-1');
    if (this.type === 'vnc' || this.type === 'spice') el.setAttribute('autoport', 'yes');
    el.removeAttribute('socket');
    for (const l of children(el, 'listen')) if (attr(l, 'type') === 'socket') l.removeAttribute('socket');
  }
  /** Plain snapshot. */
  toJSON(): Record<string, unknown> {
    const { type, port, autoport, listen } = this;
    return { type, port, autoport, listen };
  }
}

/** A `<channel>` element. */
export class ChannelXml {
  /**
   * Wraps a `<channel>` element.
   * @param element - The wrapped element; edits through this view change it in place.
   */
  constructor(readonly element: Element) {}
  /** Host side type: 'unix', 'pty', 'spicevmc', ... */
  get type(): string | undefined {
    return attr(this.element, 'type');
  }
  /** `<source mode>` ('bind' or 'connect'). */
  get sourceMode(): string | undefined {
    return attr(child(this.element, 'source'), 'mode');
  }
  /** `<source path>`, e.g. the guest agent socket. */
  get sourcePath(): string | undefined {
    return attr(child(this.element, 'source'), 'path');
  }
  /** `<target type>`: 'virtio', 'guestfwd', ... */
  get targetType(): string | undefined {
    return attr(child(this.element, 'target'), 'type');
  }
  /** `<target name>`, e.g. 'org.qemu.guest_agent.0'. */
  get targetName(): string | undefined {
    return attr(child(this.element, 'target'), 'name');
  }
  /** Runtime `<target state>` ('connected'/'disconnected') of a live domain. */
  get targetState(): string | undefined {
    return attr(child(this.element, 'target'), 'state');
  }
  /** Plain snapshot. */
  toJSON(): Record<string, unknown> {
    const { type, sourceMode, sourcePath, targetType, targetName, targetState } = this;
    return { type, sourceMode, sourcePath, targetType, targetName, targetState };
  }
}

/** A `<tpm>` element. */
export class TpmXml {
  /**
   * Wraps a `<tpm>` element.
   * @param element - The wrapped element; edits through this view change it in place.
   */
  constructor(readonly element: Element) {}
  /** 'tpm-tis', 'tpm-crb', ... */
  get model(): string | undefined {
    return attr(this.element, 'model');
  }
  /** `<backend type>`: 'emulator', 'passthrough' or 'external'. */
  get backendType(): string | undefined {
    return attr(child(this.element, 'backend'), 'type');
  }
  /** `<backend version>`: '1.2' or '2.0'. */
  get version(): string | undefined {
    return attr(child(this.element, 'backend'), 'version');
  }
  /** `<backend persistent_state='yes'>`. */
  get persistentState(): boolean {
    return yesNo(attr(child(this.element, 'backend'), 'persistent_state')) ?? false;
  }
  /** Plain snapshot. */
  toJSON(): Record<string, unknown> {
    const { model, backendType, version, persistentState } = this;
    return { model, backendType, version, persistentState };
  }
}

/** A `<serial>` or `<console>` element. */
export class CharDevXml {
  /**
   * Wraps a `<serial>` or `<console>` element.
   * @param element - The wrapped element; edits through this view change it in place.
   */
  constructor(readonly element: Element) {}
  /** 'serial' or 'console'. */
  get kind(): string {
    return this.element.localName ?? '';
  }
  /** Host side type: 'pty', 'file', 'unix', ... */
  get type(): string | undefined {
    return attr(this.element, 'type');
  }
  /** `<source path>` (a log file for type 'file'). */
  get path(): string | undefined {
    return attr(child(this.element, 'source'), 'path');
  }
  /** `<target type>`, e.g. 'isa-serial' or 'serial'. */
  get targetType(): string | undefined {
    return attr(child(this.element, 'target'), 'type');
  }
  /** `<target port>`. */
  get targetPort(): number | undefined {
    const p = attr(child(this.element, 'target'), 'port');
    return p === undefined ? undefined : Number(p);
  }
  /** Plain snapshot. */
  toJSON(): Record<string, unknown> {
    const { kind, type, path, targetType, targetPort } = this;
    return { kind, type, path, targetType, targetPort };
  }
}

