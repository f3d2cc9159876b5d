// A clone's identity carried to the guest in SMBIOS OEM strings (type 11).
//
// Encoding (format version 1). Every entry is `virtkit:<key>=<value>`, one fact per entry:
//   virtkit:v=1                          format version, always first
//   virtkit:hostname=<name>              RFC 1123 host name, as is
//   virtkit:ssh-key:<user>=<base64>      one authorized_keys line per entry, base64 (RFC 4648, padded)
//   virtkit:data:<key>=<base64>          free-form value, base64
//   virtkit:seed=<label>                 secrets wait on the seed volume labelled <label> (below)
//   virtkit:personalize=cloud-init       cloud-init personalizes this clone: first boot stands aside
// Secrets never go in OEM strings (any reader of the domain XML or of QEMU's command line sees
// them): identitySecretLines writes them in the same line format for the seed volume's
// `virtkit-secrets` file instead:
//   virtkit:root-password-hash=<hash>    crypt(3) hash, as is (printable ASCII, no spaces)
//   virtkit:data:<key>=<base64>          a secretData value
// Keys are restricted to safe characters, so only values that can hold spaces, newlines or any
// Unicode are base64-encoded; the guest splits at the first '='. Entries of other software (no
// `virtkit:` prefix) and unknown virtkit keys are ignored when parsing.
// Limits: an entry is at most MAX_OEM_ENTRY_BYTES bytes, a domain has at most MAX_OEM_ENTRIES
// strings (the SMBIOS type 11 count is one byte), all together at most MAX_OEM_TOTAL_BYTES
// (the 32-bit SMBIOS entry point caps the whole table at 64 KiB).
import { invalid } from '../errors.js';
import { argString } from '../args.js';
import { checkHostname, checkUserName } from '../validate.js';

/** What a clone learns about itself at first boot. */
export interface CloneIdentity {
  /** The clone's host name (an RFC 1123 name, e.g. 'web-01'). Rejected with VirtkitError `INVALID_ARGUMENT` otherwise. */
  hostname?: string;
  /** authorized_keys lines per user, e.g. { root: ['ssh-ed25519 AAAA... me@host'] } (each line trimmed). */
  sshAuthorizedKeys?: Record<string, string[]>;
  /** A crypt(3) hash (e.g. '$6$salt$...'), never a clear-text password. */
  rootPasswordHash?: string;
  /** Free-form key/value pairs for the guest's own use (saved to /var/lib/virtkit/data/<key>); visible in the domain XML. */
  data?: Record<string, string>;
  /**
   * Like `data`, but secret: delivered on the clone's seed volume (mode 0600), never in the domain
   * XML or on QEMU's command line; saved in the guest like `data` (mode 0600). A key may not be in both.
   */
  secretData?: Record<string, string>;
}

/** Prefix of every virtkit OEM string. */
export const OEM_PREFIX = 'virtkit:';
/** Largest OEM string virtkit writes, in UTF-8 bytes (prefix included). */
export const MAX_OEM_ENTRY_BYTES = 4096;
/** Most strings one SMBIOS type 11 structure can count. */
export const MAX_OEM_ENTRIES = 255;
/** Largest total of all OEM strings, in bytes. */
export const MAX_OEM_TOTAL_BYTES = 32768;

// What the first-boot script (src/firstboot/script.ts) applies, and so all deploy accepts: a value
// it would drop must be refused on the host, before anything is made.
//   hostname  isHostname, RFC 1123 (the script's valid_hostname takes [A-Za-z0-9.-], 1-253, no leading '-')
//   user      isUserName, [A-Za-z_][A-Za-z0-9_.-]{0,31} (valid_user: [A-Za-z0-9._-], no leading '-'; no '$')
//   key line  one line after trimming: no newline, no NUL (add_ssh_key; the shell drops NULs)
//   hash      printable ASCII, no space, no ':' (set_root_hash refuses ':' and newlines)
const DATA_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const HASH = /^[\x21-\x39\x3b-\x7e]+$/;
const IDENTITY_KEYS = ['hostname', 'sshAuthorizedKeys', 'rootPasswordHash', 'data', 'secretData'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks an identity against the rules the first-boot script applies (see above) and returns it
 * with SSH key lines trimmed. Unknown fields are refused (a typo must not drop a setting), except
 * those in `extraKeys`, which the caller checks. Errors are INVALID_ARGUMENT with
 * `details.argument` naming the field under `argument` (e.g. 'identity.hostname'); a hash or a
 * key is never echoed.
 */
export function checkIdentity(identity: unknown, argument = 'identity', extraKeys: readonly string[] = []): CloneIdentity {
  const fail = (field: string, msg: string): never => {
    throw invalid(`${field} ${msg}`, { argument: field });
  };
  if (!isObject(identity)) fail(argument, 'must be an object');
  const id = identity as Record<string, unknown>;
  for (const k of Object.keys(id)) if (!IDENTITY_KEYS.includes(k) && !extraKeys.includes(k)) fail(`${argument}.${k}`, `is not an identity field (known: ${[...IDENTITY_KEYS, ...extraKeys].join(', ')})`);
  const out: CloneIdentity = {};
  if (id.hostname !== undefined) {
    out.hostname = checkHostname(id.hostname, `${argument}.hostname`);
  }
  if (id.rootPasswordHash !== undefined) {
    const h = id.rootPasswordHash;
    if (typeof h !== 'string' || !HASH.test(h)) fail(`${argument}.rootPasswordHash`, "must be a crypt(3) hash: printable ASCII without spaces or ':'");
    out.rootPasswordHash = h as string;
  }
  if (id.sshAuthorizedKeys !== undefined) {
    const all = id.sshAuthorizedKeys;
    if (!isObject(all)) fail(`${argument}.sshAuthorizedKeys`, 'must be an object of user name to key lines');
    out.sshAuthorizedKeys = {};
    for (const [user, keys] of Object.entries(all as Record<string, unknown>)) {
      const at = `${argument}.sshAuthorizedKeys.${user}`;
      checkUserName(user, at, ' in sshAuthorizedKeys');
      if (!Array.isArray(keys)) fail(at, 'must be an array of key lines');
      out.sshAuthorizedKeys[user] = (keys as unknown[]).map((k, i) => {
        const line = argString(`${at}[${i}]`, k).trim();
        if (line === '') fail(`${at}[${i}]`, 'is empty');
        if (/[\r\n]/.test(line)) fail(`${at}[${i}]`, 'must be one line (it has a line break)');
        return line;
      });
    }
  }
  for (const field of ['data', 'secretData'] as const) {
    const data = id[field];
    if (data === undefined) continue;
    if (!isObject(data)) fail(`${argument}.${field}`, 'must be an object of key to string');
    const m: Record<string, string> = (out[field] = {});
    for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
      if (!DATA_KEY.test(key)) throw invalid(`invalid ${field} key ${JSON.stringify(key)}: letters, digits, '.', '_', '-' (≤ 64)`, { argument: `${argument}.${field}`, key });
      // base64 on the way, so any text, NUL included; a lone surrogate would not survive UTF-8
      m[key] = argString(`${argument}.${field}.${key}`, value, { allowNul: true });
    }
  }
  for (const key of Object.keys(out.secretData ?? {}))
    if (out.data && key in out.data) throw invalid(`key ${JSON.stringify(key)} is in both data and secretData`, { argument: `${argument}.secretData.${key}` });
  return out;
}
const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/**
 * Encodes the public part of an identity as OEM strings (format above): hostname, SSH public
 * keys, `data`. The secrets (rootPasswordHash, secretData) are left out: see identitySecretLines.
 * `seedLabel` adds `virtkit:seed=<label>`. INVALID_ARGUMENT on bad input or limits.
 */
export function identityOemStrings(identity: CloneIdentity, opts: { seedLabel?: string } = {}): string[] {
  const { hostname, sshAuthorizedKeys, data } = checkIdentity(identity);
  const out = [`${OEM_PREFIX}v=1`];
  if (hostname !== undefined) out.push(`${OEM_PREFIX}hostname=${hostname}`);
  for (const [user, keys] of Object.entries(sshAuthorizedKeys ?? {})) for (const k of keys) out.push(`${OEM_PREFIX}ssh-key:${user}=${b64(k)}`);
  for (const [key, value] of Object.entries(data ?? {})) out.push(`${OEM_PREFIX}data:${key}=${b64(value)}`);
  if (opts.seedLabel !== undefined) {
    if (!/^[A-Za-z0-9_-]{1,16}$/.test(opts.seedLabel)) throw invalid('seedLabel must be 1-16 letters, digits, _ or -', { argument: 'seedLabel' });
    out.push(`${OEM_PREFIX}seed=${opts.seedLabel}`);
  }
  checkOemLimits(out);
  return out;
}

/** True when the identity has something only the seed volume may carry. */
export function hasSecrets(identity: CloneIdentity): boolean {
  return identity.rootPasswordHash !== undefined || Object.keys(identity.secretData ?? {}).length > 0;
}

/**
 * The secret part of an identity as lines of the OEM-string format (the seed volume's
 * `virtkit-secrets` file, one entry a line): the root password hash and secretData (as data:
 * entries, base64). [] when there is none.
 */
export function identitySecretLines(identity: CloneIdentity): string[] {
  const { rootPasswordHash, secretData } = checkIdentity(identity);
  if (!hasSecrets({ rootPasswordHash, secretData })) return [];
  const out = [`${OEM_PREFIX}v=1`];
  if (rootPasswordHash !== undefined) out.push(`${OEM_PREFIX}root-password-hash=${rootPasswordHash}`);
  for (const [key, value] of Object.entries(secretData ?? {})) out.push(`${OEM_PREFIX}data:${key}=${b64(value)}`);
  return out;
}

/** Throws INVALID_ARGUMENT when OEM strings break the per-entry, count or total limits. */
export function checkOemLimits(entries: string[]): void {
  if (entries.length > MAX_OEM_ENTRIES) throw invalid(`${entries.length} OEM strings: at most ${MAX_OEM_ENTRIES} fit in SMBIOS type 11`);
  let total = 0;
  for (const e of entries) {
    if (e.length === 0 || e.includes('\0')) throw invalid('an OEM string must be non-empty and contain no NUL');
    const n = Buffer.byteLength(e, 'utf8');
    total += n + 1;
    if (n > MAX_OEM_ENTRY_BYTES) {
      throw invalid(`OEM string ${JSON.stringify(e.slice(0, 40) + '…')} is ${n} bytes; the limit is ${MAX_OEM_ENTRY_BYTES}`, { bytes: n, limit: MAX_OEM_ENTRY_BYTES });
    }
  }
  if (total > MAX_OEM_TOTAL_BYTES) throw invalid(`OEM strings total ${total} bytes; the limit is ${MAX_OEM_TOTAL_BYTES}`, { bytes: total, limit: MAX_OEM_TOTAL_BYTES });
}

function unb64(v: string, what: string): string {
  if (!B64.test(v)) throw invalid(`OEM string ${what}: value is not base64`);
  return Buffer.from(v, 'base64').toString('utf8');
}

/**
 * Decodes virtkit OEM strings back to an identity. Other entries and unknown virtkit keys are
 * ignored; a malformed virtkit entry throws INVALID_ARGUMENT.
 */
export function parseOemStrings(entries: readonly string[]): CloneIdentity {
  const id: CloneIdentity = {};
  for (const e of entries) {
    if (!e.startsWith(OEM_PREFIX)) continue;
    const eq = e.indexOf('=');
    if (eq < 0) throw invalid(`malformed OEM string ${JSON.stringify(e)}: no '='`);
    const key = e.slice(OEM_PREFIX.length, eq);
    const value = e.slice(eq + 1);
    if (key === 'v') {
      if (value !== '1') throw invalid(`unsupported virtkit OEM format version ${value}`);
    } else if (key === 'hostname') id.hostname = value;
    else if (key === 'root-password-hash') id.rootPasswordHash = value;
    else if (key.startsWith('ssh-key:')) {
      const user = key.slice('ssh-key:'.length);
      ((id.sshAuthorizedKeys ??= {})[user] ??= []).push(unb64(value, key));
    } else if (key.startsWith('data:')) {
      (id.data ??= {})[key.slice('data:'.length)] = unb64(value, key);
    }
  }
  return id;
}

/**
 * Decodes one SMBIOS type 11 (OEM Strings) structure, as read from
 * /sys/firmware/dmi/entries/11-N/raw: a formatted area (type, length, handle, count) followed by
 * NUL-terminated strings and a final NUL. Returns the strings (UTF-8).
 */
export function decodeSmbiosType11(raw: Buffer): string[] {
  if (raw.length < 5 || raw[0] !== 11) throw invalid('not an SMBIOS type 11 structure');
  const len = raw[1]!;
  if (len < 5 || len > raw.length) throw invalid('truncated SMBIOS type 11 structure');
  const count = raw[4]!;
  const out: string[] = [];
  let pos = len;
  while (pos < raw.length && out.length < count) {
    const end = raw.indexOf(0, pos);
    if (end < 0) throw invalid('unterminated string in SMBIOS type 11 structure');
    if (end === pos) break;
    out.push(raw.toString('utf8', pos, end));
    pos = end + 1;
  }
  return out;
}

/** Builds an SMBIOS type 11 structure (the inverse of decodeSmbiosType11), e.g. for tests. */
export function encodeSmbiosType11(strings: readonly string[], handle = 0x0b00): Buffer {
  if (strings.length > 255) throw invalid('at most 255 strings fit in SMBIOS type 11');
  const head = Buffer.from([11, 5, handle & 0xff, (handle >> 8) & 0xff, strings.length]);
  const parts = strings.map((s) => {
    if (s.length === 0 || s.includes('\0')) throw invalid('SMBIOS strings must be non-empty and contain no NUL');
    return Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])]);
  });
  return Buffer.concat([head, ...parts, Buffer.from(strings.length ? [0] : [0, 0])]);
}
