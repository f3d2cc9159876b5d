// Small helpers over @xmldom/xmldom: parse with typed errors, serialize in libvirt's style, and
// child/attribute/text accessors. Every value goes through the DOM; nothing is concatenated.
import { DOMParser } from '@xmldom/xmldom';
import './xmldom-regex-cache.js';
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

/** XML 1.0 §2.2 Char: anything else may not appear in a document, raw or as a character reference. */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
/** A reference in character data or an attribute value (XML 1.0 §4.1), matched where an '&' is. */
const REFERENCE = /&(?:#([0-9]+)|#x([0-9A-Fa-f]+)|([A-Za-z_:][-A-Za-z0-9._:]*));/y;
const PREDEFINED = new Set(['lt', 'gt', 'amp', 'apos', 'quot']);

function isXmlChar(code: number): boolean {
  return code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
}

/** A well-formedness error at a place in the (line-end normalized) source. */
class XmlSyntaxError extends Error {
  constructor(message: string, readonly line?: number, readonly column?: number) {
    super(message);
  }
}

/** Offsets of the line starts of `src`, to turn the parser's line/column into an offset and back. */
class Lines {
  private starts: number[] = [0];
  constructor(private readonly src: string) {
    for (let i = src.indexOf('\n'); i >= 0; i = src.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }
  offset(line: number, column: number): number {
    return (this.starts[line - 1] ?? this.src.length) + column - 1;
  }
  at(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.starts[lo]! + 1 };
  }
}

/**
 * What xmldom lets through but XML 1.0 forbids, in one run of character data (`text`) or one
 * attribute value, located by the parser: every '&' must start a reference to a predefined entity
 * or to a legal character, and character data must not contain ']]>'.
 */
function failAt(lines: Lines, at: number, msg: string): never {
  const { line, column } = lines.at(at);
  throw new XmlSyntaxError(msg, line, column);
}

function checkRun(src: string, lines: Lines, start: number, end: number, text: boolean): void {
  if (text) {
    const k = src.indexOf(']]>', start);
    if (k >= 0 && k < end) failAt(lines, k, "']]>' is not allowed in character data");
  }
  for (let i = src.indexOf('&', start); i >= 0 && i < end; i = src.indexOf('&', i + 1)) {
    REFERENCE.lastIndex = i;
    const m = REFERENCE.exec(src);
    if (!m || REFERENCE.lastIndex > end) failAt(lines, i, "'&' must start a reference such as &amp;");
    const [ref, dec, hex, name] = m!;
    if (name !== undefined) {
      if (!PREDEFINED.has(name)) failAt(lines, i, `undefined entity ${ref}`);
    } else {
      const code = dec !== undefined ? Number(dec) : parseInt(hex!, 16);
      if (!isXmlChar(code)) failAt(lines, i, `character reference ${ref} is not a legal XML character`);
    }
  }
}

/** Runs checkRun over every text node and attribute value under `node`, by the parser's positions. */
function posOf(lines: Lines, n: { lineNumber?: number; columnNumber?: number }): number | undefined {
  return n.lineNumber !== undefined && n.columnNumber !== undefined ? lines.offset(n.lineNumber, n.columnNumber) : undefined;
}

function checkRuns(node: Node, src: string, lines: Lines): void {
  for (let c: Node | null = node.firstChild; c; c = c.nextSibling) {
    if (c.nodeType === TEXT) {
      const at = posOf(lines, c);
      if (at === undefined) continue;
      const end = src.indexOf('<', at);
      checkRun(src, lines, at, end < 0 ? src.length : end, true);
    } else if (c.nodeType === ELEMENT) {
      const attrs = Array.from((c as Element).attributes);
      const at = posOf(lines, c);
      // xmldom keeps one of two attributes with the same namespace and local name (p:x, q:x with
      // p and q bound to one URI) and drops the other; count what the start tag really has.
      if (at !== undefined && src[at] === '<') {
        let n = 0;
        let q: string | undefined;
        for (let i = at + 1; i < src.length; i++) {
          const ch = src[i];
          if (q) {
            if (ch === q) q = undefined;
          } else if (ch === "'" || ch === '"') q = ch;
          else if (ch === '=') n++;
          else if (ch === '>') break;
        }
        if (n !== attrs.length) {
          const { line, column } = lines.at(at);
          throw new XmlSyntaxError(`<${(c as Element).tagName}> has two attributes with the same namespace and local name`, line, column);
        }
      }
      for (const a of attrs) {
        const at = posOf(lines, a);
        const q = at === undefined ? undefined : src[at];
        if (q !== "'" && q !== '"') continue;
        const end = src.indexOf(q, at! + 1);
        checkRun(src, lines, at! + 1, end < 0 ? src.length : end, false);
      }
      checkRuns(c, src, lines);
    }
  }
}

/**
 * Parses an XML string strictly: anything an XML 1.0 parser refuses (unquoted or valueless
 * attributes, a bare '&', ']]>' in text, characters outside XML's Char production raw or as
 * references, undefined entities, unbound prefixes, ...) throws a VirtkitError `INVALID_ARGUMENT`
 * naming `what`, with the parser's message and position (`details.line`, `details.column`).
 * A leading byte order mark is accepted; a DOCTYPE is dropped (entities are never expanded, so a
 * document that uses one is refused).
 */
export function parseXml(xml: string, what = 'XML'): Document {
  if (typeof xml !== 'string') throw invalid(`${what}: expected a string, got ${typeof xml}`, { argument: what, what });
  // XML 1.0 §2.11 line ends (xmldom's default would also turn U+0085/U+2028 into LF, as XML 1.1 does).
  const src = (xml.charCodeAt(0) === 0xfeff ? xml.slice(1) : xml).replace(/\r\n?/g, '\n');
  return finish(quickParse(src) ?? strictParse(src, what), xml, what);
}

/** Attribute names with a prefix other than xmlns (what checkRuns' duplicate count is for); text may match too, which only costs the strict path. */
const PREFIXED_ATTR = /\s(?!xmlns:)[^\s=<>/'":]+:[^\s=<>'"]*\s*=/;

/**
 * The common case, about twice as fast: a document with no '&', no ']]>' and no prefixed
 * attributes needs none of checkRuns' position-based checks, so xmldom runs without its locator
 * (a third of its time). Anything it or the Char check objects to returns undefined, and the
 * strict path parses again to report it with its position.
 */
function quickParse(src: string): Document | undefined {
  if (src.includes('&') || src.includes(']]>') || PREFIXED_ATTR.test(src) || NOT_XML_CHAR.test(src)) return undefined;
  let failed = false;
  const parser = new DOMParser({
    locator: false,
    normalizeLineEndings: identity,
    onError: (level, message) => {
      if (level === 'warning' && message.startsWith('Unicode replacement character')) return;
      failed = true;
      throw new Error(message);
    },
  });
  try {
    const doc = parser.parseFromString(src, 'text/xml');
    return failed ? undefined : doc;
  } catch {
    return undefined;
  }
}

const identity = (s: string): string => s;

/** Parses with positions and every check, throwing the first problem as INVALID_ARGUMENT with its line and column. */
function strictParse(src: string, what: string): Document {
  const lines = new Lines(src);
  let first: XmlSyntaxError | undefined;
  const parser = new DOMParser({
    normalizeLineEndings: (s: string) => s,
    onError: (level, message, handler) => {
      // U+FFFD is a legal character; xmldom only guesses at an encoding problem.
      if (level === 'warning' && message.startsWith('Unicode replacement character')) return;
      const loc = (handler as { locator?: { lineNumber?: number; columnNumber?: number } } | undefined)?.locator;
      first ??= new XmlSyntaxError(message, loc?.lineNumber, loc?.columnNumber);
      throw first;
    },
  });
  let doc: Document;
  try {
    const bad = NOT_XML_CHAR.exec(src);
    if (bad) {
      const { line, column } = lines.at(bad.index);
      const cp = bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
      throw new XmlSyntaxError(`character U+${cp} is not allowed in XML`, line, column);
    }
    doc = parser.parseFromString(src, 'text/xml');
    checkRuns(doc, src, lines);
  } catch (e) {
    const err = e instanceof XmlSyntaxError ? e : first;
    const loc = e as { locator?: { lineNumber?: number; columnNumber?: number } };
    const line = err ? err.line : loc?.locator?.lineNumber;
    const column = err ? err.column : loc?.locator?.columnNumber;
    const msg = err ? err.message : e instanceof Error ? e.message : String(e);
    const where = line !== undefined ? ` (line ${line}, column ${column ?? '?'})` : '';
    throw new VirtkitError('INVALID_ARGUMENT', `${what} is not well-formed XML: ${msg}${where}`, {
      cause: e,
      details: { argument: what, what, ...(line !== undefined ? { line, column } : {}) },
    });
  }
  return doc;
}

/** What both paths share: a root is required, a DOCTYPE dropped, trailing whitespace kept for serialize(). */
function finish(doc: Document, xml: string, what: string): Document {
  if (!doc.documentElement) throw invalid(`${what} has no root element`, { argument: what, what });
  // Nothing a DOCTYPE declares is used (entities are refused above), so it is not carried along.
  for (let c: Node | null = doc.firstChild; c; c = c.nextSibling) {
    if (c.nodeType !== DOCTYPE) continue;
    const ws = c.nextSibling;
    if (ws && ws.nodeType === TEXT && /^\s*$/.test(ws.nodeValue ?? '')) doc.removeChild(ws);
    doc.removeChild(c);
    break;
  }
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
const SPECIAL = /[&<>'"\r\n\t]/;

function esc(s: string, attr: boolean): string {
  if (!SPECIAL.test(s)) return s;
  let out = s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/'/g, '&apos;').replace(/"/g, '&quot;').replace(/\r/g, '&#13;');
  if (attr) out = out.replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
  return out;
}

/** Escapes text the way libxml2's xmlNodeDump does (quotes only in attributes). */
function escXml2(s: string, attr: boolean): string {
  if (!SPECIAL.test(s)) return s;
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
