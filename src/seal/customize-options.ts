// The options of the customize operation (virt-customize's most used ones): their types and
// the shape checks run on the host before any appliance starts. The checks against the guest
// itself (users exist, timezone exists) are preflightCustomize in operations/customize.ts.
// A leaf module: the operations read these types without importing the seal pipeline.
import { existsSync, statSync } from 'node:fs';
import { invalid } from '../errors.js';
import { INT32, argBool, argBytes, argInt, argOptBool, argOptString, argString, argStrings } from '../args.js';
import { checkHostname, checkUserName, validateAbsolutePath } from '../validate.js';
/**
 * A password for /etc/shadow. A string is a clear-text password, hashed on the host with
 * SHA-512 crypt and a random salt (it never enters the guest, a log or an error).
 */
export type PasswordSpec =
  | string
  | {
      /** A clear-text password, hashed on the host with SHA-512 crypt and a random salt. */
      password?: string;
      /** A ready crypt(3) hash, written as is. */
      hash?: string;
      /** Prefix "!!" (account locked; the hash is kept for a later unlock). */
      locked?: boolean;
      /** "*": no password login at all. */
      disabled?: boolean;
    };

/** One file action, applied in order. Paths are absolute paths in the guest. */
export type FileAction =
  | { write: string; content: string | Buffer; mode?: number; uid?: number; gid?: number }
  | { upload: string; to: string; mode?: number; uid?: number; gid?: number }
  | { delete: string }
  | { mkdir: string; mode?: number; uid?: number; gid?: number }
  | { chmod: number; path: string }
  | { link: string; target: string };

/** Options of the customize operation (and of user-account). */
export interface CustomizeOptions {
  /** New host name, written to /etc/hostname and /etc/hosts (an RFC 1123 name; VirtkitError `INVALID_ARGUMENT` otherwise). */
  hostname?: string;
  /** root's password (same as `passwords.root`; giving both is rejected with `INVALID_ARGUMENT`). */
  rootPassword?: PasswordSpec;
  /** Passwords by user name. */
  passwords?: Record<string, PasswordSpec>;
  /** Public key lines to add to ~user/.ssh/authorized_keys, by user name. */
  sshAuthorizedKeys?: Record<string, readonly string[]>;
  /** File actions (write, upload, delete, mkdir, chmod, link), applied in order. Paths must be absolute guest paths without '..'. */
  files?: readonly FileAction[];
  /** e.g. 'Europe/Paris' (must exist under /usr/share/zoneinfo in the guest). */
  timezone?: string;
  /** Shell commands the guest runs once, at its first boot, in order. */
  firstbootCommands?: readonly string[];
  /** Install virtkit's first-boot unit (identity from SMBIOS, host keys, machine-id). Default true. */
  installFirstboot?: boolean;
  /** SELinux guests: relabel the files written ('auto' = when the guest uses SELinux). Default 'auto'. */
  selinuxRelabel?: 'auto' | boolean;
  /** user-account: only these users (default: every user in UID_MIN..UID_MAX). */
  removeUserAccounts?: readonly string[];
  /** user-account: never these users. */
  keepUserAccounts?: readonly string[];
}

const TZ_RE = /^[A-Za-z0-9_+-]+(?:\/[A-Za-z0-9_+-]+)*$/;

/** A guest path a file action names: absolute, without '..' (it must stay inside the guest's tree). */
function absPath(p: unknown, what: string): void {
  validateAbsolutePath(p, what, { noParent: true });
}

/** Mode and owner of a file action: what the guest's chmod/chown take. */
function ownership(f: { mode?: unknown; uid?: unknown; gid?: unknown }, what: string): void {
  if (f.mode !== undefined) argInt(`${what}.mode`, f.mode, { min: 0, max: 0o7777 });
  if (f.uid !== undefined) argInt(`${what}.uid`, f.uid, { min: 0, max: INT32.max });
  if (f.gid !== undefined) argInt(`${what}.gid`, f.gid, { min: 0, max: INT32.max });
}

/** All passwords by user, rootPassword folded in. */
export function allPasswords(o: CustomizeOptions): Array<[string, PasswordSpec]> {
  const out = Object.entries(o.passwords ?? {});
  if (o.rootPassword !== undefined) {
    if (o.passwords && 'root' in o.passwords) throw invalid('rootPassword and passwords.root both given');
    out.push(['root', o.rootPassword]);
  }
  return out;
}

/** True when any customize option asks for a change. */
export function hasCustomizations(o: CustomizeOptions): boolean {
  return (
    o.hostname !== undefined || allPasswords(o).length > 0 || Object.keys(o.sshAuthorizedKeys ?? {}).length > 0 ||
    (o.files?.length ?? 0) > 0 || o.timezone !== undefined || (o.firstbootCommands?.length ?? 0) > 0
  );
}

/** Shape checks, on the host, before any appliance starts. Errors never echo a password. */
export function validateCustomize(o: CustomizeOptions): void {
  if (o.hostname !== undefined) checkHostname(o.hostname, 'hostname');
  if (o.passwords !== undefined && (o.passwords === null || typeof o.passwords !== 'object')) throw invalid('passwords must be an object of user name to password', { argument: 'passwords' });
  for (const [user, spec] of allPasswords(o)) {
    checkUserName(user, `passwords.${user}`);
    // Never echoed: the messages name the user only.
    if (typeof spec === 'string') {
      argString(`password of ${user}`, spec);
      continue;
    }
    if (typeof spec !== 'object' || spec === null) throw invalid(`password of ${user}: expected a string or an object`, { argument: `password of ${user}` });
    argOptString(`password of ${user}: password`, spec.password);
    argOptString(`password of ${user}: hash`, spec.hash);
    argOptBool(`password of ${user}: locked`, spec.locked);
    argOptBool(`password of ${user}: disabled`, spec.disabled);
    const kinds = [spec.password !== undefined, spec.hash !== undefined, spec.disabled === true].filter(Boolean).length;
    if (kinds !== 1 && !(kinds === 0 && spec.locked)) throw invalid(`password of ${user}: give exactly one of password, hash, disabled`);
    if (spec.hash !== undefined && (/[:\n]/.test(spec.hash) || spec.hash === '')) throw invalid(`password hash of ${user} may not be empty or contain ":" or a newline`);
  }
  if (o.sshAuthorizedKeys !== undefined && (o.sshAuthorizedKeys === null || typeof o.sshAuthorizedKeys !== 'object'))
    throw invalid('sshAuthorizedKeys must be an object of user name to key lines', { argument: 'sshAuthorizedKeys' });
  for (const [user, keys] of Object.entries(o.sshAuthorizedKeys ?? {})) {
    checkUserName(user, `sshAuthorizedKeys.${user}`);
    argStrings(`sshAuthorizedKeys.${user}`, keys);
    for (const k of keys) if (typeof k !== 'string' || k.trim() === '' || k.includes('\n')) throw invalid(`sshAuthorizedKeys.${user}: each key is one non-empty line`, { argument: `sshAuthorizedKeys.${user}` });
  }
  if (o.files !== undefined && !Array.isArray(o.files)) throw invalid('files must be an array of file actions', { argument: 'files' });
  for (const [i, f] of (o.files ?? []).entries()) {
    const at = `files[${i}]`;
    if (f === null || typeof f !== 'object') throw invalid(`${at} must be a file action object`, { argument: at });
    if ('write' in f) {
      absPath(f.write, 'files[].write');
      argBytes(`${at}.content`, f.content);
      ownership(f, at);
    } else if ('upload' in f) {
      absPath(f.to, 'files[].to');
      argString(`${at}.upload`, f.upload, { nonEmpty: true });
      if (!existsSync(f.upload) || !statSync(f.upload).isFile()) throw invalid(`files[].upload: no such host file ${f.upload}`, { argument: `${at}.upload` });
      ownership(f, at);
    } else if ('delete' in f) absPath(f.delete, 'files[].delete');
    else if ('mkdir' in f) {
      absPath(f.mkdir, 'files[].mkdir');
      ownership(f, at);
    } else if ('chmod' in f) {
      absPath(f.path, 'files[].path');
      argInt(`${at}.chmod`, f.chmod, { min: 0, max: 0o7777 });
    } else if ('link' in f) {
      absPath(f.link, 'files[].link');
      argString(`${at}.target`, f.target, { nonEmpty: true });
    } else throw invalid('files[]: unknown action', { argument: at });
  }
  if (argOptString('timezone', o.timezone) !== undefined && !TZ_RE.test(o.timezone!)) throw invalid(`invalid timezone ${JSON.stringify(o.timezone)}`, { argument: 'timezone' });
  if (o.firstbootCommands !== undefined) argStrings('firstbootCommands', o.firstbootCommands);
  for (const c of o.firstbootCommands ?? []) if (typeof c !== 'string' || c.trim() === '') throw invalid('firstbootCommands: empty command', { argument: 'firstbootCommands' });
  argOptBool('installFirstboot', o.installFirstboot);
  if (o.selinuxRelabel !== undefined && o.selinuxRelabel !== 'auto') argBool('selinuxRelabel', o.selinuxRelabel);
  if (o.removeUserAccounts !== undefined) argStrings('removeUserAccounts', o.removeUserAccounts, { nonEmpty: true });
  if (o.keepUserAccounts !== undefined) argStrings('keepUserAccounts', o.keepUserAccounts, { nonEmpty: true });
}

