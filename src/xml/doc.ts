// Small helpers over @xmldom/xmldom: parse with typed errors, serialize in libvirt's style, and
// child/attribute/text accessors. Every value goes through the DOM; nothing is concatenated.
import { DOMParser } from '@xmldom/xmldom';
import type { Document, Element, Node } from '@xmldom/xmldom';
import { VirtkitError, invalid } from '../errors.js';

export type { Document, Element, Node } from '@xmldom/xmldom';

/** Namespace of `xmlns` / `xmlns:prefix` attributes. */
export const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

const trailing = new WeakMap<Document, string>();

const ELEMENT = 1;
const TEXT = 3;
const CDATA = 4;
const PI = 7;
const COMMENT = 8;
const DOCUMENT = 9;
const DOCTYPE = 10;

/**
 * Parses an XML string. Malformed input (including undefined entities and unbound prefixes)
 * throws a VirtkitError `INVALID_ARGUMENT` naming `what` and the parser's message.
 */
export function parseXml(xml: string, what = 'XML'): Document {
  if (typeof xml !== 'string') throw invalid(`${what}: expected a string, got ${typeof xml}`);
  const parser = new DOMParser({
    onError: (level, message) => {
      if (level !== 'warning') throw new Error(message);
    },
  });
  let doc: Document;
  try {
    doc = parser.parseFromString(xml, 'text/xml');
  } catch (e) {
    const msg = e instanceof Error ? e.message.replace(/^Reporting \w+ "(.*)" caused [\s\S]*$/, '$1') : String(e);
    throw new VirtkitError('INVALID_ARGUMENT', `${what} is not well-formed XML: ${msg}`, { cause: e, details: { what } });
  }
  if (!doc.documentElement) throw invalid(`${what} has no root element`, { what });
  // xmldom drops whitespace after the last node; remember it so serialize() gives it back
  const tail = /\s*$/.exec(xml)?.[0] ?? '';
  if (tail) trailing.set(doc, tail);
  return doc;
}

/** Parses and checks the root element's name, e.g. parseRoot(xml, 'domain'). */
export function parseRoot(xml: string, rootName: string, what = `<${rootName}> XML`): Document {
  const doc = parseXml(xml, what);
  const root = doc.documentElement!;
  if (root.localName !== rootName) {
    throw invalid(`${what}: expected a <${rootName}> root element, got <${root.nodeName}>`, { what });
  }
  return doc;
}

/** Escapes text the way libvirt's virBufferEscapeString does (all five specials), plus CR/TAB in attributes. */
function esc(s: string, attr: boolean): string {
  let out = s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/'/g, '&apos;').replace(/"/g, '&quot;').replace(/\r/g, '&#13;');
  if (attr) out = out.replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
  return out;
}

/** Escapes text the way libxml2's xmlNodeDump does (quotes only in attributes). */
function escXml2(s: string, attr: boolean): string {
  let out = s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
  if (attr) out = out.replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
  return out;
}

/**
 * Serializes a document or node the way libvirt formats XML: single-quoted attributes, `<a/>`
 * for empty elements, the five XML specials escaped; inside a domain's `<metadata>`, which
 * libvirt dumps through libxml2, double-quoted attributes and libxml2's escaping. XML that
 * libvirt produced therefore comes back byte-for-byte where it was not changed (xmldom's own
 * serializer would switch every attribute to double quotes). `libxml2Style` uses the metadata
 * style throughout.
 */
export function serialize(node: Node, options: { libxml2Style?: boolean } = {}): string {
  const out: string[] = [];
  const walk = (n: Node, xml2: boolean): void => {
    const e = xml2 ? escXml2 : esc;
    switch (n.nodeType) {
      case DOCUMENT:
        for (let c: Node | null = n.firstChild; c; c = c.nextSibling) walk(c, xml2);
        break;
      case ELEMENT: {
        const el = n as Element;
        const q = xml2 ? '"' : "'";
        out.push('<', el.tagName);
        for (const a of Array.from(el.attributes)) out.push(' ', a.name, '=', q, e(a.value, true), q);
        if (!el.firstChild) {
          out.push('/>');
          break;
        }
        out.push('>');
        const inner = xml2 || (el.localName === 'metadata' && !el.namespaceURI);
        for (let c: Node | null = el.firstChild; c; c = c.nextSibling) walk(c, inner);
        out.push('</', el.tagName, '>');
        break;
      }
      case TEXT:
        out.push(e(n.nodeValue ?? '', false));
        break;
      case CDATA:
        out.push('<![CDATA[', (n.nodeValue ?? '').replace(/]]>/g, ']]]]><![CDATA[>'), ']]>');
        break;
      case COMMENT:
        out.push('<!--', n.nodeValue ?? '', '-->');
        break;
      case PI:
        out.push('<?', n.nodeName, n.nodeValue ? ' ' + n.nodeValue : '', '?>');
        break;
      case DOCTYPE: {
        const dt = n as unknown as { name: string; publicId?: string; systemId?: string; internalSubset?: string };
        out.push('<!DOCTYPE ', dt.name);
        if (dt.publicId) out.push(' PUBLIC "', dt.publicId, '"');
        if (dt.systemId) out.push(dt.publicId ? ' "' : ' SYSTEM "', dt.systemId, '"');
        if (dt.internalSubset) out.push(' [', dt.internalSubset, ']');
        out.push('>');
        break;
      }
      default:
        break;
    }
  };
  walk(node, options.libxml2Style === true);
  if (node.nodeType === DOCUMENT) out.push(trailing.get(node as Document) ?? '');
  return out.join('');
}

/** The element children of `el`, optionally only those with local name `name`. */
export function children(el: Element, name?: string): Element[] {
  const res: Element[] = [];
  for (let c: Node | null = el.firstChild; c; c = c.nextSibling) {
    if (c.nodeType === ELEMENT && (name === undefined || (c as Element).localName === name)) res.push(c as Element);
  }
  return res;
}

/** The first element child named `name` in no namespace (libvirt's own elements), or undefined. */
export function child(el: Element, name: string): Element | undefined {
  for (let c = el.firstChild; c; c = c.nextSibling) {
    if (c.nodeType === ELEMENT && (c as Element).localName === name && !(c as Element).namespaceURI) return c as Element;
  }
  return undefined;
}

/** Follows a path of child names, e.g. childPath(root, 'os', 'type'). */
export function childPath(el: Element, ...names: string[]): Element | undefined {
  let cur: Element | undefined = el;
  for (const n of names) cur = cur && child(cur, n);
  return cur;
}

/** The indentation (whitespace text) before `el`, or '' when there is none. */
function indentOf(el: Element): string {
  const prev = el.previousSibling;
  return prev && prev.nodeType === TEXT && /^\s*$/.test(prev.nodeValue ?? '') ? (prev.nodeValue ?? '') : '';
}

/**
 * Appends `newEl` to `parent` (or before `before`), keeping libvirt-like 2-space indentation when
 * the parent is already indented, so a changed document still reads well.
 */
export function insertChild(parent: Element, newEl: Element, before?: Node | null): Element {
  const doc = parent.ownerDocument!;
  const kids = children(parent);
  const indented = kids.length > 0 && indentOf(kids[0]!).includes('\n');
  if (!indented) {
    const parentIndent = indentOf(parent);
    if (kids.length === 0 && parentIndent.includes('\n') && !parent.firstChild) {
      parent.appendChild(doc.createTextNode(parentIndent + '  '));
      parent.appendChild(newEl);
      parent.appendChild(doc.createTextNode(parentIndent));
      return newEl;
    }
    parent.insertBefore(newEl, before ?? null);
    return newEl;
  }
  const ind = indentOf(kids[0]!);
  if (before) {
    parent.insertBefore(newEl, before);
    parent.insertBefore(doc.createTextNode(ind), before);
  } else {
    const last = kids[kids.length - 1]!;
    const ref = last.nextSibling;
    parent.insertBefore(doc.createTextNode(ind), ref);
    parent.insertBefore(newEl, ref);
  }
  return newEl;
}

/** Creates an element with optional attributes (absent values skipped) and text. */
export function createElement(doc: Document, name: string, attrs: Record<string, string | number | undefined> = {}, text?: string): Element {
  const el = doc.createElement(name);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) el.setAttribute(k, String(v));
  if (text !== undefined) el.appendChild(doc.createTextNode(text));
  return el;
}

/** Returns child `name` of `parent`, creating (and appending, or inserting before `before`) it when missing. */
export function ensureChild(parent: Element, name: string, before?: Node | null): Element {
  return child(parent, name) ?? insertChild(parent, parent.ownerDocument!.createElement(name), before);
}

/** Removes `el` and the whitespace-only text node before it (its indentation). */
export function removeNode(el: Node): void {
  const parent = el.parentNode;
  if (!parent) return;
  const prev = el.previousSibling;
  if (prev && prev.nodeType === TEXT && /^\s*$/.test(prev.nodeValue ?? '')) parent.removeChild(prev);
  parent.removeChild(el);
  // a parent left with only whitespace becomes empty (<seclabel .../>), as libvirt writes it
  const rest = Array.from(parent.childNodes);
  if (rest.length > 0 && rest.every((n) => n.nodeType === TEXT && /^\s*$/.test(n.nodeValue ?? ''))) {
    for (const n of rest) parent.removeChild(n);
  }
}

/** Removes every child element named `name`; returns how many were removed. */
export function removeChildren(parent: Element, name: string): number {
  const list = children(parent, name).filter((c) => !c.namespaceURI);
  for (const c of list) removeNode(c);
  return list.length;
}

/** An attribute's value, or undefined when absent. */
export function attr(el: Element | undefined, name: string): string | undefined {
  return el && el.hasAttribute(name) ? el.getAttribute(name) ?? undefined : undefined;
}

/** Sets an attribute, or removes it when `value` is undefined. */
export function setAttr(el: Element, name: string, value: string | number | boolean | undefined): void {
  if (value === undefined) el.removeAttribute(name);
  else el.setAttribute(name, String(value));
}

/** The text content of `el` (trimmed), or undefined when `el` is absent. */
export function text(el: Element | undefined): string | undefined {
  return el ? (el.textContent ?? '').trim() : undefined;
}

/** Replaces all children of `el` with one text node holding `value`. */
export function setText(el: Element, value: string): void {
  while (el.firstChild) el.removeChild(el.firstChild);
  el.appendChild(el.ownerDocument!.createTextNode(value));
}

/** Text of child `name`, or undefined. */
export function childText(el: Element, name: string): string | undefined {
  return text(child(el, name));
}

/** Sets the text of child `name` (created when missing), or removes the child when `value` is undefined. */
export function setChildText(el: Element, name: string, value: string | undefined, before?: Node | null): void {
  if (value === undefined) {
    removeChildren(el, name);
    return;
  }
  setText(ensureChild(el, name, before), value);
}

/** Parses libvirt's 'yes'/'no' (and 'on'/'off'); undefined when absent. */
export function yesNo(v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  return v === 'yes' || v === 'on';
}

/**
 * Re-indents a freshly built document the way libvirt formats XML (two spaces per level).
 * Elements holding text keep it as is. Only for documents virtkit builds, never parsed input.
 */
export function prettyPrint(el: Element, depth = 0): void {
  const doc = el.ownerDocument!;
  const kids = Array.from(el.childNodes);
  if (!kids.some((k) => k.nodeType === ELEMENT)) return;
  for (const k of kids) if (k.nodeType === TEXT && /^\s*$/.test(k.nodeValue ?? '')) el.removeChild(k);
  const pad = '\n' + '  '.repeat(depth);
  for (const k of children(el)) {
    el.insertBefore(doc.createTextNode(pad + '  '), k);
    prettyPrint(k, depth + 1);
  }
  el.appendChild(doc.createTextNode(pad));
}
