// DomainXml: a typed, editable model of libvirt domain XML that keeps everything it does not model.
import type { Document, Element } from './doc.js';
import { XMLNS_NS, attr, child, children, childText, createElement, insertChild, parseRoot, parseXml, removeChildren, removeNode, serialize, setText, text } from './doc.js';
import { ChannelXml, CharDevXml, DiskXml, GraphicsXml, InterfaceXml, TpmXml } from './devices.js';
import { OsXml, ensureOrdered } from './os.js';
import { buildDomain } from './domain-create.js';
import type { DomainCreateOptions } from './domain-create.js';
import { toKiB } from './units.js';
import { invalid } from '../errors.js';
import { isXmlPrefix } from '../validate.js';

/** The order libvirt formats a domain's top-level elements in (used to place new ones). */
const TOP_ORDER = [
  'name', 'uuid', 'genid', 'title', 'description', 'metadata', 'maxMemory', 'memory', 'currentMemory',
  'blkiotune', 'memtune', 'memoryBacking', 'vcpu', 'vcpus', 'iothreads', 'iothreadids', 'cputune',
  'numatune', 'resource', 'sysinfo', 'bootloader', 'bootloader_args', 'os', 'idmap', 'features', 'cpu',
  'clock', 'on_poweroff', 'on_reboot', 'on_crash', 'on_lockfailure', 'pm', 'perf', 'devices', 'seclabel',
] as const;

/** A parsed libvirt domain definition. Getters read the document; setters edit it in place. */
export class DomainXml {
  /** The underlying xmldom document (for edits this class does not model). */
  readonly doc: Document;

  /** Parses domain XML; throws VirtkitError INVALID_ARGUMENT when malformed or not a `<domain>`. */
  constructor(xml: string) {
    this.doc = parseRoot(xml, 'domain', 'domain XML');
  }

  /**
   * Builds a new domain definition for virtkit's own guests: validated input, libvirt's element
   * order, explicit disk formats, random UUID and MACs unless given. See DomainCreateOptions.
   */
  static create(options: DomainCreateOptions): DomainXml {
    const dom = new DomainXml("<domain type='qemu'/>\n");
    buildDomain(dom, options);
    return dom;
  }

  /** Same as `new DomainXml(xml)`. */
  static parse(xml: string): DomainXml {
    return new DomainXml(xml);
  }

  /** The `<domain>` element. */
  get root(): Element {
    return this.doc.documentElement!;
  }

  /** Returns the top-level child `name`, created at libvirt's position when missing. */
  ensure(name: string): Element {
    return ensureOrdered(this.root, name, TOP_ORDER);
  }

  private setTop(name: string, value: string | undefined): void {
    if (value === undefined) removeChildren(this.root, name);
    else setText(this.ensure(name), value);
  }

  /** Domain name. */
  get name(): string | undefined {
    return childText(this.root, 'name');
  }
  /** Sets `<name>`; undefined removes it. */
  set name(v: string | undefined) {
    this.setTop('name', v);
  }
  /** Domain UUID. */
  get uuid(): string | undefined {
    return childText(this.root, 'uuid');
  }
  /** Sets `<uuid>`; undefined removes it (libvirt then generates one at define). */
  set uuid(v: string | undefined) {
    this.setTop('uuid', v);
  }
  /** Short title. */
  get title(): string | undefined {
    return childText(this.root, 'title');
  }
  /** Sets `<title>`; undefined removes it. */
  set title(v: string | undefined) {
    this.setTop('title', v);
  }
  /** Free-form description (untrimmed). */
  get description(): string | undefined {
    const d = child(this.root, 'description');
    return d ? d.textContent ?? '' : undefined;
  }
  /** Sets `<description>`; undefined removes it. */
  set description(v: string | undefined) {
    this.setTop('description', v);
  }
  /** Hypervisor type from `<domain type>`: 'kvm', 'qemu', 'test', ... */
  get type(): string | undefined {
    return attr(this.root, 'type');
  }
  /**
   * Sets `<domain type>`.
   * @throws VirtkitError `INVALID_ARGUMENT` for undefined (a domain needs a type).
   */
  set type(v: string | undefined) {
    if (v === undefined) throw invalid('a domain needs a type');
    this.root.setAttribute('type', v);
  }
  /** Maximum memory in KiB (`<memory>`, any unit converted). */
  get memoryKiB(): number | undefined {
    const m = child(this.root, 'memory');
    return m ? toKiB(text(m) ?? '', attr(m, 'unit')) : undefined;
  }
  /**
   * Sets `<memory unit='KiB'>`; undefined removes it.
   * @throws VirtkitError `INVALID_ARGUMENT` unless a positive integer of KiB.
   */
  set memoryKiB(v: number | undefined) {
    this.setMemory('memory', v);
  }
  /** Current (balloon) memory in KiB (`<currentMemory>`). */
  get currentMemoryKiB(): number | undefined {
    const m = child(this.root, 'currentMemory');
    return m ? toKiB(text(m) ?? '', attr(m, 'unit')) : undefined;
  }
  /**
   * Sets `<currentMemory unit='KiB'>`; undefined removes it.
   * @throws VirtkitError `INVALID_ARGUMENT` unless a positive integer of KiB.
   */
  set currentMemoryKiB(v: number | undefined) {
    this.setMemory('currentMemory', v);
  }
  private setMemory(name: string, v: number | undefined): void {
    if (v === undefined) return void removeChildren(this.root, name);
    if (!Number.isSafeInteger(v) || v <= 0) throw invalid(`${name} must be a positive integer number of KiB, got ${v}`);
    const el = this.ensure(name);
    el.setAttribute('unit', 'KiB');
    setText(el, String(v));
  }
  /** Number of virtual CPUs (`<vcpu>`). */
  get vcpus(): number | undefined {
    const v = childText(this.root, 'vcpu');
    return v === undefined ? undefined : Number(v);
  }
  /**
   * Sets `<vcpu>`; undefined removes it.
   * @throws VirtkitError `INVALID_ARGUMENT` unless a positive integer.
   */
  set vcpus(v: number | undefined) {
    if (v !== undefined && (!Number.isSafeInteger(v) || v <= 0)) throw invalid(`vcpus must be a positive integer, got ${v}`);
    this.setTop('vcpu', v === undefined ? undefined : String(v));
  }
  /** The `<os>` element as a live view (libvirt requires one; created when missing). */
  get os(): OsXml {
    return new OsXml(this.ensure('os'));
  }
  /** Names of the enabled `<features>` children, e.g. ['acpi', 'apic']. */
  get features(): string[] {
    const f = child(this.root, 'features');
    return f ? children(f).map((c) => c.nodeName) : [];
  }
  /** Adds (`on`) or removes a simple feature such as 'acpi'; other features are untouched. */
  setFeature(name: string, on: boolean): void {
    if (on) {
      const f = this.ensure('features');
      if (!child(f, name)) ensureOrdered(f, name, [name]);
    } else {
      const f = child(this.root, 'features');
      if (f) removeChildren(f, name);
    }
  }
  /** The `<devices>` element (created when missing). */
  get devices(): Element {
    return this.ensure('devices');
  }
  private devs(name: string): Element[] {
    const d = child(this.root, 'devices');
    return d ? children(d, name).filter((e) => !e.namespaceURI) : [];
  }
  /** Disks, in document order. */
  get disks(): DiskXml[] {
    return this.devs('disk').map((e) => new DiskXml(e));
  }
  /** Network interfaces, in document order. */
  get interfaces(): InterfaceXml[] {
    return this.devs('interface').map((e) => new InterfaceXml(e));
  }
  /** Graphics devices. */
  get graphics(): GraphicsXml[] {
    return this.devs('graphics').map((e) => new GraphicsXml(e));
  }
  /** Channels (guest agent, spice vdagent, ...). */
  get channels(): ChannelXml[] {
    return this.devs('channel').map((e) => new ChannelXml(e));
  }
  /** TPM devices (at most one in practice). */
  get tpms(): TpmXml[] {
    return this.devs('tpm').map((e) => new TpmXml(e));
  }
  /** Serial ports. */
  get serials(): CharDevXml[] {
    return this.devs('serial').map((e) => new CharDevXml(e));
  }
  /** Consoles. */
  get consoles(): CharDevXml[] {
    return this.devs('console').map((e) => new CharDevXml(e));
  }

  private smbios(create: boolean): Element | undefined {
    const found = children(this.root, 'sysinfo').find((s) => attr(s, 'type') === 'smbios' && !s.namespaceURI);
    if (found || !create) return found;
    const s = this.ensure('sysinfo');
    if (attr(s, 'type') !== undefined && attr(s, 'type') !== 'smbios') {
      // another <sysinfo> (fwcfg) exists: add ours before it
      const el = this.doc.createElement('sysinfo');
      el.setAttribute('type', 'smbios');
      s.parentNode!.insertBefore(el, s);
      s.parentNode!.insertBefore(this.doc.createTextNode('\n  '), s);
      return el;
    }
    s.setAttribute('type', 'smbios');
    return s;
  }
  private smbiosUuidEntry(): Element | undefined {
    const s = this.smbios(false);
    const sys = s && child(s, 'system');
    return sys && children(sys, 'entry').find((x) => attr(x, 'name') === 'uuid');
  }
  /** `<sysinfo type='smbios'><system><entry name='uuid'>`, or undefined. */
  get smbiosSystemUuid(): string | undefined {
    return text(this.smbiosUuidEntry());
  }
  /** Sets the SMBIOS system UUID entry if one exists (libvirt requires it to match `<uuid>`). */
  setSmbiosSystemUuidIfPresent(uuid: string): boolean {
    const e = this.smbiosUuidEntry();
    if (e) setText(e, uuid);
    return e !== undefined;
  }
  /** SMBIOS OEM strings (type 11 entries) from `<sysinfo type='smbios'><oemStrings>`. */
  get oemStrings(): string[] {
    const s = this.smbios(false);
    const o = s && child(s, 'oemStrings');
    return o ? children(o, 'entry').map((e) => e.textContent ?? '') : [];
  }
  /** Replaces the OEM strings (an empty list removes `<oemStrings>`, and an emptied `<sysinfo>`). */
  set oemStrings(entries: string[]) {
    const s = this.smbios(entries.length > 0);
    if (!s) return;
    removeChildren(s, 'oemStrings');
    if (entries.length === 0) {
      if (children(s).length === 0) removeNode(s);
      return;
    }
    const o = ensureOrdered(s, 'oemStrings', ['bios', 'system', 'baseBoard', 'chassis', 'processor', 'memory', 'oemStrings']);
    for (const v of entries) insertChild(o, createElement(this.doc, 'entry', {}, v));
  }

  /** The metadata element in namespace `uri`, or undefined. */
  metadataElement(uri: string): Element | undefined {
    const m = child(this.root, 'metadata');
    return m ? children(m).find((e) => e.namespaceURI === uri) : undefined;
  }
  /** The metadata element in `uri` serialized as one self-contained element string, or undefined. */
  getMetadata(uri: string): string | undefined {
    const el = this.metadataElement(uri);
    if (!el) return undefined;
    const copy = el.cloneNode(true) as Element;
    if (el.prefix && !copy.hasAttribute(`xmlns:${el.prefix}`)) copy.setAttributeNS(XMLNS_NS, `xmlns:${el.prefix}`, uri);
    return serialize(copy, { libxml2Style: true });
  }
  /**
   * Sets the metadata element of namespace `uri` the way virDomainSetMetadata does: `elementXml` is
   * one element; its root is put in `uri` under `prefix` (children as written) and replaces any
   * element of that namespace. Other metadata is untouched.
   */
  setMetadata(uri: string, prefix: string, elementXml: string): void {
    if (!isXmlPrefix(prefix)) throw invalid(`invalid metadata prefix '${prefix}'`);
    const src = parseXml(elementXml, 'metadata element').documentElement!;
    const el = this.doc.createElementNS(uri, `${prefix}:${src.localName}`);
    el.setAttributeNS(XMLNS_NS, `xmlns:${prefix}`, uri);
    for (const a of Array.from(src.attributes)) {
      if (a.name === `xmlns:${prefix}` || (a.name === 'xmlns' && a.value === uri)) continue;
      el.setAttributeNode(this.doc.importNode(a, true));
    }
    for (let c = src.firstChild; c; c = c.nextSibling) el.appendChild(this.doc.importNode(c, true));
    const old = this.metadataElement(uri);
    if (old) old.parentNode!.replaceChild(el, old);
    else {
      insertChild(this.ensure('metadata'), el);
    }
  }
  /** Removes the metadata element of namespace `uri` (and `<metadata>` when left empty). */
  removeMetadata(uri: string): boolean {
    const el = this.metadataElement(uri);
    if (!el) return false;
    const m = el.parentNode as Element;
    removeNode(el);
    if (children(m).length === 0) removeNode(m);
    return true;
  }

  /** Serializes the document; untouched parts come back as they were parsed. */
  toString(): string {
    return serialize(this.doc);
  }
  /** Plain snapshot for logs and the REPL. */
  toJSON(): Record<string, unknown> {
    const { name, uuid, title, type, memoryKiB, vcpus, features, oemStrings } = this;
    return {
      name, uuid, title, type, memoryKiB, vcpus, os: this.os.toJSON(), features, oemStrings,
      disks: this.disks.map((d) => d.toJSON()), interfaces: this.interfaces.map((i) => i.toJSON()),
      graphics: this.graphics.map((g) => g.toJSON()), channels: this.channels.map((c) => c.toJSON()),
      tpms: this.tpms.map((t) => t.toJSON()), serials: this.serials.map((s) => s.toJSON()),
    };
  }
}
