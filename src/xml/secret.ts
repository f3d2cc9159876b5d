// Secret XML: a typed spec -> <secret> builder (virSecretDefineXML) and a reader. The value of a
// secret is never part of its XML (it is set with virSecretSetValue), so nothing here sees it.
import type { Element } from './doc.js';
import { attr, child, childText, createElement, insertChild, parseRoot, prettyPrint, serialize, yesNo } from './doc.js';
import { invalid } from '../errors.js';
import { argEnum, argOptBool, argOptString, argString } from '../args.js';
import { validateAbsolutePath, validateUuid } from '../validate.js';

/** What a secret is for (libvirt's usage types); 'none': a secret not tied to any object. */
export type SecretUsageType = 'none' | 'volume' | 'ceph' | 'iscsi' | 'tls' | 'vtpm';
/** Every {@link SecretUsageType}. */
export const SECRET_USAGE_TYPES: readonly SecretUsageType[] = ['none', 'volume', 'ceph', 'iscsi', 'tls', 'vtpm'];

/** The element that holds the usage ID inside `<usage type=…>`, by type. */
const USAGE_ELEMENT: Record<Exclude<SecretUsageType, 'none'>, string> = {
  volume: 'volume',
  ceph: 'name',
  iscsi: 'target',
  tls: 'name',
  vtpm: 'name',
};

/**
 * A secret to define. `type` and `usage` are also what {@link Connection.secret} looks it up by:
 * `usage` is the volume's path (type 'volume'), the Ceph/TLS/vTPM usage name ('ceph', 'tls',
 * 'vtpm'), or the iSCSI target ('iscsi'). libvirt refuses two secrets with one (type, usage).
 */
export interface SecretSpec {
  /** Default 'none' (then no `usage`). */
  type?: SecretUsageType;
  /** The usage ID; required unless `type` is 'none'. */
  usage?: string;
  /** A UUID to give the secret (default: libvirt makes one). An existing secret's UUID redefines it. */
  uuid?: string;
  /** Free text shown by `virsh secret-dumpxml`. */
  description?: string;
  /** Kept in memory only, never written to disk by the daemon (default false). */
  ephemeral?: boolean;
  /** The value cannot be read back through the API (default false). */
  private?: boolean;
}

const SPEC_KEYS = ['type', 'usage', 'uuid', 'description', 'ephemeral', 'private'];

/** A usage ID: non-empty, no NUL, at most 1 KiB; a volume's is an absolute path. */
export function checkSecretUsage(type: SecretUsageType, usage: unknown, argument = 'usage'): string {
  if (type === 'volume') return validateAbsolutePath(usage, argument, { argument });
  return argString(argument, usage, { nonBlank: true, maxBytes: 1024 });
}

/** Checks a secret spec (as `secretXml` does) and returns it normalized. INVALID_ARGUMENT naming the field otherwise. */
export function checkSecretSpec(spec: unknown, argument = 'spec'): SecretSpec {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw invalid(`${argument} must be an object`, { argument });
  const s = spec as SecretSpec;
  for (const k of Object.keys(s)) if (!SPEC_KEYS.includes(k)) throw invalid(`${argument}.${k} is not a known field (known: ${SPEC_KEYS.join(', ')})`, { argument: `${argument}.${k}` });
  const type = s.type === undefined ? 'none' : argEnum(`${argument}.type`, s.type, SECRET_USAGE_TYPES);
  const out: SecretSpec = { type };
  if (type === 'none') {
    if (s.usage !== undefined) throw invalid(`${argument}.usage: a secret of type 'none' has no usage; set ${argument}.type`, { argument: `${argument}.usage` });
  } else {
    if (s.usage === undefined) throw invalid(`${argument}.usage is required for a secret of type '${type}'`, { argument: `${argument}.usage` });
    out.usage = checkSecretUsage(type, s.usage, `${argument}.usage`);
  }
  if (s.uuid !== undefined) out.uuid = validateUuid(s.uuid, `${argument}.uuid`);
  const description = argOptString(`${argument}.description`, s.description, { maxBytes: 4096 });
  if (description !== undefined) out.description = description;
  const ephemeral = argOptBool(`${argument}.ephemeral`, s.ephemeral);
  if (ephemeral !== undefined) out.ephemeral = ephemeral;
  const priv = argOptBool(`${argument}.private`, s.private);
  if (priv !== undefined) out.private = priv;
  return out;
}

/**
 * Builds `<secret>` XML for virSecretDefineXML from a typed spec. Throws INVALID_ARGUMENT
 * (naming the field) on a bad spec.
 */
export function secretXml(spec: SecretSpec): string {
  const s = checkSecretSpec(spec);
  const doc = parseRoot('<secret/>', 'secret');
  const root = doc.documentElement!;
  root.setAttribute('ephemeral', s.ephemeral ? 'yes' : 'no');
  root.setAttribute('private', s.private ? 'yes' : 'no');
  if (s.uuid) insertChild(root, createElement(doc, 'uuid', {}, s.uuid));
  if (s.description !== undefined) insertChild(root, createElement(doc, 'description', {}, s.description));
  if (s.type && s.type !== 'none') {
    const u = insertChild(root, createElement(doc, 'usage', { type: s.type }));
    insertChild(u, createElement(doc, USAGE_ELEMENT[s.type], {}, s.usage));
  }
  prettyPrint(root);
  return serialize(doc) + '\n';
}

/** A parsed `<secret>` document. */
export class SecretXml {
  readonly #root: Element;
  /** Parses secret XML; INVALID_ARGUMENT when malformed or not a `<secret>`. */
  constructor(xml: string) {
    this.#root = parseRoot(xml, 'secret', 'secret XML').documentElement!;
  }
  /** `<uuid>`, when present. */
  get uuid(): string | undefined {
    return childText(this.#root, 'uuid')?.trim();
  }
  /** `<description>`, when present. */
  get description(): string | undefined {
    return childText(this.#root, 'description');
  }
  /** `ephemeral='yes'`: kept in the daemon's memory only. */
  get ephemeral(): boolean {
    return yesNo(attr(this.#root, 'ephemeral')) ?? false;
  }
  /** `private='yes'`: the value cannot be read back. */
  get private(): boolean {
    return yesNo(attr(this.#root, 'private')) ?? false;
  }
  /** The usage type; 'none' without `<usage>`. A type virtkit does not know is given as written. */
  get type(): SecretUsageType | string {
    return attr(child(this.#root, 'usage'), 'type') ?? 'none';
  }
  /** The usage ID (volume path, usage name, iSCSI target); undefined for type 'none'. */
  get usage(): string | undefined {
    const u = child(this.#root, 'usage');
    const el = USAGE_ELEMENT[this.type as Exclude<SecretUsageType, 'none'>];
    return u && el ? childText(u, el)?.trim() : undefined;
  }
  /** The document as a spec (what `secretXml` would rebuild it from). */
  toSpec(): SecretSpec {
    const t = this.type;
    return {
      type: (SECRET_USAGE_TYPES as readonly string[]).includes(t) ? (t as SecretUsageType) : 'none',
      ...(this.usage !== undefined ? { usage: this.usage } : {}),
      ...(this.uuid !== undefined ? { uuid: this.uuid } : {}),
      ...(this.description !== undefined ? { description: this.description } : {}),
      ephemeral: this.ephemeral,
      private: this.private,
    };
  }
}
