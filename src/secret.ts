// Secret: a libvirt secret (a passphrase or key the daemon hands to QEMU for LUKS volumes, Ceph,
// iSCSI, TLS or a vTPM). Its value is never put in an error, a log line or util.inspect.
import { inspect } from 'node:util';
import type { NativeSecret } from './native.js';
import type { Core } from './core.js';
import { argBytes, argEnum, argOptBool, argOptions, argString } from './args.js';
import { invalid, isVirtError } from './errors.js';
import { normalizeUuid } from './validate.js';
import { virConnectListAllSecretsFlags as L, virSecretUsageType } from './generated/libvirt-enums.js';
import { SECRET_USAGE_TYPES, SecretXml, checkSecretUsage, secretXml, type SecretSpec, type SecretUsageType } from './xml/secret.js';

/** libvirt's usage type numbers, by virtkit's name. */
export const SECRET_USAGE_NUMBERS: Record<SecretUsageType, number> = {
  none: virSecretUsageType.VIR_SECRET_USAGE_TYPE_NONE,
  volume: virSecretUsageType.VIR_SECRET_USAGE_TYPE_VOLUME,
  ceph: virSecretUsageType.VIR_SECRET_USAGE_TYPE_CEPH,
  iscsi: virSecretUsageType.VIR_SECRET_USAGE_TYPE_ISCSI,
  tls: virSecretUsageType.VIR_SECRET_USAGE_TYPE_TLS,
  vtpm: virSecretUsageType.VIR_SECRET_USAGE_TYPE_VTPM,
};

/** Filter of {@link Connection.secrets}; each pair narrows the list, none set lists every secret. */
export interface SecretFilter {
  /** true: only ephemeral secrets; false: only persistent ones. */
  ephemeral?: boolean;
  /** true: only private secrets (value not readable); false: only readable ones. */
  private?: boolean;
}

/**
 * A secret's value as bytes: a string (UTF-8) or a Uint8Array. A refusal names only the kind of
 * value, never any of it (argBytes would print a number).
 */
function secretValue(argument: string, v: unknown): string | Buffer {
  if (typeof v !== 'string' && !(v instanceof Uint8Array)) {
    throw invalid(`${argument} must be a string or a Uint8Array (got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v})`, { argument });
  }
  return argBytes(argument, v);
}

/** A libvirt secret. */
export class Secret {
  readonly #n: NativeSecret;
  readonly #core: Core;
  /** @internal */
  constructor(core: Core, n: NativeSecret) {
    this.#core = core;
    this.#n = n;
  }
  /** The secret's UUID. */
  get uuid(): string {
    return this.#n.getUUIDString();
  }
  /** What the secret is for: 'volume', 'ceph', 'iscsi', 'tls', 'vtpm' or 'none'. */
  get usageType(): SecretUsageType {
    const n = this.#n.getUsageType();
    return SECRET_USAGE_TYPES.find((t) => SECRET_USAGE_NUMBERS[t] === n) ?? 'none';
  }
  /** The usage ID (volume path, usage name, iSCSI target); undefined for type 'none'. */
  get usage(): string | undefined {
    return this.#n.getUsageID() || undefined;
  }
  /** The secret's XML (never holds the value). */
  xml(): Promise<string> {
    return this.#core.call(() => this.#n.getXMLDesc(0));
  }
  /** The parsed XML: uuid, description, ephemeral, private, type, usage. */
  async parsed(): Promise<SecretXml> {
    return new SecretXml(await this.xml());
  }
  /**
   * Sets the value: bytes as given, a string as its UTF-8 bytes. A string's copy is zeroed once
   * the daemon has it; a Buffer given is left to the caller.
   * @throws VirtkitError `INVALID_ARGUMENT` when `value` is neither a string nor bytes (its content is never in the message).
   */
  async setValue(value: Buffer | Uint8Array | string): Promise<void> {
    const v = secretValue('value', value);
    const buf = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
    try {
      await this.#core.call(() => this.#n.setValue(buf, 0));
    } finally {
      if (typeof v === 'string') buf.fill(0);
    }
  }
  /**
   * The value, as bytes (zero the Buffer when done with it).
   * @throws VirtError `VIR_ERR_INVALID_SECRET` for a private secret, `VIR_ERR_NO_SECRET` when no value is set.
   */
  value(): Promise<Buffer> {
    return this.#core.call(() => this.#n.getValue(0));
  }
  /** Removes the secret (and its value) from the daemon. */
  undefine(): Promise<void> {
    return this.#core.call(() => this.#n.undefine());
  }
  /** Short form for console.log and the REPL (never the value). */
  [inspect.custom](): string {
    const u = this.usage;
    return `Secret { uuid: ${inspect(this.uuid)}, usageType: ${inspect(this.usageType)}${u !== undefined ? `, usage: ${inspect(u)}` : ''} }`;
  }
}

/** libvirt's list flags for a {@link SecretFilter}. */
export function secretListFlags(filter: SecretFilter): number {
  argOptions('filter', filter);
  const eph = argOptBool('filter.ephemeral', filter.ephemeral);
  const priv = argOptBool('filter.private', filter.private);
  return (
    (eph === true ? L.VIR_CONNECT_LIST_SECRETS_EPHEMERAL : eph === false ? L.VIR_CONNECT_LIST_SECRETS_NO_EPHEMERAL : 0) |
    (priv === true ? L.VIR_CONNECT_LIST_SECRETS_PRIVATE : priv === false ? L.VIR_CONNECT_LIST_SECRETS_NO_PRIVATE : 0)
  );
}

// ---- the Connection methods' bodies (Connection delegates here, keeping connection.ts small) ----

/** A secret's lookup key: its UUID, or the (type, usage) pair it was defined with. */
export type SecretRef =
  | string
  | {
      /** The usage type the secret was defined with. */
      type: Exclude<SecretUsageType, 'none'>;
      /** Its usage ID: the volume path, usage name or iSCSI target. */
      usage: string;
    };

/** @internal Connection.secrets */
export async function listSecrets(core: Core, filter: SecretFilter = {}): Promise<Secret[]> {
  const flags = secretListFlags(filter);
  const list = await core.call(() => core.native.listAllSecrets(flags));
  return list.map((s) => new Secret(core, s));
}

/** @internal Connection.secret */
export async function lookupSecret(core: Core, ref: SecretRef): Promise<Secret> {
  if (typeof ref === 'string') {
    const uuid = normalizeUuid(ref);
    if (!uuid) throw invalid(`a secret is looked up by its UUID or by { type, usage }, got a string that is not a UUID`, { argument: 'ref' });
    return new Secret(core, await core.call(() => core.native.secretLookupByUUIDString(uuid)));
  }
  if (typeof ref !== 'object' || ref === null || Array.isArray(ref)) throw invalid('ref must be a UUID or { type, usage }', { argument: 'ref' });
  const type = argEnum('ref.type', ref.type, SECRET_USAGE_TYPES.filter((t) => t !== 'none'));
  const usage = checkSecretUsage(type, ref.usage, 'ref.usage');
  return new Secret(core, await core.call(() => core.native.secretLookupByUsage(SECRET_USAGE_NUMBERS[type], usage)));
}

/** @internal Connection.findSecret */
export async function findSecret(core: Core, ref: SecretRef): Promise<Secret | undefined> {
  try {
    return await lookupSecret(core, ref);
  } catch (e) {
    if (isVirtError(e, 'VIR_ERR_NO_SECRET')) return undefined;
    throw e;
  }
}

/** Options of {@link Connection.defineSecret}. */
export interface DefineSecretOptions {
  /** Sets the value right after the definition; if that fails, a secret this call made is removed. */
  value?: Buffer | Uint8Array | string;
}

/** @internal Connection.defineSecret */
export async function defineSecret(core: Core, spec: SecretSpec | string, opts: DefineSecretOptions = {}): Promise<Secret> {
  argOptions('opts', opts);
  const xml = typeof spec === 'string' ? argString('spec', spec, { nonBlank: true }) : secretXml(spec);
  if (opts.value !== undefined) secretValue('opts.value', opts.value);
  // a UUID naming an existing secret redefines it: a failed value must not remove that one
  let uuid: string | undefined;
  try {
    uuid = new SecretXml(xml).uuid;
  } catch {
    uuid = undefined; // libvirt names what is wrong with the XML
  }
  const existed = uuid !== undefined && normalizeUuid(uuid) !== undefined && (await findSecret(core, uuid)) !== undefined;
  const secret = new Secret(core, await core.call(() => core.native.secretDefineXML(xml, 0)));
  if (opts.value === undefined) return secret;
  try {
    await secret.setValue(opts.value);
  } catch (e) {
    if (!existed) await secret.undefine().catch(() => undefined);
    throw e;
  }
  return secret;
}
