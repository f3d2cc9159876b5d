// Storage pool XML: a typed reader and the builder for directory pools.
import type { Document, Element } from './doc.js';
import { attr, child, childPath, childText, createElement, insertChild, parseRoot, prettyPrint, serialize, text } from './doc.js';
import { toBytes } from './units.js';
import { invalid } from '../errors.js';
import { validateAbsolutePath, validateName } from '../validate.js';

/** A parsed `<pool>` document. */
export class PoolXml {
  /** The xmldom document. */
  readonly doc: Document;
  /** Parses pool XML; INVALID_ARGUMENT when malformed or not a `<pool>`. */
  constructor(xml: string) {
    this.doc = parseRoot(xml, 'pool', 'pool XML');
  }
  private get root(): Element {
    return this.doc.documentElement!;
  }
  private bytes(name: string): number | undefined {
    const el = child(this.root, name);
    return el ? toBytes(text(el) ?? '', attr(el, 'unit'), 'bytes') : undefined;
  }
  /** Pool type: 'dir', 'fs', 'logical', 'netfs', ... */
  get type(): string | undefined {
    return attr(this.root, 'type');
  }
  /** Pool name. */
  get name(): string | undefined {
    return childText(this.root, 'name');
  }
  /** Pool UUID. */
  get uuid(): string | undefined {
    return childText(this.root, 'uuid');
  }
  /** Size in bytes, when reported. */
  get capacity(): number | undefined {
    return this.bytes('capacity');
  }
  /** Bytes used, when reported. */
  get allocation(): number | undefined {
    return this.bytes('allocation');
  }
  /** Bytes free, when reported. */
  get available(): number | undefined {
    return this.bytes('available');
  }
  /** `<target><path>`: the directory (dir pools) or mount point. */
  get targetPath(): string | undefined {
    return text(childPath(this.root, 'target', 'path'));
  }
  /** `<source><dir path>` or `<source><device path>`, when present. */
  get sourcePath(): string | undefined {
    const s = child(this.root, 'source');
    return s ? attr(child(s, 'dir'), 'path') ?? attr(child(s, 'device'), 'path') : undefined;
  }
  /** Directory mode from `<target><permissions><mode>`, or undefined. */
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
    const { type, name, uuid, capacity, allocation, available, targetPath, sourcePath, mode } = this;
    return { type, name, uuid, capacity, allocation, available, targetPath, sourcePath, mode };
  }
}

/**
 * Builds the XML of a directory pool for virStoragePoolDefineXML. The name follows the volume
 * name rules; `path` must be absolute (trailing slashes are dropped). `mode` sets the directory mode.
 */
export function dirPoolXml(name: string, path: string, options: { mode?: number } = {}): string {
  validateName(name, 'pool name');
  validateAbsolutePath(path, 'pool path', { noParent: true });
  const clean = path.length > 1 ? path.replace(/\/+$/, '') || '/' : path;
  if (options.mode !== undefined && (!Number.isInteger(options.mode) || options.mode < 0 || options.mode > 0o7777)) {
    throw invalid('mode must be an integer between 0 and 0o7777');
  }
  const doc = parseRoot("<pool type='dir'/>", 'pool');
  const root = doc.documentElement!;
  insertChild(root, createElement(doc, 'name', {}, name));
  const target = insertChild(root, createElement(doc, 'target'));
  insertChild(target, createElement(doc, 'path', {}, clean));
  if (options.mode !== undefined) {
    const perms = insertChild(target, createElement(doc, 'permissions'));
    insertChild(perms, createElement(doc, 'mode', {}, '0' + options.mode.toString(8).padStart(3, '0')));
  }
  prettyPrint(root);
  return serialize(doc) + '\n';
}
