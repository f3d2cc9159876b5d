// Storage volume XML: a typed reader and the builder for volumes virtkit creates.
import type { Document, Element } from './doc.js';
import { attr, child, childPath, childText, children, createElement, insertChild, parseRoot, prettyPrint, serialize, setText, text } from './doc.js';
import { toBytes } from './units.js';
import { invalid } from '../errors.js';
import { checkImageFormat, isImageFormat, validateAbsolutePath, validateName } from '../validate.js';

/** A backing file as libvirt describes it. */
export interface BackingFile {
  /** Path of the backing file. */
  path: string;
  /** Format of the backing file, e.g. 'qcow2' or 'raw'. */
  format?: string;
}

/** A parsed `<volume>` document. */
export class VolumeXml {
  /** The xmldom document. */
  readonly doc: Document;
  /** Parses volume XML; INVALID_ARGUMENT when malformed or not a `<volume>`. */
  constructor(xml: string) {
    this.doc = parseRoot(xml, 'volume', 'volume XML');
  }
  private get root(): Element {
    return this.doc.documentElement!;
  }
  private bytes(name: string): number | undefined {
    const el = child(this.root, name);
    return el ? toBytes(text(el) ?? '', attr(el, 'unit'), 'bytes') : undefined;
  }
  /** Volume name (the file name in a dir pool). */
  get name(): string | undefined {
    return childText(this.root, 'name');
  }
  /**
   * Sets the volume name.
   * @throws VirtkitError `INVALID_ARGUMENT` for undefined or a name virtkit does not accept.
   */
  set name(v: string | undefined) {
    if (v === undefined) throw invalid('a volume needs a name');
    const el = child(this.root, 'name') ?? insertChild(this.root, this.doc.createElement('name'), children(this.root)[0]);
    setText(el, validateName(v, 'volume name'));
  }
  /** `<volume type>`: 'file', 'block', 'dir', ... */
  get type(): string | undefined {
    return attr(this.root, 'type');
  }
  /** The volume key (the path, for file volumes). */
  get key(): string | undefined {
    return childText(this.root, 'key');
  }
  /** Logical size in bytes. */
  get capacity(): number | undefined {
    return this.bytes('capacity');
  }
  /** Host bytes allocated. */
  get allocation(): number | undefined {
    return this.bytes('allocation');
  }
  /** Physical size on the host in bytes, when reported. */
  get physical(): number | undefined {
    return this.bytes('physical');
  }
  /** `<target><path>`. */
  get path(): string | undefined {
    return text(childPath(this.root, 'target', 'path'));
  }
  /** `<target><format type>`, e.g. 'qcow2'. */
  get format(): string | undefined {
    return attr(childPath(this.root, 'target', 'format'), 'type');
  }
  /** qcow2 `<compat>`, e.g. '1.1'. */
  get compat(): string | undefined {
    return text(childPath(this.root, 'target', 'compat'));
  }
  /** The backing file (`<backingStore>`), or undefined for a volume without one. */
  get backing(): BackingFile | undefined {
    const b = child(this.root, 'backingStore');
    const path = text(b && child(b, 'path'));
    if (!b || !path) return undefined;
    return { path, format: attr(child(b, 'format'), 'type') };
  }
  /** Same as `backing`. */
  get backingStore(): BackingFile | undefined {
    return this.backing;
  }
  /** File mode from `<target><permissions><mode>` (e.g. 0o644), or undefined. */
  get mode(): number | undefined {
    const m = text(childPath(this.root, 'target', 'permissions', 'mode'));
    return m ? parseInt(m, 8) : undefined;
  }
  /** Serializes, unchanged parts as parsed. */
  toString(): string {
    return serialize(this.doc);
  }
  /** Plain snapshot. */
  toJSON(): Record<string, unknown> {
    const { name, type, key, capacity, allocation, physical, path, format, compat, backing, mode } = this;
    return { name, type, key, capacity, allocation, physical, path, format, compat, backing, mode };
  }
}

/** Options of volumeXml(). */
export interface VolumeOptions {
  /** File name in the pool: non-empty, ≤ 255 bytes, no '/', no NUL, not '.'/'..'. */
  name: string;
  /** 'qcow2' or 'raw' (other qemu-img formats pass through as written; only qcow2 takes a backing). */
  format: 'qcow2' | 'raw' | (string & {});
  /** Size in bytes (positive integer). Optional for an overlay: it then takes the backing size. */
  capacity?: number;
  /** Bytes to preallocate (non-negative integer). */
  allocation?: number;
  /** qcow2 compatibility level; default '1.1' for qcow2. */
  compat?: '0.10' | '1.1';
  /** Backing file of a qcow2 overlay; its format is always written. */
  backing?: BackingFile;
  /** File mode, e.g. 0o644. */
  mode?: number;
}

/**
 * Builds the XML for virStorageVolCreateXML. Throws INVALID_ARGUMENT for a bad name, a
 * non-positive or non-integer capacity, a non-qcow2 (e.g. raw) volume with a backing store or
 * compat, or a backing without a format. qcow2 gets `<compat>1.1</compat>` unless told otherwise.
 */
export function volumeXml(o: VolumeOptions): string {
  if (!o || typeof o !== 'object') throw invalid('volume options must be an object');
  validateName(o.name, 'volume name');
  checkImageFormat(o.format, 'volume format', 'format');
  if (o.capacity === undefined ? !o.backing : !Number.isSafeInteger(o.capacity) || o.capacity <= 0) {
    throw invalid(`volume capacity must be a positive integer number of bytes, got ${String(o.capacity)}`, { capacity: o.capacity });
  }
  if (o.allocation !== undefined && (!Number.isSafeInteger(o.allocation) || o.allocation < 0)) {
    throw invalid(`volume allocation must be a non-negative integer, got ${String(o.allocation)}`);
  }
  if (o.format !== 'qcow2' && o.backing) throw invalid(`a ${o.format} volume cannot have a backing store; use qcow2 for an overlay`);
  if (o.format !== 'qcow2' && o.compat !== undefined) throw invalid('compat applies to qcow2 volumes only');
  if (o.compat !== undefined && o.compat !== '1.1' && o.compat !== '0.10') throw invalid(`qcow2 compat must be '1.1' or '0.10', got ${JSON.stringify(o.compat)}`);
  if (o.mode !== undefined && (!Number.isInteger(o.mode) || o.mode < 0 || o.mode > 0o7777)) throw invalid(`mode must be an integer between 0 and 0o7777`);
  if (o.backing) {
    validateAbsolutePath(o.backing.path, 'backing.path');
    if (!isImageFormat(o.backing.format)) {
      throw invalid(`backing.format must be given explicitly (e.g. 'qcow2'), got ${JSON.stringify(o.backing.format)}`);
    }
  }
  const doc = parseRoot("<volume type='file'/>", 'volume');
  const root = doc.documentElement!;
  const add = (parent: Element, name: string, attrs: Record<string, string | undefined> = {}, value?: string) =>
    insertChild(parent, createElement(doc, name, attrs, value));
  add(root, 'name', {}, o.name);
  if (o.capacity !== undefined) add(root, 'capacity', { unit: 'bytes' }, String(o.capacity));
  if (o.allocation !== undefined) add(root, 'allocation', { unit: 'bytes' }, String(o.allocation));
  const target = add(root, 'target');
  add(target, 'format', { type: o.format });
  if (o.mode !== undefined) add(add(target, 'permissions'), 'mode', {}, '0' + o.mode.toString(8).padStart(3, '0'));
  if (o.format === 'qcow2') add(target, 'compat', {}, o.compat ?? '1.1');
  if (o.backing) {
    const b = add(root, 'backingStore');
    add(b, 'path', {}, o.backing.path);
    add(b, 'format', { type: o.backing.format });
  }
  prettyPrint(root);
  return serialize(doc) + '\n';
}
