// Every rule virtkit applies to a name, identifier or path it is given, written once. The library
// (src/xml, src/seal, src/template), the CLI and the first-boot identity encoder all call these.
// Predicates (`isX`) answer; checkers (`checkX`/`validateX`) throw VirtkitError INVALID_ARGUMENT
// whose `details.argument` names the argument, and return the value (normalised where a rule says so).
import { invalid } from './errors.js';
import { argString } from './args.js';

// ---- object names (domains, pools, volumes, snapshots) --------------------------------------

/**
 * A libvirt object name as virtkit accepts it: 1-255 UTF-8 bytes, no '/', no NUL or other control
 * character, not '.' or '..', well-formed Unicode. libvirt itself accepts more for some drivers;
 * refusing early gives one clear error instead of a different one per driver, and keeps names
 * usable as file names. `what` starts the message (e.g. 'volume name').
 */
export function validateName(name: unknown, what = 'name', argument = what): string {
  const details = { argument };
  if (typeof name !== 'string' || name.length === 0) throw invalid(`${what} must be a non-empty string`, details);
  // eslint-disable-next-line no-control-regex
  if (/[/\u0000-\u001f\u007f]/.test(name)) throw invalid(`${what} must not contain '/', NUL or other control characters: ${JSON.stringify(name)}`, details);
  if (name === '.' || name === '..') throw invalid(`${what} must not be '.' or '..'`, details);
  if (Buffer.byteLength(name, 'utf8') > 255) throw invalid(`${what} is longer than 255 bytes`, details);
  // A lone surrogate would reach C as U+FFFD.
  return argString(argument, name);
}

/** {@link validateName} for a `kind` of object: the message says '<kind> name'. */
export function checkName(kind: string, name: unknown, argument = `${kind} name`): string {
  return validateName(name, `${kind} name`, argument);
}

/**
 * A name or UUID to look an existing object up by: a non-empty string without NUL (C would stop
 * there and find another object). Other characters are left to libvirt, which may know objects
 * whose names virtkit would not create.
 */
export function checkLookup(argument: string, v: unknown): string {
  return argString(argument, v, { nonEmpty: true });
}

// ---- UUIDs ---------------------------------------------------------------------------------

// 32 hex digits, with the four dashes of the 8-4-4-4-12 form or none at all (libvirt's
// virUUIDParse takes both); a stray dash elsewhere is not a UUID.
const UUID_DASHED = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UUID_PLAIN = /^[0-9a-f]{32}$/i;

/** The canonical form (lower-case, 8-4-4-4-12) of a UUID written with or without dashes; undefined when `s` is none. */
export function normalizeUuid(s: unknown): string | undefined {
  if (typeof s !== 'string') return undefined;
  if (UUID_DASHED.test(s)) return s.toLowerCase();
  if (!UUID_PLAIN.test(s)) return undefined;
  const h = s.toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** True when `s` is a UUID (with or without dashes, any case). */
export function looksLikeUuid(s: string): boolean {
  return normalizeUuid(s) !== undefined;
}

/** Checks a UUID (with or without dashes, any case) and returns its canonical form. */
export function validateUuid(uuid: unknown, argument = 'uuid'): string {
  const u = normalizeUuid(uuid);
  if (u === undefined) throw invalid(`invalid UUID ${JSON.stringify(uuid)}`, { argument, uuid });
  return u;
}

// ---- host names and user names ----------------------------------------------------------------

// RFC 1123: labels of 1-63 letters, digits and '-', not starting or ending with '-'; 253 in all.
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** True for an RFC 1123 host name (e.g. 'web-01', 'web1.example.com'). */
export function isHostname(s: unknown): s is string {
  return typeof s === 'string' && HOSTNAME.test(s);
}

/** Checks an RFC 1123 host name. */
export function checkHostname(h: unknown, argument = 'hostname'): string {
  if (!isHostname(h)) throw invalid(`invalid hostname ${JSON.stringify(h)}: an RFC 1123 host name is expected`, { argument, hostname: h });
  return h;
}

// shadow-utils' default NAME_REGEX without its trailing '$' (Samba machine accounts), 32
// characters at most (utmp's ut_user); also what the first-boot script's valid_user accepts.
const USER = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;

/** True for a user name virtkit writes for (customize, first-boot identity). */
export function isUserName(s: unknown): s is string {
  return typeof s === 'string' && USER.test(s);
}

/** Checks a user name: a letter or '_', then letters, digits, '_', '.', '-'; 32 characters at most. */
export function checkUserName(user: unknown, argument = 'user', context = ''): string {
  if (!isUserName(user)) throw invalid(`invalid user name ${JSON.stringify(user)}${context}`, { argument, user });
  return user;
}

// ---- image formats -------------------------------------------------------------------------

const FORMAT = /^[a-z0-9_-]+$/;

/** True for a disk image format name as libvirt and QEMU spell them ('qcow2', 'raw', 'vmdk', …). */
export function isImageFormat(s: unknown): s is string {
  return typeof s === 'string' && FORMAT.test(s);
}

/** Checks an image format name (lower-case letters, digits, '_', '-'). `what` starts the message. */
export function checkImageFormat(format: unknown, what = 'format', argument = what): string {
  if (!isImageFormat(format)) throw invalid(`${what} is invalid: ${JSON.stringify(format)} (an image format such as 'qcow2' or 'raw')`, { argument });
  return format;
}

// ---- paths ---------------------------------------------------------------------------------

/**
 * Checks an absolute path (host or guest): a string starting with '/', without NUL, well-formed
 * Unicode; with `noParent`, without a '..' component either (a path that must stay inside a tree).
 */
export function validateAbsolutePath(path: unknown, what = 'path', o: { noParent?: boolean; argument?: string } = {}): string {
  const argument = o.argument ?? what;
  if (typeof path !== 'string' || !path.startsWith('/')) throw invalid(`${what} must be an absolute path, got ${JSON.stringify(path)}`, { argument });
  if (path.includes('\0')) throw invalid(`${what} must not contain NUL`, { argument });
  if (o.noParent && path.split('/').includes('..')) throw invalid(`${what} must not contain a '..' component: ${JSON.stringify(path)}`, { argument });
  return argString(argument, path);
}

// ---- MAC addresses -------------------------------------------------------------------------

/** Checks a unicast MAC address 'xx:xx:xx:xx:xx:xx' and returns it lower-cased. */
export function validateMac(mac: unknown, argument = 'mac'): string {
  if (typeof mac !== 'string' || !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(mac)) throw invalid(`invalid MAC address ${JSON.stringify(mac)}`, { argument, mac });
  if (parseInt(mac.slice(0, 2), 16) & 1) throw invalid(`MAC address ${mac} is multicast; a NIC needs a unicast address`, { argument, mac });
  return mac.toLowerCase();
}

// ---- small shapes --------------------------------------------------------------------------

/** Checks a positive safe integer. */
export function validatePositiveInt(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) throw invalid(`${what} must be a positive integer, got ${String(v)}`, { argument: what });
  return v;
}

/** True for an XML name usable as a namespace prefix (virDomainSetMetadata's key). */
export function isXmlPrefix(s: string): boolean {
  return /^[A-Za-z_][\w.-]*$/.test(s);
}
