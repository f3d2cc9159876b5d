// Network filter XML: a minimal typed spec -> <filter> builder (rules and references to other
// filters), a reader, and the <filterbinding> of a filter to one guest port.
import type { Element } from './doc.js';
import { attr, child, childText, children, createElement, insertChild, parseRoot, prettyPrint, serialize } from './doc.js';
import { invalid } from '../errors.js';
import { argEnum, argInt, argOptions, argString } from '../args.js';
import { validateMac, validateName, validateUuid } from '../validate.js';

/** What a rule does with matching traffic. */
export type NWFilterAction = 'drop' | 'reject' | 'accept' | 'return' | 'continue';
/** The traffic a rule looks at: into the guest, out of it, or both. */
export type NWFilterDirection = 'in' | 'out' | 'inout';
const ACTIONS: readonly NWFilterAction[] = ['drop', 'reject', 'accept', 'return', 'continue'];
const DIRECTIONS: readonly NWFilterDirection[] = ['in', 'out', 'inout'];
/** The protocol elements a rule can hold (libvirt's formatnwfilter). */
export const NWFILTER_PROTOCOLS = [
  'mac', 'vlan', 'stp', 'arp', 'rarp', 'ip', 'ipv6', 'tcp', 'udp', 'sctp', 'icmp', 'igmp', 'esp', 'ah', 'udplite', 'all',
  'tcp-ipv6', 'udp-ipv6', 'sctp-ipv6', 'icmpv6', 'esp-ipv6', 'ah-ipv6', 'udplite-ipv6', 'all-ipv6',
] as const;
/** A protocol element name of a rule. */
export type NWFilterProtocol = (typeof NWFILTER_PROTOCOLS)[number];

/** One rule: what to do with traffic in a direction that matches the protocol's attributes. */
export interface NWFilterRule {
  /** What to do with matching traffic. */
  action: NWFilterAction;
  /** Which traffic the rule sees. */
  direction: NWFilterDirection;
  /** -1000..1000, lower first (libvirt's default 500). */
  priority?: number;
  /** The protocol element to match on. */
  protocol: NWFilterProtocol;
  /** The protocol element's attributes, e.g. `{ dstportstart: 22 }` or `{ srcipaddr: '$IP' }`. */
  match?: Record<string, string | number>;
}

/** A reference to another filter, with values for its variables. */
export interface NWFilterRef {
  /** The referenced filter's name. */
  filter: string;
  /** Variable values; an array gives the variable several values (e.g. a list of IPs). */
  parameters?: Record<string, string | string[]>;
}

/** A network filter to define. */
export interface NWFilterSpec {
  /** The filter's name. */
  name: string;
  /** Its UUID; needed to redefine an existing filter. */
  uuid?: string;
  /** 'root' (default), 'mac', 'vlan', 'stp', 'arp', 'rarp', 'ipv4', 'ipv6', or one of those with a '-suffix'. */
  chain?: string;
  /** The chain's priority, -1000..1000. */
  priority?: number;
  /** Other filters this one includes, by name or with parameters. */
  filterrefs?: (string | NWFilterRef)[];
  /** Its own rules, after the references. */
  rules?: NWFilterRule[];
}

/** A filter applied to one guest port (virNWFilterBindingCreateXML). */
export interface NWFilterBindingSpec {
  /** The domain owning the port. */
  owner: {
    /** The domain's name. */
    name: string;
    /** The domain's UUID. */
    uuid: string;
  };
  /** The host-side device of the port, e.g. 'vnet0'. */
  portdev: string;
  /** The guest NIC's MAC. */
  mac: string;
  /** The filter to apply. */
  filter: string;
  /** Values of the filter's variables, e.g. `{ IP: '10.0.0.5' }` (an array: several values). */
  parameters?: Record<string, string | string[]>;
}

const CHAIN = /^(root|mac|vlan|stp|arp|rarp|ipv4|ipv6)(-[A-Za-z0-9_]{1,40})?$/;
const ATTR = /^[A-Za-z][A-Za-z0-9]{0,31}$/;
const VAR = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const PORTDEV = /^[A-Za-z0-9_.-]{1,15}$/;
const PRIORITY = { min: -1000, max: 1000 };

function noUnknown(o: object, known: string[], at: string): void {
  for (const k of Object.keys(o)) if (!known.includes(k)) throw invalid(`${at}.${k} is not a known field (known: ${known.join(', ')})`, { argument: `${at}.${k}` });
}
function object(v: unknown, at: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid(`${at} must be an object`, { argument: at });
  return v as Record<string, unknown>;
}
function params(v: unknown, at: string): Record<string, string | string[]> {
  const o = object(argOptions(at, v as object), at);
  const out: Record<string, string | string[]> = {};
  for (const [k, val] of Object.entries(o)) {
    if (!VAR.test(k)) throw invalid(`${at}: ${JSON.stringify(k)} is not a filter variable name (letters, digits, '_')`, { argument: `${at}.${k}` });
    out[k] = Array.isArray(val) ? val.map((x, i) => argString(`${at}.${k}[${i}]`, x, { maxBytes: 1024 })) : argString(`${at}.${k}`, val, { maxBytes: 1024 });
  }
  return out;
}
// <parameter name= value=/> elements, a repeated name gathered into an array
function readParams(el: Element | undefined): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const p of el ? children(el, 'parameter') : []) {
    const k = attr(p, 'name') ?? '';
    const v = attr(p, 'value') ?? '';
    const had = out[k];
    out[k] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v];
  }
  return out;
}

function checkRule(r: unknown, at: string): NWFilterRule {
  const o = object(r, at);
  noUnknown(o, ['action', 'direction', 'priority', 'protocol', 'match'], at);
  const rule: NWFilterRule = {
    action: argEnum(`${at}.action`, o.action, ACTIONS),
    direction: argEnum(`${at}.direction`, o.direction, DIRECTIONS),
    protocol: argEnum(`${at}.protocol`, o.protocol, NWFILTER_PROTOCOLS),
  };
  if (o.priority !== undefined) rule.priority = argInt(`${at}.priority`, o.priority, PRIORITY);
  if (o.match !== undefined) {
    const m = object(o.match, `${at}.match`);
    rule.match = {};
    for (const [k, v] of Object.entries(m)) {
      if (!ATTR.test(k)) throw invalid(`${at}.match: ${JSON.stringify(k)} is not an attribute name`, { argument: `${at}.match.${k}` });
      rule.match[k] = typeof v === 'number' ? argInt(`${at}.match.${k}`, v) : argString(`${at}.match.${k}`, v, { nonEmpty: true, maxBytes: 1024 });
    }
  }
  return rule;
}

/** Checks a filter spec (as `nwfilterXml` does) and returns it normalized. INVALID_ARGUMENT naming the field otherwise. */
export function checkNWFilterSpec(spec: unknown, argument = 'spec'): NWFilterSpec {
  const s = object(spec, argument);
  noUnknown(s, ['name', 'uuid', 'chain', 'priority', 'filterrefs', 'rules'], argument);
  const out: NWFilterSpec = { name: validateName(s.name, 'filter name', `${argument}.name`) };
  if (s.uuid !== undefined) out.uuid = validateUuid(s.uuid, `${argument}.uuid`);
  if (s.chain !== undefined) {
    if (typeof s.chain !== 'string' || !CHAIN.test(s.chain)) throw invalid(`${argument}.chain must be root, mac, vlan, stp, arp, rarp, ipv4 or ipv6, optionally with a '-suffix', got ${JSON.stringify(s.chain)}`, { argument: `${argument}.chain` });
    out.chain = s.chain;
  }
  if (s.priority !== undefined) out.priority = argInt(`${argument}.priority`, s.priority, PRIORITY);
  if (s.filterrefs !== undefined) {
    if (!Array.isArray(s.filterrefs)) throw invalid(`${argument}.filterrefs must be an array`, { argument: `${argument}.filterrefs` });
    out.filterrefs = s.filterrefs.map((f: unknown, i) => {
      const at = `${argument}.filterrefs[${i}]`;
      if (typeof f === 'string') return { filter: validateName(f, 'filter name', at) };
      const o = object(f, at);
      noUnknown(o, ['filter', 'parameters'], at);
      const ref: NWFilterRef = { filter: validateName(o.filter, 'filter name', `${at}.filter`) };
      if (o.parameters !== undefined) ref.parameters = params(o.parameters, `${at}.parameters`);
      return ref;
    });
  }
  if (s.rules !== undefined) {
    if (!Array.isArray(s.rules)) throw invalid(`${argument}.rules must be an array`, { argument: `${argument}.rules` });
    out.rules = s.rules.map((r: unknown, i) => checkRule(r, `${argument}.rules[${i}]`));
  }
  return out;
}

function filterref(parent: Element, ref: NWFilterRef): void {
  const doc = parent.ownerDocument!;
  const el = insertChild(parent, createElement(doc, 'filterref', { filter: ref.filter }));
  for (const [name, value] of Object.entries(ref.parameters ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) insertChild(el, createElement(doc, 'parameter', { name, value: v }));
  }
}

/** Builds `<filter>` XML for virNWFilterDefineXML from a typed spec. INVALID_ARGUMENT (naming the field) on a bad spec. */
export function nwfilterXml(spec: NWFilterSpec): string {
  const s = checkNWFilterSpec(spec);
  const doc = parseRoot('<filter/>', 'filter');
  const root = doc.documentElement!;
  root.setAttribute('name', s.name);
  root.setAttribute('chain', s.chain ?? 'root');
  if (s.priority !== undefined) root.setAttribute('priority', String(s.priority));
  if (s.uuid) insertChild(root, createElement(doc, 'uuid', {}, s.uuid));
  for (const f of s.filterrefs ?? []) filterref(root, typeof f === 'string' ? { filter: f } : f);
  for (const r of s.rules ?? []) {
    const el = insertChild(root, createElement(doc, 'rule', { action: r.action, direction: r.direction, priority: r.priority }));
    insertChild(el, createElement(doc, r.protocol, r.match ?? {}));
  }
  prettyPrint(root);
  return serialize(doc) + '\n';
}

/** A parsed `<filter>` document. */
export class NWFilterXml {
  readonly #root: Element;
  /** Parses filter XML; INVALID_ARGUMENT when malformed or not a `<filter>`. */
  constructor(xml: string) {
    this.#root = parseRoot(xml, 'filter', 'nwfilter XML').documentElement!;
  }
  /** The filter's name. */
  get name(): string | undefined {
    return attr(this.#root, 'name');
  }
  /** Its UUID. */
  get uuid(): string | undefined {
    return childText(this.#root, 'uuid');
  }
  /** The chain it applies to ('root', 'ipv4', ...). */
  get chain(): string | undefined {
    return attr(this.#root, 'chain');
  }
  /** The chain's priority, when set. */
  get priority(): number | undefined {
    const p = attr(this.#root, 'priority');
    return p === undefined ? undefined : Number(p);
  }
  /** The filters it references, with their parameters. */
  get filterrefs(): NWFilterRef[] {
    return children(this.#root, 'filterref').map((f) => {
      const parameters = readParams(f);
      return { filter: attr(f, 'filter') ?? '', ...(Object.keys(parameters).length ? { parameters } : {}) };
    });
  }
  /** Its rules; a protocol virtkit does not know is given as written. */
  get rules(): NWFilterRule[] {
    return children(this.#root, 'rule').map((r) => {
      const p = children(r)[0];
      const match: Record<string, string> = {};
      for (const a of p ? Array.from(p.attributes) : []) match[a.name] = a.value;
      const prio = attr(r, 'priority');
      return {
        action: (attr(r, 'action') ?? '') as NWFilterAction,
        direction: (attr(r, 'direction') ?? '') as NWFilterDirection,
        ...(prio !== undefined ? { priority: Number(prio) } : {}),
        protocol: (p?.localName ?? '') as NWFilterProtocol,
        ...(Object.keys(match).length ? { match } : {}),
      };
    });
  }
}

/** Checks a binding spec and builds its `<filterbinding>` XML. INVALID_ARGUMENT naming the field otherwise. */
export function nwfilterBindingXml(spec: NWFilterBindingSpec): string {
  const s = object(spec, 'spec');
  noUnknown(s, ['owner', 'portdev', 'mac', 'filter', 'parameters'], 'spec');
  const owner = object(s.owner, 'spec.owner');
  noUnknown(owner, ['name', 'uuid'], 'spec.owner');
  const name = validateName(owner.name, 'owner name', 'spec.owner.name');
  const uuid = validateUuid(owner.uuid, 'spec.owner.uuid');
  if (typeof s.portdev !== 'string' || !PORTDEV.test(s.portdev)) throw invalid(`spec.portdev must be a device name of 1-15 letters, digits, '.', '_' or '-', got ${JSON.stringify(s.portdev)}`, { argument: 'spec.portdev' });
  const mac = validateMac(s.mac, 'spec.mac');
  const filter = validateName(s.filter, 'filter name', 'spec.filter');
  const parameters = s.parameters === undefined ? undefined : params(s.parameters, 'spec.parameters');
  const doc = parseRoot('<filterbinding/>', 'filterbinding');
  const root = doc.documentElement!;
  const o = insertChild(root, createElement(doc, 'owner'));
  insertChild(o, createElement(doc, 'name', {}, name));
  insertChild(o, createElement(doc, 'uuid', {}, uuid));
  insertChild(root, createElement(doc, 'portdev', { name: s.portdev }));
  insertChild(root, createElement(doc, 'mac', { address: mac }));
  filterref(root, { filter, ...(parameters ? { parameters } : {}) });
  prettyPrint(root);
  return serialize(doc) + '\n';
}

/** A parsed `<filterbinding>` document as a spec. */
export function parseNWFilterBinding(xml: string): NWFilterBindingSpec {
  const root = parseRoot(xml, 'filterbinding', 'nwfilter binding XML').documentElement!;
  const owner = child(root, 'owner');
  const ref = child(root, 'filterref');
  const parameters = readParams(ref);
  return {
    owner: { name: (owner && childText(owner, 'name')) ?? '', uuid: (owner && childText(owner, 'uuid')) ?? '' },
    portdev: attr(child(root, 'portdev'), 'name') ?? '',
    mac: attr(child(root, 'mac'), 'address')?.toLowerCase() ?? '',
    filter: attr(ref, 'filter') ?? '',
    ...(Object.keys(parameters).length ? { parameters } : {}),
  };
}
